package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate/kpi"
)

// printUnitAlerts prints front-line unit alerts as an aligned table, at most limit rows (0:
// all); names, when given, adds the branches' names.
func printUnitAlerts(w io.Writer, alerts []kpi.UnitAlert, names map[string]string, limit int) {
	if len(alerts) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  rule\tkind\tunit\tbranch\tmetric\tdetail")
	for i, al := range alerts {
		if limit > 0 && i == limit {
			fmt.Fprintf(tw, "  … %d more\t\t\t\t\t\n", len(alerts)-limit)
			break
		}
		var detail string
		switch {
		case al.Rule == kpi.RuleUnitStreak:
			vals := make([]string, len(al.Values))
			for j, v := range al.Values {
				vals[j] = fmt.Sprintf("%.1f", v)
			}
			verb := "fell"
			change := fmt.Sprintf("drop %.1f", -al.Change)
			if al.Rise != nil {
				verb, change = "rose", fmt.Sprintf("+%.0f %%", 100**al.Rise)
			}
			detail = fmt.Sprintf("%s %d months from %s: %s (%s)", verb, len(al.Values)-1, al.Start, strings.Join(vals, " → "), change)
			if al.Z != nil {
				detail = strings.TrimSuffix(detail, ")") + fmt.Sprintf(", z %.2f)", *al.Z)
			}
		case al.Metric == kpi.UnitMetricComplaints:
			detail = fmt.Sprintf("%.0f complaints over %d ratings, expected %.2f of the branch's %d, limit %.0f (p %s)",
				al.Value, al.N, *al.Expected, al.Peers, *al.Limit, sci(al.P))
		case al.Metric == kpi.UnitMetricAvgWait:
			detail = fmt.Sprintf("%.1f s over %d ratings, %.1f × the %.1f s of the branch's %d other agents",
				al.Value, al.N, al.Value / *al.Expected, *al.Expected, al.Peers)
		}
		if n := names[al.Branch]; n != "" {
			detail = n + " · " + detail // last: wide characters would misalign the columns after them
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", al.Rule, al.Kind, al.Unit, al.Branch, al.Metric, detail)
	}
	_ = tw.Flush()
}
