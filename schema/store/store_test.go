package store_test

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/migrations"
	"github.com/csat-dev/csat/schema/store"
)

// TestEveryType: every event type has exactly one raw table, and the table's family is one of
// the families; every family has tables.
func TestEveryType(t *testing.T) {
	seen := map[store.RawTable]schema.Type{}
	for _, typ := range schema.Types() {
		id, ok := store.TableOf(typ)
		if !ok {
			t.Errorf("%s: no raw table", typ)
			continue
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("%s and %s share the table %s", prev, typ, id)
		}
		seen[id] = typ
		if id.Type() != typ {
			t.Errorf("table %s holds %s, want %s", id, id.Type(), typ)
		}
		if f := store.FamilyOf(typ); !slices.Contains(store.Families(), f) {
			t.Errorf("%s: family %q is not among Families()", typ, f)
		}
	}
	if len(seen) != int(store.NumRawTables) {
		t.Errorf("%d raw tables hold an event type, want all %d", len(seen), store.NumRawTables)
	}
	for _, typ := range []schema.Type{schema.TypeUnknown, 200, 255} {
		if id, ok := store.TableOf(typ); ok {
			t.Errorf("TableOf(%d) = %s, want none", typ, id)
		}
	}
	if f := store.FamilyOf(schema.TypeUnknown); f != "" {
		t.Errorf("FamilyOf(TypeUnknown) = %q, want \"\"", f)
	}
	names := map[string]bool{}
	for _, id := range store.RawTables() {
		if id.Name() == "" || names[id.Name()] {
			t.Errorf("raw table %d: name %q empty or repeated", id, id.Name())
		}
		names[id.Name()] = true
		if !slices.Contains(store.Families(), id.Family()) {
			t.Errorf("%s: family %q is not among Families()", id, id.Family())
		}
		if !slices.Contains(id.Family().RawTables(), id) {
			t.Errorf("%s: not among the raw tables of its family %s", id, id.Family())
		}
	}
	for _, f := range append(store.Families(), store.FamilyDrivers) {
		if !f.Valid() {
			t.Errorf("family %s is not valid", f)
		}
		monthly := 0
		for _, id := range f.RawTables() {
			if !id.Retraction() {
				monthly++
			}
		}
		if monthly == 0 {
			t.Errorf("family %s: no raw table whose rows count in their month", f)
		}
	}
	for _, f := range []store.Family{"", "kpi", "Survey", "nope"} {
		if f.Valid() {
			t.Errorf("Family(%q).Valid() = true", f)
		}
	}
	if id := store.NumRawTables; id.Name() != "" || id.Insert() != "" || id.Columns() != nil || id.Family() != "" || id.Retraction() {
		t.Errorf("table %d out of range answers %q %q %v %q %v", id, id.Name(), id.Insert(), id.Columns(), id.Family(), id.Retraction())
	}
}

// TestInsertNamesColumns: each raw table's INSERT names its columns, in Columns order.
func TestInsertNamesColumns(t *testing.T) {
	for _, id := range store.RawTables() {
		want := "INSERT INTO " + id.Name() + " (" + strings.Join(id.Columns(), ", ") + ")"
		if got := id.Insert(); got != want {
			t.Errorf("%s: Insert() = %q, want %q", id, got, want)
		}
		cols := id.Columns()
		if len(cols) < 9 || cols[0] != "event_id" || cols[len(cols)-1] != "ingested_at" {
			t.Errorf("%s: columns %v do not start with the envelope and end with the Kafka columns", id, cols)
		}
	}
}

// ddlTables reads the tables and their columns from the migrations: CREATE TABLE statements
// and ALTER TABLE ... ADD COLUMN.
func ddlTables(t *testing.T) map[string][]string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v files, err %v", files, err)
	}
	create := regexp.MustCompile(`(?is)CREATE TABLE IF NOT EXISTS\s+(\w+)\s*\((.*?)\)\s*ENGINE`)
	column := regexp.MustCompile(`(?m)^\s*(\w+)\s+[A-Z]\w*`)
	alter := regexp.MustCompile(`(?i)ALTER TABLE\s+(\w+)\s+ADD COLUMN\s+(\w+)`)
	out := map[string][]string{}
	for _, f := range files {
		b, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		sql := regexp.MustCompile(`(?m)--.*$`).ReplaceAllString(string(b), "")
		for _, m := range create.FindAllStringSubmatch(sql, -1) {
			for _, c := range column.FindAllStringSubmatch(m[2], -1) {
				out[m[1]] = append(out[m[1]], c[1])
			}
		}
		for _, m := range alter.FindAllStringSubmatch(sql, -1) {
			out[m[1]] = append(out[m[1]], m[2])
		}
	}
	return out
}

// insertColumns returns the column list of an INSERT INTO t (a, b) statement.
func insertColumns(stmt string) []string {
	i, j := strings.Index(stmt, "("), strings.LastIndex(stmt, ")")
	return strings.Split(stmt[i+1:j], ", ")
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// TestMigrations: every table the contract names exists in the DDL, an INSERT names exactly
// the table's columns, and every table of the DDL belongs to the contract.
func TestMigrations(t *testing.T) {
	ddl := ddlTables(t)
	if len(ddl["survey_responses"]) < 10 {
		t.Fatalf("parsed %d columns of survey_responses: the DDL parser is broken", len(ddl["survey_responses"]))
	}
	known := map[string]bool{}
	need := func(table string, insertCols []string) {
		t.Helper()
		known[table] = true
		cols, ok := ddl[table]
		if !ok {
			t.Errorf("table %s is not created by any migration", table)
			return
		}
		if insertCols != nil && !sameSet(insertCols, cols) {
			t.Errorf("%s: the INSERT names %v, the DDL has %v", table, insertCols, cols)
		}
	}
	for _, id := range store.RawTables() {
		need(id.Name(), id.Columns())
		if got := insertColumns(id.Insert()); !slices.Equal(got, id.Columns()) {
			t.Errorf("%s: Insert names %v, Columns %v", id, got, id.Columns())
		}
	}
	for _, f := range append(store.Families(), store.FamilyDrivers) {
		need(f.Table(), nil)
	}
	need(store.DirtyTable, insertColumns(store.DirtyInsert))
	need(store.VersionsTable, nil)
	need(store.RejectedTable, insertColumns(store.RejectedInsert))
	for table := range ddl {
		if !known[table] {
			t.Errorf("migrations create %s, which schema/store does not name: add it to the contract", table)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, lit, ident string }{
		{"", "''", "``"},
		{"plain", "'plain'", "`plain`"},
		{"it's", `'it\'s'`, "`it's`"},
		{`a\b`, `'a\\b'`, "`a\\\\b`"},
		{"a`b", "'a`b'", "`a\\`b`"},
		{`\'`, `'\\\''`, "`\\\\'`"},
	} {
		if got := store.QuoteString(c.in); got != c.lit {
			t.Errorf("QuoteString(%q) = %s, want %s", c.in, got, c.lit)
		}
		if got := store.QuoteIdent(c.in); got != c.ident {
			t.Errorf("QuoteIdent(%q) = %s, want %s", c.in, got, c.ident)
		}
	}
	if got, want := store.QuoteStrings([]string{"a", "b'c"}), `'a', 'b\'c'`; got != want {
		t.Errorf("QuoteStrings = %s, want %s", got, want)
	}
	if got := store.QuoteStrings(nil); got != "" {
		t.Errorf("QuoteStrings(nil) = %q, want \"\"", got)
	}
}
