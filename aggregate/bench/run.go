package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
)

// Targets of issue 4 on a 2-core machine.
const (
	targetCard    = 150 * time.Millisecond
	targetCompare = 300 * time.Millisecond
	targetAlerts  = 3 * time.Second
	targetRebuild = 60 * time.Second
	targetRSS     = 500 << 20
	// Issue 16's front-line targets.
	targetLeague   = 150 * time.Millisecond // the stores of a city
	targetStaff    = 100 * time.Millisecond // the staff of a store
	targetUnitCard = 100 * time.Millisecond
	// Issue 20's as-of targets: an as-of card within 2× of a current one (and targetCard),
	// company-wide alerts as of a moment within targetAlerts cold, a quarter's scorecards of the
	// 31 provinces as of a moment within a second, and 50 concurrent as-of clients leaving the
	// current card's p95 within 2× of its value without them.
	targetAsOfScorecard = time.Second
	asOfClients         = 50
	// asOfSlots is the API's default CSAT_API_ASOF_CONCURRENCY: the as-of reads of all callers
	// in flight at once, the others waiting for a slot (aggregate/api). The clients of
	// underAsOfLoad go through the same gate, as they would through csat serve.
	asOfSlots = 2
	// underLoadFor is the shortest time the current card is timed under the as-of clients.
	underLoadFor = 30 * time.Second
	targetRatio  = 2.0
)

// result is the timing of one benchmarked operation.
type result struct {
	Name     string
	Runs     int
	P50, P95 time.Duration
	Target   time.Duration // 0: none
}

