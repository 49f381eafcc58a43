package stat_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat"
)

// TestFayHerriotHand checks four children of a parent whose direct value is 72, by hand:
// y = 60, 70, 80, 90, D = 4, 4, 4, 100 (SE 2, 2, 2, 10), N = 400, 400, 400, 16.
//
//	ȳ = 75, Σ(y−ȳ)² = 500, ΣD = 112
//	Â = (500 − ¾·112)/3 = 416/3 = 138.6667
//	w = N/ΣN = 400/1216 ×3, 16/1216; V_μ = Σ w²(Â + D) = 46.35365
//	2m⁻² Σ(Â+D)² = (3·142.6667² + 238.6667²)/8 = 14752.89
//
// Child 4: γ = 138.6667/238.6667 = 0.5810056, θ = 0.5810056·90 + 0.4189944·72 = 82.45810;
// g1 = γ·100 = 58.10056, g2 = 0.4189944²·46.35365 = 8.137676, g3 = 100²/238.6667³·14752.89 =
// 10.85180, mse = 58.10056 + 8.137676 + 2·10.85180 = 87.94183 < 100, moe = 1.96·√mse = 18.38035.
// Children 1–3: γ = 0.9719626 but mse = 3.887850 + 0.036438 + 2·0.081289 = 4.086866 ≥ D = 4:
// with four children Â is too uncertain to help them; they keep y and moe = 1.96·2 = 3.92.
// A fifth child with no direct value gets 72 with moe 1.96·√(Â + V_μ) = 26.66035.
func TestFayHerriotHand(t *testing.T) {
	in := []stat.Direct{
		{Value: 60, Var: 4, N: 400}, {Value: 70, Var: 4, N: 400}, {Value: 80, Var: 4, N: 400},
		{Value: 90, Var: 100, N: 16}, {Value: math.NaN(), Var: math.NaN(), N: 0},
	}
	fh := stat.FayHerriot(in, 72)
	checkNear(t, "A", fh.A, 416.0/3, 1e-9)
	checkNear(t, "Mean", fh.Mean, 72, 0)
	checkNear(t, "MeanVar", fh.MeanVar, 46.353647276, 1e-8)
	want := []stat.Smoothed{
		{Value: 60, MOE95: 3.92, Gamma: 1}, {Value: 70, MOE95: 3.92, Gamma: 1}, {Value: 80, MOE95: 3.92, Gamma: 1},
		{Value: 82.458100559, MOE95: 18.380352238, Gamma: 0.581005587},
		{Value: 72, MOE95: 26.660345798, Gamma: 0},
	}
	for i, w := range want {
		g := fh.Branches[i]
		checkNear(t, "Value", g.Value, w.Value, 1e-8)
		checkNear(t, "MOE95", g.MOE95, w.MOE95, 1e-8)
		checkNear(t, "Gamma", g.Gamma, w.Gamma, 1e-8)
	}

	// Without a prior, μ is the GLS mean Σ y/(Â+D) / Σ 1/(Â+D) = 73.32298 with V_μ = 39.65424.
	gls := stat.FayHerriot(in, math.NaN())
	checkNear(t, "GLS mean", gls.Mean, 73.322981366, 1e-8)
	checkNear(t, "GLS MeanVar", gls.MeanVar, 39.654244306, 1e-8)
	checkNear(t, "GLS n=0", gls.Branches[4].Value, gls.Mean, 0)
}

