package api_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// stallProxy forwards TCP connections to upstream until stall is called; from then on it
// moves no byte in either direction (connections stay open: a server that hangs). Close stops
// it and waits for its goroutines.
type stallProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	stalled  chan struct{} // closed: forwarding; replaced by an open channel while stalled
	conns    []net.Conn
	wg       sync.WaitGroup
	done     chan struct{}
}

func newStallProxy(t *testing.T, upstream string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, upstream: upstream, stalled: make(chan struct{}), done: make(chan struct{})}
	close(p.stalled)
	p.wg.Go(p.accept)
	t.Cleanup(p.Close)
	return p
}

func (p *stallProxy) Addr() string { return p.ln.Addr().String() }

func (p *stallProxy) stall() {
	p.mu.Lock()
	p.stalled = make(chan struct{})
	p.mu.Unlock()
}

// wait blocks while the proxy is stalled; false when it is closed.
func (p *stallProxy) wait() bool {
	p.mu.Lock()
	ch := p.stalled
	p.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-p.done:
		return false
	}
}

func (p *stallProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(up, c) })
		p.wg.Go(func() { p.pipe(c, up) })
	}
}

func (p *stallProxy) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		if !p.wait() {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) Close() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestClickHouseStallIs503: the engine on ClickHouse through a connection that stops moving
// bytes (a hung server). Every request — more than the pool's connections — is answered 503
// with Retry-After within about the request timeout, not "500 internal error".
func TestClickHouseStallIs503(t *testing.T) {
	_, cfg := chtest.New(t)
	proxy := newStallProxy(t, cfg.Addr[0])
	cfg.Addr = []string{proxy.Addr()}
	cfg.MaxOpenConns, cfg.DialTimeout = 2, time.Second
	ctx := context.Background()
	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	eng := aggregate.NewEngine(conn, kpi.DefaultConfig(), schema.DefaultCatalog(), nil, nil)
	acfg := api.DefaultConfig()
	acfg.RequestTimeout = 3 * time.Second
	s, err := api.New(acfg, api.NewEngineReader(eng, nil, nil), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if resp, body := get(t, ts, "/api/v1/kpi?branch=ALL&month=2026-10", ""); resp.StatusCode != 200 {
		t.Fatalf("before the stall: %d %s", resp.StatusCode, body)
	}
	proxy.stall()
	paths := []string{
		"/api/v1/kpi?branch=ALL&month=2026-09",
		"/api/v1/trend?branch=ALL&metric=csi&from=2026-01&to=2026-10",
		"/api/v1/compare?parent=ALL&month=2026-10&metric=csi",
		"/api/v1/alerts?month=2026-10",
		"/api/v1/branches",
	}
	type answer struct {
		path string
		resp *http.Response
		body []byte
		took time.Duration
	}
	answers := make(chan answer, len(paths))
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Go(func() {
			start := time.Now()
			resp, body := get(t, ts, p, "")
			answers <- answer{p, resp, body, time.Since(start)}
		})
	}
	wg.Wait()
	close(answers)
	for a := range answers {
		wantJSONError(t, "stalled: "+a.path, a.resp, a.body, http.StatusServiceUnavailable, true)
		if a.took > acfg.RequestTimeout+2*time.Second {
			t.Errorf("stalled: %s answered after %s, want within about %s", a.path, a.took, acfg.RequestTimeout)
		}
	}
}
