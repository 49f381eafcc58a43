package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// oneByOne hides the CardLister, so the gauges ask for one card at a time.
type oneByOne struct{ api.Reader }

// TestAgainstEngine serves a small national data set (bench.Load at 1/1000 scale) through the
// real engine on ClickHouse and checks every endpoint's live JSON against the OpenAPI document,
// the parameter errors the engine reports, and the KPI gauges.
// engineFixture loads a small national data set (bench.Load at 1/1000 scale, 5 months) into a
// fresh ClickHouse database and returns the engine as a Reader, a province, one of its cities
// and the last month.
func engineFixture(t *testing.T) (r *api.EngineReader, province, city string, last schema.Month) {
	t.Helper()
	r, province, city, last, _ = engineFixtureConn(t)
	return r, province, city, last
}

// engineFixtureConn is engineFixture with the connection to its database and the data set's
// configuration.
func engineFixtureConn(t *testing.T) (r *api.EngineReader, province, city string, last schema.Month, d fixtureDB) {
	t.Helper()
	conn, _ := chtest.New(t)
	ctx := context.Background()
	bcfg := bench.DefaultConfig()
	bcfg.Scale, bcfg.Months = 0.001, 5
	// The data ends last month, so the KPI gauges (which describe the current month, or the one
	// before while the current has no survey response yet) find it whenever the test runs.
	bcfg.LastMonth = schema.MonthOf(time.Now(), time.UTC).Prev()
	var out bytes.Buffer
	if err := bench.Load(ctx, conn, bcfg, &out); err != nil {
		t.Fatalf("bench.Load: %v\n%s", err, out.String())
	}
	sc, err := kpi.DefaultScorecard(bcfg.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	kcfg := kpi.DefaultConfig()
	kcfg.MinSample = 5 // a 1/1000 data set has few responses per province
	r = api.NewEngineReader(aggregate.NewEngine(conn, kcfg, bcfg.Catalog, sc, nil), nil, nil)
	branches, err := r.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range branches {
		switch {
		case b.Level == 1 && province == "":
			province = b.ID
		case b.Level == 2 && city == "" && province != "" && schema.InSubtree(b.ID, province):
			city = b.ID
		}
	}
	if province == "" || city == "" {
		t.Fatalf("no province/city among %d branches", len(branches))
	}
	return r, province, city, bcfg.LastMonth, fixtureDB{conn, bcfg}
}

// fixtureDB is the database of engineFixtureConn and the configuration of its data set.
type fixtureDB struct {
	conn driver.Conn
	cfg  bench.Config
}

func TestAgainstEngine(t *testing.T) {
	r, province, city, m := engineFixture(t)
	ctx := context.Background()
	q := strings.NewReplacer("{p}", province, "{c}", city, "{m}", m.String(), "{from}", m.Add(-2).String(), "{q}", fmt.Sprintf("%d-Q%d", m.Year(), (m.Mon()+2)/3))

	reg := prometheus.NewRegistry()
	cfg := api.DefaultConfig()
	cfg.MetricsBranchLevel = 1
	s, err := api.New(cfg, r, slog.New(slog.DiscardHandler), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	v := loadOpenAPI(t, ts)
	tests := []struct {
		path   string
		status int
		param  string
	}{
		{"/api/v1/kpi?branch=ALL&month={m}", 200, ""},
		{"/api/v1/kpi?branch={p}&month={m}", 200, ""},
		{"/api/v1/kpi?branch={c}&month={m}", 200, ""},
		{"/api/v1/kpi?branch=ZZ-ZZ&month={m}", 400, "branch"},
		{"/api/v1/trend?branch={p}&metric=csi&from={from}&to={m}", 200, ""},
		{"/api/v1/trend?branch={c}&metric=item:billing&from={from}&to={m}", 200, ""},
		{"/api/v1/trend?branch={p}&metric=window_satisfaction&from={from}&to={m}", 200, ""},
		{"/api/v1/trend?branch={p}&metric=item:nosuch&from={from}&to={m}", 400, "metric"},
		{"/api/v1/trend?branch={p}&metric=happiness&from={from}&to={m}", 400, "metric"},
		{"/api/v1/compare?parent=ALL&month={m}&metric=csi", 200, ""},
		{"/api/v1/compare?parent={p}&month={m}&metric=complaint_rate", 200, ""},
		{"/api/v1/compare?parent=ZZ&month={m}&metric=csi", 400, "parent"},
		{"/api/v1/alerts?month={m}", 200, ""},
		{"/api/v1/alerts?month={m}&branch={p}", 200, ""},
		{"/api/v1/scorecard?branch={p}&period={m}", 200, ""},
		{"/api/v1/scorecard?branch={p}&period={q}", 200, ""},
		{"/api/v1/scorecard?branch={p}&period=1999-Q9", 400, "period"},
		{"/api/v1/branches", 200, ""},
	}
	for _, tt := range tests {
		path := q.Replace(tt.path)
		resp, body := get(t, ts, path, "")
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: %d %s, want %d", path, resp.StatusCode, body, tt.status)
			continue
		}
		v.check(t, ts, path, tt.status == 200, resp, body)
		if tt.param != "" && !strings.Contains(string(body), `"param":"`+tt.param+`"`) {
			t.Errorf("GET %s: %s, want param %s", path, body, tt.param)
		}
	}

	// The gauges come from the same engine: ALL and the 31 provinces, through Cards or one card
	// at a time, with the same values as the card endpoint.
	for name, rd := range map[string]api.Reader{"CardLister": r, "Card": oneByOne{r}} {
		t.Run("gauges via "+name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			cfg := api.DefaultConfig()
			cfg.MetricsBranchLevel = 1
			cfg.Location = time.UTC
			s, err := api.New(cfg, rd, nil, reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			serveCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- s.Serve(serveCtx, mustListen(t)) }()
			defer func() { cancel(); <-done }()
			waitFor(t, func() bool {
				n, err := testutil.GatherAndCount(reg, "csat_kpi_complaint_rate")
				return err == nil && n >= 32
			})
			if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
				t.Errorf("lint: %v %v", problems, err)
			}
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var month float64
			got := map[string]float64{}
			for _, mf := range mfs {
				for _, mm := range mf.GetMetric() {
					switch mf.GetName() {
					case "csat_kpi_month":
						month = mm.GetGauge().GetValue()
					case "csat_kpi_complaint_rate":
						got[mm.GetLabel()[0].GetValue()] = mm.GetGauge().GetValue()
					}
				}
			}
			gm := schema.Month(month)
			if gm != m {
				t.Errorf("csat_kpi_month = %v, want the fixture's last month %s", month, m)
			}
			want, err := r.Card(ctx, province, gm)
			if err != nil {
				t.Fatal(err)
			}
			if v := want.Metric(kpi.Metric{Kind: kpi.KindComplaintRate}); v.Reportable && got[province] != *v.Value {
				t.Errorf("csat_kpi_complaint_rate{branch=%s} = %v, card of %s says %v", province, got[province], gm, *v.Value)
			}
		})
	}
}

