package kpi

import (
	"fmt"
	"strings"

	"github.com/csat-dev/csat/schema"
)

// Kind is a metric name of SPEC §4 without its item code.
type Kind string

// The metric kinds of SPEC §4, in the order MetricNames lists them.
const (
	KindCSI                   Kind = "csi"
	KindOverall               Kind = "overall"
	KindItem                  Kind = "item" // item:<code>
	KindLead                  Kind = "lead"
	KindItemLead              Kind = "item_lead" // item_lead:<code>
	KindSPI                   Kind = "spi"
	KindShortPlankImprovement Kind = "short_plank_improvement"
	KindWindowSatisfaction    Kind = "window_satisfaction"
	KindHotlineSatisfaction   Kind = "hotline_satisfaction"
	KindStoreSatisfaction     Kind = "store_satisfaction"
	KindComplaintRate         Kind = "complaint_rate"
	KindEscalatedRate         Kind = "escalated_rate"
	KindComplaintSLARate      Kind = "complaint_sla_rate"
	KindChurnRate             Kind = "churn_rate"
	KindHighValueChurnRate    Kind = "high_value_churn_rate"
	KindRetentionRate         Kind = "retention_rate"
	KindScore                 Kind = "score"

	// Version 2 (SPEC §5.3–5.5).
	KindFCR            Kind = "fcr"              // hotline first-contact resolution, percent
	KindSL20           Kind = "sl20"             // hotline calls answered within 20 s, percent
	KindHotlineAvgWait Kind = "hotline_avg_wait" // seconds
	KindAvgHandle      Kind = "avg_handle"       // hotline handling time, seconds
	KindStoreAvgWait   Kind = "store_avg_wait"   // seconds
	KindEnterpriseCSI  Kind = "enterprise_csi"   // CSI of the own carrier's enterprise interviews
	KindEnterpriseLead Kind = "enterprise_lead"  // enterprise CSI over the best competitor's
	KindChannelGap     Kind = "channel_gap"      // max − min of the channel items' scores
	KindStoreSpread    Kind = "store_spread"     // rating-weighted SD of the stores' satisfaction
	KindConsistency    Kind = "consistency"      // 100 − channel_gap
)

var kinds = []Kind{
	KindCSI, KindOverall, KindItem, KindLead, KindItemLead, KindSPI, KindShortPlankImprovement,
	KindWindowSatisfaction, KindHotlineSatisfaction, KindStoreSatisfaction, KindComplaintRate,
	KindEscalatedRate, KindComplaintSLARate, KindChurnRate, KindHighValueChurnRate,
	KindRetentionRate, KindFCR, KindSL20, KindHotlineAvgWait, KindAvgHandle, KindStoreAvgWait,
	KindEnterpriseCSI, KindEnterpriseLead, KindChannelGap, KindStoreSpread, KindConsistency, KindScore,
}

// LowerIsBetter reports whether a smaller value of k is better: complaint, escalation and churn
// rates, waiting and handling times, the channel gap and the store spread. It decides ranks,
// the direction of a "worse" change and the default direction of a scorecard component.
func (k Kind) LowerIsBetter() bool {
	switch k {
	case KindComplaintRate, KindEscalatedRate, KindChurnRate, KindHighValueChurnRate,
		KindHotlineAvgWait, KindAvgHandle, KindStoreAvgWait, KindChannelGap, KindStoreSpread:
		return true
	}
	return false
}

// Metric is a parsed metric name: Item is the catalog code of KindItem and KindItemLead, else "".
// It marshals as its name.
type Metric struct {
	Kind Kind
	Item string
}

// String returns the SPEC §4 name, e.g. "csi" or "item:network".
func (m Metric) String() string {
	if m.Item != "" {
		return string(m.Kind) + ":" + m.Item
	}
	return string(m.Kind)
}

// MarshalText implements encoding.TextMarshaler.
func (m Metric) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// MetricNames lists every metric name of SPEC §4 for cat: item:<code> and item_lead:<code> once
// per catalog item, in catalog order.
func MetricNames(cat schema.Catalog) []string {
	var out []string
	for _, k := range kinds {
		switch k {
		case KindItem, KindItemLead:
			for _, it := range cat.Items {
				out = append(out, string(k)+":"+it.Code)
			}
		default:
			out = append(out, string(k))
		}
	}
	return out
}

// ParseMetric parses a SPEC §4 metric name; item codes must be in cat.
func ParseMetric(s string, cat schema.Catalog) (Metric, error) {
	name, code, hasCode := strings.Cut(s, ":")
	for _, k := range kinds {
		if string(k) != name {
			continue
		}
		itemKind := k == KindItem || k == KindItemLead
		switch {
		case itemKind && !hasCode:
			return Metric{}, fmt.Errorf("metric %q: want %s:<item code>", s, k)
		case !itemKind && hasCode:
			return Metric{}, fmt.Errorf("metric %q: %s takes no item code", s, k)
		case itemKind && !cat.Has(code):
			return Metric{}, fmt.Errorf("metric %q: item %q is not in the catalog", s, code)
		}
		return Metric{Kind: k, Item: code}, nil
	}
	return Metric{}, fmt.Errorf("metric %q: unknown metric name", s)
}

