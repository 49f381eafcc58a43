package aggregate

import (
	"slices"
	"testing"

	"github.com/csat-dev/csat/schema"
)

// TestRefreshOrder: a refresh recomputes the newest month first, and within a month the
// families in Families() order.
func TestRefreshOrder(t *testing.T) {
	fams := Families()
	if len(fams) < 2 {
		t.Fatalf("Families() = %v, want at least two", fams)
	}
	sep, oct := schema.Month(202609), schema.Month(202610)
	stale := []familyMonth{{fams[1], sep}, {fams[0], sep}, {fams[1], oct}, {fams[0], oct}}
	refreshOrder(stale)
	want := []familyMonth{{fams[0], oct}, {fams[1], oct}, {fams[0], sep}, {fams[1], sep}}
	if !slices.Equal(stale, want) {
		t.Errorf("refresh order %v, want %v", stale, want)
	}
}
