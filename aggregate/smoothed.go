package aggregate

import (
	"context"
	"maps"

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
	parents := make([]string, 0, len(families))
	for p := range families {
		parents = append(parents, p)
	}
	// One estimate per parent, spread over GOMAXPROCS goroutines (company-wide: ~400 parents).
	res := make([]map[string]kpi.SmoothedSurvey, len(parents))
	parallel(len(parents), 16, func(i int) {
		var ps kpi.SurveyStats
		if d := bm[parents[i]]; d != nil {
			ps = d.Survey
		}
		res[i] = kpi.SmoothSurvey(cfg, cat, ps, families[parents[i]])
	})
	out := map[string]kpi.SmoothedSurvey{}
	for _, r := range res {
		maps.Copy(out, r)
	}
	return out
}

// familySelector returns the selector of branch's parent and siblings (the parent's known
// children, and branch itself) for the small-area estimates, survey family only, as a list of
// ids (a point lookup on the projections' sort key); smooth is false above the city level.
func (e *Engine) familySelector(ctx context.Context, branch string) (sel selector, smooth bool, err error) {
	if schema.Level(branch) < smoothLevel {
		return selector{}, false, nil
	}
	parent := schema.Parent(branch)
	known, err := e.knownSet(ctx)
	if err != nil {
		return selector{}, false, err
	}
	list := map[string]bool{parent: true, branch: true}
	for id := range known {
		if schema.Parent(id) == parent {
			list[id] = true
		}
	}
	return selector{kind: selList, id: parent, list: list, surveyOnly: true}, true, nil
}

// smoothOf returns the small-area estimates of branch from bm, one month of its parent and
// siblings (statistics of branch may be absent: it then gets the parent's value).
func smoothOf(cfg kpi.Config, cat schema.Catalog, bm map[string]*kpi.MonthData, branch string) kpi.SmoothedSurvey {
	parent := schema.Parent(branch)
	kids := map[string]kpi.SurveyStats{branch: nil}
	var ps kpi.SurveyStats
	for b, d := range bm {
		switch {
		case b == parent:
			ps = d.Survey
		case schema.Parent(b) == parent:
			kids[b] = d.Survey
		}
	}
	return kpi.SmoothSurvey(cfg, cat, ps, kids)[branch]
}
