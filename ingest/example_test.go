package ingest_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// Example wires an Ingester the way csat ingest does: decode with the default catalog, write to
// a migrated ClickHouse database, run until SIGTERM, then flush, commit and leave the group.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	chcfg := chdb.Config{Addr: []string{"127.0.0.1:9000"}, Database: "csat", User: "default",
		DialTimeout: 5 * time.Second, MaxOpenConns: 8}
	conn, err := chdb.Open(ctx, chcfg)
	if err != nil {
		logger.Error("open clickhouse", "err", err)
		return
	}
	defer conn.Close()
	topics := schema.DefaultTopics()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	dec := schema.NewDecoder(schema.DefaultCatalog(), topics, loc)

	in, err := ingest.New(ingest.DefaultConfig(), dec, topics, conn, logger, prometheus.NewRegistry())
	if err != nil {
		logger.Error("ingest config", "err", err)
		return
	}
	// /readyz calls in.Ready(); Run returns after the final flush and commit.
	if err := in.Run(ctx); err != nil {
		logger.Error("ingest", "err", err)
	}
}