// Run times the read operations of engine over the data set of cfg (loaded by Load with the same
// Config) and a one-month rebuild (when cfg.Projector is set), and prints p50/p95 of each
// against its target, then the process's resident memory. Every operation runs once untimed
// first. It returns an error when an operation fails, not when a target is missed.
func Run(ctx context.Context, engine *aggregate.Engine, cfg Config, out io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("bench config: %w", err)
	}
	h := newHierarchy(rand.New(rand.NewPCG(cfg.Seed, 0)))
	m := cfg.LastMonth
	county := h.counties[0]
	city := schema.Parent(county)
	province := schema.Parent(city)
	quarter := lastFullQuarter(m)
	// The front line's units of the first county (Load's names): its first store, that store's
	// first staff member, its first agent.
	storeID := "S" + county + "-00"
	staffID, agentID := storeID+"-E0", "A"+county+"-0"
	uncached := engine.Uncached()
	asOf := cfg.AsOfMoment()
	ops := []struct {
		name   string
		runs   int
		target time.Duration
		fn     func() error
	}{
		// Cards and comparisons uncached (as the first request for them after a recompute); the
		// engine's caches and warm sets would answer repeats in microseconds.
		{"card county " + county, cfg.Runs, targetCard, func() error { _, err := uncached.Card(ctx, county, m); return err }},
		{"card city " + city, cfg.Runs, targetCard, func() error { _, err := uncached.Card(ctx, city, m); return err }},
		{"card province " + province, cfg.Runs, targetCard, func() error { _, err := uncached.Card(ctx, province, m); return err }},
		{"card ALL", cfg.Runs, targetCard, func() error { _, err := uncached.Card(ctx, schema.Root, m); return err }},
		{"compare cities of " + province, cfg.Runs, targetCompare, func() error { _, err := uncached.Compare(ctx, province, m, "csi"); return err }},
		{"compare 31 provinces", cfg.Runs, targetCompare, func() error { _, err := uncached.Compare(ctx, schema.Root, m, "csi"); return err }},
		{"warm set: every card of " + m.String(), max(3, cfg.Runs/4), 0, func() error {
			_, err := aggregate.NewWarmer(engine.Cold(), aggregate.WarmConfig{}, nil).Warm(ctx, m)
			return err
		}},
		// Cold: every run on an engine with empty caches (a new process's first call); cached:
		// the same engine again, nothing recomputed since.
		{"alerts company-wide, cold", max(3, cfg.Runs/4), targetAlerts, func() error {
			_, err := engine.Cold().Alerts(ctx, schema.Root, m)
			return err
		}},
		{"alerts company-wide, cached", max(3, cfg.Runs/4), targetAlerts, func() error { _, err := engine.Alerts(ctx, schema.Root, m); return err }},
		{"scorecard " + quarter + " all provinces", max(3, cfg.Runs/4), 0, func() error {
			_, err := engine.ChildScorecards(ctx, schema.Root, quarter)
			return err
		}},
		// As of a moment inside the last month (Config.AsOfMoment, about half of it ingested):
		// "what did we report on the 15th". Fast: a kept base plus an exact correction; the
		// reference path it is checked against reads the raw rows; cached: the as-of cache (one
		// count of the rows ingested up to the moment). Alerts and scorecards on a cold engine.
		{"card county as of, fast", cfg.Runs, targetCard, func() error { _, err := uncached.AsOf(asOf).Card(ctx, county, m); return err }},
		{"card ALL as of, fast", cfg.Runs, targetCard, func() error { _, err := uncached.AsOf(asOf).Card(ctx, schema.Root, m); return err }},
		{"card county as of, reference", 3, 0, func() error { _, err := uncached.AsOfReference(asOf).Card(ctx, county, m); return err }},
		{"card county as of, cached", cfg.Runs, 0, func() error { _, err := engine.AsOf(asOf).Card(ctx, county, m); return err }},
		{"alerts company-wide as of, cold", max(3, cfg.Runs/4), targetAlerts, func() error {
			_, err := engine.Cold().AsOf(asOf).Alerts(ctx, schema.Root, m)
			return err
		}},
		{"scorecard " + quarter + " all provinces as of, cold", max(3, cfg.Runs/4), targetAsOfScorecard, func() error {
			_, err := engine.Cold().AsOf(asOf).ChildScorecards(ctx, schema.Root, quarter)
			return err
		}},
		// The front line (issue 16), read from kpi_frontline (nothing cached): league tables by
		// satisfaction (every store placed in the city with smoothed values, ranked; a store's
		// staff), the stores of the city by their scheme total (their scores beside), and unit
		// cards (the unit, then its peers for the smoothed values).
		{"league: stores of city " + city, cfg.Runs, targetLeague, func() error {
			_, err := engine.UnitLeague(ctx, "store", city, m.String(), "satisfaction")
			return err
		}},
		{"league: staff of store " + storeID, cfg.Runs, targetStaff, func() error {
			_, err := engine.UnitLeague(ctx, "staff", aggregate.StoreParent+storeID, m.String(), "satisfaction")
			return err
		}},
		{"league: stores of city " + city + " by total", cfg.Runs, targetLeague, func() error {
			_, err := engine.UnitLeague(ctx, "store", city, m.String(), "total")
			return err
		}},
		{"unit card store " + storeID, cfg.Runs, targetUnitCard, func() error {
			_, err := engine.UnitCard(ctx, "store", storeID, m.String())
			return err
		}},
		{"unit card staff " + staffID, cfg.Runs, targetUnitCard, func() error {
			_, err := engine.UnitCard(ctx, "staff", staffID, m.String())
			return err
		}},
		{"unit card agent " + agentID, cfg.Runs, targetUnitCard, func() error {
			_, err := engine.UnitCard(ctx, "agent", agentID, m.String())
			return err
		}},
	}
	if cfg.Projector != nil && cfg.RebuildRuns > 0 {
		ops = append(ops, struct {
			name   string
			runs   int
			target time.Duration
			fn     func() error
		}{"rebuild " + m.String(), cfg.RebuildRuns, targetRebuild, func() error { return cfg.Projector.Rebuild(ctx, m) }})
	}
	fmt.Fprintf(out, "%-40s %5s %10s %10s %8s\n", "operation", "runs", "p50", "p95", "target")
	results := map[string]result{}
	for _, op := range ops {
		if !cfg.selects(op.name) {
			continue
		}
		warm := op.runs
		if strings.HasPrefix(op.name, "rebuild") {
			warm = 0 // a rebuild is its own warm-up
		}
		if warm > 0 {
			if err := op.fn(); err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
		}
		ds := make([]time.Duration, 0, op.runs)
		for range op.runs {
			start := time.Now()
			if err := op.fn(); err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
			ds = append(ds, time.Since(start))
		}
		r := summarize(op.name, op.target, ds)
		results[op.name] = r
		fmt.Fprintln(out, r)
	}
	current, fast := results["card county "+county], results["card county as of, fast"]
	if current.Runs > 0 && fast.Runs > 0 {
		fmt.Fprintln(out, ratio("as-of card p95 / current card p95", fast.P95, current.P95))
	}
	if cfg.selects("under as-of clients") {
		if err := underAsOfLoad(ctx, engine, cfg, h, m, county, current, out); err != nil {
			return err
		}
	}
	rss, peak := memory()
	verdict := "ok"
	if peak > targetRSS {
		verdict = "MISSED"
	}
	fmt.Fprintf(out, "%-40s %5s %10s %10s %8s %s\n", "process RSS (now / peak)", "", mib(rss), mib(peak), "500MiB", verdict)
	return nil
}

