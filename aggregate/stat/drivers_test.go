package stat_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat"
)

// TestRelativeOrthogonal: uncorrelated items — the relative weights are the squared
// correlations (Johnson 2000: then Z = X and β = rxy).
func TestRelativeOrthogonal(t *testing.T) {
	rxx := [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	rxy := []float64{0.5, -0.3, 0.1}
	rw, err := stat.Relative(rxx, rxy)
	if err != nil {
		t.Fatal(err)
	}
	for j, r := range rxy {
		checkNear(t, "eps", rw.Raw[j], r*r, 1e-12)
	}
	checkNear(t, "R2", rw.R2, 0.35, 1e-12)
	checkNear(t, "importance", rw.Importance[0], 0.25/0.35, 1e-12)
}

// TestRelativeTwo: two items correlated r — a closed form derived by hand. rxx has eigenvalues
// 1 ± r with vectors (1, 1)/√2 and (1, −1)/√2, so Λ = rxx^{1/2} = [[a, b], [b, a]] with
// a = (√(1+r) + √(1−r))/2, b = (√(1+r) − √(1−r))/2, and Λ⁻¹ = [[c, d], [d, c]] with
// c = (1/√(1+r) + 1/√(1−r))/2, d = (1/√(1+r) − 1/√(1−r))/2. Then β = Λ⁻¹ rxy,
// ε₁ = a²β₁² + b²β₂², ε₂ = b²β₁² + a²β₂², and ε₁ + ε₂ must be the OLS
// R² = (r₁² + r₂² − 2 r r₁ r₂)/(1 − r²).
func TestRelativeTwo(t *testing.T) {
	for _, c := range []struct{ r, r1, r2 float64 }{
		{0.5, 0.6, 0.4}, {0.8, 0.7, 0.65}, {-0.3, 0.2, 0.5}, {0.6, 0.5, 0.5},
	} {
		sp, sm := math.Sqrt(1+c.r), math.Sqrt(1-c.r)
		a, b := (sp+sm)/2, (sp-sm)/2
		cc, d := (1/sp+1/sm)/2, (1/sp-1/sm)/2
		b1, b2 := cc*c.r1+d*c.r2, d*c.r1+cc*c.r2
		e1, e2 := a*a*b1*b1+b*b*b2*b2, b*b*b1*b1+a*a*b2*b2
		r2 := (c.r1*c.r1 + c.r2*c.r2 - 2*c.r*c.r1*c.r2) / (1 - c.r*c.r)
		rw, err := stat.Relative([][]float64{{1, c.r}, {c.r, 1}}, []float64{c.r1, c.r2})
		if err != nil {
			t.Fatal(err)
		}
		checkNear(t, "eps1", rw.Raw[0], e1, 1e-12)
		checkNear(t, "eps2", rw.Raw[1], e2, 1e-12)
		checkNear(t, "R2", rw.R2, r2, 1e-12)
		if c.r1 == c.r2 {
			checkNear(t, "symmetric", rw.Importance[0], 0.5, 1e-12)
		}
	}
}

// TestRelativePublished compares with published output of two independent implementations —
// not with Johnson's paper, whose numbers are not reproduced here:
//   - the R package iopsych, relWt's documented example (rdrr.io/cran/iopsych/man/relWt.html):
//     a 5×5 correlation matrix, criterion column 5, predictors 1–4, output
//     eps = 0.24066119 0.05492664 0.12143476 0.28158189;
//   - the npm package johnsons-relative-weights, its README example: a 7×7 matrix with the
//     criterion in the first column (the README's argument 1, counted from 1), raw weights 0.10774831782516386 …, R² =
//     0.6620304789821244.
func TestRelativePublished(t *testing.T) {
	rs := [][]float64{
		{1.0, 0.2, 0.3, 0.4, -0.4},
		{0.2, 1.0, 0.5, 0.1, 0.1},
		{0.3, 0.5, 1.0, 0.2, -0.3},
		{0.4, 0.1, 0.2, 1.0, 0.4},
		{-0.4, 0.1, -0.3, 0.4, 1.0},
	}
	rxx, rxy := split(rs, 4)
	rw, err := stat.Relative(rxx, rxy)
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range []float64{0.24066119, 0.05492664, 0.12143476, 0.28158189} {
		checkNear(t, "iopsych eps", rw.Raw[j], w, 5e-9)
	}

	npm := [][]float64{
		{1.00, 0.66, 0.67, 0.54, 0.68, 0.62, 0.72},
		{0.66, 1.00, 0.58, 0.59, 0.68, 0.68, 0.56},
		{0.67, 0.58, 1.00, 0.52, 0.60, 0.62, 0.68},
		{0.54, 0.59, 0.52, 1.00, 0.52, 0.61, 0.45},
		{0.68, 0.68, 0.60, 0.52, 1.00, 0.63, 0.62},
		{0.62, 0.68, 0.62, 0.61, 0.63, 1.00, 0.57},
		{0.72, 0.56, 0.68, 0.45, 0.62, 0.57, 1.00},
	}
	rxx, rxy = split(npm, 0)
	rw, err = stat.Relative(rxx, rxy)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.10774831782516386, 0.1164837573016094, 0.06551431494877613,
		0.12116711335808825, 0.08006198853448922, 0.1710549870139989}
	for j, w := range want {
		checkNear(t, "npm eps", rw.Raw[j], w, 1e-12)
	}
	checkNear(t, "npm R2", rw.R2, 0.6620304789821244, 1e-12)
}

