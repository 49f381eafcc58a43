package aggregate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

const testSchemes = `
schemes:
  - name: shop
    unit: store
    parts:
      - name: service
        points: 40
        components:
          - {metric: satisfaction, weight: 1, scale: {min: 0, max: 100}}
          - {metric: inspection.province, weight: 1, scale: {min: 0, max: 100}}
      - name: sales
        points: 60
        components:
          - {metric: "score:sales", weight: 1, scale: {min: 0, max: 100}}
  - name: clerk
    unit: staff
    role: clerk
    parts:
      - {name: team, points: 20, components: [{metric: "team:score", weight: 1, scale: {min: 0, max: 100}}]}
      - name: personal
        points: 80
        components:
          - {metric: satisfaction, points: 50, scale: {min: 0, max: 100}}
          - {metric: complaints, points: 30, scale: {min: 0, max: 2}}
  - name: duty
    unit: staff
    role: duty_manager
    aliases: [值班长]
    parts:
      - {name: team, points: 50, components: [{metric: "team:score", weight: 1, scale: {min: 0, max: 100}}]}
      - name: personal
        points: 50
        components:
          - {metric: "team:satisfaction", weight: 1, scale: {min: 0, max: 100}}
          - {metric: satisfaction, weight: 1, scale: {min: 0, max: 100}}
  - name: agent
    unit: agent
    parts:
      - {name: personal, points: 70, components: [{metric: fcr, weight: 1, scale: {min: 0, max: 100}}]}
      - {name: team, points: 30, components: [{metric: "team:hotline_satisfaction", weight: 1, scale: {min: 0, max: 100}}]}
`

