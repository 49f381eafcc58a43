package stat

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Errors of the key-driver analysis.
var (
	// ErrDimension: cross moments or matrices of different sizes.
	ErrDimension = errors.New("dimensions differ")
	// ErrNoData: no weight, or an answer (item or overall) with no spread.
	ErrNoData = errors.New("not enough data")
	// ErrSingular: the items are (nearly) collinear, so their correlation matrix has no inverse.
	ErrSingular = errors.New("correlation matrix is singular")
)

// CrossMoments are the additive sufficient statistics of a weighted regression of the overall
// question y on P item answers x_1 … x_P (any one scale, e.g. SPEC §3.1's 0–100): a ClickHouse
// projection can store them per (branch, month) and pool them over branches and months with
// Add. Only complete responses — those that answered every one of the P items and the overall
// question — are added (listwise deletion). Pairwise moments would use more answers but can give
// a correlation matrix that is not positive definite, which relative weights cannot handle; the
// caller should choose the items so that complete responses are plentiful.
//
// The zero value has P = 0 and is the identity of Add. SWXX is P×P row-major and symmetric.
type CrossMoments struct {
	N    uint64    // responses
	SW   float64   // Σ w
	SWX  []float64 // Σ w·x_i
	SWXX []float64 // Σ w·x_i·x_j
	SWY  float64   // Σ w·y
	SWXY []float64 // Σ w·x_i·y
	SWY2 float64   // Σ w·y²
}

// NewCrossMoments returns empty moments for p items.
func NewCrossMoments(p int) CrossMoments {
	return CrossMoments{SWX: make([]float64, p), SWXX: make([]float64, p*p), SWXY: make([]float64, p)}
}

// P returns the number of items.
func (c CrossMoments) P() int { return len(c.SWX) }

// Observe adds one complete response with weight w, item answers x (len P) and overall y.
func (c *CrossMoments) Observe(w float64, x []float64, y float64) error {
	p := c.P()
	if len(x) != p || len(c.SWXX) != p*p || len(c.SWXY) != p {
		return fmt.Errorf("observe %d answers into moments of %d items: %w", len(x), p, ErrDimension)
	}
	c.N++
	c.SW += w
	c.SWY += w * y
	c.SWY2 += w * y * y
	for i, xi := range x {
		c.SWX[i] += w * xi
		c.SWXY[i] += w * xi * y
		for j, xj := range x {
			c.SWXX[i*p+j] += w * xi * xj
		}
	}
	return nil
}

// Add returns the moments of the union of two disjoint sets of responses (new slices; neither
// c nor o is modified). Moments of different item counts do not add, unless one is the zero
// value.
func (c CrossMoments) Add(o CrossMoments) (CrossMoments, error) {
	switch {
	case o.P() == 0 && o.N == 0:
		return c.clone(), nil
	case c.P() == 0 && c.N == 0:
		return o.clone(), nil
	case c.P() != o.P() || len(c.SWXX) != len(o.SWXX) || len(c.SWXY) != len(o.SWXY):
		return CrossMoments{}, fmt.Errorf("add moments of %d and %d items: %w", c.P(), o.P(), ErrDimension)
	}
	r := c.clone()
	r.N += o.N
	r.SW += o.SW
	r.SWY += o.SWY
	r.SWY2 += o.SWY2
	for i := range r.SWX {
		r.SWX[i] += o.SWX[i]
		r.SWXY[i] += o.SWXY[i]
	}
	for i := range r.SWXX {
		r.SWXX[i] += o.SWXX[i]
	}
	return r, nil
}

func (c CrossMoments) clone() CrossMoments {
	c.SWX = append([]float64(nil), c.SWX...)
	c.SWXX = append([]float64(nil), c.SWXX...)
	c.SWXY = append([]float64(nil), c.SWXY...)
	return c
}

