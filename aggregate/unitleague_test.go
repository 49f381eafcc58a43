package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// loadLeagueFixture loads a hand-made October of store ratings (SPEC §5.2) and returns an
// engine with CSAT_MIN_SAMPLE 5:
//
//	GD-SZ-NS  S1  10 ratings: 9 × 5, 1 × 1 (wait 60 each); E1 six of the 5s, E2 three 5s and the 1
//	          S2  10 ratings: 5 × 4, 5 × 3 (wait 100); all E3's
//	          S3   2 ratings: 2 × 2 (wait 10)
//	          S4  10 ratings: 3 × 5, 7 × 2 (wait 200)
//	          S5  no rating; one complaint (it places the store)
//	GD-SZ-FT  S6   6 ratings: 6 × 5 (wait 30)
//	GD-GZ-TH  S9   5 ratings: 5 × 5 (wait 30); all E9's
//
// and complaints naming S1 twice and S5 once.
func loadLeagueFixture(t *testing.T) (*aggregate.Engine, driver.Conn) {
	t.Helper()
	conn, _ := chtest.New(t)
	const sfCols = "event_id, branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset"
	var rows [][]any
	off := int64(0)
	add := func(branch, store, staff string, rating uint8, wait uint32, count int) {
		for range count {
			off++
			rows = append(rows, []any{fmt.Sprintf("f%d", off), branch, uint32(oct), day(1 + int(off%27)), store, staff, rating, wait, int32(0), off})
		}
	}
	add("GD-SZ-NS", "S1", "E1", 5, 60, 6)
	add("GD-SZ-NS", "S1", "E2", 5, 60, 3)
	add("GD-SZ-NS", "S1", "E2", 1, 60, 1)
	add("GD-SZ-NS", "S2", "E3", 4, 100, 5)
	add("GD-SZ-NS", "S2", "E3", 3, 100, 5)
	add("GD-SZ-NS", "S3", "", 2, 10, 2)
	add("GD-SZ-NS", "S4", "", 5, 200, 3)
	add("GD-SZ-NS", "S4", "", 2, 200, 7)
	add("GD-SZ-FT", "S6", "", 5, 30, 6)
	add("GD-GZ-TH", "S9", "E9", 5, 30, 5)
	insert(t, conn, "store_feedback", sfCols, rows...)
	co := func(id, branch, st string, off int64) []any {
		return []any{id, branch, uint32(oct), day(2), st, "", "", "", int32(0), off}
	}
	insert(t, conn, "complaints_opened", "event_id, branch_id, month, occurred_at, store_id, staff_id, agent_id, manager_id, kafka_partition, kafka_offset",
		co("c1", "GD-SZ-NS", "S1", 1), co("c2", "GD-SZ-NS", "S1", 2), co("c3", "GD-SZ-NS", "S5", 3))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: oct})
	if err := newProjector(conn).Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 5
	return aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil), conn
}

// leagueLine is a row of a league as the tests compare it: unit, rank (0: null), ranked_by,
// the value it is ranked by (value or smoothed), reportable.
type leagueLine struct {
	unit       string
	rank       int
	rankedBy   string
	key        float64
	reportable bool
}

func leagueLines(l aggregate.UnitLeague) []leagueLine {
	out := make([]leagueLine, len(l.Units))
	for i, r := range l.Units {
		ln := leagueLine{unit: r.Unit, rankedBy: r.RankedBy, reportable: r.Reportable, key: -1}
		if r.Rank != nil {
			ln.rank = *r.Rank
		}
		switch {
		case r.RankedBy == aggregate.RankedBySmoothed:
			ln.key = *r.Smoothed
		case r.Value != nil:
			ln.key = *r.Value
		}
		out[i] = ln
	}
	return out
}

func checkLeague(t *testing.T, name string, got aggregate.UnitLeague, want []leagueLine) {
	t.Helper()
	g := leagueLines(got)
	if len(g) != len(want) {
		t.Fatalf("%s: %d rows %+v, want %d %+v", name, len(g), g, len(want), want)
	}
	for i := range want {
		w, r := want[i], g[i]
		if r.unit != w.unit || r.rank != w.rank || r.rankedBy != w.rankedBy || r.reportable != w.reportable || !approx(r.key, w.key) {
			t.Errorf("%s row %d: got %+v, want %+v", name, i, r, w)
		}
	}
}

