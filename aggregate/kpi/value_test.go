package kpi_test

import (
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
)

func TestRescale(t *testing.T) {
	for x, want := range map[float64]float64{1: 0, 10: 100, 4: 100.0 / 3, 7: 200.0 / 3} {
		if got := kpi.Rescale(x); math.Abs(got-want) > tol {
			t.Errorf("Rescale(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestItemValue(t *testing.T) {
	tests := []struct {
		name      string
		m         kpi.Moments
		minSample uint64
		want      kpi.Value
	}{
		{
			// Responses (x, w): (0, 1), (50, 2), (100, 1).
			// Σw = 4, Σw² = 1+4+1 = 6, Σw·x = 0+100+100 = 200, Σw·x² = 0+2·2500+10000 = 15000.
			// S = 200/4 = 50; s² = 15000/4 − 50² = 3750 − 2500 = 1250; n_eff = 4²/6 = 8/3;
			// SE = √1250 / √(8/3) = √468.75; moe95 = 1.96·√468.75 ≈ 42.435.
			// (Unweighted the mean would be 50 too but n_eff would be 3, not 8/3.)
			name:      "unequal weights",
			m:         moments(wx{0, 1}, wx{50, 2}, wx{100, 1}),
			minSample: 3,
			want:      kpi.Value{Value: fp(50), MOE95: fp(1.96 * math.Sqrt(468.75)), N: 3, Reportable: true},
		},
		{
			// Responses (x, w): (100, 3), (0, 1): Σw = 4, Σw² = 10, Σw·x = 300, Σw·x² = 30000.
			// S = 75; s² = 7500 − 5625 = 1875; n_eff = 16/10 = 1.6; SE = √(1875/1.6) = √1171.875.
			name:      "weighted mean is not the plain mean",
			m:         moments(wx{100, 3}, wx{0, 1}),
			minSample: 30,
			want:      kpi.Value{Value: fp(75), MOE95: fp(1.96 * math.Sqrt(1171.875)), N: 2},
		},
		{
			name:      "n = 1: value, no moe95",
			m:         moments(wx{kpi.Rescale(8), 2.5}),
			minSample: 1,
			want:      kpi.Value{Value: fp(kpi.Rescale(8)), N: 1, Reportable: true},
		},
		{
			name:      "n = 0: all null",
			m:         kpi.Moments{},
			minSample: 30,
			want:      kpi.Value{},
		},
		{
			// 100 responses, weight 1, mean 70, sd 10: SE = 10/√100 = 1, moe95 = 1.96.
			name:      "n at the threshold is reportable",
			m:         eq(100, 70, 10),
			minSample: 100,
			want:      kpi.Value{Value: fp(70), MOE95: fp(1.96), N: 100, Reportable: true},
		},
		{
			name:      "n below the threshold is returned, unreportable",
			m:         eq(29, 70, 10),
			minSample: 30,
			want:      kpi.Value{Value: fp(70), MOE95: fp(1.96 * 10 / math.Sqrt(29)), N: 29},
		},
		{
			// Identical answers: s² is 0 up to rounding, which may come out slightly negative;
			// it is clamped, so moe95 is 0 (not NaN).
			name:      "no spread",
			m:         moments(wx{kpi.Rescale(8), 0.1}, wx{kpi.Rescale(8), 0.7}, wx{kpi.Rescale(8), 0.3}),
			minSample: 3,
			want:      kpi.Value{Value: fp(kpi.Rescale(8)), MOE95: fp(0), N: 3, Reportable: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kpi.ItemValue(tt.m, tt.minSample)
			checkF(t, "value", got.Value, tt.want.Value)
			if got.MOE95 != nil && math.IsNaN(*got.MOE95) {
				t.Fatalf("moe95 is NaN")
			}
			if got.MOE95 != nil && tt.want.MOE95 != nil && *tt.want.MOE95 == 0 {
				if *got.MOE95 > 1e-6 {
					t.Errorf("moe95 = %v, want ≈ 0", *got.MOE95)
				}
			} else {
				checkF(t, "moe95", got.MOE95, tt.want.MOE95)
			}
			if got.N != tt.want.N || got.Reportable != tt.want.Reportable {
				t.Errorf("n, reportable = %d, %v, want %d, %v", got.N, got.Reportable, tt.want.N, tt.want.Reportable)
			}
			if se := got.SE(); (se == nil) != (got.MOE95 == nil) || (se != nil && math.Abs(*se*1.96-*got.MOE95) > tol) {
				t.Errorf("SE() = %s, want moe95/1.96", fmtp(se))
			}
		})
	}
}
