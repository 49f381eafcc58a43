package aggregate

import (
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
)

// TestRankingPolarity: comparisons rank by the one polarity table (kpi.Kind.LowerIsBetter), so
// the waits, the channel gap and the store spread rank lowest first like the complaint rates.
func TestRankingPolarity(t *testing.T) {
	for _, k := range kpi.Kinds() {
		if got, want := lowerIsBetter(k), k.LowerIsBetter(); got != want {
			t.Errorf("compare ranks %s lower-first = %v, the polarity table says %v", k, got, want)
		}
	}
}
