package clustertest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/e2e/approx"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
	"github.com/csat-dev/csat/schema/store"
)

// layout is one cluster layout of scripts/cluster.sh.
type layout struct {
	name    string   // the script's layout argument
	cluster string   // <remote_servers> name
	addrs   []string // native-protocol addresses of server 1 and 2
}

var (
	replicas = layout{name: "replicas", cluster: "csat_replicas", addrs: []string{"127.0.0.1:9101", "127.0.0.1:9102"}}
	shards   = layout{name: "shards", cluster: "csat_shards", addrs: []string{"127.0.0.1:9111", "127.0.0.1:9112"}}
)

// rawTables are the tables ingest writes (the storage contract's raw tables and the dead
// letters'), each sharded by kafka_partition.
var rawTables = func() []string {
	var out []string
	for _, id := range store.RawTables() {
		out = append(out, id.Name())
	}
	return append(out, store.RejectedTable)
}()

func required() bool { return os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" }

func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close() // only the connect mattered
	return true
}

func zkAddr() string {
	p := os.Getenv("CSAT_ZK_PORT")
	if p == "" {
		p = "2182"
	}
	return "127.0.0.1:" + p
}

func (l layout) up() bool {
	for _, a := range append([]string{zkAddr()}, l.addrs...) {
		if !reachable(a) {
			return false
		}
	}
	return true
}

// clusterScript is the path of scripts/cluster.sh, and root the repository's.
func clusterScript() (script, root string) {
	_, file, _, _ := runtime.Caller(0)
	root = filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(root, "scripts", "cluster.sh"), root
}

// script runs scripts/cluster.sh with args and returns its output.
func script(ctx context.Context, args ...string) (string, error) {
	path, root := clusterScript()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", append([]string{path}, args...)...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second // a server left running must not hold us through a pipe
	err := cmd.Run()
	return out.String(), err
}

// need skips t unless the layout is running; when required (CI=true, CSAT_E2E=1) it starts it
// instead, and fails if that fails. What it starts — the layout's servers, and ZooKeeper when it
// was not running — is stopped when the test binary ends (started, TestMain), however it ends;
// a layout that was already running is left as it was.
func need(t *testing.T, l layout) {
	t.Helper()
	kafkatest.Need(t)
	chtest.Skip(t, chtest.Config(t))
	if l.up() {
		return
	}
	if !required() {
		t.Skipf("cluster layout %s is not running (ZooKeeper %s, servers %v): start it with scripts/cluster.sh up %s, or set CSAT_E2E=1",
			l.name, zkAddr(), l.addrs, l.name)
	}
	path, _ := clusterScript()
	if !reachable(zkAddr()) {
		if err := started.add(path, "down", "zookeeper"); err != nil {
			t.Fatal(err)
		}
	}
	if err := started.add(path, "down", l.name); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if out, err := script(ctx, "up", l.name); err != nil || !l.up() {
		t.Fatalf("scripts/cluster.sh up %s: %v\n%s", l.name, err, out)
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("CSAT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// clusterDB migrates a fresh database in cluster mode on l and returns a connection to it (the
// cluster-mode Open) and its configuration. The database is dropped ON CLUSTER when t ends.
func clusterDB(t *testing.T, l layout) (driver.Conn, chdb.Config) {
	t.Helper()
	cfg := chtest.Config(t)
	cfg.Addr = l.addrs
	cfg.Cluster = l.cluster
	cfg.Database = chtest.NewDatabaseName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	server, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if os.Getenv("CSAT_KEEP_TEST_DB") != "1" {
			dctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"distributed_ddl_task_timeout": 30}))
			err := server.Exec(dctx, "DROP DATABASE IF EXISTS `"+cfg.Database+"` ON CLUSTER `"+cfg.Cluster+"`")
			var ex *clickhouse.Exception
			switch {
			case errors.As(err, &ex) && ex.Code == 159:
				// distributed_ddl_task_timeout: a host (the one a test killed and restarted)
				// has not run the DROP yet; ClickHouse runs it there in the background.
				t.Logf("drop %s on cluster: not done on every host in time, left to the background: %v", cfg.Database, err)
			case err != nil:
				t.Errorf("drop %s on cluster: %v", cfg.Database, err)
			}
		}
		if err := server.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	applied, err := chdb.Migrate(ctx, server, cfg, testLogger())
	if err != nil {
		t.Fatalf("migrate %s on cluster %s: %v", cfg.Database, cfg.Cluster, err)
	}
	if len(applied) == 0 {
		t.Fatal("migrate applied nothing to a fresh database")
	}
	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return conn, cfg
}

