package kpi

import (
	"math"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// Drivers is the key-driver block of the card (extension, docs/extensions.md): how much each
// item matters for the overall score (Johnson's relative weights of the item answers against
// the overall answer, pooled over months and over the subtree of Branch), how the own carrier
// performs on it, and how far it trails the best competitor.
type Drivers struct {
	Branch string       `json:"branch"` // whose responses give the importance (the card's ancestor at CSAT_DRIVER_LEVEL)
	From   schema.Month `json:"from"`   // first month pooled
	To     schema.Month `json:"to"`     // last month pooled (the card's)
	N      *uint64      `json:"n"`      // complete responses pooled (every item and overall answered); null when withheld (Scoped)
	R2     *float64     `json:"r2"`     // share of the overall score's variance the items explain; null when not estimable or withheld
	// Items has every catalog item.
	Items map[string]DriverItem `json:"items"`
	// Priorities are the short planks ranked by importance × gap (stat.Priorities), at most
	// CSAT_SHORT_PLANK_K items among those with a positive gap (behind the best competitor).
	Priorities []string `json:"priorities"`
}

// Scoped returns the block as shown to a reader who may not see the pool's branch (a token
// scoped below it): the pool's statistics — its response count n and its R² — withheld (null),
// the importance shares (what the pool says about which items matter, not how the pool
// scores), the card's own performance, gaps, priorities and the pool's name and months kept.
// d is not modified (cards are shared).
func (d *Drivers) Scoped() *Drivers {
	c := *d
	c.N, c.R2 = nil, nil
	return &c
}

// DriverItem is one item of the drivers block. Importance is its share of R² (the shares sum
// to 1); Performance is the own carrier's S_k (null unless reportable); Gap is the best
// competitor's S_k − the own (null without a reportable own and competitor value); Priority is
// Importance × Gap.
type DriverItem struct {
	Importance  *float64 `json:"importance"`
	Performance *float64 `json:"performance"`
	Gap         *float64 `json:"gap"`
	Priority    *float64 `json:"priority"`
}

// ComputeDrivers fills the drivers block of card from cm, the own carrier's cross moments of
// branch over months from..to, with the items in catalog order. Importance is null for every
// item when the moments do not allow it (too few responses, an item without spread, collinear
// items).
func ComputeDrivers(cfg Config, cat schema.Catalog, card *Card, branch string, from, to schema.Month, cm stat.CrossMoments) {
	d := &Drivers{Branch: branch, From: from, To: to, N: ptr(cm.N), Items: make(map[string]DriverItem, len(cat.Items)), Priorities: []string{}}
	importance := map[string]float64{}
	if cm.P() == len(cat.Items) && cm.N >= 2 {
		if rxx, rxy, err := cm.Correlations(); err == nil {
			if rw, err := stat.Relative(rxx, rxy); err == nil && !math.IsNaN(rw.R2) {
				d.R2 = ptr(rw.R2)
				for i, it := range cat.Items {
					importance[it.Code] = rw.Importance[i]
				}
			}
		}
	}
	perf, gap := map[string]float64{}, map[string]float64{}
	for _, it := range cat.Items {
		var di DriverItem
		if v, ok := importance[it.Code]; ok {
			di.Importance = ptr(v)
		}
		own := card.Survey.Own.Items[it.Code]
		if own.Reportable {
			di.Performance = ptr(*own.Value)
			perf[it.Code] = *own.Value
			if l := card.Survey.ItemLeads[it.Code]; l.Value != nil {
				di.Gap = ptr(-*l.Value)
				gap[it.Code] = -*l.Value
			}
		}
		if di.Importance != nil && di.Gap != nil {
			di.Priority = ptr(*di.Importance * *di.Gap)
		}
		d.Items[it.Code] = di
	}
	if len(importance) > 0 {
		for _, p := range stat.Priorities(importance, perf, gap) {
			if len(d.Priorities) == cfg.ShortPlankK {
				break
			}
			if p.Gap > 0 {
				d.Priorities = append(d.Priorities, p.Item)
			}
		}
	}
	card.Drivers = d
}
