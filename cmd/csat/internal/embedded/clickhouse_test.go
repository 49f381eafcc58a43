package embedded

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestStartClickHouse(t *testing.T) {
	if _, err := findServer(); err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ch, err := StartClickHouse(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Stop()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var one uint8
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	ch.Stop()
	ch.Stop() // idempotent
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("server still answers after Stop")
	} else if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}
