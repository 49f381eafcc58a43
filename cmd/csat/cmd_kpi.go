package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// readOp is the common frame of the read commands: open ClickHouse and the engine, run op,
// print JSON or a table.
func readOp(ctx context.Context, a *app, asJSON bool, op func(ctx context.Context, eng *aggregate.Engine, cat schema.Catalog) (any, func(io.Writer) error, error)) error {
	conn, err := openClickHouse(ctx, a)
	if err != nil {
		return err
	}
	defer conn.Close()
	eng, _, err := newEngine(a, conn)
	if err != nil {
		return err
	}
	_, cat, err := a.cfg.decoder()
	if err != nil {
		return err
	}
	v, table, err := op(ctx, eng, cat)
	if err != nil {
		if pe, ok := err.(*aggregate.ParamError); ok {
			return usagef("--%s: %s", pe.Param, pe.Msg)
		}
		return err
	}
	if asJSON {
		return writeJSON(a.stdout, v)
	}
	return table(a.stdout)
}

func monthFlag(name, s string) (schema.Month, error) {
	if s == "" {
		return 0, usagef("--%s is required (YYYY-MM)", name)
	}
	m, err := schema.ParseMonth(s)
	if err != nil {
		return 0, usagef("--%s: %v", name, err)
	}
	return m, nil
}

