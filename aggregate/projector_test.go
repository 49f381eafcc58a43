package aggregate_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

const (
	sep = schema.Month(202609)
	oct = schema.Month(202610)
)

// testCatalog has two items of unequal weight, so the composite y and the CSI differ from a
// plain mean.
func testCatalog() schema.Catalog {
	return schema.Catalog{Items: []schema.Item{
		{Code: "network", Name: "网络质量", Weight: 2, Key: true},
		{Code: "voice", Name: "通话质量", Weight: 1, Key: true},
	}}
}

func rs(x float64) float64 { return (x - 1) * 100 / 9 }

// exec runs statements, failing the test on error.
func exec(t testing.TB, conn driver.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("exec %.80s…: %v", s, err)
		}
	}
}

func mark(t testing.TB, conn driver.Conn, marks ...aggregate.DirtyMark) {
	t.Helper()
	if err := aggregate.MarkDirty(context.Background(), conn, marks); err != nil {
		t.Fatalf("MarkDirty: %v", err)
	}
}

// insert appends rows to table through a batch (18.16 needs the named column list; inline
// VALUES in Exec are not supported by the native protocol there).
func insert(t testing.TB, conn driver.Conn, table, cols string, rows ...[]any) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), "INSERT INTO "+table+" ("+cols+")")
	if err != nil {
		t.Fatalf("prepare insert into %s: %v", table, err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			t.Fatalf("append to %s: %v", table, err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

func day(d int) time.Time { return time.Date(2026, 10, d, 2, 0, 0, 0, time.UTC) }

const (
	colsSurvey = "event_id, branch_id, month, occurred_at, carrier, weight, overall, item_codes, item_scores, kafka_partition, kafka_offset"
	colsVoid   = "event_id, branch_id, month, target_event_id, kafka_partition, kafka_offset"
	colsHot    = "event_id, branch_id, month, rating, resolved, wait_seconds, kafka_partition, kafka_offset"
	colsStore  = "event_id, branch_id, month, rating, wait_seconds, kafka_partition, kafka_offset"
	colsOpen   = "event_id, branch_id, month, escalated, kafka_partition, kafka_offset"
	colsClose  = "event_id, branch_id, month, resolution_hours, satisfied, kafka_partition, kafka_offset"
	colsChurn  = "event_id, branch_id, month, tier, kafka_partition, kafka_offset"
	colsBase   = "event_id, branch_id, month, occurred_at, subscribers, has_tiers, tier_high, tier_mid, tier_low, kafka_partition, kafka_offset"
)

func resp(id, branch string, m schema.Month, carrier string, w float64, overall uint8, codes []string, scores []uint8, part int32, off int64) []any {
	return []any{id, branch, uint32(m), day(3), carrier, w, overall, codes, scores, part, off}
}

func void(id, target string, off int64) []any {
	return []any{id, "GD-GZ", uint32(oct), target, int32(0), off}
}

func hot(id, branch string, m schema.Month, rating, resolved uint8, wait uint32, off int64) []any {
	return []any{id, branch, uint32(m), rating, resolved, wait, int32(0), off}
}

func base(id, branch string, d int, subs, h, m, l uint64, off int64) []any {
	return []any{id, branch, uint32(oct), day(d), subs, uint8(1), h, m, l, int32(0), off}
}

var (
	both = []string{"network", "voice"}
	net  = []string{"network"}
)

// phase1 is the first batch of the fixture: county GD-GZ-TH, its city GD-GZ (which also names
// events of its own), province GD; a second county GD-GZ-BY has only a subscriber snapshot.
func phase1(t testing.TB, conn driver.Conn) {
	insert(t, conn, "survey_responses", colsSurvey,
		resp("r1", "GD-GZ-TH", oct, "cmcc", 2, 10, both, []uint8{10, 1}, 0, 1),
		resp("r1", "GD-GZ-TH", oct, "cmcc", 2, 10, both, []uint8{10, 1}, 0, 7), // a resend
		// r2 also answered "billing", an item the catalog no longer has: it is ignored, and
		// network keeps its own score.
		resp("r2", "GD-GZ-TH", oct, "cmcc", 1, 0, []string{"billing", "network"}, []uint8{9, 4}, 0, 2),
		resp("r3", "GD-GZ", oct, "cmcc", 3, 7, []string{"voice"}, []uint8{7}, 0, 3),
		resp("r4", "GD-GZ", oct, "ctcc", 1, 5, both, []uint8{1, 10}, 1, 1),
		resp("r5", "GD-GZ-TH", oct, "cmcc", 5, 1, both, []uint8{1, 1}, 1, 2),
		resp("r6", "GD-GZ", oct, "ctcc", 2, 10, net, []uint8{10}, 1, 3),
	)
	// v1 voids r5 and is present before r5's first recompute; v3 voids r8, which arrives only
	// in phase 2 (a void before its response).
	insert(t, conn, "survey_voids", colsVoid, void("v1", "r5", 1), void("v3", "r8", 3))
	insert(t, conn, "hotline_feedback", colsHot,
		hot("h1", "GD-GZ-TH", oct, 5, 1, 10, 1), hot("h1", "GD-GZ-TH", oct, 5, 1, 10, 9),
		hot("h2", "GD-GZ-TH", oct, 3, 0, 25, 2), hot("h3", "GD-GZ-TH", sep, 4, 1, 20, 3))
	insert(t, conn, "store_feedback", colsStore, []any{"s1", "GD-GZ", uint32(oct), uint8(4), uint32(100), int32(0), int64(1)})
	insert(t, conn, "complaints_opened", colsOpen,
		[]any{"o1", "GD-GZ-TH", uint32(oct), uint8(1), int32(0), int64(1)},
		[]any{"o2", "GD-GZ", uint32(oct), uint8(0), int32(0), int64(2)})
	insert(t, conn, "complaints_closed", colsClose,
		[]any{"k1", "GD-GZ-TH", uint32(oct), 10.0, int8(1), int32(0), int64(1)},
		[]any{"k1", "GD-GZ-TH", uint32(oct), 10.0, int8(1), int32(0), int64(5)},
		[]any{"k2", "GD-GZ", uint32(oct), 60.0, int8(-1), int32(0), int64(2)})
	insert(t, conn, "churn_events", colsChurn,
		[]any{"ch1", "GD-GZ-TH", uint32(oct), "high", int32(0), int64(1)},
		[]any{"ch1", "GD-GZ-TH", uint32(oct), "high", int32(0), int64(4)},
		[]any{"ch2", "GD-GZ-TH", uint32(oct), "mid", int32(0), int64(2)},
		[]any{"ch3", "GD-GZ", uint32(oct), "low", int32(0), int64(3)})
	insert(t, conn, "subscriber_bases", colsBase,
		base("b1", "GD-GZ-TH", 1, 1000, 100, 300, 600, 1),
		base("b3", "GD-GZ-BY", 1, 800, 50, 150, 600, 2))
	mark(t, conn,
		aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: sep},
		aggregate.DirtyMark{Family: aggregate.FamilyComplaints, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyChurn, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyBase, Month: oct},
	)
}

// phase2 arrives after the first refresh: a void of an already projected response, a late
// response of the past month, a response voided before it arrived, and a later snapshot that
// replaces b1.
func phase2(t testing.TB, conn driver.Conn) {
	// Offset 4: ingest writes a partition's offsets in order (the offsets present are a prefix
	// of those sent), which the views of a recompute rely on; phase 1 wrote 1 and 3.
	insert(t, conn, "survey_voids", colsVoid, void("v2", "r6", 4))
	insert(t, conn, "survey_responses", colsSurvey,
		resp("r7", "GD-GZ-TH", sep, "cmcc", 1, 0, net, []uint8{10}, 0, 4),
		resp("r8", "GD-GZ-TH", oct, "cmcc", 9, 1, both, []uint8{1, 1}, 0, 5)) // voided by v3 of phase 1
	insert(t, conn, "subscriber_bases", colsBase, base("b2", "GD-GZ-TH", 5, 1200, 150, 350, 700, 3))
	mark(t, conn,
		aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: sep},
		aggregate.DirtyMark{Family: aggregate.FamilyBase, Month: oct},
	)
}

func newProjector(conn driver.Conn) *aggregate.Projector {
	// FullEvery: every refresh after the first folds the rows added into the committed version
	// (Rebuild recomputes from the raw rows): the tests that compare refreshes with rebuilds
	// check the incremental recompute.
	return aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: testCatalog(), SLAHours: 48, Frontline: true, FullEvery: time.Hour}, nil, nil)
}

