package stat

import "math"

// StreakPValue is a selection-aware one-sided p-value for a decline streak: the probability,
// when nothing truly changed, that a series which has just fallen streak months in a row shows
// a z (SPEC §3.11: drop / √(SE_start² + SE_m²)) at least this large.
//
// Why: the plain z compares the streak's start with its end, but the start and the end were
// chosen by the data — the start is the highest of the streak+1 values and the end the lowest —
// so under no change z is far from standard normal (its mean is about 1.46 for a streak of 3),
// and 1 − Φ(z) is much too small. Conditional on the order, the streak+1 values are the order
// statistics of independent draws, so drop/σ is their range. The model: the streak's n =
// streak+1 values are independent normal with a common SE σ, estimated as
// σ² = (SE_start² + SE_m²)/2, so drop/σ = √2·z. Then
//
//	preceded = false:  p = P(W ≥ w), W the range of n standard normals,
//	                   = ∫ n φ(a) [(1 − Φ(a))ⁿ⁻¹ − (Φ(a+w) − Φ(a))ⁿ⁻¹] da;
//	preceded = true:   the month before the start was reportable and the series did not fall
//	                   into the start (which is why the streak is not longer): its value X₀ lies
//	                   below the maximum, so p = P(W ≥ w, X₀ ≤ max) / P(X₀ ≤ max), with
//	                   P(X₀ ≤ max) = n/(n+1) and, writing A = Φ(a), U = Φ(a+w),
//	                   P(W ≥ w, X₀ ≤ max) = ∫ n(n−1) φ(a) [G(1) − G(U)] da,
//	                   G(u) = (u−A)ⁿ/n + A(u−A)ⁿ⁻¹/(n−1).
//
// For streak = 1, not preceded, this is the two-sided normal p-value 2(1 − Φ(z)): a fall of one
// month is just as surprising as a rise. The integrals are computed by Simpson's rule on
// [−10, 10] with differences of powers formed without cancellation, so p is accurate to about
// 1e-10 absolute. It returns NaN when z is NaN or streak < 1, and 1 when z ≤ 0.
func StreakPValue(z float64, streak int, preceded bool) float64 {
	if math.IsNaN(z) || streak < 1 {
		return math.NaN()
	}
	if z <= 0 {
		return 1
	}
	n := streak + 1
	w := math.Sqrt2 * z
	f := func(a float64) float64 {
		A := normCDF(a)
		x := 1 - A            // (1 − A)
		y := normCDF(a+w) - A // (U − A)
		d := normSF(a + w)    // x − y = 1 − U, without cancellation
		if y < 0 {
			y = 0
		}
		if !preceded {
			return float64(n) * normPDF(a) * diffPow(x, y, d, n-1)
		}
		g := diffPow(x, y, d, n)/float64(n) + A*diffPow(x, y, d, n-1)/float64(n-1)
		return float64(n*(n-1)) * normPDF(a) * g
	}
	p := simpson(f, -10, 10, 4000)
	if preceded {
		p /= float64(n) / float64(n+1)
	}
	return math.Min(1, math.Max(0, p))
}

// diffPow returns xᵏ − yᵏ = (x − y)·Σᵢ xⁱ yᵏ⁻¹⁻ⁱ with d = x − y given exactly.
func diffPow(x, y, d float64, k int) float64 {
	var s float64
	for i := 0; i < k; i++ {
		s += math.Pow(x, float64(i)) * math.Pow(y, float64(k-1-i))
	}
	return d * s
}

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
func normCDF(x float64) float64 { return math.Erfc(-x/math.Sqrt2) / 2 }
func normSF(x float64) float64  { return math.Erfc(x/math.Sqrt2) / 2 }

// simpson integrates f over [a, b] with k (even) intervals.
func simpson(f func(float64) float64, a, b float64, k int) float64 {
	h := (b - a) / float64(k)
	s := f(a) + f(b)
	for i := 1; i < k; i++ {
		c := 2.0
		if i%2 == 1 {
			c = 4
		}
		s += c * f(a+float64(i)*h)
	}
	return s * h / 3
}
