package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
	"github.com/csat-dev/csat/schema/store"
)

// env is one test's world: its own topics, group and ClickHouse database.
type env struct {
	t      testing.TB
	topics schema.Topics
	group  string
	conn   driver.Conn
	db     string
	w      *kafka.Writer
	dec    *schema.Decoder
}

func newEnv(t testing.TB, partitions int) *env {
	t.Helper()
	kafkatest.Need(t)
	conn, chcfg := chtest.New(t)
	tp := traffic.UniqueTopics("it")
	kafkatest.CreateAll(t, tp, partitions)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, topics: tp, group: traffic.Unique("grp"), conn: conn, db: chcfg.Database,
		w: kafkatest.Writer(t), dec: schema.NewDecoder(schema.DefaultCatalog(), tp, loc)}
}

func (e *env) config() ingest.Config {
	cfg := ingest.DefaultConfig()
	cfg.Brokers = kafkatest.Brokers()
	cfg.Group = e.group
	cfg.SessionTimeout = 6 * time.Second
	cfg.RebalanceTimeout = 10 * time.Second
	cfg.BatchInterval = 200 * time.Millisecond
	cfg.RetryMax = time.Second
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("CSAT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (e *env) ingester(cfg ingest.Config, opts ...ingest.Option) *ingest.Ingester {
	e.t.Helper()
	in, err := ingest.New(cfg, e.dec, e.topics, e.conn, testLogger(e.t), nil, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

func (e *env) produce(msgs []kafka.Message) {
	e.t.Helper()
	if err := traffic.Produce(context.Background(), e.w, msgs); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) drain(cfg ingest.Config) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := e.ingester(cfg).Drain(ctx); err != nil {
		e.t.Fatalf("drain: %v", err)
	}
}

// rawTables are the storage contract's raw tables and the dead letters' table.
var rawTables = func() []string {
	var out []string
	for _, id := range store.RawTables() {
		out = append(out, id.Name())
	}
	return append(out, store.RejectedTable)
}()

// tableCount is count() and uniqExact((kafka_topic, kafka_partition, kafka_offset)) of a table.
type tableCount struct{ rows, distinct uint64 }

func (e *env) counts() map[string]tableCount {
	e.t.Helper()
	out := map[string]tableCount{}
	for _, tb := range rawTables {
		var c tableCount
		q := fmt.Sprintf("SELECT count(), uniqExact(kafka_topic, kafka_partition, kafka_offset) FROM %s", tb)
		if err := e.conn.QueryRow(context.Background(), q).Scan(&c.rows, &c.distinct); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
		out[tb] = c
	}
	return out
}

// tableOfTopic maps a valid message to its raw table by decoding it.
func (e *env) expected(msgs []kafka.Message) map[string]uint64 {
	want := map[string]uint64{}
	for _, tb := range rawTables {
		want[tb] = 0
	}
	for _, m := range msgs {
		ev, err := e.dec.Decode(m.Topic, m.Value)
		if err != nil {
			want["rejected_events"]++
			continue
		}
		want[tableName(ev.Env().Type)]++
	}
	return want
}

func tableName(t schema.Type) string {
	if id, ok := store.TableOf(t); ok {
		return id.Name()
	}
	return "?"
}

// checkExact fails unless every table holds exactly want rows, each (partition, offset) once.
func (e *env) checkExact(want map[string]uint64) {
	e.t.Helper()
	got := e.counts()
	for _, tb := range rawTables {
		g := got[tb]
		if g.rows != want[tb] || g.distinct != want[tb] {
			e.t.Errorf("%s: count() = %d, distinct offsets = %d, want %d", tb, g.rows, g.distinct, want[tb])
		}
	}
}

func chdbConfig(t testing.TB) chdb.Config { return chtest.Config(t) }
