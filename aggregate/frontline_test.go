package aggregate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestFrontlineUnits runs the front-line events of a hand-made October through the frontline
// projection on a real server and checks every unit's statistics, placement and card against
// hand-computed values (SPEC §5.2, §5.5): resends counted once, a voided interview excluded,
// complaints counted for every unit they name, placement by the latest placing event, a staff
// member's store by their latest rating, a unit with complaints only placed by an earlier month.
func TestFrontlineUnits(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	const sfCols = "event_id, branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset"
	sf := func(id, branch, st, staff string, rating uint8, wait uint32, d int, off int64) []any {
		return []any{id, branch, uint32(oct), day(d), st, staff, rating, wait, int32(0), off}
	}
	insert(t, conn, "store_feedback", sfCols,
		sf("f1", "GD-GZ-TH", "S1", "E1", 5, 60, 3, 1),
		sf("f2", "GD-GZ-TH", "S1", "E1", 2, 120, 4, 2),
		sf("f2", "GD-GZ-TH", "S1", "E1", 2, 120, 4, 9), // a resend
		sf("f3", "GD-GZ-TH", "S1", "E2", 4, 30, 5, 3),
		sf("f4", "GD-GZ-YX", "S1", "", 3, 0, 6, 4),
		sf("f5", "GD-GZ-TH", "S2", "E3", 1, 100, 3, 5),
		sf("f6", "GD-GZ-TH", "S2", "E1", 4, 40, 8, 6),
		[]any{"f0", "GD-GZ-TH", uint32(sep), day(1).AddDate(0, -1, 0), "S2", "E9", uint8(5), uint32(10), int32(0), int64(7)})
	in := func(id, branch, st, staff, by string, score float64, d int, off int64) []any {
		return []any{id, branch, uint32(oct), day(d), st, staff, "patrol", by, score, int32(0), off}
	}
	insert(t, conn, "inspections", "event_id, branch_id, month, occurred_at, store_id, staff_id, kind, published_by, score, kafka_partition, kafka_offset",
		in("i1", "GD-GZ-TH", "S1", "E1", "province", 80, 7, 1),
		in("i1", "GD-GZ-TH", "S1", "E1", "province", 80, 7, 5), // a resend
		in("i2", "GD-GZ-YX", "S1", "", "city", 70, 2, 2))
	co := func(id, branch, st, staff, agent, manager string, d int, off int64) []any {
		return []any{id, branch, uint32(oct), day(d), st, staff, agent, manager, int32(0), off}
	}
	insert(t, conn, "complaints_opened", "event_id, branch_id, month, occurred_at, store_id, staff_id, agent_id, manager_id, kafka_partition, kafka_offset",
		co("c1", "GD-SZ", "S1", "E1", "", "", 1, 1),
		co("c2", "GD-GZ", "", "", "A1", "M1", 5, 2),
		co("c3", "GD-GZ", "", "E9", "", "", 5, 3),
		co("c4", "GD-GZ", "", "", "", "", 5, 4))
	ho := func(id, branch, agent string, rating, resolved uint8, wait, handle uint32, d int, off int64) []any {
		return []any{id, branch, uint32(oct), day(d), agent, rating, resolved, wait, handle, int32(0), off}
	}
	insert(t, conn, "hotline_feedback", "event_id, branch_id, month, occurred_at, agent_id, rating, resolved, wait_seconds, handle_seconds, kafka_partition, kafka_offset",
		ho("h1", "GD-GZ", "A1", 5, 1, 10, 300, 3, 1),
		ho("h2", "GD-GZ-TH", "A1", 2, 0, 40, 100, 4, 2),
		ho("h3", "GD-GZ-TH", "A2", 4, 1, 20, 200, 4, 3))
	insert(t, conn, "churn_events", "event_id, branch_id, month, occurred_at, tier, manager_id, kafka_partition, kafka_offset",
		[]any{"ch1", "GD-GZ", uint32(oct), day(6), "high", "M1", int32(0), int64(1)},
		[]any{"ch2", "GD-GZ", uint32(oct), day(6), "high", "", int32(0), int64(2)})
	sr := func(id, branch string, w float64, overall uint8, codes []string, scores []uint8, d int, off int64) []any {
		return []any{id, branch, uint32(oct), day(d), "cmcc", w, overall, codes, scores, "enterprise", "M1", int32(0), off}
	}
	insert(t, conn, "survey_responses", "event_id, branch_id, month, occurred_at, carrier, weight, overall, item_codes, item_scores, customer_type, manager_id, kafka_partition, kafka_offset",
		sr("r1", "GD-GZ-TH", 2, 0, []string{"network", "voice"}, []uint8{10, 1}, 3, 1),
		sr("r2", "GD-GZ", 1, 0, []string{"voice"}, []uint8{10}, 4, 2),
		sr("r3", "GD-GZ-TH", 1, 7, []string{}, []uint8{}, 2, 3),
		sr("r4", "GD-GZ-YX", 5, 0, []string{"network"}, []uint8{5}, 9, 4)) // voided
	insert(t, conn, "survey_voids", "event_id, branch_id, month, target_event_id, kafka_partition, kafka_offset",
		[]any{"v1", "GD-GZ", uint32(oct), "r4", int32(0), int64(1)})
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: sep})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn) // CSAT_MIN_SAMPLE 1

	card := func(kind, id string) kpi.UnitCard {
		t.Helper()
		c, err := e.UnitCard(ctx, kind, id, "2026-10")
		if err != nil {
			t.Fatalf("UnitCard(%s, %s): %v", kind, id, err)
		}
		return c
	}
	val := func(v kpi.Value) float64 {
		if v.Value == nil {
			return -1
		}
		return *v.Value
	}
	// S1: f1 (5), f2 (2, resent), f3 (4), f4 (3): 4 ratings, 2 satisfied, 1 dissatisfied, waits
	// 60 + 120 + 30 + 0 = 210; complaint c1; inspections i1 (province 80, resent) and i2 (city
	// 70). Latest placing event: i1 on the 7th (GD-GZ-TH), after f4 (GD-GZ-YX, 6th); c1 (GD-SZ)
	// is on the 1st.
	s1 := card("store", "S1")
	if s1.Branch != "GD-GZ-TH" || s1.Ratings != 4 || val(s1.Satisfaction) != 50 || s1.NetScore != 1 || val(s1.AvgWait) != 52.5 ||
		s1.Complaints != 1 || *s1.Inspection.Province != 80 || *s1.Inspection.City != 70 {
		t.Errorf("S1 card %+v, inspection %+v", s1, s1.Inspection)
	}
	// Stores of GD-GZ-TH: S1 2 of 4, S2 1 of 2 (f5 1, f6 4): p̄ 50, both 50: smoothed 50.
	if s1.Satisfaction.Smoothed == nil || *s1.Satisfaction.Smoothed.Value != 50 {
		t.Errorf("S1 smoothed %+v, want 50", s1.Satisfaction.Smoothed)
	}
	// E1: f1, f2 (S1) and f6 (S2, the 8th): 3 ratings, 2 satisfied, 1 dissatisfied, waits 220;
	// store S2; complaint c1; inspection i1 (province 80), none of the city.
	e1 := card("staff", "E1")
	if e1.Store != "S2" || e1.Branch != "GD-GZ-TH" || e1.Ratings != 3 || e1.NetScore != 1 || !approx(val(e1.AvgWait), 220.0/3) ||
		e1.Complaints != 1 || *e1.Inspection.Province != 80 || e1.Inspection.City != nil {
		t.Errorf("E1 card %+v", e1)
	}
	// Staff of S2: E1 (2 of 3) and E3 (0 of 1): p̄ 50; Σn(p−p̄)²/Σn = (3·(16.67)² + 1·50²)/4 =
	// 833.33; J·p̄(100−p̄)/Σn = 2·2500/4 = 1250: τ² 0, both smoothed to 50.
	if e1.Satisfaction.Smoothed == nil || *e1.Satisfaction.Smoothed.Value != 50 {
		t.Errorf("E1 smoothed %+v, want 50", e1.Satisfaction.Smoothed)
	}
	// E9: complaint c3 only in October (n 0, null rates); placed by September's f0 at S2.
	e9 := card("staff", "E9")
	if e9.Ratings != 0 || e9.Satisfaction.Value != nil || e9.Complaints != 1 || e9.Store != "S2" || e9.Branch != "GD-GZ-TH" {
		t.Errorf("E9 card %+v", e9)
	}
	// A1: h1 (5, resolved, 10 s, 300 s) and h2 (2, 40 s, 100 s, GD-GZ-TH on the 4th); c2.
	a1 := card("agent", "A1")
	if a1.Branch != "GD-GZ-TH" || a1.Ratings != 2 || val(a1.Satisfaction) != 50 || val(*a1.FCR) != 50 || val(*a1.SL20) != 50 ||
		val(a1.AvgWait) != 25 || val(*a1.AvgHandle) != 200 || a1.Complaints != 1 || a1.NetScore != 0 {
		t.Errorf("A1 card %+v", a1)
	}
	// Agents of GD-GZ-TH: A1 1 of 2, A2 1 of 1: p̄ 66.67; Σn(p−p̄)²/Σn = 555.56 < 2·2222.2/3:
	// τ² 0, smoothed 66.67.
	if a1.Satisfaction.Smoothed == nil || !approx(*a1.Satisfaction.Smoothed.Value, 200.0/3) {
		t.Errorf("A1 smoothed %+v, want 66.67", a1.Satisfaction.Smoothed)
	}
	// M1: r1 (w 2, y = (2·100 + 1·0)/3 = 66.67) and r2 (w 1, y 100); r3 answered no item (it
	// still places: but r2 on the 4th is later); r4 voided. CSI = (2·66.67 + 100)/3 = 77.78.
	// Churn ch1, complaint c2.
	m1 := card("manager", "M1")
	if m1.Branch != "GD-GZ" || m1.CSI == nil || m1.CSI.N != 2 || !approx(val(*m1.CSI), (2*200.0/3+100)/3) || *m1.Churned != 1 || m1.Complaints != 1 {
		t.Errorf("M1 card %+v csi %+v", m1, m1.CSI)
	}
	// League inputs.
	stores, err := e.Units(ctx, "store", "GD-GZ", "2026-10")
	if err != nil || len(stores) != 2 || stores[0].Unit != "S1" || stores[1].Unit != "S2" || stores[1].Ratings != 2 {
		t.Errorf("stores of GD-GZ: %+v, %v", stores, err)
	}
	staff, err := e.Units(ctx, "staff", "S2", "2026-10")
	if err != nil || len(staff) != 2 || staff[0].Unit != "E1" || staff[1].Unit != "E3" {
		t.Errorf("staff of S2: %+v, %v", staff, err)
	}
	if none, err := e.Units(ctx, "agent", "GD-SZ", "2026-10"); err != nil || len(none) != 0 {
		t.Errorf("agents of GD-SZ: %+v, %v", none, err)
	}
	// Bad input: a clear parameter error.
	var pe *aggregate.ParamError
	if _, err := e.UnitCard(ctx, "clerk", "E1", "2026-10"); !errors.As(err, &pe) || pe.Param != "unit" {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := e.UnitCard(ctx, "store", "S 1", "2026-10"); !errors.As(err, &pe) {
		t.Errorf("bad id: %v", err)
	}
	if _, err := e.UnitCard(ctx, "store", "S1", "2026-13"); !errors.As(err, &pe) || pe.Param != "period" {
		t.Errorf("bad period: %v", err)
	}
	// A period pools its months (SPEC §5.5): 2026-H2 holds September's f0 (E9 at S2, rating 5,
	// wait 10). S2: f0, f5 (1), f6 (4): 3 ratings, 2 satisfied, 1 dissatisfied, waits 150.
	// E9: f0 and October's complaint c3: 1 rating, satisfied, complaint 1, placed in the period.
	h2, err := e.UnitCard(ctx, "store", "S2", "2026-H2")
	if err != nil || h2.Ratings != 3 || h2.NetScore != 1 || val(h2.AvgWait) != 50 || h2.Period != "2026-H2" || h2.Branch != "GD-GZ-TH" {
		t.Errorf("S2 over 2026-H2: %+v, %v", h2, err)
	}
	e9h, err := e.UnitCard(ctx, "staff", "E9", "2026-H2")
	if err != nil || e9h.Ratings != 1 || val(e9h.Satisfaction) != 100 || e9h.Complaints != 1 || e9h.Store != "S2" {
		t.Errorf("E9 over 2026-H2: %+v, %v", e9h, err)
	}
	// Staff of S2 over 2026-H2: E1, E3 and E9 (September).
	if staff, err := e.Units(ctx, "staff", "S2", "2026-H2"); err != nil || len(staff) != 3 || staff[2].Unit != "E9" {
		t.Errorf("staff of S2 over 2026-H2: %+v, %v", staff, err)
	}
	// Rebuildable: a rebuild from the raw tables gives the same card.
	if err := newProjector(conn).Rebuild(ctx, oct); err != nil {
		t.Fatal(err)
	}
	if again := card("store", "S1"); again.Ratings != s1.Ratings || val(again.Satisfaction) != val(s1.Satisfaction) || again.Branch != s1.Branch {
		t.Errorf("after rebuild: %+v, before %+v", again, s1)
	}
}
