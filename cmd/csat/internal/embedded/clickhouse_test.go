package embedded

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestStartClickHouse(t *testing.T) {
	if _, err := findServer(); err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ch, err := StartClickHouse(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Stop()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var one uint8
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	ch.Stop()
	ch.Stop() // idempotent
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("server still answers after Stop")
	} else if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}

const orphanEnv = "CSAT_TEST_EMBEDDED_ORPHAN"

func TestMain(m *testing.M) {
	if dir := os.Getenv(orphanEnv); dir != "" {
		// The child of TestClickHouseDiesWithCsat: start a server, say its pid, wait to be killed.
		ch, err := StartClickHouse(context.Background(), dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(ch.cmd.Process.Pid)
		time.Sleep(time.Hour)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// A csat killed without stopping its private server (SIGKILL, a crash, a test's timeout) does not
// leave the server running.
func TestClickHouseDiesWithCsat(t *testing.T) {
	if _, err := findServer(); err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), orphanEnv+"="+t.TempDir())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		t.Fatalf("child: %q, %v", line, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // only if the test failed
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed: the error says so
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(b), ") Z ") {
			break // exited, not yet reaped by init
		}
		if time.Now().After(deadline) {
			t.Fatalf("clickhouse-server %d still runs 30 s after its csat was killed", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
