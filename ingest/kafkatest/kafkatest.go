// Package kafkatest connects tests to the real Kafka named by CSAT_KAFKA_BROKERS (default
// 127.0.0.1:9092) and gives them throwaway topics, deleted when the test ends. The topics,
// writers and event mixes themselves come from ingest/traffic, which benchmarks use too; this
// package adds what only a test needs (testing.TB, the environment, the skip-or-fail switch).
//
// Reachability follows the project's test switch: when the broker cannot be reached the test is
// skipped with a reason, unless CI=true or CSAT_E2E=1, in which case it fails.
package kafkatest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

// Brokers returns the broker addresses of CSAT_KAFKA_BROKERS, or 127.0.0.1:9092.
func Brokers() []string {
	if v := os.Getenv("CSAT_KAFKA_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"127.0.0.1:9092"}
}

// Required reports whether an unreachable service must fail the test (CI=true or CSAT_E2E=1).
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1"
}

// Need skips (or, when Required, fails) t unless the broker answers, and returns the brokers.
func Need(t testing.TB) []string {
	t.Helper()
	brokers := Brokers()
	conn, err := kafka.DialContext(context.Background(), "tcp", brokers[0])
	if err == nil {
		_, err = conn.Brokers()
		_ = conn.Close()
	}
	if err != nil {
		if Required() {
			t.Fatalf("kafka at %v unreachable (CI=true or CSAT_E2E=1): %v", brokers, err)
		}
		t.Skipf("kafka at %v unreachable, skipping (set CSAT_E2E=1 to fail instead): %v", brokers, err)
	}
	return brokers
}

// CreateTopics creates each topic with the given number of partitions (replication factor 1,
// max.message.bytes 4 MiB) on the controller, waits until every partition has a leader, and
// deletes the topics when t ends.
func CreateTopics(t testing.TB, partitions int, topics ...string) {
	t.Helper()
	if err := traffic.Create(context.Background(), Brokers(), partitions, topics...); err != nil {
		t.Fatalf("create topics %v: %v", topics, err)
	}
	t.Cleanup(func() {
		if err := traffic.Delete(context.Background(), Brokers(), topics...); err != nil {
			t.Logf("delete topics %v: %v", topics, err)
		}
	})
}

// Writer returns a synchronous writer for tests (acks=all, small batch timeout), closed when t
// ends. Messages without a Partition-aware balancer are hashed by key.
func Writer(t testing.TB) *kafka.Writer {
	t.Helper()
	w := traffic.NewWriter(Brokers())
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// CreateAll creates every topic of tp (inputs and dead letters) with partitions partitions,
// deleted when t ends.
func CreateAll(t testing.TB, tp schema.Topics, partitions int) {
	t.Helper()
	all := append(tp.Inputs(), tp.DLQ)
	if err := traffic.Create(context.Background(), Brokers(), partitions, all...); err != nil {
		t.Fatalf("create topics: %v", err)
	}
	t.Cleanup(func() {
		if err := traffic.Delete(context.Background(), Brokers(), all...); err != nil {
			t.Logf("delete topics: %v", err)
		}
	})
}
