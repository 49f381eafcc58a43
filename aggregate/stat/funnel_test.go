package stat_test

import (
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat"
)

// TestFunnelKnownLimits: no over-dispersion (two children exactly on the rate): p̄ = 0.01,
// so at N = 10 000 the SE is √(0.01·0.99/10 000) = 0.000994987 and, per 10k,
// 95 %: 100 ± 1.959964·9.94987 = [80.4986, 119.5014]; 99.8 %: 100 ± 3.090232·9.94987 =
// [69.2526, 130.7474]. At N = 100 the lower limits are clamped at 0.
func TestFunnelKnownLimits(t *testing.T) {
	f := stat.Funnel([]stat.FunnelPoint{{ID: "a", Count: 100, Base: 10000}, {ID: "b", Count: 300, Base: 30000}}, 10000)
	checkNear(t, "Rate", f.Rate, 100, 1e-9)
	checkNear(t, "Phi", f.Phi, 0, 1e-12)
	checkNear(t, "Factor", f.Factor, 1, 0)
	a := f.Points[0]
	checkNear(t, "Lower95", a.Lower95, 80.49857, 1e-4)
	checkNear(t, "Upper95", a.Upper95, 119.50143, 1e-4)
	checkNear(t, "Lower998", a.Lower998, 69.25256, 1e-4)
	checkNear(t, "Upper998", a.Upper998, 130.74744, 1e-4)
	c := stat.LimitCurve(f.Rate, f.Factor, []float64{100, 10000}, 10000)
	if c[0].Lower95 != 0 || c[0].Lower998 != 0 || c[1] != a.FunnelLimits {
		t.Errorf("curve %+v, point %+v", c, a.FunnelLimits)
	}
}

// TestFunnelOverDispersion: ten children (computed by hand with a calculator):
// Σk = 262, ΣN = 20 500, p̄ = 0.0127805 (127.805 per 10k). The z-scores, sorted:
// −3.00938 −2.12795 −1.88548 −1.69669 −0.38538 −0.21973 0.54589 1.03792 2.48928 5.14576;
// Winsorizing one at each end (⌊10 %·10⌋ = 1) sets −3.00938 → −2.12795 and 5.14576 → 2.48928,
// so φ̂ = Σz_w²/10 = 2.945520 and every variance is multiplied by it. The child with 70/3000
// (233.33 per 10k) is above its 95 % limit 196.79 but below its 99.8 % limit 236.57: a Warning,
// not an Outlier.
func TestFunnelOverDispersion(t *testing.T) {
	pts := []stat.FunnelPoint{
		{"a", 12, 1000}, {"b", 30, 1500}, {"c", 9, 800}, {"d", 55, 4000}, {"e", 20, 2500},
		{"f", 8, 1200}, {"g", 70, 3000}, {"h", 15, 900}, {"i", 40, 5000}, {"j", 3, 600},
	}
	f := stat.Funnel(pts, 10000)
	checkNear(t, "Rate", f.Rate, 127.804878, 1e-6)
	checkNear(t, "Phi", f.Phi, 2.9455200355, 1e-9)
	checkNear(t, "Factor", f.Factor, f.Phi, 0)
	want := []struct {
		z, l95, u95, l998, u998 float64
		warn, out               string
	}{
		{-0.21973, 8.3209, 247.2889, 0, 316.1926, "", ""},
		{2.48928, 30.2466, 225.3631, 0, 281.6228, "", ""},
		{-0.38538, 0, 261.392, 0, 338.4288, "", ""},
		{0.54589, 68.0629, 187.5469, 33.611, 221.9988, "", ""},
		{-2.12795, 52.2366, 203.3732, 8.658, 246.9518, "", ""},
		{-1.88548, 18.7314, 236.8783, 0, 299.7786, "", ""},
		{5.14576, 58.8208, 196.789, 19.0391, 236.5706, "high", ""},
		{1.03792, 1.8577, 253.752, 0, 326.383, "", ""},
		{-3.00938, 74.37, 181.2397, 43.5553, 212.0544, "", ""},
		{-1.69669, 0, 282.058, 0, 371.0124, "", ""},
	}
	for i, w := range want {
		p := f.Points[i]
		if p.ID != pts[i].ID {
			t.Errorf("point %d id %q", i, p.ID)
		}
		checkNear(t, p.ID+" Z", p.Z, w.z, 1e-5)
		checkNear(t, p.ID+" Lower95", p.Lower95, w.l95, 1e-4)
		checkNear(t, p.ID+" Upper95", p.Upper95, w.u95, 1e-4)
		checkNear(t, p.ID+" Lower998", p.Lower998, w.l998, 1e-4)
		checkNear(t, p.ID+" Upper998", p.Upper998, w.u998, 1e-4)
		if p.Warning != w.warn || p.Outlier != w.out {
			t.Errorf("%s: warning %q outlier %q, want %q %q", p.ID, p.Warning, p.Outlier, w.warn, w.out)
		}
	}
	// Without the correction (Factor 1) the same child is far outside: its 99.8 % limit is
	// 127.805 + 3.090232·√(0.0127805·0.9872195/3000)·10⁴ = 127.805 + 63.374 = 191.179.
	c := stat.LimitCurve(f.Rate, 1, []float64{3000}, 10000)[0]
	checkNear(t, "uncorrected Upper998", c.Upper998, 191.1789, 1e-3)
}

func TestFunnelEdges(t *testing.T) {
	f := stat.Funnel([]stat.FunnelPoint{{"a", 0, 100}, {"b", 0, 200}, {"c", 5, 0}}, 100)
	if f.Rate != 0 || !math.IsNaN(f.Phi) || f.Factor != 1 {
		t.Errorf("zero counts: %+v", f)
	}
	if p := f.Points[0]; !math.IsNaN(p.Z) || p.Outlier != "" || p.Upper998 != 0 {
		t.Errorf("zero counts point: %+v", p)
	}
	if p := f.Points[2]; !math.IsNaN(p.Rate) || !math.IsNaN(p.Upper95) {
		t.Errorf("no base: %+v", p)
	}
	if f := stat.Funnel(nil, 100); !math.IsNaN(f.Rate) || len(f.Points) != 0 {
		t.Errorf("empty: %+v", f)
	}
	// A low outlier among ten equal children: p̄ = 1004/110 000, z = −9.18 and 0.918 (×10);
	// Winsorizing clips the outlier to 0.918, so φ̂ = 0.842 and Factor 1; its 99.8 % lower limit
	// is (0.0091273 − 3.090232·0.00095101)·10⁴ = 61.88 per 10k, far above 4.
	pts := []stat.FunnelPoint{{"lo", 4, 10000}}
	for i := 0; i < 10; i++ {
		pts = append(pts, stat.FunnelPoint{ID: "x", Count: 100, Base: 10000})
	}
	f = stat.Funnel(pts, 10000)
	checkNear(t, "Phi", f.Phi, 0.8421, 1e-4)
	checkNear(t, "Lower998", f.Points[0].Lower998, 61.88, 1e-2)
	if f.Factor != 1 || f.Points[0].Outlier != stat.Low || f.Points[1].Warning != "" {
		t.Errorf("low: %+v (factor %v)", f.Points[0], f.Factor)
	}
	if b := stat.LogBases(100, 10000, 3); len(b) != 3 || math.Abs(b[1]-1000) > 1e-9 || b[2] != 10000 {
		t.Errorf("LogBases %v", b)
	}
	if stat.LogBases(0, 1, 3) != nil {
		t.Error("LogBases(0, …) not nil")
	}
}
