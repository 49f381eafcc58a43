package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/csat-dev/csat/aggregate/kpi"
)

// TestExports downloads the comparison, the alerts and the scorecard as CSV and XLSX: the
// same rows as the JSON, names beside ids, numbers as numbers.
func TestExports(t *testing.T) {
	ts, fr, _ := newServer(t, nil)
	sc, err := fr.Scorecard(context.Background(), "GD-GZ", "2026-Q3")
	if err != nil {
		t.Fatal(err)
	}
	scRows := len(sc.Components) + 1 // and the total
	for _, tc := range []struct {
		name, path string
		rows       int    // data rows (the scorecard adds a total row)
		cell       string // a value the table must hold
	}{
		{"compare", "/api/v1/compare?parent=GD-GZ&month=2026-10&metric=complaint_rate", 2, "天河"},
		{"alerts", "/api/v1/alerts?month=2026-10", 5, "4.35"},
		{"scorecard", "/api/v1/scorecard?branch=GD-GZ&period=2026-Q3", scRows, "合计 total"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, ts, tc.path+"&format=csv", "")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("csv: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".csv") {
				t.Errorf("csv Content-Disposition %q", cd)
			}
			if !bytes.HasPrefix(body, []byte("\ufeff")) {
				t.Errorf("csv has no UTF-8 byte-order mark (Excel would garble Chinese)")
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs)-1 != tc.rows {
				t.Errorf("csv has %d rows, want %d:\n%s", len(recs)-1, tc.rows, body)
			}
			if !bytes.Contains(body, []byte(tc.cell)) {
				t.Errorf("csv lacks %q:\n%s", tc.cell, body)
			}

			resp, body = get(t, ts, tc.path+"&format=xlsx", "")
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
				t.Fatalf("xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(f.GetSheetList()[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(rows)-1 != tc.rows {
				t.Errorf("xlsx has %d rows, want %d", len(rows)-1, tc.rows)
			}
			// The CSV and the XLSX hold the same cells.
			for i := range rows {
				for j := range rows[i] {
					if rows[i][j] != recs[i][j] {
						if a, errA := strconv.ParseFloat(rows[i][j], 64); errA == nil {
							if b, errB := strconv.ParseFloat(recs[i][j], 64); errB == nil && abs(a-b) < 1e-9*max(1, abs(b)) {
								continue
							}
						}
						t.Errorf("row %d col %d: xlsx %q, csv %q", i, j, rows[i][j], recs[i][j])
					}
				}
			}
		})
	}
	t.Run("compare values", func(t *testing.T) {
		_, body := get(t, ts, "/api/v1/compare?parent=GD-GZ&month=2026-10&metric=csi", "")
		var c struct {
			Children []struct {
				Branch string   `json:"branch"`
				Value  *float64 `json:"value"`
			} `json:"children"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		_, csvBody := get(t, ts, "/api/v1/compare?parent=GD-GZ&month=2026-10&metric=csi&format=csv", "")
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBody, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i, ch := range c.Children {
			r := recs[i+1]
			if r[1] != ch.Branch || r[5] != strconv.FormatFloat(*ch.Value, 'f', -1, 64) {
				t.Errorf("row %d: %v, want %s %v (unrounded)", i, r, ch.Branch, *ch.Value)
			}
		}
		if recs[1][2] == "" {
			t.Errorf("no name beside the id: %v", recs[1])
		}
	})
	t.Run("bad format", func(t *testing.T) {
		resp, body := get(t, ts, "/api/v1/alerts?month=2026-10&format=pdf", "")
		var e struct{ Error, Param string }
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Param != "format" {
			t.Errorf("format=pdf: %d %s, want 400 JSON naming format", resp.StatusCode, body)
		}
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestMetricsPolarity: /api/v1/metrics serves the engine's polarity table.
func TestMetricsPolarity(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	_, body := get(t, ts, "/api/v1/metrics", "")
	var got struct {
		Metrics []struct {
			Kind, Better string
			Item         bool
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	lower := map[string]bool{}
	for _, m := range got.Metrics {
		if m.Better == "lower" {
			lower[m.Kind] = true
		}
	}
	if len(got.Metrics) != len(kpi.Kinds()) {
		t.Errorf("polarity table has %d kinds, want %d: %s", len(got.Metrics), len(kpi.Kinds()), body)
	}
	for _, k := range kpi.Kinds() {
		if lower[string(k)] != k.LowerIsBetter() {
			t.Errorf("%s: served lower=%v, engine %v", k, lower[string(k)], k.LowerIsBetter())
		}
	}
	if !lower["complaint_rate"] || !lower["churn_rate"] || lower["csi"] {
		t.Errorf("polarity table %s", body)
	}
}
