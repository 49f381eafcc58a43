package main

import (
	"context"
	"errors"
	"flag"

	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/ingest"
)

func init() {
	register(&command{
		name:    "ingest",
		args:    "[--drain]",
		summary: "consume the event topics into ClickHouse exactly once, with dead letters",
		details: `Joins the consumer group CSAT_KAFKA_GROUP over the six input topics, validates every
message, writes good events in batches to the raw tables and bad ones to the dead-letter topic and
the rejected_events table, commits offsets only after the data is durable, and keeps the KPI
projections fresh. Serves /metrics, /healthz and /readyz on CSAT_HTTP_ADDR. Applies missing
migrations at start. SIGTERM/SIGINT: flush, commit, leave the group and exit within
CSAT_SHUTDOWN_GRACE.

With --drain: consume until every partition is caught up with its end offset as of the start,
flush, commit, refresh the projections and exit (backfills, tests, benchmarks).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			drain := fs.Bool("drain", false, "exit once every assigned partition is caught up")
			noHTTP := fs.Bool("no-http", false, "do not serve /metrics, /healthz, /readyz")
			return func(ctx context.Context) error {
				return runIngest(ctx, a, *drain, !*noHTTP)
			}
		},
	})
}

func runIngest(ctx context.Context, a *app, drain, serveHTTP bool) error {
	dec, _, err := a.cfg.decoder()
	if err != nil {
		return err
	}
	conn, err := openClickHouse(ctx, a)
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := newRegistry()
	proj, err := newProjector(a, conn, reg)
	if err != nil {
		return err
	}
	in, err := ingest.New(a.cfg.Ingest, dec, a.cfg.Schema.Topics, conn, a.log, reg,
		ingest.WithProjector(proj))
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	ictx, stopOps := context.WithCancel(gctx)
	if serveHTTP {
		chReady := clickhouseReady(a, conn)
		g.Go(func() error {
			return serveOps(ictx, a, a.cfg.HTTPAddr, reg, func(ctx context.Context) error {
				if err := in.Ready(); err != nil {
					return err
				}
				return chReady(ctx)
			})
		})
	}
	g.Go(func() error {
		defer stopOps()
		if drain {
			return in.Drain(gctx)
		}
		err := in.Run(gctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil // a signal asked us to stop; Run flushed and committed
		}
		return err
	})
	return g.Wait()
}