// TestUnitLeague ranks the fixture's units on a real server against hand-computed tables
// (SPEC §5.2 league tables, §5.5 smoothing): an unreportable store ranked by its smoothed value
// above a reportable one it would trail by its raw value, a store without ratings last and
// unranked, a lower-is-better metric ascending with an unreportable mean left unranked, staff
// of a store and of a branch, and bad parameters.
func TestUnitLeague(t *testing.T) {
	e, _ := loadLeagueFixture(t)
	ctx := context.Background()

	// Stores of GD-SZ by satisfaction. GD-SZ-NS's stores with ratings (k of n): S1 9/10,
	// S2 5/10, S3 0/2, S4 3/10: p̄ = 100·17/32 = 53.125;
	// Σn(p − p̄)² = 10·36.875² + 10·3.125² + 2·53.125² + 10·23.125² = 24687.5, /32 = 771.484375;
	// J·p̄(100 − p̄)/Σn = 4·53.125·46.875/32 = 311.279296875; τ² = 460.205078125.
	// S3: p̄(100 − p̄)/n = 2490.234375/2 = 1245.1171875, B = 460.205078125/1705.322265625 =
	// 0.26986399…, smoothed = 53.125 + B·(0 − 53.125) = 38.78847530…: S3 (2 ratings < 5,
	// unreportable) ranks by it, above S4 (30, reportable) which its raw 0 would trail.
	// GD-SZ-FT's S6 alone: 6/6 = 100 (smoothed 100: p̄ 100, no variance).
	tau2 := 460.205078125
	s3 := 53.125 + tau2/(tau2+53.125*46.875/2)*(0-53.125)
	l, err := e.UnitLeague(ctx, "store", "GD-SZ", "2026-10", "")
	if err != nil {
		t.Fatal(err)
	}
	if l.Unit != "store" || l.Parent != "GD-SZ" || l.Period != "2026-10" || l.Metric != "satisfaction" || l.LowerIsBetter {
		t.Errorf("league header %+v", l)
	}
	checkLeague(t, "stores by satisfaction", l, []leagueLine{
		{"S6", 1, "value", 100, true},
		{"S1", 2, "value", 90, true},
		{"S2", 3, "value", 50, true},
		{"S3", 4, "smoothed", s3, false},
		{"S4", 5, "value", 30, true},
		{"S5", 0, "none", -1, false}, // complaints only: n 0, no value
	})
	// S1's row: n 10, moe95 = 1.96 × 100 × √(0.9 · 0.1/10) = 1.96 × 100 × 0.0948683… = 18.594…
	if r := l.Units[1]; r.N != 10 || r.MOE95 == nil || !approx(*r.MOE95, 1.96*100*0.09486832980505137) || r.Branch != "GD-SZ-NS" ||
		r.Store != "" || r.Card.Unit != "S1" || r.Card.Ratings != 10 {
		t.Errorf("S1 row %+v", r)
	}

	// By avg_wait (lower is better): S6 30, S1 60, S2 100, S4 200; S3's mean of 2 ratings is
	// unreportable and means are not smoothed: listed after the ranked ones, unranked; S5 last.
	l, err = e.UnitLeague(ctx, "store", "GD-SZ", "2026-10", "avg_wait")
	if err != nil {
		t.Fatal(err)
	}
	if !l.LowerIsBetter {
		t.Error("avg_wait: lower_is_better false")
	}
	checkLeague(t, "stores by avg_wait", l, []leagueLine{
		{"S6", 1, "value", 30, true},
		{"S1", 2, "value", 60, true},
		{"S2", 3, "value", 100, true},
		{"S4", 4, "value", 200, true},
		{"S3", 0, "none", 10, false},
		{"S5", 0, "none", -1, false},
	})

	// By complaints (counts, ascending; ties by id): 0 for S2, S3, S4, S6; S5 1; S1 2.
	l, err = e.UnitLeague(ctx, "store", "GD-SZ-NS", "2026-10", "complaints")
	if err != nil {
		t.Fatal(err)
	}
	checkLeague(t, "stores of GD-SZ-NS by complaints", l, []leagueLine{
		{"S2", 1, "value", 0, true},
		{"S3", 2, "value", 0, true},
		{"S4", 3, "value", 0, true},
		{"S5", 4, "value", 1, true},
		{"S1", 5, "value", 2, true},
	})

	// By net_score: S1 9 − 1 = 8, S6 6, S2 5 − 0 = 5, S4 3 − 7 = −4, S3 0 − 2 = −2.
	l, err = e.UnitLeague(ctx, "store", "GD-SZ", "2026-10", "net_score")
	if err != nil {
		t.Fatal(err)
	}
	checkLeague(t, "stores by net_score", l, []leagueLine{
		{"S1", 1, "value", 8, true},
		{"S6", 2, "value", 6, true},
		{"S2", 3, "value", 5, true},
		{"S5", 4, "value", 0, true},
		{"S3", 5, "value", -2, true},
		{"S4", 6, "value", -4, true},
	})

	// Staff of S1: E1 6/6 = 100, E2 3/4 = 75 (4 ratings: unreportable). p̄ = 90;
	// Σn(p − p̄)²/Σn = (6·100 + 4·225)/10 = 150 < J·p̄(100 − p̄)/Σn = 2·900/10 = 180: τ² 0,
	// both smoothed to 90: E2 ranks by 90.
	l, err = e.UnitLeague(ctx, "staff", "store:S1", "2026-10", "")
	if err != nil {
		t.Fatal(err)
	}
	checkLeague(t, "staff of S1", l, []leagueLine{
		{"E1", 1, "value", 100, true},
		{"E2", 2, "smoothed", 90, false},
	})
	if l.Units[0].Store != "S1" {
		t.Errorf("E1 store %q", l.Units[0].Store)
	}
	// Staff of GD-SZ: the staff of its stores (E9 works at S9 in GD-GZ-TH): E1 100, E2 by 90,
	// E3 5/10 = 50 (alone at S2: smoothed 50).
	l, err = e.UnitLeague(ctx, "staff", "GD-SZ", "2026-10", "satisfaction")
	if err != nil {
		t.Fatal(err)
	}
	checkLeague(t, "staff of GD-SZ", l, []leagueLine{
		{"E1", 1, "value", 100, true},
		{"E2", 2, "smoothed", 90, false},
		{"E3", 3, "value", 50, true},
	})
	// Staff of ALL adds E9 (5/5 = 100; ties by id: after E1).
	l, err = e.UnitLeague(ctx, "staff", "ALL", "2026-10", "")
	if err != nil {
		t.Fatal(err)
	}
	checkLeague(t, "staff of ALL", l, []leagueLine{
		{"E1", 1, "value", 100, true},
		{"E9", 2, "value", 100, true},
		{"E2", 3, "smoothed", 90, false},
		{"E3", 4, "value", 50, true},
	})
	// A branch named by no event: a parameter error.
	var pe *aggregate.ParamError
	if _, err := e.UnitLeague(ctx, "staff", "GD-GZ-YX", "2026-10", ""); !errors.As(err, &pe) || pe.Param != "parent" || !errors.Is(err, aggregate.ErrUnknownBranch) {
		t.Errorf("staff of an unknown branch: %v", err)
	}
	// A known branch without stores: an empty table.
	if l, err := e.UnitLeague(ctx, "agent", "GD-SZ", "2026-10", ""); err != nil || len(l.Units) != 0 || l.Units == nil {
		t.Errorf("agents of GD-SZ: %+v, %v (want an empty list)", l, err)
	}

	// Bad input: a ParamError naming the parameter.
	for _, c := range []struct{ kind, parent, period, metric, param string }{
		{"clerk", "GD-SZ", "2026-10", "", "unit"},
		{"store", "GD-SZ", "2026-10", "fcr", "metric"},
		{"manager", "GD-SZ", "2026-10", "satisfaction", "metric"},
		{"store", "GD-SZ", "2026-10", "nps", "metric"},
		{"store", "store:S1", "2026-10", "", "parent"},
		{"staff", "store:S 1", "2026-10", "", "parent"},
		{"staff", "S1", "2026-10", "", "parent"},
		{"store", "gd-sz", "2026-10", "", "parent"},
		{"store", "GD-SZ", "2026-13", "", "period"},
	} {
		_, err := e.UnitLeague(ctx, c.kind, c.parent, c.period, c.metric)
		var pe *aggregate.ParamError
		if !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("UnitLeague(%q, %q, %q, %q): %v, want a ParamError on %s", c.kind, c.parent, c.period, c.metric, err, c.param)
		}
	}

	// A unit's trend: the 12 months ending at the period's last month, oldest first; only
	// October has ratings.
	tr, err := e.UnitTrend(ctx, "store", "S1", "2026-Q4")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 12 || tr[0].Period != "2026-01" || tr[11].Period != "2026-12" || tr[9].Ratings != 10 || tr[10].Ratings != 0 || tr[0].Ratings != 0 {
		t.Errorf("trend of S1 to 2026-Q4: %d cards, %+v", len(tr), tr)
	}
	// Months after October place S1 by its October placement.
	if tr[11].Branch != "GD-SZ-NS" {
		t.Errorf("S1 in 2026-12 placed at %q, want GD-SZ-NS", tr[11].Branch)
	}
}
