package kpi

import "math"

// z95 is the two-sided 95 % normal quantile used for every moe95.
const z95 = 1.96

// Value is a survey value (SPEC §3.2–3.4): a mean on the 0–100 scale with its 95 % margin of
// error, the number of responses n behind it and whether n reaches CSAT_MIN_SAMPLE. It marshals
// to {"value", "moe95", "n", "reportable"}; absent numbers are JSON null.
type Value struct {
	Value      *float64 `json:"value"`      // null when n = 0
	MOE95      *float64 `json:"moe95"`      // 1.96 × SE; null when n < 2
	N          uint64   `json:"n"`          // responses behind the value
	Reportable bool     `json:"reportable"` // n ≥ CSAT_MIN_SAMPLE (and a value exists)
	// Smoothed is the small-area estimate of a city's or county's value (extension,
	// docs/extensions.md); absent (omitted) elsewhere.
	Smoothed *Smoothed `json:"smoothed,omitempty"`
}

// SE returns the standard error, moe95 / 1.96, or nil when moe95 is null.
func (v Value) SE() *float64 {
	if v.MOE95 == nil {
		return nil
	}
	return ptr(*v.MOE95 / z95)
}

// Rescale maps an answer on the 1–10 scale to ACSI's 0–100 (SPEC §3.1): (x − 1) × 100 / 9.
func Rescale(x float64) float64 { return (x - 1) * 100 / 9 }

// ItemValue is SPEC §3.2 for one set of moments: S = Σw·x / Σw, n_eff = (Σw)² / Σw²,
// s² = Σw·x² / Σw − S², SE = s / √n_eff,
// moe95 = 1.96 × SE (null when n < 2); value null when n = 0; reportable when n ≥ minSample.
// The subtraction in s² cancels: a result within rounding noise of 0 (|s²| ≤ 1e-12 × Σw·x²/Σw,
// negative or not) is taken as exactly 0, so identical answers give moe95 = 0 whatever the order
// of summation.
func ItemValue(m Moments, minSample uint64) Value {
	v := Value{N: m.N}
	if m.N == 0 || !(m.SW > 0) {
		return v
	}
	s := m.SWX / m.SW
	v.Value = ptr(s)
	v.Reportable = m.N >= minSample
	if m.N >= 2 && m.SW2 > 0 {
		nEff := m.SW * m.SW / m.SW2
		second := m.SWX2 / m.SW
		s2 := second - s*s
		if s2 <= 1e-12*second {
			s2 = 0
		}
		v.MOE95 = ptr(z95 * math.Sqrt(s2) / math.Sqrt(nEff))
	}
	return v
}

// proportion is a share of n ratings on the 0–100 scale, 100 × k / n, with
// SE = 100 × √(p(1−p)/n) (SPEC §3.7); the SE is nil when n < 2, as for survey values.
func proportion(k, n uint64) (value, se *float64) {
	if n == 0 {
		return nil, nil
	}
	p := float64(k) / float64(n)
	value = ptr(100 * p)
	if n >= 2 {
		se = ptr(100 * math.Sqrt(p*(1-p)/float64(n)))
	}
	return value, se
}

// ratio returns num / den × scale, or nil when den is 0.
func ratio(num, den, scale float64) *float64 {
	if den == 0 {
		return nil
	}
	return ptr(num / den * scale)
}

func ptr[T any](v T) *T { return &v }
