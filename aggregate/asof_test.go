package aggregate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestAsOfNowEqualsLive checks that reading the raw tables as of now (the projector's SQL as
// subqueries) gives exactly the projections' statistics and cards.
func TestAsOfNowEqualsLive(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	phase2(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)
	now := e.AsOf(time.Now())
	for _, m := range []schema.Month{sep, oct} {
		live, err := e.AllData(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		asof, err := now.AllData(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != len(asof) {
			t.Errorf("%s: %d branches live, %d as of now", m, len(live), len(asof))
		}
		for b, d := range live {
			if diff := diffMonthData(asof[b], d); diff != "" {
				t.Errorf("%s %s: as of now differs from live: %s", m, b, diff)
			}
		}
	}
	for _, b := range []string{"GD-GZ-TH", "GD-GZ", "ALL"} {
		lc, err := e.Card(ctx, b, oct)
		if err != nil {
			t.Fatal(err)
		}
		ac, err := now.Card(ctx, b, oct)
		if err != nil {
			t.Fatal(err)
		}
		lj, _ := json.Marshal(lc)
		aj, _ := json.Marshal(ac)
		if string(lj) != string(aj) {
			t.Errorf("card %s: as of now\n%s\nlive\n%s", b, aj, lj)
		}
	}
}

// TestAsOfAndDiff inserts two batches with explicit ingestion times: as of the first moment
// the second batch is not seen, as of the second it is, and the scorecard diff lists it.
func TestAsOfAndDiff(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	at := ingestedAt
	cols := colsSurvey + ", ingested_at"
	insert(t, conn, "survey_responses", cols, at(t1,
		resp("a1", "GD-GZ-TH", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 1),
		resp("a2", "GD-GZ-TH", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 2))...)
	// Batch 2, ingested at t2: a late response (a3), a resend of a1 (not a change), a void of a2,
	// a hotline rating and a response in another province (outside GD).
	insert(t, conn, "survey_responses", cols, at(t2,
		resp("a3", "GD-GZ-TH", oct, "cmcc", 1, 1, both, []uint8{1, 1}, 0, 3),
		resp("a1", "GD-GZ-TH", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 4),
		resp("x1", "BJ-HD", oct, "cmcc", 1, 1, both, []uint8{1, 1}, 0, 5))...)
	insert(t, conn, "survey_voids", colsVoid+", ingested_at", at(t2, void("v9", "a2", 1))...)
	insert(t, conn, "hotline_feedback", colsHot+", ingested_at", at(t2, hot("h9", "GD-GZ", oct, 5, 1, 10, 1))...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := scorecardEngine(t, conn)

	c1, err := e.AsOf(t1).Card(ctx, "GD", oct)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Survey.Own.CSI.N != 2 {
		t.Errorf("as of t1: csi n = %d, want 2 (a1, a2)", c1.Survey.Own.CSI.N)
	}
	val(t, "as of t1 csi", c1.Survey.Own.CSI.Value, 100)
	if c1.Window.Hotline.N != 0 {
		t.Errorf("as of t1: hotline n = %d, want 0", c1.Window.Hotline.N)
	}
	// One second before t1, the first ingestion: no data as of then, refused.
	var pe *aggregate.ParamError
	if _, err := e.AsOf(t1.Add(-time.Second)).Card(ctx, "GD", oct); !errors.As(err, &pe) || pe.Param != "as_of" {
		t.Errorf("as of before the first ingested row: %v, want a ParamError on as_of", err)
	}
	c2, err := e.AsOf(t2).Card(ctx, "GD", oct)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Survey.Own.CSI.N != 2 { // a1 and a3; a2 voided
		t.Errorf("as of t2: csi n = %d, want 2 (a1, a3)", c2.Survey.Own.CSI.N)
	}
	val(t, "as of t2 csi", c2.Survey.Own.CSI.Value, 50)
	live, err := e.Card(ctx, "GD", oct)
	if err != nil {
		t.Fatal(err)
	}
	lj, _ := json.Marshal(live)
	aj, _ := json.Marshal(c2)
	if string(lj) != string(aj) {
		t.Errorf("as of t2 differs from live:\n%s\n%s", aj, lj)
	}
	// Alerts and scorecards as of t1 read the same cut.
	if _, err := e.AsOf(t1).Alerts(ctx, "GD", oct); err != nil {
		t.Fatal(err)
	}

	d, err := e.ScorecardDiff(ctx, "GD", "2026-10", t1, t2)
	if err != nil {
		t.Fatal(err)
	}
	if d.Components[0].Metric != "csi" {
		t.Fatalf("first component %s, want csi", d.Components[0].Metric)
	}
	val(t, "diff csi at a", d.Components[0].ValueA, 100)
	val(t, "diff csi at b", d.Components[0].ValueB, 50)
	got := map[string]string{}
	for _, ev := range d.Events {
		got[ev.EventID] = ev.Type
		if ev.Month != oct {
			t.Errorf("%s: month %s, want 2026-10", ev.EventID, ev.Month)
		}
		if !ev.IngestedAt.Equal(t2) {
			t.Errorf("%s: ingested %s, want %s", ev.EventID, ev.IngestedAt, t2)
		}
	}
	want := map[string]string{"a3": "survey_response", "v9": "survey_void", "h9": "hotline_feedback"}
	if len(got) != len(want) {
		t.Errorf("events %v, want %v (not the resend a1, not BJ's x1)", got, want)
	}
	for id, typ := range want {
		if got[id] != typ {
			t.Errorf("event %s: type %q, want %q", id, got[id], typ)
		}
	}
	if d.Counts["survey_response"] != 1 || d.Counts["survey_void"] != 1 || d.Counts["hotline_feedback"] != 1 || d.Truncated {
		t.Errorf("counts %v truncated %v, want one of each, not truncated", d.Counts, d.Truncated)
	}
	for _, ev := range d.Events {
		if ev.Type == "survey_void" && ev.Target != "a2" {
			t.Errorf("void target %q, want a2", ev.Target)
		}
	}
}

// ingestedAt appends ingestion time ts to each row (for the column list + ", ingested_at").
func ingestedAt(ts time.Time, rows ...[]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append(append([]any(nil), r...), ts)
	}
	return out
}

// TestScorecardDiffVoids: the diff counts and lists every void ingested in (A, B] once, also
// when two voids target one response and when a void is resent within (A, B]; a void resent
// after A that was first ingested before A is no change. (ClickHouse releases since late 2019
// keep one row per key on both sides of an ANY INNER JOIN, so a join of the voids to their
// targets with ANY drops voids that share a target.)
func TestScorecardDiffVoids(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	t3 := time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)
	insert(t, conn, "survey_responses", colsSurvey+", ingested_at", ingestedAt(t1,
		resp("a1", "GD-GZ-TH", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 1),
		resp("a2", "GD-GZ-TH", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 2),
		resp("a3", "GD-GZ-TH", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 3),
		resp("a4", "GD-GZ-TH", oct, "cmcc", 1, 1, both, []uint8{1, 1}, 0, 4))...)
	vcols := colsVoid + ", ingested_at"
	insert(t, conn, "survey_voids", vcols, ingestedAt(t1, void("v0", "a3", 1))...)
	// In (t1, t3]: two voids of a1 (v1, v2); v3 voids a2 and is sent twice; v0 is resent.
	insert(t, conn, "survey_voids", vcols, ingestedAt(t2,
		void("v1", "a1", 2), void("v2", "a1", 3), void("v3", "a2", 4), void("v0", "a3", 5))...)
	insert(t, conn, "survey_voids", vcols, ingestedAt(t3, void("v3", "a2", 6))...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := scorecardEngine(t, conn)

	d, err := e.ScorecardDiff(ctx, "GD", "2026-10", t1, t3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Components[0].Metric != "csi" {
		t.Fatalf("first component %s, want csi", d.Components[0].Metric)
	}
	// As of t1: a1, a2, a4 (a3 voided by v0): CSI (100+100+0)/3; as of t3 only a4 is left.
	val(t, "diff csi at a", d.Components[0].ValueA, 200.0/3)
	val(t, "diff csi at b", d.Components[0].ValueB, 0)
	if d.Counts["survey_void"] != 3 || len(d.Counts) != 1 || d.Truncated {
		t.Errorf("counts %v truncated %v, want survey_void 3 (v1, v2, v3) only, not truncated", d.Counts, d.Truncated)
	}
	type ev struct {
		id, target, at string
	}
	var got []ev
	for _, x := range d.Events {
		if x.Type != "survey_void" || x.Month != oct || x.Branch != "GD-GZ" {
			t.Errorf("%s: type %s month %s branch %s, want survey_void 2026-10 GD-GZ", x.EventID, x.Type, x.Month, x.Branch)
		}
		got = append(got, ev{x.EventID, x.Target, x.IngestedAt.Format(time.RFC3339)})
	}
	at2 := t2.Format(time.RFC3339)
	want := []ev{{"v1", "a1", at2}, {"v2", "a1", at2}, {"v3", "a2", at2}} // v3 first ingested at t2
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestAsOfRefusesAndCaches: a moment before 2000 or before the first ingested row is refused
// (the zero time means "no as-of" to AsOf; the API refuses it, TestAsOfParam); a result is
// computed once and served again while no row ingested up to the moment arrives, also when rows
// ingested after it do; a late batch stamped before the moment (a retried insert) is seen at
// once.
func TestAsOfRefusesAndCaches(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cols := colsSurvey + ", ingested_at"
	insert(t, conn, "survey_responses", cols, respAt("a1", 10, t1, 1))
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	e := aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil)

	for _, at := range []time.Time{time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), t1.Add(-time.Second)} {
		var pe *aggregate.ParamError
		if _, err := e.AsOf(at).Alerts(ctx, "GD", oct); !errors.As(err, &pe) || pe.Param != "as_of" {
			t.Errorf("alerts as of %s: %v, want a ParamError on as_of", at.Format(time.RFC3339), err)
		}
	}

	at := e.AsOf(t1.Add(time.Hour))
	card := func(want uint64) {
		t.Helper()
		c, err := at.Card(ctx, "GD", oct)
		if err != nil {
			t.Fatal(err)
		}
		if c.Survey.Own.CSI.N != want {
			t.Errorf("csi n %d, want %d", c.Survey.Own.CSI.N, want)
		}
	}
	card(1)
	card(1)
	if n := aggregate.AsOfComputations(e); n != 1 {
		t.Errorf("%d computations for two requests, want 1 (the second from the cache)", n)
	}
	insert(t, conn, "survey_responses", cols, respAt("a2", 1, t1.Add(2*time.Hour), 2)) // after the moment
	card(1)
	if n := aggregate.AsOfComputations(e); n != 1 {
		t.Errorf("%d computations after a row ingested after the moment, want 1", n)
	}
	insert(t, conn, "survey_responses", cols, respAt("a3", 1, t1.Add(time.Minute), 3)) // late, stamped before it
	card(2)
	if n := aggregate.AsOfComputations(e); n != 2 {
		t.Errorf("%d computations after a late row stamped before the moment, want 2", n)
	}
}

// TestAsOfCacheGuard: a fast as-of read takes a month with no dirty mark newer than its
// committed version to hold no row beyond that version's views, and bounds its scans by their
// stamps. A row that lands before its mark (ingest marks after the rows; a crash between them
// leaves the mark to the row's next copy) is missed by a read in between; once marked, a cached
// result that relied on the month is not served again, although the count of rows up to the
// moment is unchanged.
func TestAsOfCacheGuard(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cols := colsSurvey + ", ingested_at"
	insert(t, conn, "survey_responses", cols, respAt("g1", 10, t1, 1))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	e := aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil)
	at := e.AsOf(t1.Add(time.Hour))
	csiN := func() uint64 {
		t.Helper()
		c, err := at.Card(ctx, "GD", oct)
		if err != nil {
			t.Fatal(err)
		}
		return c.Survey.Own.CSI.N
	}
	pruned0, _ := aggregate.AsOfPruneCounts()
	if n := csiN(); n != 1 {
		t.Fatalf("csi n %d, want 1", n)
	}
	if pruned, _ := aggregate.AsOfPruneCounts(); pruned == pruned0 {
		t.Fatal("the read of a clean month was not bounded by its stamps")
	}
	// A late row stamped before the moment lands; its mark has not been written yet.
	insert(t, conn, "survey_responses", cols, respAt("g2", 1, t1.Add(time.Minute), 2))
	csiN() // computed again (the count changed), without the unmarked row
	before := aggregate.AsOfComputations(e)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	if n := csiN(); n != 2 {
		t.Errorf("csi n %d once the late row is marked, want 2", n)
	}
	if n := aggregate.AsOfComputations(e); n != before+1 {
		t.Errorf("%d computations after the mark, want %d: the cached result relied on the month being clean", n, before+1)
	}
	ref, err := e.AsOfReference(t1.Add(time.Hour)).Card(ctx, "GD", oct)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Survey.Own.CSI.N != 2 {
		t.Errorf("reference csi n %d, want 2", ref.Survey.Own.CSI.N)
	}
}

// TestRowsIngestedBy: the count that keys the as-of cache, which sums the partitions before the
// moment's month from system.parts, equals a count of the rows, for moments inside, between and
// around partitions, also after late rows land in an earlier month's partition and after merges.
func TestRowsIngestedBy(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	cols := colsSurvey + ", ingested_at"
	off := int64(0)
	add := func(at time.Time) {
		off++
		insert(t, conn, "survey_responses", cols, respAt(fmt.Sprint("r", off), 5, at, off))
	}
	base := time.Date(2026, 9, 30, 23, 0, 0, 0, time.UTC)
	for i := range 6 {
		add(base.Add(time.Duration(i) * 17 * 24 * time.Hour / 2)) // September to November
	}
	e := newEngine(t, conn)
	if local, err := aggregate.RawPartsLocal(ctx, e); err != nil || !local {
		t.Fatalf("a single server's raw tables: counted from system.parts %v (%v), want true", local, err)
	}
	check := func(when string) {
		t.Helper()
		for _, at := range []time.Time{base.Add(-time.Hour), base, base.Add(time.Hour), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)} {
			got, err := aggregate.RowsIngestedBy(ctx, e, at)
			if err != nil {
				t.Fatal(err)
			}
			var want uint64
			if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM survey_responses WHERE ingested_at <= toDateTime(%d)", at.Unix())).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: %d rows ingested by %s, want %d", when, got, at.Format(time.RFC3339), want)
			}
		}
	}
	check("as loaded")
	add(base.Add(-48 * time.Hour)) // late, in September's partition
	check("after a late row of an earlier month")
	exec(t, conn, "OPTIMIZE TABLE survey_responses FINAL")
	check("after merges")
}

