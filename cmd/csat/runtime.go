package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema/chdb"
)

// openClickHouse connects to ClickHouse and applies any missing migration (safe from many
// processes at once), so that every command that needs the tables finds them.
func openClickHouse(ctx context.Context, a *app) (driver.Conn, error) {
	if _, err := migrate(ctx, a); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", a.cfg.ClickHouse.Database, err)
	}
	return chdb.Open(ctx, a.cfg.ClickHouse)
}

// newRegistry returns a registry with the Go and process collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newProjector builds the projector of the configured catalog and SLA.
func newProjector(a *app, conn driver.Conn, reg prometheus.Registerer) (*aggregate.Projector, error) {
	cat, err := a.cfg.Schema.Catalog()
	if err != nil {
		return nil, err
	}
	return aggregate.NewProjector(conn, aggregate.ProjectorConfig{
		Catalog:   cat,
		SLAHours:  a.cfg.KPI.ComplaintSLAHours,
		Frontline: a.cfg.KPI.Frontline,
		FullEvery: a.cfg.Ingest.ProjectFullEvery,
	}, a.log, reg), nil
}

// serveOps serves /metrics, /healthz and /readyz on addr until ctx ends. ready reports why the
// process is not ready (nil: ready).
func serveOps(ctx context.Context, a *app, addr string, reg *prometheus.Registry, ready func(context.Context) error) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if err := ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("CSAT_HTTP_ADDR: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving operations endpoints", "addr", ln.Addr().String())
	select {
	case <-ctx.Done():
		// The root context is cancelled: shutdown gets its own deadline.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // Serve returns at once; its connections are closed by then or cut at exit
		<-errc                 // the serving goroutine has returned
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// clickhouseReady checks that ClickHouse answers and no migration is pending.
func clickhouseReady(a *app, conn driver.Conn) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := conn.Ping(ctx); err != nil {
			return fmt.Errorf("clickhouse: %w", err)
		}
		pending, err := chdb.Pending(ctx, conn, a.cfg.ClickHouse)
		if err != nil {
			return fmt.Errorf("clickhouse migrations: %w", err)
		}
		if len(pending) > 0 {
			return fmt.Errorf("clickhouse migrations pending: %v", pending)
		}
		return nil
	}
}
