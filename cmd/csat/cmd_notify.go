package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/aggregate/notify/dingtalk"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

func init() {
	register(&command{
		name:    "notify",
		args:    "[--once] [--no-http] | --dingtalk",
		summary: "push the KPI alerts to Alertmanager, or bridge Alertmanager to a DingTalk robot",
		details: `Without flags: every CSAT_NOTIFY_INTERVAL, computes every alert of the latest month
(CSAT_NOTIFY_MONTHS months; every rule, severity and branch level, counties included) and pushes
them to each Alertmanager of CSAT_ALERTMANAGER_URL (API v2), with labels for routing (rule,
severity, metric, branch, branch_name, province, city, month), Chinese and English texts and a link
to the dashboard under CSAT_EXTERNAL_URL. An alert that is no longer computed is resolved. Serves
/metrics, /healthz and /readyz on CSAT_HTTP_ADDR. csat serve does the same when
CSAT_ALERTMANAGER_URL is set: run csat notify instead when several serve replicas run, so that one
process pushes.

--once pushes once, prints what it sent and exits (cron, checks).

--dingtalk runs the DingTalk bridge instead: Alertmanager's webhook receiver posts to
CSAT_DINGTALK_ADDR, and each notification is sent to the robot of CSAT_DINGTALK_WEBHOOK_URL as a
Chinese markdown message, signed with CSAT_DINGTALK_SECRET. Point a webhook_configs url of
alertmanager.yml at http://CSAT_DINGTALK_ADDR/ (see deploy/alertmanager).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			once := fs.Bool("once", false, "push once, print what was sent and exit")
			noHTTP := fs.Bool("no-http", false, "do not serve /metrics, /healthz, /readyz")
			ding := fs.Bool("dingtalk", false, "run the Alertmanager → DingTalk robot bridge")
			return func(ctx context.Context) error {
				if *ding {
					return runDingTalk(ctx, a, !*noHTTP)
				}
				return runNotify(ctx, a, *once, !*noHTTP)
			}
		},
	})
}

func runNotify(ctx context.Context, a *app, once, serveHTTP bool) error {
	if !a.cfg.Notify.Enabled() {
		return usagef("CSAT_ALERTMANAGER_URL is not set: name the Alertmanager(s) to push to, e.g. http://127.0.0.1:9093")
	}
	// A reader: no migrations, no database created.
	conn, err := chdb.Open(ctx, a.cfg.ClickHouse)
	if err != nil {
		return err
	}
	defer conn.Close()
	eng, cat, names, err := newEngine(a, conn)
	if err != nil {
		return err
	}
	reg := newRegistry()
	n, err := newNotifier(a, eng, cat, names, reg)
	if err != nil {
		return err
	}
	if once {
		rd, err := n.Push(ctx)
		fmt.Fprintf(a.stdout, "months %v: %d alerts firing, %d resolved, sent to %d Alertmanager(s)\n",
			rd.Months, rd.Firing, rd.Resolved, len(a.cfg.Notify.AlertmanagerURLs))
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	if serveHTTP {
		g.Go(func() error { return serveOps(gctx, a, a.cfg.HTTPAddr, reg, clickhouseReady(a, conn)) })
	}
	g.Go(func() error { return n.Run(gctx) })
	return g.Wait()
}

// newNotifier builds the push path over src with the reporting time zone, the catalog's item
// names, the branch names and the dashboard's address (CSAT_EXTERNAL_URL, else CSAT_HTTP_ADDR).
func newNotifier(a *app, src notify.Source, cat schema.Catalog, names map[string]string, reg prometheus.Registerer) (*notify.Notifier, error) {
	cfg := a.cfg.Notify
	loc, err := a.cfg.Schema.Location()
	if err != nil {
		return nil, err
	}
	cfg.Location, cfg.Catalog, cfg.Names = loc, cat, names
	if cfg.ExternalURL == "" {
		host, port, _ := net.SplitHostPort(a.cfg.HTTPAddr) // validated
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			if h, err := os.Hostname(); err == nil {
				host = h
			}
		}
		cfg.ExternalURL = "http://" + net.JoinHostPort(host, port) + "/"
	}
	return notify.New(cfg, src, a.log, reg)
}

func runDingTalk(ctx context.Context, a *app, serveHTTP bool) error {
	if a.cfg.DingTalk.WebhookURL == "" {
		return usagef("CSAT_DINGTALK_WEBHOOK_URL is not set: give the robot's webhook, https://oapi.dingtalk.com/robot/send?access_token=…")
	}
	reg := newRegistry()
	b, err := dingtalk.New(a.cfg.DingTalk, a.log, reg)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	if serveHTTP {
		g.Go(func() error {
			return serveOps(gctx, a, a.cfg.HTTPAddr, reg, func(context.Context) error { return nil })
		})
	}
	g.Go(func() error {
		return b.Run(gctx, func(addr net.Addr) {
			fmt.Fprintf(a.stdout, "DingTalk bridge: point Alertmanager's webhook_configs url at http://%s/\n", addr)
		})
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
