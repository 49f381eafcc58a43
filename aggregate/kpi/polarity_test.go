package kpi_test

import (
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
)

func TestKindsPolarity(t *testing.T) {
	lower := map[kpi.Kind]bool{kpi.KindComplaintRate: true, kpi.KindEscalatedRate: true, kpi.KindChurnRate: true,
		kpi.KindHighValueChurnRate: true, kpi.KindHotlineAvgWait: true, kpi.KindAvgHandle: true, kpi.KindStoreAvgWait: true,
		kpi.KindChannelGap: true, kpi.KindStoreSpread: true}
	seen := map[kpi.Kind]bool{}
	for _, k := range kpi.Kinds() {
		seen[k] = true
		if got := k.LowerIsBetter(); got != lower[k] {
			t.Errorf("%s.LowerIsBetter() = %v, want %v", k, got, lower[k])
		}
	}
	for k := range lower {
		if !seen[k] {
			t.Errorf("Kinds() lacks %s", k)
		}
	}
	if !seen[kpi.KindCSI] || !seen[kpi.KindScore] || len(seen) != len(kpi.Kinds()) {
		t.Errorf("Kinds() = %v", kpi.Kinds())
	}
}
