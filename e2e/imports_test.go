package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/csat-dev/csat"

// pkg is what the import picture needs of a package: its import path and its imports, split
// by where they are written.
type pkg struct {
	ImportPath   string
	Imports      []string // by the package's own files
	TestImports  []string // by its _test.go files of the same package
	XTestImports []string // by its _test.go files of package <name>_test
}

// layers maps the module's top-level directories to their layer. A new directory must be
// given one here (and a place in the picture) before its packages pass.
var layers = map[string]string{
	"schema":    "schema",
	"ingest":    "ingest",
	"aggregate": "aggregate",
	"cmd":       "cmd",
	"deploy":    "top", // tests of the deployment files against the code
	"e2e":       "top",
	"scripts":   "top", // tests of the service scripts
}

// layerOf returns the layer of a package of the module ("" when it is outside the module or in
// no layer) and whether it is in the module.
func layerOf(path string) (layer string, inModule bool) {
	rel, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return "", path == module
	}
	top, _, _ := strings.Cut(rel, "/")
	return layers[top], true
}

// mayImport says whether a package of layer from may import one of layer to.
func mayImport(from, to string) bool {
	switch {
	case from == to:
		return true
	case to == "cmd": // only cmd imports cmd
		return false
	case from == "schema": // the bottom imports nothing else of csat
		return false
	case from == "ingest" || from == "aggregate": // beside each other, on schema
		return to == "schema"
	}
	return true // cmd and the top layer may import every library
}

// violations returns every import of pkgs that breaks the picture, every non-test import of
// testing or a test helper by a package that is not a test helper itself (a benchmark
// package linked into the binary, say), and every package of the module that belongs to no
// layer, as sentences.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		from, in := layerOf(p.ImportPath)
		if !in {
			continue
		}
		if from == "" {
			out = append(out, fmt.Sprintf("%s belongs to no layer: give its directory one in layers", p.ImportPath))
			continue
		}
		for _, path := range p.Imports {
			if testOnly(path) && !testOnly(p.ImportPath) {
				out = append(out, fmt.Sprintf("%s imports %s outside its tests: only tests and test helpers may", p.ImportPath, path))
			}
		}
		for _, imp := range []struct {
			how   string
			paths []string
		}{{"imports", p.Imports}, {"imports in its tests", p.TestImports}, {"imports in its external tests", p.XTestImports}} {
			for _, path := range imp.paths {
				to, in := layerOf(path)
				if !in || to == "" { // another module; an unknown package is reported as itself
					continue
				}
				if !mayImport(from, to) {
					out = append(out, fmt.Sprintf("%s (%s) %s %s (%s)", p.ImportPath, from, imp.how, path, to))
				}
			}
		}
	}
	return out
}

// testOnly are packages a production binary must not link: the testing package and csat's
// test helpers.
func testOnly(path string) bool {
	if path == "testing" || strings.HasPrefix(path, "testing/") {
		return true
	}
	if _, in := layerOf(path); !in {
		return false
	}
	last := path[strings.LastIndex(path, "/")+1:]
	return strings.HasSuffix(last, "test") // chtest, kafkatest: the <thing>test helpers
}

// binaryViolations returns the packages of a binary's dependency list deps that only tests
// may link.
func binaryViolations(binary string, deps []string) []string {
	var out []string
	for _, d := range deps {
		if testOnly(d) {
			out = append(out, fmt.Sprintf("%s links %s, which only tests may use", binary, d))
		}
	}
	return out
}

