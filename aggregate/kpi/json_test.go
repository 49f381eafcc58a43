package kpi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// keys returns the sorted keys of the JSON object at path (a list of object keys) in doc.
func keys(t *testing.T, doc map[string]any, path ...string) []string {
	t.Helper()
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object", path)
		}
		cur = m[p]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%v: %v is not an object", path, cur)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestCardJSON(t *testing.T) {
	c := fixtureCard(t)
	golden(t, "card.golden.json", c)

	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	value := []string{"moe95", "n", "reportable", "value"}
	lead := []string{"best_competitor", "moe95", "significant", "value"}
	// Field names exactly as SPEC §4.
	for _, tt := range []struct {
		path []string
		want []string
	}{
		{nil, []string{"base", "branch", "churn", "complaints", "consistency", "month", "survey", "window"}},
		{[]string{"survey"}, []string{"competitors", "enterprise", "item_leads", "lead", "own", "short_planks"}},
		{[]string{"survey", "enterprise"}, []string{"competitors", "csi", "lead"}},
		{[]string{"survey", "enterprise", "csi"}, value},
		{[]string{"survey", "enterprise", "lead"}, lead},
		{[]string{"consistency"}, []string{"channel_gap", "channels", "consistency", "store_spread", "stores"}},
		{[]string{"survey", "own"}, []string{"carrier", "csi", "items", "overall"}},
		{[]string{"survey", "own", "csi"}, value},
		{[]string{"survey", "own", "overall"}, value},
		{[]string{"survey", "own", "items", "a"}, value},
		{[]string{"survey", "competitors", "ctcc"}, []string{"csi", "items", "overall"}},
		{[]string{"survey", "competitors", "ctcc", "items", "e"}, value},
		{[]string{"survey", "lead"}, lead},
		{[]string{"survey", "item_leads", "d"}, lead},
		{[]string{"survey", "short_planks"}, []string{"absolute", "competitive", "improvement", "index"}},
		{[]string{"window"}, []string{"hotline", "satisfaction", "store"}},
		{[]string{"window", "hotline"}, []string{"avg_handle", "avg_wait", "fcr", "n", "satisfaction", "sl20"}},
		{[]string{"window", "store"}, []string{"avg_wait", "n", "satisfaction"}},
		{[]string{"complaints"}, []string{"callback_satisfaction", "closed", "escalated", "escalated_per_1m",
			"mean_resolution_hours", "opened", "rate_per_10k", "sla_rate"}},
		{[]string{"churn"}, []string{"by_tier", "churned", "high_value_rate", "rate", "retention_rate"}},
		{[]string{"churn", "by_tier"}, []string{"high", "low", "mid"}},
		{[]string{"base"}, []string{"subscribers", "tiers"}},
		{[]string{"base", "tiers"}, []string{"high", "low", "mid"}},
	} {
		if got := keys(t, doc, tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("keys of %v = %v, want %v", tt.path, got, tt.want)
		}
	}
	if doc["branch"] != "GD-GZ" || doc["month"] != "2026-10" {
		t.Errorf("branch, month = %v, %v", doc["branch"], doc["month"])
	}
	// Absent numbers are JSON null, not omitted.
	d := doc["survey"].(map[string]any)["item_leads"].(map[string]any)["d"].(map[string]any)
	if d["value"] != nil || d["moe95"] != nil || d["best_competitor"] != nil || d["significant"] != false {
		t.Errorf("null lead = %v", d)
	}

	// An empty card: nulls and empty lists and maps, never missing keys.
	empty := kpi.ComputeCard(kpi.DefaultConfig(), testCatalog(), "ALL", mustMonth(t, "2026-10"), kpi.MonthData{}, kpi.MonthData{})
	golden(t, "card_empty.golden.json", empty)
}

func TestAlertsJSON(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(testScorecard), alertCat)
	if err != nil {
		t.Fatal(err)
	}
	oct := mustMonth(t, "2026-10")
	// CSI 86, 85, 84, 82, 77 over a constant competitor 80: decline streaks of csi, item:a
	// and lead; csi 77 below base 80; lead 2 → −3: lead_lost.
	alerts := kpi.Alerts(kpi.DefaultConfig(), alertCat, sc, "GD-GZ", oct, series(t, 80, 86, 85, 84, 82, 77))
	// A decline whose SE is unknown (n = 1 with CSAT_MIN_SAMPLE 1) has "z": null.
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	var noSE []*kpi.Card
	for i, v := range []float64{90, 85, 80, 75} {
		s := kpi.SurveyStats{"cmcc": {"a": eq(1, v, 0), "b": eq(1, v, 0), kpi.ItemCSI: eq(1, v, 0)}}
		c := kpi.ComputeCard(cfg, alertCat, "HB", oct.Add(i-3), kpi.MonthData{Survey: s}, kpi.MonthData{})
		noSE = append(noSE, &c)
	}
	alerts = append(alerts, kpi.Alerts(cfg, alertCat, nil, "HB", oct, noSE)[0])
	kpi.SortAlerts(alerts)
	golden(t, "alerts.golden.json", map[string]any{"month": oct, "alerts": alerts})

	b, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	head := []string{"branch", "metric", "month", "rule", "severity"}
	want := map[string][]string{
		// p, q (and lead_lost's drop) are extensions (docs/extensions.md).
		kpi.RuleDeclineStreak: append([]string{"drop", "start", "streak", "values", "z", "p", "q"}, head...),
		kpi.RuleBelowBase:     append([]string{"base", "value"}, head...),
		kpi.RuleLeadLost:      append([]string{"previous", "value", "drop", "p", "q"}, head...),
	}
	seen := map[string]bool{}
	for _, d := range docs {
		rule := d["rule"].(string)
		seen[rule] = true
		var got []string
		for k := range d {
			got = append(got, k)
		}
		sort.Strings(got)
		w := append([]string(nil), want[rule]...)
		sort.Strings(w)
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s alert keys = %v, want %v", rule, got, w)
		}
	}
	if len(seen) != 3 {
		t.Errorf("rules seen %v, want all three", seen)
	}
}

func TestScorecardJSON(t *testing.T) {
	sc, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	cfg, cat, cur, prev := fixture()
	oct := mustMonth(t, "2026-10")
	c := kpi.ComputeCard(cfg, cat, "GD-GZ", oct, cur, prev)
	p := kpi.Period{Name: "2026-Q4", Months: []kpi.PeriodMonth{{Month: oct, Weight: 1}, {Month: oct + 1, Weight: 1}, {Month: oct + 2, Weight: 1}}}
	r := sc.Evaluate("GD-GZ", p, map[schema.Month]*kpi.Card{oct: &c})
	golden(t, "scorecard.golden.json", r)
}
