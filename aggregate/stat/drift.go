package stat

import "math"

// EWMA configures the drift chart. The zero value is not useful: start from DefaultEWMA.
type EWMA struct {
	// Lambda is the weight of the newest month, 0 < λ ≤ 1. Default 0.2: a slow slide is
	// averaged over about 2/λ − 1 = 9 months.
	Lambda float64
	// L is the limit in standard deviations of the chart statistic. Default 3: one-sided, a
	// month without any true change signals with probability Φ(−3) = 0.13 %.
	L float64
	// Baseline is the number of leading months of the series that define the in-control mean
	// μ0; the chart runs on the months after them. Default 6.
	Baseline int
}

// DefaultEWMA returns λ = 0.2, L = 3, Baseline = 6.
func DefaultEWMA() EWMA { return EWMA{Lambda: 0.2, L: 3, Baseline: 6} }

// DriftResult is the state of the drift chart at the last month of the series.
type DriftResult struct {
	Signal  bool    // Stat < −Limit at the last month (which has a value)
	Stat    float64 // E_t, on the standardized scale
	Limit   float64 // L × sd(E_t)
	Z       float64 // Stat / sd(E_t): standard normal when nothing changed
	P       float64 // one-sided p-value of a fall, P(Z' ≤ Z) = PValueOneSided(−Z)
	Mean0   float64 // μ0
	Drop    float64 // μ0 − the last month's value, in points
	Updates int     // months the chart has run (t)
}

// EWMADrift runs DefaultEWMA with the given λ and L (see EWMA.Drift).
func EWMADrift(values, ses []float64, lambda, L float64) DriftResult {
	c := DefaultEWMA()
	c.Lambda, c.L = lambda, L
	return c.Drift(values, ses)
}

// Drift runs a one-sided (downward) EWMA chart (Roberts 1959; Montgomery, Introduction to
// Statistical Quality Control, §9.2) on a monthly series. values[i] and ses[i] are the value and
// its standard error in month i (oldest first); NaN in either, or SE ≤ 0, marks a missing month.
//
// The in-control mean μ0 is the precision-weighted mean of the months with a value among the
// first c.Baseline months, μ0 = Σ x/SE² / Σ 1/SE², with variance V0 = 1/Σ 1/SE². For each later
// month with a value, z_t = (x_t − μ0)/SE_t and E_t = λ z_t + (1 − λ) E_{t−1}, E_0 = 0; a missing
// month leaves E unchanged and does not count in t. E_t = Σ_j c_j z_j with c_j = λ(1−λ)^{t−j},
// and since every z_j shares the error of μ0, its variance when nothing changed is
//
//	Var(E_t) = Σ c_j² + V0·(Σ c_j/SE_j)²,
//
// which without the baseline term and with no missing month is the textbook
// λ/(2−λ)·(1 − (1−λ)^{2t}). The limit is L·sd(E_t); the chart signals a downward drift when
// E_t < −limit at the last month. Z = E_t/sd(E_t) is standard normal under no change, so P is a
// proper p-value for BH across series (see the simstudy package).
//
// With no baseline value, no month after the baseline, a missing last month or λ outside
// (0, 1], the result has Signal false and NaN numbers.
func (c EWMA) Drift(values, ses []float64) DriftResult {
	nan := math.NaN()
	r := DriftResult{Stat: nan, Limit: nan, Z: nan, P: nan, Mean0: nan, Drop: nan}
	if !(c.Lambda > 0 && c.Lambda <= 1) || len(ses) != len(values) {
		return r
	}
	ok := func(i int) bool {
		return !math.IsNaN(values[i]) && !math.IsInf(values[i], 0) && ses[i] > 0 && !math.IsInf(ses[i], 0)
	}
	var sw, swx float64
	k := min(c.Baseline, len(values))
	for i := 0; i < k; i++ {
		if ok(i) {
			w := 1 / (ses[i] * ses[i])
			sw += w
			swx += w * values[i]
		}
	}
	if sw == 0 {
		return r
	}
	mu0, v0 := swx/sw, 1/sw
	r.Mean0 = mu0
	lam := c.Lambda
	var e, s2, s1 float64
	for i := k; i < len(values); i++ {
		if !ok(i) {
			continue
		}
		e = lam*(values[i]-mu0)/ses[i] + (1-lam)*e
		s2 = (1-lam)*(1-lam)*s2 + lam*lam
		s1 = (1-lam)*s1 + lam/ses[i]
		r.Updates++
	}
	last := len(values) - 1
	if r.Updates == 0 || !ok(last) {
		return r
	}
	sd := math.Sqrt(s2 + v0*s1*s1)
	r.Stat, r.Limit, r.Z = e, c.L*sd, e/sd
	r.P = PValueOneSided(-r.Z)
	r.Drop = mu0 - values[last]
	r.Signal = e < -r.Limit
	return r
}
