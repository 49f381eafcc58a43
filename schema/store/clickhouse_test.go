package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
	"github.com/csat-dev/csat/schema/store"
)

// odd are strings that quoting must carry through unchanged.
var odd = []string{
	"", "plain", "it's", `back\slash`, `\'`, `\\'`, "end\\", `'`, `\`, "`", "a`b``c", `\n is not a newline`,
	"new\nline", "tab\tcr\r", "nul\x00byte", "ünïcödé 中文 🙂", "\xff\xfe not UTF-8", "'; DROP TABLE x; --",
	`"double"`, "$1 ? %s {x}",
}

// TestContractOnServer: on a migrated database, every table of the contract has exactly the
// contract's columns, every INSERT prepares, and MarkDirty writes what it is given.
func TestContractOnServer(t *testing.T) {
	conn, cfg := chtest.New(t)
	ctx := t.Context()
	columns := func(table string) []string {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT name FROM system.columns WHERE database = "+
			store.QuoteString(cfg.Database)+" AND table = "+store.QuoteString(table))
		if err != nil {
			t.Fatalf("columns of %s: %v", table, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	prepare := func(stmt string) {
		t.Helper()
		b, err := conn.PrepareBatch(ctx, stmt)
		if err != nil {
			t.Errorf("prepare %q: %v", stmt, err)
			return
		}
		if err := b.Abort(); err != nil {
			t.Errorf("abort %q: %v", stmt, err)
		}
	}
	for _, id := range store.RawTables() {
		if got := columns(id.Name()); !sameSet(got, id.Columns()) {
			t.Errorf("%s: the server has columns %v, the contract %v", id, got, id.Columns())
		}
		prepare(id.Insert())
	}
	for _, f := range append(store.Families(), store.FamilyDrivers) {
		if len(columns(f.Table())) == 0 {
			t.Errorf("family %s: no table %s", f, f.Table())
		}
	}
	if got := columns(store.VersionsTable); len(got) == 0 {
		t.Errorf("no table %s", store.VersionsTable)
	}
	prepare(store.DirtyInsert)
	prepare(store.RejectedInsert)

	before := time.Now().UnixNano()
	marks := []store.Mark{{Family: store.FamilySurvey, Month: 202410}, {Family: store.FamilyWindow, Month: 202409}}
	if err := store.MarkDirty(ctx, conn, marks); err != nil {
		t.Fatalf("MarkDirty: %v", err)
	}
	if err := store.MarkDirty(ctx, conn, nil); err != nil {
		t.Fatalf("MarkDirty(nil): %v", err)
	}
	rows, err := conn.Query(ctx, "SELECT family, month, marked_at FROM "+store.DirtyTable+" ORDER BY family")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []store.Mark
	for rows.Next() {
		var (
			f  string
			m  uint32
			at uint64
		)
		if err := rows.Scan(&f, &m, &at); err != nil {
			t.Fatal(err)
		}
		if int64(at) < before || int64(at) > time.Now().UnixNano() {
			t.Errorf("mark %s %d: marked_at %d outside the call", f, m, at)
		}
		got = append(got, store.Mark{Family: store.Family(f), Month: schema.Month(m)})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, marks) {
		t.Errorf("kpi_dirty holds %v, want %v", got, marks)
	}
}

// TestQuoteOnServer: the server reads every quoted string and identifier back as the original.
func TestQuoteOnServer(t *testing.T) {
	conn, cfg := chtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for _, s := range odd {
		var got string
		if err := conn.QueryRow(ctx, "SELECT "+store.QuoteString(s)).Scan(&got); err != nil {
			t.Errorf("SELECT %s: %v", store.QuoteString(s), err)
		} else if got != s {
			t.Errorf("SELECT %s = %q, want %q", store.QuoteString(s), got, s)
		}
	}
	var all []string
	if err := conn.QueryRow(ctx, "SELECT ["+store.QuoteStrings(odd)+"]").Scan(&all); err != nil {
		t.Fatalf("SELECT [QuoteStrings]: %v", err)
	}
	if !slices.Equal(all, odd) {
		t.Errorf("SELECT [QuoteStrings] = %q, want %q", all, odd)
	}
	var n uint64
	q := "SELECT count() FROM system.one WHERE " + store.QuoteString(odd[3]) + " IN (" + store.QuoteStrings(odd) + ")"
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil || n != 1 {
		t.Errorf("%s: %d, %v; want 1", q, n, err)
	}

	for _, name := range odd {
		if name == "" || strings.ContainsRune(name, 0) {
			continue // no identifier is empty or holds NUL
		}
		rows, err := conn.Query(ctx, "SELECT 1 AS "+store.QuoteIdent(name))
		if err != nil {
			t.Errorf("SELECT 1 AS %s: %v", store.QuoteIdent(name), err)
			continue
		}
		if cols := rows.Columns(); len(cols) != 1 || cols[0] != name {
			t.Errorf("SELECT 1 AS %s: columns %q, want [%q]", store.QuoteIdent(name), cols, name)
		}
		rows.Close()
		if strings.ContainsAny(name, "/\n\r\t") || !isValidUTF8(name) {
			continue // a table name also names files on the server
		}
		table := store.QuoteIdent(cfg.Database) + "." + store.QuoteIdent("t "+name)
		if err := conn.Exec(ctx, "CREATE TABLE "+table+" ("+store.QuoteIdent(name)+" String) ENGINE = Memory"); err != nil {
			t.Errorf("create table %s: %v", table, err)
			continue
		}
		var col string
		err = conn.QueryRow(ctx, "SELECT name FROM system.columns WHERE database = "+store.QuoteString(cfg.Database)+
			" AND table = "+store.QuoteString("t "+name)).Scan(&col)
		if err != nil || col != name {
			t.Errorf("column of %s: %q, %v; want %q", table, col, err, name)
		}
	}
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