// goList runs `go list args...` in the module and returns its standard output.
func goList(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// modulePackages lists every package of the module with its imports.
func modulePackages(t *testing.T) []pkg {
	t.Helper()
	out := goList(t, "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...")
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportPicture checks the module's real import graph, tests included, and the csat
// binary's dependencies.
func TestImportPicture(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
			t.Fatalf("no go command to list the packages with (CI=true or CSAT_E2E=1): %v", err)
		}
		t.Skipf("no go command to list the packages with: %v", err)
	}
	pkgs := modulePackages(t)
	var seen []string
	for _, p := range pkgs {
		seen = append(seen, p.ImportPath)
	}
	for _, want := range []string{module + "/schema", module + "/ingest", module + "/aggregate", module + "/cmd/csat"} {
		if !slices.Contains(seen, want) {
			t.Fatalf("go list found no %s among %d packages: the check would see nothing", want, len(pkgs))
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
	deps := strings.Fields(string(goList(t, "-deps", module+"/cmd/csat")))
	if !slices.Contains(deps, module+"/schema") {
		t.Fatalf("go list -deps cmd/csat lists no schema: %v", deps)
	}
	for _, v := range binaryViolations("cmd/csat", deps) {
		t.Error(v)
	}
}

// TestViolations feeds the check fake graphs: each broken rule must be reported.
func TestViolations(t *testing.T) {
	m := func(rel string) string { return module + "/" + rel }
	clean := []pkg{
		{ImportPath: m("schema"), Imports: []string{"fmt"}, XTestImports: []string{m("schema"), m("schema/chdb/chtest")}},
		{ImportPath: m("schema/chdb"), Imports: []string{m("schema/migrations"), m("schema/store"), "github.com/ClickHouse/clickhouse-go/v2"}},
		{ImportPath: m("ingest"), Imports: []string{m("schema"), m("schema/chdb")}, XTestImports: []string{m("ingest/kafkatest"), m("schema/chdb/chtest")}},
		{ImportPath: m("ingest/kafkatest"), Imports: []string{"testing", m("ingest/traffic"), m("schema")}},
		{ImportPath: m("ingest/bench"), Imports: []string{m("ingest/traffic")}, XTestImports: []string{"testing", m("ingest/kafkatest")}},
		{ImportPath: m("aggregate"), Imports: []string{m("schema"), m("aggregate/kpi")}, TestImports: []string{m("schema/chdb/chtest")}},
		{ImportPath: m("cmd/csat"), Imports: []string{m("ingest"), m("aggregate"), m("cmd/csat/internal/embedded")}},
		{ImportPath: m("e2e"), XTestImports: []string{m("ingest"), m("aggregate"), m("schema/chdb/chtest")}},
		{ImportPath: m("deploy/grafana"), XTestImports: []string{m("schema/chdb/chtest")}},
		{ImportPath: "example.com/other", Imports: []string{m("cmd/csat")}},
	}
	if got := violations(clean); len(got) != 0 {
		t.Fatalf("the clean graph: %q, want no violation", got)
	}
	for _, c := range []struct {
		name string
		p    pkg
		want string // in the one violation reported
	}{
		{"schema imports ingest", pkg{ImportPath: m("schema"), Imports: []string{m("ingest")}},
			"csat/schema (schema) imports github.com/csat-dev/csat/ingest (ingest)"},
		{"schema's external test imports ingest's helper", pkg{ImportPath: m("schema"), XTestImports: []string{m("ingest/kafkatest")}},
			"imports in its external tests github.com/csat-dev/csat/ingest/kafkatest (ingest)"},
		{"schema/chdb's test imports aggregate's helper", pkg{ImportPath: m("schema/chdb"), TestImports: []string{m("aggregate/chtest")}},
			"imports in its tests github.com/csat-dev/csat/aggregate/chtest (aggregate)"},
		{"ingest imports aggregate", pkg{ImportPath: m("ingest/bench"), Imports: []string{m("aggregate")}},
			"csat/ingest/bench (ingest) imports github.com/csat-dev/csat/aggregate (aggregate)"},
		{"ingest's test imports aggregate/kpi", pkg{ImportPath: m("ingest/synth"), XTestImports: []string{m("aggregate/kpi")}},
			"imports in its external tests github.com/csat-dev/csat/aggregate/kpi"},
		{"aggregate imports ingest", pkg{ImportPath: m("aggregate/api"), Imports: []string{m("ingest/publish")}},
			"csat/aggregate/api (aggregate) imports github.com/csat-dev/csat/ingest/publish (ingest)"},
		{"a library imports cmd", pkg{ImportPath: m("aggregate"), Imports: []string{m("cmd/csat/internal/embedded")}},
			"imports github.com/csat-dev/csat/cmd/csat/internal/embedded (cmd)"},
		{"a test of the top layer imports cmd", pkg{ImportPath: m("e2e"), XTestImports: []string{m("cmd/csat")}},
			"(top) imports in its external tests github.com/csat-dev/csat/cmd/csat (cmd)"},
		{"a package in no layer", pkg{ImportPath: m("tools/gen"), Imports: []string{m("schema")}},
			"csat/tools/gen belongs to no layer"},
		{"the module root", pkg{ImportPath: module}, "csat belongs to no layer"},
		{"a bench package imports a test helper", pkg{ImportPath: m("ingest/bench"), Imports: []string{m("ingest/kafkatest")}},
			"csat/ingest/bench imports github.com/csat-dev/csat/ingest/kafkatest outside its tests"},
		{"a library imports testing", pkg{ImportPath: m("aggregate/bench"), Imports: []string{"testing"}},
			"csat/aggregate/bench imports testing outside its tests"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := violations(append(slices.Clone(clean), c.p))
			if len(got) != 1 || !strings.Contains(got[0], c.want) {
				t.Errorf("violations = %q, want one containing %q", got, c.want)
			}
		})
	}
}

func TestBinaryViolations(t *testing.T) {
	m := func(rel string) string { return module + "/" + rel }
	clean := []string{"fmt", "net/http", "github.com/twmb/franz-go/pkg/kfake", m("schema"), m("ingest/publish"), m("cmd/csat")}
	if got := binaryViolations("csat", clean); len(got) != 0 {
		t.Errorf("clean deps: %q, want none", got)
	}
	for _, bad := range []string{"testing", "testing/synctest", m("ingest/kafkatest"), m("schema/chdb/chtest")} {
		got := binaryViolations("csat", append(slices.Clone(clean), bad))
		if len(got) != 1 || !strings.Contains(got[0], bad) {
			t.Errorf("deps with %s: %q, want it reported", bad, got)
		}
	}
}
