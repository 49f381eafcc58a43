package chdb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// freshDatabase returns a server connection (no database selected) and a configuration naming
// a database that does not exist yet; the database is dropped when t ends.
func freshDatabase(t *testing.T) (driver.Conn, chdb.Config) {
	t.Helper()
	cfg := chtest.Config(t)
	chtest.Skip(t, cfg)
	cfg.Database = chtest.NewDatabaseName(t)
	conn, err := chdb.Open(t.Context(), cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if os.Getenv("CSAT_KEEP_TEST_DB") != "1" {
			if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
				t.Errorf("drop %s: %v", cfg.Database, err)
			}
		}
		if err := conn.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return conn, cfg
}

func allMigrations(t *testing.T) []chdb.Migration {
	t.Helper()
	ms, err := chdb.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
	return ms
}

func migrationNames(ms []chdb.Migration) []string {
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names
}

var createTable = regexp.MustCompile(`(?i)^CREATE TABLE IF NOT EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)`)

// ddlTables lists the tables the migrations create, plus schema_migrations.
func ddlTables(t *testing.T, ms []chdb.Migration) []string {
	t.Helper()
	tables := []string{chdb.MigrationsTable}
	for _, m := range ms {
		for _, s := range m.Statements {
			if g := createTable.FindStringSubmatch(s); g != nil {
				tables = append(tables, g[1])
			}
		}
	}
	slices.Sort(tables)
	return tables
}

