package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

var _ api.UnitReader = (*fakeReader)(nil)

// fakeUnits are the fixture's front-line units: kind, id, branch, store (staff). Store S123
// belongs to GD-SZ, except in 2026-09, when it belonged to GD-GZ (fakePlacement); its staff
// member X1 follows it.
var fakeUnits = []struct{ kind, id, branch, store string }{
	{kpi.UnitStore, "S123", "GD-SZ", ""},
	{kpi.UnitStore, "S124", "GD-SZ", ""},
	{kpi.UnitStore, "S9", "GD-GZ-TH", ""},
	{kpi.UnitStaff, "X1", "GD-SZ", "S123"},
	{kpi.UnitStaff, "X2", "GD-SZ", "S124"},
	{kpi.UnitStaff, "X9", "GD-GZ-TH", "S9"},
	{kpi.UnitAgent, "A1", "GD-SZ", ""},
	{kpi.UnitManager, "M1", "GD-SZ", ""},
}

func fakePlacement(kind, id, period string) (branch, store string) {
	for _, u := range fakeUnits {
		if u.kind == kind && u.id == id {
			branch, store = u.branch, u.store
			if period == "2026-09" && (id == "S123" || store == "S123") {
				branch = "GD-GZ"
			}
			return branch, store
		}
	}
	return "", ""
}

func (f *fakeReader) UnitCard(_ context.Context, kind, id, period string) (kpi.UnitCard, error) {
	f.record("UnitCard " + kind + " " + id + " " + period)
	if _, err := schema.ParseMonth(period); err != nil {
		return kpi.UnitCard{}, &aggregate.ParamError{Param: "period", Msg: fmt.Sprintf("%q: the fixture has months only", period)}
	}
	b, st := fakePlacement(kind, id, period)
	u := kpi.UnitStats{Kind: kind, ID: id, Branch: b, Store: st}
	if b != "" {
		u.N = 100
		u.Satisfied = uint64(80 + 10*jitter(id, period))
		u.Dissatisfied = 5
		u.WaitSum = 3000
	}
	return kpi.ComputeUnitCard(u, period, 30), nil
}

