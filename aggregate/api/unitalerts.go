package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// UnitAlertReader is optionally implemented by a Reader that evaluates the front-line unit
// alerts (docs/design/frontline.md): the units placed under parent in a month. Without it
// /api/v1/alerts?units=1 answers 404.
type UnitAlertReader interface {
	UnitAlerts(ctx context.Context, parent string, month schema.Month) (aggregate.UnitAlertList, error)
}

var _ UnitAlertReader = (*EngineReader)(nil)

// UnitAlerts returns the engine's front-line unit alerts.
func (r *EngineReader) UnitAlerts(ctx context.Context, parent string, month schema.Month) (aggregate.UnitAlertList, error) {
	return r.eng.UnitAlerts(ctx, parent, month)
}

// unitsParam reads the units parameter of /api/v1/alerts: "1" for the front-line unit alerts,
// absent or "0" for the branch alerts.
func unitsParam(r *http.Request) (bool, error) {
	v, err := query(r, "units")
	if err != nil {
		return false, err
	}
	switch v {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, badParam("units", "units %s: want 1 (front-line unit alerts) or 0", echo(v))
}

// unitAlerts serves /api/v1/alerts?units=1 for branch b (already in the caller's scope: every
// unit listed is placed under b in month m) and month m. as_of is refused: the front line is
// read at its committed versions.
func (s *Server) unitAlerts(r *http.Request, b string, m schema.Month) (any, error) {
	if v, err := query(r, "as_of"); err != nil || v != "" {
		if err == nil {
			err = badParam("as_of", "as_of is not available with units=1")
		}
		return nil, err
	}
	ur, ok := s.reader.(UnitAlertReader)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "front-line unit alerts are not supported by this server"}
	}
	al, err := ur.UnitAlerts(r.Context(), b, m)
	if err != nil {
		return nil, err
	}
	// A store scope reads the alerts of its store and its staff, placed at its branch.
	if p := principalOf(r.Context()); p.store() != "" {
		al.Alerts = slices.DeleteFunc(al.Alerts, func(a kpi.UnitAlert) bool {
			mine := a.Kind == kpi.UnitStore && a.Unit == p.store() || a.Kind == kpi.UnitStaff && a.Store == p.store()
			return !mine || a.Branch != p.scope.Branch
		})
	}
	return al, nil
}
