package aggregate

import (
	"context"
	"fmt"

	"github.com/csat-dev/csat/schema"
)

// LevelRanking is a metric over every branch of one level of the hierarchy for one month
// (e.g. every city of the company), ranked as Compare ranks children.
type LevelRanking struct {
	Level    int          `json:"level"`
	Month    schema.Month `json:"month"`
	Metric   string       `json:"metric"`
	Branches []Ranked     `json:"branches"`
}

// RankLevel ranks every branch at level (1 provinces, 2 cities, 3 counties, 4 below) with
// data in month m by metric, company-wide, with Compare's order and change: 1 = best, the
// reportable values first. It reads the whole company's m−2 … m, like company-wide alerts.
func (e *Engine) RankLevel(ctx context.Context, level int, m schema.Month, metric string) (LevelRanking, error) {
	met, err := e.metric(metric)
	if err != nil {
		return LevelRanking{}, err
	}
	if level < 1 || level > 4 {
		return LevelRanking{}, &ParamError{Param: "level", Msg: fmt.Sprintf("%d is not a level below ALL (1 provinces to 4)", level)}
	}
	if err := checkMonth("month", m); err != nil {
		return LevelRanking{}, err
	}
	md, err := e.load(ctx, selector{kind: selSubtree, id: schema.Root}, []schema.Month{m.Add(-2), m.Prev(), m})
	if err != nil {
		return LevelRanking{}, err
	}
	out := LevelRanking{Level: level, Month: m, Metric: met.String(), Branches: []Ranked{}}
	for b := range md[m] {
		if schema.Level(b) != level {
			continue
		}
		out.Branches = append(out.Branches, e.ranked(md, b, m, met))
	}
	rank(out.Branches, lowerIsBetter(met.Kind))
	return out, nil
}
