package aggregate_test

import (
	"context"
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestVersion2Statistics runs the version-2 statistics through the projections on a real
// server and checks them against hand-computed values: the enterprise interviews' moments
// (counted a second time under "ent:"), the hotline handling time, and the stores' counter
// ratings per branch (with a resend and a store rated under two counties).
func TestVersion2Statistics(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	const cols = "event_id, branch_id, month, occurred_at, carrier, weight, overall, item_codes, item_scores, customer_type, manager_id, kafka_partition, kafka_offset"
	r := func(id, branch, carrier, ct string, w float64, score uint8, off int64) []any {
		return []any{id, branch, uint32(oct), day(3), carrier, w, uint8(0), []string{"network"}, []uint8{score}, ct, "", int32(0), off}
	}
	insert(t, conn, "survey_responses", cols,
		r("e1", "GD-GZ-TH", "cmcc", "enterprise", 2, 10, 1),
		r("e1", "GD-GZ-TH", "cmcc", "enterprise", 2, 10, 9), // a resend: counted once
		r("e2", "GD-GZ", "cmcc", "enterprise", 1, 1, 2),
		r("c1", "GD-GZ-TH", "cmcc", "consumer", 1, 4, 3),
		r("e3", "GD-GZ", "ctcc", "enterprise", 3, 7, 4),
	)
	insert(t, conn, "hotline_feedback", "event_id, branch_id, month, rating, resolved, wait_seconds, handle_seconds, kafka_partition, kafka_offset",
		[]any{"h1", "GD-GZ-TH", uint32(oct), uint8(5), uint8(1), uint32(10), uint32(300), int32(0), int64(1)},
		[]any{"h2", "GD-GZ", uint32(oct), uint8(2), uint8(0), uint32(40), uint32(150), int32(0), int64(2)},
		[]any{"h2", "GD-GZ", uint32(oct), uint8(2), uint8(0), uint32(40), uint32(150), int32(0), int64(3)})
	st := func(id, branch, store string, rating uint8, off int64) []any {
		return []any{id, branch, uint32(oct), store, rating, uint32(60), int32(0), off}
	}
	insert(t, conn, "store_feedback", "event_id, branch_id, month, store_id, rating, wait_seconds, kafka_partition, kafka_offset",
		st("s1", "GD-GZ-TH", "S1", 5, 1), st("s2", "GD-GZ-TH", "S1", 2, 2), st("s2", "GD-GZ-TH", "S1", 2, 7),
		st("s3", "GD-GZ-TH", "S2", 4, 3), st("s4", "GD-GZ-BY", "S2", 4, 4), st("s5", "GD-GZ", "S3", 1, 5))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)
	p := kpi.EnterprisePrefix

	city, err := e.MonthData(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	// Enterprise own: e1 (w 2, x 100) and e2 (w 1, x 0); all own: e1, e2, c1 (w 1, x' = 100/3).
	if got, want := city.Survey["cmcc"][p+"network"], mo(wx(2, 100), wx(1, 0)); !momentsEqual(got, want) {
		t.Errorf("GD-GZ cmcc ent:network = %+v, want %+v", got, want)
	}
	if got, want := city.Survey["cmcc"][p+kpi.ItemCSI], mo(wx(2, 100), wx(1, 0)); !momentsEqual(got, want) {
		t.Errorf("GD-GZ cmcc ent:_csi = %+v, want %+v", got, want)
	}
	if got, want := city.Survey["cmcc"]["network"], mo(wx(2, 100), wx(1, 0), wx(1, rs(4))); !momentsEqual(got, want) {
		t.Errorf("GD-GZ cmcc network (all responses) = %+v, want %+v", got, want)
	}
	if got, want := city.Survey["ctcc"][p+"network"], mo(wx(3, rs(7))); !momentsEqual(got, want) {
		t.Errorf("GD-GZ ctcc ent:network = %+v, want %+v", got, want)
	}
	if _, ok := city.Survey["cmcc"][p+kpi.ItemOverall]; ok {
		t.Errorf("ent:_overall present without any overall answer")
	}
	// Hotline: h1 300 s, h2 150 s (its resend once).
	if city.Window.HotlineN != 2 || city.Window.HotlineHandleSum != 450 {
		t.Errorf("GD-GZ hotline n %d, handle sum %d; want 2, 450", city.Window.HotlineN, city.Window.HotlineHandleSum)
	}
	// Stores under GD-GZ: S1 2 ratings (1 satisfied; s2 resent), S2 2 (both, under two
	// counties), S3 1 (0). The totals are unchanged by the store rows: 5 ratings, 3 satisfied.
	want := map[string]kpi.StoreRatings{"S1": {N: 2, Satisfied: 1}, "S2": {N: 2, Satisfied: 2}, "S3": {N: 1, Satisfied: 0}}
	if !equalStores(city.Stores, want) || city.Window.StoreN != 5 || city.Window.StoreSatisfied != 3 {
		t.Errorf("GD-GZ stores %v, store n %d satisfied %d; want %v, 5, 3", city.Stores, city.Window.StoreN, city.Window.StoreSatisfied, want)
	}
	county, err := e.MonthData(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]kpi.StoreRatings{"S1": {N: 2, Satisfied: 1}, "S2": {N: 1, Satisfied: 1}}; !equalStores(county.Stores, want) {
		t.Errorf("GD-GZ-TH stores %v, want %v", county.Stores, want)
	}

	// The card: with CSAT_MIN_SAMPLE 1, the store spread over S1 50 %, S2 100 %, S3 0 %:
	// p̄ = 3/5 = 60 %; Σn(p−p̄)² = 2·10² + 2·40² + 1·60² = 200 + 3200 + 3600 = 7000; /5 → √1400.
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	card := kpi.ComputeCard(cfg, testCatalog(), "GD-GZ", oct, city, kpi.MonthData{})
	if v := card.Consistency.StoreSpread; v == nil || math.Abs(*v-math.Sqrt(1400)) > 1e-9 {
		t.Errorf("store spread = %v, want √1400", v)
	}
	if v := card.Window.Hotline.AvgHandle; v == nil || *v != 225 {
		t.Errorf("avg_handle = %v, want 225", v)
	}
	// Enterprise CSI own = (2·100 + 1·0)/3; ctcc = 200/3 (x' of 7): lead 0.
	if v := card.Survey.Enterprise.CSI.Value; v == nil || math.Abs(*v-200.0/3) > 1e-9 {
		t.Errorf("enterprise csi = %v, want 200/3", v)
	}
}

func equalStores(a, b map[string]kpi.StoreRatings) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestFrontlineSwitch: without CSAT_FRONTLINE the projector leaves the front-line family's marks
// (no version, not counted stale); with it, the same refresh recomputes it.
func TestFrontlineSwitch(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	insert(t, conn, "store_feedback", "event_id, branch_id, month, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset",
		[]any{"s1", "GD-GZ", uint32(oct), "S1", "E1", uint8(5), uint32(60), int32(0), int64(1)})
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: oct})
	versions := func() map[string]bool {
		rows, err := conn.Query(ctx, "SELECT DISTINCT family FROM kpi_versions")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]bool{}
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				t.Fatal(err)
			}
			out[f] = true
		}
		return out
	}
	off := aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: testCatalog(), SLAHours: 48}, nil, nil)
	if err := off.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if v := versions(); !v["window"] || v["frontline"] {
		t.Errorf("off: versions of %v, want window and not frontline", v)
	}
	if err := newProjector(conn).Refresh(ctx); err != nil { // Frontline: true
		t.Fatal(err)
	}
	if v := versions(); !v["frontline"] {
		t.Errorf("on: versions of %v, want frontline", v)
	}
}
