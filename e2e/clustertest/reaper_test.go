package clustertest_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// started stops what the tests started with scripts/cluster.sh (need): the layouts' servers and
// ZooKeeper, when this test binary ends.
var started reaper

const reaperChildEnv = "CSAT_TEST_REAPER_CHILD"

func TestMain(m *testing.M) {
	if script := os.Getenv(reaperChildEnv); script != "" {
		os.Exit(reaperChild(script))
	}
	code := m.Run()
	if err := started.close(); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest: stopping what the tests started:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// A reaper runs a script with each argument line it was given, newest first, once this process
// ends — however it ends. The lines go down a pipe to a bash process in its own process group
// (out of reach of a terminal's Ctrl-C) that runs them when the pipe closes: close closes it and
// waits; on a panic, a test timeout, os.Exit or SIGKILL the kernel closes it.
type reaper struct {
	mu     sync.Mutex
	script string
	cmd    *exec.Cmd
	w      io.WriteCloser
}

// reaperScript is the reaper process: $0 is the script to run; a line that fails is reported
// and the others still run.
const reaperScript = `trap '' INT HUP PIPE
todo=()
while IFS= read -r line; do todo=("$line" "${todo[@]}"); done
for args in "${todo[@]}"; do
	bash "$0" $args || echo "reaper: $0 $args failed" >&2
done
`

// add has the reaper run script with args (split on spaces) when this process ends. The first
// call starts the reaper; every call must name the same script.
func (r *reaper) add(script string, args ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		cmd := exec.Command("bash", "-c", reaperScript, script)
		w, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		// Files, not pipes: nothing in this process copies the reaper's output, which it may
		// write after this process is gone.
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start the reaper: %w", err)
		}
		r.script, r.cmd, r.w = script, cmd, w
	}
	if script != r.script {
		return fmt.Errorf("reaper of %s asked to run %s", r.script, script)
	}
	_, err := fmt.Fprintln(r.w, strings.Join(args, " "))
	return err
}

// close runs what was added, newest first, and waits until it is done.
func (r *reaper) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return nil
	}
	_ = r.w.Close() // EOF: the reaper starts; Wait reports how it ended
	err := r.cmd.Wait()
	r.cmd = nil
	return err
}

// reaperChild is the child of TestReaperWhenKilled: a reaper with two lines, then wait to be killed.
func reaperChild(script string) int {
	var r reaper
	for _, a := range []string{"first", "second"} {
		if err := r.add(script, a); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 1
}

// recorder writes a script that appends its arguments to a file, and returns both paths.
func recorder(t *testing.T) (script, log string) {
	t.Helper()
	dir := t.TempDir()
	script, log = filepath.Join(dir, "record.sh"), filepath.Join(dir, "record.log")
	if err := os.WriteFile(script, []byte("echo \"$*\" >>"+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, log
}

// The reaper runs its lines newest first when closed, and not before.
func TestReaperClose(t *testing.T) {
	script, log := recorder(t)
	var r reaper
	for _, a := range []string{"down zookeeper", "down replicas", "down shards"} {
		if err := r.add(script, strings.Fields(a)...); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.add(script+".other", "x"); err == nil {
		t.Error("a second script was accepted")
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(log); err == nil {
		t.Fatal("the reaper ran before it was closed")
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "down shards\ndown replicas\ndown zookeeper\n"; got != want {
		t.Errorf("ran %q, want %q", got, want)
	}
	if err := r.close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// A test binary killed with SIGKILL (what a timeout or an interrupt can amount to) still has its
// reaper's lines run.
func TestReaperWhenKilled(t *testing.T) {
	script, log := recorder(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), reaperChildEnv+"="+script)
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
	if err != nil || line != "ready\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Fatal("the reaper ran while the child was alive")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed: the error says so
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(log)
		if err == nil && strings.Count(string(b), "\n") == 2 {
			if got, want := string(b), "second\nfirst\n"; got != want {
				t.Errorf("ran %q, want %q", got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the kill the reaper has run %q (%v)", b, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
