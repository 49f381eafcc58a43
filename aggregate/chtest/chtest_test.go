package chtest_test

import (
	"context"
	"testing"

	"github.com/csat-dev/csat/aggregate/chtest"
	"github.com/csat-dev/csat/schema/chdb"
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
