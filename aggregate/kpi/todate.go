package kpi

import (
	"fmt"

	"github.com/csat-dev/csat/schema"
)

// toDateSep joins a period and its last month in a to-date period name: "2026-Q4-to-2026-11"
// is 2026-Q4 up to 2026-11.
const toDateSep = "-to-"

// periodToDate resolves "P-to-M": the months of period P up to M, with their weights in P,
// so a period that is not over is scored over the months to date instead of scoring the
// months still to come 0. M must be one of P's months.
func (sc *Scorecard) periodToDate(name, base, last string) (Period, error) {
	p, err := sc.Period(base)
	if err != nil {
		return Period{}, err
	}
	m, err := schema.ParseMonth(last)
	if err != nil {
		return Period{}, fmt.Errorf("period %q: after %q, want the last month YYYY-MM", name, toDateSep)
	}
	out := Period{Name: name}
	in := false
	for _, pm := range p.Months {
		if pm.Month <= m {
			out.Months = append(out.Months, pm)
		}
		in = in || pm.Month == m
	}
	if !in {
		return Period{}, fmt.Errorf("period %q: %s is not a month of %s", name, m, base)
	}
	return out, nil
}
