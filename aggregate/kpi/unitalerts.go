package kpi

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// Front-line unit alert rules (docs/design/frontline.md). The branch rules (SPEC §3.11) watch a
// branch's survey and window values; these watch one unit's monthly card (SPEC §5.2).
const (
	RuleUnitStreak  = "unit_streak"
	RuleUnitOutlier = "unit_outlier"
)

// Metrics of the unit alerts, named as the card's fields.
const (
	UnitMetricSatisfaction = "satisfaction"
	UnitMetricAvgWait      = "avg_wait"
	UnitMetricInspCity     = "inspection.city"
	UnitMetricInspProvince = "inspection.province"
	UnitMetricComplaints   = "complaints"
)

// UnitWaitRise is the smallest relative rise of avg_wait over a unit_streak: the value at the
// alert month at least 1.25 × the value before the first rise. A wait has no points to compare
// with CSAT_ALERT_MIN_DROP: a quarter more waiting is what a customer notices (20 s → 25 s).
const UnitWaitRise = 0.25

// UnitWaitFactor and UnitWaitMinRatings are the rule of unit_outlier on avg_wait: an agent with
// at least min(UnitWaitMinRatings, CSAT_MIN_SAMPLE) ratings in the month whose average wait is
// at least UnitWaitFactor × the pooled average wait of the other agents of their branch. An
// agent rates about 20 calls a month, fewer than CSAT_MIN_SAMPLE (30), hence a floor of its
// own. Waits are about exponential (standard deviation = mean): the mean of 10 waits reaches
// 2.5 × the true mean with probability P(Gamma(10, 1) ≥ 25) = P(Poisson(25) ≤ 9) ≈ 2·10⁻⁴.
const (
	UnitWaitFactor     = 2.5
	UnitWaitMinRatings = 10
)

// UnitOutlierAlpha is the one-sided tail of unit_outlier on complaints: the upper tail of the
// funnel's 99.8 % limits (stat.Z998), 1 − Φ(3.09) = 0.001.
var UnitOutlierAlpha = math.Erfc(stat.Z998/math.Sqrt2) / 2

// UnitAlert is one fired front-line rule for one unit and month.
//
// unit_streak: Values are the metric's values from Start (the month before the first worsening)
// to Month, each worse than the one before; Change is Values[last] − Values[0] (negative for a
// fall; for avg_wait a rise, and Rise = Change / Values[0]).
//
// unit_outlier on complaints: Value is the unit's complaints in Month over N ratings; Expected
// is λ = N × the pooled complaints per rating of its Peers (the units of its kind under the same
// parent, itself included, each with ratings); Limit is the smallest count with P(X ≥ count) <
// UnitOutlierAlpha for X ~ Poisson(λ), and P is P(X ≥ Value). On avg_wait: Value is the agent's
// average wait over N ratings, Expected the pooled average wait of the other agents of the
// branch (Peers of them), Limit = UnitWaitFactor × Expected.
type UnitAlert struct {
	Rule   string       `json:"rule"`
	Kind   string       `json:"kind"`
	Unit   string       `json:"unit"`
	Branch string       `json:"branch"`
	Store  string       `json:"store,omitempty"`
	Metric string       `json:"metric"`
	Month  schema.Month `json:"month"`

	Start  schema.Month `json:"start,omitempty"`
	Values []float64    `json:"values,omitempty"`
	Change float64      `json:"change,omitempty"`
	Rise   *float64     `json:"rise,omitempty"`
	Z      *float64     `json:"z,omitempty"`

	Value    float64  `json:"value"`
	N        uint64   `json:"n,omitempty"`
	Expected *float64 `json:"expected,omitempty"`
	Limit    *float64 `json:"limit,omitempty"`
	Peers    int      `json:"peers,omitempty"`
	P        *float64 `json:"p,omitempty"`

	TextZH string `json:"text_zh"`
	TextEN string `json:"text_en"`
}

// streakMetric is one metric a unit_streak watches.
type streakMetric struct {
	name   string
	zh, en string
	higher bool // higher is better
	// inspection: a month counts as a fall only when the score fell by CSAT_ALERT_MIN_DROP.
	inspection bool
	// get returns the value of c when it may be compared (rating values when reportable,
	// inspection means when present) and its standard error when known.
	get func(c UnitCard) (v, se *float64)
}

func reportable(v Value) (*float64, *float64) {
	if v.Reportable {
		return v.Value, v.SE()
	}
	return nil, nil
}

