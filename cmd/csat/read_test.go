package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// chEnv is the environment that points csat at cfg's server and database.
func chEnv(cfg chdb.Config, extra ...string) []string {
	return append([]string{"CSAT_CLICKHOUSE_ADDR=" + strings.Join(cfg.Addr, ","), "CSAT_CLICKHOUSE_DATABASE=" + cfg.Database,
		"CSAT_CLICKHOUSE_USER=" + cfg.User, "CSAT_CLICKHOUSE_PASSWORD=" + cfg.Password, "CSAT_LOG_LEVEL=warn"}, extra...)
}

func databaseExists(t *testing.T, cfg chdb.Config, name string) (exists bool, tables uint64) {
	t.Helper()
	ctx := context.Background()
	conn, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ?", name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	return n > 0, tables
}

// TestReadCommandsNeverCreateADatabase: a read command on a database that does not exist, or
// lacks migrations, says which and leaves the server as it was.
func TestReadCommandsNeverCreateADatabase(t *testing.T) {
	cfg := chtest.Config(t)
	chtest.Skip(t, cfg)
	cfg.Database = chtest.NewDatabaseName(t)
	for _, args := range [][]string{
		{"kpi", "--branch", "GD", "--month", "2026-10"},
		{"alerts", "--month", "2026-10"},
		{"branches"},
		{"report", "--branch", "GD", "--month", "2026-10"},
	} {
		code, _, stderr := runCLI(t, chEnv(cfg), args...)
		if code != 1 || !strings.Contains(stderr, `database "`+cfg.Database+`"`) || !strings.Contains(stderr, "does not exist") {
			t.Errorf("csat %s on a missing database: exit %d, %q", args[0], code, stderr)
		}
	}
	if exists, _ := databaseExists(t, cfg, cfg.Database); exists {
		t.Errorf("a read command created database %s", cfg.Database)
	}

	// An empty database (no migration applied): the missing migrations are named, none applied.
	ctx := context.Background()
	server, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if err := server.Exec(ctx, "CREATE DATABASE `"+cfg.Database+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+cfg.Database+"`") })
	code, _, stderr := runCLI(t, chEnv(cfg), "kpi", "--branch", "GD", "--month", "2026-10")
	if code != 1 || !strings.Contains(stderr, "lacks the migrations 0001_") || !strings.Contains(stderr, "csat migrate") {
		t.Errorf("csat kpi on an unmigrated database: exit %d, %q", code, stderr)
	}
	if _, tables := databaseExists(t, cfg, cfg.Database); tables != 0 {
		t.Errorf("a read command created %d tables", tables)
	}
}

