package api

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// UnitReader is optionally implemented by a Reader that reads the front line (SPEC §5.2):
// league tables of stores, staff, agents and managers, one unit's card and its 12-month trend.
// Without it /api/v1/unit and /api/v1/rank?unit= answer 404.
type UnitReader interface {
	UnitLeague(ctx context.Context, kind, parent, period, metric string) (aggregate.UnitLeague, error)
	UnitCard(ctx context.Context, kind, id, period string) (kpi.UnitCard, error)
	// UnitTrend returns the unit's card of each of the 12 months ending at period's last month.
	UnitTrend(ctx context.Context, kind, id, period string) ([]kpi.UnitCard, error)
}

// UnitView is the JSON of /api/v1/unit: a unit's card for the period, its scheme score (null
// while no scheme scores the unit), and its cards of the 12 months ending at the period's last
// month (a month outside the token's scope is null: the unit belonged elsewhere then).
type UnitView struct {
	Card  kpi.UnitCard    `json:"card"`
	Score *struct{}       `json:"score"`
	Trend []*kpi.UnitCard `json:"trend"`
}

var unitMetricRE = regexp.MustCompile(`^[a-z0-9_.]{1,40}$`)

// unitKindParam reads the unit kind named by param.
func unitKindParam(r *http.Request, param string) (string, error) {
	kind, err := required(r, param)
	if err != nil {
		return "", err
	}
	if !slices.Contains(kpi.UnitKinds(), kind) {
		return "", badParam(param, "%s %s: want store, staff, agent or manager", param, echo(kind))
	}
	return kind, nil
}

// unitPeriodParam reads period (YYYY-MM, YYYY-Qn, YYYY-H1/H2, YYYY) and refuses as_of, which
// the front-line reads do not support.
func unitPeriodParam(r *http.Request) (string, error) {
	if v, err := query(r, "as_of"); err != nil || v != "" {
		if err != nil {
			return "", err
		}
		return "", badParam("as_of", "as_of is not supported by the front-line endpoints")
	}
	period, err := required(r, "period")
	if err != nil {
		return "", err
	}
	if !periodRE.MatchString(period) {
		return "", badParam("period", "period %s: want YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2 or YYYY", echo(period))
	}
	return period, nil
}

// errStoreScope is the 403 of a store-scoped token asking for other units than its store's.
func errStoreScope(p principal, what string) error {
	return &httpError{status: http.StatusForbidden,
		msg: "a token scoped to a store (" + p.scope.String() + ") reads its branch's own aggregates, the store's card and its staff; not " + what}
}

// unitRank serves the league table of front-line units: unit (kind), parent (ALL, a branch id,
// or store:<id> for staff; default ALL), period, metric (optional).
func (s *Server) unitRank(r *http.Request) (any, error) {
	ur, ok := s.reader.(UnitReader)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "front-line league tables are not supported by this server"}
	}
	kind, err := unitKindParam(r, "unit")
	if err != nil {
		return nil, err
	}
	period, err := unitPeriodParam(r)
	if err != nil {
		return nil, err
	}
	metric, err := query(r, "metric")
	if err != nil {
		return nil, err
	}
	if metric != "" && !unitMetricRE.MatchString(metric) {
		return nil, badParam("metric", "metric %s: want a front-line metric such as satisfaction, avg_wait or inspection.city", echo(metric))
	}
	parent, err := query(r, "parent")
	if err != nil {
		return nil, err
	}
	p := principalOf(r.Context())
	store, isStore := strings.CutPrefix(parent, aggregate.StoreParent)
	switch {
	case isStore:
		if !schema.ValidUnitID(store) {
			return nil, badParam("parent", "parent %s: want store:<id> with an id of [A-Za-z0-9_.:-]{1,64}", echo(parent))
		}
		if kind != kpi.UnitStaff {
			return nil, badParam("parent", "parent %s: only staff have a store as parent", echo(parent))
		}
		if p.store() != "" && store != p.store() {
			return nil, errStoreScope(p, "another store's staff")
		}
		if !p.all() {
			sc, err := ur.UnitCard(r.Context(), kpi.UnitStore, store, period)
			if err != nil {
				return nil, err
			}
			if !p.mayPlaced(sc.Branch) {
				return nil, &httpError{status: http.StatusForbidden, param: "parent",
					msg: "store " + store + " belongs to " + placement(sc.Branch) + " in " + period + ", outside this token's scope (" + p.scope.String() + ")"}
			}
		}
	case p.store() != "":
		return nil, errStoreScope(p, "rankings of stores, agents, managers or the staff of a branch")
	default:
		if parent, err = branchParam(r, "parent", schema.Root); err != nil {
			return nil, err
		}
	}
	return ur.UnitLeague(r.Context(), kind, parent, period, metric)
}

