package kpi

import (
	"encoding/json"
	"math"
	"sort"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// AlertLookbackMonths is the look-back recommended to callers of Alerts: series of
// AlertLookbackMonths+1 cards (months m−12 … m) report a streak of falls in full up to a year
// long (a longer one shows as 12 falls starting 12 months before m).
const AlertLookbackMonths = 12

// Alert rules of SPEC §3.11.
const (
	RuleDeclineStreak = "decline_streak"
	RuleBelowBase     = "below_base"
	RuleLeadLost      = "lead_lost"
	RuleDrift         = "drift" // extension (docs/extensions.md): EWMA chart of a slow slide
)

// Alert severities.
const (
	SeveritySignificant = "significant"
	SeverityWatch       = "watch"
)

// Alert is one fired rule. It marshals to SPEC §4's {"rule", "branch", "metric", "month",
// "severity"} plus, by rule: decline_streak "streak", "start", "values", "drop", "z";
// below_base "value", "base"; lead_lost "value", "previous". Fields of other rules are not
// marshalled.
type Alert struct {
	Rule     string
	Branch   string
	Metric   string
	Month    schema.Month
	Severity string

	// decline_streak
	Streak int          // consecutive monthly falls ending at Month
	Start  schema.Month // the month before the first fall
	Values []float64    // Start … Month, Streak+1 values
	Drop   float64      // value at Start − value at Month (> 0)
	Z      *float64     // Drop / √(SE_start² + SE_m²); null when an SE is unknown or both are 0

	Value    float64 // below_base, lead_lost, drift: the value at Month
	Base     float64 // below_base: the base target that applies to Branch
	Previous float64 // lead_lost: the lead at Month − 1

	// Extensions (docs/extensions.md). P is the one-sided p-value of decline_streak, lead_lost
	// and drift (null when unknown); Q its Benjamini–Hochberg q-value, set by Calibrate (null
	// until then, and when P is).
	P *float64
	Q *float64
	// drift: the in-control mean of the baseline months, the EWMA statistic and its limit
	// (standardized scale), and the months the chart ran. Drop (above) is Baseline − Value;
	// Z is EWMA / sd(EWMA).
	Baseline float64
	EWMA     float64
	Limit    float64
	Updates  int
}

type alertHead struct {
	Rule     string       `json:"rule"`
	Branch   string       `json:"branch"`
	Metric   string       `json:"metric"`
	Month    schema.Month `json:"month"`
	Severity string       `json:"severity"`
}

// MarshalJSON implements json.Marshaler with the fields of a.Rule only.
func (a Alert) MarshalJSON() ([]byte, error) {
	h := alertHead{a.Rule, a.Branch, a.Metric, a.Month, a.Severity}
	switch a.Rule {
	case RuleDeclineStreak:
		return json.Marshal(struct {
			alertHead
			Streak int          `json:"streak"`
			Start  schema.Month `json:"start"`
			Values []float64    `json:"values"`
			Drop   float64      `json:"drop"`
			Z      *float64     `json:"z"`
			P      *float64     `json:"p"`
			Q      *float64     `json:"q"`
		}{h, a.Streak, a.Start, a.Values, a.Drop, a.Z, a.P, a.Q})
	case RuleBelowBase:
		return json.Marshal(struct {
			alertHead
			Value float64 `json:"value"`
			Base  float64 `json:"base"`
		}{h, a.Value, a.Base})
	case RuleLeadLost:
		return json.Marshal(struct {
			alertHead
			Value    float64  `json:"value"`
			Previous float64  `json:"previous"`
			Drop     float64  `json:"drop"`
			P        *float64 `json:"p"`
			Q        *float64 `json:"q"`
		}{h, a.Value, a.Previous, a.Drop, a.P, a.Q})
	case RuleDrift:
		return json.Marshal(struct {
			alertHead
			Value    float64  `json:"value"`
			Baseline float64  `json:"baseline"`
			Drop     float64  `json:"drop"`
			EWMA     float64  `json:"ewma"`
			Limit    float64  `json:"limit"`
			Months   int      `json:"months"`
			Z        *float64 `json:"z"`
			P        *float64 `json:"p"`
			Q        *float64 `json:"q"`
		}{h, a.Value, a.Baseline, a.Drop, a.EWMA, a.Limit, a.Updates, a.Z, a.P, a.Q})
	}
	return json.Marshal(h)
}

// DeclineMetrics lists the metrics decline_streak watches, in the order alerts are emitted:
// csi, item:<code> of each key item in catalog order, lead, window_satisfaction.
func DeclineMetrics(cat schema.Catalog) []Metric {
	out := []Metric{{Kind: KindCSI}}
	for _, it := range cat.Items {
		if it.Key {
			out = append(out, Metric{Kind: KindItem, Item: it.Code})
		}
	}
	return append(out, Metric{Kind: KindLead}, Metric{Kind: KindWindowSatisfaction})
}

// Alerts evaluates the rules of SPEC §3.11 for one branch and month. series holds the branch's
// cards of consecutive months ending at month: series[len(series)−1] is month's card,
// series[i] is the card of month − (len(series)−1−i); nil marks a month without a card (a gap).
// A streak is counted within series only: pass at least AlertDeclineMonths+1 cards, and
// AlertLookbackMonths+1 to report streaks of up to a year in full. sc may be nil (no below_base
// alerts).
//
// Rules, and the choices where SPEC is silent:
//   - decline_streak, per DeclineMetrics: only reportable values count (for lead: non-null); the
//     streak fires when ≥ cfg.AlertDeclineMonths; severity significant when z ≥ 1.96, watch
//     otherwise and when z is null. The SE of lead is its moe95 / 1.96, of a window satisfaction
//     the proportion SE of SPEC §3.7.
//   - below_base, per scorecard component in file order: a reportable value at month below the
//     base target that applies to branch (above it for lower-is-better). Severity significant
//     when the gap exceeds the value's moe95, or when the metric is a count-based rate with no
//     sampling error (complaint and churn metrics); watch otherwise.
//   - lead_lost: lead ≥ 0 at month − 1 and < 0 at month (both non-null); significant when the
//     new lead is significant, else watch.
//
// Extensions (docs/extensions.md): decline_streak and lead_lost carry their one-sided p-value P
// (see StreakP and leadLostP); their severities stay those of SPEC v1 until Calibrate replaces
// them. With cfg.SmoothedAlerts the survey metrics are the cards' smoothed values where present.
//
// The result is ordered: decline_streak alerts in DeclineMetrics order, then below_base in
// component order, then lead_lost. It is never nil.
func Alerts(cfg Config, cat schema.Catalog, sc *Scorecard, branch string, month schema.Month, series []*Card) []Alert {
	last := len(series) - 1
	if last < 0 || series[last] == nil {
		return []Alert{}
	}
	return AlertsOf(cfg, cat, sc, branch, month, series[last], PointsOf(cfg, cat, series), last)
}

// PointsOf returns the alert points of a series of cards (nil for a nil card).
func PointsOf(cfg Config, cat schema.Catalog, series []*Card) []AlertPoint {
	ms := DeclineMetrics(cat)
	pts := make([]AlertPoint, len(series))
	for i, c := range series {
		if c != nil {
			pts[i] = c.AlertPoint(cfg, ms)
		}
	}
	return pts
}

// PointValue is one metric of one month as the alert rules see it: its value and SE (NaN when
// unknown) and whether it counts (a value that is reportable; for lead: non-null).
type PointValue struct {
	Value, SE float64
	OK        bool
}

// AlertPoint is what the decline_streak, lead_lost and drift rules need of one card: the
// value of each metric of DeclineMetrics, in that order. A nil AlertPoint is a month without
// data. It is much smaller than a Card, so the engine can keep a year of them for every branch.
type AlertPoint []PointValue

// AlertPoint extracts the points of metrics (DeclineMetrics) from the card; with
// cfg.SmoothedAlerts the survey metrics are the smoothed values where the card has them.
func (c Card) AlertPoint(cfg Config, metrics []Metric) AlertPoint {
	p := make(AlertPoint, len(metrics))
	for i, m := range metrics {
		mv := c.ScoringMetric(cfg, m)
		pv := PointValue{Value: math.NaN(), SE: math.NaN()}
		if mv.Value != nil {
			pv.Value = *mv.Value
			pv.OK = mv.Reportable
		}
		if mv.SE != nil {
			pv.SE = *mv.SE
		}
		p[i] = pv
	}
	return p
}

// AlertsOf is Alerts over alert points: pts is the series of points ending at month (nil: a
// gap), cur month's card (for below_base and lead_lost's significance). decline_streak looks at
// the last declineBack+1 points only (a longer streak is reported as declineBack months long).
// It evaluates the rules of SPEC §3.11 only; DriftAlerts adds the drift rule.
func AlertsOf(cfg Config, cat schema.Catalog, sc *Scorecard, branch string, month schema.Month, cur *Card, pts []AlertPoint, declineBack int) []Alert {
	out := []Alert{}
	last := len(pts) - 1
	if last < 0 || cur == nil || pts[last] == nil {
		return out
	}
	from := max(0, last-declineBack)
	for i, m := range DeclineMetrics(cat) {
		if a, ok := declineStreak(cfg, i, m, branch, month, pts[from:]); ok {
			out = append(out, a)
		}
	}
	if sc != nil {
		for _, c := range sc.Components {
			mv := cur.ScoringMetric(cfg, c.Metric)
			if mv.Value == nil || !mv.Reportable {
				continue
			}
			v, base := *mv.Value, c.TargetsAt(branch, month).Base
			gap := base - v
			if c.Direction == Lower {
				gap = v - base
			}
			if !(gap > 0) {
				continue
			}
			sev := SeverityWatch
			if (mv.MOE95 != nil && gap > *mv.MOE95) || exactMetric(c.Metric.Kind) {
				sev = SeveritySignificant
			}
			out = append(out, Alert{Rule: RuleBelowBase, Branch: branch, Metric: c.Metric.String(),
				Month: month, Severity: sev, Value: v, Base: base})
		}
	}
	if last >= 1 && pts[last-1] != nil {
		li := leadIndex(cat)
		prev, now := pts[last-1][li], cur.Survey.Lead
		if !math.IsNaN(prev.Value) && now.Value != nil && prev.Value >= 0 && *now.Value < 0 {
			sev := SeverityWatch
			if now.Significant {
				sev = SeveritySignificant
			}
			a := Alert{Rule: RuleLeadLost, Branch: branch, Metric: string(KindLead),
				Month: month, Severity: sev, Value: *now.Value, Previous: prev.Value, Drop: prev.Value - *now.Value}
			if se := now.SE(); se != nil && *se > 0 {
				a.P = ptr(stat.PValueOneSided(-*now.Value / *se))
			}
			out = append(out, a)
		}
	}
	return out
}

// leadIndex is the position of lead in DeclineMetrics(cat).
func leadIndex(cat schema.Catalog) int {
	n := 1
	for _, it := range cat.Items {
		if it.Key {
			n++
		}
	}
	return n
}

// exactMetric reports whether a metric is computed from complete counts (no sampling error).
func exactMetric(k Kind) bool {
	switch k {
	case KindComplaintRate, KindEscalatedRate, KindComplaintSLARate, KindChurnRate,
		KindHighValueChurnRate, KindRetentionRate:
		return true
	}
	return false
}

func declineStreak(cfg Config, idx int, m Metric, branch string, month schema.Month, pts []AlertPoint) (Alert, bool) {
	ok := func(i int) bool { return pts[i] != nil && pts[i][idx].OK }
	val := func(i int) float64 { return pts[i][idx].Value }
	last := len(pts) - 1
	i := last
	for i >= 1 && ok(i) && ok(i-1) && val(i) < val(i-1) {
		i--
	}
	streak := last - i
	if streak < cfg.AlertDeclineMonths || streak == 0 {
		return Alert{}, false
	}
	a := Alert{Rule: RuleDeclineStreak, Branch: branch, Metric: m.String(), Month: month,
		Severity: SeverityWatch, Streak: streak, Start: month.Add(-streak)}
	for j := i; j <= last; j++ {
		a.Values = append(a.Values, val(j))
	}
	a.Drop = val(i) - val(last)
	if s0, s1 := pts[i][idx].SE, pts[last][idx].SE; !math.IsNaN(s0) && !math.IsNaN(s1) {
		if d := math.Sqrt(s0*s0 + s1*s1); d > 0 {
			a.Z = ptr(a.Drop / d)
			if *a.Z >= z95 {
				a.Severity = SeveritySignificant
			}
			// The series did not fall into the start month when that month had a value: the
			// streak is then known to start there (StreakPValue's "preceded").
			preceded := i >= 1 && ok(i-1)
			a.P = ptr(stat.StreakPValue(*a.Z, streak, preceded))
		}
	}
	return a, true
}

var ruleRank = map[string]int{RuleDeclineStreak: 0, RuleBelowBase: 1, RuleLeadLost: 2, RuleDrift: 3}

// SortAlerts orders alerts of many branches and months deterministically: by month, branch
// and rule (decline_streak, below_base, lead_lost, drift), keeping the order Alerts gives within a rule.
func SortAlerts(alerts []Alert) {
	sort.SliceStable(alerts, func(i, j int) bool {
		a, b := alerts[i], alerts[j]
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		if a.Branch != b.Branch {
			return a.Branch < b.Branch
		}
		return ruleRank[a.Rule] < ruleRank[b.Rule]
	})
}
