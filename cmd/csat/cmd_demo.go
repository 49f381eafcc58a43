package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/cmd/csat/internal/embedded"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/publish"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "demo",
		args:    "[--months N] [--end-month YYYY-MM] [--scale X] [--seed S] [--state DIR] [--exit]",
		summary: "see it work: generate a realistic data set, ingest it, print a summary, serve the dashboard",
		details: `Without CSAT_KAFKA_BROKERS and CSAT_CLICKHOUSE_ADDR in the environment, the demo runs
on its embedded default: an in-process Kafka-protocol broker and a private ClickHouse server
started from the installed clickhouse-server binary in a state folder on free ports. With either
variable set, it uses that service instead.

It generates a deterministic data set (provinces, cities and counties with Chinese names, three
carriers, surveys, hotline and store ratings, complaints, churn, subscriber bases; the front line:
stores, staff, hotline agents and customer managers, store inspections, reported scores and
adjustments; and six planted stories), publishes it to Kafka, runs the real ingest path (csat
ingest --drain, with the front-line projection on unless CSAT_FRONTLINE is set), prints the
worst branches, the active alerts and the front line's extremes (the lowest store by city
inspection, the staff member with the most complaints, the agent with the longest hotline wait),
and serves the dashboard and API on CSAT_HTTP_ADDR until Ctrl-C.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			o := demoOptions{}
			fs.IntVar(&o.months, "months", 12, "months to generate, ending with --end-month")
			endMonthFlag(fs, &o.end)
			fs.Float64Var(&o.scale, "scale", 1, "size of the hierarchy (1 ≈ 3 provinces, 8 cities, 25 counties)")
			fs.Float64Var(&o.volume, "volume", 1, "multiplier of ratings, complaints and churn volumes")
			fs.Int64Var(&o.seed, "seed", 1, "random seed (same seed, same data)")
			fs.StringVar(&o.state, "state", "", "folder for the private ClickHouse server's data (default: a temporary folder, removed at exit)")
			fs.BoolVar(&o.exit, "exit", false, "exit after the summary instead of serving the dashboard")
			return func(ctx context.Context) error { return runDemo(ctx, a, o) }
		},
	})
}

type demoOptions struct {
	months        int
	end           schema.Month // zero: the last full month
	scale, volume float64
	seed          int64
	state         string
	exit          bool
}

func hasEnv(environ []string, key string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

func runDemo(ctx context.Context, a *app, o demoOptions) error {
	out := a.stdout
	start := time.Now()
	// Services: embedded unless configured. stateDir keeps the branch names file beside the
	// data (a temporary folder is removed at exit).
	stateDir, embeddedCH := o.state, false
	if !hasEnv(a.env, "CSAT_CLICKHOUSE_ADDR") {
		embeddedCH = true
		dir := o.state
		if dir == "" {
			tmp, err := os.MkdirTemp("", "csat-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir = tmp
			stateDir = tmp
		}
		fmt.Fprintf(out, "▸ starting a private ClickHouse server (data in %s)\n", filepath.Join(dir, "clickhouse"))
		ch, err := embedded.StartClickHouse(ctx, filepath.Join(dir, "clickhouse"))
		if err != nil {
			if errors.Is(err, embedded.ErrNoClickHouse) {
				return fmt.Errorf("%w; or set CSAT_CLICKHOUSE_ADDR to a running server", err)
			}
			return err
		}
		defer ch.Stop()
		a.cfg.ClickHouse.Addr = []string{ch.Addr}
		if !hasEnv(a.env, "CSAT_CLICKHOUSE_DATABASE") {
			a.cfg.ClickHouse.Database = "csat_demo"
		}
	} else {
		fmt.Fprintf(out, "▸ using ClickHouse at %s, database %s\n", strings.Join(a.cfg.ClickHouse.Addr, ","), a.cfg.ClickHouse.Database)
	}
	topics := a.cfg.Schema.Topics
	if !hasEnv(a.env, "CSAT_KAFKA_BROKERS") {
		fmt.Fprintln(out, "▸ starting an in-process Kafka broker")
		k, err := embedded.StartKafka(12, append(topics.Inputs(), topics.DLQ)...)
		if err != nil {
			return err
		}
		defer k.Stop()
		a.cfg.Ingest.Brokers = k.Brokers
	} else {
		fmt.Fprintf(out, "▸ using Kafka at %s\n", strings.Join(a.cfg.Ingest.Brokers, ","))
	}
	if !hasEnv(a.env, "CSAT_FRONTLINE") {
		// The demo shows the front line: its projection is computed unless asked not to.
		a.cfg.KPI.Frontline = true
	}
	if !hasEnv(a.env, "CSAT_KAFKA_GROUP") {
		// A group of its own per run, so a demo against shared Kafka reads what it published.
		a.cfg.Ingest.Group = fmt.Sprintf("csat-demo-%d", time.Now().UnixNano())
	}

	fmt.Fprintln(out, "▸ applying the ClickHouse schema")
	conn, err := openClickHouse(ctx, a)
	if err != nil {
		return err
	}
	defer conn.Close()

	gcfg := synth.Config{Seed: o.seed, Months: o.months, EndMonth: o.end, Scale: o.scale, Volume: o.volume, Topics: topics}
	if err := gcfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	// A counting pass first, so the progress bar knows its total.
	sum, err := synth.Generate(gcfg, func(string, []byte, []byte) error { return nil })
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "▸ generating %d events for %d branches, %s to %s (seed %d)\n", sum.Messages, sum.Branches, sum.First, sum.Last, o.seed)
	if err := publishGenerated(ctx, a, gcfg, sum.Messages); err != nil {
		return err
	}

	fmt.Fprintln(out, "▸ ingesting (csat ingest --drain: validate, insert, commit, project)")
	dec, cat, err := a.cfg.decoder()
	if err != nil {
		return err
	}
	reg := newRegistry()
	proj, err := newProjector(a, conn, reg)
	if err != nil {
		return err
	}
	quiet := a.log
	if !a.log.Enabled(ctx, -4) {
		quiet = newLogger(a.stderr, logConfig{Level: "warn", Format: a.cfg.Log.Format})
	}
	in, err := ingest.New(a.cfg.Ingest, dec, topics, conn, quiet, reg, ingest.WithProjector(proj))
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := in.Drain(ctx); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	fmt.Fprintf(out, "  ingested in %.1fs\n", time.Since(t0).Seconds())

	sc, err := a.cfg.scorecard(cat)
	if err != nil {
		return err
	}
	fs, roster, err := a.cfg.frontline(cat)
	if err != nil {
		return err
	}
	eng := aggregate.NewEngine(conn, a.cfg.KPI, cat, sc, a.log).WithFrontline(fs, roster)
	names := map[string]string{}
	for _, b := range synth.Hierarchy(gcfg) {
		names[b.ID] = b.Name
	}
	if err := printDemoSummary(ctx, a, eng, cat, sum.Last, names); err != nil {
		return err
	}
	namesFile := filepath.Join(os.TempDir(), "csat-"+a.cfg.ClickHouse.Database+"-branch-names.yaml")
	if stateDir != "" {
		namesFile = filepath.Join(stateDir, "branch-names.yaml")
	}
	if err := writeBranchNames(namesFile, names); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nready in %.0fs.\n", time.Since(start).Seconds())
	printDemoEnv(out, a, namesFile, sum.Last, embeddedCH)
	if o.exit {
		return nil
	}
	return serveAPI(ctx, a, conn, eng, cat, names, reg, func(ln net.Listener) {
		fmt.Fprintf(out, "\n▸ dashboard: http://%s/   API: http://%s/api/v1/   (Ctrl-C to stop)\n", ln.Addr(), ln.Addr())
	})
}

// publishGenerated publishes the generated stream to Kafka, showing progress.
func publishGenerated(ctx context.Context, a *app, gcfg synth.Config, total int) error {
	tr, err := a.cfg.Ingest.KafkaTransport()
	if err != nil {
		return err
	}
	p, err := publish.New(publish.Config{Brokers: a.cfg.Ingest.Brokers, Transport: tr, BatchSize: 5000,
		MaxMessageBytes: 4 << 20, AllowAutoTopicCreation: true}, a.log)
	if err != nil {
		return err
	}
	bar := newProgress(a.stdout, "  publishing", total)
	shown := 0
	progress := func() {
		if n := p.Sent(); n > shown {
			bar.Add(n - shown)
			shown = n
		}
	}
	_, err = synth.Generate(gcfg, func(topic string, key, value []byte) error {
		if err := p.Publish(ctx, topic, slices.Clone(key), slices.Clone(value)); err != nil {
			return err
		}
		progress()
		return nil
	})
	err = closePublisher(p, err)
	progress()
	bar.Done()
	return err
}

// printDemoSummary prints the weakest cities by CSI and the active alerts of the last month.
func printDemoSummary(ctx context.Context, a *app, eng *aggregate.Engine, cat schema.Catalog, month schema.Month, names map[string]string) error {
	out := a.stdout
	fmt.Fprintf(out, "\n%s — company-wide\n", month)
	card, err := eng.Card(ctx, schema.Root, month)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  CSI %s   lead %s   window satisfaction %s   complaints %s per 10k   churn %s%%\n",
		val(card.Survey.Own.CSI), leadText(card.Survey.Lead), num(card.Window.Satisfaction),
		num(card.Complaints.RatePer10k), num(card.Churn.Rate))

	// The reportable cities, best first: the weakest are at the end.
	ranking, err := eng.RankLevel(ctx, 2, month, "csi")
	if err != nil {
		return err
	}
	var cities []aggregate.Ranked
	for _, r := range ranking.Branches {
		if r.Reportable {
			cities = append(cities, r)
		}
	}
	slices.Reverse(cities)
	fmt.Fprintln(out, "\nweakest cities by CSI:")
	for _, c := range cities[:min(5, len(cities))] {
		fmt.Fprintf(out, "  %-10s %-8s %s %s n=%s\n", c.Branch, names[c.Branch], num(c.Value), pm(c.MOE95), count(c.N))
	}
	res, err := eng.Alerts(ctx, schema.Root, month)
	if err != nil {
		return err
	}
	// Falls and lost leads first, significant before watch, higher levels first; the below-base
	// alerts only as a count.
	var falls []kpi.Alert
	below := 0
	for _, al := range res.Alerts {
		if al.Rule == kpi.RuleBelowBase {
			below++
			continue
		}
		falls = append(falls, al)
	}
	slices.SortStableFunc(falls, func(x, y kpi.Alert) int {
		if x.Severity != y.Severity {
			if x.Severity == kpi.SeveritySignificant {
				return -1
			}
			return 1
		}
		if lx, ly := schema.Level(x.Branch), schema.Level(y.Branch); lx != ly {
			return lx - ly
		}
		return strings.Compare(x.Branch, y.Branch)
	})
	fmt.Fprintf(out, "\nalerts: %d falls and lost leads, %d below a base target (csat alerts --month %s lists all)\n",
		len(falls), below, month)
	printAlerts(out, falls, names, 15)
	if !a.cfg.KPI.Frontline {
		fmt.Fprintln(out, "\nfront line: not projected (CSAT_FRONTLINE is off)")
		return nil
	}
	return printDemoFrontline(ctx, out, eng, month, names)
}

// demoFrontlineTop is how many units each front-line list of the demo's summary shows.
const demoFrontlineTop = 3

// printDemoFrontline prints the front line of month (SPEC §5.2) company-wide: the stores with
// the lowest city inspection, the staff with the most complaints and the agents with the
// longest average hotline wait, each with its branch and its ratings; then the front-line unit
// alerts of the month.
func printDemoFrontline(ctx context.Context, out io.Writer, eng *aggregate.Engine, month schema.Month, names map[string]string) error {
	period := month.String()
	stores, err := eng.Units(ctx, kpi.UnitStore, schema.Root, period)
	if err != nil {
		return err
	}
	agents, err := eng.Units(ctx, kpi.UnitAgent, schema.Root, period)
	if err != nil {
		return err
	}
	// Staff are listed per store: those of the stores with complaints.
	var staff []kpi.UnitCard
	for _, st := range stores {
		if st.Complaints == 0 {
			continue
		}
		cards, err := eng.Units(ctx, kpi.UnitStaff, st.Unit, period)
		if err != nil {
			return err
		}
		for _, c := range cards {
			if c.Complaints > 0 {
				c.Branch = st.Branch
				staff = append(staff, c)
			}
		}
	}
	fmt.Fprintf(out, "\nfront line, %s (* fewer than the minimum sample of ratings):\n", month)
	// top sorts cards by key (nil last), best first when desc, ties by unit id, and keeps n.
	top := func(cards []kpi.UnitCard, key func(kpi.UnitCard) *float64, desc bool) []kpi.UnitCard {
		cards = slices.DeleteFunc(slices.Clone(cards), func(c kpi.UnitCard) bool { return key(c) == nil })
		slices.SortStableFunc(cards, func(a, b kpi.UnitCard) int {
			x, y := *key(a), *key(b)
			if desc {
				x, y = y, x
			}
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
			return strings.Compare(a.Unit, b.Unit)
		})
		return cards[:min(demoFrontlineTop, len(cards))]
	}
	cityInspection := func(c kpi.UnitCard) *float64 {
		if c.Inspection == nil {
			return nil
		}
		return c.Inspection.City
	}
	ratings := func(c kpi.UnitCard) string {
		s := fmt.Sprintf("satisfaction %s n=%d", num(c.Satisfaction.Value), c.Ratings)
		if !c.Satisfaction.Reportable {
			s += " *"
		}
		return s
	}
	inspected := slices.DeleteFunc(slices.Clone(stores), func(c kpi.UnitCard) bool { return cityInspection(c) == nil })
	fmt.Fprintf(out, "  stores, lowest city inspection (of %d inspected):\n", len(inspected))
	for _, c := range top(stores, cityInspection, false) {
		fmt.Fprintf(out, "    %-16s %-8s city %s  province %s   %s\n", c.Unit, names[c.Branch],
			num(c.Inspection.City), num(c.Inspection.Province), ratings(c))
	}
	fmt.Fprintf(out, "  staff, most complaints (%d named by a complaint):\n", len(staff))
	for _, c := range top(staff, func(c kpi.UnitCard) *float64 { v := float64(c.Complaints); return &v }, true) {
		noun := "complaints"
		if c.Complaints == 1 {
			noun = "complaint"
		}
		fmt.Fprintf(out, "    %-16s %-8s %d %s   %s\n", c.Unit, names[c.Branch], c.Complaints, noun, ratings(c))
	}
	fmt.Fprintf(out, "  hotline agents, longest average wait (of %d):\n", len(agents))
	for _, c := range top(agents, func(c kpi.UnitCard) *float64 { return c.AvgWait.Value }, true) {
		fmt.Fprintf(out, "    %-16s %-8s %s s   %s\n", c.Unit, names[c.Branch], num(c.AvgWait.Value), ratings(c))
	}
	ua, err := eng.UnitAlerts(ctx, schema.Root, month)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nfront-line alerts: %d (csat alerts --month %s --units lists all)\n", len(ua.Alerts), month)
	printUnitAlerts(out, ua.Alerts, names, 10)
	return nil
}
