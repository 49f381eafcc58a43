package kpi_test

import (
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// TestPoissonUpperTailHand: P(X ≥ 2 | λ = 0.5) = 1 − e^−0.5·(1 + 0.5) = 1 − 0.60653066·1.5 =
// 0.09020401; P(X ≥ 4 | 0.5) = 1 − 0.60653066·(1 + 0.5 + 0.125 + 0.0208333) = 0.00175162;
// P(X ≥ 5 | 0.5) = 0.00175162 − 0.60653066·0.5⁴/24 = 0.00017212, so the 0.001 limit at λ = 0.5
// is 5. P(X ≥ 0) = 1; with λ = 0 no count ≥ 1 occurs. The alpha is 1 − Φ(3.0902323) = 0.001.
func TestPoissonUpperTailHand(t *testing.T) {
	for _, c := range []struct {
		k    uint64
		l    float64
		want float64
	}{{2, 0.5, 0.09020401043104986}, {4, 0.5, 0.0017516225562907994}, {5, 0.5, 0.00017211562995578245}, {0, 0.5, 1}, {1, 0, 0}, {0, 0, 1}} {
		if got := kpi.PoissonUpperTail(c.k, c.l); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("P(X ≥ %d | %v) = %v, want %v", c.k, c.l, got, c.want)
		}
	}
	if got := kpi.PoissonLimit(0.5, 0.001); got != 5 {
		t.Errorf("limit at λ 0.5 = %d, want 5", got)
	}
	if math.Abs(kpi.UnitOutlierAlpha-0.001) > 1e-9 {
		t.Errorf("alpha = %v, want 0.001", kpi.UnitOutlierAlpha)
	}
}

func staffCard(id string, ratings, complaints uint64) kpi.UnitCard {
	c := kpi.ComputeUnitCard(kpi.UnitStats{Kind: kpi.UnitStaff, ID: id, Branch: "B-X", Store: "B-X-S01", N: ratings, Complaints: complaints}, "2026-10", 30)
	return c
}

// TestUnitOutliersComplaintsHand: five staff of one branch. A 8 complaints over 10 ratings, B
// 0/10, C 1/20, E 0/10, D 2 complaints without ratings (no base: takes no part). p̄ = (8 + 0 +
// 1 + 0)/(10 + 10 + 20 + 10) = 9/50 = 0.18. A: λ = 10·0.18 = 1.8, P(X ≥ 8) = 1 − e^−1.8·(1 +
// 1.8 + 1.62 + 0.972 + 0.4374 + 0.157464 + 0.0472392 + 0.01214722) = 1 − 0.16529889·6.04625042
// = 0.00056153 < 0.001: fires; P(X ≥ 7) = 0.00256945 ≥ 0.001, so the limit is 8. C: λ = 3.6,
// P(X ≥ 1) = 1 − e^−3.6 = 0.97268: no alert.
func TestUnitOutliersComplaintsHand(t *testing.T) {
	cards := []kpi.UnitCard{staffCard("A", 10, 8), staffCard("B", 10, 0), staffCard("C", 20, 1), staffCard("D", 0, 2), staffCard("E", 10, 0)}
	got := kpi.UnitOutliers(kpi.DefaultConfig(), schema.Month(202610), cards)
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1 (staff A): %+v", len(got), got)
	}
	a := got[0]
	if a.Rule != kpi.RuleUnitOutlier || a.Metric != kpi.UnitMetricComplaints || a.Unit != "A" || a.Kind != kpi.UnitStaff ||
		a.Branch != "B-X" || a.Store != "B-X-S01" || a.Value != 8 || a.N != 10 || a.Peers != 4 {
		t.Errorf("alert %+v", a)
	}
	if a.Expected == nil || !near(*a.Expected, 1.8) || a.Limit == nil || *a.Limit != 8 || a.P == nil || math.Abs(*a.P-0.000561527192416802) > 1e-12 {
		t.Errorf("expected %v, limit %v, p %v; want 1.8, 8, 0.00056153", fmtp(a.Expected), fmtp(a.Limit), fmtp(a.P))
	}
	if a.TextEN == "" || a.TextZH == "" {
		t.Errorf("no text: %+v", a)
	}
	// One unit with ratings alone is no yardstick.
	if got := kpi.UnitOutliers(kpi.DefaultConfig(), 202610, cards[:1]); len(got) != 0 {
		t.Errorf("a lone unit: %+v", got)
	}
}

