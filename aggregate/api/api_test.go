package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/csat-dev/csat/aggregate/api"
)

// newServer starts a test server over the fake reader; tokens (name → scope) are written to a
// tokens file when given, and their secrets returned by name.
func newServer(t testing.TB, tokens map[string]string) (*httptest.Server, *fakeReader, map[string]string) {
	t.Helper()
	cfg := api.DefaultConfig()
	secrets := writeTokens(t, &cfg, tokens)
	fr := newFakeReader()
	s, err := api.New(cfg, fr, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, fr, secrets
}

// writeTokens writes a tokens file of tokens (name → scope), when any, names it in cfg and
// returns the tokens' secrets by name.
func writeTokens(t testing.TB, cfg *api.Config, tokens map[string]string) map[string]string {
	t.Helper()
	secrets := map[string]string{}
	if len(tokens) == 0 {
		return secrets
	}
	var file strings.Builder
	for name, scope := range tokens {
		tok, e, err := api.NewToken(name, scope)
		if err != nil {
			t.Fatalf("NewToken(%q, %q): %v", name, scope, err)
		}
		secrets[name] = tok
		file.WriteString(e.YAML())
	}
	cfg.TokensFile = filepath.Join(t.TempDir(), "tokens.yaml")
	if err := os.WriteFile(cfg.TokensFile, []byte(file.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return secrets
}

func get(t testing.TB, ts *httptest.Server, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp, body
}

type oasValidator struct {
	doc    *openapi3.T
	router routers.Router
}

func loadOpenAPI(t testing.TB, ts *httptest.Server) *oasValidator {
	t.Helper()
	resp, body := get(t, ts, "/api/v1/openapi.json", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: status %d", resp.StatusCode)
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	return &oasValidator{doc: doc, router: router}
}

// check validates a live request (when validRequest) and its response against the document.
func (v *oasValidator) check(t testing.TB, ts *httptest.Server, path string, validRequest bool, resp *http.Response, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: not in the OpenAPI document: %v", path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if validRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s: request rejected by the OpenAPI document: %v", path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: response %d does not match the OpenAPI document: %v\n%s", path, resp.StatusCode, err, body)
	}
}

func TestEndpointsMatchOpenAPI(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	v := loadOpenAPI(t, ts)
	tests := []struct {
		name   string
		path   string
		status int
		param  string // of a 400
	}{
		{"kpi", "/api/v1/kpi?branch=GD-GZ&month=2026-10", 200, ""},
		{"kpi ALL", "/api/v1/kpi?branch=ALL&month=2026-10", 200, ""},
		{"kpi bad month", "/api/v1/kpi?branch=GD-GZ&month=2026-13", 400, "month"},
		{"kpi month missing", "/api/v1/kpi?branch=GD-GZ", 400, "month"},
		{"kpi branch missing", "/api/v1/kpi?month=2026-10", 400, "branch"},
		{"kpi malformed branch", "/api/v1/kpi?branch=gd-gz&month=2026-10", 400, "branch"},
		{"kpi unknown branch", "/api/v1/kpi?branch=XX&month=2026-10", 400, "branch"},
		{"kpi repeated param", "/api/v1/kpi?branch=GD&branch=BJ&month=2026-10", 400, "branch"},
		{"trend", "/api/v1/trend?branch=GD-GZ&metric=csi&from=2025-11&to=2026-10", 200, ""},
		{"trend item", "/api/v1/trend?branch=GD&metric=item:network&from=2026-01&to=2026-10", 200, ""},
		{"trend from after to", "/api/v1/trend?branch=GD-GZ&metric=csi&from=2026-10&to=2026-01", 400, "from"},
		{"trend too long", "/api/v1/trend?branch=GD-GZ&metric=csi&from=2000-01&to=2026-01", 400, "to"},
		{"trend unknown metric", "/api/v1/trend?branch=GD-GZ&metric=happiness&from=2026-01&to=2026-10", 400, "metric"},
		{"trend malformed metric", "/api/v1/trend?branch=GD-GZ&metric=CSI%3B&from=2026-01&to=2026-10", 400, "metric"},
		{"compare", "/api/v1/compare?parent=GD&month=2026-10&metric=csi", 200, ""},
		{"compare ALL", "/api/v1/compare?parent=ALL&month=2026-10&metric=window_satisfaction", 200, ""},
		{"compare unknown parent", "/api/v1/compare?parent=ZZ&month=2026-10&metric=csi", 400, "parent"},
		{"compare no metric", "/api/v1/compare?parent=GD&month=2026-10", 400, "metric"},
		{"alerts", "/api/v1/alerts?month=2026-10", 200, ""},
		{"alerts branch", "/api/v1/alerts?month=2026-10&branch=GD", 200, ""},
		{"alerts bad month", "/api/v1/alerts?month=202610", 400, "month"},
		{"alerts bad format", "/api/v1/alerts?month=2026-10&format=pdf", 400, "format"},
		{"metrics", "/api/v1/metrics", 200, ""},
		{"scorecard", "/api/v1/scorecard?branch=GD-GZ&period=2026-Q3", 200, ""},
		{"scorecard unknown period", "/api/v1/scorecard?branch=GD-GZ&period=1999-Q1", 400, "period"},
		{"scorecard malformed period", "/api/v1/scorecard?branch=GD-GZ&period=%3Cscript%3E", 400, "period"},
		{"branches", "/api/v1/branches", 200, ""},
		{"funnel", "/api/v1/funnel?parent=GD&month=2026-10&metric=complaint_rate", 200, ""},
		{"funnel default metric", "/api/v1/funnel?parent=ALL&month=2026-10", 200, ""},
		{"funnel bad metric", "/api/v1/funnel?parent=GD&month=2026-10&metric=csi", 400, "metric"},
		{"funnel unknown parent", "/api/v1/funnel?parent=ZZ&month=2026-10", 400, "parent"},
		{"kpi as_of malformed", "/api/v1/kpi?branch=GD&month=2026-10&as_of=yesterday", 400, "as_of"},
		{"alerts as_of without an AsOfReader", "/api/v1/alerts?month=2026-10&as_of=2026-11-05T08:00:00%2B08:00", 400, "as_of"},
		{"healthz", "/healthz", 200, ""},
		{"readyz", "/readyz", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, tt.path, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: status %d, want %d: %s", tt.path, resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			v.check(t, ts, tt.path, tt.status == 200, resp, body)
			if tt.status == 400 {
				var e struct{ Error, Param string }
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("error body %s: %v", body, err)
				}
				if e.Param != tt.param || e.Error == "" {
					t.Errorf("error %+v, want param %q and a message", e, tt.param)
				}
			}
		})
	}
}

func TestKPICardIsTheReadersCard(t *testing.T) {
	ts, fr, _ := newServer(t, nil)
	_, body := get(t, ts, "/api/v1/kpi?branch=GD-GZ&month=2026-10", "")
	want, err := fr.Card(context.Background(), "GD-GZ", fixtureMonth)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	var got, w any
	_ = json.Unmarshal(body, &got)
	_ = json.Unmarshal(wantJSON, &w)
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("card JSON differs from the reader's card:\n got %s\nwant %s", gb, wb)
	}
}

