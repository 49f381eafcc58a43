package kpi_test

import (
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func TestPeriodToDate(t *testing.T) {
	sc, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		months []schema.Month
		err    string
	}{
		{"2026-Q4-to-2026-11", []schema.Month{202610, 202611}, ""},
		{"2026-Q4-to-2026-10", []schema.Month{202610}, ""},
		{"2026-Q4-to-2026-12", []schema.Month{202610, 202611, 202612}, ""},
		{"2026-to-2026-03", []schema.Month{202601, 202602, 202603}, ""},
		{"2026-Q4-to-2026-09", nil, "not a month of 2026-Q4"},
		{"2026-Q4-to-2027-01", nil, "not a month of 2026-Q4"},
		{"2026-Q4-to-11", nil, "want the last month"},
		{"2026-Q9-to-2026-11", nil, "2026-Q9"},
	} {
		p, err := sc.Period(tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []schema.Month
		for _, pm := range p.Months {
			got = append(got, pm.Month)
			if pm.Weight <= 0 {
				t.Errorf("%s: %s weight %v", tc.name, pm.Month, pm.Weight)
			}
		}
		if p.Name != tc.name || len(got) != len(tc.months) {
			t.Errorf("%s: %s %v, want %v", tc.name, p.Name, got, tc.months)
			continue
		}
		for i := range got {
			if got[i] != tc.months[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.months)
			}
		}
	}
}
