package kafkatest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Child is the test binary run again as a helper process, for tests that kill an ingest
// process at a random moment (SIGKILL) and start another. The binary's TestMain recognises
// the variable in env and runs the helper instead of the tests; the helper prints one line to
// stdout once its signal handlers are installed.
type Child struct {
	cmd  *exec.Cmd
	done chan error
}

// StartChild runs os.Args[0] with no tests and env added to the environment, and returns once
// the process has printed its first line (30 s at most). The process is killed when t ends,
// and by the kernel should this process die first.
func StartChild(t testing.TB, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		br := bufio.NewReader(out)
		_, _ = br.ReadString('\n') // the helper is ready: signals are handled from here on
		close(ready)
		_, _ = io.Copy(io.Discard, br)
		c.done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start within 30s")
	}
	t.Cleanup(c.Kill)
	return c
}

// Pid is the process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Kill sends SIGKILL and waits (10 s at most) for the process to end.
func (c *Child) Kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
}

// Term sends SIGTERM and waits up to d for the exit; it returns the exit error.
func (c *Child) Term(d time.Duration) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(d):
		c.Kill()
		return fmt.Errorf("no exit within %s of SIGTERM", d)
	}
}
