package api

import (
	"context"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// Reader is what the HTTP read side needs from the KPI engine: the engine's own operations and
// types (EngineReader serves an *aggregate.Engine through it). Every method computes over the
// branch's whole subtree, and its result is encoded as it is: its JSON is SPEC §4's.
//
// A method returns an *aggregate.ParamError (which may wrap aggregate.ErrUnknownBranch) for a
// request the caller got wrong: the server answers it 400 naming the parameter. An error for
// which aggregate.Unavailable is true (ClickHouse unreachable, stalled or timing out) is
// answered 503 with Retry-After; anything else 500.
type Reader interface {
	Card(ctx context.Context, branch string, month schema.Month) (kpi.Card, error)
	Trend(ctx context.Context, branch, metric string, from, to schema.Month) (aggregate.Trend, error)
	Compare(ctx context.Context, parent string, month schema.Month, metric string) (aggregate.Comparison, error)
	Alerts(ctx context.Context, branch string, month schema.Month) (aggregate.AlertList, error)
	Scorecard(ctx context.Context, branch, period string) (kpi.ScorecardResult, error)
	Branches(ctx context.Context) ([]Branch, error)
}

// CardLister is optionally implemented by a Reader that computes the cards of many branches
// in one pass (the engine can load every branch's statistics for a month in one query). The KPI
// gauges then use it instead of one Card call per branch: with the default
// CSAT_METRICS_BRANCH_LEVEL that is one call instead of about 400.
type CardLister interface {
	// Cards returns the cards of month m of the branches at levels ≤ maxLevel, by branch id;
	// a branch without data in m may be absent.
	Cards(ctx context.Context, m schema.Month, maxLevel int) (map[string]kpi.Card, error)
}

// AsOfReader is optionally implemented by a Reader that can answer as of a past moment
// (extension, docs/extensions.md): AsOf returns a Reader whose Card, Alerts and Scorecard use
// only the events ingested up to t, or an *aggregate.ParamError for a t it refuses. Without it
// the server answers as_of with 400.
type AsOfReader interface {
	AsOf(ctx context.Context, t time.Time) (Reader, error)
}

// FunnelReader is optionally implemented by a Reader that computes funnel plots (extension,
// docs/extensions.md): the children of parent by complaint_rate or churn_rate with control
// limits. Without it /api/v1/funnel answers 404.
type FunnelReader interface {
	Funnel(ctx context.Context, parent string, month schema.Month, metric string) (aggregate.FunnelPlot, error)
}

// Branch is one known branch of the hierarchy. Name is empty where no name is known.
type Branch struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Parent string `json:"parent"` // "" for ALL
	Level  int    `json:"level"`  // 0 ALL, 1 province, 2 city, 3 county, 4 below
}