// split takes the criterion column y out of a full correlation matrix.
func split(r [][]float64, y int) (rxx [][]float64, rxy []float64) {
	for i := range r {
		if i == y {
			continue
		}
		var row []float64
		for j := range r[i] {
			if j != y {
				row = append(row, r[i][j])
			}
		}
		rxx = append(rxx, row)
		rxy = append(rxy, r[i][y])
	}
	return rxx, rxy
}

// TestRelativeRandom: for random positive-definite matrices, Σε = rxyᵀ rxx⁻¹ rxy (solved
// directly by Gaussian elimination), every ε ≥ 0, and Eigen reconstructs the matrix.
func TestRelativeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 100; trial++ {
		p := 2 + r.IntN(11)
		// Correlations of p items and y from random data.
		cm := stat.NewCrossMoments(p)
		x := make([]float64, p)
		for k := 0; k < 50+p*5; k++ {
			f := r.NormFloat64()
			var y float64
			for i := range x {
				x[i] = 0.6*f + r.NormFloat64()
				y += float64(i%3) * x[i]
			}
			if err := cm.Observe(0.5+r.Float64(), x, y+r.NormFloat64()); err != nil {
				t.Fatal(err)
			}
		}
		rxx, rxy, err := cm.Correlations()
		if err != nil {
			t.Fatal(err)
		}
		rw, err := stat.Relative(rxx, rxy)
		if err != nil {
			t.Fatal(err)
		}
		checkNear(t, "R2", rw.R2, quadInv(rxx, rxy), 1e-9)
		var sum float64
		for j, e := range rw.Raw {
			if e < -1e-15 {
				t.Fatalf("eps %d = %v", j, e)
			}
			sum += rw.Importance[j]
		}
		checkNear(t, "Σ importance", sum, 1, 1e-12)

		vals, vecs := stat.Eigen(rxx)
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				var a, id float64
				for k := 0; k < p; k++ {
					a += vecs[i][k] * vals[k] * vecs[j][k]
					id += vecs[k][i] * vecs[k][j]
				}
				checkNear(t, "VΛVᵀ", a, rxx[i][j], 1e-10)
				want := 0.0
				if i == j {
					want = 1
				}
				checkNear(t, "VᵀV", id, want, 1e-10)
			}
		}
	}
}

// quadInv returns bᵀ A⁻¹ b by Gaussian elimination with partial pivoting.
func quadInv(a [][]float64, b []float64) float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		piv := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[piv][c]) {
				piv = r
			}
		}
		m[c], m[piv] = m[piv], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	sol := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * sol[k]
		}
		sol[r] = s / m[r][r]
	}
	var q float64
	for i := range b {
		q += b[i] * sol[i]
	}
	return q
}

func TestRelativeErrors(t *testing.T) {
	if _, err := stat.Relative([][]float64{{1, 1}, {1, 1}}, []float64{0.5, 0.5}); !errors.Is(err, stat.ErrSingular) {
		t.Errorf("collinear: %v", err)
	}
	if _, err := stat.Relative([][]float64{{1}}, []float64{0.5, 0.5}); !errors.Is(err, stat.ErrDimension) {
		t.Errorf("dimension: %v", err)
	}
	rw, err := stat.Relative(nil, nil)
	if err != nil || rw.R2 != 0 {
		t.Errorf("empty: %+v %v", rw, err)
	}
}

