package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// configRows reads the rows (variable → default cell) of the table between the markers
// <!-- begin --> and <!-- end --> of a document.
func configRows(t *testing.T, path, begin, end string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, "<!-- "+begin+" -->"), strings.Index(doc, "<!-- "+end+" -->")
	if i < 0 || j < i {
		t.Fatalf("%s has no <!-- %s --> … <!-- %s --> table", path, begin, end)
	}
	rows := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `(CSAT_[A-Z0-9_]+)` \\| ([^|]*) \\|")
	for _, m := range row.FindAllStringSubmatch(doc[i:j], -1) {
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	return rows
}

// TestConfigReference keeps docs/configuration.md's table and the code in step: every variable
// the configuration reads has a row with its default, and every row names a variable that
// exists. The README's table of the essential settings says what the reference says.
func TestConfigReference(t *testing.T) {
	rows := configRows(t, "../../docs/configuration.md", "config:begin", "config:end")
	vars := envVars()
	if len(vars) < 40 {
		t.Fatalf("only %d variables found in the config struct", len(vars))
	}
	code := map[string]bool{}
	for _, v := range vars {
		code[v.Name] = true
		cell, ok := rows[v.Name]
		if !ok {
			t.Errorf("docs/configuration.md lacks %s (default %q)", v.Name, v.Default)
			continue
		}
		if v.Default != "" && cell != "`"+v.Default+"`" {
			t.Errorf("docs/configuration.md says %s defaults to %s; the code says %q", v.Name, cell, v.Default)
		}
		if v.Default == "" && strings.HasPrefix(cell, "`") && cell != "`false`" {
			t.Errorf("docs/configuration.md gives %s the default %s; the code has none", v.Name, cell)
		}
	}
	for name := range rows {
		if !code[name] {
			t.Errorf("docs/configuration.md documents %s, which the code does not read", name)
		}
	}
	essentials := configRows(t, "../../README.md", "config:essentials:begin", "config:essentials:end")
	if len(essentials) < 10 {
		t.Errorf("README lists %d essential settings", len(essentials))
	}
	for name, cell := range essentials {
		if ref, ok := rows[name]; !ok || ref != cell {
			t.Errorf("README gives %s the default %s; docs/configuration.md says %q", name, cell, ref)
		}
	}
}

func TestParseConfigNamesTheVariable(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"bad int", []string{"CSAT_MIN_SAMPLE=many"}, "CSAT_MIN_SAMPLE"},
		{"bad duration", []string{"CSAT_BATCH_INTERVAL=soon"}, "CSAT_BATCH_INTERVAL"},
		{"bad log level", []string{"CSAT_LOG_LEVEL=loud"}, "CSAT_LOG_LEVEL"},
		{"bad http addr", []string{"CSAT_HTTP_ADDR=nowhere"}, "CSAT_HTTP_ADDR"},
		{"bad time zone", []string{"CSAT_TIMEZONE=Mars/Base"}, "CSAT_TIMEZONE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.env)
			if err == nil {
				t.Fatalf("parseConfig(%v) accepted it", tc.env)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %s", err, tc.want)
			}
		})
	}
	if _, err := parseConfig(nil); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
}
