package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/api"
)

// TestScopedTokenCannotLeaveItsSubtree proves a GD-SZ token reads GD-SZ and below and nothing
// else through any endpoint, and that the reader is never even asked about a forbidden branch.
func TestScopedTokenCannotLeaveItsSubtree(t *testing.T) {
	ts, fr, tok := newServer(t, map[string]string{"sz": "GD-SZ", "hq": "ALL"})
	v := loadOpenAPI(t, ts)
	forbidden := []string{
		"/api/v1/kpi?branch=GD-GZ&month=2026-10",
		"/api/v1/kpi?branch=ALL&month=2026-10",
		"/api/v1/kpi?branch=GD&month=2026-10",
		"/api/v1/kpi?branch=GD-GZ-TH&month=2026-10",
		"/api/v1/kpi?branch=GD-SZX&month=2026-10", // a prefix, not a descendant
		"/api/v1/trend?branch=GD-GZ&metric=csi&from=2026-01&to=2026-10",
		"/api/v1/trend?branch=ALL&metric=csi&from=2026-01&to=2026-10",
		"/api/v1/compare?parent=GD&month=2026-10&metric=csi",
		"/api/v1/compare?parent=ALL&month=2026-10&metric=csi",
		"/api/v1/compare?parent=GD-GZ&month=2026-10&metric=csi",
		"/api/v1/alerts?month=2026-10",
		"/api/v1/alerts?month=2026-10&branch=ALL",
		"/api/v1/alerts?month=2026-10&branch=GD-GZ",
		"/api/v1/alerts?month=2026-10&branch=GD",
		"/api/v1/scorecard?branch=GD-GZ&period=2026-Q3",
		"/api/v1/scorecard?branch=ALL&period=2026-Q3",
		"/metrics",
	}
	for _, p := range forbidden {
		resp, body := get(t, ts, p, tok["sz"])
		if resp.StatusCode != 403 {
			t.Errorf("GD-SZ token: GET %s: %d %s, want 403", p, resp.StatusCode, body)
		}
		if strings.HasPrefix(p, "/api/") {
			v.check(t, ts, p, true, resp, body)
		}
	}
	if calls := fr.takeCalls(); len(calls) > 0 {
		t.Errorf("the reader was asked %v for forbidden requests", calls)
	}

	allowed := []string{
		"/api/v1/kpi?branch=GD-SZ&month=2026-10",
		"/api/v1/trend?branch=GD-SZ&metric=csi&from=2026-01&to=2026-10",
		"/api/v1/compare?parent=GD-SZ&month=2026-10&metric=csi",
		"/api/v1/alerts?month=2026-10&branch=GD-SZ",
		"/api/v1/scorecard?branch=GD-SZ&period=2026-Q3",
		"/api/v1/branches",
		"/api/v1/openapi.json",
		"/",
		"/healthz",
	}
	for _, p := range allowed {
		if resp, body := get(t, ts, p, tok["sz"]); resp.StatusCode != 200 {
			t.Errorf("GD-SZ token: GET %s: %d %s, want 200", p, resp.StatusCode, body)
		}
	}
	// The alerts of its own subtree only: GD-SZ's lead_lost, not GD-GZ's decline.
	_, body := get(t, ts, "/api/v1/alerts?month=2026-10&branch=GD-SZ", tok["sz"])
	if strings.Contains(string(body), "GD-GZ") || !strings.Contains(string(body), "lead_lost") {
		t.Errorf("GD-SZ alerts: %s", body)
	}
	_, body = get(t, ts, "/api/v1/branches", tok["sz"])
	var bl struct {
		Scope    string
		Branches []api.Branch
	}
	if err := json.Unmarshal(body, &bl); err != nil {
		t.Fatal(err)
	}
	if bl.Scope != "GD-SZ" || len(bl.Branches) != 1 || bl.Branches[0].ID != "GD-SZ" {
		t.Errorf("GD-SZ branches: %s, want only GD-SZ", body)
	}

	// The ALL token reads everything, /metrics included (GD-SZX is unknown: 400).
	for _, p := range append(forbidden, "/api/v1/branches") {
		want := 200
		if strings.Contains(p, "GD-SZX") {
			want = 400
		}
		if resp, body := get(t, ts, p, tok["hq"]); resp.StatusCode != want {
			t.Errorf("ALL token: GET %s: %d %s, want %d", p, resp.StatusCode, body, want)
		}
	}
}

