package chdb_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

func clusterConfig() chdb.Config {
	return chdb.Config{Addr: []string{"127.0.0.1:9000"}, Database: "csat", User: "default",
		DialTimeout: 1, MaxOpenConns: 1, Cluster: "prod"}
}

func TestClusterStatementsSingleServer(t *testing.T) {
	cfg := clusterConfig()
	cfg.Cluster = ""
	for _, m := range allMigrations(t) {
		for _, s := range m.Statements {
			got, err := chdb.ClusterStatements(cfg, s)
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			if len(got) != 1 || got[0] != strings.TrimSpace(s) {
				t.Errorf("%s: without a cluster the statement must be unchanged, got %q", m.Name, got)
			}
		}
	}
}

// Every embedded migration is rewritten into a replicated local table and a Distributed table
// with the documented sharding key.
func TestClusterStatementsMigrations(t *testing.T) {
	cfg := clusterConfig()
	wantKey := map[string]string{
		"survey_responses": "kafka_partition", "survey_voids": "kafka_partition",
		"hotline_feedback": "kafka_partition", "store_feedback": "kafka_partition",
		"complaints_opened": "kafka_partition", "complaints_closed": "kafka_partition",
		"churn_events": "kafka_partition", "subscriber_bases": "kafka_partition",
		"rejected_events": "kafka_partition",
		"kpi_dirty":       "rand()", "kpi_versions": "rand()",
		"kpi_survey": "cityHash64(branch_id)", "kpi_window": "cityHash64(branch_id)",
		"kpi_complaints": "cityHash64(branch_id)", "kpi_churn": "cityHash64(branch_id)",
		"kpi_base": "cityHash64(branch_id)",
	}
	localRE := regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `csat`.`([a-z_]+)_local` ON CLUSTER `prod` \\(.*\\) " +
		"ENGINE = Replicated([A-Za-z]*MergeTree)\\('/clickhouse/tables/\\{shard\\}/csat/([a-z_]+)', '\\{replica\\}'(.*?)\\)(.*)$")
	distRE := regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `csat`.`([a-z_]+)` ON CLUSTER `prod` \\(.*\\) " +
		"ENGINE = Distributed\\(`prod`, `csat`, `([a-z_]+)_local`, (.*)\\)$")
	alterRE := regexp.MustCompile("^ALTER TABLE `csat`.`([a-z_]+)_local` ON CLUSTER `prod` ADD COLUMN ")
	seen := map[string]bool{}
	for _, m := range allMigrations(t) {
		for _, s := range m.Statements {
			got, err := chdb.ClusterStatements(cfg, s)
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			if len(got) != 2 {
				t.Fatalf("%s: got %d statements, want 2", m.Name, len(got))
			}
			if a := alterRE.FindStringSubmatch(got[0]); a != nil {
				// An ALTER goes to the local table ON CLUSTER and to the Distributed one on every
				// host (Migrate runs it per host).
				if want := strings.Replace(strings.Replace(got[0], "`"+a[1]+"_local`", "`"+a[1]+"`", 1), " ON CLUSTER `prod` ", " ", 1); got[1] != want || !strings.Contains(s, " "+a[1]+" ") {
					t.Errorf("%s: ALTER rewrite:\n%s\n%s", m.Name, got[0], got[1])
				}
				continue
			}
			l := localRE.FindStringSubmatch(strings.Join(strings.Fields(got[0]), " "))
			d := distRE.FindStringSubmatch(strings.Join(strings.Fields(got[1]), " "))
			if l == nil || d == nil {
				t.Fatalf("%s: unexpected rewrite:\n%s\n%s", m.Name, got[0], got[1])
			}
			table := d[1]
			seen[table] = true
			if l[1] != table || l[3] != table || d[2] != table {
				t.Errorf("%s: names differ: %q", table, []string{l[1], l[3], d[2]})
			}
			if !strings.Contains(s, "ENGINE = "+l[2]+"(") {
				t.Errorf("%s: local engine Replicated%s does not match the statement's", table, l[2])
			}
			if strings.Contains(s, "PARTITION BY") != strings.Contains(l[5], "PARTITION BY") ||
				!strings.Contains(l[5], "ORDER BY") {
				t.Errorf("%s: clauses lost: %q", table, l[5])
			}
			if want, ok := wantKey[table]; ok && d[3] != want || !ok && d[3] == "" {
				t.Errorf("%s: sharding key %q, want %q", table, d[3], want)
			}
		}
	}
	for table := range wantKey {
		if table != "rejected_events" && !seen[table] {
			t.Errorf("no migration creates %s", table)
		}
	}
	if !seen["rejected_events"] {
		t.Error("no migration creates rejected_events")
	}
}

