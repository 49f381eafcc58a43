package aggregate

import (
	"context"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// smoothLevel is the shallowest level with small-area estimates: cities (2) and counties.
// Provinces are not smoothed: their samples are large, and their siblings (the other
// provinces) are too few and too different to borrow from.
const smoothLevel = 2

// smoothAll computes the small-area estimates of every city and county of bm (one month of a
// subtree that holds every branch's parent and siblings, e.g. the whole company), one
// kpi.SmoothSurvey per parent.
func smoothAll(cfg kpi.Config, cat schema.Catalog, bm map[string]*kpi.MonthData) map[string]kpi.SmoothedSurvey {
	families := map[string]map[string]kpi.SurveyStats{}
	for b, d := range bm {
		if schema.Level(b) < smoothLevel {
			continue
		}
		p := schema.Parent(b)
		if families[p] == nil {
			families[p] = map[string]kpi.SurveyStats{}
		}
		families[p][b] = d.Survey
	}
	out := map[string]kpi.SmoothedSurvey{}
	for p, kids := range families {
		var ps kpi.SurveyStats
		if d := bm[p]; d != nil {
			ps = d.Survey
		}
		for b, sm := range kpi.SmoothSurvey(cfg, cat, ps, kids) {
			out[b] = sm
		}
	}
	return out
}

// smoothed returns the small-area estimates of branch (a city or county) for month m, from its
// parent and the parent's children (survey statistics only); nil above the city level.
func (e *Engine) smoothed(ctx context.Context, branch string, m schema.Month) (kpi.SmoothedSurvey, error) {
	if schema.Level(branch) < smoothLevel {
		return nil, nil
	}
	parent := schema.Parent(branch)
	md, err := e.load(ctx, selector{kind: selFamily, id: parent, surveyOnly: true}, []schema.Month{m})
	if err != nil {
		return nil, err
	}
	kids := map[string]kpi.SurveyStats{branch: nil}
	var ps kpi.SurveyStats
	for b, d := range md[m] {
		if b == parent {
			ps = d.Survey
		} else {
			kids[b] = d.Survey
		}
	}
	return kpi.SmoothSurvey(e.cfg, e.cat, ps, kids)[branch], nil
}
