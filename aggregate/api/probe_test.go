package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// stallReader is the fake reader whose Card, for branch stall, blocks until release is
// closed, whatever its context says (a driver stuck on a stalled connection), and for branch
// busy fails as the ClickHouse driver does when every pooled connection is held by stalled
// queries.
type stallReader struct {
	*fakeReader
	release chan struct{}
	entered chan string // the branch of each Card call that blocks, when it starts
}

func (r *stallReader) Card(ctx context.Context, b string, m schema.Month) (kpi.Card, error) {
	switch b {
	case "GD-SZ":
		if r.entered != nil {
			r.entered <- b
		}
		<-r.release
		return kpi.Card{}, ctx.Err()
	case "BJ":
		return kpi.Card{}, fmt.Errorf("load kpi_survey: %w", clickhouse.ErrAcquireConnTimeout)
	}
	return r.fakeReader.Card(ctx, b, m)
}

// AsOf serves as_of with the same (stalling) reader.
func (r *stallReader) AsOf(context.Context, time.Time) (api.Reader, error) { return r, nil }

// newProbeServer serves r with request timeout and tokens (name → scope).
func newProbeServer(t *testing.T, r api.Reader, timeout time.Duration, tokens map[string]string) (*httptest.Server, map[string]string) {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.RequestTimeout = timeout
	secrets := writeTokens(t, &cfg, tokens)
	s, err := api.New(cfg, r, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, secrets
}

// wantJSONError checks a JSON error response with status (and Retry-After when retry).
func wantJSONError(t *testing.T, what string, resp *http.Response, body []byte, status int, retry bool) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if resp.StatusCode != status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		json.Unmarshal(body, &e) != nil || e.Error == "" {
		t.Errorf("%s: %d %q %s, want %d with a JSON error", what, resp.StatusCode, resp.Header.Get("Content-Type"), body, status)
	}
	if got := resp.Header.Get("Retry-After"); retry != (got != "") {
		t.Errorf("%s: Retry-After %q, want one: %v", what, got, retry)
	}
}

// TestStalledReadIs503: a read stuck past the request timeout (CSAT_API_REQUEST_TIMEOUT) is
// answered 503 with Retry-After by the deadline, and a driver error saying ClickHouse cannot
// answer (no free connection) is a 503 too, not "500 internal error".
func TestStalledReadIs503(t *testing.T) {
	r := &stallReader{fakeReader: newFakeReader(), release: make(chan struct{})}
	defer close(r.release)
	ts, _ := newProbeServer(t, r, time.Second, nil)
	start := time.Now()
	resp, body := get(t, ts, "/api/v1/kpi?branch=GD-SZ&month=2026-10", "")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("stalled read answered after %s, want about the 1 s request timeout", took)
	}
	wantJSONError(t, "stalled read", resp, body, http.StatusServiceUnavailable, true)
	resp, body = get(t, ts, "/api/v1/kpi?branch=BJ&month=2026-10", "")
	wantJSONError(t, "pool exhausted", resp, body, http.StatusServiceUnavailable, true)
	resp, body = get(t, ts, "/api/v1/kpi?branch=GD&month=2026-10", "")
	if resp.StatusCode != 200 {
		t.Errorf("a read that answers: %d %s", resp.StatusCode, body)
	}
}