// TestUnitsAgainstEngine serves the front line of a small national data set (bench.Load at
// 1/1000 scale with the front-line projection) through the real engine: league tables of a
// city's stores, a store's staff and a city's agents, a store's and a clerk's view, each
// against the OpenAPI document, and a token scoped to one store of that data reading its own
// store and staff but not a neighbour.
func TestUnitsAgainstEngine(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	bcfg := bench.DefaultConfig()
	bcfg.Scale, bcfg.Months, bcfg.LastMonth = 0.001, 2, 202610
	bcfg.Projector = aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: bcfg.Catalog, SLAHours: bcfg.SLAHours, Frontline: true}, nil, nil)
	var out bytes.Buffer
	if err := bench.Load(ctx, conn, bcfg, &out); err != nil {
		t.Fatalf("bench.Load: %v\n%s", err, out.String())
	}
	kcfg := kpi.DefaultConfig()
	kcfg.MinSample = 5
	r := api.NewEngineReader(aggregate.NewEngine(conn, kcfg, bcfg.Catalog, nil, nil), nil, nil)

	// The city with the most stores.
	all, err := r.UnitLeague(ctx, "store", "ALL", "2026-10", "")
	if err != nil || len(all.Units) < 2 {
		t.Fatalf("stores of ALL: %d, %v", len(all.Units), err)
	}
	perCity := map[string]int{}
	city := ""
	for _, u := range all.Units {
		c := strings.Join(strings.Split(u.Branch, "-")[:2], "-")
		if perCity[c]++; city == "" || perCity[c] > perCity[city] {
			city = c
		}
	}
	stores, err := r.UnitLeague(ctx, "store", city, "2026-10", "")
	if err != nil || len(stores.Units) < 2 {
		t.Fatalf("stores of %s: %+v, %v", city, stores, err)
	}
	st, other := stores.Units[0].Unit, stores.Units[1].Unit
	staff, err := r.UnitLeague(ctx, "staff", "store:"+st, "2026-10", "")
	if err != nil || len(staff.Units) == 0 {
		t.Fatalf("staff of %s: %+v, %v", st, staff, err)
	}
	clerk := staff.Units[0].Unit

	cfg := api.DefaultConfig()
	tokens := writeTokens(t, &cfg, map[string]string{"store": stores.Units[0].Branch + "/store:" + st})
	s, err := api.New(cfg, r, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	v := loadOpenAPI(t, ts)
	cfgOpen := api.DefaultConfig()
	so, err := api.New(cfgOpen, r, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	open := httptest.NewServer(so.Handler())
	defer open.Close()
	vOpen := loadOpenAPI(t, open)
	for _, c := range []struct {
		path          string
		open, asStore int
	}{
		{"/api/v1/rank?unit=store&parent=" + city + "&period=2026-10", 200, 403},
		{"/api/v1/rank?unit=store&parent=" + city + "&period=2026-Q4&metric=avg_wait", 200, 403},
		{"/api/v1/rank?unit=staff&parent=store:" + st + "&period=2026-10", 200, 200},
		{"/api/v1/rank?unit=staff&parent=store:" + other + "&period=2026-10", 200, 403},
		{"/api/v1/rank?unit=agent&parent=" + city + "&period=2026-10&metric=fcr", 200, 403},
		{"/api/v1/unit?kind=store&id=" + st + "&period=2026-10", 200, 200},
		{"/api/v1/unit?kind=staff&id=" + clerk + "&period=2026-10", 200, 200},
		{"/api/v1/unit?kind=store&id=" + other + "&period=2026-10", 200, 403},
		{"/api/v1/rank?unit=store&parent=" + city + "&period=2026-10&metric=nps", 400, 403},
	} {
		for _, srv := range []struct {
			ts     *httptest.Server
			v      *oasValidator
			token  string
			status int
		}{{open, vOpen, "", c.open}, {ts, v, tokens["store"], c.asStore}} {
			resp, body := get(t, srv.ts, c.path, srv.token)
			if resp.StatusCode != srv.status {
				t.Errorf("GET %s (token %t): %d %.300s, want %d", c.path, srv.token != "", resp.StatusCode, body, srv.status)
				continue
			}
			srv.v.check(t, srv.ts, c.path, srv.status != 400, resp, body)
		}
	}
	_, body := get(t, open, "/api/v1/unit?kind=store&id="+st+"&period=2026-10", "")
	var uv api.UnitView
	if err := json.Unmarshal(body, &uv); err != nil || uv.Card.Unit != st || len(uv.Trend) != 12 || uv.Trend[11] == nil || uv.Trend[11].Ratings != uv.Card.Ratings {
		t.Errorf("unit view of %s: %v %.500s", st, err, body)
	}
}