// TestCrossMoments: the correlations of a hand-sized data set, and Add equals observing all.
//
// x1 = 1, 2, 3, 4; x2 = 2, 1, 4, 3; y = 1, 3, 2, 4 (weights 1): means 2.5, 2.5, 2.5;
// variances 1.25 each; deviations x1 −1.5 −0.5 0.5 1.5, x2 −0.5 −1.5 1.5 0.5,
// y −1.5 0.5 −0.5 1.5, so cov(x1, x2) = 3/4, cov(x1, y) = 4/4, cov(x2, y) = 0/4:
// r12 = 0.6, r1y = 0.8, r2y = 0.
func TestCrossMoments(t *testing.T) {
	x := [][]float64{{1, 2}, {2, 1}, {3, 4}, {4, 3}}
	y := []float64{1, 3, 2, 4}
	all := stat.NewCrossMoments(2)
	a, b := stat.NewCrossMoments(2), stat.NewCrossMoments(2)
	for i := range x {
		_ = all.Observe(1, x[i], y[i])
		if i < 2 {
			_ = a.Observe(1, x[i], y[i])
		} else {
			_ = b.Observe(1, x[i], y[i])
		}
	}
	sum, err := a.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	if sum, err = (stat.CrossMoments{}).Add(sum); err != nil {
		t.Fatal(err)
	}
	rxx, rxy, err := sum.Correlations()
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "r12", rxx[0][1], 0.6, 1e-12)
	checkNear(t, "r21", rxx[1][0], 0.6, 1e-12)
	checkNear(t, "r1y", rxy[0], 0.8, 1e-12)
	checkNear(t, "r2y", rxy[1], 0, 1e-12)
	if sum.N != 4 || sum.SW != all.SW || sum.SWXX[1] != all.SWXX[1] {
		t.Errorf("Add %+v, observed %+v", sum, all)
	}
	// Doubling every weight changes nothing.
	dbl := stat.NewCrossMoments(2)
	for i := range x {
		_ = dbl.Observe(2, x[i], y[i])
	}
	_, rxy2, _ := dbl.Correlations()
	checkNear(t, "weights cancel", rxy2[0], 0.8, 1e-12)

	if _, err := a.Add(stat.NewCrossMoments(3)); !errors.Is(err, stat.ErrDimension) {
		t.Errorf("Add 2+3: %v", err)
	}
	if err := a.Observe(1, []float64{1}, 2); !errors.Is(err, stat.ErrDimension) {
		t.Errorf("Observe: %v", err)
	}
	flat := stat.NewCrossMoments(1)
	_ = flat.Observe(1, []float64{3}, 1)
	_ = flat.Observe(1, []float64{3}, 2)
	if _, _, err := flat.Correlations(); !errors.Is(err, stat.ErrNoData) {
		t.Errorf("no spread: %v", err)
	}
	if _, _, err := stat.NewCrossMoments(2).Correlations(); !errors.Is(err, stat.ErrNoData) {
		t.Errorf("empty: %v", err)
	}
}

func TestPriorities(t *testing.T) {
	imp := map[string]float64{"network": 0.3, "tariff": 0.1, "billing": 0.05, "store": 0.2, "online": 0.15, "brand": 0.2}
	perf := map[string]float64{"network": 78, "tariff": 65, "billing": 60, "store": 80}
	gap := map[string]float64{
		"network": 4,  // 1.2
		"tariff":  6,  // 0.6
		"billing": 12, // 0.6: ties with tariff, billing first by code
		"store":   -2, // −0.4: we lead
		"online":  math.NaN(),
		// brand: no competitor
	}
	got := stat.Priorities(imp, perf, gap)
	order := []string{"network", "billing", "tariff", "store", "brand", "online"}
	for i, w := range order {
		if got[i].Item != w {
			t.Fatalf("rank %d = %s, want %s (all %+v)", i, got[i].Item, w, got)
		}
	}
	checkNear(t, "score", got[0].Score, 1.2, 1e-12)
	checkNear(t, "performance", got[0].Performance, 78, 0)
	if !math.IsNaN(got[4].Score) || !math.IsNaN(got[4].Performance) {
		t.Errorf("brand %+v", got[4])
	}
}
