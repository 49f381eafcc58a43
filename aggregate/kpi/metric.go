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
)

var kinds = []Kind{
	KindCSI, KindOverall, KindItem, KindLead, KindItemLead, KindSPI, KindShortPlankImprovement,
	KindWindowSatisfaction, KindHotlineSatisfaction, KindStoreSatisfaction, KindComplaintRate,
	KindEscalatedRate, KindComplaintSLARate, KindChurnRate, KindHighValueChurnRate,
	KindRetentionRate, KindScore,
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
	}
	return MetricValue{}
}