func agentCard(id string, n uint64, meanWait float64) kpi.UnitCard {
	return kpi.ComputeUnitCard(kpi.UnitStats{Kind: kpi.UnitAgent, ID: id, Branch: "B-X", N: n, Satisfied: n, WaitSum: uint64(meanWait * float64(n))}, "2026-10", 30)
}

// TestUnitOutliersWaitHand: four agents of one branch, A 12 ratings averaging 70 s, B 20 at 20
// s, C 30 at 25 s, D 5 at 40 s. A: the others' pooled mean = (20·20 + 30·25 + 5·40)/(20 + 30 +
// 5) = 1350/55 = 24.545 s, the limit 2.5 × 24.545 = 61.36 s ≤ 70: fires (2.85 ×). B: (12·70 +
// 750 + 200)/47 = 1790/47 = 38.09 s, C: (840 + 400 + 200)/37 = 38.92 s: far below. D: 5
// ratings, below min(10, CSAT_MIN_SAMPLE): not judged. With CSAT_MIN_SAMPLE 15 the floor is
// still min(10, 15) = 10 ≤ 12: A is judged.
func TestUnitOutliersWaitHand(t *testing.T) {
	cards := []kpi.UnitCard{agentCard("A", 12, 70), agentCard("B", 20, 20), agentCard("C", 30, 25), agentCard("D", 5, 40)}
	got := kpi.UnitOutliers(kpi.DefaultConfig(), 202610, cards)
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1 (agent A): %+v", len(got), got)
	}
	a := got[0]
	if a.Metric != kpi.UnitMetricAvgWait || a.Unit != "A" || a.Value != 70 || a.Peers != 3 || a.N != 12 ||
		a.Expected == nil || !near(*a.Expected, 1350.0/55) || a.Limit == nil || !near(*a.Limit, 2.5*1350.0/55) {
		t.Errorf("alert %+v (expected %v, limit %v), want 70 s against 24.545 s, limit 61.36 s", a, fmtp(a.Expected), fmtp(a.Limit))
	}
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 15
	if got := kpi.UnitOutliers(cfg, 202610, cards); len(got) != 1 || got[0].Unit != "A" {
		t.Errorf("CSAT_MIN_SAMPLE 15: %+v, want A", got)
	}
	// CSAT_MIN_SAMPLE 5: A with 8 ratings is judged (8 ≥ min(10, 5)), and D (5 ratings): D's 40 s
	// against (8·70 + 400 + 750)/58 = 29.48 s is below 2.5 × 29.48 = 73.7 s.
	cfg.MinSample = 5
	cards[0] = agentCard("A", 8, 70)
	got = kpi.UnitOutliers(cfg, 202610, cards)
	for _, a := range got {
		if a.Unit != "A" {
			t.Errorf("CSAT_MIN_SAMPLE 5: unexpected %+v", a)
		}
	}
	if len(got) != 1 {
		t.Errorf("CSAT_MIN_SAMPLE 5: %d alerts, want 1 (A: 70 s against (400 + 750 + 200)/55 = 24.5 s)", len(got))
	}
}

type monthCard struct {
	city, province *float64
	sat            [2]uint64 // satisfied, n
	wait           float64   // mean wait over n
}