// TestFayHerriotLimits: a branch with n → ∞ (D → 0) keeps its direct value, one with n = 0 gets
// its parent's; with a single child or no known variance nothing is shrunk.
func TestFayHerriotLimits(t *testing.T) {
	nan := math.NaN()
	counties := []stat.Direct{
		{Value: 64, Var: 30, N: 35}, {Value: 81, Var: 25, N: 32}, {Value: 70, Var: 28, N: 38},
		{Value: 77, Var: 1e-12, N: 1e12}, // n → ∞
		{Value: nan, Var: nan, N: 0},     // n = 0
		{Value: 59, Var: 33, N: 30}, {Value: 88, Var: 20, N: 36}, {Value: 73, Var: 26, N: 34},
	}
	fh := stat.FayHerriot(counties, 74.5)
	if !(fh.A > 0) {
		t.Fatalf("A = %v, want > 0", fh.A)
	}
	checkNear(t, "n→∞ value", fh.Branches[3].Value, 77, 1e-9)
	checkNear(t, "n→∞ gamma", fh.Branches[3].Gamma, 1, 1e-9)
	checkNear(t, "n=0 value", fh.Branches[4].Value, 74.5, 0)
	checkNear(t, "n=0 moe", fh.Branches[4].MOE95, 1.96*math.Sqrt(fh.A+fh.MeanVar), 1e-12)

	for _, c := range []struct {
		name string
		in   []stat.Direct
		want []stat.Smoothed
	}{
		{"single child", []stat.Direct{{Value: 70, Var: 9, N: 50}, {Value: nan, Var: nan}},
			[]stat.Smoothed{{Value: 70, MOE95: 1.96 * 3, Gamma: 1}, {Value: 72, MOE95: nan, Gamma: 0}}},
		{"no variances", []stat.Direct{{Value: 70, Var: nan, N: 1}, {Value: 80, Var: nan, N: 1}},
			[]stat.Smoothed{{Value: 70, MOE95: nan, Gamma: 1}, {Value: 80, MOE95: nan, Gamma: 1}}},
		{"empty", nil, []stat.Smoothed{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fh := stat.FayHerriot(c.in, 72)
			if !math.IsNaN(fh.A) {
				t.Errorf("A = %v, want NaN", fh.A)
			}
			for i, w := range c.want {
				g := fh.Branches[i]
				if !near(g.Value, w.Value, 1e-12) || !near(g.MOE95, w.MOE95, 1e-12) || g.Gamma != w.Gamma {
					t.Errorf("child %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestFayHerriotImputed: a child of one response (variance unknown) gets D = s²/N with s² the
// mean of N·D over the others (here 1600), and is pulled almost all the way to the mean.
func TestFayHerriotImputed(t *testing.T) {
	in := []stat.Direct{
		{Value: 70, Var: 16, N: 100}, {Value: 76, Var: 16, N: 100}, {Value: 82, Var: 16, N: 100},
		{Value: 100, Var: math.NaN(), N: 1},
	}
	fh := stat.FayHerriot(in, 76)
	// Â = (72 − ⅔·48)/2 = 20; γ = 20/(20 + 1600) = 1/81.
	checkNear(t, "A", fh.A, 20, 1e-12)
	checkNear(t, "gamma", fh.Branches[3].Gamma, 1.0/81, 1e-12)
	checkNear(t, "value", fh.Branches[3].Value, 76+24.0/81, 1e-9)
}

// TestFayHerriotProperties: γ ∈ [0, 1], θ̂ lies between y and μ, and the margin never exceeds the
// direct one.
func TestFayHerriotProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 500; trial++ {
		m := 1 + r.IntN(15)
		in := make([]stat.Direct, m)
		for i := range in {
			n := 2 + r.IntN(400)
			in[i] = stat.Direct{Value: 60 + 30*r.Float64(), Var: 500 / float64(n), N: float64(n)}
			if r.IntN(10) == 0 {
				in[i] = stat.Direct{Value: math.NaN(), Var: math.NaN()}
			}
		}
		prior := 65 + 20*r.Float64()
		fh := stat.FayHerriot(in, prior)
		for i, s := range fh.Branches {
			d := in[i]
			if math.IsNaN(d.Value) {
				continue
			}
			lo, hi := math.Min(d.Value, fh.Mean), math.Max(d.Value, fh.Mean)
			if s.Gamma < 0 || s.Gamma > 1 || s.Value < lo-1e-9 || s.Value > hi+1e-9 ||
				!(s.MOE95 <= 1.96*math.Sqrt(d.Var)+1e-9) {
				t.Fatalf("trial %d child %d: in %+v out %+v (A %v)", trial, i, d, s, fh.A)
			}
		}
	}
}
