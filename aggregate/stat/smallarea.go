package stat

import "math"

// Direct is the direct survey estimate of one branch (SPEC §3.2) for a small-area estimate.
type Direct struct {
	Value float64 // y_i on the 0–100 scale; NaN when the branch has no direct value (n = 0)
	Var   float64 // sampling variance D_i = SE²; NaN when unknown (n < 2)
	N     float64 // responses behind Value (n or n_eff); weighs the parent mean, imputes Var
}

// Smoothed is a small-area estimate with its margin.
type Smoothed struct {
	Value float64 // θ̂_i; NaN only when there is neither a direct value nor a mean to borrow
	MOE95 float64 // 1.96 × √mse; NaN when unknown
	Gamma float64 // weight of the direct value: 1 keeps it, 0 takes the mean
}

// FH is the outcome of FayHerriot for the children of one parent (one level, item and month).
type FH struct {
	A        float64    // between-branch variance Â; NaN when fewer than 2 children have Var
	Mean     float64    // μ, the mean the children shrink towards
	MeanVar  float64    // V_μ, the variance of μ as an estimate of the children's mean
	Branches []Smoothed // in the order of the input
}

// FayHerriot returns empirical-Bayes small-area estimates (Fay & Herriot 1979, with the moment
// estimator and MSE of Prasad & Rao 1990; Rao & Molina 2015, §6.1–6.2) for the children of one
// parent, at one level, for one item and month. The model: y_i = θ_i + e_i, e_i ~ (0, D_i) the
// sampling error, θ_i = μ + v_i, v_i ~ (0, A) the between-branch spread.
//
// Between-branch variance, over the m children with a value and a known D_i, ȳ their plain mean
// (Prasad–Rao's moment estimator; unbiased before the truncation at 0):
//
//	Â = max(0, (Σ(y_i − ȳ)² − (1 − 1/m)·ΣD_i) / (m − 1)).
//
// The mean μ: prior when it is finite (the parent's direct value, which is what "borrow strength
// from the parent" means); then V_μ = Σ w_j²(Â + D_j) with w_j = N_j/ΣN, treating the parent's
// value as the N-weighted mean of its children's (exact when every response of the parent is in
// a child and weights are 1; equal weights when an N is not positive). prior = NaN estimates μ
// by generalised least squares, μ = Σ y_j/(Â+D_j) / Σ 1/(Â+D_j), V_μ = 1/Σ 1/(Â+D_j).
//
// Each child with a value gets γ_i = Â/(Â + D_i) (1 when D_i = 0), θ̂_i = γ_i y_i + (1−γ_i) μ,
// and mse_i = g1 + g2 + 2·g3 (Prasad–Rao): g1 = γ_i D_i, g2 = (1−γ_i)² V_μ (for any unbiased
// linear μ the two error terms are uncorrelated, so this is exact for known A), g3 =
// D_i²/(Â+D_i)³ · 2m⁻² Σ(Â+D_j)² (the uncertainty of Â). With few children Â is so uncertain
// that mse_i can exceed D_i: then the child keeps its direct value and margin (γ_i = 1) — a
// smoothed value is never reported less precise than the direct one.
// A child without a direct value (n = 0) gets θ̂ = μ with mse = Â + V_μ (a new draw of v_i).
//
// Edge cases: D_i → 0 (n → ∞) keeps y_i; a child with a value but an unknown D_i (n = 1) has
// it imputed as s²/N_i, s² the mean of N_j·D_j over the children where both are known, and is
// left as it is (margin NaN) when that is impossible; with fewer than two children with a known
// D_i, Â cannot be estimated: every child keeps its direct value and margin, a child without a
// value gets μ (prior, or the single child's value) with margin NaN.
func FayHerriot(direct []Direct, prior float64) FH {
	out := FH{A: math.NaN(), Mean: math.NaN(), MeanVar: math.NaN(), Branches: make([]Smoothed, len(direct))}
	has := func(d Direct) bool { return !math.IsNaN(d.Value) && !math.IsInf(d.Value, 0) }
	known := func(d Direct) bool { return has(d) && d.Var >= 0 && !math.IsInf(d.Var, 0) }

	// D_i, imputed where unknown.
	D := make([]float64, len(direct))
	var unit, units float64
	var m int
	var sumY float64
	for _, d := range direct {
		if known(d) {
			m++
			sumY += d.Value
			if d.N > 0 {
				unit += d.N * d.Var
				units++
			}
		}
	}
	for i, d := range direct {
		switch {
		case known(d):
			D[i] = d.Var
		case has(d) && d.N > 0 && units > 0:
			D[i] = unit / units / d.N
		default:
			D[i] = math.NaN()
		}
	}

	if m < 2 {
		out.Mean = prior
		if math.IsNaN(prior) && m == 1 {
			out.Mean = sumY
		}
		for i, d := range direct {
			switch {
			case known(d):
				out.Branches[i] = Smoothed{Value: d.Value, MOE95: z95 * math.Sqrt(d.Var), Gamma: 1}
			case has(d):
				out.Branches[i] = Smoothed{Value: d.Value, MOE95: math.NaN(), Gamma: 1}
			default:
				out.Branches[i] = Smoothed{Value: out.Mean, MOE95: math.NaN(), Gamma: 0}
			}
		}
		return out
	}

	ybar := sumY / float64(m)
	var ss, sumD float64
	for _, d := range direct {
		if known(d) {
			ss += (d.Value - ybar) * (d.Value - ybar)
			sumD += d.Var
		}
	}
	A := math.Max(0, (ss-(1-1/float64(m))*sumD)/float64(m-1))
	out.A = A
	var varA float64 // 2m⁻² Σ(Â + D_j)², over the children that estimated Â
	for _, d := range direct {
		if known(d) {
			varA += (A + d.Var) * (A + d.Var)
		}
	}
	varA *= 2 / float64(m*m)

	// The mean and its variance, over the children with a value and a (possibly imputed) D.
	usable := func(i int) bool { return has(direct[i]) && !math.IsNaN(D[i]) }
	if !math.IsNaN(prior) && !math.IsInf(prior, 0) {
		out.Mean = prior
		var sumN float64
		equal := false
		var k float64
		for i, d := range direct {
			if usable(i) {
				k++
				sumN += d.N
				if !(d.N > 0) {
					equal = true
				}
			}
		}
		var v float64
		for i, d := range direct {
			if usable(i) {
				w := 1 / k
				if !equal {
					w = d.N / sumN
				}
				v += w * w * (A + D[i])
			}
		}
		out.MeanVar = v
	} else {
		var sw, swy, zeros, zeroY float64
		for i, d := range direct {
			if !usable(i) {
				continue
			}
			if A+D[i] == 0 {
				zeros++
				zeroY += d.Value
				continue
			}
			sw += 1 / (A + D[i])
			swy += d.Value / (A + D[i])
		}
		if zeros > 0 { // exact values: they are the mean
			out.Mean, out.MeanVar = zeroY/zeros, 0
		} else {
			out.Mean, out.MeanVar = swy/sw, 1/sw
		}
	}

	for i, d := range direct {
		switch {
		case !has(d):
			out.Branches[i] = Smoothed{Value: out.Mean, MOE95: z95 * math.Sqrt(A+out.MeanVar), Gamma: 0}
		case math.IsNaN(D[i]):
			out.Branches[i] = Smoothed{Value: d.Value, MOE95: math.NaN(), Gamma: 1}
		default:
			Di := D[i]
			g := 1.0
			if Di > 0 {
				g = A / (A + Di)
			}
			mse := g*Di + (1-g)*(1-g)*out.MeanVar
			if Di > 0 {
				mse += 2 * Di * Di / math.Pow(A+Di, 3) * varA
			}
			if mse >= Di {
				g, mse = 1, Di
			}
			out.Branches[i] = Smoothed{Value: g*d.Value + (1-g)*out.Mean, MOE95: z95 * math.Sqrt(mse), Gamma: g}
		}
	}
	return out
}

// z95 is the two-sided 95 % normal quantile, as SPEC §3.2 uses it for every moe95.
const z95 = 1.96
