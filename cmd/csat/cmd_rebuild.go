package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "rebuild",
		args:    "[--month YYYY-MM] [--checkpoints]",
		summary: "recompute the KPI projections from the raw event tables",
		details: `Projections are derived data: every KPI can be recomputed from the raw events at any
time. rebuild recomputes every family (survey, window, complaints, churn, base) of one month, or
of every month present when --month is not given. Readers keep seeing the previous version until
the new one is committed. Run it after changing CSAT_COMPLAINT_SLA_HOURS or the item catalog.

--checkpoints also keeps, for each month, its projections as of every midnight (UTC) between the
first and the last ingestion of its rows (those not kept yet): the bases that make --as-of reads
fast (a deployment that runs keeps the last version of each day itself). Use it once after
upgrading, or after loading a history at once.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			month := fs.String("month", "", "the month to rebuild, YYYY-MM (default: every month)")
			checkpoints := fs.Bool("checkpoints", false, "also keep each month's projections as of every midnight of its ingestion (fast --as-of reads)")
			return func(ctx context.Context) error {
				var m schema.Month
				if *month != "" {
					var err error
					if m, err = schema.ParseMonth(*month); err != nil {
						return usagef("--month: %v", err)
					}
				}
				conn, err := openClickHouse(ctx, a)
				if err != nil {
					return err
				}
				defer conn.Close()
				proj, err := newProjector(a, conn, nil)
				if err != nil {
					return err
				}
				t0 := time.Now()
				if err := proj.Rebuild(ctx, m); err != nil {
					return err
				}
				what := "every month"
				if m != 0 {
					what = m.String()
				}
				fmt.Fprintf(a.stdout, "rebuilt %s in %.1fs\n", what, time.Since(t0).Seconds())
				if *checkpoints {
					t0 = time.Now()
					n, err := proj.CheckpointDays(ctx, m)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "kept %d daily checkpoints of %s in %.1fs\n", n, what, time.Since(t0).Seconds())
				}
				return nil
			}
		},
	})
}
