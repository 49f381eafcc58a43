package chdb_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/csat-dev/csat/schema/chdb"
)

// Startup of a csat command: create and migrate the database, then connect to it.
func Example() {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg := chdb.Config{ // cmd/csat parses it from CSAT_CLICKHOUSE_* with env.Parse
		Addr:         []string{"127.0.0.1:9000"},
		Database:     "csat",
		User:         "default",
		DialTimeout:  5e9,
		MaxOpenConns: 8,
	}

	server, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase()) // the database may not exist yet
	if err != nil {
		logger.Error("connect to clickhouse", "err", err, "clickhouse", cfg)
		return
	}
	applied, err := chdb.Migrate(ctx, server, cfg, logger)
	if cerr := server.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		logger.Error("migrate", "err", err)
		return
	}
	logger.Info("schema up to date", "applied", applied)

	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		logger.Error("connect to clickhouse", "err", err)
		return
	}
	defer conn.Close()
	// ... and for /readyz: pending, err := chdb.Pending(ctx, conn, cfg); ready when len(pending) == 0.
}
