package kpi

import (
	"encoding/json"
	"math"
	"sort"

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

	Value    float64 // below_base, lead_lost: the value at Month
	Base     float64 // below_base: the base target that applies to Branch
	Previous float64 // lead_lost: the lead at Month − 1
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
		}{h, a.Streak, a.Start, a.Values, a.Drop, a.Z})
	case RuleBelowBase:
		return json.Marshal(struct {
			alertHead
			Value float64 `json:"value"`
			Base  float64 `json:"base"`
		}{h, a.Value, a.Base})
	case RuleLeadLost:
		return json.Marshal(struct {
			alertHead
			Value    float64 `json:"value"`
			Previous float64 `json:"previous"`
		}{h, a.Value, a.Previous})
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
// The result is ordered: decline_streak alerts in DeclineMetrics order, then below_base in
// component order, then lead_lost. It is never nil.
func Alerts(cfg Config, cat schema.Catalog, sc *Scorecard, branch string, month schema.Month, series []*Card) []Alert {
	out := []Alert{}
	last := len(series) - 1
	if last < 0 || series[last] == nil {
		return out
	}
	cur := series[last]
	for _, m := range DeclineMetrics(cat) {
		if a, ok := declineStreak(cfg, m, branch, month, series); ok {
			out = append(out, a)
		}
	}
	if sc != nil {
		for _, c := range sc.Components {
			mv := cur.Metric(c.Metric)
			if mv.Value == nil || !mv.Reportable {
				continue
			}
			v, base := *mv.Value, c.TargetsFor(branch).Base
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
	if last >= 1 && series[last-1] != nil {
		prev, now := series[last-1].Survey.Lead, cur.Survey.Lead
		if prev.Value != nil && now.Value != nil && *prev.Value >= 0 && *now.Value < 0 {
			sev := SeverityWatch
			if now.Significant {
				sev = SeveritySignificant
			}
			out = append(out, Alert{Rule: RuleLeadLost, Branch: branch, Metric: string(KindLead),
				Month: month, Severity: sev, Value: *now.Value, Previous: *prev.Value})
		}
	}
	return out
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

func declineStreak(cfg Config, m Metric, branch string, month schema.Month, series []*Card) (Alert, bool) {
	vals := make([]MetricValue, len(series))
	ok := make([]bool, len(series))
	for i, c := range series {
		if c != nil {
			vals[i] = c.Metric(m)
			ok[i] = vals[i].Value != nil && vals[i].Reportable
		}
	}
	last := len(series) - 1
	i := last
	for i >= 1 && ok[i] && ok[i-1] && *vals[i].Value < *vals[i-1].Value {
		i--
	}
	streak := last - i
	if streak < cfg.AlertDeclineMonths || streak == 0 {
		return Alert{}, false
	}
	a := Alert{Rule: RuleDeclineStreak, Branch: branch, Metric: m.String(), Month: month,
		Severity: SeverityWatch, Streak: streak, Start: month.Add(-streak)}
	for j := i; j <= last; j++ {
		a.Values = append(a.Values, *vals[j].Value)
	}
	a.Drop = *vals[i].Value - *vals[last].Value
	if s0, s1 := vals[i].SE, vals[last].SE; s0 != nil && s1 != nil {
		if d := math.Sqrt(*s0**s0 + *s1**s1); d > 0 {
			a.Z = ptr(a.Drop / d)
			if *a.Z >= z95 {
				a.Severity = SeveritySignificant
			}
		}
	}
	return a, true
}

var ruleRank = map[string]int{RuleDeclineStreak: 0, RuleBelowBase: 1, RuleLeadLost: 2}

// SortAlerts orders alerts of many branches and months deterministically: by month, branch
// and rule (decline_streak, below_base, lead_lost), keeping the order Alerts gives within a rule.
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
