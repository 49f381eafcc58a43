// Package prometheus_test checks the Prometheus files of deploy/prometheus: promtool accepts
// the rules and the example configuration, and the rules' unit tests (tests.yaml) pass.
// promtool comes with Debian's prometheus package; without it the test skips, unless CI=true
// or CSAT_E2E=1, where a missing promtool is a failure.
package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
		t.Fatal("promtool not on PATH (apt-get install prometheus)")
	}
	t.Skip("promtool not on PATH (apt-get install prometheus); skipping")
	return ""
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestRules(t *testing.T) {
	p := promtool(t)
	run(t, p, "check", "rules", "alerts.yaml")
	out := run(t, p, "test", "rules", "tests.yaml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %s", out)
	}
}

func TestExampleConfig(t *testing.T) {
	p := promtool(t)
	// The example reads its scrape token from a file; give it one in a copy.
	dir := t.TempDir()
	b, err := os.ReadFile("prometheus.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "csat-token")
	if err := os.WriteFile(tokenFile, []byte("csat_example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(b), "/etc/prometheus/csat-token", tokenFile)
	rules, err := os.ReadFile("alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"prometheus.yaml": []byte(cfg), "alerts.yaml": rules} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run(t, p, "check", "config", filepath.Join(dir, "prometheus.yaml"))
}

// TestRuleMetricsExist checks that every csat_* metric the rules use is defined by ingest, the
// api package or the notify package (a renamed metric would silently never fire); a histogram's
// _bucket, _sum and _count series count as its name.
func TestRuleMetricsExist(t *testing.T) {
	var src strings.Builder
	for _, f := range []string{"../../ingest/metrics.go", "../../aggregate/api/metrics.go", "../../aggregate/notify/notifier.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	rules, err := os.ReadFile("alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(rules, &f); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\bcsat_[a-z0-9_]+`)
	n := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			for _, m := range re.FindAllString(r.Expr, -1) {
				n++
				// A histogram's series are its name with _bucket, _sum or _count.
				base := m
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					base = strings.TrimSuffix(base, suf)
				}
				if !strings.Contains(src.String(), `"`+m+`"`) && !strings.Contains(src.String(), `"`+base+`"`) {
					t.Errorf("alert %s: metric %s is defined by none of ingest, api, notify", r.Alert, m)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no csat metrics found in alerts.yaml")
	}
}
