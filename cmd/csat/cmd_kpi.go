package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// readOp is the common frame of the read commands: open the existing database (never creating
// or migrating it) and the engine, resolve branch names to ids, run op, print JSON or a table,
// write the --csv/--xlsx files, and end with exit code 3 and the reason on standard error when
// the result is empty.
func readOp(ctx context.Context, a *app, asJSON bool, op func(ctx context.Context, eng *aggregate.Engine, cat schema.Catalog) (any, func(io.Writer) error, error)) error {
	conn, err := openExisting(ctx, a)
	if err != nil {
		return err
	}
	defer conn.Close()
	eng, cat, names, err := newEngine(a, conn)
	if err != nil {
		return err
	}
	a.names = names
	if err := a.resolveBranchFlags(ctx, eng); err != nil {
		return err
	}
	v, table, err := op(ctx, eng, cat)
	if err != nil {
		var pe *aggregate.ParamError
		if errors.As(err, &pe) {
			return usagef("--%s: %s", pe.Param, pe.Msg)
		}
		return err
	}
	if asJSON {
		err = writeJSON(a.stdout, v)
	} else {
		err = table(a.stdout)
	}
	if err != nil {
		return err
	}
	if err := a.writeExports(v); err != nil {
		return err
	}
	if why := a.emptyReason(v); why != "" {
		fmt.Fprintf(a.stderr, "csat: %s\n", why)
		return exitCode(exitEmpty)
	}
	return nil
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
		args:    "--branch B --month YYYY-MM [--as-of T] [--json]",
		summary: "the KPI card of a branch (its whole subtree) for a month",
		details: `Prints composite satisfaction (CSI), overall and item scores of the own carrier and its
competitors with 95% margins and sample sizes, the competitor lead, short planks, window service,
complaints, churn and the subscriber base. A value marked * is not reportable (n below
CSAT_MIN_SAMPLE). --json prints the card exactly as SPEC §4 (and GET /api/v1/kpi) define it, with
the extensions of docs/extensions.md (smoothed values of cities and counties, key drivers).
--as-of T answers from the events ingested up to T (RFC 3339).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := a.branchFlag(fs, "branch", schema.Root, "branch (ALL: the whole company)")
			month := fs.String("month", "", "month, YYYY-MM")
			asJSON := fs.Bool("json", false, "print JSON")
			asOf := fs.String("as-of", "", "answer from the events ingested up to this moment (RFC 3339)")
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				at, err := timeFlag("as-of", *asOf)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, cat schema.Catalog) (any, func(io.Writer) error, error) {
					c, err := eng.AsOf(at).Card(ctx, *branch, m)
					return c, func(w io.Writer) error {
						if n := a.names[c.Branch]; n != "" {
							fmt.Fprintf(w, "%s\n", n)
						}
						return printCard(w, c, cat)
					}, err
				})
			}
		},
	})
	register(&command{
		name:    "trend",
		args:    "--branch B --metric X [--from YYYY-MM] [--to YYYY-MM] [--json]",
		summary: "one metric of a branch month by month (default: the last 13 months)",
		details: `--to defaults to the last full month (CSAT_TIMEZONE), --from to 12 months before --to: the
last 13 months, a year-on-year view.

` + metricHelp(),
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := a.branchFlag(fs, "branch", schema.Root, "branch")
			metric := fs.String("metric", "csi", "metric name (see the list above)")
			from := fs.String("from", "", "first month, YYYY-MM (default: 12 months before --to)")
			to := fs.String("to", "", "last month, YYYY-MM (default: the last full month)")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				t := lastFullMonth(a)
				if *to != "" {
					var err error
					if t, err = monthFlag("to", *to); err != nil {
						return err
					}
				}
				f := t.Add(-12)
				if *from != "" {
					var err error
					if f, err = monthFlag("from", *from); err != nil {
						return err
					}
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					tr, err := eng.Trend(ctx, *branch, *metric, f, t)
					return tr, func(w io.Writer) error {
						fmt.Fprintf(w, "%s · %s\n\n", a.nameOf(tr.Branch), tr.Metric)
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
			parent := a.branchFlag(fs, "parent", schema.Root, "parent branch (ALL: compare the provinces)")
			month := fs.String("month", "", "month, YYYY-MM")
			metric := fs.String("metric", "csi", "metric name (see csat trend -h)")
			asJSON := fs.Bool("json", false, "print JSON")
			a.exportFlags(fs)
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					c, err := eng.Compare(ctx, *parent, m, *metric)
					return c, func(w io.Writer) error {
						fmt.Fprintf(w, "%s · children of %s · %s\n\n", c.Metric, a.nameOf(c.Parent), c.Month)
						tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
						fmt.Fprintln(tw, "rank\tbranch\tvalue\tmoe95\tn\tchange\tname")
						for _, r := range c.Children {
							mark := ""
							if !r.Reportable {
								mark = " *"
							}
							// The name last: wide characters would misalign the columns after it.
							fmt.Fprintf(tw, "%d\t%s\t%s%s\t%s\t%s\t%s\t%s\n", r.Rank, r.Branch, num(r.Value), mark, pm(r.MOE95), count(r.N), signed(r.Change), a.names[r.Branch])
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
		args:    "--month YYYY-MM [--branch B] [--as-of T | --units] [--json]",
		summary: "the alerts of a month over a branch's subtree (default: the whole company)",
		details: `Rules (SPEC §3.11 and docs/extensions.md): decline_streak — csi, a key item, lead or window
satisfaction fell CSAT_ALERT_DECLINE_MONTHS months in a row; drift — an EWMA chart of the same
metrics signals a slow slide; below_base — a scorecard component is below its base target;
lead_lost — the lead over the best competitor turned negative. decline_streak, lead_lost and drift
carry a one-sided p-value and a Benjamini–Hochberg q-value over the whole company's alerts of the
month and rule; they are significant when q ≤ CSAT_ALERT_FDR and the drop ≥ CSAT_ALERT_MIN_DROP,
else watch. --as-of answers from the events ingested up to that moment.

--units lists the front-line unit alerts instead (docs/design/frontline.md; CSAT_FRONTLINE):
unit_streak — a store's, staff member's or agent's inspection score or satisfaction fell (average
wait rose) CSAT_ALERT_DECLINE_MONTHS months in a row by enough; unit_outlier — a unit's complaints
above the 99.8 % Poisson limit of its branch's units of its kind, or an agent's average wait at
least 2.5 × the other agents' of their branch.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := a.branchFlag(fs, "branch", schema.Root, "subtree root")
			month := fs.String("month", "", "month, YYYY-MM")
			asJSON := fs.Bool("json", false, "print JSON")
			a.exportFlags(fs)
			asOf := fs.String("as-of", "", "answer from the events ingested up to this moment (RFC 3339)")
			units := fs.Bool("units", false, "the front-line unit alerts (stores, staff, agents)")
			return func(ctx context.Context) error {
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				at, err := timeFlag("as-of", *asOf)
				if err != nil {
					return err
				}
				if *units {
					if !at.IsZero() {
						return usagef("--as-of: not available with --units (the front line is read at its committed versions)")
					}
					return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
						res, err := eng.UnitAlerts(ctx, *branch, m)
						return res, func(w io.Writer) error {
							fmt.Fprintf(w, "%s · front-line unit alerts under %s: %d\n\n", res.Month, a.nameOf(*branch), len(res.Alerts))
							printUnitAlerts(w, res.Alerts, a.names, 0)
							return nil
						}, err
					})
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					res, err := eng.AsOf(at).Alerts(ctx, *branch, m)
					return res, func(w io.Writer) error {
						fmt.Fprintf(w, "%s · alerts under %s: %d\n\n", res.Month, a.nameOf(*branch), len(res.Alerts))
						printAlerts(w, res.Alerts, a.names, 0)
						return nil
					}, err
				})
			}
		},
	})
	register(&command{
		name:    "scorecard",
		args:    "--branch B --period P [--as-of T | --diff A B] [--json]",
		summary: "scorecard points of a branch for an assessment period",
		details: `A period is a name configured in the scorecard file, YYYY-Qn (three months at equal
weight unless configured), YYYY-MM or YYYY. Each component shows its value, targets, points and
whether it is missing (a null or unreportable value scores 0).

--as-of T answers from the events ingested up to T (RFC 3339). --diff A B (two RFC 3339 times,
A before B) shows each component as of A and as of B and lists the events first ingested in
(A, B] in the branch's subtree and the months the scorecard reads (at most 50, with counts by
type), survey voids included (docs/extensions.md).`,
		anyArgs: true,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := a.branchFlag(fs, "branch", schema.Root, "branch")
			period := fs.String("period", "", "assessment period, e.g. 2026-Q3")
			asJSON := fs.Bool("json", false, "print JSON")
			a.exportFlags(fs)
			asOf := fs.String("as-of", "", "answer from the events ingested up to this moment (RFC 3339)")
			diff := fs.String("diff", "", "moment A; the next argument is moment B: what changed between them")
			return func(ctx context.Context) error {
				var diffB string
				if *diff != "" {
					// --diff takes two values: B is the first positional argument; the flags after
					// it are parsed here.
					if fs.NArg() == 0 {
						return usagef("--diff needs two moments: --diff A B")
					}
					diffB = fs.Arg(0)
					if err := fs.Parse(fs.Args()[1:]); err != nil {
						return usagef("%v", err)
					}
				}
				if fs.NArg() > 0 {
					return usagef("unexpected argument %q", fs.Arg(0))
				}
				if *period == "" {
					return usagef("--period is required")
				}
				at, err := timeFlag("as-of", *asOf)
				if err != nil {
					return err
				}
				if *diff != "" {
					if *asOf != "" {
						return usagef("--as-of and --diff exclude each other")
					}
					ta, err := timeFlag("diff", *diff)
					if err != nil {
						return err
					}
					tb, err := timeFlag("diff", diffB)
					if err != nil {
						return err
					}
					return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
						d, err := eng.ScorecardDiff(ctx, *branch, *period, ta, tb)
						return d, func(w io.Writer) error { return printScorecardDiff(w, d) }, err
					})
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					r, err := eng.AsOf(at).Scorecard(ctx, *branch, *period)
					return r, func(w io.Writer) error {
						if n := a.names[r.Branch]; n != "" {
							fmt.Fprintf(w, "%s\n", n)
						}
						return printScorecard(w, r)
					}, err
				})
			}
		},
	})
}

