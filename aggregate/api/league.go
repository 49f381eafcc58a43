package api

import (
	"context"
	"net/http"

	"github.com/csat-dev/csat/aggregate"
)

// LeagueReader is optionally implemented by a Reader that ranks branches by their scorecard
// over a period (排名): the branches at level under parent, by total or by one component's
// points. Without it /api/v1/rank answers 404.
type LeagueReader interface {
	League(ctx context.Context, parent string, level int, period, by string) (aggregate.League, error)
}

// levelNames are the accepted level parameter values.
var levelNames = map[string]int{"province": 1, "city": 2, "county": 3, "1": 1, "2": 2, "3": 3, "4": 4}

// rank serves a league table: of front-line units with unit= (unitRank), else of branches:
// parent (default ALL, in the token's scope), level (province, city, county or 1–4), period,
// and metric (optional: a component of the scorecard; default the total). unit and level are
// exclusive.
func (s *Server) rank(r *http.Request) (any, error) {
	unit, err := query(r, "unit")
	if err != nil {
		return nil, err
	}
	lv, err := query(r, "level")
	if err != nil {
		return nil, err
	}
	switch {
	case unit != "" && lv != "":
		return nil, badParam("unit", "unit and level are exclusive: unit ranks stores, staff, agents or managers, level ranks branches")
	case unit != "":
		return s.unitRank(r)
	case lv == "":
		return nil, badParam("level", "level or unit is required (level: province, city, county or 1–4; unit: store, staff, agent or manager)")
	}
	if p := principalOf(r.Context()); p.store() != "" {
		return nil, errStoreScope(p, "rankings of branches")
	}
	lr, ok := s.reader.(LeagueReader)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "league tables are not supported by this server"}
	}
	p, err := branchParam(r, "parent", "ALL")
	if err != nil {
		return nil, err
	}
	level, ok := levelNames[lv]
	if !ok {
		return nil, badParam("level", "level %s: want province, city, county or 1–4", echo(lv))
	}
	period, err := required(r, "period")
	if err != nil {
		return nil, err
	}
	if !periodRE.MatchString(period) {
		return nil, badParam("period", "period %s: want YYYY-MM, YYYY-Qn, YYYY-H1, YYYY or a configured period name", echo(period))
	}
	by, err := query(r, "metric")
	if err != nil {
		return nil, err
	}
	if len(by) > 64 {
		return nil, badParam("metric", "metric: at most 64 characters")
	}
	return lr.League(r.Context(), p, level, period, by)
}