func storeSeries(kind string, ms []monthCard) []kpi.UnitCard {
	out := make([]kpi.UnitCard, len(ms))
	for i, m := range ms {
		u := kpi.UnitStats{Kind: kind, ID: "U", Branch: "B-X", Satisfied: m.sat[0], N: m.sat[1], WaitSum: uint64(m.wait * float64(m.sat[1]))}
		if m.city != nil {
			u.InspCityN, u.InspCitySum = 1, *m.city
		}
		if m.province != nil {
			u.InspProvinceN, u.InspProvinceSum = 1, *m.province
		}
		out[i] = kpi.ComputeUnitCard(u, schema.Month(202606).Add(i).String(), 30)
	}
	return out
}

// TestUnitStreaksHand: a store's cards 2026-06 … 2026-10 with CSAT_ALERT_DECLINE_MONTHS 3 and
// CSAT_ALERT_MIN_DROP 3.
//   - city inspection 90, 88, 84, 80, 75: falls of 2, 4, 4, 5; the first is less than 3 points,
//     so the streak is the last three (4, 4, 5 ≥ 3): fires from 2026-07, 88 → 75, 13 points.
//   - province inspection 80, none, 79, 70, 60: two falls after the gap: no alert.
//   - satisfaction 96, 95, 90, 85, 80 of 100 ratings: four falls, 16 points; SE 2026-06 =
//     100·√(0.96·0.04/100) = 1.959592, SE 2026-10 = 100·√(0.8·0.2/100) = 4; z = 16/√(3.84 + 16)
//     = 16/4.454211 = 3.592 ≥ 3.09: fires.
//   - avg_wait 30, 20, 21, 22, 24 s over 100 ratings: three rises from 20, +4/20 = 20 % < 25 %
//     (z = 4/√(2² + 2.4²) = 1.28 too): no alert.
func TestUnitStreaksHand(t *testing.T) {
	cfg := kpi.DefaultConfig()
	series := storeSeries(kpi.UnitStore, []monthCard{
		{fp(90), fp(80), [2]uint64{96, 100}, 30},
		{fp(88), nil, [2]uint64{95, 100}, 20},
		{fp(84), fp(79), [2]uint64{90, 100}, 21},
		{fp(80), fp(70), [2]uint64{85, 100}, 22},
		{fp(75), fp(60), [2]uint64{80, 100}, 24},
	})
	got := kpi.UnitStreaks(cfg, 202606, series)
	if len(got) != 2 {
		t.Fatalf("%d alerts, want 2 (city inspection, satisfaction): %+v", len(got), got)
	}
	c, s := got[0], got[1]
	if c.Metric != kpi.UnitMetricInspCity || c.Start != 202607 || c.Month != 202610 || c.Change != -13 || len(c.Values) != 4 || c.Values[0] != 88 || c.Values[3] != 75 || c.Kind != kpi.UnitStore {
		t.Errorf("city inspection alert %+v", c)
	}
	if s.Metric != kpi.UnitMetricSatisfaction || s.Start != 202606 || !near(s.Change, -16) || s.Z == nil || math.Abs(*s.Z-16/math.Sqrt(3.84+16)) > 1e-9 {
		t.Errorf("satisfaction alert %+v (z %v), want drop 16, z 3.592", s, fmtp(s.Z))
	}
	if c.TextEN == "" || c.TextZH == "" {
		t.Errorf("no text: %+v", c)
	}
}

