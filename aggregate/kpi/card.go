package kpi

import (
	"math"
	"sort"

	"github.com/csat-dev/csat/schema"
)

// Card is the KPI card of one branch (its whole subtree) and month: the JSON of SPEC §4.
// Build it with ComputeCard; Card.Metric extracts one SPEC §4 metric from it.
type Card struct {
	Branch     string         `json:"branch"`
	Month      schema.Month   `json:"month"`
	Survey     Survey         `json:"survey"`
	Window     WindowCard     `json:"window"`
	Complaints ComplaintsCard `json:"complaints"`
	Churn      ChurnCard      `json:"churn"`
	Base       *Base          `json:"base"` // null when neither the branch nor a descendant has a snapshot
	// Consistency is one service across channels (服务一致性, SPEC §5.3).
	Consistency ConsistencyCard `json:"consistency"`
	// Drivers is the key-driver block (extension, docs/extensions.md), set by ComputeDrivers;
	// omitted when not computed.
	Drivers *Drivers `json:"drivers,omitempty"`

	// minSample (CSAT_MIN_SAMPLE) and the window counts are kept for Metric: the window
	// satisfactions' JSON is a plain number without n or moe95 (see WindowCard).
	minSample uint64
	window    Window
	// scoreSmoothed is CSAT_SMOOTHED_ALERTS: Scorecard.Evaluate scores ScoringMetric.
	scoreSmoothed bool
}

// Survey is the survey part of the card.
type Survey struct {
	Own         OwnSurvey                `json:"own"`
	Competitors map[string]CarrierSurvey `json:"competitors"` // every other carrier with responses; {} when none
	Lead        Lead                     `json:"lead"`
	ItemLeads   map[string]Lead          `json:"item_leads"` // every catalog item
	ShortPlanks ShortPlanks              `json:"short_planks"`
	// Enterprise is the enterprise interviews alone (集团客户, SPEC §5.4–5.5).
	Enterprise *EnterpriseSurvey `json:"enterprise"`
}

// EnterpriseSurvey is the CSI of the interviews with customer_type enterprise: the own
// carrier's, each competitor's, and the lead over the best competitor (SPEC §3.3 and §3.5 over
// those interviews alone).
type EnterpriseSurvey struct {
	CSI         Value            `json:"csi"`
	Competitors map[string]Value `json:"competitors"` // every other carrier with enterprise interviews; {} when none
	Lead        Lead             `json:"lead"`
}

// ConsistencyCard is SPEC §5.3. ChannelGap is max − min of the own carrier's reportable scores
// of the channel items (CSAT_CHANNEL_ITEMS), null with fewer than two; Consistency is
// 100 − ChannelGap; StoreSpread is the rating-weighted standard deviation of the stores'
// satisfaction over the stores with at least CSAT_MIN_SAMPLE ratings (null with fewer than
// two). Channels lists the channel items that took part in the gap, in catalog order.
type ConsistencyCard struct {
	ChannelGap  *float64 `json:"channel_gap"`
	StoreSpread *float64 `json:"store_spread"`
	Consistency *float64 `json:"consistency"`
	Channels    []string `json:"channels"`
	Stores      int      `json:"stores"` // stores that took part in the spread
}

// OwnSurvey is the own carrier's survey values; Items has every catalog item (n = 0 when none
// answered it).
type OwnSurvey struct {
	Carrier string           `json:"carrier"`
	CSI     Value            `json:"csi"`
	Overall Value            `json:"overall"`
	Items   map[string]Value `json:"items"`
}

// CarrierSurvey is a competitor's survey values; Items has every catalog item.
type CarrierSurvey struct {
	CSI     Value            `json:"csi"`
	Overall Value            `json:"overall"`
	Items   map[string]Value `json:"items"`
}

// Lead is a competitor lead (SPEC §3.5). When the own value is not reportable or no competitor's
// is, it is {"value": null, "moe95": null, "best_competitor": null, "significant": false}.
// moe95 is null (and significant false) when an SE is unknown (n < 2, only possible when
// CSAT_MIN_SAMPLE < 2).
type Lead struct {
	Value          *float64 `json:"value"`
	MOE95          *float64 `json:"moe95"`
	BestCompetitor *string  `json:"best_competitor"`
	Significant    bool     `json:"significant"`
}