func (f *fakeReader) UnitTrend(ctx context.Context, kind, id, period string) ([]kpi.UnitCard, error) {
	m, err := schema.ParseMonth(period)
	if err != nil {
		return nil, &aggregate.ParamError{Param: "period", Msg: fmt.Sprintf("%q: the fixture has months only", period)}
	}
	var out []kpi.UnitCard
	for _, mm := range schema.Months(m.Add(-11), m) {
		c, _ := f.UnitCard(ctx, kind, id, mm.String())
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeReader) UnitLeague(ctx context.Context, kind, parent, period, metric string) (aggregate.UnitLeague, error) {
	f.record("UnitLeague " + kind + " " + parent)
	if metric == "" {
		metric = "satisfaction"
	}
	if metric != "satisfaction" {
		return aggregate.UnitLeague{}, &aggregate.ParamError{Param: "metric", Msg: fmt.Sprintf("%q: the fixture ranks by satisfaction", metric)}
	}
	l := aggregate.UnitLeague{Unit: kind, Parent: parent, Period: period, Metric: metric, Units: []aggregate.UnitLeagueRow{}}
	for _, u := range fakeUnits {
		if u.kind != kind {
			continue
		}
		c, err := f.UnitCard(ctx, kind, u.id, period)
		if err != nil {
			return aggregate.UnitLeague{}, err
		}
		store, isStore := strings.CutPrefix(parent, aggregate.StoreParent)
		if isStore && c.Store != store || !isStore && (c.Branch == "" || !schema.InSubtree(c.Branch, parent)) {
			continue
		}
		rank := len(l.Units) + 1
		l.Units = append(l.Units, aggregate.UnitLeagueRow{Rank: &rank, Unit: c.Unit, Branch: c.Branch, Store: c.Store,
			Value: c.Satisfaction.Value, MOE95: c.Satisfaction.MOE95, N: c.Satisfaction.N, Reportable: c.Satisfaction.Reportable,
			RankedBy: aggregate.RankedByValue, Card: c})
	}
	return l, nil
}

// storeRoutes are the requests of a token scoped to GD-SZ/store:S123 and the status each must
// get (SPEC §5.5), by route: every route of api.APIPaths needs an entry.
var storeRoutes = map[string][]struct {
	query  string
	status int
}{
	"/api/v1/kpi": {
		{"branch=GD-SZ&month=2026-10", 200}, // its branch's own card
		{"branch=GD&month=2026-10", 403},
		{"branch=ALL&month=2026-10", 403},
		{"branch=GD-GZ&month=2026-10", 403},
	},
	"/api/v1/trend": {
		{"branch=GD-SZ&metric=csi&from=2026-01&to=2026-10", 200},
		{"branch=GD&metric=csi&from=2026-01&to=2026-10", 403},
	},
	"/api/v1/compare": {
		{"parent=GD-SZ&month=2026-10&metric=csi", 403}, // comparisons of other units
		{"parent=GD&month=2026-10&metric=csi", 403},
	},
	"/api/v1/alerts": {
		{"branch=GD-SZ&month=2026-10", 200},
		{"month=2026-10", 403}, // ALL by default
	},
	"/api/v1/scorecard": {
		{"branch=GD-SZ&period=2026-Q3", 200},
		{"branch=GD&period=2026-Q3", 403},
	},
	"/api/v1/metrics":  {{"", 200}},
	"/api/v1/branches": {{"", 200}},
	"/api/v1/funnel": {
		{"parent=GD-SZ&month=2026-10", 403},
	},
	"/api/v1/rank": {
		{"unit=staff&parent=store:S123&period=2026-10", 200}, // its staff
		{"unit=staff&parent=store:S123&period=2026-09", 403}, // S123 belonged to GD-GZ then
		{"unit=staff&parent=store:S124&period=2026-10", 403}, // another store's staff
		{"unit=store&parent=GD-SZ&period=2026-10", 403},      // rankings of other units
		{"unit=staff&parent=GD-SZ&period=2026-10", 403},
		{"unit=agent&parent=GD-SZ&period=2026-10", 403},
		{"unit=manager&period=2026-10", 403},
		{"level=city&parent=GD&period=2026-Q3", 403},
		{"level=county&parent=GD-SZ&period=2026-Q3", 403},
	},
	"/api/v1/unit": {
		{"kind=store&id=S123&period=2026-10", 200},
		{"kind=store&id=S123&period=2026-09", 403},
		{"kind=staff&id=X1&period=2026-10", 200},
		{"kind=staff&id=X1&period=2026-09", 403},
		{"kind=store&id=S124&period=2026-10", 403},
		{"kind=staff&id=X2&period=2026-10", 403},
		{"kind=staff&id=X9&period=2026-10", 403},
		{"kind=staff&id=NOBODY&period=2026-10", 403}, // no store: nobody's staff
		{"kind=agent&id=A1&period=2026-10", 403},
		{"kind=manager&id=M1&period=2026-10", 403},
	},
}

// TestStoreTokenEveryRoute asks every data endpoint as a token scoped to one store
// (GD-SZ/store:S123, SPEC §5.5), from a table with an entry for each route, so that a route
// added without a decision for store tokens fails here. Every answer is JSON and matches the
// OpenAPI document; a 403 never reaches the reader's data.
func TestStoreTokenEveryRoute(t *testing.T) {
	ts, fr, tok := newServer(t, map[string]string{"store": "GD-SZ/store:S123"})
	v := loadOpenAPI(t, ts)
	for _, path := range api.APIPaths() {
		cases, ok := storeRoutes[path]
		if !ok || len(cases) == 0 {
			t.Errorf("%s: no decision for store-scoped tokens in storeRoutes", path)
			continue
		}
		for _, c := range cases {
			p := path
			if c.query != "" {
				p += "?" + c.query
			}
			resp, body := get(t, ts, p, tok["store"])
			if resp.StatusCode != c.status {
				t.Errorf("store token: GET %s: %d %s, want %d", p, resp.StatusCode, body, c.status)
				continue
			}
			if c.status != 200 {
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Errorf("GET %s: body %s is not a JSON error (%v)", p, body, err)
				}
			}
			v.check(t, ts, p, true, resp, body)
		}
	}
	for path := range storeRoutes {
		if !slices.Contains(api.APIPaths(), path) {
			t.Errorf("storeRoutes names %s, which is not a route", path)
		}
	}
	fr.takeCalls()

	// The branch's own alerts only; only its branch is listed.
	_, body := get(t, ts, "/api/v1/branches", tok["store"])
	var bl struct {
		Scope    string
		Branches []api.Branch
	}
	if err := json.Unmarshal(body, &bl); err != nil {
		t.Fatal(err)
	}
	if bl.Scope != "GD-SZ/store:S123" || len(bl.Branches) != 1 || bl.Branches[0].ID != "GD-SZ" {
		t.Errorf("branches of the store token: %s", body)
	}

	// The trend of S123 ending 2026-10: 12 months, 2026-09 (at GD-GZ then) null.
	_, body = get(t, ts, "/api/v1/unit?kind=staff&id=X1&period=2026-10", tok["store"])
	var uv api.UnitView
	if err := json.Unmarshal(body, &uv); err != nil {
		t.Fatal(err)
	}
	if uv.Card.Unit != "X1" || uv.Card.Store != "S123" || len(uv.Trend) != 12 || uv.Score != nil {
		t.Fatalf("X1: %s", body)
	}
	for i, c := range uv.Trend {
		month := schema.Month(202510).Add(i + 1).String()
		if month == "2026-09" && c != nil || month != "2026-09" && (c == nil || c.Period != month) {
			t.Errorf("X1 trend month %s: %+v", month, c)
		}
	}
	if !strings.Contains(string(body), `"trend":[{`) || !strings.Contains(string(body), `null,{"kind":"staff"`) {
		t.Errorf("X1 view: %s", body)
	}
}

