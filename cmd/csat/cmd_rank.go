package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "rank",
		args:    "--level province|city|county --period P [--parent B] [--metric X] [--json]",
		summary: "league table: branches of a level ranked by scorecard points over a period",
		details: `Ranks the branches of one level under a parent (default ALL) by their scorecard total
over an assessment period (YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2, YYYY or a configured period), or
by the points of one component (--metric, e.g. csi or enterprise_csi). Each row shows every
component's points; components with a missing month (null or unreportable: 0 points there) are
listed. Ties go to the smaller branch id. --csv and --xlsx write the table (names beside ids).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			level := fs.String("level", "", "province, city or county (or 1–4)")
			parent := a.branchFlag(fs, "parent", schema.Root, "rank the branches of the level below this branch")
			period := fs.String("period", "", "assessment period, e.g. 2026-Q3")
			metric := fs.String("metric", "", "rank by this component's points (default: the total)")
			asJSON := fs.Bool("json", false, "print JSON")
			a.exportFlags(fs)
			return func(ctx context.Context) error {
				lv, ok := aggregate.Levels[*level]
				if !ok {
					if _, err := fmt.Sscanf(*level, "%d", &lv); err != nil || lv < 1 || lv > 4 || fmt.Sprint(lv) != *level {
						return usagef("--level %q: want province, city, county or 1–4", *level)
					}
				}
				if *period == "" {
					return usagef("--period is required, e.g. 2026-Q3")
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					l, err := eng.League(ctx, *parent, lv, *period, *metric)
					return l, func(w io.Writer) error { return printLeague(w, l, a.names) }, err
				})
			}
		},
	})
}

func printLeague(w io.Writer, l aggregate.League, names map[string]string) error {
	fmt.Fprintf(w, "%s · level %d · scorecard %s · ranked by %s (of %g)\n\n", l.Parent, l.Level, l.Period, l.By, l.Max)
	if len(l.Branches) == 0 {
		fmt.Fprintln(w, "no branches at this level under the parent")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"rank", "branch", "points"}
	for _, c := range l.Branches[0].Scorecard.Components {
		head = append(head, c.Metric)
	}
	head = append(head, "missing", "name")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, b := range l.Branches {
		row := []string{fmt.Sprint(b.Rank), b.Branch, fmt.Sprintf("%.2f", b.Points)}
		for _, c := range b.Scorecard.Components {
			row = append(row, fmt.Sprintf("%.2f", c.Points))
		}
		// The name last: wide characters would misalign the columns after it.
		row = append(row, strings.Join(b.Missing, ","), names[b.Branch])
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