// Correlations returns the weighted correlation matrix of the items, Rxx (P×P), and their
// correlations with the overall question, rxy, from the weighted covariances
// cov(a, b) = Σw·a·b/Σw − (Σw·a/Σw)(Σw·b/Σw) (the weights' normalisation cancels in a
// correlation). It fails with ErrNoData when Σw ≤ 0 or a variance is not positive.
func (c CrossMoments) Correlations() (rxx [][]float64, rxy []float64, err error) {
	p := c.P()
	if len(c.SWXX) != p*p || len(c.SWXY) != p {
		return nil, nil, fmt.Errorf("correlations of %d items: %w", p, ErrDimension)
	}
	if !(c.SW > 0) {
		return nil, nil, fmt.Errorf("correlations with total weight %v: %w", c.SW, ErrNoData)
	}
	mx := make([]float64, p)
	for i := range mx {
		mx[i] = c.SWX[i] / c.SW
	}
	my := c.SWY / c.SW
	cov := func(i, j int) float64 { return c.SWXX[i*p+j]/c.SW - mx[i]*mx[j] }
	sd := make([]float64, p)
	for i := range sd {
		v := cov(i, i)
		if !(v > 1e-12*math.Max(1, c.SWXX[i*p+i]/c.SW)) {
			return nil, nil, fmt.Errorf("item %d has no spread: %w", i, ErrNoData)
		}
		sd[i] = math.Sqrt(v)
	}
	vy := c.SWY2/c.SW - my*my
	if !(vy > 1e-12*math.Max(1, c.SWY2/c.SW)) {
		return nil, nil, fmt.Errorf("overall has no spread: %w", ErrNoData)
	}
	sy := math.Sqrt(vy)
	rxx = make([][]float64, p)
	rxy = make([]float64, p)
	for i := range rxx {
		rxx[i] = make([]float64, p)
		for j := range rxx[i] {
			rxx[i][j] = cov(i, j) / (sd[i] * sd[j])
		}
		rxx[i][i] = 1
		rxy[i] = (c.SWXY[i]/c.SW - mx[i]*my) / (sd[i] * sy)
	}
	return rxx, rxy, nil
}

// RelativeWeights is Johnson's (2000) relative-weight analysis.
type RelativeWeights struct {
	Raw        []float64 // ε_j: each item's share of R², summing to R²
	R2         float64   // the R² of the regression of y on all the items
	Importance []float64 // ε_j / R²: shares summing to 1 (all 0 when R² = 0)
}

// Relative computes Johnson's relative weights from the items' correlation matrix rxx (P×P,
// symmetric) and their correlations rxy with the outcome: with the eigen-decomposition
// rxx = V diag(λ) Vᵀ, Λ = V diag(√λ) Vᵀ (the correlations of the items with their closest
// orthogonal counterparts Z), β = Λ⁻¹ rxy = V diag(1/√λ) Vᵀ rxy (the regression of y on Z), and
//
//	ε_j = Σ_k Λ_jk² β_k²,   R² = Σ_j ε_j = rxyᵀ rxx⁻¹ rxy.
//
// The eigen-decomposition is Jacobi's (Eigen). It fails with ErrDimension on mismatched sizes and
// ErrSingular when an eigenvalue is below 1e-10 × the largest (collinear items).
func Relative(rxx [][]float64, rxy []float64) (RelativeWeights, error) {
	p := len(rxy)
	if len(rxx) != p {
		return RelativeWeights{}, fmt.Errorf("relative weights of %d×? and %d: %w", len(rxx), p, ErrDimension)
	}
	for _, row := range rxx {
		if len(row) != p {
			return RelativeWeights{}, fmt.Errorf("relative weights: row of %d, want %d: %w", len(row), p, ErrDimension)
		}
	}
	if p == 0 {
		return RelativeWeights{Raw: []float64{}, Importance: []float64{}}, nil
	}
	vals, vecs := Eigen(rxx)
	top := 0.0
	for _, l := range vals {
		top = math.Max(top, math.Abs(l))
	}
	for _, l := range vals {
		if !(l > 1e-10*top) {
			return RelativeWeights{}, fmt.Errorf("relative weights: eigenvalue %g: %w", l, ErrSingular)
		}
	}
	lam := make([][]float64, p) // Λ = V diag(√λ) Vᵀ
	inv := make([][]float64, p) // Λ⁻¹ = V diag(1/√λ) Vᵀ
	for i := 0; i < p; i++ {
		lam[i] = make([]float64, p)
		inv[i] = make([]float64, p)
		for j := 0; j < p; j++ {
			for k := 0; k < p; k++ {
				s := math.Sqrt(vals[k])
				lam[i][j] += vecs[i][k] * s * vecs[j][k]
				inv[i][j] += vecs[i][k] / s * vecs[j][k]
			}
		}
	}
	beta := make([]float64, p)
	for k := 0; k < p; k++ {
		for j := 0; j < p; j++ {
			beta[k] += inv[k][j] * rxy[j]
		}
	}
	rw := RelativeWeights{Raw: make([]float64, p), Importance: make([]float64, p)}
	for j := 0; j < p; j++ {
		for k := 0; k < p; k++ {
			rw.Raw[j] += lam[j][k] * lam[j][k] * beta[k] * beta[k]
		}
		rw.R2 += rw.Raw[j]
	}
	if rw.R2 > 0 {
		for j := range rw.Raw {
			rw.Importance[j] = rw.Raw[j] / rw.R2
		}
	}
	return rw, nil
}