func inspection(c UnitCard, city bool) (*float64, *float64) {
	switch {
	case c.Inspection == nil:
		return nil, nil
	case city:
		return c.Inspection.City, nil
	}
	return c.Inspection.Province, nil
}

var streakMetrics = []streakMetric{
	{UnitMetricInspCity, "市公司检查得分", "city inspection score", true, true, func(c UnitCard) (*float64, *float64) { return inspection(c, true) }},
	{UnitMetricInspProvince, "省公司检查得分", "province inspection score", true, true, func(c UnitCard) (*float64, *float64) { return inspection(c, false) }},
	{UnitMetricSatisfaction, "满意率", "satisfaction", true, false, func(c UnitCard) (*float64, *float64) { return reportable(c.Satisfaction) }},
	{UnitMetricAvgWait, "平均等待时长", "average wait", false, false, func(c UnitCard) (*float64, *float64) {
		v, _ := reportable(c.AvgWait)
		if v == nil {
			return nil, nil
		}
		return v, ptr(*v / math.Sqrt(float64(c.AvgWait.N))) // waits about exponential: sd ≈ mean
	}},
}

var unitKindsEN = map[string]string{UnitStore: "stores", UnitStaff: "staff", UnitAgent: "agents", UnitManager: "managers"}

var unitKindZH = map[string]string{UnitStore: "营业厅", UnitStaff: "营业员", UnitAgent: "客服代表", UnitManager: "客户经理"}

// UnitStreaks evaluates unit_streak on one unit's monthly cards: series[i] is the card of month
// first+i (a month without the unit's row is a card with n 0 and no inspection), the last one
// the alert month. A metric fires when its value worsened (higher-is-better metrics fell,
// avg_wait rose) in each of at least cfg.AlertDeclineMonths consecutive months ending at the
// last one, every value of the streak comparable (ratings reportable, inspections present), and
// the cumulative change is large enough:
//   - satisfaction: a drop of at least CSAT_ALERT_MIN_DROP points with z = drop /
//     √(SE_start² + SE_end²) ≥ 3.09 (stat.Z998: thousands of units are watched, so the
//     funnel's 99.8 % level rather than 95 %; at 1.96 the demo's data raise two chance alerts
//     at z ≈ 2.4);
//   - inspection.city and inspection.province (one or two inspections a month, patrol and
//     mystery shopping in turn, no standard error): a month counts as a fall only when the
//     score fell by at least CSAT_ALERT_MIN_DROP points (3 falls: 9 points or more);
//   - avg_wait (seconds, no points): a rise of at least UnitWaitRise of the starting value with
//     z = rise / √(SE_start² + SE_end²) ≥ 3.09, where SE = mean / √n (no squares are kept:
//     waits are taken as about exponential, standard deviation = mean).
//
// The streak reported is the longest within series. Metrics in streakMetrics order.
func UnitStreaks(cfg Config, first schema.Month, series []UnitCard) []UnitAlert {
	k := max(cfg.AlertDeclineMonths, 1)
	if len(series) < k+1 {
		return nil
	}
	last := series[len(series)-1]
	month := first.Add(len(series) - 1)
	var out []UnitAlert
	for _, mt := range streakMetrics {
		vals := make([]*float64, len(series))
		ses := make([]*float64, len(series))
		for i, c := range series {
			vals[i], ses[i] = mt.get(c)
		}
		worse := func(a, b float64) bool { // b worse than a
			switch {
			case mt.inspection:
				return b <= a-cfg.AlertMinDrop
			case mt.higher:
				return b < a
			}
			return b > a
		}
		end := len(vals) - 1
		s := end
		for s > 0 && vals[s] != nil && vals[s-1] != nil && worse(*vals[s-1], *vals[s]) {
			s--
		}
		if end-s < k {
			continue
		}
		start, now := *vals[s], *vals[end]
		a := UnitAlert{Rule: RuleUnitStreak, Kind: last.Kind, Unit: last.Unit, Branch: last.Branch, Store: last.Store,
			Metric: mt.name, Month: month, Start: first.Add(s), Change: now - start, Value: now}
		for _, v := range vals[s:] {
			a.Values = append(a.Values, *v)
		}
		switch {
		case mt.name == UnitMetricSatisfaction:
			if start-now < cfg.AlertMinDrop || ses[s] == nil || ses[end] == nil {
				continue
			}
			se := math.Sqrt(*ses[s]**ses[s] + *ses[end]**ses[end])
			if !(se > 0) || (start-now)/se < stat.Z998 {
				continue
			}
			a.Z = ptr((start - now) / se)
		case mt.inspection: // every fall at least CSAT_ALERT_MIN_DROP (worse)
		default:
			se := math.Sqrt(*ses[s]**ses[s] + *ses[end]**ses[end])
			if !(start > 0) || (now-start)/start < UnitWaitRise || !(se > 0) || (now-start)/se < stat.Z998 {
				continue
			}
			a.Rise, a.Z = ptr((now-start)/start), ptr((now-start)/se)
		}
		a.TextZH, a.TextEN = streakText(a, mt)
		out = append(out, a)
	}
	return out
}

