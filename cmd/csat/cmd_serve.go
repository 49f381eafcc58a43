package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "serve the HTTP API, the dashboard and the KPI metrics",
		details: `Serves on CSAT_HTTP_ADDR: the JSON API under /api/v1/ (kpi, trend, compare, alerts,
scorecard, branches; OpenAPI document at /api/v1/openapi.json), the dashboard at /, Prometheus
metrics at /metrics (KPI gauges down to CSAT_METRICS_BRANCH_LEVEL and csat_alert_active),
/healthz and /readyz. With CSAT_API_TOKENS_FILE set, every API request needs a bearer token whose
scope covers the branch asked for. With CSAT_ALERTMANAGER_URL set, also pushes every alert to
Alertmanager (see csat notify). Applies missing migrations at start.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			return func(ctx context.Context) error {
				conn, err := openClickHouse(ctx, a)
				if err != nil {
					return err
				}
				defer conn.Close()
				eng, cat, names, err := newEngine(a, conn)
				if err != nil {
					return err
				}
				return serveAPI(ctx, a, conn, eng, cat, names, newRegistry(), func(ln net.Listener) {
					a.log.Info("serving", "addr", ln.Addr().String())
				})
			}
		},
	})
}

// newEngine builds the read side's engine over the configured catalog (which it returns too) and
// loads the branch names file, if any.
func newEngine(a *app, conn driver.Conn) (*aggregate.Engine, schema.Catalog, map[string]string, error) {
	cat, err := a.cfg.Schema.Catalog()
	if err != nil {
		return nil, cat, nil, err
	}
	sc, err := a.cfg.scorecard(cat)
	if err != nil {
		return nil, cat, nil, err
	}
	names := map[string]string{}
	if a.cfg.BranchNamesFile != "" {
		b, err := os.ReadFile(a.cfg.BranchNamesFile)
		if err != nil {
			return nil, cat, nil, fmt.Errorf("CSAT_BRANCH_NAMES_FILE: %w", err)
		}
		if err := yaml.Unmarshal(b, &names); err != nil {
			return nil, cat, nil, fmt.Errorf("CSAT_BRANCH_NAMES_FILE %s: want a YAML map of branch id to name: %w", a.cfg.BranchNamesFile, err)
		}
	}
	return aggregate.NewEngine(conn, a.cfg.KPI, cat, sc, a.log), cat, names, nil
}

// serveAPI runs the HTTP server over eng until ctx ends; listening is called once it listens.
func serveAPI(ctx context.Context, a *app, conn driver.Conn, eng *aggregate.Engine, cat schema.Catalog, names map[string]string,
	reg *prometheus.Registry, listening func(net.Listener)) error {
	cfg := a.cfg.API
	cfg.Addr = a.cfg.HTTPAddr
	loc, err := a.cfg.Schema.Location()
	if err != nil {
		return err
	}
	cfg.Location = loc
	rd := reader{eng: eng, names: names, cfg: a.cfg.KPI, cat: cat}
	srv, err := api.New(cfg, rd, a.log, reg, clickhouseReady(a, conn))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("CSAT_HTTP_ADDR: listen on %s: %w", cfg.Addr, err)
	}
	listening(ln)
	// Every card of the latest months, kept computed in memory (CSAT_API_WARM_MONTHS).
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go eng.KeepWarm(wctx, cfg.WarmMonths, cfg.WarmInterval, loc)
	stopNotify, err := startNotifier(wctx, a, eng, cat, names, reg) // CSAT_ALERTMANAGER_URL: push the alerts
	if err != nil {
		return err
	}
	defer stopNotify()
	return srv.Serve(ctx, ln)
}

// reader adapts the engine to the API's Reader: it maps the engine's parameter errors to the
// API's and adds branch names.
type reader struct {
	eng   *aggregate.Engine
	names map[string]string
	cfg   kpi.Config
	cat   schema.Catalog
}

var (
	_ api.Reader       = reader{}
	_ api.CardLister   = reader{}
	_ api.AsOfReader   = reader{}
	_ api.FunnelReader = reader{}
	_ api.LeagueReader = reader{}
)

// League serves /api/v1/rank.
func (r reader) League(ctx context.Context, parent string, level int, period, by string) (any, error) {
	v, err := r.eng.League(ctx, parent, level, period, by)
	return v, apiErr(err)
}

// AsOf returns the reader of the events ingested up to t (the API's as_of).
func (r reader) AsOf(t time.Time) api.Reader {
	r.eng = r.eng.AsOf(t)
	return r
}

// Funnel serves /api/v1/funnel.
func (r reader) Funnel(ctx context.Context, parent string, month schema.Month, metric string) (any, error) {
	v, err := r.eng.Funnel(ctx, parent, month, metric)
	return v, apiErr(err)
}

// Cards returns the cards of every branch down to maxLevel for month m, computed in one pass (for
// the KPI gauges of /metrics) and kept as m's warm set.
func (r reader) Cards(ctx context.Context, m schema.Month, maxLevel int) (map[string]kpi.Card, error) {
	all, err := r.eng.WarmCards(ctx, m)
	if err != nil {
		return nil, apiErr(err)
	}
	out := make(map[string]kpi.Card, len(all))
	for b, c := range all {
		if schema.Level(b) <= maxLevel {
			out[b] = c
		}
	}
	return out, nil
}

func apiErr(err error) error {
	var pe *aggregate.ParamError
	if errors.As(err, &pe) {
		if errors.Is(err, aggregate.ErrUnknownBranch) {
			return fmt.Errorf("%w: %w", &api.ParamError{Param: pe.Param, Msg: pe.Msg}, api.ErrUnknownBranch)
		}
		return &api.ParamError{Param: pe.Param, Msg: pe.Msg}
	}
	return err
}

func (r reader) Card(ctx context.Context, branch string, month schema.Month) (kpi.Card, error) {
	c, err := r.eng.Card(ctx, branch, month)
	return c, apiErr(err)
}

func (r reader) Trend(ctx context.Context, branch, metric string, from, to schema.Month) (any, error) {
	v, err := r.eng.Trend(ctx, branch, metric, from, to)
	return v, apiErr(err)
}

func (r reader) Compare(ctx context.Context, parent string, month schema.Month, metric string) (any, error) {
	v, err := r.eng.Compare(ctx, parent, month, metric)
	return v, apiErr(err)
}

func (r reader) Alerts(ctx context.Context, branch string, month schema.Month) (any, error) {
	v, err := r.eng.Alerts(ctx, branch, month)
	return v, apiErr(err)
}

func (r reader) Scorecard(ctx context.Context, branch, period string) (any, error) {
	v, err := r.eng.Scorecard(ctx, branch, period)
	return v, apiErr(err)
}

func (r reader) Branches(ctx context.Context) ([]api.Branch, error) {
	bs, err := r.eng.Branches(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.Branch, len(bs))
	for i, b := range bs {
		out[i] = api.Branch{ID: b.ID, Name: r.names[b.ID], Parent: schema.Parent(b.ID), Level: schema.Level(b.ID)}
	}
	return out, nil
}
