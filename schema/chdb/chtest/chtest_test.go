package chtest_test

import (
	"context"
	"net"
	"testing"

	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

func TestNew(t *testing.T) {
	conn, cfg := chtest.New(t)
	var db string
	if err := conn.QueryRow(context.Background(), "SELECT currentDatabase()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if db != cfg.Database {
		t.Errorf("current database = %q, want %q", db, cfg.Database)
	}
	pending, err := chdb.Pending(context.Background(), conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("pending after New = %v, want none", pending)
	}
}

// recorder is a testing.TB that records Skipf and Fatalf instead of ending the test; Skip
// calls nothing else.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestSkipUnreachable(t *testing.T) {
	addr := closedAddr(t)
	if chtest.Reachable(addr) {
		t.Fatalf("Reachable(%s) = true for a closed port", addr)
	}
	tests := []struct {
		name                 string
		ci, e2e              string
		wantSkip, wantFailed bool
	}{
		{name: "laptop", wantSkip: true},
		{name: "ci", ci: "true", wantFailed: true},
		{name: "e2e", e2e: "1", wantFailed: true},
		{name: "ci false", ci: "false", e2e: "0", wantSkip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv("CSAT_E2E", tt.e2e)
			r := &recorder{TB: t}
			chtest.Skip(r, chdb.Config{Addr: []string{addr}})
			if r.skipped != tt.wantSkip || r.failed != tt.wantFailed {
				t.Errorf("skipped, failed = %v, %v; want %v, %v", r.skipped, r.failed, tt.wantSkip, tt.wantFailed)
			}
		})
	}
}