func streakText(a UnitAlert, mt streakMetric) (zh, en string) {
	unitZH, unitEN, digits := "分", " points", 1
	if mt.name == UnitMetricSatisfaction {
		unitZH, unitEN = "个百分点", " points"
	}
	if mt.name == UnitMetricAvgWait {
		unitZH, unitEN = "秒", " s"
	}
	vals := make([]string, len(a.Values))
	for i, v := range a.Values {
		vals[i] = strconvF(v, digits)
	}
	path := strings.Join(vals, " → ")
	streak := len(a.Values) - 1
	if mt.higher {
		zh = fmt.Sprintf("%s，%s %s 的%s自%s起连续%d个月下降：%s，累计下降%s%s。", a.Month, unitKindZH[a.Kind], a.Unit, mt.zh,
			a.Start, streak, path, strconvF(-a.Change, digits), unitZH)
		en = fmt.Sprintf("In %s the %s of %s %s had fallen %d months in a row since %s: %s, %s%s down.", a.Month, mt.en,
			a.Kind, a.Unit, streak, a.Start, path, strconvF(-a.Change, digits), unitEN)
		return zh, en
	}
	zh = fmt.Sprintf("%s，%s %s 的%s自%s起连续%d个月上升：%s%s，累计上升%s%%。", a.Month, unitKindZH[a.Kind], a.Unit, mt.zh,
		a.Start, streak, path, unitZH, strconvF(100**a.Rise, 0))
	en = fmt.Sprintf("In %s the %s of %s %s had risen %d months in a row since %s: %s%s, %s%% up.", a.Month, mt.en,
		a.Kind, a.Unit, streak, a.Start, path, unitEN, strconvF(100**a.Rise, 0))
	return zh, en
}

func strconvF(v float64, digits int) string { return fmt.Sprintf("%.*f", digits, v) }

