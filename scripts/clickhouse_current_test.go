// Package scripts_test checks the service scripts that the tests themselves do not exercise
// enough: scripts/clickhouse-current.sh and its launcher, which serve the current ClickHouse
// release of make test's second pass through an undocumented call of chdb-core.
package scripts_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// current runs scripts/clickhouse-current.sh on its own folder and ports.
type current struct {
	root, dir string
	tcp, http int
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newCurrent skips t (fails it, when chtest.Required) unless the pinned chdb-core is installed
// (make up installs it), and stops the instance when t ends.
func newCurrent(t *testing.T) *current {
	t.Helper()
	c := &current{root: repoRoot(), dir: t.TempDir(), tcp: freePort(t), http: freePort(t)}
	if out, err := c.run(t, "installed"); err != nil {
		if chtest.Required() {
			t.Fatalf("chdb-core is not installed (make up installs it): %v\n%s", err, out)
		}
		t.Skipf("chdb-core is not installed (scripts/clickhouse-current.sh install): %s", out)
	}
	t.Cleanup(func() {
		if out, err := c.run(t, "stop"); err != nil {
			t.Errorf("stop: %v\n%s", err, out)
		}
	})
	return c
}

func (c *current) run(t *testing.T, arg string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(c.root, "scripts", "clickhouse-current.sh"), arg)
	cmd.Env = append(os.Environ(), "CH_CURRENT_DIR="+c.dir,
		"CH_CURRENT_TCP_PORT="+strconv.Itoa(c.tcp), "CH_CURRENT_HTTP_PORT="+strconv.Itoa(c.http))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second // a server left running must not hold us through a pipe
	err := cmd.Run()
	return out.String(), err
}

func (c *current) pid(t *testing.T) string {
	t.Helper()
	out, err := c.run(t, "pid")
	if err != nil {
		t.Fatalf("pid: %v\n%s", err, out)
	}
	return strings.TrimSpace(out)
}

// processes returns the pids of the processes whose command line names the instance's folder.
func (c *current) processes(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // ended meanwhile
		}
		if bytes.Contains(b, []byte(c.dir)) {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}

func (c *current) open(t *testing.T) chdb.Config {
	t.Helper()
	return chdb.Config{Addr: []string{"127.0.0.1:" + strconv.Itoa(c.tcp)}, Database: "default", User: "default",
		DialTimeout: 5 * time.Second, MaxOpenConns: 1}
}

func query(t *testing.T, cfg chdb.Config, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		t.Fatalf("open %v: %v", cfg.Addr, err)
	}
	defer conn.Close()
	if !strings.HasPrefix(sql, "SELECT") {
		if err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return ""
	}
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// TestClickHouseCurrent starts the pinned release, talks to it with the project's driver, and
// checks that its data outlives a restart and that stop ends the process.
func TestClickHouseCurrent(t *testing.T) {
	c := newCurrent(t)
	if out, err := c.run(t, "start"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	p := c.pid(t)
	if p == "" {
		t.Fatal("no pid after start")
	}
	cfg := c.open(t)
	if v := query(t, cfg, "SELECT version()"); !strings.HasPrefix(v, "26.9.") {
		t.Errorf("version() = %q, want 26.9.*", v)
	}
	query(t, cfg, "CREATE DATABASE kept")
	query(t, cfg, "CREATE TABLE kept.t (a UInt32) ENGINE = MergeTree ORDER BY a")
	query(t, cfg, "INSERT INTO kept.t (a) VALUES (1), (2), (4)")
	if out, err := c.run(t, "start"); err != nil || !strings.Contains(out, "already running") {
		t.Errorf("second start: %v, want 'already running' in\n%s", err, out)
	}
	if out, err := c.run(t, "status"); err != nil || !strings.Contains(out, "up on tcp "+strconv.Itoa(c.tcp)) {
		t.Errorf("status: %v\n%s", err, out)
	}

	if out, err := c.run(t, "stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if ps := c.processes(t); len(ps) > 0 {
		t.Errorf("processes %v (started as %s) still run after stop", ps, p)
	}
	if chtest.Reachable(cfg.Addr[0]) {
		t.Errorf("%s still accepts connections after stop", cfg.Addr[0])
	}
	if out, err := c.run(t, "status"); err == nil || !strings.Contains(out, "down") {
		t.Errorf("status after stop: %v, want down\n%s", err, out)
	}

	if out, err := c.run(t, "start"); err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	if got := query(t, cfg, "SELECT toString(sum(a)) FROM kept.t"); got != "7" {
		t.Errorf("after a restart sum = %s, want 7", got)
	}
}

// TestClickHouseCurrentPortInUse: when a port is taken, start fails with the engine's reason
// and leaves no process behind.
func TestClickHouseCurrentPortInUse(t *testing.T) {
	c := newCurrent(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(c.tcp))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, err := c.run(t, "start")
	if err == nil {
		t.Fatalf("start succeeded with tcp port %d taken:\n%s", c.tcp, out)
	}
	if !strings.Contains(out, "Address already in use") {
		t.Errorf("start's output does not give the reason:\n%s", out)
	}
	if ps := c.processes(t); len(ps) > 0 {
		t.Errorf("processes %v left running after a failed start", ps)
	}
}
