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
		args:    "--level province|city|county --period P [--parent B] [--metric X] [--json] | --unit store|staff|agent|manager --period P [--parent B] [--store S] [--metric X] [--json]",
		summary: "league table: branches of a level by scorecard points, or stores, staff, agents or managers by a metric",
		details: `With --level: ranks the branches of one level under a parent (default ALL) by their
scorecard total over an assessment period (YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2, YYYY or a
configured period), or by the points of one component (--metric, e.g. csi or enterprise_csi).
Each row shows every component's points; components with a missing month (null or
unreportable: 0 points there) are listed. Ties go to the smaller branch id.

With --unit (SPEC §5.2): ranks the stores, agents or managers placed under --parent, or the
staff of the stores placed there (--store S: the staff of one store), by one metric of their
front-line card over the period: satisfaction (default; managers: csi), net_score, avg_wait,
complaints, inspection.province, inspection.city, fcr, sl20, avg_handle, csi, churned. avg_wait,
avg_handle, complaints and churned rank ascending. A unit with fewer ratings than
CSAT_MIN_SAMPLE is ranked by its smoothed value (toward its store's or branch's units) and
marked "~"; one that cannot be ranked (an unreportable mean, or no value) has no rank and is
listed after the ranked ones. --unit and --level are exclusive.

--csv and --xlsx write the table (names beside ids).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			level := fs.String("level", "", "province, city or county (or 1–4): rank branches")
			unit := fs.String("unit", "", "store, staff, agent or manager: rank front-line units")
			parent := a.branchFlag(fs, "parent", schema.Root, "rank the branches of the level, or the units, under this branch")
			store := fs.String("store", "", "with --unit staff: rank the staff of this store")
			period := fs.String("period", "", "assessment period, e.g. 2026-Q3")
			metric := fs.String("metric", "", "rank by this component's points (--level; default: the total) or this front-line metric (--unit)")
			asJSON := fs.Bool("json", false, "print JSON")
			a.exportFlags(fs)
			return func(ctx context.Context) error {
				if *period == "" {
					return usagef("--period is required, e.g. 2026-Q3")
				}
				if *unit != "" {
					if *level != "" {
						return usagef("--unit and --level are exclusive: --unit ranks stores, staff, agents or managers, --level ranks branches")
					}
					if p, ok := strings.CutPrefix(*parent, aggregate.StoreParent); ok && *store == "" {
						*store, *parent = p, schema.Root
					}
					if *store != "" {
						if *unit != "staff" {
							return usagef("--store: only the staff of a store are ranked (--unit staff)")
						}
						if *parent != schema.Root {
							return usagef("--store and --parent are exclusive: the staff of one store, or of the stores under a branch")
						}
					}
					return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
						p := *parent
						if *store != "" {
							p = aggregate.StoreParent + *store
						}
						l, err := eng.UnitLeague(ctx, *unit, p, *period, *metric)
						return l, func(w io.Writer) error { return printUnitLeague(w, l, a.names, a.cfg.KPI.MinSample) }, err
					})
				}
				lv, ok := aggregate.Levels[*level]
				if !ok {
					if *level == "" {
						return usagef("--level or --unit is required")
					}
					if _, err := fmt.Sscanf(*level, "%d", &lv); err != nil || lv < 1 || lv > 4 || fmt.Sprint(lv) != *level {
						return usagef("--level %q: want province, city, county or 1–4", *level)
					}
				}
				if *store != "" {
					return usagef("--store ranks the staff of a store: use it with --unit staff")
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

// unitNouns are the plural nouns of the unit kinds, for headings.
var unitNouns = map[string]string{"store": "stores", "staff": "staff", "agent": "agents", "manager": "customer managers"}

// countMetrics are the front-line metrics that count (printed without decimals).
var countMetrics = map[string]bool{"net_score": true, "complaints": true, "churned": true}

// printUnitLeague prints a league table of front-line units: rank, unit, its branch (staff:
// store and branch), the value with its margin and n, the smoothed value; a unit ranked by its
// smoothed value is marked "~", an unranked one has rank "–", and a note says why.
func printUnitLeague(w io.Writer, l aggregate.UnitLeague, names map[string]string, minSample uint64) error {
	dir := "higher is better"
	if l.LowerIsBetter {
		dir = "lower is better"
	}
	parent := l.Parent
	if n := names[parent]; n != "" {
		parent += " " + n
	}
	if st, ok := strings.CutPrefix(parent, aggregate.StoreParent); ok {
		parent = "store " + st
	}
	fmt.Fprintf(w, "%s of %s · %s · ranked by %s (%s)\n\n", unitNouns[l.Unit], parent, l.Period, l.Metric, dir)
	if len(l.Units) == 0 {
		fmt.Fprintln(w, "no units")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"rank", l.Unit}
	if l.Unit == "staff" {
		head = append(head, "store")
	}
	head = append(head, "branch", l.Metric, "±moe95", "n", "smoothed", "note", "name")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	smoothedRanks, unranked := 0, 0
	for _, r := range l.Units {
		rank := "–"
		if r.Rank != nil {
			rank = fmt.Sprint(*r.Rank)
		}
		note := ""
		switch {
		case r.RankedBy == aggregate.RankedBySmoothed:
			rank += "~"
			smoothedRanks++
			note = fmt.Sprintf("n %d < %d: ranked by smoothed", r.N, minSample)
		case r.RankedBy == aggregate.RankedByNone && r.Value != nil:
			unranked++
			note = fmt.Sprintf("n %d < %d: not ranked", r.N, minSample)
		case r.Value == nil:
			note = "no value"
		}
		row := []string{rank, r.Unit}
		if l.Unit == "staff" {
			row = append(row, r.Store)
		}
		moe := "–"
		if r.MOE95 != nil {
			moe = fmt.Sprintf("±%.1f", *r.MOE95)
		}
		value := num(r.Value)
		if countMetrics[l.Metric] && r.Value != nil {
			value = fmt.Sprintf("%.0f", *r.Value)
		}
		row = append(row, r.Branch, value, moe, fmt.Sprint(r.N), num(r.Smoothed), note, names[r.Branch])
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if smoothedRanks > 0 {
		fmt.Fprintf(w, "\n~ fewer than %d ratings (CSAT_MIN_SAMPLE): ranked by the smoothed value (shrunk toward its %s's units), not its own\n",
			minSample, map[bool]string{true: "store", false: "branch"}[l.Unit == "staff"])
	}
	if unranked > 0 {
		fmt.Fprintf(w, "– too few ratings for a mean that is not smoothed: listed, not ranked\n")
	}
	return nil
}
