// Package chtest gives tests a throwaway, migrated ClickHouse database on the real server.
//
// New connects to CSAT_CLICKHOUSE_ADDR (default 127.0.0.1:9000; the other CSAT_CLICKHOUSE_*
// variables apply too, CSAT_CLICKHOUSE_DATABASE excepted), creates a database
// csat_test_<random hex>, runs chdb.Migrate on it and drops it when the test ends, unless
// CSAT_KEEP_TEST_DB=1. Each test gets its own database, so tests of different packages may run
// in parallel against one server.
//
// When the server is unreachable, New skips the test with the reason, unless Required (CI=true
// or CSAT_E2E=1): then the test fails.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/caarlos0/env/v11"

	"github.com/csat-dev/csat/schema/chdb"
)

// setupTimeout bounds connecting, creating and migrating a test database, and dropping it.
const setupTimeout = 2 * time.Minute

// Required reports whether tests must have their services (CI=true or CSAT_E2E=1): an
// unreachable service is then a failure instead of a skip.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1"
}

// Reachable reports whether a TCP connection to addr (host:port) opens within two seconds.
func Reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	_ = c.Close() // only the connect mattered
	return true
}

// Config returns the connection configuration from the process environment (CSAT_CLICKHOUSE_*,
// with the defaults of chdb.Config), without a test database chosen yet.
func Config(t testing.TB) chdb.Config {
	t.Helper()
	// This helper stands in for cmd/ in tests: it is the one place that reads the environment.
	var cfg chdb.Config
	if err := env.Parse(&cfg); err != nil {
		t.Fatalf("chtest: parse CSAT_CLICKHOUSE_* environment: %v", err)
	}
	return cfg
}

// Skip skips t (or fails it, when Required) unless one of cfg's addresses is reachable.
func Skip(t testing.TB, cfg chdb.Config) {
	t.Helper()
	for _, a := range cfg.Addr {
		if Reachable(a) {
			return
		}
	}
	msg := "chtest: ClickHouse is not reachable at %v (CSAT_CLICKHOUSE_ADDR)"
	if Required() {
		t.Fatalf(msg+"; required because CI=true or CSAT_E2E=1", cfg.Addr)
		return
	}
	t.Skipf(msg+"; set CSAT_E2E=1 to make this a failure", cfg.Addr)
}

// New returns a connection to a fresh, migrated database csat_test_<random hex> and the
// configuration naming it (cfg.Database). The connection is closed and the database dropped
// when t ends, unless CSAT_KEEP_TEST_DB=1.
func New(t testing.TB) (driver.Conn, chdb.Config) {
	t.Helper()
	cfg := Config(t)
	Skip(t, cfg)
	cfg.Database = NewDatabaseName(t)

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	server, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() {
		if os.Getenv("CSAT_KEEP_TEST_DB") == "1" {
			t.Logf("chtest: keeping database %s (CSAT_KEEP_TEST_DB=1)", cfg.Database)
		} else {
			// t.Context() is already cancelled here.
			ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
			defer cancel()
			if err := server.Exec(ctx, "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
				t.Errorf("chtest: drop database %s: %v", cfg.Database, err)
			}
		}
		if err := server.Close(); err != nil {
			t.Errorf("chtest: close: %v", err)
		}
	})
	if _, err := chdb.Migrate(ctx, server, cfg, nil); err != nil {
		t.Fatalf("chtest: migrate %s: %v", cfg.Database, err)
	}
	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() { // runs before the drop above: cleanups run last-in first-out
		if err := conn.Close(); err != nil {
			t.Errorf("chtest: close: %v", err)
		}
	})
	return conn, cfg
}

// ServerVersion returns the version of the server at cfg's addresses (SELECT version()), such
// as "18.16.1" or "26.9.2.1". A test whose subject exists in ClickHouse's server program only
// uses it to say so and run on 18.16 alone: the current release of make test's second pass is
// chdb-core's embedded engine, which has no Kafka table engine, system.query_log or clusters.
func ServerVersion(t testing.TB, cfg chdb.Config) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	defer conn.Close()
	var v string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		t.Fatalf("chtest: server version: %v", err)
	}
	return v
}

// NewDatabaseName returns a fresh database name, csat_test_<16 hex digits>, without creating it.
func NewDatabaseName(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("chtest: random database name: %v", err)
	}
	return "csat_test_" + hex.EncodeToString(b[:])
}
