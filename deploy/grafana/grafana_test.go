// Package grafana_test checks the Grafana files of deploy/grafana: the dashboards are valid
// JSON with the expected panels, refer only to the provisioned data sources and to metrics that
// csat exports, and kpi.json's SQL runs on ClickHouse against the kpi_* tables (a real server:
// skipped when unreachable unless CI=true or CSAT_E2E=1).
package grafana_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema/chdb/chtest"
)

type target struct {
	RefID      string          `json:"refId"`
	Datasource json.RawMessage `json:"datasource"`
	Expr       string          `json:"expr"`
	RawSQL     string          `json:"rawSql"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource json.RawMessage          `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []target                 `json:"targets"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Datasource json.RawMessage `json:"datasource"`
			Query      any             `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func load(t *testing.T, name string) dashboard {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not valid dashboard JSON: %v", name, err)
	}
	return d
}

// datasourceUIDs reads the provisioned data sources: uid → type.
func datasourceUIDs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("provisioning/datasources/csat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Datasources []struct{ UID, Type string } `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("datasources: %v", err)
	}
	out := map[string]string{}
	for _, d := range f.Datasources {
		out[d.UID] = d.Type
	}
	return out
}

func checkDatasource(t *testing.T, where string, raw json.RawMessage, uids map[string]string) {
	t.Helper()
	if len(raw) == 0 {
		return
	}
	var ds struct{ Type, UID string }
	if err := json.Unmarshal(raw, &ds); err != nil {
		t.Errorf("%s: datasource %s: %v", where, raw, err)
		return
	}
	if typ, ok := uids[ds.UID]; !ok || typ != ds.Type {
		t.Errorf("%s: datasource %s/%s is not provisioned (have %v)", where, ds.Type, ds.UID, uids)
	}
}

func TestDashboards(t *testing.T) {
	uids := datasourceUIDs(t)
	tests := []struct {
		file   string
		uid    string
		panels []string // substrings of titles that must be there
	}{
		{"ops.json", "csat-ops", []string{"Ingest throughput", "Consumer lag (messages", "Consumer lag (age", "Dead letters", "Insert latency (p50", "Since last insert", "HTTP latency"}},
		{"kpi.json", "csat-kpi", []string{"Composite satisfaction (CSI)", "CSI by carrier", "Survey items", "Sub-branches by CSI", "Window service satisfaction", "Complaints", "Churn by tier", "Active KPI alerts"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := load(t, tt.file)
			if d.UID != tt.uid || d.Title == "" {
				t.Errorf("uid %q title %q, want uid %q and a title", d.UID, d.Title, tt.uid)
			}
			ids := map[int]bool{}
			var titles []string
			for _, p := range d.Panels {
				if ids[p.ID] {
					t.Errorf("panel id %d twice", p.ID)
				}
				ids[p.ID] = true
				if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
					t.Errorf("panel %q: bad gridPos %+v", p.Title, p.GridPos)
				}
				if p.Type == "row" {
					continue
				}
				titles = append(titles, p.Title)
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				checkDatasource(t, p.Title, p.Datasource, uids)
				for _, tg := range p.Targets {
					checkDatasource(t, p.Title+"/"+tg.RefID, tg.Datasource, uids)
					if tg.Expr == "" && tg.RawSQL == "" {
						t.Errorf("panel %q target %s: no expr or rawSql", p.Title, tg.RefID)
					}
				}
			}
			for _, v := range d.Templating.List {
				checkDatasource(t, "variable "+v.Name, v.Datasource, uids)
			}
			all := strings.Join(titles, "\n")
			for _, want := range tt.panels {
				if !strings.Contains(all, want) {
					t.Errorf("no panel titled %q…; have:\n%s", want, all)
				}
			}
		})
	}
}

var metricRE = regexp.MustCompile(`\bcsat_[a-z0-9_]+`)