func TestClusterStatements(t *testing.T) {
	cfg := clusterConfig()
	tests := []struct {
		name    string
		stmt    string
		want    []string
		wantErr bool
	}{
		{
			name: "engine arguments kept after path and replica",
			stmt: "CREATE TABLE IF NOT EXISTS d (family String, marked_at UInt64) ENGINE = ReplacingMergeTree(marked_at) ORDER BY (family)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS `csat`.`d_local` ON CLUSTER `prod` (family String, marked_at UInt64) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/csat/d', '{replica}', marked_at) ORDER BY (family)",
				"CREATE TABLE IF NOT EXISTS `csat`.`d` ON CLUSTER `prod` (family String, marked_at UInt64) ENGINE = Distributed(`prod`, `csat`, `d_local`, rand())",
			},
		},
		{
			name: "qualified name, nested types and quotes in the columns",
			stmt: "CREATE TABLE IF NOT EXISTS `x`.t (a Array(Tuple(String, UInt8)), b String DEFAULT 'a,(b', branch_id String) ENGINE = MergeTree() PARTITION BY tuple(a) ORDER BY b SETTINGS index_granularity = 8192",
			want: []string{
				"CREATE TABLE IF NOT EXISTS `csat`.`t_local` ON CLUSTER `prod` (a Array(Tuple(String, UInt8)), b String DEFAULT 'a,(b', branch_id String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/csat/t', '{replica}') PARTITION BY tuple(a) ORDER BY b SETTINGS index_granularity = 8192",
				"CREATE TABLE IF NOT EXISTS `csat`.`t` ON CLUSTER `prod` (a Array(Tuple(String, UInt8)), b String DEFAULT 'a,(b', branch_id String) ENGINE = Distributed(`prod`, `csat`, `t_local`, cityHash64(branch_id))",
			},
		},
		{
			name: "add column goes to the local and the distributed table",
			stmt: "ALTER TABLE kpi_window ADD COLUMN x UInt64 DEFAULT 0",
			want: []string{
				"ALTER TABLE `csat`.`kpi_window_local` ON CLUSTER `prod` ADD COLUMN x UInt64 DEFAULT 0",
				"ALTER TABLE `csat`.`kpi_window` ADD COLUMN x UInt64 DEFAULT 0",
			},
		},
		{name: "partition alter refused", stmt: "ALTER TABLE kpi_window DROP PARTITION 1", wantErr: true},
		{name: "already replicated", stmt: "CREATE TABLE IF NOT EXISTS t (a String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a", wantErr: true},
		{name: "not a merge tree", stmt: "CREATE TABLE IF NOT EXISTS t (a String) ENGINE = Log", wantErr: true},
		{name: "without IF NOT EXISTS", stmt: "CREATE TABLE t (a String) ENGINE = MergeTree() ORDER BY a", wantErr: true},
		{name: "view", stmt: "CREATE MATERIALIZED VIEW v TO t AS SELECT 1", wantErr: true},
		{name: "unbalanced", stmt: "CREATE TABLE IF NOT EXISTS t (a Array(String) ENGINE = MergeTree() ORDER BY a", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chdb.ClusterStatements(cfg, tt.stmt)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				if !errors.Is(err, chdb.ErrNotClusterable) && !strings.Contains(err.Error(), "paren") {
					t.Errorf("error %v: want ErrNotClusterable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLocalTable(t *testing.T) {
	cfg := clusterConfig()
	if got := chdb.LocalTable(cfg, "kpi_survey"); got != "kpi_survey_local" {
		t.Errorf("cluster: got %q", got)
	}
	cfg.Cluster = ""
	if got := chdb.LocalTable(cfg, "kpi_survey"); got != "kpi_survey" {
		t.Errorf("single server: got %q", got)
	}
}

// On a single server DropPartition is a plain ALTER TABLE ... DROP PARTITION.
func TestDropPartitionSingleServer(t *testing.T) {
	server, cfg := freshDatabase(t)
	ctx := t.Context()
	if _, err := chdb.Migrate(ctx, server, cfg, nil); err != nil {
		t.Fatal(err)
	}
	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO kpi_churn (month, version, branch_id, parent_id, level, churned, churned_high, churned_mid, churned_low)")
	if err != nil {
		t.Fatal(err)
	}
	for v := uint64(1); v <= 2; v++ {
		if err := b.Append(uint32(202610), v, "GD", "ALL", uint8(1), uint64(1), uint64(0), uint64(0), uint64(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{cfg.Database + ".kpi_churn", "kpi_churn"} {
		if err := chdb.DropPartition(ctx, conn, table, "tuple(202610, 1)"); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
	var v1, v2 uint64
	if err := conn.QueryRow(ctx, "SELECT countIf(version = 1), countIf(version = 2) FROM kpi_churn").Scan(&v1, &v2); err != nil {
		t.Fatal(err)
	}
	if v1 != 0 || v2 != 1 {
		t.Errorf("after the drop: %d rows of version 1, %d of version 2; want 0 and 1", v1, v2)
	}
	if err := chdb.DropPartition(ctx, conn, "no_such_table", "1"); err == nil {
		t.Error("dropping a partition of a missing table succeeded")
	}
}

// Open refuses a cluster the server does not define, naming the variable.
func TestOpenUnknownCluster(t *testing.T) {
	cfg := chtest.Config(t)
	chtest.Skip(t, cfg)
	cfg.Cluster = "csat_no_such_cluster"
	conn, err := chdb.Open(t.Context(), cfg, chdb.WithoutDatabase())
	if err == nil {
		_ = conn.Close()
		t.Fatal("Open succeeded with a cluster the server does not define")
	}
	if !strings.Contains(err.Error(), "CSAT_CLICKHOUSE_CLUSTER") || !strings.Contains(err.Error(), "csat_no_such_cluster") {
		t.Errorf("error %q does not name the variable and the cluster", err)
	}
}
