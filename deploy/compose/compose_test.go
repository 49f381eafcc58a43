// Package compose_test validates deploy/compose and deploy/Dockerfile without a Docker engine:
// compose.yaml loads with the Compose Specification's own loader (compose-go, which checks it
// against the specification's JSON schema and resolves references), every file it mounts exists,
// the services have the health checks and start order csat needs, the Prometheus configuration
// passes promtool, and the Dockerfile's `go build` line — the same command CI could run — builds a
// static binary. Not run here: pulling images, building the image, starting the stack.
package compose_test

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

func load(t *testing.T) *types.Project {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: types.Mapping{},
	}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("csat", true)
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

func TestCompose(t *testing.T) {
	p := load(t)
	var names []string
	for n := range p.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"alertmanager", "clickhouse", "grafana", "ingest-1", "ingest-2", "kafka", "kafka-init", "migrate", "prometheus", "serve"}
	if !slices.Equal(names, want) {
		t.Errorf("services %v, want %v", names, want)
	}
	csat := map[string]string{"migrate": "migrate", "ingest-1": "ingest", "ingest-2": "ingest", "serve": "serve"}
	for n, s := range p.Services {
		// Modern official images, pinned.
		if cmd, ok := csat[n]; ok {
			if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
				t.Errorf("%s: want build from deploy/Dockerfile, got %+v", n, s.Build)
			} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s: %v", n, err)
			}
			if !slices.Equal([]string(s.Command), []string{cmd}) {
				t.Errorf("%s: command %v, want [%s]", n, s.Command, cmd)
			}
			for _, v := range []string{"CSAT_KAFKA_BROKERS", "CSAT_CLICKHOUSE_ADDR", "CSAT_CLICKHOUSE_PASSWORD", "CSAT_HTTP_ADDR"} {
				if s.Environment[v] == nil || *s.Environment[v] == "" {
					t.Errorf("%s: %s not set", n, v)
				}
			}
		} else if !regexp.MustCompile(`^(apache/kafka|clickhouse/clickhouse-server|prom/prometheus|prom/alertmanager|grafana/grafana):v?[0-9]`).MatchString(s.Image) {
			t.Errorf("%s: image %q: want an official image with a pinned version", n, s.Image)
		}
		// Health checks on every long-running service; csat's on /readyz.
		oneShot := n == "migrate" || n == "kafka-init"
		hc := s.HealthCheck
		if !oneShot && (hc == nil || hc.Disable || len(hc.Test) == 0) {
			t.Errorf("%s: no health check", n)
		}
		if _, ok := csat[n]; ok && !oneShot && !strings.Contains(strings.Join(hc.Test, " "), "/readyz") {
			t.Errorf("%s: health check %v does not ask /readyz", n, hc.Test)
		}
		// Bind-mounted files exist (deploy/prometheus and deploy/grafana are mounted as they are).
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s: mounts %s: %v", n, v.Source, err)
			}
		}
	}
	// Start order: ClickHouse → migrate → ingest/serve; topics before ingest.
	dep := func(svc, on, cond string) {
		t.Helper()
		d, ok := p.Services[svc].DependsOn[on]
		if !ok || d.Condition != cond {
			t.Errorf("%s must depend on %s (%s), got %+v", svc, on, cond, p.Services[svc].DependsOn)
		}
	}
	dep("migrate", "clickhouse", types.ServiceConditionHealthy)
	dep("kafka-init", "kafka", types.ServiceConditionHealthy)
	for _, s := range []string{"ingest-1", "ingest-2"} {
		dep(s, "migrate", types.ServiceConditionCompletedSuccessfully)
		dep(s, "kafka-init", types.ServiceConditionCompletedSuccessfully)
		if g := p.Services[s].StopGracePeriod; g == nil || *g <= types.Duration(30e9) {
			t.Errorf("%s: stop_grace_period must exceed CSAT_SHUTDOWN_GRACE (30s)", s)
		}
		if env := p.Services[s].Environment["CSAT_KAFKA_GROUP"]; env == nil || *env != "csat-ingest" {
			t.Errorf("%s: both ingest processes must share one consumer group", s)
		}
	}
	dep("serve", "migrate", types.ServiceConditionCompletedSuccessfully)
}

// The Prometheus configuration of the stack, with the rules it loads, passes promtool.
func TestPrometheusConfig(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
			t.Fatal("promtool not on PATH (apt-get install prometheus)")
		}
		t.Skip("promtool not on PATH (apt-get install prometheus)")
	}
	dir := t.TempDir()
	for src, dst := range map[string]string{"prometheus.yaml": "prometheus.yaml", "../prometheus/alerts.yaml": "alerts.yaml"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "prometheus.yaml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}

// The Dockerfile builds csat with one `go build` line; run that same line here and check that
// the result is a static executable (no ELF interpreter), so it runs on distroless/static.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER nonroot:nonroot",
		"ENTRYPOINT [\"/usr/local/bin/csat\"]",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	gover := regexp.MustCompile(`(?m)^go ([0-9]+\.[0-9]+)`).FindSubmatch(gomod)
	if gover == nil || !strings.Contains(df, "ARG GO_VERSION="+string(gover[1])) {
		t.Errorf("Dockerfile's GO_VERSION must be go.mod's Go version %s", gover)
	}
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*) -o /out/csat (\./cmd/csat)$`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile has no `RUN CGO_ENABLED=0 go build ... -o /out/csat ./cmd/csat` line")
	}
	if testing.Short() {
		t.Skip("-short: not building")
	}
	bin := filepath.Join(t.TempDir(), "csat")
	line := m[1] + " -o '" + bin + "' " + m[2]
	cmd := exec.Command("sh", "-c", line) // the RUN line, as the image build's shell runs it
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%v): distroless/static cannot run it", p.Type)
		}
	}
}