// ShortPlanks is SPEC §3.6. Absolute and Competitive are item codes, weakest first; [] when none.
//
// With a catalog of areas (SPEC §5.4–5.5) the candidates of Absolute are the items without an
// area, each scored by its plank score: α·S_area + (1 − α)·(mean S of its reportable key
// sub-items), or S_item when it has none; Index and Improvement use plank scores, and Scores
// lists the plank score of each absolute plank. With a flat catalog the plank score is S_item
// and Scores is omitted.
type ShortPlanks struct {
	Absolute    []string           `json:"absolute"`
	Competitive []string           `json:"competitive"`
	Index       *float64           `json:"index"`            // SPI: mean plank score of Absolute; null when empty
	Improvement *float64           `json:"improvement"`      // over m−1's absolute planks; null when none is reportable in both months
	Scores      map[string]float64 `json:"scores,omitempty"` // plank score of each absolute plank; catalogs with areas only
}

// WindowCard is SPEC §3.7. Following SPEC §4's example ("satisfaction": 96.1) every figure here
// is a plain number on the 0–100 scale (seconds for avg_wait), null when its n is 0. Their
// margins of error and reportability (n ≥ CSAT_MIN_SAMPLE, n = hotline n + store n for the
// window satisfaction) are not in this JSON; Card.Metric returns them for the metrics
// window_satisfaction, hotline_satisfaction and store_satisfaction.
type WindowCard struct {
	Hotline      HotlineCard `json:"hotline"`
	Store        StoreCard   `json:"store"`
	Satisfaction *float64    `json:"satisfaction"`
}

// HotlineCard is the hotline part of the window service.
type HotlineCard struct {
	N            uint64   `json:"n"`
	Satisfaction *float64 `json:"satisfaction"` // 100 × #(rating ≥ 4) / n
	FCR          *float64 `json:"fcr"`          // 100 × #resolved / n
	AvgWait      *float64 `json:"avg_wait"`     // seconds
	SL20         *float64 `json:"sl20"`         // 100 × #(wait ≤ 20 s) / n
	AvgHandle    *float64 `json:"avg_handle"`   // seconds
}

// StoreCard is the store part of the window service.
type StoreCard struct {
	N            uint64   `json:"n"`
	Satisfaction *float64 `json:"satisfaction"` // 100 × #(rating ≥ 4) / n
	AvgWait      *float64 `json:"avg_wait"`     // seconds
}

// ComplaintsCard is SPEC §3.8. Rates are null without a base or with a base of 0 subscribers;
// sla_rate and mean_resolution_hours are null when none closed; callback_satisfaction is null
// when no closed complaint has a callback outcome.
type ComplaintsCard struct {
	Opened               uint64   `json:"opened"`
	RatePer10k           *float64 `json:"rate_per_10k"`
	Escalated            uint64   `json:"escalated"`
	EscalatedPer1m       *float64 `json:"escalated_per_1m"`
	Closed               uint64   `json:"closed"`
	SLARate              *float64 `json:"sla_rate"`
	MeanResolutionHours  *float64 `json:"mean_resolution_hours"`
	CallbackSatisfaction *float64 `json:"callback_satisfaction"`
}

// ChurnCard is SPEC §3.9. rate is null without a base (or a base of 0); high_value_rate without
// tiers (or 0 high-tier subscribers); retention_rate without tiers (or 0 high + mid).
type ChurnCard struct {
	Churned       uint64     `json:"churned"`
	ByTier        TierCounts `json:"by_tier"`
	Rate          *float64   `json:"rate"`
	HighValueRate *float64   `json:"high_value_rate"`
	RetentionRate *float64   `json:"retention_rate"`
}

// TierCounts is the JSON {high, mid, low} of churn by tier.
type TierCounts struct {
	High uint64 `json:"high"`
	Mid  uint64 `json:"mid"`
	Low  uint64 `json:"low"`
}