func TestMissingOrWrongTokenIs401(t *testing.T) {
	ts, fr, tok := newServer(t, map[string]string{"sz": "GD-SZ"})
	v := loadOpenAPI(t, ts)
	paths := []string{
		"/api/v1/kpi?branch=GD-SZ&month=2026-10",
		"/api/v1/trend?branch=GD-SZ&metric=csi&from=2026-01&to=2026-10",
		"/api/v1/compare?parent=GD-SZ&month=2026-10&metric=csi",
		"/api/v1/alerts?month=2026-10&branch=GD-SZ",
		"/api/v1/scorecard?branch=GD-SZ&period=2026-Q3",
		"/api/v1/branches",
		"/api/v1/kpi?branch=bad&month=bad", // authentication comes before parameters
		"/metrics",
	}
	for _, token := range []string{"", "csat_wrong", tok["sz"] + "x", strings.TrimPrefix(tok["sz"], "csat_")} {
		for _, p := range paths {
			resp, body := get(t, ts, p, token)
			if resp.StatusCode != 401 {
				t.Errorf("token %q: GET %s: %d %s, want 401", token, p, resp.StatusCode, body)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("GET %s: 401 without WWW-Authenticate", p)
			}
			if strings.HasPrefix(p, "/api/") {
				v.check(t, ts, p, false, resp, body)
			}
		}
	}
	if calls := fr.takeCalls(); len(calls) > 0 {
		t.Errorf("the reader was asked %v without a valid token", calls)
	}
}

func TestNewToken(t *testing.T) {
	tok, e, err := api.NewToken("sz desk", "GD-SZ")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tok))
	if e.SHA256 != hex.EncodeToString(sum[:]) || e.Scope != "GD-SZ" || e.Name != "sz desk" || !strings.HasPrefix(tok, "csat_") {
		t.Errorf("NewToken = %q, %+v", tok, e)
	}
	path := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(path, []byte(e.YAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := api.LoadTokens(path)
	if err != nil || len(got) != 1 || got[0] != e {
		t.Errorf("LoadTokens of the printed entry = %+v, %v; want %+v", got, err, e)
	}
	// A store of a branch (SPEC §5.5) round-trips through the file too.
	_, se, err := api.NewToken("ns store", "GD-SZ-NS/store:S123")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(e.YAML()+se.YAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := api.LoadTokens(path); err != nil || len(got) != 2 || got[1] != se {
		t.Errorf("LoadTokens with a store scope = %+v, %v; want %+v", got, err, se)
	}
	if sc, err := api.ParseScope("GD-SZ-NS/store:S.1:a"); err != nil || sc.Branch != "GD-SZ-NS" || sc.Store != "S.1:a" || sc.String() != "GD-SZ-NS/store:S.1:a" {
		t.Errorf("ParseScope = %+v, %v", sc, err)
	}
	for _, bad := range []struct{ name, scope string }{{"", "GD"}, {"x", "gd"}, {"x", ""}, {"x", "A-B-C-D-E"},
		{"x", "GD-SZ/store:"}, {"x", "GD-SZ/store:S 1"}, {"x", "gd-sz/store:S1"}, {"x", "ALL/store:S1"}, {"x", "GD-SZ/shop:S1"},
		{"x", "/store:S1"}, {"x", "GD-SZ/store:" + strings.Repeat("s", 65)}} {
		if _, _, err := api.NewToken(bad.name, bad.scope); err == nil {
			t.Errorf("NewToken(%q, %q): no error", bad.name, bad.scope)
		}
	}
}

func TestLoadTokensRejectsBadFiles(t *testing.T) {
	good := "- name: a\n  sha256: " + strings.Repeat("ab", 32) + "\n  scope: GD\n"
	tests := []struct{ name, file, want string }{
		{"empty", "[]", "no tokens"},
		{"not yaml", "{{", "CSAT_API_TOKENS_FILE"},
		{"short hash", "- name: a\n  sha256: abc\n  scope: GD\n", "sha256"},
		{"bad scope", "- name: a\n  sha256: " + strings.Repeat("ab", 32) + "\n  scope: gd\n", "scope"},
		{"bad store scope", "- name: a\n  sha256: " + strings.Repeat("ab", 32) + "\n  scope: GD/store:S 1\n", "store id"},
		{"duplicate", good + good, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := api.LoadTokens(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadTokens: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := api.LoadTokens(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("LoadTokens of a missing file: no error")
	}
}
