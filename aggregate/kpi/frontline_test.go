package kpi_test

import (
	"math"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestEBShrinkageHand checks SPEC §5.5's smoothed value against a hand computation. Three
// stores of one branch: A 18 of 20 satisfied (p 90), B 10 of 20 (50), C 40 of 60 (66.67).
// p̄ = 100·68/100 = 68. Σn(p − p̄)² = 20·22² + 20·18² + 60·(4/3)² = 9680 + 6480 + 106.67 =
// 16266.67; τ² = 16266.67/100 − 3·68·32/100 = 162.6667 − 65.28 = 97.38667.
// A: p̄(100 − p̄)/n = 2176/20 = 108.8, B = 97.38667/206.18667 = 0.4723228, smoothed = 68 +
// 0.4723228·22 = 78.39110; B (the store): 68 − 0.4723228·18 = 59.49819; C: 2176/60 = 36.2667,
// B = 97.38667/133.65333 = 0.7286512, 68 + 0.7286512·(−4/3) = 67.02847.
func TestEBShrinkageHand(t *testing.T) {
	eb, ok := kpi.NewEBShrinkage([]kpi.Proportion{{18, 20}, {10, 20}, {40, 60}, {0, 0}})
	if !ok || eb.J != 3 || !near(eb.Mean, 68) || !near(eb.Tau2, 97.38666666666666) {
		t.Fatalf("EB = %+v, %v; want mean 68, τ² 97.38667, J 3", eb, ok)
	}
	for _, c := range []struct {
		k, n uint64
		want float64
	}{{18, 20, 78.39110191412313}, {10, 20, 59.49818934299017}, {40, 60, 67.02846501729184}, {0, 0, 68}} {
		if got := eb.Smooth(c.k, c.n); !near(got, c.want) {
			t.Errorf("Smooth(%d, %d) = %v, want %v", c.k, c.n, got, c.want)
		}
	}
	// No spread beyond sampling noise: 5 of 10 and 10 of 20 (both 50): τ² = 0, every unit → p̄.
	eb, _ = kpi.NewEBShrinkage([]kpi.Proportion{{5, 10}, {10, 20}})
	if eb.Tau2 != 0 || eb.Smooth(5, 10) != 50 {
		t.Errorf("homogeneous: %+v, smoothed %v; want τ² 0, 50", eb, eb.Smooth(5, 10))
	}
	// Small spread: 6 of 10 (60) and 4 of 10 (40): p̄ 50, Σn(p−p̄)²/Σn = 100 < 2·2500/20 = 250:
	// τ² = 0, both shrink fully to 50.
	eb, _ = kpi.NewEBShrinkage([]kpi.Proportion{{6, 10}, {4, 10}})
	if eb.Tau2 != 0 || eb.Smooth(6, 10) != 50 || eb.Smooth(4, 10) != 50 {
		t.Errorf("noise only: %+v; want τ² 0 and 50 for both", eb)
	}
	// Every rating satisfied: p̄ = 100 and every unit keeps 100.
	eb, _ = kpi.NewEBShrinkage([]kpi.Proportion{{3, 3}, {7, 7}})
	if eb.Smooth(3, 3) != 100 {
		t.Errorf("all satisfied: smoothed %v, want 100", eb.Smooth(3, 3))
	}
	if _, ok := kpi.NewEBShrinkage([]kpi.Proportion{{0, 0}}); ok {
		t.Error("no rating: ok")
	}
}

// TestUnitCardHand: a store of 40 ratings (30 ≥ 4, 4 ≤ 2, Σwait 2,400 s), 2 complaints, one
// province inspection (80) and two city ones (70 and 90), and an agent of 4 ratings.
func TestUnitCardHand(t *testing.T) {
	s := kpi.UnitStats{Kind: kpi.UnitStore, ID: "S1", Branch: "GD-GZ", N: 40, Satisfied: 30, Dissatisfied: 4,
		WaitSum: 2400, Complaints: 2, InspProvinceN: 1, InspProvinceSum: 80, InspCityN: 2, InspCitySum: 160}
	c := kpi.ComputeUnitCard(s, "2026-10", 30)
	// p = 75, SE = 100·√(0.75·0.25/40) = 6.846532, moe95 = 13.41920.
	if *c.Satisfaction.Value != 75 || !near(*c.Satisfaction.MOE95, 1.96*100*math.Sqrt(0.75*0.25/40)) || !c.Satisfaction.Reportable || c.Satisfaction.N != 40 {
		t.Errorf("satisfaction %+v", c.Satisfaction)
	}
	if c.NetScore != 26 || *c.AvgWait.Value != 60 || c.Complaints != 2 || c.Ratings != 40 {
		t.Errorf("net %d, avg_wait %v, complaints %d, ratings %d; want 26, 60, 2, 40", c.NetScore, *c.AvgWait.Value, c.Complaints, c.Ratings)
	}
	if *c.Inspection.Province != 80 || *c.Inspection.City != 80 || c.FCR != nil || c.CSI != nil {
		t.Errorf("inspection %+v, fcr %v, csi %v", c.Inspection, c.FCR, c.CSI)
	}
	a := kpi.ComputeUnitCard(kpi.UnitStats{Kind: kpi.UnitAgent, ID: "A1", N: 4, Satisfied: 1, Dissatisfied: 2, Resolved: 3, SL20: 2, WaitSum: 100, HandleSum: 1000}, "2026-10", 30)
	if *a.FCR.Value != 75 || *a.SL20.Value != 50 || *a.AvgHandle.Value != 250 || a.NetScore != -1 || a.Satisfaction.Reportable || a.Inspection != nil {
		t.Errorf("agent card %+v", a)
	}
	// A unit with complaints and no ratings: n 0, null rates (§5.5).
	z := kpi.ComputeUnitCard(kpi.UnitStats{Kind: kpi.UnitStaff, ID: "E1", Complaints: 1}, "2026-10", 30)
	if z.Satisfaction.Value != nil || z.AvgWait.Value != nil || z.Complaints != 1 || z.Inspection.Province != nil {
		t.Errorf("complaints only: %+v", z)
	}
	// Manager: y 100 (w 2) and 0 (w 1): CSI 66.67.
	m := kpi.ComputeUnitCard(kpi.UnitStats{Kind: kpi.UnitManager, ID: "M1", Churned: 3,
		Survey: kpi.Moments{N: 2, SW: 3, SW2: 5, SWX: 200, SWX2: 20000}}, "2026-10", 30)
	if !near(*m.CSI.Value, 200.0/3) || *m.Churned != 3 {
		t.Errorf("manager csi %v churned %v", *m.CSI.Value, *m.Churned)
	}
}

// TestSmoothUnits: stores smooth within their branch, staff within their store; the stores of
// TestEBShrinkageHand in GD-GZ get its values, a lone store of GD-SZ keeps its own value.
func TestSmoothUnits(t *testing.T) {
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	stats := []kpi.UnitStats{
		{Kind: kpi.UnitStore, ID: "A", Branch: "GD-GZ", PlacedAt: at, N: 20, Satisfied: 18},
		{Kind: kpi.UnitStore, ID: "B", Branch: "GD-GZ", PlacedAt: at, N: 20, Satisfied: 10},
		{Kind: kpi.UnitStore, ID: "C", Branch: "GD-GZ", PlacedAt: at, N: 60, Satisfied: 40},
		{Kind: kpi.UnitStore, ID: "D", Branch: "GD-SZ", PlacedAt: at, N: 10, Satisfied: 7},
		{Kind: kpi.UnitStaff, ID: "E1", Store: "A", N: 6, Satisfied: 6},
		{Kind: kpi.UnitStaff, ID: "E2", Store: "A", N: 6, Satisfied: 0},
	}
	cards := make([]kpi.UnitCard, len(stats))
	for i, u := range stats {
		cards[i] = kpi.ComputeUnitCard(u, "2026-10", 30)
	}
	kpi.SmoothUnits(stats, cards)
	for i, want := range []float64{78.39110191412313, 59.49818934299017, 67.02846501729184, 70} {
		if got := cards[i].Satisfaction.Smoothed; got == nil || !near(*got.Value, want) {
			t.Errorf("%s smoothed %v, want %v", stats[i].ID, got, want)
		}
	}
	// E1 100, E2 0 of 6 each: p̄ 50, Σn(p−p̄)²/Σn = 2500, τ² = 2500 − 2·2500/12 = 2083.333,
	// B = 2083.333/(2083.333 + 2500/6) = 0.8333333: 50 ± 41.66667.
	if got := *cards[4].Satisfaction.Smoothed.Value; !near(got, 50+50*2083.3333333333335/(2083.3333333333335+2500.0/6)) || !near(got, 91.66666666666667) {
		t.Errorf("E1 smoothed %v, want 91.66667", got)
	}
}
