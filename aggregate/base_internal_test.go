package aggregate

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
)

// TestResolveBasesMatchesKPI checks the linear bottom-up resolver against kpi.ResolveBases, the
// reference implementation of the base rule, on random hierarchies.
func TestResolveBasesMatchesKPI(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		snaps := map[string]kpi.Snapshot{}
		for range r.IntN(12) {
			id := fmt.Sprintf("P%d", r.IntN(3))
			for range r.IntN(4) {
				id += fmt.Sprintf("-C%d", r.IntN(3))
			}
			s := kpi.Snapshot{Subscribers: uint64(r.IntN(1000))}
			if r.IntN(3) > 0 {
				s.Tiers = &kpi.Tiers{High: uint64(r.IntN(100)), Mid: uint64(r.IntN(100)), Low: uint64(r.IntN(100))}
			}
			snaps[id] = s
		}
		got, want := resolveBases(snaps), kpi.ResolveBases(snaps)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: resolveBases(%v) differs from kpi.ResolveBases", i, snaps)
		}
	}
}
