package kpi_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
)

// TestSmoothSurvey checks the shrinkage by hand-checkable cases: the parent's CSI is 70; child
// "big" has 10⁸ responses (SE ≈ 0) and keeps its direct 90; child "none" has no responses and
// gets the parent's 70; the eight children with 40 responses shrink towards 70 by γ = Â/(Â + D).
func TestSmoothSurvey(t *testing.T) {
	cfg := kpi.DefaultConfig()
	cat := alertCat
	stats := func(n uint64, v float64) kpi.SurveyStats {
		return kpi.SurveyStats{"cmcc": {"a": eq(n, v, 20), "b": eq(n, v, 20), kpi.ItemCSI: eq(n, v, 20)}}
	}
	parent := stats(1000, 70)
	kids := map[string]kpi.SurveyStats{
		"P-big":  stats(100_000_000, 71),
		"P-lo":   stats(40, 64),
		"P-hi":   stats(40, 76),
		"P-none": nil,
		"P-m1":   stats(40, 67),
		"P-m2":   stats(40, 73),
		"P-m3":   stats(40, 70),
		"P-m4":   stats(40, 72),
		"P-m5":   stats(40, 68),
		"P-m6":   stats(40, 71),
	}
	sm := kpi.SmoothSurvey(cfg, cat, parent, kids)
	csi := func(b string) kpi.Smoothed { return sm[b]["cmcc"]["csi"] }
	if v := csi("P-big").Value; v == nil || math.Abs(*v-71) > 1e-6 {
		t.Errorf("n → ∞: smoothed %v, want the direct 71", fmtp(v))
	}
	if v := csi("P-none").Value; v == nil || *v != 70 {
		t.Errorf("n = 0: smoothed %v, want the parent's 70", fmtp(v))
	}
	// The same through stat.FayHerriot directly (children in id order).
	d := func(n, v float64) stat.Direct { return stat.Direct{Value: v, Var: 400 / n, N: n} }
	fh := stat.FayHerriot([]stat.Direct{d(1e8, 71), d(40, 76), d(40, 64), d(40, 67), d(40, 73), d(40, 70), d(40, 72),
		d(40, 68), d(40, 71), {Value: math.NaN(), Var: math.NaN()}}, 70)
	for i, b := range []string{"P-big", "P-hi", "P-lo", "P-m1", "P-m2", "P-m3", "P-m4", "P-m5", "P-m6", "P-none"} {
		checkF(t, b+" value", csi(b).Value, fp(fh.Branches[i].Value))
		if !math.IsNaN(fh.Branches[i].MOE95) {
			checkF(t, b+" moe95", csi(b).MOE95, fp(fh.Branches[i].MOE95))
		}
	}
	if g := fh.Branches[2].Gamma; !(g > 0 && g < 1) {
		t.Errorf("P-lo γ = %v, want strictly between 0 and 1 (a real shrinkage)", g)
	}
	// Items are smoothed the same way, and the card carries it in JSON.
	c := kpi.ComputeCard(cfg, cat, "P-lo", mustMonth(t, "2026-10"), kpi.MonthData{Survey: kids["P-lo"]}, kpi.MonthData{})
	c.ApplySmoothed(sm["P-lo"])
	b, err := json.Marshal(c.Survey.Own.Items["a"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"smoothed":{"value":`) {
		t.Errorf("item JSON %s lacks smoothed", b)
	}
	// With CSAT_SMOOTHED_ALERTS the scoring metric is the smoothed value; without it, direct.
	m := kpi.Metric{Kind: kpi.KindCSI}
	if v := c.ScoringMetric(cfg, m).Value; *v != 64 {
		t.Errorf("scoring csi without the switch = %v, want 64", *v)
	}
	cfg.SmoothedAlerts = true
	checkF(t, "scoring csi with the switch", c.ScoringMetric(cfg, m).Value, csi("P-lo").Value)
}
