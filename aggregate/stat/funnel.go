package stat

import (
	"math"
	"sort"
)

// Two-sided normal quantiles of the funnel limits: 95 % (2.5 % each side) and 99.8 % (0.1 %
// each side), as in Spiegelhalter (2005).
const (
	Z95  = 1.959963984540054
	Z998 = 3.090232306167813
)

// Outlier flags.
const (
	High = "high"
	Low  = "low"
)

// FunnelPoint is one child of a funnel plot: a count of events over a base, e.g. complaints
// opened over subscribers, or churned customers over subscribers.
type FunnelPoint struct {
	ID    string
	Count float64 // k_i ≥ 0
	Base  float64 // N_i > 0; a point with N_i ≤ 0 takes no part (its numbers are NaN)
}

// FunnelLimits are the control limits at one base, on the rate's scale (lower clamped at 0).
type FunnelLimits struct {
	Base               float64
	Lower95, Upper95   float64
	Lower998, Upper998 float64
}

// FunnelPointResult is one child of a funnel plot with its limits and flags.
type FunnelPointResult struct {
	ID   string
	Rate float64 // k_i / N_i × scale
	Base float64
	Z    float64 // (p_i − p̄)/√(p̄(1−p̄)/N_i), before any over-dispersion correction
	FunnelLimits
	Warning string // High or Low outside the 95 % limits, else ""
	Outlier string // High or Low outside the 99.8 % limits, else ""
}

// FunnelResult is a funnel plot for the children of one branch.
type FunnelResult struct {
	Rate   float64 // p̄ × scale, p̄ = Σk / ΣN over the points with a base
	Phi    float64 // the over-dispersion estimate φ̂ (NaN with fewer than 2 points)
	Factor float64 // the variance inflation applied to the limits: max(1, φ̂), 1 when φ̂ is NaN
	Points []FunnelPointResult
}

// Funnel computes a funnel plot for rates (Spiegelhalter 2005, "Funnel plots for comparing
// institutional performance" and "Handling over-dispersion of performance indicators").
// scale is the unit of the rates: 10000 for complaints per 10k, 100 for a churn %.
//
// The target is the overall rate p̄ = Σk/ΣN (the parent's, when the children cover it). Each
// child has p_i = k_i/N_i and z_i = (p_i − p̄)/√(p̄(1−p̄)/N_i). Over-dispersion — children that
// differ by more than binomial chance, as real branches do — is estimated with Spiegelhalter's
// multiplicative model: the z_i are Winsorized (sorted, with g = ⌊0.1·m⌋, the g lowest set to
// the (g+1)-th lowest and the g highest to the (g+1)-th highest; no change when m < 10), and
// φ̂ = (1/m) Σ z_w². When φ̂ > 1 every variance is multiplied by φ̂ (Factor); this is the same
// correction in spirit as Laney's p′ chart (σ_z from the moving range of the z's), chosen here
// because it does not depend on the order of the children. No test of φ̂ against χ²_{m−1} is
// made: any φ̂ > 1 widens the limits, which errs towards fewer outliers.
//
// Limits at base N: p̄ ± z·√(Factor·p̄(1−p̄)/N), z = Z95 and Z998, × scale, the lower ones at
// least 0 (normal approximation to the binomial: rough when N·p̄ is below about 10). A child
// is a Warning outside the 95 % limits and an Outlier outside the 99.8 % limits. Points keep
// the input order. When Σk = 0 or ΣN·p̄ = ΣN (p̄ ∈ {0, 1}) every limit collapses onto p̄: z is
// NaN and nothing is flagged.
func Funnel(points []FunnelPoint, scale float64) FunnelResult {
	var sk, sn float64
	var m int
	for _, p := range points {
		if p.Base > 0 {
			sk += p.Count
			sn += p.Base
			m++
		}
	}
	nan := math.NaN()
	res := FunnelResult{Rate: nan, Phi: nan, Factor: 1, Points: make([]FunnelPointResult, len(points))}
	pbar := nan
	if sn > 0 {
		pbar = sk / sn
		res.Rate = pbar * scale
	}
	v := pbar * (1 - pbar)
	var zs []float64
	for i, p := range points {
		r := FunnelPointResult{ID: p.ID, Base: p.Base, Rate: nan, Z: nan}
		if p.Base > 0 {
			r.Rate = p.Count / p.Base * scale
			if v > 0 {
				r.Z = (p.Count/p.Base - pbar) / math.Sqrt(v/p.Base)
				zs = append(zs, r.Z)
			}
		}
		res.Points[i] = r
	}
	if len(zs) >= 2 {
		res.Phi = winsorizedPhi(zs)
		if res.Phi > 1 {
			res.Factor = res.Phi
		}
	}
	for i := range res.Points {
		r := &res.Points[i]
		if !(r.Base > 0) {
			r.FunnelLimits = FunnelLimits{Base: r.Base, Lower95: nan, Upper95: nan, Lower998: nan, Upper998: nan}
			continue
		}
		r.FunnelLimits = limitsAt(pbar, res.Factor, r.Base, scale)
		if math.IsNaN(r.Z) {
			continue
		}
		r.Warning = flag(r.Rate, r.Lower95, r.Upper95)
		r.Outlier = flag(r.Rate, r.Lower998, r.Upper998)
	}
	return res
}

// LimitCurve returns the funnel's limits at each base in bases (for plotting), for the rate
// and Factor of a FunnelResult: rate is on the scale of the result (e.g. per 10k).
func LimitCurve(rate, factor float64, bases []float64, scale float64) []FunnelLimits {
	out := make([]FunnelLimits, len(bases))
	for i, n := range bases {
		out[i] = limitsAt(rate/scale, factor, n, scale)
	}
	return out
}

// LogBases returns k bases spaced evenly on a log scale from lo to hi (both included), for
// LimitCurve; nil unless 0 < lo ≤ hi and k ≥ 2.
func LogBases(lo, hi float64, k int) []float64 {
	if !(lo > 0 && hi >= lo) || k < 2 {
		return nil
	}
	out := make([]float64, k)
	for i := range out {
		out[i] = lo * math.Pow(hi/lo, float64(i)/float64(k-1))
	}
	out[k-1] = hi
	return out
}

func limitsAt(p, factor, n, scale float64) FunnelLimits {
	se := math.Sqrt(factor * p * (1 - p) / n)
	return FunnelLimits{
		Base:     n,
		Lower95:  math.Max(0, p-Z95*se) * scale,
		Upper95:  (p + Z95*se) * scale,
		Lower998: math.Max(0, p-Z998*se) * scale,
		Upper998: (p + Z998*se) * scale,
	}
}

func flag(x, lo, hi float64) string {
	switch {
	case x > hi:
		return High
	case x < lo:
		return Low
	}
	return ""
}

// winsorizedPhi is (1/m) Σ z_w² with 10 % Winsorized at each end (see Funnel).
func winsorizedPhi(z []float64) float64 {
	s := append([]float64(nil), z...)
	sort.Float64s(s)
	m := len(s)
	g := m / 10
	lo, hi := s[g], s[m-1-g]
	var sum float64
	for _, x := range s {
		x = math.Min(hi, math.Max(lo, x))
		sum += x * x
	}
	return sum / float64(m)
}
