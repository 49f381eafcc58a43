package stat

import (
	"math"
	"sort"
)

// PValueOneSided returns the upper-tail probability of the standard normal, P(Z ≥ z) =
// erfc(z/√2)/2: the one-sided p-value of a fall whose z (SPEC §3.11) is z. NaN gives NaN.
func PValueOneSided(z float64) float64 {
	return math.Erfc(z/math.Sqrt2) / 2
}

// BHQValues returns the Benjamini–Hochberg (1995) adjusted p-values ("q-values") of p, in the
// order of p: with the m non-NaN p-values sorted ascending, p₍₁₎ ≤ … ≤ p₍ₘ₎,
//
//	q₍ᵢ₎ = min over j ≥ i of min(1, p₍ⱼ₎ · m / j).
//
// Rejecting every hypothesis with q ≤ α is the BH step-up procedure at false discovery rate α.
// The q-values are monotone in p, capped at 1, and tied p-values get the same q. NaN p-values
// are not tests: they get NaN and do not count in m. The input is not modified.
func BHQValues(p []float64) []float64 {
	return BHQValuesFamily(p, 0)
}

// BHQValuesFamily is BHQValues for a family of m hypotheses of which only those in p were
// tested (or fired): each of the m − len(p) others counts as p = 1, which is the same as using
// m in place of the number of p-values. m smaller than the number of non-NaN p-values is raised
// to it, so BHQValuesFamily(p, 0) = BHQValues(p).
//
// Why it exists: an alert fires only when its series already looks bad (a streak of three
// falls); BH over the fired alerts alone is BH over a selected family and does not control the
// false discovery rate over all the series watched. Passing m = the number of series watched
// restores the guarantee (see the simstudy package for the figures).
func BHQValuesFamily(p []float64, m int) []float64 {
	q := make([]float64, len(p))
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if math.IsNaN(v) {
			q[i] = math.NaN()
			continue
		}
		idx = append(idx, i)
	}
	if m < len(idx) {
		m = len(idx)
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	run := 1.0
	for r := len(idx) - 1; r >= 0; r-- {
		adj := p[idx[r]] * float64(m) / float64(r+1)
		if adj < run {
			run = adj
		}
		q[idx[r]] = math.Max(run, 0)
	}
	return q
}

// Calibration is the severity rule of calibrated alerts (issue 8): an alert is significant when
// its BH q-value is at most FDR and its cumulative drop at least MinDrop points.
type Calibration struct {
	FDR     float64 // false discovery rate (CSAT_ALERT_FDR); default 0.05
	MinDrop float64 // smallest cumulative drop, in points (CSAT_ALERT_MIN_DROP); default 3
}

// DefaultCalibration returns FDR 0.05 and MinDrop 3.
func DefaultCalibration() Calibration { return Calibration{FDR: 0.05, MinDrop: 3} }

// Significant reports whether q ≤ FDR and drop ≥ MinDrop (false when either is NaN).
func (c Calibration) Significant(q, drop float64) bool {
	return q <= c.FDR && drop >= c.MinDrop
}

// Test is one alert of a family (one month and one rule): its p-value and cumulative drop.
type Test struct {
	P    float64 // one-sided p-value; NaN when unknown (never significant)
	Drop float64 // cumulative drop in points
}

// Verdict is the outcome of one Test.
type Verdict struct {
	Q           float64 // BH q-value within the family; NaN when P is
	Significant bool
}

// Apply computes the q-values of a family of tests and their severities. family is the number
// of hypotheses watched (see BHQValuesFamily); 0 means the tests themselves are the family,
// which is the rule as issue 8 words it ("across all alerts of that month and rule").
func (c Calibration) Apply(tests []Test, family int) []Verdict {
	p := make([]float64, len(tests))
	for i, t := range tests {
		p[i] = t.P
	}
	q := BHQValuesFamily(p, family)
	out := make([]Verdict, len(tests))
	for i, t := range tests {
		out[i] = Verdict{Q: q[i], Significant: c.Significant(q[i], t.Drop)}
	}
	return out
}
