package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	aggbench "github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/aggregate/stat/simstudy"
	"github.com/csat-dev/csat/ingest"
	ingbench "github.com/csat-dev/csat/ingest/bench"
	"github.com/csat-dev/csat/schema/chdb"
)

func init() {
	register(&command{
		name:    "bench",
		args:    "ingest|kpi|alerts|api|freshness [flags]",
		summary: "benchmarks that print figures: ingest throughput, KPI query latency, alert calibration",
		details: `csat bench ingest [--events N] [--partitions P] [--no-engine]
    Loads N events (the realistic mix, ~300 bytes) into Kafka, then measures in one run: the
    limits (kafka-go reading and discarding; clickhouse-go inserting without Kafka), csat ingest
    --drain end to end with projections, and ClickHouse's own Kafka table engine on the same
    topic. Prints events/s, the ratios and peak RSS. Uses CSAT_KAFKA_* and CSAT_CLICKHOUSE_*.

csat bench kpi [--load] [--scale X] [--runs N] [--database csat_bench] [--only WORDS] [--cpuprofile F]
    With --load, fills the database (default csat_bench) with the national data set (31
    provinces, ~3,000 counties, 24 months, 2M survey responses, 50M ratings at scale 1; the
    front line's ~39,000 stores, ~310,000 staff and ~21,000 agents at every scale) and
    rebuilds the projections (rows ingested seconds to minutes after they occurred; the last
    month checkpointed at each midnight); then prints p50/p95 of the KPI card at every level,
    compare, company-wide alerts, a quarter's scorecard for all provinces, the same as of the
    15th of the last month (fast, and the reference path for the card), a current card under 50
    concurrent as-of clients, the front line's reads (a city's stores, a store's staff, unit
    cards; with CSAT_FRONTLINE on), a one-month rebuild, and RSS. --only times just the
    operations whose name contains one of the words; --cpuprofile writes a CPU profile of them.

csat bench api --month M [--url U] [--clients 100] [--duration 20s] [--token T]
    Loads a running csat serve with concurrent clients (KPI cards of random known branches,
    compare of the provinces) and prints p50/p95/p99 per endpoint.

csat bench freshness [--rate 20000] [--clients 50] [--duration 60s] [--database D] [--month M]
    Runs csat ingest (with its projector) and csat serve in this process over fresh topics and,
    unless --database names an existing one (csat_bench after csat bench kpi --load: the national
    data set; the run adds its events to it), a throwaway database; produces the realistic mix at
    --rate, reads cards with --clients clients, and every --marker-every produces a marker (a
    hotline rating of branch FR-MK) whose card is polled: prints p50/p95/p99 of produce → first
    API response that includes it, and the load actually held.

csat bench alerts [--seed S] [--series N]
    The simulation study of the alert rules: false significant alerts on null data and power
    for a true 5-point fall, plain rule versus calibrated rules.`,
		anyArgs: true,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			return func(ctx context.Context) error {
				args := fs.Args()
				if len(args) == 0 {
					return usagef("want: csat bench ingest|kpi|alerts|api|freshness")
				}
				sub := flag.NewFlagSet("csat bench "+args[0], flag.ContinueOnError)
				sub.SetOutput(a.stderr)
				switch args[0] {
				case "ingest":
					return benchIngest(ctx, a, sub, args[1:])
				case "kpi":
					return benchKPI(ctx, a, sub, args[1:])
				case "alerts":
					return benchAlerts(a, sub, args[1:])
				case "api":
					return benchAPI(ctx, a, sub, args[1:])
				case "freshness":
					return benchFreshness(ctx, a, sub, args[1:])
				}
				return usagef("unknown benchmark %q: want ingest, kpi, alerts, api or freshness", args[0])
			}
		},
	})
}

func benchIngest(ctx context.Context, a *app, fs *flag.FlagSet, args []string) error {
	cfg := ingbench.Config{Ingest: a.cfg.Ingest, ClickHouse: a.cfg.ClickHouse}
	fs.IntVar(&cfg.Events, "events", 1_000_000, "events to load")
	fs.IntVar(&cfg.Partitions, "partitions", 12, "partitions per topic")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "run the phases this many times over the loaded events; the summary gives medians")
	fs.BoolVar(&cfg.SkipEngine, "no-engine", false, "skip ClickHouse's Kafka table engine")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the topics and databases")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of each (b) drain to this file (round n > 1: file.n)")
	memProfile := fs.String("memprofile", "", "write the allocation profiles at the start (file.before) and end of each (b) drain (round n > 1: file.n)")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *cpuProfile != "" || *memProfile != "" {
		cfg.AroundIngest = profileDrains(*cpuProfile, *memProfile, a.stderr)
	}
	cfg.Projector = func(conn driver.Conn) (ingest.Projector, error) { return newProjector(a, conn, nil) }
	if a.log.Enabled(ctx, slog.LevelDebug) { // CSAT_LOG_LEVEL=debug: ingest's batch lines too
		cfg.Logger = a.log
	}
	return ingbench.Run(ctx, cfg, a.stdout)
}