func TestPanicIsA500(t *testing.T) {
	ts, fr, _ := newServer(t, nil)
	fr.panicOn = "BJ"
	resp, body := get(t, ts, "/api/v1/kpi?branch=BJ&month=2026-10", "")
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"error"`) {
		t.Errorf("status %d body %s, want 500 with a JSON error", resp.StatusCode, body)
	}
	if resp, _ := get(t, ts, "/healthz", ""); resp.StatusCode != 200 {
		t.Errorf("server unhealthy after a panic: %d", resp.StatusCode)
	}
}

func TestReadyz(t *testing.T) {
	fail := func(context.Context) error { return context.DeadlineExceeded }
	s, err := api.New(api.DefaultConfig(), newFakeReader(), nil, nil, fail)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if resp, body := get(t, ts, "/readyz", ""); resp.StatusCode != 503 {
		t.Errorf("readyz with a failing check: %d %s, want 503", resp.StatusCode, body)
	}
}

func TestUnknownPaths(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	for _, p := range []string{"/api/v1/nope", "/nope.js", "/../../etc/passwd"} {
		if resp, _ := get(t, ts, p, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := ts.Client().Post(ts.URL+"/api/v1/kpi?branch=GD&month=2026-10", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST kpi: %d, want 405", resp.StatusCode)
	}
}

func TestDashboardIsServedCompressed(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	var total int
	for _, p := range []string{"/", "/app.js", "/app.css", "/vendor/echarts.min.js"} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s: not gzip-compressed", p)
		}
		total += len(body)
		etag := resp.Header.Get("ETag")
		req.Header.Set("If-None-Match", etag)
		resp2, err := (&http.Transport{}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: %d, want 304", p, resp2.StatusCode)
		}
	}
	t.Logf("dashboard first load: %d bytes compressed", total)
	if total > 1<<20 {
		t.Errorf("dashboard first load is %d bytes compressed, want < 1 MiB", total)
	}
}

func pathEscape(s string) string { return url.QueryEscape(s) }

// TestVendoredEChartsMatchesLockfile: the committed release file is the version that
// web/package-lock.json pins (refresh both with `npm ci && npm run vendor` in web/), and its
// licence is beside it.
func TestVendoredEChartsMatchesLockfile(t *testing.T) {
	b, err := os.ReadFile("../../web/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	v := lock.Packages["node_modules/echarts"].Version
	js, err := os.ReadFile("web/vendor/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if v == "" || !bytes.Contains(js, []byte(`version="`+v+`"`)) {
		t.Errorf("web/vendor/echarts.min.js is not echarts %q of the lockfile", v)
	}
	if lic, err := os.ReadFile("web/vendor/ECHARTS-LICENSE.txt"); err != nil || !bytes.Contains(lic, []byte("Apache License")) {
		t.Errorf("ECharts licence missing beside the release file (%v)", err)
	}
}