// TestUnitScores scores a hand-made October of two stores, their staff and an agent on a real
// server (SPEC §5.2, §5.5), with CSAT_MIN_SAMPLE 3, against hand-computed totals.
func TestUnitScores(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	const nov = schema.Month(202611)
	sf := func(id, st, staff string, rating uint8, d int, off int64) []any {
		return []any{id, "GD-GZ-TH", uint32(oct), day(d), st, staff, rating, uint32(30), int32(0), off}
	}
	insert(t, conn, "store_feedback", "event_id, branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset",
		sf("f1", "S1", "E1", 5, 2, 1), sf("f2", "S1", "E1", 4, 3, 2), sf("f3", "S1", "E1", 2, 4, 3), sf("f4", "S1", "E2", 5, 5, 4),
		sf("f5", "S2", "E3", 1, 2, 5), sf("f6", "S2", "E3", 4, 3, 6))
	insert(t, conn, "inspections", "event_id, branch_id, month, occurred_at, store_id, staff_id, kind, published_by, score, kafka_partition, kafka_offset",
		[]any{"i1", "GD-GZ-TH", uint32(oct), day(6), "S1", "", "mystery", "province", 80.0, int32(0), int64(1)})
	insert(t, conn, "complaints_opened", "event_id, branch_id, month, occurred_at, store_id, staff_id, agent_id, manager_id, kafka_partition, kafka_offset",
		[]any{"c1", "GD-GZ-TH", uint32(oct), day(1), "S1", "E1", "", "", int32(0), int64(1)})
	ho := func(id string, rating, resolved uint8, off int64) []any {
		return []any{id, "GD-GZ-TH", uint32(oct), day(4), "A1", rating, resolved, uint32(10), uint32(100), int32(0), off}
	}
	insert(t, conn, "hotline_feedback", "event_id, branch_id, month, occurred_at, agent_id, rating, resolved, wait_seconds, handle_seconds, kafka_partition, kafka_offset",
		ho("h1", 5, 1, 1), ho("h2", 2, 0, 2), ho("h3", 4, 1, 3))
	sr := func(id string, m schema.Month, d int, v float64, off int64) []any {
		return []any{id, "GD-GZ-TH", uint32(m), day(d), "store", "S1", "sales", v, int32(0), off}
	}
	insert(t, conn, "scores_reported", "event_id, branch_id, month, occurred_at, subject_kind, subject_id, component, value, kafka_partition, kafka_offset",
		sr("s1", oct, 3, 50, 1), sr("s2", oct, 5, 70, 2), sr("s3", oct, 5, 60, 3), sr("s1", oct, 3, 50, 4), sr("s9", nov, 9, 90, 5))
	adj := func(id, kind, unit string, m schema.Month, points float64, reason, ref string, off int64) []any {
		return []any{id, "GD-GZ-TH", uint32(m), day(7), kind, unit, points, reason, ref, int32(0), off}
	}
	void := func(id, target string, off int64) []any {
		return []any{id, "GD-GZ-TH", uint32(oct), day(8), target, "entered in error", int32(0), off}
	}
	// v1 retracts a2 and is ingested before it; v2 retracts a4 after it.
	insert(t, conn, "adjustment_voids", "event_id, branch_id, month, occurred_at, target_event_id, reason, kafka_partition, kafka_offset", void("v1", "a2", 1))
	insert(t, conn, "adjustments", "event_id, branch_id, month, occurred_at, subject_kind, subject_id, points, reason, ref, kafka_partition, kafka_offset",
		adj("a1", "store", "S1", oct, 5, "praise letter", "R1", 1), adj("a2", "store", "S1", oct, -3, "fire exit blocked", "", 2),
		adj("a3", "staff", "E1", oct, -2, "late", "", 3), adj("a3", "staff", "E1", oct, -2, "late", "", 4),
		adj("a4", "staff", "E1", oct, 1, "helped a colleague", "", 5), adj("a5", "store", "S1", nov, 10, "campaign won", "", 6))
	insert(t, conn, "adjustment_voids", "event_id, branch_id, month, occurred_at, target_event_id, reason, kafka_partition, kafka_offset", void("v2", "a4", 2))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := kpi.ParseFrontlineSchemes([]byte(testSchemes), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	roster, err := kpi.ParseRoster([]byte("E2: 值班长\n"), fs)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 3
	e := aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil).WithFrontline(fs, roster)

	type comp struct {
		points  float64
		flagged bool
	}
	check := func(t *testing.T, s kpi.UnitScore, total, adjusted float64, comps map[string]comp, adjs ...string) {
		t.Helper()
		if !approx(s.Total, total) || !approx(s.AdjustedTotal, adjusted) {
			t.Errorf("%s %s: total %v adjusted %v, want %v %v", s.Kind, s.Unit, s.Total, s.AdjustedTotal, total, adjusted)
		}
		for _, p := range s.Parts {
			for _, c := range p.Components {
				w, ok := comps[c.Component]
				if !ok || !approx(c.Points, w.points) || c.Flagged != w.flagged {
					t.Errorf("%s %s: %s points %v flagged %v (%s), want %+v", s.Kind, s.Unit, c.Component, c.Points, c.Flagged, c.Reason, w)
				}
			}
		}
		var got []string
		for _, a := range s.Adjustments {
			got = append(got, a.EventID)
		}
		if strings.Join(got, ",") != strings.Join(adjs, ",") {
			t.Errorf("%s %s: adjustments %v, want %v", s.Kind, s.Unit, got, adjs)
		}
	}

	// Stores of GD-GZ-TH: S1 3 of 4 satisfied (75, reportable), S2 1 of 2 (50, n 2 < 3). Their
	// pooled p̄ = 100·4/6 = 66.667; Σn(p − p̄)²/Σn = (4·8.333² + 2·16.667²)/6 = 138.9 < J·p̄(100 −
	// p̄)/Σn = 2·2222.2/6 = 740.7: τ² = 0, so S2 is scored by p̄ = 66.667.
	// S1: service 40 in halves: satisfaction 20·0.75 = 15, province inspection 20·0.8 = 16;
	// sales 60: s2 and s3 share the latest occurred_at, s3 (the greater event_id) wins: 60,
	// 60·0.6 = 36 (s1's resend changes nothing). Total 67; a1 +5 (a2 voided before it arrived):
	// 72.
	// S2: satisfaction 20·0.66667 = 13.333 (flagged), no inspection and no sales score: 0 and
	// flagged. Total 13.333.
	stores, err := e.UnitScores(ctx, "store", "GD-GZ", "2026-10")
	if err != nil || len(stores) != 2 {
		t.Fatalf("UnitScores(store, GD-GZ): %+v, %v", stores, err)
	}
	check(t, stores[0], 67, 72, map[string]comp{"satisfaction": {15, false}, "inspection.province": {16, false}, "score:sales": {36, false}}, "a1")
	check(t, stores[1], 40.0/3, 40.0/3, map[string]comp{"satisfaction": {40.0 / 3, true}, "inspection.province": {0, true}, "score:sales": {0, true}})
	if s := stores[0]; s.Scheme != "shop" || s.Branch != "GD-GZ-TH" || s.Max != 100 || s.Adjustments[0].Reason != "praise letter" ||
		s.Adjustments[0].Ref != "R1" || s.Adjustments[0].Points != 5 || s.Adjustments[0].Period != oct {
		t.Errorf("S1 header %+v", s)
	}

	// Staff of S1: E1 2 of 3 (66.667, reportable), E2 1 of 1 (unreportable). p̄ = 75;
	// Σn(p − p̄)²/Σn = (3·8.333² + 1·25²)/4 = 208.3 < 2·75·25/4 = 937.5: τ² = 0, E2 smoothed 75.
	// E1 (clerk, not in the roster): team:score = S1's adjusted 72: 20·0.72 = 14.4; satisfaction
	// 50·0.66667 = 33.333; complaints 1 (c1), lower, scale 0–2: 30·1/2 = 15. Total 62.733; a3
	// −2 (resent, counted once), a4 voided after it arrived: 60.733.
	// E2 (值班长 → duty_manager): team:score 50·0.72 = 36; team:satisfaction S1's 75: 25·0.75 =
	// 18.75; satisfaction smoothed 75: 18.75, flagged. Total 73.5.
	staff, err := e.UnitScores(ctx, "staff", "S1", "2026-10")
	if err != nil || len(staff) != 2 {
		t.Fatalf("UnitScores(staff, S1): %+v, %v", staff, err)
	}
	check(t, staff[0], 14.4+100.0/3+15, 14.4+100.0/3+13, map[string]comp{"team:score": {14.4, false}, "satisfaction": {100.0 / 3, false}, "complaints": {15, false}}, "a3")
	check(t, staff[1], 73.5, 73.5, map[string]comp{"team:score": {36, false}, "team:satisfaction": {18.75, false}, "satisfaction": {18.75, true}})
	if staff[0].Role != "clerk" || staff[0].Scheme != "clerk" || staff[1].Role != "duty_manager" || staff[1].Scheme != "duty" || staff[1].Store != "S1" {
		t.Errorf("roles %s/%s %s/%s", staff[0].Role, staff[0].Scheme, staff[1].Role, staff[1].Scheme)
	}

	// E3 alone: the only staff member of S2 (J = 1, τ² = 0): smoothed 50. team:score = S2's
	// 13.333: 20·0.13333 = 2.6667; satisfaction 50·0.5 = 25, flagged; no complaints: 30.
	e3, err := e.UnitScore(ctx, "staff", "E3", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	check(t, e3, 2.0/0.75+55, 2.0/0.75+55, map[string]comp{"team:score": {2.0 / 0.75, false}, "satisfaction": {25, true}, "complaints": {30, false}})

	// One unit's score equals its line of the batch.
	if e1, err := e.UnitScore(ctx, "staff", "E1", "2026-10"); err != nil || !approx(e1.AdjustedTotal, staff[0].AdjustedTotal) {
		t.Errorf("UnitScore(E1) %+v, %v; want adjusted %v", e1, err, staff[0].AdjustedTotal)
	}

	// A1: fcr 2 of 3 resolved, 70·0.66667 = 46.667; team: GD-GZ-TH's hotline satisfaction (h1
	// 5, h3 4 of 3 ratings: 66.667, n 3 reportable): 30·0.66667 = 20. Total 66.667.
	a1, err := e.UnitScore(ctx, "agent", "A1", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	check(t, a1, 200.0/3, 200.0/3, map[string]comp{"fcr": {140.0 / 3, false}, "team:hotline_satisfaction": {20, false}})

	// 2026-Q4 for S1 (months at equal weight): service is scored per month, October's 31 and
	// nothing in November and December (flagged): 31/3; sales is scored on the quarter's value,
	// the mean of the months reported, (60 + 90)/2 = 75: 60·0.75 = 45. Total 10.333 + 45 =
	// 55.333; a1 +5 and a5 +10 (November): 70.333.
	q4, err := e.UnitScore(ctx, "store", "S1", "2026-Q4")
	if err != nil {
		t.Fatal(err)
	}
	check(t, q4, 31.0/3+45, 31.0/3+60, map[string]comp{"satisfaction": {5, true}, "inspection.province": {16.0 / 3, true}, "score:sales": {45, false}}, "a1", "a5")

	// The default preset: the seed's store team scheme and the clerk scheme, no warnings.
	def := aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil)
	if s, err := def.UnitScore(ctx, "store", "S1", "2026-10"); err != nil || s.Scheme != "store_team" || len(s.Warnings) != 0 || s.Max != 100 {
		t.Errorf("default store scheme: %+v, %v", s, err)
	}
	if s, err := def.UnitScore(ctx, "staff", "E1", "2026-10"); err != nil || s.Scheme != "clerk" || s.Parts[0].Weight != 20 {
		t.Errorf("default staff scheme: %+v, %v", s, err)
	}

	// Bad input.
	var pe *aggregate.ParamError
	if _, err := e.UnitScore(ctx, "clerk", "E1", "2026-10"); !errors.As(err, &pe) || pe.Param != "unit" {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := e.UnitScore(ctx, "store", "S1", "2026-13"); !errors.As(err, &pe) || pe.Param != "period" {
		t.Errorf("bad period: %v", err)
	}
	if _, err := e.UnitScores(ctx, "store", "gd", "2026-10"); !errors.As(err, &pe) || pe.Param != "parent" {
		t.Errorf("bad parent: %v", err)
	}
	if got, err := e.UnitScores(ctx, "agent", "GD-SZ", "2026-10"); err != nil || len(got) != 0 {
		t.Errorf("no agents under GD-SZ: %+v, %v", got, err)
	}
}