// MetricValue is one metric of a card. Value, MOE95 and SE are nil when unknown. N is set for
// the metrics with an n (csi, overall, item:*, and the window satisfactions, whose n is the
// number of ratings); Reportable is then n ≥ CSAT_MIN_SAMPLE (and a value exists); for every
// other metric N is nil and Reportable is Value != nil (SPEC §3.4).
type MetricValue struct {
	Value      *float64 `json:"value"`
	MOE95      *float64 `json:"moe95"`
	SE         *float64 `json:"-"`
	N          *uint64  `json:"n"`
	Reportable bool     `json:"reportable"`
}

func fromValue(v Value) MetricValue {
	n := v.N
	return MetricValue{Value: v.Value, MOE95: v.MOE95, SE: v.SE(), N: &n, Reportable: v.Reportable}
}

func fromLead(l Lead) MetricValue {
	return MetricValue{Value: l.Value, MOE95: l.MOE95, SE: l.SE(), Reportable: l.Value != nil}
}

func plain(v *float64) MetricValue { return MetricValue{Value: v, Reportable: v != nil} }

// fromMean is a mean over n ratings (a waiting or handling time): it carries n and is
// reportable from CSAT_MIN_SAMPLE ratings on; without per-rating squares it has no margin.
func (c Card) fromMean(v *float64, n uint64) MetricValue {
	return MetricValue{Value: v, N: &n, Reportable: v != nil && n >= c.minSample}
}

// fromProportion is a window satisfaction: k satisfied of n ratings.
func (c Card) fromProportion(k, n uint64) MetricValue {
	v, se := proportion(k, n)
	mv := MetricValue{Value: v, SE: se, N: &n, Reportable: v != nil && n >= c.minSample}
	if se != nil {
		mv.MOE95 = ptr(z95 * *se)
	}
	return mv
}

// Metric extracts m from the card. KindScore is not part of a card: it returns the zero
// MetricValue (null, not reportable); use Scorecard.MonthScore. An item code absent from the
// card's catalog gives the zero MetricValue too. The window satisfactions use the
// rating counts and CSAT_MIN_SAMPLE the card was computed with, which its JSON does not carry:
// c must come from ComputeCard, not from decoding JSON.
func (c Card) Metric(m Metric) MetricValue {
	s := &c.Survey
	switch m.Kind {
	case KindCSI:
		return fromValue(s.Own.CSI)
	case KindOverall:
		return fromValue(s.Own.Overall)
	case KindItem:
		if v, ok := s.Own.Items[m.Item]; ok {
			return fromValue(v)
		}
	case KindLead:
		return fromLead(s.Lead)
	case KindItemLead:
		if l, ok := s.ItemLeads[m.Item]; ok {
			return fromLead(l)
		}
	case KindSPI:
		return plain(s.ShortPlanks.Index)
	case KindShortPlankImprovement:
		return plain(s.ShortPlanks.Improvement)
	case KindWindowSatisfaction:
		w := c.window
		return c.fromProportion(w.HotlineSatisfied+w.StoreSatisfied, w.HotlineN+w.StoreN)
	case KindHotlineSatisfaction:
		return c.fromProportion(c.window.HotlineSatisfied, c.window.HotlineN)
	case KindStoreSatisfaction:
		return c.fromProportion(c.window.StoreSatisfied, c.window.StoreN)
	case KindComplaintRate:
		return plain(c.Complaints.RatePer10k)
	case KindEscalatedRate:
		return plain(c.Complaints.EscalatedPer1m)
	case KindComplaintSLARate:
		return plain(c.Complaints.SLARate)
	case KindChurnRate:
		return plain(c.Churn.Rate)
	case KindHighValueChurnRate:
		return plain(c.Churn.HighValueRate)
	case KindRetentionRate:
		return plain(c.Churn.RetentionRate)
	case KindFCR:
		return c.fromProportion(c.window.HotlineResolved, c.window.HotlineN)
	case KindSL20:
		return c.fromProportion(c.window.HotlineSL20, c.window.HotlineN)
	case KindHotlineAvgWait:
		return c.fromMean(c.Window.Hotline.AvgWait, c.window.HotlineN)
	case KindAvgHandle:
		return c.fromMean(c.Window.Hotline.AvgHandle, c.window.HotlineN)
	case KindStoreAvgWait:
		return c.fromMean(c.Window.Store.AvgWait, c.window.StoreN)
	case KindEnterpriseCSI:
		if e := s.Enterprise; e != nil {
			return fromValue(e.CSI)
		}
	case KindEnterpriseLead:
		if e := s.Enterprise; e != nil {
			return fromLead(e.Lead)
		}
	case KindChannelGap:
		return plain(c.Consistency.ChannelGap)
	case KindStoreSpread:
		return plain(c.Consistency.StoreSpread)
	case KindConsistency:
		return plain(c.Consistency.Consistency)
	}
	return MetricValue{}
}
