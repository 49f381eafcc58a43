package aggregate_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestCardCacheFollowsRecomputes checks that a cached card is served only while the projections
// it was computed from are the committed ones: after phase 2 is projected, the card changes.
func TestCardCacheFollowsRecomputes(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, conn)
	first, err := eng.Card(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	again, err := eng.Card(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := dump(first), dump(again); a != b {
		t.Fatalf("the same card twice differs:\n%s\n%s", a, b)
	}
	phase2(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := eng.Card(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := newEngine(t, conn).Card(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := dump(after), dump(fresh); a != b {
		t.Fatalf("after a recompute the engine served a stale card:\n got %s\nwant %s", a, b)
	}
	if dump(after) == dump(first) {
		t.Fatal("phase 2 changed nothing on the card: the test would not see a stale cache")
	}
	var js map[string]any
	if err := json.Unmarshal([]byte(dump(after)), &js); err != nil || js["branch"] != "GD-GZ" {
		t.Fatalf("card JSON: %v %v", err, js["branch"])
	}
}

// TestCompareCacheFollowsRecomputes is TestCardCacheFollowsRecomputes for Compare.
func TestCompareCacheFollowsRecomputes(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, conn)
	first, err := eng.Compare(ctx, "GD", oct, "csi")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := eng.Compare(ctx, "GD", oct, "csi"); err != nil || dump(again) != dump(first) {
		t.Fatalf("the same comparison twice differs (%v):\n%s\n%s", err, dump(first), dump(again))
	}
	phase2(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := eng.Compare(ctx, "GD", oct, "csi")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := newEngine(t, conn).Compare(ctx, "GD", oct, "csi")
	if err != nil {
		t.Fatal(err)
	}
	if dump(after) != dump(fresh) {
		t.Fatalf("after a recompute the engine served a stale comparison:\n got %s\nwant %s", dump(after), dump(fresh))
	}
	if dump(after) == dump(first) {
		t.Fatal("phase 2 changed nothing in the comparison: the test would not see a stale cache")
	}
}
