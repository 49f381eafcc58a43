package chdb_test

import (
	"slices"
	"testing"

	"github.com/csat-dev/csat/schema/chdb"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		want    []string
		wantErr bool
	}{
		{name: "empty", sql: "", want: nil},
		{name: "only comments", sql: "-- a\n-- b;\n/* c; */\n", want: nil},
		{name: "one without semicolon", sql: "SELECT 1", want: []string{"SELECT 1"}},
		{name: "two", sql: "SELECT 1;\nSELECT 2;\n", want: []string{"SELECT 1", "SELECT 2"}},
		{
			name: "comment lines and trailing comments",
			sql:  "-- header; with a semicolon\nCREATE TABLE t (\n    a UInt8, -- a; comment\n    b String\n) ENGINE = Memory; -- done\n",
			want: []string{"CREATE TABLE t (\n    a UInt8, \n    b String\n) ENGINE = Memory"},
		},
		{name: "semicolon in string", sql: "SELECT 'a;b', \"c;d\", `e;f`; SELECT 2", want: []string{"SELECT 'a;b', \"c;d\", `e;f`", "SELECT 2"}},
		{name: "comment markers in string", sql: "SELECT '--x', '/*y*/';", want: []string{"SELECT '--x', '/*y*/'"}},
		{name: "escaped quotes", sql: `SELECT 'it\'s;', 'a''b;'; SELECT 3`, want: []string{`SELECT 'it\'s;', 'a''b;'`, "SELECT 3"}},
		{name: "block comment", sql: "SELECT /* ; */ 1;", want: []string{"SELECT   1"}},
		{name: "empty statements", sql: ";;\n ; SELECT 1;;", want: []string{"SELECT 1"}},
		{name: "comment at end without newline", sql: "SELECT 1; -- end", want: []string{"SELECT 1"}},
		{name: "unterminated quote", sql: "SELECT 'a;", wantErr: true},
		{name: "unterminated block comment", sql: "SELECT 1 /* ;", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chdb.SplitStatements(tt.sql)
			if (err != nil) != tt.wantErr {
				t.Fatalf("SplitStatements(%q) error = %v, want error %v", tt.sql, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SplitStatements(%q)\n got %q\nwant %q", tt.sql, got, tt.want)
			}
		})
	}
}

func TestMigrationsEmbedded(t *testing.T) {
	ms, err := chdb.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Fatalf("got %d migrations, want at least 2", len(ms))
	}
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version {
			t.Errorf("%s after %s: versions not increasing", m.Name, ms[i-1].Name)
		}
		if len(m.Statements) == 0 || len(m.Checksum) != 64 {
			t.Errorf("%s: %d statements, checksum %q", m.Name, len(m.Statements), m.Checksum)
		}
	}
	if ms[0].Name != "0001_raw_events.sql" || ms[0].Version != 1 {
		t.Errorf("first migration = %s (version %d), want 0001_raw_events.sql", ms[0].Name, ms[0].Version)
	}
}