// TestMetricsExist checks that every csat_* metric a dashboard queries is defined in the
// source of the process that exports it (ingest or the api package).
func TestMetricsExist(t *testing.T) {
	var src strings.Builder
	for _, f := range []string{"../../ingest/metrics.go", "../../aggregate/api/metrics.go", "../../aggregate/api/server.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	defined := src.String()
	for _, file := range []string{"ops.json", "kpi.json"} {
		for _, p := range load(t, file).Panels {
			for _, tg := range p.Targets {
				for _, m := range metricRE.FindAllString(tg.Expr, -1) {
					name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
					if strings.HasPrefix(name, "csat_kpi_") && name != "csat_kpi_refresh_timestamp_seconds" &&
						name != "csat_kpi_refresh_duration_seconds" && name != "csat_kpi_refresh_failures_total" &&
						!strings.HasSuffix(name, "_moe95") && !strings.HasSuffix(name, "_responses") && name != "csat_kpi_month" {
						// csat_kpi_<metric> is built from the metric kind: check the kind.
						kind := strings.TrimPrefix(name, "csat_kpi_")
						if !strings.Contains(defined, "kpi.Kind") || !kindExists(t, kind) {
							t.Errorf("%s %q: %s is not exported", file, p.Title, name)
						}
						continue
					}
					if !strings.Contains(defined, `"`+name+`"`) {
						t.Errorf("%s %q: metric %s is defined neither by ingest nor by the api package", file, p.Title, name)
					}
				}
			}
		}
	}
}

func kindExists(t *testing.T, kind string) bool {
	t.Helper()
	b, err := os.ReadFile("../../aggregate/api/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	k, err := os.ReadFile("../../aggregate/kpi/metric.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(Kind\w+)\s+Kind = "` + regexp.QuoteMeta(kind) + `"`)
	m := re.FindSubmatch(k)
	return m != nil && strings.Contains(string(b), "kpi."+string(m[1])+",")
}

// TestKPIQueriesRunOnClickHouse runs every SQL query of kpi.json, with Grafana's macros and
// variables filled in, on a fresh migrated database holding a few rollup rows, and checks that
// the CSI query returns the expected mean.
func TestKPIQueriesRunOnClickHouse(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// insert writes rows through a batch: an INSERT … VALUES sent as a query hangs on 18.16.
	insert := func(table, cols string, rows ...[]any) {
		t.Helper()
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+cols+")")
		if err != nil {
			t.Fatalf("prepare %s: %v", table, err)
		}
		for _, r := range rows {
			if err := b.Append(r...); err != nil {
				t.Fatalf("append %s %v: %v", table, r, err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatalf("insert %s: %v", table, err)
		}
	}
	now := time.Now()
	// Two months of GD (version 1 committed for both) and an uncommitted version 0 that must be
	// ignored.
	insert("kpi_versions", "family, month, version, computed_at, source_rows",
		[]any{"survey", uint32(202609), uint64(1), now, uint64(1)}, []any{"survey", uint32(202610), uint64(1), now, uint64(1)},
		[]any{"window", uint32(202610), uint64(1), now, uint64(1)}, []any{"complaints", uint32(202610), uint64(1), now, uint64(1)},
		[]any{"churn", uint32(202610), uint64(1), now, uint64(1)})
	survey := func(month uint32, version uint64, branch, parent string, level uint8, carrier, item string, n uint64, swx, swx2 float64) []any {
		w := float64(n)
		return []any{month, version, branch, parent, level, carrier, item, n, w, w, swx, swx2}
	}
	insert("kpi_survey", "month, version, branch_id, parent_id, level, carrier, item, n, sw, sw2, swx, swx2",
		survey(202609, 1, "GD", "ALL", 1, "cmcc", "network", 40, 3200, 260000),
		survey(202609, 1, "GD", "ALL", 1, "cmcc", "billing", 40, 2800, 200000),
		survey(202610, 1, "GD", "ALL", 1, "cmcc", "network", 40, 3120, 250000),
		survey(202610, 1, "GD", "ALL", 1, "cmcc", "billing", 40, 2720, 190000),
		survey(202610, 0, "GD", "ALL", 1, "cmcc", "network", 40, 0, 0),
		survey(202610, 1, "GD", "ALL", 1, "ctcc", "network", 35, 2625, 200000),
		survey(202610, 1, "GD-GZ", "GD", 2, "cmcc", "network", 30, 2400, 200000),
		survey(202610, 1, "GD", "ALL", 1, "cmcc", "_csi", 40, 2920, 220000))
	insert("kpi_window", "month, version, branch_id, parent_id, level, hotline_n, hotline_satisfied, hotline_resolved, hotline_wait_sum, hotline_sl20, store_n, store_satisfied, store_wait_sum",
		[]any{uint32(202610), uint64(1), "GD", "ALL", uint8(1), uint64(100), uint64(95), uint64(90), uint64(1400), uint64(92), uint64(50), uint64(48), uint64(9000)})
	insert("kpi_complaints", "month, version, branch_id, parent_id, level, opened, escalated, closed, closed_within_sla, resolution_hours_sum, callback_n, callback_satisfied, sla_hours",
		[]any{uint32(202610), uint64(1), "GD", "ALL", uint8(1), uint64(20), uint64(1), uint64(18), uint64(17), 300.0, uint64(10), uint64(9), 48.0})
	insert("kpi_churn", "month, version, branch_id, parent_id, level, churned, churned_high, churned_mid, churned_low",
		[]any{uint32(202610), uint64(1), "GD", "ALL", uint8(1), uint64(100), uint64(10), uint64(30), uint64(60)})

	from, to := "toDateTime('2026-08-01 00:00:00')", "toDateTime('2026-10-31 00:00:00')"
	fill := strings.NewReplacer("$__fromTime", from, "$__toTime", to, "${branch}", "GD", "${carrier}", "cmcc")
	d := load(t, "kpi.json")
	ran := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.RawSQL == "" {
				continue
			}
			q := fill.Replace(tg.RawSQL)
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Errorf("panel %q: %v\n%s", p.Title, err, q)
				continue
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
			}
			rows.Close()
			if n == 0 {
				t.Errorf("panel %q: no rows from the fixture\n%s", p.Title, q)
			}
			ran++
		}
	}
	if ran < 6 {
		t.Errorf("ran %d SQL queries, want every ClickHouse panel's", ran)
	}
	for _, v := range d.Templating.List {
		if s, ok := v.Query.(string); ok && strings.HasPrefix(s, "SELECT") {
			if rows, err := conn.Query(ctx, s); err != nil {
				t.Errorf("variable %s: %v", v.Name, err)
			} else {
				rows.Close()
			}
		}
	}

	// The own CSI of GD in 2026-10 is the mean of its item scores at the committed version:
	// (3120/40 + 2720/40) / 2 = 73.
	var csiSQL string
	for _, p := range d.Panels {
		if strings.HasPrefix(p.Title, "Composite satisfaction (CSI)") {
			csiSQL = fill.Replace(p.Targets[0].RawSQL)
		}
	}
	rows, err := conn.Query(ctx, csiSQL)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]float64{}
	for rows.Next() {
		var day time.Time
		var csi float64
		var n uint64
		if err := rows.Scan(&day, &csi, &n); err != nil {
			t.Fatal(err)
		}
		got[day.Format("2006-01")] = csi
	}
	if fmt.Sprintf("%.3f", got["2026-10"]) != "73.000" || fmt.Sprintf("%.3f", got["2026-09"]) != "75.000" {
		t.Errorf("CSI by month %v, want 2026-09 75, 2026-10 73", got)
	}
}