func databaseTables(t *testing.T, conn driver.Conn, db string) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT name FROM system.tables WHERE database = ? ORDER BY name", db)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// records returns the number of recorded rows per version, as readers see them (FINAL).
func records(t *testing.T, conn driver.Conn, db string) map[uint32]uint64 {
	t.Helper()
	rows, err := conn.Query(t.Context(), fmt.Sprintf("SELECT version, count() FROM `%s`.%s FINAL GROUP BY version", db, chdb.MigrationsTable))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[uint32]uint64{}
	for rows.Next() {
		var (
			v uint32
			n uint64
		)
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		got[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func checkOneRecordPerVersion(t *testing.T, conn driver.Conn, db string, ms []chdb.Migration) {
	t.Helper()
	got := records(t, conn, db)
	if len(got) != len(ms) {
		t.Errorf("recorded versions = %v, want the %d of %v", got, len(ms), migrationNames(ms))
	}
	for _, m := range ms {
		if got[m.Version] != 1 {
			t.Errorf("version %d (%s) has %d records, want 1", m.Version, m.Name, got[m.Version])
		}
	}
}

func TestMigrateFreshDatabase(t *testing.T) {
	conn, cfg := freshDatabase(t)
	ms := allMigrations(t)

	pending, err := chdb.Pending(t.Context(), conn, cfg)
	if err != nil {
		t.Fatalf("Pending before Migrate: %v", err)
	}
	if want := migrationNames(ms); !slices.Equal(pending, want) {
		t.Errorf("Pending before Migrate = %v, want %v", pending, want)
	}

	applied, err := chdb.Migrate(t.Context(), conn, cfg, nil)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if want := migrationNames(ms); !slices.Equal(applied, want) {
		t.Errorf("applied = %v, want %v", applied, want)
	}
	if got, want := databaseTables(t, conn, cfg.Database), ddlTables(t, ms); !slices.Equal(got, want) {
		t.Errorf("tables = %v\nwant %v", got, want)
	}
	checkOneRecordPerVersion(t, conn, cfg.Database, ms)

	pending, err = chdb.Pending(t.Context(), conn, cfg)
	if err != nil {
		t.Fatalf("Pending after Migrate: %v", err)
	}
	if len(pending) != 0 {
		t.Errorf("Pending after Migrate = %v, want none", pending)
	}
}

func TestMigrateTwice(t *testing.T) {
	conn, cfg := freshDatabase(t)
	ms := allMigrations(t)
	if _, err := chdb.Migrate(t.Context(), conn, cfg, nil); err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	applied, err := chdb.Migrate(t.Context(), conn, cfg, nil)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	checkOneRecordPerVersion(t, conn, cfg.Database, ms)
}

// TestMigrateConnectedToDatabase runs Migrate over a connection whose current database is the
// target (the DDL then goes through it rather than a connection of Migrate's own).
func TestMigrateConnectedToDatabase(t *testing.T) {
	conn, cfg := chtest.New(t) // migrated already
	ms := allMigrations(t)
	if err := conn.Exec(t.Context(), "DROP TABLE kpi_base"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(t.Context(), fmt.Sprintf("TRUNCATE TABLE %s", chdb.MigrationsTable)); err != nil {
		t.Fatal(err)
	}
	applied, err := chdb.Migrate(t.Context(), conn, cfg, nil)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if want := migrationNames(ms); !slices.Equal(applied, want) {
		t.Errorf("applied = %v, want %v", applied, want)
	}
	if got, want := databaseTables(t, conn, cfg.Database), ddlTables(t, ms); !slices.Equal(got, want) {
		t.Errorf("tables = %v\nwant %v", got, want)
	}
}

func TestMigrateConcurrentGoroutines(t *testing.T) {
	ms := allMigrations(t)
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			conn, cfg := freshDatabase(t)
			const runners = 4
			var (
				wg   sync.WaitGroup
				errs = make([]error, runners)
			)
			start := make(chan struct{})
			for i := range runners {
				wg.Go(func() {
					// Each runner has its own connection pool, like a separate process.
					c, err := chdb.Open(t.Context(), cfg, chdb.WithoutDatabase())
					if err != nil {
						errs[i] = err
						return
					}
					<-start
					_, errs[i] = chdb.Migrate(t.Context(), c, cfg, nil)
					errs[i] = errors.Join(errs[i], c.Close())
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("runner %d: %v", i, err)
				}
			}
			if got, want := databaseTables(t, conn, cfg.Database), ddlTables(t, ms); !slices.Equal(got, want) {
				t.Errorf("tables = %v\nwant %v", got, want)
			}
			checkOneRecordPerVersion(t, conn, cfg.Database, ms)
		})
	}
}

// helperDatabaseEnv names the database a re-executed test binary migrates (see
// TestMigrateHelperProcess).
const helperDatabaseEnv = "CSAT_CHDB_TEST_MIGRATE_DATABASE"

// TestMigrateHelperProcess is not a test: TestMigrateConcurrentProcesses runs the test binary
// again with only this test selected and helperDatabaseEnv set, once per process.
func TestMigrateHelperProcess(t *testing.T) {
	db := os.Getenv(helperDatabaseEnv)
	if db == "" {
		t.Skip("helper process of TestMigrateConcurrentProcesses")
	}
	cfg := chtest.Config(t)
	cfg.Database = db
	conn, err := chdb.Open(t.Context(), cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := conn.Close(); err != nil {
			t.Error(err)
		}
	}()
	applied, err := chdb.Migrate(t.Context(), conn, cfg, nil)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	t.Logf("applied %v", applied)
}

func TestMigrateConcurrentProcesses(t *testing.T) {
	if os.Getenv(helperDatabaseEnv) != "" {
		t.Skip("inside a helper process")
	}
	conn, cfg := freshDatabase(t)
	ms := allMigrations(t)
	const processes = 3
	cmds := make([]*exec.Cmd, processes)
	outs := make([]*lockedBuffer, processes)
	for i := range cmds {
		cmds[i] = exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMigrateHelperProcess$", "-test.count=1", "-test.v")
		cmds[i].Env = append(os.Environ(), helperDatabaseEnv+"="+cfg.Database)
		cmds[i].SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // this process dead, so is the helper
		outs[i] = &lockedBuffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatalf("start process %d: %v", i, err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if got, want := databaseTables(t, conn, cfg.Database), ddlTables(t, ms); !slices.Equal(got, want) {
		t.Errorf("tables = %v\nwant %v", got, want)
	}
	checkOneRecordPerVersion(t, conn, cfg.Database, ms)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func TestMigrateRefusesChangedChecksum(t *testing.T) {
	conn, cfg := freshDatabase(t)
	ms := allMigrations(t)
	if _, err := chdb.Migrate(t.Context(), conn, cfg, nil); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	// As if the file of the first migration had changed since it was applied. (18.16 hangs on
	// INSERT ... VALUES sent with Exec: insert with a batch.)
	batch, err := conn.PrepareBatch(t.Context(), fmt.Sprintf("INSERT INTO `%s`.%s (version, name, checksum, applied_at)", cfg.Database, chdb.MigrationsTable))
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Append(ms[0].Version, ms[0].Name, "not-the-checksum", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}

	applied, err := chdb.Migrate(t.Context(), conn, cfg, nil)
	if !errors.Is(err, chdb.ErrChecksumMismatch) {
		t.Errorf("Migrate error = %v, want ErrChecksumMismatch", err)
	}
	if len(applied) != 0 {
		t.Errorf("Migrate applied %v, want nothing", applied)
	}
	if _, err := chdb.Pending(t.Context(), conn, cfg); !errors.Is(err, chdb.ErrChecksumMismatch) {
		t.Errorf("Pending error = %v, want ErrChecksumMismatch", err)
	}
}

func TestPendingMissingDatabase(t *testing.T) {
	conn, cfg := freshDatabase(t)
	ms := allMigrations(t)
	pending, err := chdb.Pending(t.Context(), conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationNames(ms); !slices.Equal(pending, want) {
		t.Errorf("Pending = %v, want %v", pending, want)
	}
	// The database exists but not yet schema_migrations.
	if err := conn.Exec(t.Context(), "CREATE DATABASE `"+cfg.Database+"`"); err != nil {
		t.Fatal(err)
	}
	pending, err = chdb.Pending(t.Context(), conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationNames(ms); !slices.Equal(pending, want) {
		t.Errorf("Pending = %v, want %v", pending, want)
	}
}
