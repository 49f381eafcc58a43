package aggregate

import (
	"context"
	"slices"
	"testing"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

func TestServerThreads(t *testing.T) {
	for v, want := range map[string]int{"2": 2, "16": 16, "'auto(8)'": 8, "auto(4)": 4, "0": 0, "": 0, "'auto'": 0, "x": 0} {
		if got := serverThreads(v); got != want {
			t.Errorf("serverThreads(%q) = %d, want %d", v, got, want)
		}
	}
}

// TestWithThreads reads the real server's max_threads and shares it among concurrent recomputes.
func TestWithThreads(t *testing.T) {
	conn, cfg := chtest.New(t)
	p := NewProjector(conn, ProjectorConfig{Database: cfg.Database, Catalog: schema.DefaultCatalog(), SLAHours: 48}, nil, nil)
	ctx := context.Background()
	one, ok := p.withThreads(ctx, 1)
	if !ok || p.threads < 1 {
		t.Fatalf("withThreads: ok %v, server threads %d", ok, p.threads)
	}
	if got := one.Value(ctxThreadsKey{}); got != p.threads {
		t.Errorf("one recompute gets %v threads, want all %d", got, p.threads)
	}
	many, _ := p.withThreads(ctx, 1000)
	if got := many.Value(ctxThreadsKey{}); got != 1 {
		t.Errorf("1,000 recomputes get %v threads each, want 1", got)
	}
	// The setting reaches the server with the recompute's own settings.
	var th string
	if err := conn.QueryRow(recomputeSettings(many), "SELECT value FROM system.settings WHERE name = 'max_threads'").Scan(&th); err != nil {
		t.Fatal(err)
	}
	if serverThreads(th) != 1 {
		t.Errorf("max_threads in the recompute's query = %q, want 1", th)
	}
}

// TestFrontlineFirst: the first front-line recompute starts first, every other keeps its
// order; a list without one, or with it first, is unchanged.
func TestFrontlineFirst(t *testing.T) {
	fm := func(f Family, m schema.Month) familyMonth { return familyMonth{f, m} }
	in := []familyMonth{fm(FamilySurvey, 202611), fm(FamilyWindow, 202611), fm(FamilyFrontline, 202611),
		fm(FamilySurvey, 202612), fm(FamilyFrontline, 202612)}
	want := []familyMonth{fm(FamilyFrontline, 202611), fm(FamilySurvey, 202611), fm(FamilyWindow, 202611),
		fm(FamilySurvey, 202612), fm(FamilyFrontline, 202612)}
	if got := frontlineFirst(in); !slices.Equal(got, want) {
		t.Errorf("frontlineFirst(%v) = %v, want %v", in, got, want)
	}
	for _, list := range [][]familyMonth{nil, in[:2], want} {
		if got := frontlineFirst(list); !slices.Equal(got, list) {
			t.Errorf("frontlineFirst(%v) = %v, want it unchanged", list, got)
		}
	}
}
