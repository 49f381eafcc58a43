package kpi

import (
	"math"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// Smoothed is the small-area estimate of a survey value (extension, docs/extensions.md): a
// Fay–Herriot empirical-Bayes value that borrows strength from the parent branch, with its 95 %
// margin. It marshals to {"value", "moe95"}; unknown numbers are null.
type Smoothed struct {
	Value *float64 `json:"value"`
	MOE95 *float64 `json:"moe95"`
}

// SE returns the smoothed standard error, moe95 / 1.96, or nil.
func (s *Smoothed) SE() *float64 {
	if s == nil || s.MOE95 == nil {
		return nil
	}
	return ptr(*s.MOE95 / z95)
}

// Survey keys smoothed besides the catalog codes.
const (
	keyCSI     = "csi"
	keyOverall = "overall"
)

// SmoothedSurvey holds the smoothed values of one branch: carrier → key (csi, overall or a
// catalog code) → estimate.
type SmoothedSurvey map[string]map[string]Smoothed

// SmoothSurvey computes the small-area estimates of every child of one parent for one month:
// per carrier and per value (csi, overall, each catalog item), stat.FayHerriot over the
// children with the parent's direct value as the mean they shrink towards. The direct values,
// their sampling variances SE² and n_eff are those of SPEC §3.2–3.3, computed from the
// statistics; the between-branch variance is estimated over these children (one level, item,
// month). A carrier is smoothed for every child when any child or the parent has responses of it;
// a child without responses gets the parent's value. The result has an entry for every child
// of children.
func SmoothSurvey(cfg Config, cat schema.Catalog, parent SurveyStats, children map[string]SurveyStats) map[string]SmoothedSurvey {
	ids := sortedKeys(children)
	out := make(map[string]SmoothedSurvey, len(ids))
	for _, id := range ids {
		out[id] = SmoothedSurvey{}
	}
	carriers := map[string]bool{}
	for c := range parent {
		carriers[c] = true
	}
	for _, s := range children {
		for c := range s {
			carriers[c] = true
		}
	}
	for carrier := range carriers {
		pv := carrierValues(cat, parent[carrier], cfg.MinSample)
		kids := make([]CarrierSurvey, len(ids))
		for i, id := range ids {
			kids[i] = carrierValues(cat, children[id][carrier], cfg.MinSample)
		}
		keys := append([]string{keyCSI, keyOverall}, cat.Codes()...)
		for _, key := range keys {
			pick := func(cs CarrierSurvey) Value {
				switch key {
				case keyCSI:
					return cs.CSI
				case keyOverall:
					return cs.Overall
				}
				return cs.Items[key]
			}
			direct := make([]stat.Direct, len(ids))
			for i, id := range ids {
				v := pick(kids[i])
				direct[i] = directOf(v, neff(children[id][carrier], key))
			}
			prior := math.NaN()
			if v := pick(pv); v.Value != nil {
				prior = *v.Value
			}
			fh := stat.FayHerriot(direct, prior)
			for i, id := range ids {
				b := fh.Branches[i]
				sm := Smoothed{}
				if !math.IsNaN(b.Value) && !math.IsInf(b.Value, 0) {
					sm.Value = ptr(b.Value)
				}
				if !math.IsNaN(b.MOE95) && !math.IsInf(b.MOE95, 0) {
					sm.MOE95 = ptr(b.MOE95)
				}
				if out[id][carrier] == nil {
					out[id][carrier] = map[string]Smoothed{}
				}
				out[id][carrier][key] = sm
			}
		}
	}
	return out
}

// neff is n_eff = (Σw)²/Σw² of the moments behind a key (the composite's for csi).
func neff(ms map[string]Moments, key string) float64 {
	var m Moments
	switch key {
	case keyCSI:
		m = ms[ItemCSI]
	case keyOverall:
		m = ms[ItemOverall]
	default:
		m = ms[key]
	}
	if !(m.SW2 > 0) {
		return 0
	}
	return m.SW * m.SW / m.SW2
}

func directOf(v Value, nEff float64) stat.Direct {
	d := stat.Direct{Value: math.NaN(), Var: math.NaN(), N: nEff}
	if v.Value != nil {
		d.Value = *v.Value
	}
	if se := v.SE(); se != nil {
		d.Var = *se * *se
	}
	return d
}

// ApplySmoothed attaches the smoothed values of sm to the card's own and competitors' survey
// values (csi, overall, items). Values without an estimate keep a null smoothed field.
func (c *Card) ApplySmoothed(sm SmoothedSurvey) {
	attach := func(v *Value, carrier, key string) {
		if s, ok := sm[carrier][key]; ok {
			v.Smoothed = &s
		}
	}
	s := &c.Survey
	attach(&s.Own.CSI, s.Own.Carrier, keyCSI)
	attach(&s.Own.Overall, s.Own.Carrier, keyOverall)
	for code, v := range s.Own.Items {
		attach(&v, s.Own.Carrier, code)
		s.Own.Items[code] = v
	}
	for name, cs := range s.Competitors {
		attach(&cs.CSI, name, keyCSI)
		attach(&cs.Overall, name, keyOverall)
		for code, v := range cs.Items {
			attach(&v, name, code)
			cs.Items[code] = v
		}
		s.Competitors[name] = cs
	}
}

// ScoringMetric is the value of m that alerts and scorecards score: Metric(m), except that with
// cfg.SmoothedAlerts the own csi, overall and item:<code> take the smoothed value and margin
// when the card has one (cities and counties). Reportability stays that of the direct value
// (n ≥ CSAT_MIN_SAMPLE): a branch with too few responses is not scored on its parent's value.
func (c Card) ScoringMetric(cfg Config, m Metric) MetricValue {
	mv := c.Metric(m)
	if !cfg.SmoothedAlerts {
		return mv
	}
	var sm *Smoothed
	switch m.Kind {
	case KindCSI:
		sm = c.Survey.Own.CSI.Smoothed
	case KindOverall:
		sm = c.Survey.Own.Overall.Smoothed
	case KindItem:
		sm = c.Survey.Own.Items[m.Item].Smoothed
	}
	if sm == nil || sm.Value == nil {
		return mv
	}
	mv.Value, mv.MOE95, mv.SE = sm.Value, sm.MOE95, sm.SE()
	mv.Reportable = mv.Reportable && mv.Value != nil
	return mv
}
