package stat_test

import (
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat"
)

// TestEWMAHand: baseline 80, 80 (SE 2) → μ0 = 80, V0 = 1/(¼ + ¼) = 2; then 78, 76 (SE 2) →
// z = −1, −2. With λ = ½: E1 = −0.5, E2 = ½·(−2) + ½·(−0.5) = −1.25.
// Σc² = ¼·¼ + ¼ = 0.3125; Σc/SE = ½·(½/2) + ½/2 = 0.375; Var = 0.3125 + 2·0.375² = 0.59375,
// sd = 0.7705517, Z = −1.622214; with L = 1.5 the limit is 1.155828 and −1.25 is below −limit.
func TestEWMAHand(t *testing.T) {
	c := stat.EWMA{Lambda: 0.5, L: 1.5, Baseline: 2}
	r := c.Drift([]float64{80, 80, 78, 76}, []float64{2, 2, 2, 2})
	checkNear(t, "Mean0", r.Mean0, 80, 1e-12)
	checkNear(t, "Stat", r.Stat, -1.25, 1e-12)
	checkNear(t, "Limit", r.Limit, 1.5*math.Sqrt(0.59375), 1e-12)
	checkNear(t, "Z", r.Z, -1.25/math.Sqrt(0.59375), 1e-12)
	checkNear(t, "P", r.P, stat.PValueOneSided(1.25/math.Sqrt(0.59375)), 1e-12)
	checkNear(t, "Drop", r.Drop, 4, 1e-12)
	if !r.Signal || r.Updates != 2 {
		t.Errorf("Signal %v Updates %d, want true 2", r.Signal, r.Updates)
	}
	// L = 2: limit 1.541 — no signal.
	c.L = 2
	if r := c.Drift([]float64{80, 80, 78, 76}, []float64{2, 2, 2, 2}); r.Signal {
		t.Errorf("L=2 signals: %+v", r)
	}
}

// TestEWMATextbookLimit: with an exact baseline (V0 → 0) and no missing month the limit is
// L·√(λ/(2−λ)·(1−(1−λ)^{2t})).
func TestEWMATextbookLimit(t *testing.T) {
	vals := []float64{75, 74, 76, 75, 73, 74, 72, 71}
	ses := []float64{1e-9, 2, 2, 2, 2, 2, 2, 2}
	r := stat.EWMA{Lambda: 0.2, L: 3, Baseline: 1}.Drift(vals, ses)
	lam, tt := 0.2, 7.0
	checkNear(t, "Limit", r.Limit, 3*math.Sqrt(lam/(2-lam)*(1-math.Pow(1-lam, 2*tt))), 1e-9)
	// Baseline of 6 months by default: vals[6:] are charted.
	r = stat.EWMADrift(vals, []float64{2, 2, 2, 2, 2, 2, 2, 2}, 0.2, 3)
	if r.Updates != 2 {
		t.Errorf("Updates %d, want 2", r.Updates)
	}
}

func TestEWMAMissing(t *testing.T) {
	nan := math.NaN()
	c := stat.EWMA{Lambda: 0.5, L: 1.5, Baseline: 2}
	// A missing month in the chart leaves E unchanged: same as the series without it.
	a := c.Drift([]float64{80, 80, 78, nan, 76}, []float64{2, 2, 2, nan, 2})
	b := c.Drift([]float64{80, 80, 78, 76}, []float64{2, 2, 2, 2})
	if a != b {
		t.Errorf("with a gap %+v, without %+v", a, b)
	}
	for _, tc := range []struct {
		name       string
		vals, ses  []float64
		lambda     float64
		wantUpdate int
	}{
		{"missing last month", []float64{80, 80, 78, nan}, []float64{2, 2, 2, nan}, 0.5, 1},
		{"no baseline", []float64{nan, nan, 78, 76}, []float64{nan, nan, 2, 2}, 0.5, 0},
		{"no chart", []float64{80, 80}, []float64{2, 2}, 0.5, 0},
		{"bad lambda", []float64{80, 80, 78, 76}, []float64{2, 2, 2, 2}, 0, 0},
		{"zero SE is missing", []float64{80, 80, 78, 76}, []float64{2, 2, 2, 0}, 0.5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := stat.EWMA{Lambda: tc.lambda, L: 1.5, Baseline: 2}
			r := c.Drift(tc.vals, tc.ses)
			if r.Signal || !math.IsNaN(r.Stat) || !math.IsNaN(r.P) || r.Updates != tc.wantUpdate {
				t.Errorf("%+v", r)
			}
		})
	}
}
