package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

// unusedConn is a ClickHouse connection that must not be used: ingest checks its topics before
// it writes anything (a call panics on the nil interface).
type unusedConn struct{ driver.Conn }

// TestMissingTopics: ingest refuses to start when an input topic or the dead-letter topic does
// not exist, and names the missing ones, instead of waiting in the group, not ready.
func TestMissingTopics(t *testing.T) {
	kafkatest.Need(t)
	conn := unusedConn{}
	tests := []struct {
		name    string
		create  func(tp schema.Topics) []string
		missing func(tp schema.Topics) []string
	}{
		{"dead-letter topic",
			func(tp schema.Topics) []string { return tp.Inputs() },
			func(tp schema.Topics) []string { return []string{tp.DLQ + " (dead letters)"} }},
		{"two inputs",
			func(tp schema.Topics) []string { return append(tp.Inputs()[2:], tp.DLQ) },
			func(tp schema.Topics) []string { return tp.Inputs()[:2] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := traffic.UniqueTopics("miss")
			kafkatest.CreateTopics(t, 1, tt.create(tp)...)
			cfg := ingest.DefaultConfig()
			cfg.Brokers = kafkatest.Brokers()
			cfg.Group = traffic.Unique("grp")
			dec := schema.NewDecoder(schema.DefaultCatalog(), tp, time.UTC)
			for _, drain := range []bool{false, true} {
				in, err := ingest.New(cfg, dec, tp, conn, testLogger(t), nil)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if drain {
					err = in.Drain(ctx)
				} else {
					err = in.Run(ctx)
				}
				cancel()
				if !errors.Is(err, ingest.ErrMissingTopics) {
					t.Fatalf("drain %v: err = %v, want ErrMissingTopics", drain, err)
				}
				want := strings.Join(tt.missing(tp), ", ")
				if !strings.Contains(err.Error(), ": "+want+"; ") {
					t.Errorf("drain %v: err = %q, want it to name exactly %s", drain, err, want)
				}
			}
		})
	}
}