func placement(branch string) string {
	if branch == "" {
		return "no branch"
	}
	return branch
}

// mayPlaced reports whether p may read a unit placed at branch ("" = unplaced: only a token
// scoped to ALL).
func (p principal) mayPlaced(branch string) bool {
	return p.all() || branch != "" && p.may(branch)
}

// unitAccess decides whether the request's principal may read cards of units: a token scoped to
// ALL reads every one; a branch token the units placed in its subtree, and staff whose store is
// placed there; a store token its store and its staff, in the periods in which the store is
// placed at its branch (SPEC §5.5). It caches the stores' placements it reads.
type unitAccess struct {
	ur     UnitReader
	p      principal
	stores map[[2]string]string // (store, period) → placement
}

func (a *unitAccess) storeBranch(ctx context.Context, store, period string) (string, error) {
	k := [2]string{store, period}
	if b, ok := a.stores[k]; ok {
		return b, nil
	}
	c, err := a.ur.UnitCard(ctx, kpi.UnitStore, store, period)
	if err != nil {
		return "", err
	}
	a.stores[k] = c.Branch
	return c.Branch, nil
}

// may reports whether the principal may read c (a card of the period c.Period).
func (a *unitAccess) may(ctx context.Context, c kpi.UnitCard) (bool, error) {
	if a.p.all() {
		return true, nil
	}
	switch c.Kind {
	case kpi.UnitStore:
		if a.p.store() != "" && c.Unit != a.p.store() {
			return false, nil
		}
		return a.p.mayPlaced(c.Branch), nil
	case kpi.UnitStaff:
		if c.Store == "" || a.p.store() != "" && c.Store != a.p.store() {
			return false, nil
		}
		b, err := a.storeBranch(ctx, c.Store, c.Period)
		return a.p.mayPlaced(b), err
	default:
		return a.p.store() == "" && a.p.mayPlaced(c.Branch), nil
	}
}

// unit serves one unit's card, score and trend: kind, id, period.
func (s *Server) unit(r *http.Request) (any, error) {
	ur, ok := s.reader.(UnitReader)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "front-line unit cards are not supported by this server"}
	}
	kind, err := unitKindParam(r, "kind")
	if err != nil {
		return nil, err
	}
	id, err := required(r, "id")
	if err != nil {
		return nil, err
	}
	if !schema.ValidUnitID(id) {
		return nil, badParam("id", "id %s: want [A-Za-z0-9_.:-]{1,64}", echo(id))
	}
	period, err := unitPeriodParam(r)
	if err != nil {
		return nil, err
	}
	p := principalOf(r.Context())
	switch {
	case p.store() != "" && kind != kpi.UnitStore && kind != kpi.UnitStaff:
		return nil, errStoreScope(p, "agents or managers")
	case p.store() != "" && kind == kpi.UnitStore && id != p.store():
		return nil, errStoreScope(p, "another store")
	}
	ctx := r.Context()
	acc := &unitAccess{ur: ur, p: p, stores: map[[2]string]string{}}
	card, err := ur.UnitCard(ctx, kind, id, period)
	if err != nil {
		return nil, err
	}
	if ok, err := acc.may(ctx, card); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, &httpError{status: http.StatusForbidden, param: "id",
			msg: kind + " " + id + " in " + period + " is outside this token's scope (" + p.scope.String() + ")"}
	}
	trend, err := ur.UnitTrend(ctx, kind, id, period)
	if err != nil {
		return nil, err
	}
	v := UnitView{Card: card, Trend: make([]*kpi.UnitCard, len(trend))}
	for i := range trend {
		ok, err := acc.may(ctx, trend[i])
		if err != nil {
			return nil, err
		}
		if ok {
			v.Trend[i] = &trend[i]
		}
	}
	return v, nil
}
