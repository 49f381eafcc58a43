package api

import (
	"context"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// EngineReader serves an *aggregate.Engine as a Reader (with CardLister, AsOfReader,
// FunnelReader, LeagueReader and UnitReader): the engine's results as they are, branch names added to the hierarchy, the
// gauges' cards from the engine's Warmer.
type EngineReader struct {
	eng   *aggregate.Engine
	warm  *aggregate.Warmer
	names map[string]string
}

var (
	_ Reader       = (*EngineReader)(nil)
	_ CardLister   = (*EngineReader)(nil)
	_ AsOfReader   = (*EngineReader)(nil)
	_ FunnelReader = (*EngineReader)(nil)
	_ LeagueReader = (*EngineReader)(nil)
	_ UnitReader   = (*EngineReader)(nil)
)

// NewEngineReader returns the Reader of e. w gives the cards of the KPI gauges (nil: a Warmer
// of e's own, which is never Run: it only computes the sets the gauges ask for). names maps
// branch ids to display names (nil: none).
func NewEngineReader(e *aggregate.Engine, w *aggregate.Warmer, names map[string]string) *EngineReader {
	if w == nil {
		w = aggregate.NewWarmer(e, aggregate.WarmConfig{}, nil)
	}
	return &EngineReader{eng: e, warm: w, names: names}
}

// Card returns the engine's card.
func (r *EngineReader) Card(ctx context.Context, branch string, month schema.Month) (kpi.Card, error) {
	return r.eng.Card(ctx, branch, month)
}

// Trend returns the engine's trend.
func (r *EngineReader) Trend(ctx context.Context, branch, metric string, from, to schema.Month) (aggregate.Trend, error) {
	return r.eng.Trend(ctx, branch, metric, from, to)
}

// Compare returns the engine's comparison.
func (r *EngineReader) Compare(ctx context.Context, parent string, month schema.Month, metric string) (aggregate.Comparison, error) {
	return r.eng.Compare(ctx, parent, month, metric)
}

// Alerts returns the engine's alerts.
func (r *EngineReader) Alerts(ctx context.Context, branch string, month schema.Month) (aggregate.AlertList, error) {
	return r.eng.Alerts(ctx, branch, month)
}

// Scorecard returns the engine's scorecard.
func (r *EngineReader) Scorecard(ctx context.Context, branch, period string) (kpi.ScorecardResult, error) {
	return r.eng.Scorecard(ctx, branch, period)
}

// Funnel returns the engine's funnel plot.
func (r *EngineReader) Funnel(ctx context.Context, parent string, month schema.Month, metric string) (aggregate.FunnelPlot, error) {
	return r.eng.Funnel(ctx, parent, month, metric)
}

// League returns the engine's league table.
func (r *EngineReader) League(ctx context.Context, parent string, level int, period, by string) (aggregate.League, error) {
	return r.eng.League(ctx, parent, level, period, by)
}

// UnitLeague returns the engine's league table of front-line units.
func (r *EngineReader) UnitLeague(ctx context.Context, kind, parent, period, metric string) (aggregate.UnitLeague, error) {
	return r.eng.UnitLeague(ctx, kind, parent, period, metric)
}

// UnitCard returns the engine's card of a front-line unit.
func (r *EngineReader) UnitCard(ctx context.Context, kind, id, period string) (kpi.UnitCard, error) {
	return r.eng.UnitCard(ctx, kind, id, period)
}

// UnitTrend returns the engine's 12 monthly cards of a front-line unit.
func (r *EngineReader) UnitTrend(ctx context.Context, kind, id, period string) ([]kpi.UnitCard, error) {
	return r.eng.UnitTrend(ctx, kind, id, period)
}

// Branches returns the engine's hierarchy with the branches' names.
func (r *EngineReader) Branches(ctx context.Context) ([]Branch, error) {
	bs, err := r.eng.Branches(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Branch, len(bs))
	for i, b := range bs {
		out[i] = Branch{ID: b.ID, Name: r.names[b.ID], Parent: b.Parent, Level: b.Level}
	}
	return out, nil
}

// AsOf returns the reader of the events ingested up to t (the API's as_of). It refuses a t
// before aggregate.EarliestAsOf (the zero time included, which would otherwise mean "now");
// the engine refuses a t before the first ingested event when it reads.
func (r *EngineReader) AsOf(_ context.Context, t time.Time) (Reader, error) {
	if err := aggregate.CheckAsOf(t); err != nil {
		return nil, err
	}
	v := *r
	v.eng = r.eng.AsOf(t)
	return &v, nil
}

// Cards returns the cards of every branch down to maxLevel for month m, from the Warmer's set
// of m (computed in one pass when missing or out of date).
func (r *EngineReader) Cards(ctx context.Context, m schema.Month, maxLevel int) (map[string]kpi.Card, error) {
	all, err := r.warm.Cards(ctx, m)
	if err != nil {
		return nil, err
	}
	out := make(map[string]kpi.Card, len(all))
	for b, c := range all {
		if schema.Level(b) <= maxLevel {
			out[b] = c
		}
	}
	return out, nil
}