// ComputeCard computes the card of branch (its whole subtree) for month from cur, that month's
// statistics, and prev, month m−1's (only its survey statistics are used: for the short-plank
// improvement; pass the zero MonthData when unknown). cfg must be valid.
func ComputeCard(cfg Config, cat schema.Catalog, branch string, month schema.Month, cur, prev MonthData) Card {
	c := Card{Branch: branch, Month: month, Base: cur.Base, minSample: cfg.MinSample, window: cur.Window,
		scoreSmoothed: cfg.SmoothedAlerts}
	c.Survey = computeSurvey(cfg, cat, cur.Survey, prev.Survey)
	c.Window = computeWindow(cur.Window)
	c.Complaints = computeComplaints(cur.Complaints, cur.Base)
	c.Churn = computeChurn(cur.Churn, cur.Base)
	c.Consistency = computeConsistency(cfg, cat, c.Survey.Own.Items, cur.Stores)
	return c
}

// carrierValues computes CSI, overall and every catalog item of one carrier.
func carrierValues(cat schema.Catalog, ms map[string]Moments, minSample uint64) CarrierSurvey {
	cs := CarrierSurvey{Items: make(map[string]Value, len(cat.Items))}
	var num, den float64
	for _, it := range cat.Items {
		v := ItemValue(ms[it.Code], minSample)
		cs.Items[it.Code] = v
		if v.Value != nil {
			num += it.Weight * *v.Value
			den += it.Weight
		}
	}
	// SPEC §3.3: the CSI is the weighted mean of the item scores; only its n and moe95 come from
	// the per-response composite y.
	cs.CSI = ItemValue(ms[ItemCSI], minSample)
	if den > 0 {
		cs.CSI.Value = ptr(num / den)
	} else {
		cs.CSI.Value = nil
	}
	cs.CSI.Reportable = cs.CSI.Value != nil && cs.CSI.N >= minSample
	cs.Overall = ItemValue(ms[ItemOverall], minSample)
	return cs
}

func computeSurvey(cfg Config, cat schema.Catalog, cur, prev SurveyStats) Survey {
	own := carrierValues(cat, cur[cfg.OwnCarrier], cfg.MinSample)
	s := Survey{
		Own:         OwnSurvey{Carrier: cfg.OwnCarrier, CSI: own.CSI, Overall: own.Overall, Items: own.Items},
		Competitors: map[string]CarrierSurvey{},
		ItemLeads:   make(map[string]Lead, len(cat.Items)),
	}
	for carrier, ms := range cur {
		if carrier != cfg.OwnCarrier {
			s.Competitors[carrier] = carrierValues(cat, ms, cfg.MinSample)
		}
	}
	names := sortedKeys(s.Competitors)
	s.Lead = lead(own.CSI, names, func(c string) Value { return s.Competitors[c].CSI })
	for _, it := range cat.Items {
		s.ItemLeads[it.Code] = lead(own.Items[it.Code], names, func(c string) Value { return s.Competitors[c].Items[it.Code] })
	}
	s.ShortPlanks = shortPlanks(cfg, cat, own.Items, s.ItemLeads, prev[cfg.OwnCarrier])
	s.Enterprise = enterprise(cfg, cat, cur)
	return s
}

// enterprise computes the enterprise block from the EnterprisePrefix moments of every carrier.
func enterprise(cfg Config, cat schema.Catalog, cur SurveyStats) *EnterpriseSurvey {
	csi := func(ms map[string]Moments) Value {
		sub := make(map[string]Moments, len(cat.Items)+1)
		for _, it := range cat.Items {
			sub[it.Code] = ms[EnterprisePrefix+it.Code]
		}
		sub[ItemCSI] = ms[EnterprisePrefix+ItemCSI]
		return carrierValues(cat, sub, cfg.MinSample).CSI
	}
	e := &EnterpriseSurvey{CSI: csi(cur[cfg.OwnCarrier]), Competitors: map[string]Value{}}
	for carrier, ms := range cur {
		if carrier == cfg.OwnCarrier {
			continue
		}
		if v := csi(ms); v.N > 0 {
			e.Competitors[carrier] = v
		}
	}
	e.Lead = lead(e.CSI, sortedKeys(e.Competitors), func(c string) Value { return e.Competitors[c] })
	return e
}

// lead is SPEC §3.5 for one value: carriers must be sorted, so the first maximum is the
// smallest name among ties.
func lead(own Value, carriers []string, comp func(string) Value) Lead {
	if !own.Reportable {
		return Lead{}
	}
	var best string
	var bestV Value
	for _, c := range carriers {
		v := comp(c)
		if !v.Reportable {
			continue
		}
		if best == "" || *v.Value > *bestV.Value {
			best, bestV = c, v
		}
	}
	if best == "" {
		return Lead{}
	}
	l := Lead{Value: ptr(*own.Value - *bestV.Value), BestCompetitor: ptr(best)}
	if a, b := own.SE(), bestV.SE(); a != nil && b != nil {
		l.MOE95 = ptr(z95 * math.Sqrt(*a**a+*b**b))
		l.Significant = math.Abs(*l.Value) > *l.MOE95
	}
	return l
}

