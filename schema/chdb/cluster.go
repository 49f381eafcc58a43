package chdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema/store"
)

// Cluster mode (Config.Cluster, CSAT_CLICKHOUSE_CLUSTER) — see docs/design/cluster.md.
//
// Migrate rewrites every embedded CREATE TABLE into a Replicated*MergeTree table
// <name>_local plus a Distributed table under the original name, both ON CLUSTER, so that
// ingest and every query keep using the original names. Open sets the insert settings the
// exactly-once argument needs (insert_distributed_sync; insert_quorum when the shards have
// replicas), and DropPartition sends a projection's partition drop to every shard's local table.

// LocalSuffix is appended to a table's name to name its local (replicated) table in cluster
// mode; the Distributed table keeps the original name.
const LocalSuffix = "_local"

// ReplicationPath is the ZooKeeper path of a replicated table; {shard} is the server's macro,
// and the database and table names are filled in.
const ReplicationPath = "/clickhouse/tables/{shard}/%s/%s"

// ddlTimeout bounds how long DropPartition waits for every host of the cluster to run its
// ALTER ... ON CLUSTER; a host that is down runs the queued task when it is back.
const ddlTimeout = 30 // seconds

// quorumTimeout is insert_quorum_timeout: how long an INSERT waits for every replica (ms).
const quorumTimeout = 60000

// LocalTable returns the name of the table that holds name's rows on each server: name itself
// on a single server, name+LocalSuffix in cluster mode. Use it for ALTER ... PARTITION and for
// per-server inspection (system.parts); read and insert through name.
func LocalTable(cfg Config, name string) string {
	if cfg.Cluster == "" {
		return name
	}
	return name + LocalSuffix
}

var (
	createTableRE = regexp.MustCompile("(?is)^CREATE\\s+TABLE\\s+IF\\s+NOT\\s+EXISTS\\s+" +
		"(?:`?([A-Za-z_][A-Za-z0-9_]*)`?\\.)?`?([A-Za-z_][A-Za-z0-9_]*)`?\\s*\\(")
	engineRE   = regexp.MustCompile(`(?is)^\s*ENGINE\s*=\s*([A-Za-z]+)\s*`)
	alterRE    = regexp.MustCompile("(?is)^ALTER\\s+TABLE\\s+(?:`?([A-Za-z_][A-Za-z0-9_]*)`?\\.)?`?([A-Za-z_][A-Za-z0-9_]*)`?\\s+(.*)$")
	alterColRE = regexp.MustCompile(`(?is)^(ADD|DROP|MODIFY|COMMENT)\s+COLUMN\b`)
)

// ErrNotClusterable is returned (wrapped) by ClusterStatements for a statement it cannot
// rewrite for a cluster.
var ErrNotClusterable = errors.New("statement cannot be rewritten for cluster mode")

// ClusterStatements rewrites one migration statement for cfg.Cluster (it returns the statement
// unchanged when cfg.Cluster is empty), qualifying every table with cfg.Database:
//
//   - CREATE TABLE IF NOT EXISTS t (cols) ENGINE = XMergeTree(args) clauses becomes
//     CREATE TABLE IF NOT EXISTS db.t_local ON CLUSTER c (cols)
//     ENGINE = ReplicatedXMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}', args) clauses
//     and CREATE TABLE IF NOT EXISTS db.t ON CLUSTER c (cols)
//     ENGINE = Distributed(c, db, t_local, key), with the sharding key of ShardingKey;
//   - ALTER TABLE t ADD|DROP|MODIFY|COMMENT COLUMN ... becomes ALTER TABLE db.t_local ON CLUSTER c
//     ... and ALTER TABLE db.t ... without ON CLUSTER: the Distributed table is not replicated,
//     and ClickHouse refuses its ALTER … ON CLUSTER when the shards replicate internally (code
//     371), so Migrate runs that second statement on every host of the cluster itself.
//
// Anything else fails with ErrNotClusterable: a migration that needs it must be written so that
// it can be rewritten.
func ClusterStatements(cfg Config, stmt string) ([]string, error) {
	stmt = strings.TrimSpace(stmt)
	if cfg.Cluster == "" {
		return []string{stmt}, nil
	}
	db := store.QuoteIdent(cfg.Database)
	if g := alterRE.FindStringSubmatch(stmt); g != nil {
		name, rest := g[2], g[3]
		if !alterColRE.MatchString(rest) {
			return nil, fmt.Errorf("%w: only ALTER TABLE ... ADD|DROP|MODIFY|COMMENT COLUMN is supported: %.60q", ErrNotClusterable, stmt)
		}
		on := " ON CLUSTER " + store.QuoteIdent(cfg.Cluster) + " "
		return []string{
			"ALTER TABLE " + db + "." + store.QuoteIdent(name+LocalSuffix) + on + rest,
			"ALTER TABLE " + db + "." + store.QuoteIdent(name) + " " + rest,
		}, nil
	}
	ct, err := parseCreateTable(stmt)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(ct.engine, "Replicated") || !strings.HasSuffix(ct.engine, "MergeTree") {
		return nil, fmt.Errorf("%w: table %s: engine %s is not a non-replicated MergeTree", ErrNotClusterable, ct.name, ct.engine)
	}
	args := fmt.Sprintf("'"+ReplicationPath+"', '{replica}'", cfg.Database, ct.name)
	if strings.TrimSpace(ct.engineArgs) != "" {
		args += ", " + strings.TrimSpace(ct.engineArgs)
	}
	on := " ON CLUSTER " + store.QuoteIdent(cfg.Cluster)
	local := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s (%s) ENGINE = Replicated%s(%s)%s",
		db, store.QuoteIdent(ct.name+LocalSuffix), on, ct.columns, ct.engine, args, ct.clauses)
	dist := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s (%s) ENGINE = Distributed(%s, %s, %s, %s)",
		db, store.QuoteIdent(ct.name), on, ct.columns, store.QuoteIdent(cfg.Cluster), db, store.QuoteIdent(ct.name+LocalSuffix),
		ShardingKey(ct.columnNames()))
	return []string{local, dist}, nil
}