// TestUnitStreaksThresholdsHand: the thresholds.
//   - an agent's waits 20, 22, 24, 26, 30 s over 400 ratings: four rises, +10/20 = 50 % ≥ 25 %;
//     SE = mean/√n: 20/20 = 1 and 30/20 = 1.5, z = 10/√(1 + 2.25) = 10/1.802776 = 5.547 ≥ 3.09:
//     fires with rise 0.5; satisfaction 100 % throughout: no fall. Over 100 ratings: SE 2 and
//     3, z = 10/√13 = 2.774 < 3.09: no alert.
//   - satisfaction 27, 26, 25, 24 of 30 (90, 86.67, 83.33, 80): three falls, 10 points, but SE
//     = 100·√(0.9·0.1/30) = 5.477226 and 100·√(0.8·0.2/30) = 7.302967, z = 10/√(30 + 53.333) =
//     10/9.128709 = 1.095 < 3.09: no alert.
//   - the same with 29 ratings in one month: not reportable, the streak breaks.
//   - city inspection 90, 87, 84, 82: the last fall is 2 < 3 points: no alert; 90, 87, 84, 80
//     (falls of 3, 3, 4): fires.
func TestUnitStreaksThresholdsHand(t *testing.T) {
	cfg := kpi.DefaultConfig()
	waits := []monthCard{{nil, nil, [2]uint64{400, 400}, 20}, {nil, nil, [2]uint64{400, 400}, 22}, {nil, nil, [2]uint64{400, 400}, 24},
		{nil, nil, [2]uint64{400, 400}, 26}, {nil, nil, [2]uint64{400, 400}, 30}}
	got := kpi.UnitStreaks(cfg, 202606, storeSeries(kpi.UnitAgent, waits))
	if len(got) != 1 || got[0].Metric != kpi.UnitMetricAvgWait || got[0].Rise == nil || !near(*got[0].Rise, 0.5) || got[0].Change != 10 ||
		got[0].Kind != kpi.UnitAgent || got[0].Z == nil || math.Abs(*got[0].Z-10/math.Sqrt(3.25)) > 1e-9 {
		t.Errorf("waits: %+v, want one avg_wait alert with rise 0.5, z 5.547", got)
	}
	for i := range waits {
		waits[i].sat = [2]uint64{100, 100}
	}
	if got := kpi.UnitStreaks(cfg, 202606, storeSeries(kpi.UnitAgent, waits)); len(got) != 0 {
		t.Errorf("waits over 100 ratings (z 2.774): %+v, want none", got)
	}
	sat := []monthCard{{fp(90), nil, [2]uint64{27, 30}, 0}, {fp(87), nil, [2]uint64{26, 30}, 0}, {fp(84), nil, [2]uint64{25, 30}, 0}, {fp(82), nil, [2]uint64{24, 30}, 0}}
	if got := kpi.UnitStreaks(cfg, 202607, storeSeries(kpi.UnitStore, sat)); len(got) != 0 {
		t.Errorf("z 1.095, a 2-point inspection fall: %+v, want none", got)
	}
	sat[3].city = fp(80)
	if got := kpi.UnitStreaks(cfg, 202607, storeSeries(kpi.UnitStore, sat)); len(got) != 1 || got[0].Metric != kpi.UnitMetricInspCity {
		t.Errorf("10 inspection points: %+v, want the city inspection", got)
	}
	// A month with 29 ratings is not reportable: the satisfaction streak is broken even when
	// significant (n = 1000 elsewhere).
	big := []monthCard{{nil, nil, [2]uint64{900, 1000}, 0}, {nil, nil, [2]uint64{26, 29}, 0}, {nil, nil, [2]uint64{800, 1000}, 0}, {nil, nil, [2]uint64{700, 1000}, 0}}
	if got := kpi.UnitStreaks(cfg, 202607, storeSeries(kpi.UnitStore, big)); len(got) != 0 {
		t.Errorf("an unreportable month: %+v, want none", got)
	}
	big[1].sat = [2]uint64{850, 1000}
	if got := kpi.UnitStreaks(cfg, 202607, storeSeries(kpi.UnitStore, big)); len(got) != 1 || got[0].Metric != kpi.UnitMetricSatisfaction {
		t.Errorf("90, 85, 80, 70 of 1000: %+v, want satisfaction", got)
	}
	// Too short a series.
	if got := kpi.UnitStreaks(cfg, 202608, storeSeries(kpi.UnitStore, sat[:3])); got != nil {
		t.Errorf("3 cards: %+v", got)
	}
}
