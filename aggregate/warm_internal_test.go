package aggregate

import (
	"testing"
	"time"

	"github.com/csat-dev/csat/schema"
)

// TestEvictWarm: pinned months stay; of the others at most maxOnDemandMonths stay, the least
// recently used going first, never the month just added.
func TestEvictWarm(t *testing.T) {
	w := &Warmer{}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w.pinned = map[schema.Month]bool{202610: true, 202609: true}
	w.sets = map[schema.Month]*warmMonth{
		202610: {used: t0},                      // pinned, oldest use
		202609: {used: t0},                      // pinned
		202601: {used: t0.Add(3 * time.Second)}, // on demand
		202602: {used: t0.Add(1 * time.Second)}, // on demand, least recently used
		202603: {used: t0},                      // just added (kept whatever its use)
	}
	w.evict(202603)
	want := []schema.Month{202601, 202603, 202609, 202610}
	var got []schema.Month
	for _, w := range w.Months() {
		got = append(got, w.Month)
	}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
}