// node opens a plain connection to one server of the cluster (no cluster settings), on db.
func node(t *testing.T, addr, db string) driver.Conn {
	t.Helper()
	cfg := chtest.Config(t)
	cfg.Addr = []string{addr}
	cfg.Database = db
	cfg.MaxOpenConns = 2
	var (
		conn driver.Conn
		err  error
	)
	for range 60 { // a server just restarted may need a moment
		if conn, err = chdb.Open(context.Background(), cfg); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func projectorConfig() aggregate.ProjectorConfig {
	return aggregate.ProjectorConfig{Catalog: schema.DefaultCatalog(), SLAHours: 48}
}

// world is one test's input: its topics (created) and the messages produced to them.
type world struct {
	topics schema.Topics
	dec    *schema.Decoder
	msgs   []kafka.Message
	now    time.Time // the generator's Now: events fall in the 20 days before it
}

// newWorld creates fresh topics with partitions partitions and produces n messages of the
// realistic mix to them, with every tenth message followed later by a resend (same value, new
// offset) and a few survey voids, some before their response.
func newWorld(t *testing.T, partitions, n int) *world {
	t.Helper()
	tp := traffic.UniqueTopics("cluster")
	kafkatest.CreateAll(t, tp, partitions)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	g := traffic.NewGen(11, tp)
	// Events fall in the 20 days before Now: the 10th of last month spreads them over two months.
	now := time.Now().In(loc)
	g.Now = time.Date(now.Year(), now.Month()-1, 10, 12, 0, 0, 0, loc)
	var msgs []kafka.Message
	for i := range n {
		msgs = append(msgs, g.Next())
		if i%10 == 5 {
			o := msgs[i/2]
			msgs = append(msgs, kafka.Message{Topic: o.Topic, Key: []byte(fmt.Sprintf("resend-%d", i)), Value: o.Value})
		}
	}
	at := g.Now.Add(-48 * time.Hour)
	for i := range 60 {
		rid := fmt.Sprintf("resp-%d", i)
		resp := g.Event(schema.TypeSurveyResponse, rid, at)
		void := g.Void(fmt.Sprintf("void-%d", i), rid, at.Add(time.Hour))
		if i%3 == 0 {
			msgs = append(msgs, void, resp)
		} else {
			msgs = append(msgs, resp)
			if i%3 == 1 {
				msgs = append(msgs, void)
			}
		}
	}
	w := &world{topics: tp, dec: schema.NewDecoder(schema.DefaultCatalog(), tp, loc), msgs: msgs, now: g.Now}
	if err := traffic.Produce(context.Background(), kafkatest.Writer(t), msgs); err != nil {
		t.Fatal(err)
	}
	return w
}

// events decodes every message (all are valid).
func (w *world) events(t *testing.T) []schema.Event {
	t.Helper()
	evs := make([]schema.Event, 0, len(w.msgs))
	for _, m := range w.msgs {
		ev, err := w.dec.Decode(m.Topic, m.Value)
		if err != nil {
			t.Fatalf("generated message rejected: %v", err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// expected is the number of rows each raw table must hold: one per message.
func (w *world) expected(t *testing.T) map[string]uint64 {
	want := map[string]uint64{}
	for _, tb := range rawTables {
		want[tb] = 0
	}
	for _, ev := range w.events(t) {
		want[tableName(ev.Env().Type)]++
	}
	return want
}

func tableName(t schema.Type) string {
	id, _ := store.TableOf(t)
	return id.Name()
}

func ingestConfig(group string) ingest.Config {
	cfg := ingest.DefaultConfig()
	cfg.Brokers = kafkatest.Brokers()
	cfg.Group = group
	cfg.SessionTimeout = 6 * time.Second
	cfg.RebalanceTimeout = 10 * time.Second
	cfg.BatchInterval = 100 * time.Millisecond
	cfg.RetryMax = 2 * time.Second
	cfg.InsertTimeout = 20 * time.Second
	cfg.ProjectInterval = time.Second
	return cfg
}

// reference loads w's events into a fresh single-server database (the ordinary test server)
// and projects every month: the numbers the cluster must reproduce.
func reference(t *testing.T, w *world) driver.Conn {
	t.Helper()
	conn, _ := chtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := ingest.InsertEvents(ctx, conn, w.events(t)); err != nil {
		t.Fatalf("load the reference: %v", err)
	}
	if err := aggregate.NewProjector(conn, projectorConfig(), nil, nil).Rebuild(ctx, 0); err != nil {
		t.Fatalf("project the reference: %v", err)
	}
	return conn
}

// months lists the months with a committed version in conn's database.
func months(t *testing.T, conn driver.Conn) []schema.Month {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT DISTINCT month FROM kpi_versions ORDER BY month")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []schema.Month
	for rows.Next() {
		var m uint32
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, schema.Month(m))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareKPIs fails unless every branch's statistics of every month, and the KPI card of ALL
// and of each province, are the same read from got (the cluster) as from want (one server).
// Floating-point sums may differ in the last bits (another summation order), nothing more.
func compareKPIs(t *testing.T, got, want driver.Conn) {
	t.Helper()
	ctx := context.Background()
	ms := months(t, want)
	if len(ms) == 0 {
		t.Fatal("the reference has no projected month")
	}
	if g := months(t, got); fmt.Sprint(g) != fmt.Sprint(ms) {
		t.Errorf("projected months: cluster %v, single server %v", g, ms)
	}
	cat := schema.DefaultCatalog()
	kcfg := kpi.DefaultConfig()
	eg := aggregate.NewEngine(got, kcfg, cat, nil, nil)
	ew := aggregate.NewEngine(want, kcfg, cat, nil, nil)
	branches := 0
	for _, m := range ms {
		dg, err := eg.AllData(ctx, m)
		if err != nil {
			t.Fatalf("cluster AllData %s: %v", m, err)
		}
		dw, err := ew.AllData(ctx, m)
		if err != nil {
			t.Fatalf("single server AllData %s: %v", m, err)
		}
		if len(dg) != len(dw) {
			t.Errorf("%s: %d branches on the cluster, %d on one server", m, len(dg), len(dw))
		}
		for b, w := range dw {
			branches++
			if diff := approx.Diff(dg[b], w); diff != "" {
				t.Errorf("%s %s: statistics differ: %s", m, b, diff)
			}
		}
	}
	if branches == 0 {
		t.Fatal("no branch compared")
	}
	t.Logf("compared the statistics of %d (branch, month) pairs over %d months", branches, len(ms))
}

// localCounts returns count() and the distinct (topic, partition, offset) of every raw table's
// local table on one server.
func localCounts(t *testing.T, conn driver.Conn) map[string][2]uint64 {
	t.Helper()
	out := map[string][2]uint64{}
	for _, tb := range rawTables {
		var rows, distinct uint64
		q := fmt.Sprintf("SELECT count(), uniqExact(kafka_topic, kafka_partition, kafka_offset) FROM %s%s", tb, chdb.LocalSuffix)
		if err := conn.QueryRow(context.Background(), q).Scan(&rows, &distinct); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[tb] = [2]uint64{rows, distinct}
	}
	return out
}

// syncReplicas waits until conn's server has fetched every part its replicas announced for
// every local table of db.
func syncReplicas(t *testing.T, conn driver.Conn, db string) {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT name FROM system.tables WHERE database = ? AND engine LIKE 'Replicated%'", db)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, n := range names {
		if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA `"+db+"`.`"+n+"`"); err != nil {
			t.Fatalf("sync replica %s: %v", n, err)
		}
	}
}

func tableEngines(t *testing.T, conn driver.Conn, db string) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT name, engine FROM system.tables WHERE database = ?", db)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, e string
		if err := rows.Scan(&n, &e); err != nil {
			t.Fatal(err)
		}
		out[n] = e
	}
	return out
}

// checkSchema fails unless every table of the single-server schema exists on the server as a
// Distributed table over a Replicated* local table.
func checkSchema(t *testing.T, conn driver.Conn, db string) {
	t.Helper()
	eng := tableEngines(t, conn, db)
	names := append([]string{chdb.MigrationsTable}, rawTables...)
	names = append(names, "kpi_dirty", "kpi_versions", "kpi_survey", "kpi_window", "kpi_complaints", "kpi_churn", "kpi_base")
	for _, n := range names {
		if eng[n] != "Distributed" {
			t.Errorf("%s: engine %q, want Distributed", n, eng[n])
		}
		if l := eng[n+chdb.LocalSuffix]; !strings.HasPrefix(l, "Replicated") {
			t.Errorf("%s%s: engine %q, want Replicated*", n, chdb.LocalSuffix, l)
		}
	}
}

// compareAsOf checks, through the Distributed tables, reads as of a moment between two drains:
// after the moment it produces new events and copies of events already ingested (resends) and
// drains them with the projector; then, for the company and for the subtree of the first county
// (whose corrections search for the events that differ below the root), in every projected
// month, the fast path (a kept base plus its correction) equals the reference path over the raw
// rows, and the moment cuts the data.
func compareAsOf(t *testing.T, ctx context.Context, conn driver.Conn, w *world, group string, proj *aggregate.Projector) {
	t.Helper()
	time.Sleep(1100 * time.Millisecond) // ingested_at has a resolution of one second
	at := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	g := traffic.NewGen(12, w.topics)
	g.Now = w.now
	var more []kafka.Message
	for range 2000 {
		more = append(more, g.Next())
	}
	for i := 0; i < len(w.msgs); i += 50 {
		o := w.msgs[i]
		more = append(more, kafka.Message{Topic: o.Topic, Key: []byte(fmt.Sprintf("late-resend-%d", i)), Value: o.Value})
	}
	if err := traffic.Produce(ctx, kafkatest.Writer(t), more); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingestConfig(group), w.dec, w.topics, conn, testLogger(), nil, ingest.WithProjector(proj))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Drain(ctx); err != nil {
		t.Fatalf("second drain: %v", err)
	}

	e := aggregate.NewEngine(conn, kpi.DefaultConfig(), schema.DefaultCatalog(), nil, nil)
	var county string
	if err := conn.QueryRow(ctx, "SELECT min(branch_id) FROM hotline_feedback WHERE length(splitByChar('-', branch_id)) = 3").Scan(&county); err != nil {
		t.Fatal(err)
	}
	compared, cut := 0, false
	for _, m := range months(t, conn) {
		live, err := e.SubtreeData(ctx, schema.Root, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, root := range []string{schema.Root, county} {
			fast, err := e.AsOf(at).SubtreeData(ctx, root, m)
			if err != nil {
				t.Fatalf("fast as of %s, %s %s: %v", at, root, m, err)
			}
			ref, err := e.AsOfReference(at).SubtreeData(ctx, root, m)
			if err != nil {
				t.Fatalf("reference as of %s, %s %s: %v", at, root, m, err)
			}
			if len(fast) != len(ref) {
				t.Errorf("as of %s, %s %s: %d branches fast, %d by the raw rows", at, root, m, len(fast), len(ref))
			}
			for b, w := range ref {
				compared++
				if diff := approx.Diff(fast[b], w); diff != "" {
					t.Errorf("as of %s, %s %s, %s: fast differs from the raw rows: %s", at, root, m, b, diff)
				}
				if w.Window.HotlineN < live[b].Window.HotlineN {
					cut = true
				}
			}
		}
	}
	if compared == 0 || !cut {
		t.Fatalf("as of %s: %d (branch, month) pairs compared, rows after the moment: %v; want both", at, compared, cut)
	}
	t.Logf("as of %s: fast equals the raw rows on %d (branch, month) pairs", at.Format(time.TimeOnly), compared)
}
