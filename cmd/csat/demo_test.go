package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema/chdb/chtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDemoSummary runs `csat demo --exit` on the test ClickHouse server (CSAT_CLICKHOUSE_ADDR:
// make test runs it on ClickHouse 18.16 and again on the current release) with the in-process
// Kafka broker, and compares the summary it prints with testdata/demo-summary.golden: the demo
// gives the same summary on every server. -update rewrites the file.
func TestDemoSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo ingests ~350k events")
	}
	_, cfg := chtest.New(t) // a fresh database, dropped at the end; the demo migrates it again
	environ := []string{
		"CSAT_CLICKHOUSE_ADDR=" + strings.Join(cfg.Addr, ","),
		"CSAT_CLICKHOUSE_DATABASE=" + cfg.Database,
		"CSAT_CLICKHOUSE_USER=" + cfg.User,
		"CSAT_CLICKHOUSE_PASSWORD=" + cfg.Password,
		"CSAT_LOG_LEVEL=warn",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The branch names file the demo writes for the CLI (no --state: in the temporary folder).
	t.Cleanup(func() { os.Remove(filepath.Join(os.TempDir(), "csat-"+cfg.Database+"-branch-names.yaml")) })
	var stdout, stderr bytes.Buffer
	// A fixed last month: the default, the last full month, moves with the clock.
	code := run(ctx, []string{"demo", "--exit", "--end-month", "2026-11"}, strings.NewReader(""), &stdout, &stderr, environ)
	if code != 0 {
		t.Fatalf("csat demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "▸ using ClickHouse at "+strings.Join(cfg.Addr, ",")) {
		t.Errorf("the demo did not use the test server %v:\n%s", cfg.Addr, out)
	}
	begin, end := strings.Index(out, "\n2026-11 — company-wide"), strings.Index(out, "\nready in ")
	if begin < 0 || end < begin {
		t.Fatalf("no summary (2026-11 — company-wide … ready in) in the demo's output:\n%s", out)
	}
	got := out[begin+1 : end]
	// After the summary, the environment that points the CLI at the demo's data.
	if env := "export CSAT_CLICKHOUSE_ADDR=" + strings.Join(cfg.Addr, ",") + " CSAT_CLICKHOUSE_DATABASE=" + cfg.Database + " CSAT_BRANCH_NAMES_FILE="; !strings.Contains(out[end:], env) {
		t.Errorf("the demo does not print the CLI's environment (%s…):\n%s", env, out[end:])
	}
	golden := filepath.Join("testdata", "demo-summary.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the demo's summary on %v differs from %s (go test -update rewrites it):\n%s", cfg.Addr, golden, got)
	}
}
