package stat_test

import (
	"cmp"
	"fmt"
	"math"

	"github.com/csat-dev/csat/aggregate/stat"
)

func ExampleFayHerriot() {
	// Eight counties of a city whose direct value is 74: one large, six of ~35 interviews, one
	// without any interview this month.
	counties := []stat.Direct{
		{Value: 76, Var: 2, N: 400},
		{Value: 61, Var: 30, N: 35},
		{Value: 83, Var: 28, N: 36},
		{Value: 72, Var: 33, N: 31},
		{Value: 69, Var: 29, N: 34},
		{Value: 78, Var: 27, N: 38},
		{Value: 66, Var: 31, N: 33},
		{Value: math.NaN(), Var: math.NaN(), N: 0},
	}
	fh := stat.FayHerriot(counties, 74)
	fmt.Printf("A = %.1f\n", fh.A)
	for i, s := range fh.Branches {
		fmt.Printf("county %d: direct %4.1f → %.1f ±%.1f (γ %.2f)\n", i+1, counties[i].Value, s.Value, s.MOE95, s.Gamma)
	}
	// Output:
	// A = 30.8
	// county 1: direct 76.0 → 76.0 ±2.8 (γ 1.00)
	// county 2: direct 61.0 → 67.4 ±10.1 (γ 0.51)
	// county 3: direct 83.0 → 78.7 ±9.9 (γ 0.52)
	// county 4: direct 72.0 → 73.0 ±10.4 (γ 0.48)
	// county 5: direct 69.0 → 71.4 ±10.0 (γ 0.51)
	// county 6: direct 78.0 → 76.1 ±9.8 (γ 0.53)
	// county 7: direct 66.0 → 70.0 ±10.2 (γ 0.50)
	// county 8: direct  NaN → 74.0 ±13.3 (γ 0.00)
}

func ExampleBHQValues() {
	// One-sided p-values of four alerts of one month and rule.
	p := []float64{stat.PValueOneSided(3.5), stat.PValueOneSided(2.1), 0.04, 0.30}
	q := stat.BHQValues(p)
	for i := range p {
		fmt.Printf("p %.4f q %.4f\n", p[i], q[i])
	}
	// Output:
	// p 0.0002 q 0.0009
	// p 0.0179 q 0.0357
	// p 0.0400 q 0.0533
	// p 0.3000 q 0.3000
}

func ExampleEWMA_Drift() {
	// A slow slide of about one point a month after a stable half year (SE 1.5 points).
	values := []float64{78, 77.5, 78.4, 77.8, 78.1, 77.9, 77, 76.2, 75.1, 74.3, 73.0, 72.2}
	ses := make([]float64, len(values))
	for i := range ses {
		ses[i] = 1.5
	}
	r := stat.DefaultEWMA().Drift(values, ses)
	fmt.Printf("μ0 %.2f, E %.2f, limit %.2f, z %.2f, signal %v\n", r.Mean0, r.Stat, r.Limit, r.Z, r.Signal)
	// Output: μ0 77.95, E -1.94, limit 1.32, z -4.40, signal true
}

func ExampleFunnel() {
	// Complaints per 10k subscribers in ten cities.
	f := stat.Funnel([]stat.FunnelPoint{
		{ID: "GZ", Count: 420, Base: 300000}, {ID: "SZ", Count: 350, Base: 280000},
		{ID: "FS", Count: 95, Base: 60000}, {ID: "DG", Count: 130, Base: 90000},
		{ID: "ZS", Count: 41, Base: 32000}, {ID: "JM", Count: 30, Base: 25000},
		{ID: "HZ", Count: 52, Base: 33000}, {ID: "ZH", Count: 60, Base: 20000},
		{ID: "ST", Count: 38, Base: 30000}, {ID: "MZ", Count: 18, Base: 15000},
	}, 10000)
	fmt.Printf("rate %.2f per 10k, φ %.2f\n", f.Rate, f.Phi)
	for _, p := range f.Points {
		fmt.Printf("%s %.1f [%.1f, %.1f] %s\n", p.ID, p.Rate, p.Lower998, p.Upper998, cmp.Or(p.Outlier, "-"))
	}
	// With ten children the highest z (ZH's) is Winsorized, φ̂ < 1 and the limits are binomial.
	// Output:
	// rate 13.94 per 10k, φ 0.64
	// GZ 14.0 [11.8, 16.0] -
	// SZ 12.5 [11.8, 16.1] -
	// FS 15.8 [9.2, 18.7] -
	// DG 14.4 [10.1, 17.8] -
	// ZS 12.8 [7.5, 20.4] -
	// JM 12.0 [6.7, 21.2] -
	// HZ 15.8 [7.6, 20.3] -
	// ZH 30.0 [5.8, 22.1] high
	// ST 12.7 [7.3, 20.6] -
	// MZ 12.0 [4.5, 23.4] -
}

func ExampleRelative() {
	// Three items: network and data are correlated (0.6); brand is apart.
	rxx := [][]float64{{1, 0.6, 0.2}, {0.6, 1, 0.25}, {0.2, 0.25, 1}}
	rxy := []float64{0.55, 0.5, 0.3}
	rw, err := stat.Relative(rxx, rxy)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("R² %.3f\n", rw.R2)
	for i, item := range []string{"network", "data", "brand"} {
		fmt.Printf("%-7s %.3f (%.0f%%)\n", item, rw.Raw[i], 100*rw.Importance[i])
	}
	// Output:
	// R² 0.374
	// network 0.189 (51%)
	// data    0.132 (35%)
	// brand   0.052 (14%)
}

func ExamplePriorities() {
	imp := map[string]float64{"network": 0.44, "data": 0.36, "brand": 0.20}
	perf := map[string]float64{"network": 78, "data": 74, "brand": 70}
	gap := map[string]float64{"network": 1.5, "data": 3, "brand": 6}
	for _, p := range stat.Priorities(imp, perf, gap) {
		fmt.Printf("%-7s importance %.2f × gap %.1f = %.2f\n", p.Item, p.Importance, p.Gap, p.Score)
	}
	// Output:
	// brand   importance 0.20 × gap 6.0 = 1.20
	// data    importance 0.36 × gap 3.0 = 1.08
	// network importance 0.44 × gap 1.5 = 0.66
}
