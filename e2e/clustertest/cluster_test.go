package clustertest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema/chdb"
)

var kpiTables = []string{"kpi_survey", "kpi_window", "kpi_complaints", "kpi_churn", "kpi_base"}

// TestReplicaCrash: one shard, two replicas. A real ingest load (with the projector) writes
// through server 1; server 1 is killed with kill -9 in the middle and started again. Afterwards
// both replicas hold every message exactly once, and the KPI statistics equal those of one
// server loaded with the same events.
func TestReplicaCrash(t *testing.T) {
	need(t, replicas)
	conn, cfg := clusterDB(t, replicas)
	for _, a := range replicas.addrs {
		checkSchema(t, node(t, a, cfg.Database), cfg.Database)
	}
	w := newWorld(t, 4, 60000)
	want := w.expected(t)
	ref := reference(t, w)

	proj := aggregate.NewProjector(conn, projectorConfig(), testLogger(), nil)
	icfg := ingestConfig(traffic.Unique("cluster-grp"))
	icfg.BatchRows = 1000 // many small inserts: the crash lands in the middle of the load
	reg := prometheus.NewRegistry()
	in, err := ingest.New(icfg, w.dec, w.topics, conn, testLogger(), reg, ingest.WithProjector(proj))
	if err != nil {
		t.Fatal(err)
	}
	defer logCounters(t, reg, "csat_ingest_retries_total", "csat_ingest_duplicates_dropped_total", "csat_ingest_projector_errors_total")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- in.Drain(ctx) }()

	// Kill server 1 (the one ingest writes to) once a quarter of the hotline rows are in.
	watch := node(t, replicas.addrs[1], cfg.Database)
	target := want["hotline_feedback"] / 4
	for {
		var n uint64
		if err := watch.QueryRow(ctx, "SELECT count() FROM hotline_feedback"+chdb.LocalSuffix).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= target {
			t.Logf("%d of %d hotline rows after %v: killing server 1", n, want["hotline_feedback"], time.Since(start).Round(time.Millisecond))
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the load ended (%v) before a quarter of it was written: make it bigger", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if out, err := script(ctx, "crash", replicas.name, "1"); err != nil {
		t.Fatalf("crash server 1: %v\n%s", err, out)
	}
	time.Sleep(3 * time.Second)
	if out, err := script(ctx, "start-node", replicas.name, "1"); err != nil {
		t.Fatalf("start server 1 again: %v\n%s", err, out)
	}
	t.Logf("server 1 back after %v", time.Since(start).Round(time.Millisecond))
	if err := <-done; err != nil {
		t.Fatalf("drain: %v", err)
	}
	t.Logf("load drained after %v", time.Since(start).Round(time.Millisecond))

	// Exactly once, on each replica.
	for i, a := range replicas.addrs {
		n := node(t, a, cfg.Database)
		syncReplicas(t, n, cfg.Database)
		got := localCounts(t, n)
		for _, tb := range rawTables {
			if g := got[tb]; g[0] != want[tb] || g[1] != want[tb] {
				t.Errorf("server %d %s: count() = %d, distinct offsets = %d, want %d", i+1, tb, g[0], g[1], want[tb])
			}
		}
	}
	compareKPIs(t, conn, ref)

	// A rebuild writes new versions and drops the old ones' partitions on both replicas.
	if err := proj.Rebuild(ctx, 0); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	for i, a := range replicas.addrs {
		n := node(t, a, cfg.Database)
		syncReplicas(t, n, cfg.Database)
		checkOneVersion(t, fmt.Sprintf("server %d", i+1), n)
	}
	compareKPIs(t, conn, ref)
}