// timeFlag parses an RFC 3339 moment ("" is the zero time: now, the live projections).
func timeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--%s %q: want an RFC 3339 time such as 2026-11-05T08:00:00+08:00", name, s)
	}
	// The zero time would read as "no --as-of"; no time before 2000 has data.
	if err := aggregate.CheckAsOf(t); err != nil {
		var pe *aggregate.ParamError
		if errors.As(err, &pe) {
			return time.Time{}, usagef("--%s: %s", name, pe.Msg)
		}
		return time.Time{}, err
	}
	return t, nil
}

func printScorecardDiff(w io.Writer, d aggregate.ScorecardDiff) error {
	fmt.Fprintf(w, "%s · scorecard %s · as of %s → as of %s\n\n", d.Branch, d.Period, d.A.Format(time.RFC3339), d.B.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "component\tvalue A\tvalue B\tpoints A\tpoints B\tchange\tby the data\tby the targets")
	for _, c := range d.Components {
		va, vb := num(c.ValueA), num(c.ValueB)
		if c.MissingA {
			va += " (missing)"
		}
		if c.MissingB {
			vb += " (missing)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%+.2f\t%+.2f\t%+.2f\n", c.Metric, va, vb, c.PointsA, c.PointsB, c.PointsB-c.PointsA, c.DataChange, c.TargetChange)
	}
	fmt.Fprintf(tw, "total\t\t\t%.2f\t%.2f\t%+.2f\t%+.2f\t%+.2f\n", d.TotalA, d.TotalB, d.TotalB-d.TotalA, d.DataChange, d.TargetChange)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range d.Components {
		if c.TargetsChanged {
			fmt.Fprintf(w, "%s: targets restated between A and B (as of A: floor %g, base %g, challenge %g; as of B: %g, %g, %g)\n",
				c.Metric, c.TargetsA.Floor, c.TargetsA.Base, c.TargetsA.Challenge, c.TargetsB.Floor, c.TargetsB.Base, c.TargetsB.Challenge)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	types := make([]string, 0, len(d.Counts))
	total := 0
	for t, n := range d.Counts {
		types = append(types, fmt.Sprintf("%s %d", t, n))
		total += n
	}
	sort.Strings(types)
	fmt.Fprintf(w, "\nevents ingested in (A, B]: %d", total)
	if len(types) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(types, ", "))
	}
	fmt.Fprintln(w)
	if len(d.Events) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ingested at\ttype\tevent id\tbranch\tmonth\ttarget")
	for _, ev := range d.Events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", ev.IngestedAt.Format(time.RFC3339), ev.Type, ev.EventID, ev.Branch, ev.Month, ev.Target)
	}
	if d.Truncated {
		fmt.Fprintf(tw, "  … %d more\t\t\t\t\t\n", total-len(d.Events))
	}
	return tw.Flush()
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
	scheme := ""
	if r.Scheme != "" {
		scheme = " (" + r.Scheme + " scheme)"
	}
	fmt.Fprintf(w, "%s · scorecard %s%s\n\n", r.Branch, r.Period, scheme)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "component\tname\tdirection\tfloor\tbase\tchallenge\tvalue\tpoints\tof\tearned by")
	for _, c := range r.Components {
		v := num(c.Value)
		if c.Missing {
			v += " (missing)"
		}
		earned := ""
		if c.Mode == kpi.ImproveOrAttain {
			// Both ways and which one counted: 改善 (improvement) or 达标 (attainment).
			earned = fmt.Sprintf("%s (attain %.2f, improve %.2f, Δ %s vs a year earlier)", c.EarnedBy, *c.AttainPoints, *c.ImprovePoints, signed(c.Improvement))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%g\t%g\t%s\t%.2f\t%g\t%s\n", c.Metric, c.Name, c.Direction, c.Floor, c.Base, c.Challenge, v, c.Points, c.PointsMax, earned)
	}
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t%.2f\t%g\t\n", g.Name, g.Points, g.Max)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t\t%.2f\t%g\t\n", r.Total, r.Max)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range r.Components {
		for _, m := range c.Months {
			if m.Targets != nil {
				fmt.Fprintf(w, "%s: %s was scored with the targets then in force (floor %g, base %g, challenge %g)\n", c.Metric, m.Month, m.Targets.Floor, m.Targets.Base, m.Targets.Challenge)
			}
		}
	}
	return nil
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
