package e2e

import (
	"context"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/schema"
)

// checkUnitAlerts checks the front-line unit alerts (Engine.UnitAlerts) of the generated data of
// gcfg in its last month: each planted story raises its alert — the store's city inspection a
// unit_streak, the clerk's complaints and the agent's average wait a unit_outlier — and no more than
// maxOtherUnitAlerts alerts concern units without a story (each listed in the log).
func checkUnitAlerts(ctx context.Context, t *testing.T, eng *aggregate.Engine, gcfg synth.Config) {
	t.Helper()
	last := gcfg.LastMonth()
	res, err := eng.UnitAlerts(ctx, schema.Root, last)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ rule, metric string }{}
	for _, s := range synth.FrontlineStories(gcfg) {
		switch s.Name {
		case synth.StoryMystery:
			want[s.Unit] = struct{ rule, metric string }{kpi.RuleUnitStreak, kpi.UnitMetricInspCity}
		case synth.StoryClerk:
			want[s.Unit] = struct{ rule, metric string }{kpi.RuleUnitOutlier, kpi.UnitMetricComplaints}
		case synth.StorySlowAgent:
			want[s.Unit] = struct{ rule, metric string }{kpi.RuleUnitOutlier, kpi.UnitMetricAvgWait}
		}
	}
	found := map[string]bool{}
	var others []kpi.UnitAlert
	for _, a := range res.Alerts {
		w, story := want[a.Unit]
		if story && a.Rule == w.rule && a.Metric == w.metric {
			found[a.Unit] = true
			t.Logf("story: %s %s %s %s: %s", a.Rule, a.Metric, a.Kind, a.Unit, a.TextEN)
			continue
		}
		if !story {
			others = append(others, a)
		}
		t.Logf("other: %s %s %s %s (%s): %s", a.Rule, a.Metric, a.Kind, a.Unit, a.Branch, a.TextEN)
	}
	for u, w := range want {
		if !found[u] {
			t.Errorf("%s: no %s alert on %s in %s", u, w.rule, w.metric, last)
		}
	}
	if len(want) != 3 {
		t.Errorf("%d stories, want 3", len(want))
	}
	t.Logf("%d unit alerts in %s: %d on the stories' units, %d on other units", len(res.Alerts), last, len(res.Alerts)-len(others), len(others))
	if len(others) > maxOtherUnitAlerts {
		t.Errorf("%d alerts on units without a story, want at most %d", len(others), maxOtherUnitAlerts)
	}
}

// maxOtherUnitAlerts bounds the unit alerts on units without a story in the generated data
// (seed 3, scale 0.1, 2026-10: none).
const maxOtherUnitAlerts = 0