// ShardingKey returns the Distributed sharding key for a table with these columns:
//
//   - kafka_partition (the raw tables and rejected_events): all rows of one Kafka partition
//     live on one shard, so one ingest batch's rows of one (table, partition) are one part on
//     one shard, and the per-(table, partition) offset prefix that exactly-once rests on holds
//     on every shard;
//   - else cityHash64(branch_id) (the kpi_* projections): spreads branches evenly; readers
//     read every shard anyway;
//   - else rand() (kpi_dirty, kpi_versions, schema_migrations): small tables read with
//     max()/GROUP BY, which Distributed merges across shards.
func ShardingKey(columns []string) string {
	has := func(c string) bool {
		for _, x := range columns {
			if x == c {
				return true
			}
		}
		return false
	}
	switch {
	case has("kafka_partition"):
		return "kafka_partition"
	case has("branch_id"):
		return "cityHash64(branch_id)"
	}
	return "rand()"
}

type createTable struct {
	name       string
	columns    string // between the parentheses
	engine     string // e.g. MergeTree, ReplacingMergeTree
	engineArgs string // between the engine's parentheses
	clauses    string // PARTITION BY, ORDER BY, SETTINGS... with a leading space, or ""
}

func parseCreateTable(stmt string) (createTable, error) {
	g := createTableRE.FindStringSubmatchIndex(stmt)
	if g == nil {
		return createTable{}, fmt.Errorf("%w: not CREATE TABLE IF NOT EXISTS name (...) ENGINE = ...: %.60q", ErrNotClusterable, stmt)
	}
	ct := createTable{name: stmt[g[4]:g[5]]}
	open := g[1] - 1 // the "(" of the column list
	end, err := closingParen(stmt, open)
	if err != nil {
		return createTable{}, fmt.Errorf("table %s: columns: %w", ct.name, err)
	}
	ct.columns = stmt[open+1 : end]
	rest := stmt[end+1:]
	e := engineRE.FindStringSubmatchIndex(rest)
	if e == nil {
		return createTable{}, fmt.Errorf("%w: table %s: no ENGINE = after the columns", ErrNotClusterable, ct.name)
	}
	ct.engine = rest[e[2]:e[3]]
	rest = rest[e[1]:]
	if strings.HasPrefix(rest, "(") {
		aend, err := closingParen(rest, 0)
		if err != nil {
			return createTable{}, fmt.Errorf("table %s: engine arguments: %w", ct.name, err)
		}
		ct.engineArgs = rest[1:aend]
		rest = rest[aend+1:]
	}
	if rest = strings.TrimSpace(rest); rest != "" {
		ct.clauses = " " + rest
	}
	return ct, nil
}

// columnNames returns the first identifier of each top-level element of the column list.
func (ct createTable) columnNames() []string {
	var names []string
	for _, el := range splitTopLevel(ct.columns) {
		f := strings.Fields(el)
		if len(f) == 0 {
			continue
		}
		names = append(names, strings.Trim(f[0], "`\""))
	}
	return names
}

// closingParen returns the index of the ")" matching the "(" at s[open], skipping quoted text.
func closingParen(s string, open int) (int, error) {
	depth := 0
	for i := open; i < len(s); i++ {
		switch c := s[i]; c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		case '\'', '"', '`':
			j := skipQuoted(s, i)
			if j < 0 {
				return 0, fmt.Errorf("unterminated %c quote", c)
			}
			i = j
		}
	}
	return 0, errors.New("unbalanced parentheses")
}

