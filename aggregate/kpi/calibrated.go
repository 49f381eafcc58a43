package kpi

import (
	"math"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// DriftMonths is the length of the series the drift rule reads: stat.DefaultEWMA's six baseline
// months, then six months of the chart, ending at the alert month.
const DriftMonths = 12

// DriftAlerts evaluates the drift rule (extension, docs/extensions.md) for one branch and month
// over pts, the branch's alert points of consecutive months ending at month (nil: a month
// without data; pass DriftMonths of them): per metric of DeclineMetrics, an EWMA chart
// (stat.EWMA with λ = cfg.DriftLambda, L = cfg.DriftLimit and stat's default baseline of six
// months) on the standardized monthly value (value − μ0)/SE of the months whose value counts
// (reportable, with an SE > 0). It fires when the chart signals a fall at month. Severity is
// watch until Calibrate sets it. Alerts are in DeclineMetrics order; never nil.
func DriftAlerts(cfg Config, cat schema.Catalog, branch string, month schema.Month, pts []AlertPoint) []Alert {
	out := []Alert{}
	if len(pts) == 0 || pts[len(pts)-1] == nil {
		return out
	}
	ew := stat.DefaultEWMA()
	ew.Lambda, ew.L = cfg.DriftLambda, cfg.DriftLimit
	vals := make([]float64, len(pts))
	ses := make([]float64, len(pts))
	for i, m := range DeclineMetrics(cat) {
		for j, p := range pts {
			vals[j], ses[j] = math.NaN(), math.NaN()
			if p != nil && p[i].OK {
				vals[j], ses[j] = p[i].Value, p[i].SE
			}
		}
		r := ew.Drift(vals, ses)
		if !r.Signal {
			continue
		}
		a := Alert{Rule: RuleDrift, Branch: branch, Metric: m.String(), Month: month, Severity: SeverityWatch,
			Value: vals[len(vals)-1], Baseline: r.Mean0, Drop: r.Drop, EWMA: r.Stat, Limit: r.Limit, Updates: r.Updates}
		if !math.IsNaN(r.Z) {
			a.Z = ptr(r.Z)
		}
		if !math.IsNaN(r.P) {
			a.P = ptr(r.P)
		}
		out = append(out, a)
	}
	return out
}

// Calibrate sets the q-value and severity of every decline_streak, lead_lost and drift alert
// (extension, docs/extensions.md). The family of an alert is every alert of the same month and
// rule in alerts (the engine passes the whole company's, so that an alert's q does not depend
// on the subtree asked for); q is its Benjamini–Hochberg adjusted p-value within the family
// (stat.BHQValues), and severity is significant when q ≤ cfg.AlertFDR and the cumulative drop
// is at least cfg.AlertMinDrop points, else watch. An alert without a p-value has a null q and
// is watch. below_base alerts are left as they are. alerts is modified in place.
func Calibrate(cfg Config, alerts []Alert) {
	type family struct {
		month schema.Month
		rule  string
	}
	fams := map[family][]int{}
	for i, a := range alerts {
		switch a.Rule {
		case RuleDeclineStreak, RuleLeadLost, RuleDrift:
			k := family{a.Month, a.Rule}
			fams[k] = append(fams[k], i)
		}
	}
	cal := stat.Calibration{FDR: cfg.AlertFDR, MinDrop: cfg.AlertMinDrop}
	for _, idx := range fams {
		tests := make([]stat.Test, len(idx))
		for j, i := range idx {
			p := math.NaN()
			if alerts[i].P != nil {
				p = *alerts[i].P
			}
			tests[j] = stat.Test{P: p, Drop: alerts[i].Drop}
		}
		for j, v := range cal.Apply(tests, 0) {
			a := &alerts[idx[j]]
			a.Q = nil
			if !math.IsNaN(v.Q) {
				a.Q = ptr(v.Q)
			}
			a.Severity = SeverityWatch
			if v.Significant {
				a.Severity = SeveritySignificant
			}
		}
	}
}