// TestShardsMerge: two shards. Migrations are idempotent on the cluster; each Kafka partition's
// rows live on one shard; reads through the Distributed tables merge both shards (duplicates of
// an event on different shards are counted once) and equal one server's numbers.
func TestShardsMerge(t *testing.T) {
	need(t, shards)
	conn, cfg := clusterDB(t, shards)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	nodes := []driver.Conn{node(t, shards.addrs[0], cfg.Database), node(t, shards.addrs[1], cfg.Database)}
	for _, n := range nodes {
		checkSchema(t, n, cfg.Database)
	}
	if applied, err := chdb.Migrate(ctx, conn, cfg, nil); err != nil || len(applied) != 0 {
		t.Errorf("second migrate: applied %v, err %v; want nothing", applied, err)
	}
	if pending, err := chdb.Pending(ctx, conn, cfg); err != nil || len(pending) != 0 {
		t.Errorf("pending %v, err %v; want none", pending, err)
	}
	var recorded uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(version) FROM "+chdb.MigrationsTable).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if ms, _ := chdb.Migrations(); recorded != uint64(len(ms)) {
		t.Errorf("%s records %d versions, want %d", chdb.MigrationsTable, recorded, len(ms))
	}

	w := newWorld(t, 4, 30000)
	want := w.expected(t)
	ref := reference(t, w)
	proj := aggregate.NewProjector(conn, projectorConfig(), testLogger(), nil)
	group := traffic.Unique("cluster-grp")
	in, err := ingest.New(ingestConfig(group), w.dec, w.topics, conn, testLogger(), nil, ingest.WithProjector(proj))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := in.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	t.Logf("load drained after %v", time.Since(start).Round(time.Millisecond))

	// Every message once in total; each Kafka partition on exactly one shard; both shards used.
	sum := map[string]uint64{}
	var parts [2][]int32
	for i, n := range nodes {
		for tb, c := range localCounts(t, n) {
			sum[tb] += c[0]
		}
		rows, err := n.Query(ctx, "SELECT DISTINCT kafka_partition FROM hotline_feedback"+chdb.LocalSuffix+" ORDER BY kafka_partition")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p int32
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			parts[i] = append(parts[i], p)
		}
		rows.Close()
	}
	for _, tb := range rawTables {
		if sum[tb] != want[tb] {
			t.Errorf("%s: %d rows over both shards, want %d", tb, sum[tb], want[tb])
		}
		var d uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+tb).Scan(&d); err != nil {
			t.Fatal(err)
		}
		if d != want[tb] {
			t.Errorf("%s: count() through the Distributed table = %d, want %d", tb, d, want[tb])
		}
	}
	if len(parts[0]) == 0 || len(parts[1]) == 0 {
		t.Errorf("hotline partitions by shard %v: want rows on both shards", parts)
	}
	for _, p := range parts[0] {
		if slices.Contains(parts[1], p) {
			t.Errorf("kafka partition %d has rows on both shards (%v)", p, parts)
		}
	}
	compareKPIs(t, conn, ref)

	if err := proj.Rebuild(ctx, 0); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	for i, n := range nodes {
		checkOneVersion(t, fmt.Sprintf("shard %d", i+1), n)
	}
	compareKPIs(t, conn, ref)
	compareAsOf(t, ctx, conn, w, group, proj)
}

// checkOneVersion fails unless every projection's local table on one server holds at most two
// versions per month (the committed one and the one it superseded, kept for reads in flight):
// older versions' partitions were dropped there too.
func checkOneVersion(t *testing.T, where string, conn driver.Conn) {
	t.Helper()
	for _, tb := range kpiTables {
		var bad uint64
		q := "SELECT count() FROM (SELECT month FROM " + tb + chdb.LocalSuffix + " GROUP BY month HAVING uniqExact(version) > 2)"
		if err := conn.QueryRow(context.Background(), q).Scan(&bad); err != nil {
			t.Fatalf("%s: %s: %v", where, q, err)
		}
		if bad != 0 {
			t.Errorf("%s: %s%s holds more than two versions of %d months", where, tb, chdb.LocalSuffix, bad)
		}
	}
}

// TestDropPartition: chdb.DropPartition on a Distributed table drops the partition from the
// local table of every shard, and leaves the other partitions.
func TestDropPartition(t *testing.T) {
	need(t, shards)
	conn, cfg := clusterDB(t, shards)
	ctx := context.Background()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO kpi_churn (month, version, branch_id, parent_id, level, churned, churned_high, churned_mid, churned_low)")
	if err != nil {
		t.Fatal(err)
	}
	for v := uint64(1); v <= 2; v++ {
		for i := range 40 { // 40 branches: both shards get rows of each version
			br := fmt.Sprintf("GD-B%d", i)
			if err := b.Append(uint32(202610), v, br, "GD", uint8(2), uint64(i), uint64(0), uint64(0), uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	for i, a := range shards.addrs {
		var n uint64
		if err := node(t, a, cfg.Database).QueryRow(ctx, "SELECT count() FROM kpi_churn_local WHERE version = 1").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("shard %d holds no row of version 1: the test needs both", i+1)
		}
	}
	if err := chdb.DropPartition(ctx, conn, cfg.Database+".kpi_churn", "tuple(202610, 1)"); err != nil {
		t.Fatal(err)
	}
	for i, a := range shards.addrs {
		var v1, v2 uint64
		if err := node(t, a, cfg.Database).QueryRow(ctx, "SELECT countIf(version = 1), countIf(version = 2) FROM kpi_churn_local").Scan(&v1, &v2); err != nil {
			t.Fatal(err)
		}
		if v1 != 0 || v2 == 0 {
			t.Errorf("shard %d after dropping version 1: %d rows of version 1, %d of version 2", i+1, v1, v2)
		}
	}
	var total uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM kpi_churn").Scan(&total); err != nil || total != 40 {
		t.Errorf("through the Distributed table: %d rows (%v), want 40", total, err)
	}
	// The same call on a name without database uses the connection's database.
	if err := chdb.DropPartition(ctx, conn, "kpi_churn", "tuple(202610, 2)"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM kpi_churn").Scan(&total); err != nil || total != 0 {
		t.Errorf("after dropping version 2: %d rows (%v), want 0", total, err)
	}
}

// logCounters logs the named counters of reg with their labels: what the crash cost.
func logCounters(t *testing.T, reg *prometheus.Registry, names ...string) {
	mfs, err := reg.Gather()
	if err != nil {
		t.Log(err)
		return
	}
	for _, mf := range mfs {
		if !slices.Contains(names, mf.GetName()) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			t.Logf("%s%v = %v", mf.GetName(), labels, m.GetCounter().GetValue())
		}
	}
}