// skipQuoted returns the index of the quote closing the one at s[i], or -1.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// splitTopLevel splits s at the commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'', '"', '`':
			if j := skipQuoted(s, i); j >= 0 {
				i = j
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// clusterSettings returns the insert settings of cluster mode for cfg.Cluster as defined on the
// server conn reaches: insert_distributed_sync = 1 always, and insert_quorum = the smallest
// number of replicas of a shard when that is 2 or more (with insert_quorum_timeout). It fails
// when the server does not define the cluster, or when the user's distributed_product_mode is
// not 'global' (or 'allow'): csat's queries put IN and JOIN subqueries over Distributed tables
// inside queries over Distributed tables, which the default 'deny' refuses. That setting is a
// string, which clickhouse-go cannot send to 18.16, so it must come from the user's profile.
func clusterSettings(ctx context.Context, conn driver.Conn, cluster string) (clickhouse.Settings, error) {
	var shards, minReplicas uint64
	err := conn.QueryRow(ctx, "SELECT toUInt64(count()), toUInt64(min(r)) FROM (SELECT shard_num, count() AS r "+
		"FROM system.clusters WHERE cluster = "+store.QuoteString(cluster)+" GROUP BY shard_num)").Scan(&shards, &minReplicas)
	if err != nil {
		return nil, fmt.Errorf("read cluster %s from system.clusters: %w", cluster, err)
	}
	if shards == 0 {
		return nil, fmt.Errorf("CSAT_CLICKHOUSE_CLUSTER: cluster %q is not defined on the server (system.clusters; <remote_servers> in its config)", cluster)
	}
	var mode string
	if err := conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'distributed_product_mode'").Scan(&mode); err != nil {
		return nil, fmt.Errorf("read distributed_product_mode: %w", err)
	}
	if mode != "global" && mode != "allow" {
		return nil, fmt.Errorf("CSAT_CLICKHOUSE_CLUSTER: the server's distributed_product_mode is %q: set it to 'global' in the "+
			"profile of the csat user (IN and JOIN subqueries over Distributed tables; docs/design/cluster.md)", mode)
	}
	s := clickhouse.Settings{"insert_distributed_sync": 1}
	if minReplicas >= 2 {
		s["insert_quorum"] = int(minReplicas)
		s["insert_quorum_timeout"] = quorumTimeout
	}
	return s, nil
}

// DropPartition drops one partition of table ("name" or "db.name"; partition is an expression
// such as "tuple(202610, 17)" or "202610"). When table is a Distributed table (cluster mode) the
// drop goes to its local table on every server: ALTER TABLE db.name_local ON CLUSTER c DROP
// PARTITION p, waiting up to 30 s for the hosts. A host that does not answer in time runs the
// queued task when it comes back, so that timeout is not an error: the partition is gone from
// the hosts that answered and will be from the others. Otherwise it is a plain ALTER TABLE
// table DROP PARTITION p. Dropping a partition that does not exist succeeds.
func DropPartition(ctx context.Context, conn driver.Conn, table, partition string) error {
	db, name := "", table
	if i := strings.IndexByte(table, '.'); i >= 0 {
		db, name = strings.Trim(table[:i], "`"), strings.Trim(table[i+1:], "`")
	}
	dbExpr := "currentDatabase()"
	if db != "" {
		dbExpr = store.QuoteString(db)
	}
	var engine, full string
	err := conn.QueryRow(ctx, "SELECT engine, engine_full FROM system.tables WHERE database = "+dbExpr+
		" AND name = "+store.QuoteString(name)).Scan(&engine, &full)
	if err != nil {
		return fmt.Errorf("drop partition %s of %s: look up the table: %w", partition, table, err)
	}
	if engine != "Distributed" {
		if err := conn.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION "+partition); err != nil {
			return fmt.Errorf("drop partition %s of %s: %w", partition, table, err)
		}
		return nil
	}
	cluster, ldb, local, err := distributedArgs(full)
	if err != nil {
		return fmt.Errorf("drop partition %s of %s: %w", partition, table, err)
	}
	q := fmt.Sprintf("ALTER TABLE %s.%s ON CLUSTER %s DROP PARTITION %s", store.QuoteIdent(ldb), store.QuoteIdent(local), store.QuoteIdent(cluster), partition)
	err = conn.Exec(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"distributed_ddl_task_timeout": ddlTimeout})), q)
	if code, ok := ErrorCode(err); ok && code == int32(proto.ErrTimeoutExceeded) && ctx.Err() == nil {
		return nil // queued in the cluster's DDL queue: the missing hosts run it when they are back
	}
	if err != nil {
		return fmt.Errorf("drop partition %s of %s on cluster %s: %w", partition, table, cluster, err)
	}
	return nil
}

// distributedArgs parses engine_full "Distributed(cluster, db, table[, key])".
func distributedArgs(full string) (cluster, db, table string, err error) {
	open := strings.IndexByte(full, '(')
	if open < 0 {
		return "", "", "", fmt.Errorf("unexpected Distributed engine %q", full)
	}
	end, err := closingParen(full, open)
	if err != nil {
		return "", "", "", fmt.Errorf("unexpected Distributed engine %q: %w", full, err)
	}
	args := splitTopLevel(full[open+1 : end])
	if len(args) < 3 {
		return "", "", "", fmt.Errorf("unexpected Distributed engine %q", full)
	}
	unq := func(s string) string {
		s = strings.TrimSpace(s)
		s = strings.ReplaceAll(s, `\'`, `'`)
		return strings.Trim(s, "`'\"")
	}
	return unq(args[0]), unq(args[1]), unq(args[2]), nil
}
