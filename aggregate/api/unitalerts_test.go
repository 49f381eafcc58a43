package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

var _ api.UnitAlertReader = (*fakeReader)(nil)

// UnitAlerts is a fixture: a store of GD-GZ whose city inspection fell 90 → 70 over three months
// (kpi.UnitStreaks on its cards), listed when parent is ALL, GD or GD-GZ.
func (f *fakeReader) UnitAlerts(_ context.Context, parent string, m schema.Month) (aggregate.UnitAlertList, error) {
	f.record("unitalerts " + parent)
	if err := f.known("branch", parent); err != nil {
		return aggregate.UnitAlertList{}, err
	}
	out := aggregate.UnitAlertList{Month: m, Parent: parent, Alerts: []kpi.UnitAlert{}}
	if schema.InSubtree("GD-GZ", parent) {
		var cards []kpi.UnitCard
		for i, v := range []float64{90, 85, 80, 70} {
			cards = append(cards, kpi.ComputeUnitCard(kpi.UnitStats{Kind: kpi.UnitStore, ID: "GD-GZ-S01", Branch: "GD-GZ",
				InspCityN: 1, InspCitySum: v}, m.Add(i-3).String(), 30))
		}
		out.Alerts = append(out.Alerts, kpi.UnitStreaks(kpi.DefaultConfig(), m.Add(-3), cards)...)
	}
	return out, nil
}

// TestUnitAlertsEndpoint: /api/v1/alerts?units=1 answers the reader's unit alerts, matching the
// OpenAPI document; units other than 0 and 1, as_of with units=1 and csv are 400s; a token sees
// only the units of its scope.
func TestUnitAlertsEndpoint(t *testing.T) {
	ts, fr, tok := newServer(t, map[string]string{"gd": "GD", "sz": "GD-SZ"})
	v := loadOpenAPI(t, ts)
	for _, tt := range []struct {
		path, token string
		status      int
		param       string
		alerts      int
	}{
		{"/api/v1/alerts?month=2026-10&units=1", "gd", 403, "", 0}, // ALL is outside GD
		{"/api/v1/alerts?month=2026-10&units=1&branch=GD", "gd", 200, "", 1},
		{"/api/v1/alerts?month=2026-10&units=1&branch=GD-SZ", "sz", 200, "", 0},
		{"/api/v1/alerts?month=2026-10&units=1&branch=GD-GZ", "sz", 403, "", 0},
		{"/api/v1/alerts?month=2026-10&units=0&branch=GD", "gd", 200, "", -1},
		{"/api/v1/alerts?month=2026-10&units=yes&branch=GD", "gd", 400, "units", 0},
		{"/api/v1/alerts?month=2026-10&units=1&branch=GD&as_of=2026-11-05T08:00:00%2B08:00", "gd", 400, "as_of", 0},
		{"/api/v1/alerts?month=2026-10&units=1&branch=GD&format=csv", "gd", 400, "format", 0},
	} {
		resp, body := get(t, ts, tt.path, tok[tt.token])
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s (%s): status %d, want %d: %s", tt.path, tt.token, resp.StatusCode, tt.status, body)
			continue
		}
		v.check(t, ts, tt.path, tt.status == http.StatusOK, resp, body)
		switch {
		case tt.status == 400:
			var e struct{ Error, Param string }
			if err := json.Unmarshal(body, &e); err != nil || e.Param != tt.param {
				t.Errorf("GET %s: error %s, want param %q", tt.path, body, tt.param)
			}
		case tt.status == 200 && tt.alerts >= 0:
			var res aggregate.UnitAlertList
			if err := json.Unmarshal(body, &res); err != nil || len(res.Alerts) != tt.alerts {
				t.Errorf("GET %s: %s, want %d unit alerts", tt.path, body, tt.alerts)
			}
			if tt.alerts > 0 && (res.Alerts[0].Rule != kpi.RuleUnitStreak || res.Alerts[0].Unit != "GD-GZ-S01" || res.Alerts[0].Change != -20) {
				t.Errorf("GET %s: %+v", tt.path, res.Alerts[0])
			}
		}
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for _, c := range fr.calls {
		if c == "unitalerts ALL" || c == "unitalerts GD-GZ" {
			t.Errorf("the reader was asked %q outside the token's scope", c)
		}
	}
}