// TestReadCommandsOnData runs the read commands over a small national data set: names beside
// ids and accepted as --branch, csat branches, exports, the 13-month trend default, empty results
// with exit 3, and the monthly report (PDF when Chromium is installed).
func TestReadCommandsOnData(t *testing.T) {
	_, cfg := chtest.New(t)
	conn, err := chdb.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bcfg := bench.DefaultConfig()
	bcfg.Scale, bcfg.Months, bcfg.LastMonth = 0.001, 4, 202609
	var out bytes.Buffer
	if err := bench.Load(context.Background(), conn, bcfg, &out); err != nil {
		t.Fatalf("bench.Load: %v\n%s", err, out.String())
	}
	// Pick a province with several cities, and one of them.
	code, stdout, stderr := runCLI(t, chEnv(cfg), "branches", "--json")
	if code != 0 {
		t.Fatalf("csat branches: %d %s", code, stderr)
	}
	var bl branchMatches
	if err := json.Unmarshal([]byte(stdout), &bl); err != nil {
		t.Fatal(err)
	}
	kids := map[string]int{}
	for _, b := range bl.Branches {
		if b.Level == 2 {
			kids[b.Parent]++
		}
	}
	province, city := "", ""
	for _, b := range bl.Branches {
		if b.Level == 2 && kids[b.Parent] >= 2 && province == "" {
			province, city = b.Parent, b.ID
		}
	}
	if province == "" {
		t.Fatalf("no province with two cities in %d branches", len(bl.Branches))
	}
	names := filepath.Join(t.TempDir(), "names.yaml")
	if err := os.WriteFile(names, []byte(fmt.Sprintf("%s: 测试省\n%s: 测试市\n", province, city)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := chEnv(cfg, "CSAT_BRANCH_NAMES_FILE="+names)

	code, stdout, _ = runCLI(t, env, "branches", "测试")
	if code != 0 || strings.Count(stdout, "测试") != 2 || !strings.Contains(stdout, city) {
		t.Errorf("csat branches 测试: %d\n%s", code, stdout)
	}
	if code, _, stderr = runCLI(t, env, "branches", "上海"); code != exitEmpty || !strings.Contains(stderr, "上海") {
		t.Errorf("csat branches 上海: exit %d %q, want %d and the reason", code, stderr, exitEmpty)
	}
	code, stdout, stderr = runCLI(t, env, "kpi", "--branch", "测试市", "--month", "2026-09")
	if code != 0 || !strings.Contains(stdout, "测试市") || !strings.Contains(stdout, city) {
		t.Errorf("csat kpi --branch 测试市: %d %s\n%s", code, stderr, stdout)
	}
	dir := t.TempDir()
	csvFile, xlsxFile := filepath.Join(dir, "c.csv"), filepath.Join(dir, "c.xlsx")
	code, stdout, stderr = runCLI(t, env, "compare", "--parent", "测试省", "--month", "2026-09", "--metric", "complaint_rate", "--csv", csvFile, "--xlsx", xlsxFile)
	if code != 0 || !strings.Contains(stdout, "测试市") {
		t.Errorf("csat compare --parent 测试省: %d %s\n%s", code, stderr, stdout)
	}
	b, err := os.ReadFile(csvFile)
	if err != nil || !bytes.HasPrefix(b, []byte("\ufeff")) || bytes.Count(b, []byte("\n")) != kids[province]+1 || !bytes.Contains(b, []byte("测试市")) {
		t.Errorf("compare CSV (%v), want a header and %d rows with names:\n%s", err, kids[province], b)
	}
	if st, err := os.Stat(xlsxFile); err != nil || st.Size() == 0 {
		t.Errorf("compare XLSX: %v", err)
	}
	code, stdout, stderr = runCLI(t, env, "trend", "--branch", province, "--metric", "csi", "--to", "2026-09", "--json")
	var tr struct {
		From, To string
		Points   []json.RawMessage
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &tr) != nil || len(tr.Points) != 13 || tr.From != "2025-09" {
		t.Errorf("csat trend --to 2026-09: %d %s, want 13 months from 2025-09: %+v\n%.600s", code, stderr, tr, stdout)
	}
	code, _, stderr = runCLI(t, env, "kpi", "--branch", city, "--month", "2019-01")
	if code != exitEmpty || !strings.Contains(stderr, "no data for "+city+" 测试市 in 2019-01") {
		t.Errorf("csat kpi for a month without data: exit %d %q, want %d and why", code, stderr, exitEmpty)
	}
	code, _, stderr = runCLI(t, env, "kpi", "--branch", "测试", "--month", "2026-09")
	if code != 2 || !strings.Contains(stderr, "names 2 branches") {
		t.Errorf("an ambiguous name: exit %d %q", code, stderr)
	}

	html, pdf := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.pdf")
	args := []string{"report", "--branch", "测试市", "--month", "2026-09", "--out", html}
	_, chromeErr := exec.LookPath("chromium")
	if chromeErr == nil || chtest.Required() {
		args = append(args, "--pdf", pdf)
	}
	start := time.Now()
	code, _, stderr = runCLI(t, env, args...)
	t.Logf("csat report in %v", time.Since(start))
	if code != 0 {
		t.Fatalf("csat report: %d %s", code, stderr)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte("测试市（"+city+"） 客户满意度月报")) || !bytes.Contains(page, []byte("2026 年 9 月")) {
		t.Errorf("report HTML (%v):\n%.500s", err, page)
	}
	if len(args) > 7 {
		if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Errorf("report PDF: %v (%d bytes)", err, len(b))
		}
	}
}
