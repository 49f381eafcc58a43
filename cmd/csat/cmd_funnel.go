package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "funnel",
		args:    "--parent B --month YYYY-MM [--metric complaint_rate|churn_rate] [--json]",
		summary: "funnel plot of complaint or churn rates over the children of a branch",
		details: `Each child's rate against its subscriber base, with 95% and 99.8% control limits around
the overall rate that widen for small bases and are widened for over-dispersion (children that
differ by more than chance); a child outside the 95% limits is a warning, outside the 99.8% limits
an outlier (docs/extensions.md). complaint_rate is per 10k subscribers, churn_rate in %.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			parent := a.branchFlag(fs, "parent", schema.Root, "parent branch (ALL: the provinces)")
			month := fs.String("month", "", "month, YYYY-MM")
			metric := fs.String("metric", "complaint_rate", "complaint_rate or churn_rate")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					f, err := eng.Funnel(ctx, *parent, m, *metric)
					return f, func(w io.Writer) error { return printFunnel(w, f) }, err
				})
			}
		},
	})
}

func printFunnel(w io.Writer, f aggregate.FunnelPlot) error {
	fmt.Fprintf(w, "%s · children of %s · %s: overall %s, over-dispersion φ %s (limits × %.2f)\n\n",
		f.Metric, f.Parent, f.Month, num(f.Rate), num(f.Phi), f.Factor)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "branch\tcount\tbase\trate\t95% limits\t99.8% limits\tflag")
	for _, c := range f.Children {
		base := "–"
		if c.Base != nil {
			base = fmt.Sprint(*c.Base)
		}
		flag := ""
		switch {
		case c.Outlier != "":
			flag = "OUTLIER " + c.Outlier
		case c.Warning != "":
			flag = "warning " + c.Warning
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s–%s\t%s–%s\t%s\n", c.Branch, c.Count, base, num(c.Rate),
			num(c.Lower95), num(c.Upper95), num(c.Lower998), num(c.Upper998), flag)
	}
	return tw.Flush()
}