// profileDrains returns an AroundIngest hook that profiles each drain: the CPU profile to
// cpuPath, the allocation profile at its start and end to memPath.before and memPath (pprof
// -sample_index=alloc_space -base memPath.before memPath: what the drain allocated). The n-th
// drain's files end in .n. An empty path skips that profile.
func profileDrains(cpuPath, memPath string, errs io.Writer) func() func() {
	n := 0
	fail := func(err error) {
		if err != nil {
			fmt.Fprintf(errs, "profile: %v\n", err)
		}
	}
	name := func(path string) string {
		if n > 1 {
			return fmt.Sprintf("%s.%d", path, n)
		}
		return path
	}
	writeAllocs := func(path string) {
		runtime.GC() // the profile holds the allocations up to the last collection
		f, err := os.Create(path)
		if err != nil {
			fail(err)
			return
		}
		fail(pprof.Lookup("allocs").WriteTo(f, 0))
		fail(f.Close())
	}
	return func() func() {
		n++
		if memPath != "" {
			writeAllocs(name(memPath) + ".before")
		}
		var cpu *os.File
		if cpuPath != "" {
			f, err := os.Create(name(cpuPath))
			if err == nil {
				if err = pprof.StartCPUProfile(f); err != nil {
					_ = f.Close()
				} else {
					cpu = f
				}
			}
			fail(err)
		}
		return func() {
			if cpu != nil {
				pprof.StopCPUProfile()
				fail(cpu.Close())
			}
			if memPath != "" {
				writeAllocs(name(memPath))
			}
		}
	}
}

func benchKPI(ctx context.Context, a *app, fs *flag.FlagSet, args []string) error {
	cfg := aggbench.DefaultConfig()
	load := fs.Bool("load", false, "load the national data set first (minutes at scale 1)")
	db := fs.String("database", "csat_bench", "the ClickHouse database of the data set (never your production one)")
	fs.Float64Var(&cfg.Scale, "scale", 1, "event counts relative to the national data set")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "timed repetitions of each operation")
	fs.StringVar(&cfg.Only, "only", "", "time only the operations whose name contains one of these comma-separated words")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed operations (not the load) to this file")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	a.cfg.ClickHouse.Database = *db
	cat, err := a.cfg.Schema.Catalog()
	if err != nil {
		return err
	}
	cfg.Catalog = cat
	cfg.SLAHours = a.cfg.KPI.ComplaintSLAHours
	conn, err := openClickHouse(ctx, a)
	if err != nil {
		return err
	}
	defer conn.Close()
	proj, err := newProjector(a, conn, nil)
	if err != nil {
		return err
	}
	cfg.Projector = proj
	if *load {
		if err := aggbench.Load(ctx, conn, cfg, a.stdout); err != nil {
			return err
		}
		// Query with a fresh connection pool, as a serving process would.
		conn.Close()
		if conn, err = chdb.Open(ctx, a.cfg.ClickHouse); err != nil {
			return err
		}
		if cfg.Projector, err = newProjector(a, conn, nil); err != nil {
			return err
		}
	}
	eng, _, _, err := newEngine(a, conn)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "front-line projection (CSAT_FRONTLINE): %v; the rebuild recomputes it when on\n", a.cfg.KPI.Frontline)
	if *cpuProfile != "" {
		stop := profileDrains(*cpuProfile, "", a.stderr)()
		defer stop()
	}
	return aggbench.Run(ctx, eng, cfg, a.stdout)
}

func benchAlerts(a *app, fs *flag.FlagSet, args []string) error {
	cfg := simstudy.DefaultConfig()
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.IntVar(&cfg.Series, "series", cfg.Series, "series (branch × item), half counties, half cities")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	_, err := simstudy.Run(cfg, a.stdout)
	if err != nil {
		return fmt.Errorf("simulation: %w", err)
	}
	return nil
}