// SE returns the lead's standard error, moe95 / 1.96, or nil.
func (l Lead) SE() *float64 {
	if l.MOE95 == nil {
		return nil
	}
	return ptr(*l.MOE95 / z95)
}

type scored struct {
	code string
	v    float64
}

// lowest returns the codes of the k lowest scores, ties by code.
func lowest(s []scored, k int) []string {
	sort.Slice(s, func(i, j int) bool {
		if s[i].v != s[j].v {
			return s[i].v < s[j].v
		}
		return s[i].code < s[j].code
	})
	out := []string{}
	for i := 0; i < len(s) && i < k; i++ {
		out = append(out, s[i].code)
	}
	return out
}

// plankScores returns the plank score of every plank candidate that is reportable: the items
// without an area; an area (an item that sub-items name) scores α·S_area + (1 − α)·(mean S of
// its reportable key sub-items), or S_area when none is reportable (SPEC §5.5).
func plankScores(cfg Config, cat schema.Catalog, items map[string]Value) map[string]float64 {
	out := make(map[string]float64, len(cat.Items))
	for _, it := range cat.Items {
		v := items[it.Code]
		if it.Area != "" || !v.Reportable {
			continue
		}
		score := *v.Value
		var sum float64
		var n int
		for _, sub := range cat.Items {
			if sub.Area == it.Code && sub.Key {
				if sv := items[sub.Code]; sv.Reportable {
					sum += *sv.Value
					n++
				}
			}
		}
		if n > 0 {
			score = cfg.PlankAlpha*score + (1-cfg.PlankAlpha)*(sum/float64(n))
		}
		out[it.Code] = score
	}
	return out
}

// absolutePlanks returns the K candidates with the lowest plank scores, ties by code.
func absolutePlanks(cat schema.Catalog, scores map[string]float64, k int) []string {
	var s []scored
	for _, it := range cat.Items {
		if v, ok := scores[it.Code]; ok {
			s = append(s, scored{it.Code, v})
		}
	}
	return lowest(s, k)
}

func shortPlanks(cfg Config, cat schema.Catalog, items map[string]Value, leads map[string]Lead, prev map[string]Moments) ShortPlanks {
	scores := plankScores(cfg, cat, items)
	sp := ShortPlanks{Absolute: absolutePlanks(cat, scores, cfg.ShortPlankK)}
	var comp []scored
	for _, it := range cat.Items {
		if l := leads[it.Code]; items[it.Code].Reportable && l.Value != nil {
			comp = append(comp, scored{it.Code, *l.Value})
		}
	}
	sp.Competitive = lowest(comp, cfg.ShortPlankK)
	if len(sp.Absolute) > 0 {
		var sum float64
		for _, code := range sp.Absolute {
			sum += scores[code]
		}
		sp.Index = ptr(sum / float64(len(sp.Absolute)))
		if cat.HasAreas() {
			sp.Scores = make(map[string]float64, len(sp.Absolute))
			for _, code := range sp.Absolute {
				sp.Scores[code] = scores[code]
			}
		}
	}
	prevItems := make(map[string]Value, len(cat.Items))
	for _, it := range cat.Items {
		prevItems[it.Code] = ItemValue(prev[it.Code], cfg.MinSample)
	}
	prevScores := plankScores(cfg, cat, prevItems)
	var sum float64
	var n int
	for _, code := range absolutePlanks(cat, prevScores, cfg.ShortPlankK) {
		if cur, ok := scores[code]; ok {
			sum += cur - prevScores[code]
			n++
		}
	}
	if n > 0 {
		sp.Improvement = ptr(sum / float64(n))
	}
	return sp
}

