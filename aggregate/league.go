package aggregate

import (
	"context"
	"fmt"
	"sort"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// League is a period league table of branches (排名): the branches of one level under a parent
// ranked by their scorecard total over an assessment period, or by one component's points.
type League struct {
	Parent string `json:"parent"`
	Level  int    `json:"level"` // 1 provinces, 2 cities, 3 counties, 4 the level below
	Period string `json:"period"`
	// By is "total" or the metric of the component the table is ranked by.
	By       string         `json:"by"`
	Max      float64        `json:"max"` // the most points the ranking quantity can reach
	Branches []LeagueBranch `json:"branches"`
}

// LeagueBranch is one branch of a League: its rank (1 = most points; ties share the smaller
// branch id first), the points it is ranked by, and its whole scorecard.
type LeagueBranch struct {
	Rank   int     `json:"rank"`
	Branch string  `json:"branch"`
	Points float64 `json:"points"`
	// Missing lists the components with a missing month (they scored 0 there).
	Missing   []string            `json:"missing"`
	Scorecard kpi.ScorecardResult `json:"scorecard"`
}

// Levels names the branch levels a league table accepts.
var Levels = map[string]int{"province": 1, "city": 2, "county": 3}

// League ranks the known branches at level under parent (its descendants at that level) by
// their scorecard over period: by the total, or by the points of the component whose metric is
// by ("" or "total": the total).
func (e *Engine) League(ctx context.Context, parent string, level int, period, by string) (League, error) {
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		return League{}, err
	}
	if pl := schema.Level(parent); level <= pl || level > 4 {
		return League{}, &ParamError{Param: "level", Msg: fmt.Sprintf("%d: want a level below %s (level %d) and at most 4", level, parent, pl)}
	}
	if e.sc == nil {
		return League{}, errNoScorecard
	}
	comp := -1
	if by == "" {
		by = "total"
	}
	if by != "total" {
		for i, c := range e.sc.Components {
			if c.Metric.String() == by {
				comp = i
			}
		}
		if comp < 0 {
			return League{}, &ParamError{Param: "metric", Msg: fmt.Sprintf("%q is not a component of the scorecard (rank by total or by one of its components)", by)}
		}
	}
	rs, err := e.scorecards(ctx, selector{kind: selSubtree, id: parent}, period, level)
	if err != nil {
		return League{}, err
	}
	l := League{Parent: parent, Level: level, Period: period, By: by, Branches: make([]LeagueBranch, 0, len(rs))}
	for _, c := range e.sc.Components {
		if comp < 0 || c.Metric.String() == by {
			l.Max += c.Points
		}
	}
	for _, r := range rs {
		lb := LeagueBranch{Branch: r.Branch, Points: r.Total, Missing: []string{}, Scorecard: r}
		if comp >= 0 {
			lb.Points = r.Components[comp].Points
		}
		for _, c := range r.Components {
			if c.Missing {
				lb.Missing = append(lb.Missing, c.Metric)
			}
		}
		l.Branches = append(l.Branches, lb)
	}
	sort.SliceStable(l.Branches, func(i, j int) bool {
		a, b := l.Branches[i], l.Branches[j]
		if a.Points != b.Points {
			return a.Points > b.Points
		}
		return a.Branch < b.Branch
	})
	for i := range l.Branches {
		l.Branches[i].Rank = i + 1
	}
	return l, nil
}

// descendantsAt lists the known branches at level in parent's subtree together with any such
// branch present in md, sorted.
func (e *Engine) descendantsAt(ctx context.Context, parent string, level int, md monthData) ([]string, error) {
	known, err := e.knownSet(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	add := func(id string) {
		if schema.Level(id) == level && schema.InSubtree(id, parent) {
			set[id] = true
		}
	}
	for id := range known {
		add(id)
	}
	for _, bm := range md {
		for id := range bm {
			add(id)
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}