// respAt is an October response of GD-GZ-TH with overall and both items x, ingested at at.
func respAt(id string, x uint8, at time.Time, off int64) []any {
	return append(resp(id, "GD-GZ-TH", oct, "cmcc", 1, x, both, []uint8{x, x}, 0, off), at)
}

func timeNow() time.Time { return time.Now() }

// TestScorecardDiffTargets: a diff between two moments separates the points the data changed
// (a late response) from those a target restatement issued between them changed.
func TestScorecardDiffTargets(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	cols := colsSurvey + ", ingested_at"
	// As of t1: two responses scoring 100 and 0 on both items (CSI 50); a late 100 arrives by t2
	// (CSI 200/3).
	insert(t, conn, "survey_responses", cols, ingestedAt(t1,
		resp("a1", "GD-GZ", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 1),
		resp("a2", "GD-GZ", oct, "cmcc", 1, 1, both, []uint8{1, 1}, 0, 2))...)
	insert(t, conn, "survey_responses", cols, ingestedAt(t2,
		resp("a3", "GD-GZ", oct, "cmcc", 1, 10, both, []uint8{10, 10}, 0, 3))...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// csi 10 points, β 0.5, floor 0; base 50 and challenge 100, restated on 2026-11-20 to base
	// 60, challenge 100 for October on.
	sc, err := kpi.ParseScorecard([]byte(`
base_share: 0.5
components:
  - metric: csi
    points: 10
    base: 50
    challenge: 100
    floor: 0
    targets:
      - {from: 2026-10, issued: 2026-11-20, base: 60}
`), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	e := aggregate.NewEngine(conn, cfg, testCatalog(), sc, nil)
	d, err := e.ScorecardDiff(ctx, "GD-GZ", "2026-10", t1, t2)
	if err != nil {
		t.Fatal(err)
	}
	// A: CSI 50 at base 50 → 5. B's data under A's targets: 200/3 → 10·(0.5 + 0.5·(50/3)/50)
	// = 5 + 5/3. B: under base 60: 10·(0.5 + 0.5·(20/3)/40) = 5 + 5/6.
	c := d.Components[0]
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	near("points A", c.PointsA, 5)
	near("points B", c.PointsB, 5+5.0/6)
	near("data change", c.DataChange, 5.0/3)
	near("target change", c.TargetChange, 5.0/6-5.0/3)
	near("total data change", d.DataChange, 5.0/3)
	near("total target change", d.TargetChange, 5.0/6-5.0/3)
	if !c.TargetsChanged || c.TargetsA.Base != 50 || c.TargetsB.Base != 60 {
		t.Errorf("targets A %+v B %+v changed %v, want base 50 → 60", c.TargetsA, c.TargetsB, c.TargetsChanged)
	}
	// Before the restatement was issued nothing of the change is the targets'.
	d, err = e.ScorecardDiff(ctx, "GD-GZ", "2026-10", t1, t1.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Components[0]; c.TargetChange != 0 || c.TargetsChanged || d.TargetChange != 0 {
		t.Errorf("diff before the restatement: %+v", c)
	}
}

// TestAsOfSurveyOnlySearches: an as-of read of the survey only (the parent and siblings a card's
// small-area estimates need) searches the survey's raw rows for the events that differ from its
// base, not every family's; and the card that makes such a read equals the reference path's.
func TestAsOfSurveyOnlySearches(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// Rows of every family after the committed versions, marked and not projected: every family's
	// correction must search (no stamp pruning for a dirty month).
	phase2(t, conn)
	insert(t, conn, "hotline_feedback", colsHot, hot("h9", "GD-GZ-TH", oct, 2, 0, 30, 20))
	insert(t, conn, "complaints_opened", colsOpen, []any{"o9", "GD-GZ-TH", uint32(oct), uint8(0), int32(0), int64(9)})
	insert(t, conn, "churn_events", colsChurn, []any{"ch9", "GD-GZ-TH", uint32(oct), "low", int32(0), int64(9)})
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyComplaints, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyChurn, Month: oct})
	e := newEngine(t, conn)
	at := time.Now().Add(time.Second)
	before := aggregate.AsOfSearches()
	if err := e.AsOf(at).LoadSurveyOnly(ctx, "GD-GZ", []schema.Month{oct}); err != nil {
		t.Fatal(err)
	}
	if got := aggregate.AsOfSearches() - before; got != 1 {
		t.Errorf("a survey-only as-of read searched %d raw tables, want 1 (survey_responses)", got)
	}
	fast, err := e.AsOf(at).Card(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := e.AsOfReference(at).Card(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if fj, rj := dump(fast), dump(ref); fj != rj {
		t.Errorf("as-of card differs from the reference path's:\nfast %s\nref  %s", fj, rj)
	}
	if fast.Window.Hotline.N != 3 {
		t.Errorf("as-of card hotline n = %d, want 3 (h1, h2, h9)", fast.Window.Hotline.N)
	}
}
