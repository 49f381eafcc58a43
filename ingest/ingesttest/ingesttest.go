// Package ingesttest runs ingest processes for tests that kill them: a test binary whose
// TestMain is IngestMain is run again by StartIngest as one ingester (csat ingest), which the
// test may SIGKILL at any moment and start again. It imports ingest, so only external test
// packages (ingest_test, e2e) can use it.
package ingesttest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// IngestChild is what a test binary run again needs to run one ingester (IngestMain).
type IngestChild struct {
	Config     ingest.Config
	Topics     schema.Topics
	ClickHouse chdb.Config
	Drain      bool // drain (until caught up) instead of running until SIGTERM
}

const ingestChildEnv = "CSAT_TEST_INGEST_CHILD"

// IngestMain is the TestMain of a test binary whose tests start ingest processes
// (StartIngest). Run again by StartIngest, the binary runs one ingester — with the options
// opts returns for its ClickHouse connection, when opts is not nil — and exits; else it runs
// the tests. With CSAT_TEST_LOG set the ingester logs to stderr.
func IngestMain(m *testing.M, opts func(driver.Conn) []ingest.Option) {
	if spec := os.Getenv(ingestChildEnv); spec != "" {
		os.Exit(runIngest(spec, opts))
	}
	os.Exit(m.Run())
}

// StartIngest starts an ingest process of spec (the test binary, whose TestMain is
// IngestMain), killed when t ends.
func StartIngest(t testing.TB, spec IngestChild) *kafkatest.Child {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return kafkatest.StartChild(t, ingestChildEnv+"="+string(b))
}

// runIngest runs one ingester until SIGTERM (or, with Drain, until caught up).
func runIngest(spec string, opts func(driver.Conn) []ingest.Option) int {
	var s IngestChild
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "child spec:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	conn, err := chdb.Open(ctx, s.ClickHouse)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open clickhouse:", err)
		return 2
	}
	defer conn.Close()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var logger *slog.Logger
	if os.Getenv("CSAT_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var o []ingest.Option
	if opts != nil {
		o = opts(conn)
	}
	dec := schema.NewDecoder(schema.DefaultCatalog(), s.Topics, loc)
	in, err := ingest.New(s.Config, dec, s.Topics, conn, logger, nil, o...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "new:", err)
		return 2
	}
	fmt.Println("child ready")
	if s.Drain {
		err = in.Drain(ctx)
	} else {
		err = in.Run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		return 1
	}
	return 0
}