func newEngine(t testing.TB, conn driver.Conn) *aggregate.Engine {
	t.Helper()
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	return aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil)
}

func approx(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func momentsEqual(a, b kpi.Moments) bool {
	return a.N == b.N && approx(a.SW, b.SW) && approx(a.SW2, b.SW2) && approx(a.SWX, b.SWX) && approx(a.SWX2, b.SWX2)
}

// mo builds Moments from (w, x) pairs.
func mo(pairs ...[2]float64) kpi.Moments {
	var m kpi.Moments
	for _, p := range pairs {
		w, x := p[0], p[1]
		m = m.Add(kpi.Moments{N: 1, SW: w, SW2: w * w, SWX: w * x, SWX2: w * x * x})
	}
	return m
}

func wx(w, x float64) [2]float64 { return [2]float64{w, x} }

func TestProjectorFixture(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	p := newProjector(conn)
	e := newEngine(t, conn)

	phase1(t, conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	// After phase 1, r6 counts (its void has not arrived yet).
	d, err := e.MonthData(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Survey["ctcc"]["network"], mo(wx(1, rs(1)), wx(2, rs(10))); !momentsEqual(got, want) {
		t.Errorf("phase 1: GD-GZ ctcc network = %+v, want %+v", got, want)
	}

	phase2(t, conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}

	y1 := (2*rs(10) + 1*rs(1)) / 3 // r1's composite
	y2 := rs(4)                    // r2 answered network only
	y4 := (2*rs(1) + 1*rs(10)) / 3 // r4
	county := kpi.SurveyStats{"cmcc": {
		"network":       mo(wx(2, rs(10)), wx(1, rs(4))),
		"voice":         mo(wx(2, rs(1))),
		kpi.ItemCSI:     mo(wx(2, y1), wx(1, y2)),
		kpi.ItemOverall: mo(wx(2, rs(10))),
	}}
	city := kpi.SurveyStats{
		"cmcc": {
			"network":       mo(wx(2, rs(10)), wx(1, rs(4))),
			"voice":         mo(wx(2, rs(1)), wx(3, rs(7))),
			kpi.ItemCSI:     mo(wx(2, y1), wx(1, y2), wx(3, rs(7))),
			kpi.ItemOverall: mo(wx(2, rs(10)), wx(3, rs(7))),
		},
		"ctcc": { // r6 is voided by v2, which arrived after r6 was first projected
			"network":       mo(wx(1, rs(1))),
			"voice":         mo(wx(1, rs(10))),
			kpi.ItemCSI:     mo(wx(1, y4)),
			kpi.ItemOverall: mo(wx(1, rs(5))),
		},
	}
	cityWindow := kpi.Window{HotlineN: 2, HotlineSatisfied: 1, HotlineResolved: 1, HotlineWaitSum: 35, HotlineSL20: 1,
		StoreN: 1, StoreSatisfied: 1, StoreWaitSum: 100}
	cityComplaints := kpi.Complaints{Opened: 2, Escalated: 1, Closed: 2, ClosedWithinSLA: 1, ResolutionHoursSum: 70, CallbackN: 1, CallbackSatisfied: 1}
	sumBase := &kpi.Base{Subscribers: 2000, Tiers: &kpi.Tiers{High: 200, Mid: 500, Low: 1300}}
	want := map[string]kpi.MonthData{
		"GD-GZ-TH": {
			Survey:     county,
			Window:     kpi.Window{HotlineN: 2, HotlineSatisfied: 1, HotlineResolved: 1, HotlineWaitSum: 35, HotlineSL20: 1},
			Complaints: kpi.Complaints{Opened: 1, Escalated: 1, Closed: 1, ClosedWithinSLA: 1, ResolutionHoursSum: 10, CallbackN: 1, CallbackSatisfied: 1},
			Churn:      kpi.ChurnCounts{Churned: 2, High: 1, Mid: 1},
			Base:       &kpi.Base{Subscribers: 1200, Tiers: &kpi.Tiers{High: 150, Mid: 350, Low: 700}}, // b2 replaces b1
		},
		"GD-GZ-BY": {Base: &kpi.Base{Subscribers: 800, Tiers: &kpi.Tiers{High: 50, Mid: 150, Low: 600}}},
		"GD-GZ":    {Survey: city, Window: cityWindow, Complaints: cityComplaints, Churn: kpi.ChurnCounts{Churned: 3, High: 1, Mid: 1, Low: 1}, Base: sumBase},
		"GD":       {Survey: city, Window: cityWindow, Complaints: cityComplaints, Churn: kpi.ChurnCounts{Churned: 3, High: 1, Mid: 1, Low: 1}, Base: sumBase},
		"ALL":      {Survey: city, Window: cityWindow, Complaints: cityComplaints, Churn: kpi.ChurnCounts{Churned: 3, High: 1, Mid: 1, Low: 1}, Base: sumBase},
	}
	for branch, w := range want {
		got, err := e.MonthData(ctx, branch, oct)
		if err != nil {
			t.Fatalf("MonthData(%s): %v", branch, err)
		}
		if diff := diffMonthData(got, w); diff != "" {
			t.Errorf("MonthData(%s, 2026-10): %s", branch, diff)
		}
	}
	// The late response lands in September, beside September's hotline rating.
	gotSep, err := e.MonthData(ctx, "GD", sep)
	if err != nil {
		t.Fatal(err)
	}
	wantSep := kpi.MonthData{
		Survey: kpi.SurveyStats{"cmcc": {"network": mo(wx(1, 100)), kpi.ItemCSI: mo(wx(1, 100))}},
		Window: kpi.Window{HotlineN: 1, HotlineSatisfied: 1, HotlineResolved: 1, HotlineWaitSum: 20, HotlineSL20: 1},
	}
	if diff := diffMonthData(gotSep, wantSep); diff != "" {
		t.Errorf("MonthData(GD, 2026-09): %s", diff)
	}

	// Children and the whole tree agree with the point lookups.
	kids, err := e.ChildrenData(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != 2 {
		t.Errorf("ChildrenData(GD-GZ) has %d branches, want 2 (GD-GZ-TH, GD-GZ-BY)", len(kids))
	}
	for b, d := range kids {
		if diff := diffMonthData(d, want[b]); diff != "" {
			t.Errorf("ChildrenData(GD-GZ)[%s]: %s", b, diff)
		}
	}
	all, err := e.AllData(ctx, oct)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) {
		t.Errorf("AllData has %d branches, want %d", len(all), len(want))
	}
	for b, d := range all {
		if diff := diffMonthData(d, want[b]); diff != "" {
			t.Errorf("AllData[%s]: %s", b, diff)
		}
	}
}

// diffMonthData describes how got differs from want ("" when equal, floats to 1e-9).
func diffMonthData(got, want kpi.MonthData) string {
	var d []string
	carriers := map[string]bool{}
	for c := range got.Survey {
		carriers[c] = true
	}
	for c := range want.Survey {
		carriers[c] = true
	}
	for c := range carriers {
		items := map[string]bool{}
		for i := range got.Survey[c] {
			items[i] = true
		}
		for i := range want.Survey[c] {
			items[i] = true
		}
		for i := range items {
			if g, w := got.Survey[c][i], want.Survey[c][i]; !momentsEqual(g, w) {
				d = append(d, fmt.Sprintf("survey %s %s = %+v, want %+v", c, i, g, w))
			}
		}
	}
	if got.Window != want.Window {
		d = append(d, fmt.Sprintf("window = %+v, want %+v", got.Window, want.Window))
	}
	gc, wc := got.Complaints, want.Complaints
	gc.ResolutionHoursSum, wc.ResolutionHoursSum = 0, 0
	if gc != wc || !approx(got.Complaints.ResolutionHoursSum, want.Complaints.ResolutionHoursSum) {
		d = append(d, fmt.Sprintf("complaints = %+v, want %+v", got.Complaints, want.Complaints))
	}
	if got.Churn != want.Churn {
		d = append(d, fmt.Sprintf("churn = %+v, want %+v", got.Churn, want.Churn))
	}
	if !reflect.DeepEqual(got.Base, want.Base) {
		d = append(d, fmt.Sprintf("base = %s, want %s", baseString(got.Base), baseString(want.Base)))
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}

func baseString(b *kpi.Base) string {
	if b == nil {
		return "nil"
	}
	if b.Tiers == nil {
		return fmt.Sprintf("{%d no tiers}", b.Subscribers)
	}
	return fmt.Sprintf("{%d %+v}", b.Subscribers, *b.Tiers)
}

// versions reads the committed version of every (family, month).
func versions(t testing.TB, conn driver.Conn) map[string]uint64 {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT family, month, max(version) FROM kpi_versions GROUP BY family, month")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var (
			f string
			m uint32
			v uint64
		)
		if err := rows.Scan(&f, &m, &v); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s/%d", f, m)] = v
	}
	return out
}

func TestRefreshStaleDetection(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	p := newProjector(conn)
	phase1(t, conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v1 := versions(t, conn)
	if len(v1) != 7 { // the five families' marks, and drivers with survey
		t.Fatalf("after the first refresh %d (family, month) are committed, want 7: %v", len(v1), v1)
	}
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if v2 := versions(t, conn); !reflect.DeepEqual(v1, v2) {
		t.Errorf("a refresh without new marks recomputed: %v → %v", v1, v2)
	}
	time.Sleep(time.Millisecond)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v3 := versions(t, conn)
	for k, v := range v1 {
		changed := v3[k] != v
		if wantChanged := k == "window/202610"; changed != wantChanged {
			t.Errorf("%s: recomputed = %v, want %v", k, changed, wantChanged)
		}
	}
	// Each month keeps its committed version and the one that version superseded (for reads in
	// flight); a further recompute drops the older one.
	checkVersions(t, conn, v3, v1)
	time.Sleep(time.Millisecond)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v4 := versions(t, conn)
	if v4["window/202610"] == v3["window/202610"] {
		t.Fatal("the third window recompute did not commit a new version")
	}
	checkVersions(t, conn, v4, v3)
}

// checkVersions fails unless every projection table holds, per month, exactly the committed
// version of cur and, where it differs, the previous committed version of prev.
func checkVersions(t *testing.T, conn driver.Conn, cur, prev map[string]uint64) {
	t.Helper()
	for _, tbl := range []string{"kpi_survey", "kpi_window", "kpi_complaints", "kpi_churn", "kpi_base", "kpi_drivers"} {
		rows, err := conn.Query(context.Background(), "SELECT month, arraySort(groupUniqArray(version)) FROM "+tbl+" GROUP BY month")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var (
				m  uint32
				vs []uint64
			)
			if err := rows.Scan(&m, &vs); err != nil {
				t.Fatal(err)
			}
			k := fmt.Sprintf("%s/%d", strings.TrimPrefix(tbl, "kpi_"), m)
			want := []uint64{cur[k]}
			if p, ok := prev[k]; ok && p != cur[k] {
				want = []uint64{p, cur[k]}
			}
			if !reflect.DeepEqual(vs, want) {
				t.Errorf("%s month %d holds versions %v, want %v", tbl, m, vs, want)
			}
		}
		rows.Close()
	}
}

// TestRebuildMatchesIncremental checks that recomputing everything from the raw tables after the
// projections are lost gives the numbers of the incremental path.
// matchesRebuild checks that the projections of September and October, as p's refreshes left
// them, equal those of a rebuild from the raw rows (which replaces them), and returns them.
func matchesRebuild(t *testing.T, conn driver.Conn, e *aggregate.Engine, p *aggregate.Projector) map[schema.Month]map[string]kpi.MonthData {
	t.Helper()
	ctx := context.Background()
	snapshot := func() map[schema.Month]map[string]kpi.MonthData {
		out := map[schema.Month]map[string]kpi.MonthData{}
		for _, m := range []schema.Month{sep, oct} {
			all, err := e.AllData(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			out[m] = all
		}
		return out
	}
	incremental := snapshot()
	for _, tbl := range []string{"kpi_survey", "kpi_window", "kpi_complaints", "kpi_churn", "kpi_base", "kpi_drivers", "kpi_versions", "kpi_dirty"} {
		exec(t, conn, "TRUNCATE TABLE "+tbl)
	}
	if err := p.Rebuild(ctx, 0); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	rebuilt := snapshot()
	for m, bs := range rebuilt {
		if len(incremental[m]) != len(bs) {
			t.Errorf("%s: incremental has %d branches, rebuilt %d", m, len(incremental[m]), len(bs))
		}
		for b, d := range bs {
			if diff := diffMonthData(incremental[m][b], d); diff != "" {
				t.Errorf("%s %s: incremental differs from rebuilt: %s", m, b, diff)
			}
		}
	}
	return incremental
}

func TestRebuildMatchesIncremental(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	p := newProjector(conn)
	e := newEngine(t, conn)
	phase1(t, conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	phase2(t, conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	matchesRebuild(t, conn, e, p)
	// Rebuild of one month only recomputes that month.
	before := versions(t, conn)
	if err := p.Rebuild(ctx, sep); err != nil {
		t.Fatal(err)
	}
	after := versions(t, conn)
	for k, v := range before {
		if changed, want := after[k] != v, strings.HasSuffix(k, "/202609"); changed != want {
			t.Errorf("Rebuild(2026-09): %s recomputed = %v, want %v", k, changed, want)
		}
	}
}
