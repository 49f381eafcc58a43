package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "unit",
		args:    "--store S | --staff X | --agent A | --manager M --period P [--trend] [--json]",
		summary: "one store's, clerk's, hotline agent's or customer manager's front-line card",
		details: `Prints one front-line unit's card over a period (YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2 or
YYYY; SPEC §5.2): its placement, ratings, satisfaction with its margin and its smoothed value
(toward its store's or branch's units), net score (ratings ≥ 4 minus ratings ≤ 2), mean wait,
complaints, inspections per publisher; agents add fcr, sl20 and mean handling time, managers
enterprise CSI and churn. A value marked "*" rests on fewer ratings than CSAT_MIN_SAMPLE.
--trend adds the unit's 12 months ending at the period's last month. --json prints what
GET /api/v1/unit returns.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			ids := map[string]*string{}
			for _, k := range kpi.UnitKinds() {
				ids[k] = fs.String(k, "", "the "+k+"'s id")
			}
			period := fs.String("period", "", "period, e.g. 2026-10 or 2026-Q3")
			trend := fs.Bool("trend", false, "add the 12 months ending at the period's last month")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				kind, id := "", ""
				for _, k := range kpi.UnitKinds() {
					if *ids[k] != "" {
						if kind != "" {
							return usagef("name one unit: --%s and --%s are exclusive", kind, k)
						}
						kind, id = k, *ids[k]
					}
				}
				if kind == "" {
					return usagef("name a unit: --store, --staff, --agent or --manager")
				}
				if *period == "" {
					return usagef("--period is required, e.g. 2026-10")
				}
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					c, err := eng.UnitCard(ctx, kind, id, *period)
					if err != nil {
						return nil, nil, err
					}
					v := api.UnitView{Card: c}
					if *trend {
						tr, err := eng.UnitTrend(ctx, kind, id, *period)
						if err != nil {
							return nil, nil, err
						}
						for i := range tr {
							v.Trend = append(v.Trend, &tr[i])
						}
					}
					return v, func(w io.Writer) error { return printUnit(w, v, a.names) }, nil
				})
			}
		},
	})
}

// smoothedText is " (smoothed 77.1)" for a value with a smoothed estimate.
func smoothedText(v kpi.Value) string {
	if v.Smoothed == nil || v.Smoothed.Value == nil {
		return ""
	}
	return fmt.Sprintf("   smoothed %.1f", *v.Smoothed.Value)
}

// printUnit prints a unit's card and, when present, its trend.
func printUnit(w io.Writer, v api.UnitView, names map[string]string) error {
	c := v.Card
	place := "not placed (no event names it up to this period)"
	if c.Branch != "" {
		place = c.Branch
		if n := names[c.Branch]; n != "" {
			place += " " + n
		}
		if c.Store != "" {
			place = "store " + c.Store + " · " + place
		}
	}
	fmt.Fprintf(w, "%s %s · %s · %s\n\n", c.Kind, c.Unit, c.Period, place)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	line("ratings", fmt.Sprint(c.Ratings))
	if c.Kind != kpi.UnitManager {
		line("satisfaction", val(c.Satisfaction)+smoothedText(c.Satisfaction))
		line("net_score", fmt.Sprintf("%+d", c.NetScore))
		line("avg_wait (s)", val(c.AvgWait))
	}
	if c.FCR != nil {
		line("fcr", val(*c.FCR)+smoothedText(*c.FCR))
		line("sl20", val(*c.SL20)+smoothedText(*c.SL20))
		line("avg_handle (s)", val(*c.AvgHandle))
	}
	if c.Inspection != nil {
		line("inspection", fmt.Sprintf("province %s · city %s", num(c.Inspection.Province), num(c.Inspection.City)))
	}
	if c.CSI != nil {
		line("enterprise csi", val(*c.CSI))
		line("churned", fmt.Sprint(*c.Churned))
	}
	line("complaints", fmt.Sprint(c.Complaints))
	if err := tw.Flush(); err != nil {
		return err
	}
	if !c.Satisfaction.Reportable && c.Satisfaction.Value != nil || c.CSI != nil && !c.CSI.Reportable && c.CSI.Value != nil {
		fmt.Fprintln(w, "\n* fewer ratings than CSAT_MIN_SAMPLE: not reportable (the smoothed value is the better estimate)")
	}
	if len(v.Trend) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"month", "n", "satisfaction", "smoothed", "net", "avg_wait", "complaints", "branch"}
	if c.Kind == kpi.UnitManager {
		head = []string{"month", "n", "csi", "churned", "complaints", "branch"}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, m := range v.Trend {
		if m == nil {
			continue
		}
		b := m.Branch
		if m.Store != "" {
			b = m.Store + " " + b
		}
		var row []string
		if c.Kind == kpi.UnitManager {
			row = []string{m.Period, fmt.Sprint(m.CSI.N), num(m.CSI.Value), fmt.Sprint(*m.Churned), fmt.Sprint(m.Complaints), b}
		} else {
			var sm *float64
			if m.Satisfaction.Smoothed != nil {
				sm = m.Satisfaction.Smoothed.Value
			}
			row = []string{m.Period, fmt.Sprint(m.Ratings), num(m.Satisfaction.Value), num(sm), fmt.Sprintf("%+d", m.NetScore),
				num(m.AvgWait.Value), fmt.Sprint(m.Complaints), b}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
