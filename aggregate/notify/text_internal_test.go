package notify

import (
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// TestEveryMetricNamed: every metric of SPEC §4 and §5.5 reads as words in both languages, not
// as its id (a new metric kind without a name fails here).
func TestEveryMetricNamed(t *testing.T) {
	n := &Notifier{items: map[string]schema.Item{}}
	for _, it := range schema.DefaultCatalog().Items {
		n.items[it.Code] = it
	}
	for _, m := range kpi.MetricNames(schema.DefaultCatalog()) {
		tx := n.textOf(m)
		if tx.zh == m || tx.en == m || strings.ContainsAny(tx.zh, "_:") || strings.ContainsAny(tx.en, "_:") {
			t.Errorf("%s reads %q / %q", m, tx.zh, tx.en)
		}
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{num(-0.04, 1), "0.0"}, {num(-0.06, 1), "-0.1"}, {signed(-0.04, 1), "0.0"}, {signed(0.04, 1), "0.0"},
		{signed(4.9, 1), "+4.9"}, {signed(-2.3, 1), "-2.3"}, {qText(1.9e-12), "1.9e-12"}, {qText(0.025), "0.025"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for q, want := range map[float64][2]string{0.0004: {"不到0.1%", "under 0.1%"}, 0.025: {"约2.5%", "about 2.5%"}, 0.43: {"约43%", "about 43%"}} {
		if zh, en := shareText(q); zh != want[0] || en != want[1] {
			t.Errorf("shareText(%v) = %q, %q; want %q", q, zh, en, want)
		}
	}
}