// Eigen returns the eigenvalues and eigenvectors (the columns of vecs) of the symmetric matrix
// a, by the cyclic Jacobi method (Golub & Van Loan, §8.5): rotations zero the off-diagonal
// entries until their sum of squares is below 1e-30 × the matrix's, or after 100 sweeps. Meant
// for small matrices (a key-driver analysis has at most a dozen items); only the upper triangle
// of a is read and a is not modified. Eigenvalues are sorted descending.
func Eigen(a [][]float64) (vals []float64, vecs [][]float64) {
	n := len(a)
	m := make([][]float64, n)
	vecs = make([][]float64, n)
	var norm float64
	for i := range m {
		m[i] = make([]float64, n)
		vecs[i] = make([]float64, n)
		vecs[i][i] = 1
		for j := range m[i] {
			if j >= i {
				m[i][j] = a[i][j]
			} else {
				m[i][j] = a[j][i]
			}
			norm += m[i][j] * m[i][j]
		}
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off float64
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				off += 2 * m[i][j] * m[i][j]
			}
		}
		if off <= 1e-30*norm || off == 0 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				if m[p][q] == 0 {
					continue
				}
				theta := (m[q][q] - m[p][p]) / (2 * m[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ { // m ← m·J
					mkp, mkq := m[k][p], m[k][q]
					m[k][p] = c*mkp - s*mkq
					m[k][q] = s*mkp + c*mkq
				}
				for k := 0; k < n; k++ { // m ← Jᵀ·m
					mpk, mqk := m[p][k], m[q][k]
					m[p][k] = c*mpk - s*mqk
					m[q][k] = s*mpk + c*mqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := vecs[k][p], vecs[k][q]
					vecs[k][p] = c*vkp - s*vkq
					vecs[k][q] = s*vkp + c*vkq
				}
			}
		}
	}
	vals = make([]float64, n)
	order := make([]int, n)
	for i := range vals {
		vals[i] = m[i][i]
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return vals[order[x]] > vals[order[y]] })
	sv := make([]float64, n)
	sv2 := make([][]float64, n)
	for i := range sv2 {
		sv2[i] = make([]float64, n)
	}
	for c, k := range order {
		sv[c] = vals[k]
		for r := 0; r < n; r++ {
			sv2[r][c] = vecs[r][k]
		}
	}
	return sv, sv2
}

// Priority is one item of the prioritized short-plank list.
type Priority struct {
	Item        string
	Importance  float64 // share of the explained variance of the overall score
	Performance float64 // own score
	Gap         float64 // best competitor's score − own score (> 0 when behind); NaN when unknown
	Score       float64 // Importance × Gap; NaN when Gap is unknown
}

// Priorities ranks the items of importance by Importance × Gap, highest first: an item
// customers care about, where we are far behind the best competitor, comes first; items where
// we lead (Gap < 0) come last among those with a gap. Items with no gap (missing from gapToBest
// or NaN) follow all the others, by importance. Ties by item code. Performance is looked up in
// performance (NaN when missing); it does not enter the ranking — a low own score is already
// in the gap, and ranking by raw score is the SPEC §3.6 absolute short plank this replaces.
func Priorities(importance, performance, gapToBest map[string]float64) []Priority {
	out := make([]Priority, 0, len(importance))
	for item, imp := range importance {
		pr := Priority{Item: item, Importance: imp, Performance: math.NaN(), Gap: math.NaN(), Score: math.NaN()}
		if v, ok := performance[item]; ok {
			pr.Performance = v
		}
		if g, ok := gapToBest[item]; ok && !math.IsNaN(g) {
			pr.Gap, pr.Score = g, imp*g
		}
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		an, bn := math.IsNaN(a.Score), math.IsNaN(b.Score)
		switch {
		case an != bn:
			return bn
		case !an && a.Score != b.Score:
			return a.Score > b.Score
		case an && a.Importance != b.Importance:
			return a.Importance > b.Importance
		}
		return a.Item < b.Item
	})
	return out
}
