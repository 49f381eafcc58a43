package chdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema/migrations"
	"github.com/csat-dev/csat/schema/store"
)

// MigrationsTable records the applied migrations, one row per version, in cfg.Database.
const MigrationsTable = "schema_migrations"

// ErrChecksumMismatch is returned (wrapped, naming the file) when an applied migration's file
// has changed since it was applied. Applied files are immutable: change the schema with a new file.
var ErrChecksumMismatch = errors.New("applied migration changed")

// Migration is one numbered file of schema/migrations.
type Migration struct {
	Version    uint32   // NNNN of the file name
	Name       string   // the file name, e.g. "0001_raw_events.sql"
	Statements []string // the SQL statements, comments removed, without the trailing ";"
	// Checksum is the hex SHA-256 of the statements with runs of white space collapsed:
	// comments, blank lines and indentation may change without changing it, the SQL may not.
	Checksum string
}

var fileName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	return loadMigrations(migrations.FS)
}

func loadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.ParseUint(m[1], 10, 32) // four digits: cannot fail
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		stmts, err := SplitStatements(string(b))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if len(stmts) == 0 {
			return nil, fmt.Errorf("migration %s: no statements", e.Name())
		}
		sum := checksum(stmts)
		ms = append(ms, Migration{
			Version:    uint32(v),
			Name:       e.Name(),
			Statements: stmts,
			Checksum:   sum,
		})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return int(a.Version) - int(b.Version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

func checksum(stmts []string) string {
	h := sha256.New()
	for _, s := range stmts {
		h.Write([]byte(strings.Join(strings.Fields(s), " ")))
		h.Write([]byte(";\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SplitStatements splits SQL text into statements at each ";" that is outside quotes
// ('...', "...", `...`) and comments. Comments (-- to the end of the line, /* ... */) are
// removed; statements are trimmed of surrounding space and empty ones dropped. A missing ";"
// after the last statement is accepted.
func SplitStatements(sql string) ([]string, error) {
	var (
		stmts []string
		cur   strings.Builder
	)
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
				continue
			}
			i += j - 1 // the newline itself is kept
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return nil, errors.New("unterminated /* comment")
			}
			cur.WriteByte(' ')
			i += 2 + j + 1
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == '\\' {
					j++
					continue
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return nil, fmt.Errorf("unterminated %c quote", c)
			}
			cur.WriteString(sql[i : j+1])
			i = j
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return stmts, nil
}

// applied is what schema_migrations says about the versions it holds.
type applied map[uint32][]string // version → checksums of its records (duplicates possible)

// Migrate brings cfg.Database up to date with the embedded migrations: it creates the database
// and the schema_migrations table when missing, then applies each migration not yet recorded,
// in version order, and records it. It returns the names of the migrations this call applied.
//
// conn may be connected to any database (use Open with WithoutDatabase when cfg.Database may
// not exist yet); when it is not connected to cfg.Database, Migrate opens a connection of its
// own for the DDL, which runs unqualified, and closes it before returning.
//
// Migrate is safe to run again and concurrently, from several processes: every statement is
// idempotent, "already exists" errors are tolerated, the recorded versions are read again
// before each migration, and a version recorded twice by racing runners counts once (the
// table is a ReplacingMergeTree ordered by version). In cluster mode (cfg.Cluster) the database
// and every table are created ON CLUSTER, rewritten by ClusterStatements; every server of the
// cluster must be up. It refuses with ErrChecksumMismatch,
// applying nothing, when an applied migration's file has changed. Versions recorded but
// unknown to this binary (a newer one migrated) are logged and left alone.
func Migrate(ctx context.Context, conn driver.Conn, cfg Config, logger *slog.Logger) ([]string, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "migrate", "database", cfg.Database)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	db := store.QuoteIdent(cfg.Database)
	onCluster := ""
	if cfg.Cluster != "" {
		onCluster = " ON CLUSTER " + store.QuoteIdent(cfg.Cluster)
	}
	if err := execTolerant(ctx, conn, "CREATE DATABASE IF NOT EXISTS "+db+onCluster, proto.ErrDatabaseAlreadyExists); err != nil {
		return nil, fmt.Errorf("create database %s: %w", cfg.Database, err)
	}
	mt, err := ClusterStatements(cfg, createMigrationsTable(db))
	if err != nil {
		return nil, fmt.Errorf("create %s.%s: %w", cfg.Database, MigrationsTable, err)
	}
	for _, stmt := range mt {
		if err := execTolerant(ctx, conn, stmt, proto.ErrTableAlreadyExists); err != nil {
			return nil, fmt.Errorf("create %s.%s: %w", cfg.Database, MigrationsTable, err)
		}
	}
	done, err := readApplied(ctx, conn, db)
	if err != nil {
		return nil, err
	}
	pending, err := compare(ms, done, logger)
	if err != nil {
		return nil, err
	}
	if len(pending) == 0 {
		logger.Debug("migrations up to date", "versions", len(ms))
		return nil, nil
	}

	// On a single server the DDL runs unqualified in cfg.Database; in cluster mode
	// ClusterStatements qualifies every table and conn itself runs it.
	ddl, release := conn, func() error { return nil }
	if cfg.Cluster == "" {
		if ddl, release, err = conninDatabase(ctx, conn, cfg); err != nil {
			return nil, err
		}
	}
	var names []string
	for _, m := range pending {
		// Another runner may have applied it since: read again just before.
		done, err := readApplied(ctx, conn, db)
		if err != nil {
			return names, errors.Join(err, release())
		}
		if _, ok := done[m.Version]; ok {
			if err := checkSums(m, done[m.Version]); err != nil {
				return names, errors.Join(err, release())
			}
			logger.Debug("migration applied by another runner", "migration", m.Name)
			continue
		}
		start := time.Now()
		for i, stmt := range m.Statements {
			stmts, err := ClusterStatements(cfg, stmt)
			for _, st := range stmts {
				if err != nil {
					break
				}
				// CREATE … IF NOT EXISTS is idempotent; ALTER TABLE … ADD COLUMN is made so by
				// tolerating the column that an interrupted earlier run added.
				if cfg.Cluster != "" && everyHost(st) {
					err = alterEveryHost(ctx, conn, cfg, st)
				} else {
					err = execTolerant(ctx, ddl, st, proto.ErrTableAlreadyExists)
					// Current releases can fail an ADD COLUMN … DEFAULT that races another
					// runner's ALTER of the same table (code 179, "Different expressions with
					// the same alias …_tmp"); run again, it finds the column added.
					for attempt := 1; err != nil && !columnExists(err) && addsColumn(st) && attempt < alterAttempts; attempt++ {
						select {
						case <-ctx.Done():
							return names, errors.Join(ctx.Err(), release())
						case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
						}
						if _, ok := ErrorCode(err); !ok {
							break // not the server's refusal: a connection error is not retried here
						}
						err = execTolerant(ctx, ddl, st, proto.ErrTableAlreadyExists)
					}
				}
				if columnExists(err) {
					err = nil
				}
			}
			if err != nil {
				return names, errors.Join(
					fmt.Errorf("migration %s: statement %d of %d: %w", m.Name, i+1, len(m.Statements), err),
					release())
			}
		}
		// Record it unless a concurrent runner did in the meantime. The window left between
		// this read and the insert can produce a duplicate row, which ReplacingMergeTree
		// collapses and readers count once.
		done, err = readApplied(ctx, conn, db)
		if err != nil {
			return names, errors.Join(err, release())
		}
		if _, ok := done[m.Version]; !ok {
			if err := record(ctx, conn, db, m); err != nil {
				return names, errors.Join(err, release())
			}
		}
		names = append(names, m.Name)
		logger.Info("migration applied", "migration", m.Name, "statements", len(m.Statements), "duration", time.Since(start))
	}
	return names, release()
}

// Pending returns the names of the embedded migrations not yet applied to cfg.Database (all of
// them when the database or schema_migrations does not exist), in version order; an empty
// result means the schema is up to date. conn may be connected to any database. It fails with
// ErrChecksumMismatch when an applied migration's file has changed. Use it for readiness checks.
func Pending(ctx context.Context, conn driver.Conn, cfg Config) ([]string, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	done, err := readApplied(ctx, conn, store.QuoteIdent(cfg.Database))
	if code, ok := ErrorCode(err); ok && (code == int32(proto.ErrUnknownDatabase) || code == int32(proto.ErrUnknownTable)) {
		done, err = applied{}, nil
	}
	if err != nil {
		return nil, err
	}
	pending, err := compare(ms, done, nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(pending))
	for i, m := range pending {
		names[i] = m.Name
	}
	return names, nil
}

// compare verifies the checksums of the applied migrations and returns the others.
func compare(ms []Migration, done applied, logger *slog.Logger) ([]Migration, error) {
	var pending []Migration
	known := make(map[uint32]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
		sums, ok := done[m.Version]
		if !ok {
			pending = append(pending, m)
			continue
		}
		if err := checkSums(m, sums); err != nil {
			return nil, err
		}
	}
	if logger != nil {
		for v := range done {
			if !known[v] {
				logger.Warn("database has a migration this binary does not know; a newer csat migrated it", "version", v)
			}
		}
	}
	return pending, nil
}

func checkSums(m Migration, sums []string) error {
	for _, s := range sums {
		if s != m.Checksum {
			return fmt.Errorf("%w: %s was applied with checksum %s, the file now has %s; never edit an applied migration, add a new one",
				ErrChecksumMismatch, m.Name, s, m.Checksum)
		}
	}
	return nil
}

func createMigrationsTable(db string) string {
	return "CREATE TABLE IF NOT EXISTS " + db + "." + MigrationsTable + ` (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime
) ENGINE = ReplacingMergeTree() ORDER BY version`
}

func readApplied(ctx context.Context, conn driver.Conn, db string) (applied, error) {
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM "+db+"."+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	done := applied{}
	for rows.Next() {
		var (
			v   uint32
			sum string
		)
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, errors.Join(fmt.Errorf("read %s: %w", MigrationsTable, err), rows.Close())
		}
		done[v] = append(done[v], sum)
	}
	if err := rows.Err(); err != nil {
		return nil, errors.Join(fmt.Errorf("read %s: %w", MigrationsTable, err), rows.Close())
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	return done, nil
}

func record(ctx context.Context, conn driver.Conn, db string, m Migration) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+MigrationsTable+" (version, name, checksum, applied_at)")
	if err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := batch.Append(m.Version, m.Name, m.Checksum, time.Now().UTC().Truncate(time.Second)); err != nil {
		return errors.Join(fmt.Errorf("record migration %s: %w", m.Name, err), batch.Abort())
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	return nil
}

// conninDatabase returns a connection whose current database is cfg.Database: conn itself when
// it is, else a new one, and the function that releases it.
func conninDatabase(ctx context.Context, conn driver.Conn, cfg Config) (driver.Conn, func() error, error) {
	var current string
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&current); err != nil {
		return nil, nil, fmt.Errorf("read current database: %w", err)
	}
	if current == cfg.Database {
		return conn, func() error { return nil }, nil
	}
	own := cfg
	own.MaxOpenConns = 1
	c, err := Open(ctx, own)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Close, nil
}

