package aggregate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestFreshFold checks incremental refreshes that fold new events in apart from the resent ones
// (fresh.go) against a rebuild from the raw rows: new events, copies within a batch, resends of
// events already projected (hotline, complaints, churn), voids of projected responses, a
// response voided before it arrived; a second projector (another process) committing between
// two of the first's refreshes, which makes the first rebuild its filter; and the same with
// every filter answering "seen" (every event corrected both ways, as a false positive is).
func TestFreshFold(t *testing.T) {
	for _, always := range []bool{false, true} {
		name := "filter"
		if always {
			name = "every event seen"
		}
		t.Run(name, func(t *testing.T) {
			defer aggregate.SetSeenAlways(always)()
			freshFold(t, always)
		})
	}
}

func freshFold(t *testing.T, always bool) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	p, other := newProjector(conn), newProjector(conn)
	e := newEngine(t, conn)
	phase1(t, conn)
	refresh := func(p *aggregate.Projector) {
		t.Helper()
		if err := p.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	refresh(p)
	tables0, again0 := aggregate.FreshCounts()
	phase2(t, conn)
	insert(t, conn, "hotline_feedback", colsHot,
		hot("h2", "GD-GZ-TH", oct, 3, 0, 25, 10),                                   // a resend of a projected rating
		hot("h4", "GD-GZ", oct, 5, 1, 5, 11), hot("h4", "GD-GZ", oct, 5, 1, 5, 12), // a new one, twice
		hot("h5", "GD-GZ-TH", oct, 1, 0, 90, 13))
	insert(t, conn, "store_feedback", colsStore, []any{"s2", "GD-GZ-TH", uint32(oct), uint8(2), uint32(300), int32(0), int64(2)})
	insert(t, conn, "complaints_closed", colsClose,
		[]any{"k2", "GD-GZ", uint32(oct), 60.0, int8(-1), int32(1), int64(1)}, // a resend under another partition
		[]any{"k3", "GD-GZ-TH", uint32(oct), 30.0, int8(1), int32(0), int64(6)})
	insert(t, conn, "churn_events", colsChurn, []any{"ch4", "GD-GZ", uint32(oct), "high", int32(0), int64(5)})
	mark(t, conn,
		aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyComplaints, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyChurn, Month: oct})
	refresh(p)
	tables1, again1 := aggregate.FreshCounts()
	// window (2 tables), complaints (2), churn, survey and drivers of both months: at least 7.
	if tables1-tables0 < 7 {
		t.Errorf("incremental refresh folded %d raw tables apart, want ≥ 7", tables1-tables0)
	}
	// Resent: h2 and k2; voided since: r6 (survey and drivers). Every other new event is new for
	// a filter of the committed version's rows (not of the rows present when it is built).
	if got := again1 - again0; !always && got != 4 || always && got < 4 {
		t.Errorf("incremental refresh corrected %d events both ways, want 4 (h2, k2, r6 twice)", got)
	}

	// Another projector commits the next batch; p's filters then hold an older version's ids and
	// are built again from the month's rows before p folds the batch after.
	insert(t, conn, "hotline_feedback", colsHot, hot("h4", "GD-GZ", oct, 5, 1, 5, 14), hot("h6", "GD-GZ", oct, 2, 0, 40, 15))
	insert(t, conn, "survey_responses", colsSurvey, resp("r9", "GD-GZ", oct, "ctcc", 2, 9, both, []uint8{9, 8}, 1, 4))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	refresh(other)
	builds := aggregate.SeenBuilds(p)
	insert(t, conn, "hotline_feedback", colsHot, hot("h6", "GD-GZ", oct, 2, 0, 40, 16), hot("h1", "GD-GZ-TH", oct, 5, 1, 10, 17))
	insert(t, conn, "survey_voids", colsVoid, void("v4", "r9", 5))
	insert(t, conn, "survey_responses", colsSurvey, resp("r1", "GD-GZ-TH", oct, "cmcc", 2, 10, both, []uint8{10, 1}, 1, 5))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	refresh(p)
	if got := aggregate.SeenBuilds(p) - builds; got < 3 {
		t.Errorf("after another projector's commit p built %v filters again, want ≥ 3 (window's two tables, survey's)", got)
	}

	folded := matchesRebuild(t, conn, e, p)
	// Hand-counted: GD-GZ's October hotline ratings are h1, h2 and h5 of its county and its own
	// h4 and h6, each once however often resent.
	if n := folded[oct]["GD-GZ"].Window.HotlineN; n != 5 {
		t.Errorf("GD-GZ October hotline ratings = %d, want 5", n)
	}
}

// TestNewBranchAskedOnce checks that a branch named by raw rows not projected yet (a new store's
// first ratings, a benchmark's marker branch) is looked up in the raw tables once, not on every
// request until the known hierarchy is read again; and that an unknown one stays unknown.
func TestNewBranchAskedOnce(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	e := newEngine(t, conn)
	phase1(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Card(ctx, "GD-GZ-TH", oct); err != nil { // reads the known hierarchy
		t.Fatal(err)
	}
	insert(t, conn, "hotline_feedback", colsHot, hot("n1", "GD-GZ-NEW", oct, 5, 1, 10, 20))
	before := aggregate.RawBranchLookups(e)
	for i := range 5 {
		c, err := e.Card(ctx, "GD-GZ-NEW", oct)
		if err != nil {
			t.Fatalf("Card(GD-GZ-NEW) #%d: %v", i+1, err)
		}
		if c.Window.Hotline.N != 0 {
			t.Errorf("Card(GD-GZ-NEW) hotline n = %d before any refresh, want 0", c.Window.Hotline.N)
		}
	}
	if got := aggregate.RawBranchLookups(e) - before; got != 1 {
		t.Errorf("5 cards of a branch not projected yet asked the raw tables %d times, want 1", got)
	}
	for range 2 {
		if _, err := e.Card(ctx, "GD-GZ-NONE", oct); !errors.Is(err, aggregate.ErrUnknownBranch) {
			t.Errorf("Card(GD-GZ-NONE) = %v, want ErrUnknownBranch", err)
		}
	}
}
