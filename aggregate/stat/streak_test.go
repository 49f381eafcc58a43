package stat_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat"
)

// TestStreakPValueTwo: one fall, no preceding month: the range of two normals, so
// p = P(|X₁ − X₂| ≥ √2·z) = 2(1 − Φ(z)) = erfc(z/√2).
func TestStreakPValueTwo(t *testing.T) {
	for _, z := range []float64{0.1, 0.5, 1, 1.96, 3, 5} {
		checkNear(t, "p", stat.StreakPValue(z, 1, false), math.Erfc(z/math.Sqrt2), 1e-10)
	}
	checkNear(t, "z=0", stat.StreakPValue(0, 3, true), 1, 0)
	checkNear(t, "nan", stat.StreakPValue(math.NaN(), 3, true), math.NaN(), 0)
	checkNear(t, "streak 0", stat.StreakPValue(2, 0, true), math.NaN(), 0)
}

// TestStreakPValueMonteCarlo draws series of independent standard normals (a seeded
// generator, so deterministic), keeps those that fell exactly three months in a row after a
// month that was not a fall, and compares the share with z ≥ z₀ to the p-value.
func TestStreakPValueMonteCarlo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	zs := []float64{1, 1.96, 2.5, 3}
	for _, preceded := range []bool{false, true} {
		hits := make([]int, len(zs))
		kept := 0
		for kept < 60000 {
			var x [5]float64
			for i := range x {
				x[i] = r.NormFloat64()
			}
			s := x[1:]
			if !(s[0] > s[1] && s[1] > s[2] && s[2] > s[3]) || (preceded && x[0] > s[0]) {
				continue
			}
			kept++
			z := (s[0] - s[3]) / math.Sqrt2
			for i, z0 := range zs {
				if z >= z0 {
					hits[i]++
				}
			}
		}
		for i, z0 := range zs {
			got := float64(hits[i]) / float64(kept)
			p := stat.StreakPValue(z0, 3, preceded)
			if se := math.Sqrt(p * (1 - p) / float64(kept)); math.Abs(got-p) > 4*se+1e-4 {
				t.Errorf("preceded %v z %v: simulated %.4f, p %.4f", preceded, z0, got, p)
			}
		}
	}
	// The plain z of a null streak is far from standard normal: 1.96 is passed by about a
	// fifth of the streaks (1 − Φ(1.96) would be 2.5 %).
	if p := stat.StreakPValue(1.96, 3, false); p < 0.15 || p > 0.3 {
		t.Errorf("p(1.96) = %v", p)
	}
}