// execTolerant runs a statement, treating the server error tolerate as success.
func execTolerant(ctx context.Context, conn driver.Conn, stmt string, tolerate proto.Error) error {
	err := conn.Exec(ctx, stmt)
	if code, ok := ErrorCode(err); ok && code == int32(tolerate) {
		return nil
	}
	return err
}

// everyHost reports whether a cluster-mode statement of ClusterStatements is to run on every
// host: the ALTER of a Distributed table, which has no ON CLUSTER.
func everyHost(stmt string) bool {
	return strings.HasPrefix(stmt, "ALTER TABLE ") && !strings.Contains(stmt, " ON CLUSTER ")
}

// alterEveryHost runs stmt on every host of cfg.Cluster (system.clusters), one connection each
// with cfg's credentials and TLS, tolerating a column an earlier run added. Every host must be
// up, as for the rest of a cluster migration.
func alterEveryHost(ctx context.Context, conn driver.Conn, cfg Config, stmt string) error {
	rows, err := conn.Query(ctx, "SELECT DISTINCT host_address, port FROM system.clusters WHERE cluster = "+store.QuoteString(cfg.Cluster))
	if err != nil {
		return fmt.Errorf("hosts of cluster %s: %w", cfg.Cluster, err)
	}
	var hosts []string
	for rows.Next() {
		var host string
		var port uint16
		if err := rows.Scan(&host, &port); err != nil {
			rows.Close()
			return fmt.Errorf("hosts of cluster %s: %w", cfg.Cluster, err)
		}
		hosts = append(hosts, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hosts of cluster %s: %w", cfg.Cluster, err)
	}
	if len(hosts) == 0 {
		return fmt.Errorf("cluster %s: no hosts in system.clusters", cfg.Cluster)
	}
	for _, h := range hosts {
		hc := cfg
		hc.Addr, hc.Cluster, hc.MaxOpenConns = []string{h}, "", 1
		c, err := Open(ctx, hc)
		if err != nil {
			return fmt.Errorf("host %s of cluster %s: %w", h, cfg.Cluster, err)
		}
		err = c.Exec(ctx, stmt)
		if columnExists(err) {
			err = nil
		}
		if cerr := c.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("host %s of cluster %s: %w", h, cfg.Cluster, err)
		}
	}
	return nil
}

// alterAttempts bounds the runs of an ADD COLUMN that the server refused while another runner
// altered the same table.
const alterAttempts = 5

// addsColumn reports whether stmt is an ALTER TABLE … ADD COLUMN.
func addsColumn(stmt string) bool {
	return strings.HasPrefix(stmt, "ALTER TABLE ") && strings.Contains(stmt, " ADD COLUMN ")
}

// columnExists reports whether err is the server's refusal to add a column that exists: code
// 15 (DUPLICATE_COLUMN) on current releases, 44 (ILLEGAL_COLUMN) with "already exists" on 18.16.
func columnExists(err error) bool {
	code, ok := ErrorCode(err)
	switch {
	case !ok:
		return false
	case code == int32(proto.ErrDuplicateColumn):
		return true
	case code == int32(proto.ErrIllegalColumn):
		return strings.Contains(err.Error(), "already exists")
	}
	return false
}
