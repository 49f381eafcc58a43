package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// childSpec is what a re-executed test binary needs to run an ingester (CSAT_TEST_INGEST_CHILD).
type childSpec struct {
	Config     ingest.Config
	Topics     schema.Topics
	ClickHouse chdb.Config
	Drain      bool
}

const childEnv = "CSAT_TEST_INGEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild runs one ingester until SIGTERM (or, with Drain, until caught up).
func runChild(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "child spec:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	conn, err := chdb.Open(ctx, s.ClickHouse)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open clickhouse:", err)
		return 2
	}
	defer conn.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	dec := schema.NewDecoder(schema.DefaultCatalog(), s.Topics, loc)
	in, err := ingest.New(s.Config, dec, s.Topics, conn, testLogger(nil), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "new:", err)
		return 2
	}
	fmt.Println("child ready")
	if s.Drain {
		err = in.Drain(ctx)
	} else {
		err = in.Run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		return 1
	}
	return 0
}

// child is a running ingester subprocess.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

func startChild(t testing.TB, s childSpec) *child {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	// t.Cleanup kills the child; should this process die first (a test timeout's panic), the
	// kernel does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		br := bufio.NewReader(out)
		_, _ = br.ReadString('\n') // "child ready": signals are handled from here on
		close(ready)
		_, _ = io.Copy(io.Discard, br)
		c.done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start within 30s")
	}
	t.Cleanup(func() { c.kill() })
	return c
}

// kill sends SIGKILL and waits for the process to end.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
}

// term sends SIGTERM and waits up to d for the exit; it returns the exit error.
func (c *child) term(d time.Duration) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(d):
		c.kill()
		return fmt.Errorf("no exit within %s of SIGTERM", d)
	}
}

// peakRSS reads VmHWM of the running child, in bytes.
func (c *child) peakRSS() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// proxy is a TCP proxy whose traffic a test can cut (ClickHouse outage).
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// specFor returns the child spec of env e with ClickHouse at addr (default: the test's).
func (e *env) spec(cfg ingest.Config, addr string) childSpec {
	ch := chdbConfig(e.t)
	ch.Database = e.db
	if addr != "" {
		ch.Addr = []string{addr}
	}
	return childSpec{Config: cfg, Topics: e.topics, ClickHouse: ch}
}