// UnitOutliers evaluates unit_outlier for one month over the cards of the peers: the units of
// one kind placed at one branch in the month. Staff too are compared with every staff member of
// their branch rather than of their store (SPEC §5.5's parent for smoothing): eight staff are
// too few a yardstick, and a store whose whole team draws complaints is not its own.
//
// Complaints (stores, staff, agents): with p̄ = Σ complaints / Σ ratings over the peers with
// ratings (the unit included, the funnel's target, stat.Funnel), a unit with N > 0 ratings and
// k complaints fires when P(X ≥ k) < UnitOutlierAlpha for X ~ Poisson(N·p̄) — the exact
// one-sided 99.8 % limit, as counts of a few complaints are too small for the funnel's normal
// approximation. A unit without ratings has no base and takes no part; at least two units with
// ratings are needed.
//
// Average wait (agents): an agent with at least min(UnitWaitMinRatings, CSAT_MIN_SAMPLE)
// ratings fires when their average wait is at least UnitWaitFactor × the pooled average wait
// (Σ wait / Σ ratings) of the branch's other agents with ratings.
//
// Alerts in the order of cards, complaints before waits for one unit.
func UnitOutliers(cfg Config, month schema.Month, cards []UnitCard) []UnitAlert {
	var sk, sn float64
	rated := 0
	for _, c := range cards {
		if c.Ratings > 0 {
			sk += float64(c.Complaints)
			sn += float64(c.Ratings)
			rated++
		}
	}
	var waitSum, waitN float64
	for _, c := range cards {
		if c.Kind == UnitAgent && c.AvgWait.Value != nil {
			waitSum += *c.AvgWait.Value * float64(c.AvgWait.N)
			waitN += float64(c.AvgWait.N)
		}
	}
	var out []UnitAlert
	for _, c := range cards {
		head := UnitAlert{Rule: RuleUnitOutlier, Kind: c.Kind, Unit: c.Unit, Branch: c.Branch, Store: c.Store, Month: month, N: c.Ratings}
		if rated >= 2 && c.Ratings > 0 && c.Complaints > 0 && c.Kind != UnitManager {
			lambda := float64(c.Ratings) * sk / sn
			p := PoissonUpperTail(c.Complaints, lambda)
			if p < UnitOutlierAlpha {
				a := head
				a.Metric, a.Value, a.Expected, a.Peers, a.P = UnitMetricComplaints, float64(c.Complaints), ptr(lambda), rated, ptr(p)
				a.Limit = ptr(float64(PoissonLimit(lambda, UnitOutlierAlpha)))
				a.TextZH = fmt.Sprintf("%s，%s %s 被投诉%d次（%d条评价），按同一分公司%d个%s每条评价的投诉率应约为%s次，超出99.8%%上限（%d次起）。",
					month, unitKindZH[c.Kind], c.Unit, c.Complaints, c.Ratings, rated, unitKindZH[c.Kind], strconvF(lambda, 2), int(*a.Limit))
				a.TextEN = fmt.Sprintf("In %s %s %s drew %d complaints over %d ratings, where the complaints per rating of the %d %s of its branch expect %s: above the 99.8 %% limit (%d or more).",
					month, c.Kind, c.Unit, c.Complaints, c.Ratings, rated, unitKindsEN[c.Kind], strconvF(lambda, 2), int(*a.Limit))
				out = append(out, a)
			}
		}
		if c.Kind == UnitAgent && c.AvgWait.Value != nil && c.AvgWait.N >= min(UnitWaitMinRatings, cfg.MinSample) {
			own := *c.AvgWait.Value
			os, on := waitSum-own*float64(c.AvgWait.N), waitN-float64(c.AvgWait.N)
			peers := 0
			for _, o := range cards {
				if o.Unit != c.Unit && o.Kind == UnitAgent && o.AvgWait.Value != nil && o.AvgWait.N > 0 {
					peers++
				}
			}
			if peers > 0 && on > 0 && os > 0 && own >= UnitWaitFactor*os/on {
				mean := os / on
				a := head
				a.Metric, a.Value, a.Expected, a.Limit, a.Peers = UnitMetricAvgWait, own, ptr(mean), ptr(UnitWaitFactor*mean), peers
				a.TextZH = fmt.Sprintf("%s，客服代表 %s 的平均等待时长为%s秒（%d条评价），是同一分公司其他%d名客服代表平均（%s秒）的%s倍。",
					month, c.Unit, strconvF(own, 1), c.Ratings, peers, strconvF(mean, 1), strconvF(own/mean, 1))
				a.TextEN = fmt.Sprintf("In %s agent %s's average wait was %s s over %d ratings, %s times the %s s of the other %d agents of their branch.",
					month, c.Unit, strconvF(own, 1), c.Ratings, strconvF(own/mean, 1), strconvF(mean, 1), peers)
				out = append(out, a)
			}
		}
	}
	return out
}

// PoissonUpperTail is P(X ≥ k) for X ~ Poisson(λ), summed from k upwards (no cancellation in
// small tails): 1 when k = 0, 0 when λ = 0 < k.
func PoissonUpperTail(k uint64, lambda float64) float64 {
	if k == 0 {
		return 1
	}
	if !(lambda > 0) {
		return 0
	}
	lg, _ := math.Lgamma(float64(k) + 1)
	term := math.Exp(-lambda + float64(k)*math.Log(lambda) - lg)
	sum := 0.0
	for j := float64(k); term > 0; j++ {
		sum += term
		if j > lambda && term < 1e-17*sum {
			break
		}
		term *= lambda / (j + 1)
	}
	return math.Min(1, sum)
}

// PoissonLimit is the smallest count k ≥ 1 with P(X ≥ k) < alpha for X ~ Poisson(λ).
func PoissonLimit(lambda, alpha float64) uint64 {
	k := uint64(1)
	for PoissonUpperTail(k, lambda) >= alpha {
		k++
	}
	return k
}

// SortUnitAlerts orders alerts by rule (unit_outlier first: a unit singled out this month),
// then metric, kind and unit.
func SortUnitAlerts(as []UnitAlert) {
	sort.SliceStable(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if a.Rule != b.Rule {
			return a.Rule == RuleUnitOutlier
		}
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Unit < b.Unit
	})
}