// TestUnitScopesOfBranchTokens: a branch token reads the units placed in its subtree and the
// staff of the stores placed there, nothing else (SPEC §5.2 Access, §5.5); ALL reads all.
func TestUnitScopesOfBranchTokens(t *testing.T) {
	ts, _, tok := newServer(t, map[string]string{"sz": "GD-SZ", "gz": "GD-GZ", "hq": "ALL"})
	for _, c := range []struct {
		token, path string
		status      int
	}{
		{"sz", "/api/v1/unit?kind=staff&id=X1&period=2026-10", 200},
		{"sz", "/api/v1/unit?kind=staff&id=X1&period=2026-09", 403}, // S123 belonged to GD-GZ
		{"gz", "/api/v1/unit?kind=staff&id=X1&period=2026-09", 200},
		{"gz", "/api/v1/unit?kind=staff&id=X1&period=2026-10", 403},
		{"gz", "/api/v1/unit?kind=staff&id=X9&period=2026-10", 200},
		{"sz", "/api/v1/unit?kind=agent&id=A1&period=2026-10", 200},
		{"gz", "/api/v1/unit?kind=manager&id=M1&period=2026-10", 403},
		{"gz", "/api/v1/unit?kind=store&id=NOWHERE&period=2026-10", 403}, // unplaced: ALL only
		{"hq", "/api/v1/unit?kind=store&id=NOWHERE&period=2026-10", 200},
		{"sz", "/api/v1/rank?unit=store&parent=GD-SZ&period=2026-10", 200},
		{"sz", "/api/v1/rank?unit=store&period=2026-10", 403}, // ALL by default
		{"gz", "/api/v1/rank?unit=staff&parent=store:S123&period=2026-10", 403},
		{"gz", "/api/v1/rank?unit=staff&parent=store:S123&period=2026-09", 200},
		{"sz", "/api/v1/rank?unit=staff&parent=GD-SZ&period=2026-10", 200},
		{"hq", "/api/v1/rank?unit=staff&parent=store:S123&period=2026-10", 200},
		{"sz", "/api/v1/compare?parent=GD-SZ&month=2026-10&metric=csi", 200},
	} {
		resp, body := get(t, ts, c.path, tok[c.token])
		if resp.StatusCode != c.status {
			t.Errorf("%s token: GET %s: %d %s, want %d", c.token, c.path, resp.StatusCode, body, c.status)
		}
	}
	// The trend of a GD-SZ token over X1 shows 2026-09 as null, GD-GZ's shows only 2026-09.
	for _, c := range []struct {
		token, period string
		want          []bool // non-null months, 2025-11 … 2026-10
	}{
		{"sz", "2026-10", []bool{true, true, true, true, true, true, true, true, true, true, false, true}},
	} {
		_, body := get(t, ts, "/api/v1/unit?kind=staff&id=X1&period="+c.period, tok[c.token])
		var uv api.UnitView
		if err := json.Unmarshal(body, &uv); err != nil {
			t.Fatal(err)
		}
		for i, w := range c.want {
			if (uv.Trend[i] != nil) != w {
				t.Errorf("%s token, X1 trend %d: %+v, want present %v", c.token, i, uv.Trend[i], w)
			}
		}
	}
}

