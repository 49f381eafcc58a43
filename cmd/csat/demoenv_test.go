package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDemoEnv: the demo's branch names file reads back as CSAT_BRANCH_NAMES_FILE, and the
// printed environment points the CLI at the demo's server and database.
func TestDemoEnv(t *testing.T) {
	names := map[string]string{"GD": "广东省", "GD-GZ": "广州市", "GD-GZ-TH": "天河区: 东", "ZJ": "yes"}
	p := filepath.Join(t.TempDir(), "branch-names.yaml")
	if err := writeBranchNames(p, names); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := yaml.Unmarshal(b, &back); err != nil || len(back) != len(names) {
		t.Fatalf("names file does not read back (%v):\n%s", err, b)
	}
	for id, n := range names {
		if back[id] != n {
			t.Errorf("%s: %q, want %q", id, back[id], n)
		}
	}
	cfg, err := parseConfig([]string{"CSAT_CLICKHOUSE_ADDR=127.0.0.1:19000", "CSAT_CLICKHOUSE_DATABASE=csat_demo"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printDemoEnv(&out, &app{cfg: cfg}, p, 202611, true)
	for _, want := range []string{"export CSAT_CLICKHOUSE_ADDR=127.0.0.1:19000 CSAT_CLICKHOUSE_DATABASE=csat_demo CSAT_BRANCH_NAMES_FILE=" + p,
		"csat kpi --branch GD-GZ --month 2026-11", "stops with the demo"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo environment lacks %q:\n%s", want, out.String())
		}
	}
}
