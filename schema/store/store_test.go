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

// TestEveryType: every event type has exactly one raw table, and the table's families are
// among the families, in their order, each once; every family has tables.
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
		if fs := store.FamiliesOf(typ); !slices.Equal(fs, id.Families()) {
			t.Errorf("FamiliesOf(%s) = %v, its table's are %v", typ, fs, id.Families())
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
	if fs := store.FamiliesOf(schema.TypeUnknown); fs != nil {
		t.Errorf("FamiliesOf(TypeUnknown) = %v, want none", fs)
	}
	names := map[string]bool{}
	for _, id := range store.RawTables() {
		if id.Name() == "" || names[id.Name()] {
			t.Errorf("raw table %d: name %q empty or repeated", id, id.Name())
		}
		names[id.Name()] = true
		last := -1
		for _, f := range id.Families() {
			i := slices.Index(store.Families(), f)
			if i < 0 {
				t.Errorf("%s: family %q is not among Families()", id, f)
			} else if i <= last {
				t.Errorf("%s: families %v not in Families() order, or repeated", id, id.Families())
			}
			last = max(last, i)
			if !slices.Contains(f.RawTables(), id) {
				t.Errorf("%s: not among the raw tables of its family %s", id, f)
			}
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
	if id := store.NumRawTables; id.Name() != "" || id.Insert() != "" || id.Columns() != nil || id.Families() != nil || id.Retraction() {
		t.Errorf("table %d out of range answers %q %q %v %v %v", id, id.Name(), id.Insert(), id.Columns(), id.Families(), id.Retraction())
	}
}

// TestTablesOfFamilies: Family.RawTables is the inverse of RawTable.Families — a family's
// tables are exactly those that name it — and the assessment tables, read as they are, feed
// no family.
func TestTablesOfFamilies(t *testing.T) {
	for _, f := range store.Families() {
		for _, id := range store.RawTables() {
			if got, want := slices.Contains(f.RawTables(), id), slices.Contains(id.Families(), f); got != want {
				t.Errorf("%s among the tables of %s: %v; %s names %s: %v", id, f, got, id, f, want)
			}
		}
	}
	for _, id := range []store.RawTable{store.ScoresReported, store.Adjustments, store.AdjustmentVoids} {
		if fs := id.Families(); len(fs) != 0 {
			t.Errorf("%s feeds %v, want no family", id, fs)
		}
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
	need(store.BasesTable, insertColumns(store.BasesInsert))
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