func init() {
	register(&command{
		name:    "kpi",
		args:    "--branch B --month YYYY-MM [--json]",
		summary: "the KPI card of a branch (its whole subtree) for a month",
		details: `Prints composite satisfaction (CSI), overall and item scores of the own carrier and its
competitors with 95% margins and sample sizes, the competitor lead, short planks, window service,
complaints, churn and the subscriber base. A value marked * is not reportable (n below
CSAT_MIN_SAMPLE). --json prints the card exactly as SPEC §4 (and GET /api/v1/kpi) define it.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := fs.String("branch", schema.Root, "branch id (ALL: the whole company)")
			month := fs.String("month", "", "month, YYYY-MM")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, cat schema.Catalog) (any, func(io.Writer) error, error) {
					c, err := eng.Card(ctx, *branch, m)
					return c, func(w io.Writer) error { return printCard(w, c, cat) }, err
				})
			}
		},
	})
	register(&command{
		name:    "trend",
		args:    "--branch B --metric X --from YYYY-MM --to YYYY-MM [--json]",
		summary: "one metric of a branch month by month",
		details: `Metrics: csi, overall, item:<code>, lead, item_lead:<code>, spi, short_plank_improvement,
window_satisfaction, hotline_satisfaction, store_satisfaction, complaint_rate, escalated_rate,
complaint_sla_rate, churn_rate, high_value_churn_rate, retention_rate, score.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := fs.String("branch", schema.Root, "branch id")
			metric := fs.String("metric", "csi", "metric name")
			from := fs.String("from", "", "first month, YYYY-MM")
			to := fs.String("to", "", "last month, YYYY-MM")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				f, err := monthFlag("from", *from)
				if err != nil {
					return err
				}
				t, err := monthFlag("to", *to)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					tr, err := eng.Trend(ctx, *branch, *metric, f, t)
					return tr, func(w io.Writer) error {
						fmt.Fprintf(w, "%s · %s\n\n", tr.Branch, tr.Metric)
						tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
						fmt.Fprintln(tw, "month\tvalue\tmoe95\tn\treportable")
						for _, p := range tr.Points {
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", p.Month, num(p.Value), pm(p.MOE95), count(p.N), p.Reportable)
						}
						return tw.Flush()
					}, err
				})
			}
		},
	})
	register(&command{
		name:    "compare",
		args:    "--parent B --month YYYY-MM --metric X [--json]",
		summary: "rank the children of a branch by one metric",
		details: `Children with a reportable value come first (best first: highest, or lowest for complaint
and churn rates), then those whose sample is too small, then those without a value. Change is the
difference from the month before.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			parent := fs.String("parent", schema.Root, "parent branch id (ALL: compare the provinces)")
			month := fs.String("month", "", "month, YYYY-MM")
			metric := fs.String("metric", "csi", "metric name (see csat trend -h)")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					c, err := eng.Compare(ctx, *parent, m, *metric)
					return c, func(w io.Writer) error {
						fmt.Fprintf(w, "%s · children of %s · %s\n\n", c.Metric, c.Parent, c.Month)
						tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
						fmt.Fprintln(tw, "rank\tbranch\tvalue\tmoe95\tn\tchange")
						for _, r := range c.Children {
							mark := ""
							if !r.Reportable {
								mark = " *"
							}
							fmt.Fprintf(tw, "%d\t%s\t%s%s\t%s\t%s\t%s\n", r.Rank, r.Branch, num(r.Value), mark, pm(r.MOE95), count(r.N), signed(r.Change))
						}
						if err := tw.Flush(); err != nil {
							return err
						}
						fmt.Fprintln(w, "(* not reportable)")
						return nil
					}, err
				})
			}
		},
	})
	register(&command{
		name:    "alerts",
		args:    "--month YYYY-MM [--branch B] [--json]",
		summary: "the alerts of a month over a branch's subtree (default: the whole company)",
		details: `Rules (SPEC §3.11 and docs/extensions.md): decline_streak — csi, a key item, lead or window
satisfaction fell CSAT_ALERT_DECLINE_MONTHS months in a row; drift — an EWMA chart of the same
metrics signals a slow slide; below_base — a scorecard component is below its base target;
lead_lost — the lead over the best competitor turned negative. decline_streak, lead_lost and drift
carry a one-sided p-value and a Benjamini–Hochberg q-value over the whole company's alerts of the
month and rule; they are significant when q ≤ CSAT_ALERT_FDR and the drop ≥ CSAT_ALERT_MIN_DROP,
else watch. --as-of answers from the events ingested up to that moment.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := fs.String("branch", schema.Root, "subtree root")
			month := fs.String("month", "", "month, YYYY-MM")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					res, err := eng.Alerts(ctx, *branch, m)
					return res, func(w io.Writer) error {
						fmt.Fprintf(w, "%s · alerts under %s: %d\n\n", res.Month, *branch, len(res.Alerts))
						printCalibratedAlerts(w, res.Alerts)
						return nil
					}, err
				})
			}
		},
	})
	register(&command{
		name:    "scorecard",
		args:    "--branch B --period P [--json]",
		summary: "scorecard points of a branch for an assessment period",
		details: `A period is a name configured in the scorecard file, YYYY-Qn (three months at equal
weight unless configured), YYYY-MM or YYYY. Each component shows its value, targets, points and
whether it is missing (a null or unreportable value scores 0).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := fs.String("branch", schema.Root, "branch id")
			period := fs.String("period", "", "assessment period, e.g. 2026-Q3")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				if *period == "" {
					return usagef("--period is required")
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					r, err := eng.Scorecard(ctx, *branch, *period)
					return r, func(w io.Writer) error { return printScorecard(w, r) }, err
				})
			}
		},
	})
}

func pm(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("±%.1f", *p)
}

func count(p *uint64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprint(*p)
}

func printScorecard(w io.Writer, r kpi.ScorecardResult) error {
	fmt.Fprintf(w, "%s · scorecard %s\n\n", r.Branch, r.Period)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "component\tdirection\tfloor\tbase\tchallenge\tvalue\tpoints\tof")
	for _, c := range r.Components {
		v := num(c.Value)
		if c.Missing {
			v += " (missing)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%g\t%g\t%s\t%.2f\t%g\n", c.Metric, c.Direction, c.Floor, c.Base, c.Challenge, v, c.Points, c.PointsMax)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t%.2f\t%g\n", r.Total, r.Max)
	return tw.Flush()
}

// printCalibratedAlerts prints alerts as a table with their q-values and the drift rule's
// numbers (extensions, docs/extensions.md).
func printCalibratedAlerts(w io.Writer, alerts []kpi.Alert) {
	if len(alerts) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  severity\trule\tbranch\tmetric\tq\tdetail")
	for _, al := range alerts {
		var detail string
		switch al.Rule {
		case kpi.RuleDeclineStreak:
			vals := make([]string, len(al.Values))
			for j, v := range al.Values {
				vals[j] = fmt.Sprintf("%.1f", v)
			}
			detail = fmt.Sprintf("fell %d months from %s: %s (drop %.1f, z %s, p %s)", al.Streak, al.Start,
				strings.Join(vals, " → "), al.Drop, fixed(al.Z, 2), sci(al.P))
		case kpi.RuleBelowBase:
			detail = fmt.Sprintf("%.2f vs base %.2f", al.Value, al.Base)
		case kpi.RuleLeadLost:
			detail = fmt.Sprintf("lead %+.1f, was %+.1f (p %s)", al.Value, al.Previous, sci(al.P))
		case kpi.RuleDrift:
			detail = fmt.Sprintf("%.1f vs baseline %.1f (drop %.1f, ewma %.2f below −%.2f over %d months, p %s)",
				al.Value, al.Baseline, al.Drop, al.EWMA, al.Limit, al.Updates, sci(al.P))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", al.Severity, al.Rule, al.Branch, al.Metric, sci(al.Q), detail)
	}
	_ = tw.Flush()
}

func fixed(p *float64, digits int) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', digits, 64)
}

// sci formats a p- or q-value with two significant digits.
func sci(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'g', 2, 64)
}