// TestErrorsAreJSON: a wrong method and an unknown /api/ path answer JSON, and a huge bad
// parameter is not echoed back whole.
func TestErrorsAreJSON(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/api/v1/kpi?branch=GD&month=2026-10", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/v1/branches", http.StatusMethodNotAllowed},
		{http.MethodPut, "/api/v1/openapi.json", http.StatusMethodNotAllowed},
		{http.MethodPost, "/api/v1/nope", http.StatusNotFound},
		{http.MethodGet, "/api/v1/nope", http.StatusNotFound},
		{http.MethodGet, "/api/v2/kpi", http.StatusNotFound},
	} {
		req, err := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		_, _ = fmt.Fprint(&body, readAll(t, resp))
		wantJSONError(t, tt.method+" "+tt.path, resp, []byte(body.String()), tt.status, false)
		if tt.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tt.method, tt.path)
		}
	}
	huge := strings.Repeat("x", 1<<20)
	for _, p := range []string{
		"/api/v1/kpi?branch=GD&month=" + huge,
		"/api/v1/kpi?branch=" + huge + "&month=2026-10",
		"/api/v1/trend?branch=GD&from=2026-01&to=2026-10&metric=" + huge,
		"/api/v1/scorecard?branch=GD&period=" + huge,
		"/api/v1/" + huge,
	} {
		resp, body := get(t, ts, p, "")
		if resp.StatusCode != 400 && resp.StatusCode != 404 {
			t.Errorf("GET %.40s…: %d, want 400 or 404", p, resp.StatusCode)
		}
		if len(body) > 1024 || !strings.Contains(string(body), "truncated") {
			t.Errorf("GET %.40s…: %d-byte body %.200s…, want the value cut with a marker", p, len(body), body)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestAsOfParam: as_of at the zero time (which the engine takes for "now") or before 2000 is a
// JSON 400 naming as_of, decided before any read.
func TestAsOfParam(t *testing.T) {
	eng := aggregate.NewEngine(nil, kpi.DefaultConfig(), schema.DefaultCatalog(), nil, nil)
	s, err := api.New(api.DefaultConfig(), api.NewEngineReader(eng, nil, nil), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, at := range []string{"0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"} {
		for _, p := range []string{"/api/v1/kpi?branch=ALL&month=2026-10", "/api/v1/alerts?month=2026-10", "/api/v1/scorecard?branch=ALL&period=2026-10"} {
			resp, body := get(t, ts, p+"&as_of="+at, "")
			wantJSONError(t, p+" as of "+at, resp, body, http.StatusBadRequest, false)
			if !strings.Contains(string(body), `"param":"as_of"`) {
				t.Errorf("%s as of %s: %s, want param as_of", p, at, body)
			}
		}
	}
}

// TestAsOfConcurrencyPerCaller: one caller gets at most CSAT_API_ASOF_PER_CALLER (1) as_of
// reads at once — one more is a 429 at once — while another caller still gets one; beyond
// CSAT_API_ASOF_CONCURRENCY (2) in all, a request waits until its timeout and gets 503.
func TestAsOfConcurrencyPerCaller(t *testing.T) {
	r := &stallReader{fakeReader: newFakeReader(), release: make(chan struct{}), entered: make(chan string, 4)}
	ts, tok := newProbeServer(t, r, 3*time.Second, map[string]string{"a": "ALL", "b": "ALL", "c": "ALL"})
	const stalled = "/api/v1/kpi?branch=GD-SZ&month=2026-10&as_of=2026-11-05T08:00:00Z"
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for _, who := range []string{"a", "b"} {
		wg.Go(func() {
			resp, _ := get(t, ts, stalled, tok[who])
			codes <- resp.StatusCode
		})
		<-r.entered // its read holds a slot
	}
	start := time.Now()
	resp, body := get(t, ts, "/api/v1/kpi?branch=GD&month=2026-10&as_of=2026-11-05T08:00:00Z", tok["a"])
	wantJSONError(t, "a second as_of of caller a", resp, body, http.StatusTooManyRequests, true)
	if took := time.Since(start); took > time.Second {
		t.Errorf("429 after %s, want at once (not after the 3 s request timeout)", took)
	}
	resp, body = get(t, ts, "/api/v1/kpi?branch=GD&month=2026-10&as_of=2026-11-05T08:00:00Z", tok["c"])
	wantJSONError(t, "caller c with both slots busy", resp, body, http.StatusServiceUnavailable, true)
	// A live read of caller a is not limited.
	if resp, body := get(t, ts, "/api/v1/kpi?branch=GD&month=2026-10", tok["a"]); resp.StatusCode != 200 {
		t.Errorf("live read while a's as_of runs: %d %s", resp.StatusCode, body)
	}
	// The stalled reads are answered 503 at their deadline while their reads still hang (released
	// only after: a read released first could race its own deadline in the handler's select).
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusServiceUnavailable {
			t.Errorf("stalled as_of: %d, want 503", c)
		}
	}
	close(r.release)
	// The slots are given back when the reads return: caller a reads again (once the released
	// reads have returned, which their goroutines do just after the release).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, body := get(t, ts, "/api/v1/kpi?branch=GD&month=2026-10&as_of=2026-11-05T08:00:00Z", tok["a"])
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("as_of 5 s after the slots were given back: %d %s", resp.StatusCode, body)
			break
		}
	}
}

// TestDriversOfAScopedToken: a card's drivers block pools an ancestor's responses (the
// province); a token scoped below that ancestor gets the importance shares without the pool's
// statistics (n and r2 null), a token that covers it gets them all.
func TestDriversOfAScopedToken(t *testing.T) {
	ts, _, tok := newServer(t, map[string]string{"gz": "GD-GZ", "gd": "GD"})
	v := loadOpenAPI(t, ts)
	card := func(token string) *kpi.Drivers {
		t.Helper()
		p := "/api/v1/kpi?branch=GD-GZ&month=2026-10"
		resp, body := get(t, ts, p, token)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
		}
		v.check(t, ts, p, true, resp, body)
		var c struct {
			Drivers *kpi.Drivers `json:"drivers"`
		}
		if err := json.Unmarshal(body, &c); err != nil || c.Drivers == nil {
			t.Fatalf("card %s: %v, want a drivers block", body, err)
		}
		return c.Drivers
	}
	full, scoped := card(tok["gd"]), card(tok["gz"])
	if full.Branch != "GD" || full.N == nil || full.R2 == nil {
		t.Fatalf("drivers for a GD token: branch %s n %v r2 %v, want GD's pool with n and r2", full.Branch, full.N, full.R2)
	}
	if scoped.N != nil || scoped.R2 != nil {
		t.Errorf("drivers for a GD-GZ token: n %v r2 %v, want both withheld (null)", *scoped.N, scoped.R2)
	}
	if scoped.Branch != full.Branch || len(scoped.Items) != len(full.Items) {
		t.Errorf("drivers for a GD-GZ token: %+v, want the same pool and items", scoped)
	}
	for code, it := range full.Items {
		s := scoped.Items[code]
		if it.Importance == nil || s.Importance == nil || *s.Importance != *it.Importance {
			t.Errorf("item %s: importance %v for GD-GZ, want GD's %v", code, s.Importance, it.Importance)
		}
	}
}