// computeConsistency is SPEC §5.3 with §5.5's store spread.
func computeConsistency(cfg Config, cat schema.Catalog, items map[string]Value, stores map[string]StoreRatings) ConsistencyCard {
	cc := ConsistencyCard{Channels: []string{}}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, it := range cat.Items {
		if !cfg.channel(it.Code) {
			continue
		}
		if v := items[it.Code]; v.Reportable {
			cc.Channels = append(cc.Channels, it.Code)
			lo, hi = math.Min(lo, *v.Value), math.Max(hi, *v.Value)
		}
	}
	if len(cc.Channels) >= 2 {
		cc.ChannelGap = ptr(hi - lo)
		cc.Consistency = ptr(100 - (hi - lo))
	}
	cc.StoreSpread, cc.Stores = storeSpread(stores, cfg.MinSample)
	return cc
}

// storeSpread is √(Σn_j(p_j − p̄)² / Σn_j), p̄ = Σn_j·p_j / Σn_j, over the stores with at least
// minSample ratings (p_j = 100 × satisfied / n, SPEC §5.5); null with fewer than two such
// stores. It returns the number of stores that took part.
func storeSpread(stores map[string]StoreRatings, minSample uint64) (*float64, int) {
	// Sorted ids: the sums do not depend on the map's order, to the last bit.
	ids := make([]string, 0, len(stores))
	for id, s := range stores {
		if s.N >= minSample && s.N > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) < 2 {
		return nil, len(ids)
	}
	sort.Strings(ids)
	var sn, sk float64
	for _, id := range ids {
		sn += float64(stores[id].N)
		sk += float64(stores[id].Satisfied)
	}
	mean := 100 * sk / sn
	var ss float64
	for _, id := range ids {
		s := stores[id]
		d := 100*float64(s.Satisfied)/float64(s.N) - mean
		ss += float64(s.N) * d * d
	}
	return ptr(math.Sqrt(ss / sn)), len(ids)
}

func computeWindow(w Window) WindowCard {
	var wc WindowCard
	wc.Hotline.N = w.HotlineN
	wc.Hotline.Satisfaction, _ = proportion(w.HotlineSatisfied, w.HotlineN)
	wc.Hotline.FCR, _ = proportion(w.HotlineResolved, w.HotlineN)
	wc.Hotline.SL20, _ = proportion(w.HotlineSL20, w.HotlineN)
	wc.Hotline.AvgWait = ratio(float64(w.HotlineWaitSum), float64(w.HotlineN), 1)
	wc.Hotline.AvgHandle = ratio(float64(w.HotlineHandleSum), float64(w.HotlineN), 1)
	wc.Store.N = w.StoreN
	wc.Store.Satisfaction, _ = proportion(w.StoreSatisfied, w.StoreN)
	wc.Store.AvgWait = ratio(float64(w.StoreWaitSum), float64(w.StoreN), 1)
	wc.Satisfaction, _ = proportion(w.HotlineSatisfied+w.StoreSatisfied, w.HotlineN+w.StoreN)
	return wc
}

func subscribers(b *Base) float64 {
	if b == nil {
		return 0
	}
	return float64(b.Subscribers)
}

func computeComplaints(c Complaints, b *Base) ComplaintsCard {
	cc := ComplaintsCard{Opened: c.Opened, Escalated: c.Escalated, Closed: c.Closed}
	cc.RatePer10k = ratio(float64(c.Opened), subscribers(b), 10_000)
	cc.EscalatedPer1m = ratio(float64(c.Escalated), subscribers(b), 1_000_000)
	cc.SLARate, _ = proportion(c.ClosedWithinSLA, c.Closed)
	cc.MeanResolutionHours = ratio(c.ResolutionHoursSum, float64(c.Closed), 1)
	cc.CallbackSatisfaction, _ = proportion(c.CallbackSatisfied, c.CallbackN)
	return cc
}

func computeChurn(c ChurnCounts, b *Base) ChurnCard {
	cc := ChurnCard{Churned: c.Churned, ByTier: TierCounts{High: c.High, Mid: c.Mid, Low: c.Low}}
	cc.Rate = ratio(float64(c.Churned), subscribers(b), 100)
	if b != nil && b.Tiers != nil {
		cc.HighValueRate = ratio(float64(c.High), float64(b.Tiers.High), 100)
		if r := ratio(float64(c.High+c.Mid), float64(b.Tiers.High+b.Tiers.Mid), 100); r != nil {
			cc.RetentionRate = ptr(100 - *r)
		}
	}
	return cc
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