// TestUnitEndpointsBadInput: every bad parameter of the front-line endpoints is a JSON 400
// naming it, and valid answers match the OpenAPI document.
func TestUnitEndpointsBadInput(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	v := loadOpenAPI(t, ts)
	for _, c := range []struct {
		path   string
		status int
		param  string
	}{
		{"/api/v1/rank?unit=store&parent=GD-SZ&period=2026-10", 200, ""},
		{"/api/v1/rank?unit=staff&parent=store:S123&period=2026-10&metric=satisfaction", 200, ""},
		{"/api/v1/unit?kind=store&id=S123&period=2026-10", 200, ""},
		{"/api/v1/unit?kind=manager&id=M1&period=2026-10", 200, ""},
		{"/api/v1/rank?unit=store&level=city&period=2026-10", 400, "unit"},
		{"/api/v1/rank?period=2026-10", 400, "level"},
		{"/api/v1/rank?unit=clerk&period=2026-10", 400, "unit"},
		{"/api/v1/rank?unit=store&parent=GD-SZ", 400, "period"},
		{"/api/v1/rank?unit=store&parent=gd&period=2026-10", 400, "parent"},
		{"/api/v1/rank?unit=store&parent=store:S123&period=2026-10", 400, "parent"},
		{"/api/v1/rank?unit=staff&parent=store:S%20123&period=2026-10", 400, "parent"},
		{"/api/v1/rank?unit=store&parent=GD-SZ&period=2026-10&metric=NPS%3B", 400, "metric"},
		{"/api/v1/rank?unit=store&parent=GD-SZ&period=2026-10&metric=fcr", 400, "metric"},
		{"/api/v1/rank?unit=store&unit=staff&period=2026-10", 400, "unit"},
		{"/api/v1/rank?unit=store&period=2026-10&as_of=2026-11-05T08:00:00Z", 400, "as_of"},
		{"/api/v1/unit?id=S123&period=2026-10", 400, "kind"},
		{"/api/v1/unit?kind=store&period=2026-10", 400, "id"},
		{"/api/v1/unit?kind=store&id=" + strings.Repeat("x", 200) + "&period=2026-10", 400, "id"},
		{"/api/v1/unit?kind=store&id=S123", 400, "period"},
		{"/api/v1/unit?kind=store&id=S123&period=2026-Q4", 400, "period"}, // the fixture's refusal
	} {
		resp, body := get(t, ts, c.path, "")
		if resp.StatusCode != c.status {
			t.Errorf("GET %s: %d %s, want %d", c.path, resp.StatusCode, body, c.status)
			continue
		}
		if c.status == 400 {
			var e struct{ Error, Param string }
			if err := json.Unmarshal(body, &e); err != nil || e.Param != c.param || e.Error == "" || len(body) > 700 {
				t.Errorf("GET %s: error %s, want param %q", c.path, body, c.param)
			}
		}
		v.check(t, ts, c.path, c.status == 200, resp, body)
	}
}

// TestUnitLeagueDownload: ?format=csv gives the league of units as a table to download.
func TestUnitLeagueDownload(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	resp, body := get(t, ts, "/api/v1/rank?unit=store&parent=GD-SZ&period=2026-10&format=csv", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(string(body), "排名 rank,单元 unit,类型 kind") || strings.Count(string(body), "\n") != 3 ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "rank-store-GD-SZ-2026-10.csv") {
		t.Errorf("CSV: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
}
