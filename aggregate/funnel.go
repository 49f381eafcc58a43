package aggregate

import (
	"context"
	"fmt"
	"math"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// funnelCurvePoints is the number of bases at which FunnelPlot.Curve gives the limits.
const funnelCurvePoints = 40

// FunnelPlot is a funnel plot of a count-based rate over the children of a branch (extension,
// docs/extensions.md): each child's rate against its base, with control limits around the
// overall rate that widen for small bases, corrected for over-dispersion (stat.Funnel).
// Unknown numbers are null.
type FunnelPlot struct {
	Parent string       `json:"parent"`
	Month  schema.Month `json:"month"`
	Metric string       `json:"metric"` // complaint_rate (per 10k subscribers) or churn_rate (%)
	Rate   *float64     `json:"rate"`   // the target: Σ counts / Σ bases of the children with a base, on the metric's scale
	Phi    *float64     `json:"phi"`    // over-dispersion estimate φ̂ (null with fewer than 2 children with a base)
	Factor float64      `json:"factor"` // variance inflation applied to the limits, max(1, φ̂)
	// Children has every known child of Parent, in branch order; those without a base have null
	// numbers and no flags.
	Children []FunnelChild `json:"children"`
	// Curve gives the limits at bases spread evenly on a log scale between the smallest and the
	// largest base, for drawing the funnel.
	Curve []FunnelLimits `json:"curve"`
}

// FunnelChild is one child of a funnel plot: its count (complaints opened or customers
// churned) over its base (subscribers), its rate, z and limits at its base; Warning is "high" or
// "low" outside the 95 % limits, Outlier outside the 99.8 % limits ("" inside).
type FunnelChild struct {
	Branch string   `json:"branch"`
	Count  uint64   `json:"count"`
	Base   *uint64  `json:"base"`
	Rate   *float64 `json:"rate"`
	Z      *float64 `json:"z"`
	FunnelLimits
	Warning string `json:"warning"`
	Outlier string `json:"outlier"`
}

// FunnelLimits are the control limits at one base (lower limits clamped at 0).
type FunnelLimits struct {
	Base     *float64 `json:"base,omitempty"` // only in Curve
	Lower95  *float64 `json:"lower95"`
	Upper95  *float64 `json:"upper95"`
	Lower998 *float64 `json:"lower998"`
	Upper998 *float64 `json:"upper998"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func limits(l stat.FunnelLimits) FunnelLimits {
	return FunnelLimits{Lower95: finite(l.Lower95), Upper95: finite(l.Upper95), Lower998: finite(l.Lower998), Upper998: finite(l.Upper998)}
}

// Funnel computes the funnel plot of metric (complaint_rate: complaints opened per 10k
// subscribers; churn_rate: churned customers per 100 subscribers) over the known children of
// parent for month m, from the same statistics as the KPI card (resolved subscriber bases).
func (e *Engine) Funnel(ctx context.Context, parent string, m schema.Month, metric string) (FunnelPlot, error) {
	var scale float64
	switch metric {
	case "complaint_rate":
		scale = 10_000
	case "churn_rate":
		scale = 100
	default:
		return FunnelPlot{}, &ParamError{Param: "metric", Msg: fmt.Sprintf("%q: want complaint_rate or churn_rate", metric)}
	}
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		return FunnelPlot{}, err
	}
	if err := checkMonth("month", m); err != nil {
		return FunnelPlot{}, err
	}
	md, err := e.load(ctx, selector{kind: selChildren, id: parent}, []schema.Month{m})
	if err != nil {
		return FunnelPlot{}, err
	}
	kids, err := e.children(ctx, parent, md)
	if err != nil {
		return FunnelPlot{}, err
	}
	pts := make([]stat.FunnelPoint, len(kids))
	counts := make([]uint64, len(kids))
	bases := make([]*uint64, len(kids))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, b := range kids {
		d := md.lookup(m, b)
		counts[i] = d.Complaints.Opened
		if metric == "churn_rate" {
			counts[i] = d.Churn.Churned
		}
		pts[i] = stat.FunnelPoint{ID: b, Count: float64(counts[i])}
		if d.Base != nil && d.Base.Subscribers > 0 {
			n := d.Base.Subscribers
			bases[i] = &n
			pts[i].Base = float64(n)
			lo, hi = math.Min(lo, float64(n)), math.Max(hi, float64(n))
		}
	}
	f := stat.Funnel(pts, scale)
	out := FunnelPlot{Parent: parent, Month: m, Metric: metric, Rate: finite(f.Rate), Phi: finite(f.Phi), Factor: f.Factor,
		Children: make([]FunnelChild, len(kids)), Curve: []FunnelLimits{}}
	for i, p := range f.Points {
		c := FunnelChild{Branch: kids[i], Count: counts[i], Base: bases[i], Warning: p.Warning, Outlier: p.Outlier}
		if bases[i] != nil {
			c.Rate, c.Z, c.FunnelLimits = finite(p.Rate), finite(p.Z), limits(p.FunnelLimits)
		}
		out.Children[i] = c
	}
	if hi >= lo && out.Rate != nil {
		bs := stat.LogBases(lo, hi, funnelCurvePoints)
		if lo == hi {
			bs = []float64{lo}
		}
		for _, l := range stat.LimitCurve(f.Rate, f.Factor, bs, scale) {
			fl := limits(l)
			fl.Base = finite(l.Base)
			out.Curve = append(out.Curve, fl)
		}
	}
	return out, nil
}