// underAsOfLoad times the uncached current card of county while asOfClients clients loop as-of
// cards of random counties at random moments of month m (each a different base and
// correction), asOfSlots of them in flight at once as csat serve admits them, and prints its
// p95 against the card's without them (unloaded; measured here when Run did not) and the
// clients' own figures (their wait for a slot included).
func underAsOfLoad(ctx context.Context, engine *aggregate.Engine, cfg Config, h *hierarchy, m schema.Month, county string, unloaded result, out io.Writer) error {
	uncached := engine.Uncached()
	card := func() error { _, err := uncached.Card(ctx, county, m); return err }
	if unloaded.Runs == 0 {
		ds, err := timeRuns(cfg.Runs, card)
		if err != nil {
			return fmt.Errorf("card county %s: %w", county, err)
		}
		unloaded = summarize("card county "+county, targetCard, ds)
	}
	first := time.Date(m.Year(), time.Month(m.Mon()), 2, 0, 0, 0, 0, time.UTC)
	span := time.Date(m.Year(), time.Month(m.Mon()), 28, 0, 0, 0, 0, time.UTC).Sub(first)
	lctx, stop := context.WithCancel(ctx)
	slots := make(chan struct{}, asOfSlots)
	var (
		mu      sync.Mutex
		clients []time.Duration
		cerr    error
		wg      sync.WaitGroup
	)
	for c := range asOfClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(cfg.Seed, uint64(100+c)))
			for lctx.Err() == nil {
				at := first.Add(time.Duration(r.Int64N(int64(span))))
				start := time.Now()
				select {
				case slots <- struct{}{}:
				case <-lctx.Done():
					return
				}
				_, err := uncached.AsOf(at).Card(lctx, h.counties[r.IntN(len(h.counties))], m)
				<-slots
				d := time.Since(start)
				mu.Lock()
				if err != nil && lctx.Err() == nil && cerr == nil {
					cerr = err
				}
				if err == nil {
					clients = append(clients, d)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second) // let the clients fill the server
	// At least cfg.Runs cards, over at least underLoadFor: an as-of card takes seconds at the
	// national scale, and the clients' figures need some of them.
	var ds []time.Duration
	var err error
	for start := time.Now(); err == nil && (len(ds) < cfg.Runs || time.Since(start) < underLoadFor); {
		var d []time.Duration
		d, err = timeRuns(1, card)
		ds = append(ds, d...)
	}
	stop()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("card county %s under as-of clients: %w", county, err)
	}
	if cerr != nil {
		return fmt.Errorf("as-of clients: %w", cerr)
	}
	loaded := summarize(fmt.Sprintf("card county, under %d as-of clients", asOfClients), targetCard, ds)
	fmt.Fprintln(out, loaded)
	fmt.Fprintln(out, summarize(fmt.Sprintf("… the %d as-of clients' cards", asOfClients), 0, clients))
	fmt.Fprintln(out, ratio("current card p95 loaded / unloaded", loaded.P95, unloaded.P95))
	return nil
}

func timeRuns(n int, fn func() error) ([]time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(start))
	}
	return ds, nil
}

// ratio prints a/b against targetRatio.
func ratio(name string, a, b time.Duration) string {
	verdict := "ok"
	r := float64(a) / float64(max(b, 1))
	if r > targetRatio {
		verdict = "MISSED"
	}
	return fmt.Sprintf("%-40s %5s %10s %10.2f %8s %s", name, "", "", r, fmt.Sprintf("%g×", targetRatio), verdict)
}

// selects reports whether Run times the operation called name (Config.Only).
func (c Config) selects(name string) bool {
	if c.Only == "" {
		return true
	}
	for _, w := range strings.Split(c.Only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

func (r result) String() string {
	target, verdict := "-", ""
	if r.Target > 0 {
		target, verdict = r.Target.String(), "ok"
		if r.P95 > r.Target {
			verdict = "MISSED"
		}
	}
	return fmt.Sprintf("%-40s %5d %10s %10s %8s %s", r.Name, r.Runs, round(r.P50), round(r.P95), target, verdict)
}

func round(d time.Duration) string {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

func summarize(name string, target time.Duration, ds []time.Duration) result {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return result{Name: name, Runs: len(ds), P50: percentile(ds, 0.50), P95: percentile(ds, 0.95), Target: target}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// lastFullQuarter is the quarter of m when m ends it, else the quarter before.
func lastFullQuarter(m schema.Month) string {
	y, q := m.Year(), (m.Mon()-1)/3+1
	if m.Mon()%3 != 0 {
		q--
		if q == 0 {
			y, q = y-1, 4
		}
	}
	return fmt.Sprintf("%04d-Q%d", y, q)
}

// memory returns the resident set size and its peak (VmRSS, VmHWM) in bytes; 0 when unknown
// (not Linux).
func memory() (rss, peak uint64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak
}

func mib(b uint64) string { return fmt.Sprintf("%dMiB", b>>20) }
