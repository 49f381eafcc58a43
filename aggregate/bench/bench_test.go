package bench_test

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

func approx(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestParentIsSumOfChildren loads a small national data set (events at counties only) and
// checks, for every branch with children and every month, that its additive statistics and its
// base equal the sums over its children; then runs the benchmark once as a smoke test.
func TestParentIsSumOfChildren(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	cfg := bench.DefaultConfig()
	cfg.Scale, cfg.Months, cfg.Runs, cfg.RebuildRuns = 0.001, 3, 1, 1
	cfg.Projector = aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cfg.Catalog, SLAHours: cfg.SLAHours, Frontline: true}, nil, nil)
	var out bytes.Buffer
	if err := bench.Load(ctx, conn, cfg, &out); err != nil {
		t.Fatalf("Load: %v\n%s", err, out.String())
	}
	kcfg := kpi.DefaultConfig()
	sc, err := kpi.DefaultScorecard(cfg.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	e := aggregate.NewEngine(conn, kcfg, cfg.Catalog, sc, nil)
	for _, m := range schema.Months(cfg.LastMonth.Add(1-cfg.Months), cfg.LastMonth) {
		all, err := e.AllData(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 3000 {
			t.Fatalf("%s: %d branches, want > 3,000", m, len(all))
		}
		sums := map[string]*kpi.MonthData{}
		for b, d := range all {
			p := schema.Parent(b)
			if p == "" {
				continue
			}
			s := sums[p]
			if s == nil {
				s = &kpi.MonthData{Survey: kpi.SurveyStats{}, Base: &kpi.Base{Tiers: &kpi.Tiers{}}}
				sums[p] = s
			}
			s.Survey = s.Survey.Add(d.Survey)
			s.Window = s.Window.Add(d.Window)
			s.Complaints = s.Complaints.Add(d.Complaints)
			s.Churn = s.Churn.Add(d.Churn)
			s.Base.Subscribers += d.Base.Subscribers
			s.Base.Tiers.High += d.Base.Tiers.High
			s.Base.Tiers.Mid += d.Base.Tiers.Mid
			s.Base.Tiers.Low += d.Base.Tiers.Low
		}
		for p, s := range sums {
			d := all[p]
			if d.Window != s.Window || d.Churn != s.Churn || d.Complaints.Opened != s.Complaints.Opened ||
				d.Complaints.Closed != s.Complaints.Closed || d.Complaints.ClosedWithinSLA != s.Complaints.ClosedWithinSLA ||
				!approx(d.Complaints.ResolutionHoursSum, s.Complaints.ResolutionHoursSum) {
				t.Errorf("%s %s: counts %+v %+v %+v, children sum %+v %+v %+v", m, p, d.Window, d.Churn, d.Complaints, s.Window, s.Churn, s.Complaints)
			}
			if d.Base.Subscribers != s.Base.Subscribers || *d.Base.Tiers != *s.Base.Tiers {
				t.Errorf("%s %s: base %+v, children sum %+v", m, p, *d.Base, *s.Base)
			}
			for c, items := range s.Survey {
				for i, w := range items {
					g := d.Survey[c][i]
					if g.N != w.N || !approx(g.SW, w.SW) || !approx(g.SW2, w.SW2) || !approx(g.SWX, w.SWX) || !approx(g.SWX2, w.SWX2) {
						t.Errorf("%s %s %s %s: %+v, children sum %+v", m, p, c, i, g, w)
					}
				}
			}
		}
	}
	out.Reset()
	if err := bench.Run(ctx, e, cfg, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"card ALL", "compare 31 provinces", "alerts company-wide", "league: stores of city", "league: staff of store",
		"unit card store", "unit card staff", "unit card agent", "rebuild 2026-10", "process RSS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Run's output lacks %q:\n%s", want, out.String())
		}
	}
	// Only: just the operations named.
	out.Reset()
	cfg.Only = "unit card, league"
	if err := bench.Run(ctx, e, cfg, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if got := out.String(); !strings.Contains(got, "unit card agent") || !strings.Contains(got, "league: stores") || strings.Contains(got, "card ALL") ||
		strings.Contains(got, "rebuild") {
		t.Errorf("Run with Only %q:\n%s", cfg.Only, got)
	}
	t.Logf("\n%s", out.String())
}

// TestNationalBench runs the benchmark against a persistent database when CSAT_BENCH_SCALE is
// set (e.g. 0.1), loading it first when CSAT_BENCH_LOAD=1:
//
//	CSAT_BENCH_SCALE=0.1 CSAT_BENCH_LOAD=1 go test -run TestNationalBench -v -timeout 2h ./aggregate/bench
//
// The database is CSAT_BENCH_DATABASE (default csat_bench). Run without CSAT_BENCH_LOAD the RSS
// printed is that of a process that only queried.
func TestNationalBench(t *testing.T) {
	scale := os.Getenv("CSAT_BENCH_SCALE")
	if scale == "" {
		t.Skip("set CSAT_BENCH_SCALE (e.g. 0.1) to run the national benchmark")
	}
	ctx := context.Background()
	ccfg := chtest.Config(t)
	chtest.Skip(t, ccfg)
	ccfg.Database = cmp.Or(os.Getenv("CSAT_BENCH_DATABASE"), "csat_bench")
	cfg := bench.DefaultConfig()
	var err error
	if cfg.Scale, err = strconv.ParseFloat(scale, 64); err != nil {
		t.Fatalf("CSAT_BENCH_SCALE: %v", err)
	}
	if os.Getenv("CSAT_BENCH_LOAD") == "1" {
		server, err := chdb.Open(ctx, ccfg, chdb.WithoutDatabase())
		if err != nil {
			t.Fatal(err)
		}
		if err := server.Exec(ctx, "DROP DATABASE IF EXISTS "+ccfg.Database); err != nil {
			t.Fatal(err)
		}
		if _, err := chdb.Migrate(ctx, server, ccfg, nil); err != nil {
			t.Fatal(err)
		}
		_ = server.Close()
	}
	conn, err := chdb.Open(ctx, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg.Projector = aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cfg.Catalog, SLAHours: cfg.SLAHours}, nil, nil)
	if os.Getenv("CSAT_BENCH_LOAD") == "1" {
		if err := bench.Load(ctx, conn, cfg, os.Stdout); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := kpi.DefaultScorecard(cfg.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	e := aggregate.NewEngine(conn, kpi.DefaultConfig(), cfg.Catalog, sc, nil)
	if err := bench.Run(ctx, e, cfg, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
