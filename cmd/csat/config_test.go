package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEConfigTable keeps README's configuration table and the code in step: every variable
// the configuration reads has a row with its default, and every row names a variable that exists.
func TestREADMEConfigTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin, end := strings.Index(readme, "<!-- config:begin -->"), strings.Index(readme, "<!-- config:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md has no <!-- config:begin --> … <!-- config:end --> table")
	}
	rows := map[string]string{} // variable → default cell
	row := regexp.MustCompile("(?m)^\\| `(CSAT_[A-Z0-9_]+)` \\| ([^|]*) \\|")
	for _, m := range row.FindAllStringSubmatch(readme[begin:end], -1) {
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	vars := envVars()
	if len(vars) < 40 {
		t.Fatalf("only %d variables found in the config struct", len(vars))
	}
	code := map[string]bool{}
	for _, v := range vars {
		code[v.Name] = true
		cell, ok := rows[v.Name]
		if !ok {
			t.Errorf("README configuration table lacks %s (default %q)", v.Name, v.Default)
			continue
		}
		if v.Default != "" && cell != "`"+v.Default+"`" {
			t.Errorf("README says %s defaults to %s; the code says %q", v.Name, cell, v.Default)
		}
		if v.Default == "" && strings.HasPrefix(cell, "`") && cell != "`false`" {
			t.Errorf("README gives %s the default %s; the code has none", v.Name, cell)
		}
	}
	for name := range rows {
		if !code[name] {
			t.Errorf("README documents %s, which the code does not read", name)
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
