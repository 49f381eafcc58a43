package bench_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"reflect"
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
	// As of the moment Run's as-of reads ask for (about half of the last month ingested): the
	// fast path (a checkpoint plus a correction) equals the reference path over the raw rows,
	// and the moment cuts the month (it is not the live data).
	at := cfg.AsOfMoment()
	fast, err := e.Uncached().AsOf(at).AllData(ctx, cfg.LastMonth)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := e.Uncached().AsOfReference(at).AllData(ctx, cfg.LastMonth)
	if err != nil {
		t.Fatal(err)
	}
	live, err := e.AllData(ctx, cfg.LastMonth)
	if err != nil {
		t.Fatal(err)
	}
	if len(fast) != len(ref) {
		t.Errorf("as of %s: fast has %d branches, reference %d", at, len(fast), len(ref))
	}
	for b, r := range ref {
		if d := monthDataDiff(fast[b], r); d != "" {
			t.Errorf("as of %s, %s: fast differs from reference: %s", at, b, d)
		}
	}
	if n, l := ref[schema.Root].Window.HotlineN, live[schema.Root].Window.HotlineN; !(n > 0 && n < l) {
		t.Errorf("as of %s: %d hotline ratings of %d live: want some, not all", at, n, l)
	}
	out.Reset()
	if err := bench.Run(ctx, e, cfg, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"card ALL", "compare 31 provinces", "alerts company-wide", "league: stores of city", "league: staff of store",
		"unit card store", "unit card staff", "unit card agent", "rebuild 2026-10", "card county as of, fast", "card county as of, reference",
		"alerts company-wide as of, cold", "all provinces as of, cold", "as-of card p95 / current card p95", "under 50 as-of clients",
		"current card p95 loaded / unloaded", "process RSS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Run's output lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())
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

// monthDataDiff describes how a differs from b ("" when equal; float sums to 1e-9 relative).
func monthDataDiff(a, b kpi.MonthData) string {
	var d []string
	if a.Window != b.Window || a.Churn != b.Churn || a.Complaints.Opened != b.Complaints.Opened || a.Complaints.Closed != b.Complaints.Closed ||
		a.Complaints.ClosedWithinSLA != b.Complaints.ClosedWithinSLA || !approx(a.Complaints.ResolutionHoursSum, b.Complaints.ResolutionHoursSum) {
		d = append(d, fmt.Sprintf("counts %+v %+v %+v, want %+v %+v %+v", a.Window, a.Churn, a.Complaints, b.Window, b.Churn, b.Complaints))
	}
	if (a.Base == nil) != (b.Base == nil) || a.Base != nil && (a.Base.Subscribers != b.Base.Subscribers || !reflect.DeepEqual(a.Base.Tiers, b.Base.Tiers)) {
		d = append(d, fmt.Sprintf("base %+v, want %+v", a.Base, b.Base))
	}
	for _, pair := range [][2]kpi.SurveyStats{{a.Survey, b.Survey}, {b.Survey, a.Survey}} {
		for c, items := range pair[1] {
			for i, w := range items {
				g := pair[0][c][i]
				if g.N != w.N || !approx(g.SW, w.SW) || !approx(g.SW2, w.SW2) || !approx(g.SWX, w.SWX) || !approx(g.SWX2, w.SWX2) {
					d = append(d, fmt.Sprintf("survey %s %s %+v against %+v", c, i, g, w))
				}
			}
		}
	}
	if !reflect.DeepEqual(a.Stores, b.Stores) {
		d = append(d, "store ratings differ")
	}
	return strings.Join(d, "; ")
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
