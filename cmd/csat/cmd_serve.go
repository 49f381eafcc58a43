package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/notify"
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
	fs, roster, err := a.cfg.frontline(cat)
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
	return aggregate.NewEngine(conn, a.cfg.KPI, cat, sc, a.log).WithFrontline(fs, roster), cat, names, nil
}

// serveAPI runs the HTTP server, the engine's Warmer and, with CSAT_ALERTMANAGER_URL, the alert
// notifier over eng until ctx ends, and returns once all have stopped; listening is called once
// it listens.
func serveAPI(ctx context.Context, a *app, conn driver.Conn, eng *aggregate.Engine, cat schema.Catalog, names map[string]string,
	reg *prometheus.Registry, listening func(net.Listener)) error {
	cfg := a.cfg.API
	cfg.Addr = a.cfg.HTTPAddr
	loc, err := a.cfg.Schema.Location()
	if err != nil {
		return err
	}
	cfg.Location = loc
	// Every card of the latest months, kept computed in memory (CSAT_API_WARM_MONTHS).
	warmer := aggregate.NewWarmer(eng, aggregate.WarmConfig{Months: cfg.WarmMonths, Interval: cfg.WarmInterval, Location: loc}, a.log)
	srv, err := api.New(cfg, api.NewEngineReader(eng, warmer, names), a.log, reg, clickhouseReady(a, conn))
	if err != nil {
		return err
	}
	var notifier *notify.Notifier
	if a.cfg.Notify.Enabled() { // CSAT_ALERTMANAGER_URL: push the alerts
		if notifier, err = newNotifier(a, eng, cat, names, reg); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("CSAT_HTTP_ADDR: listen on %s: %w", cfg.Addr, err)
	}
	listening(ln)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return warmer.Run(gctx) })
	if notifier != nil {
		g.Go(func() error { return notifier.Run(gctx) }) // nil when gctx ends; failures are logged
	}
	g.Go(func() error { return srv.Serve(gctx, ln) })
	return g.Wait()
}
