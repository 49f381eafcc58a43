package ingest_test

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/ingesttest"
	"github.com/csat-dev/csat/ingest/kafkatest"
)

// childSpec is what a re-executed test binary needs to run an ingester.
type childSpec = ingesttest.IngestChild

func TestMain(m *testing.M) { ingesttest.IngestMain(m, nil) }

func startChild(t testing.TB, s childSpec) *kafkatest.Child { return ingesttest.StartIngest(t, s) }

// peakRSS reads VmHWM of the running child, in bytes.
func peakRSS(c *kafkatest.Child) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(c.Pid()) + "/status")
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
