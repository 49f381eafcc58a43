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
	// Issue 16 (the front line, national scale).
	targetUnitLeague = 150 * time.Millisecond // a city's stores
	targetStaff      = 100 * time.Millisecond // a store's staff
	targetUnitCard   = 100 * time.Millisecond
	targetRSS        = 500 << 20
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
	store := "S" + county + "-00" // Load's store ids: S<county>-NN, staff <store>-E<n>
	uncached := engine.Uncached()
	asOf := time.Now()
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
		// As of a moment (after the load): computed from the raw rows, and again from the as-of
		// cache (one count of the rows ingested up to the moment).
		{"card county as of, computed", 3, 0, func() error { _, err := uncached.AsOf(asOf).Card(ctx, county, m); return err }},
		{"card county as of, cached", cfg.Runs, 0, func() error { _, err := engine.AsOf(asOf).Card(ctx, county, m); return err }},
		// The front line (read from kpi_frontline: empty unless loaded with CSAT_FRONTLINE=1).
		{"league stores of " + city, cfg.Runs, targetUnitLeague, func() error {
			_, err := engine.UnitLeague(ctx, "store", city, m.String(), "")
			return err
		}},
		{"league staff of " + store, cfg.Runs, targetStaff, func() error {
			_, err := engine.UnitLeague(ctx, "staff", aggregate.StoreParent+store, m.String(), "")
			return err
		}},
		{"unit card store " + store, cfg.Runs, targetUnitCard, func() error { _, err := engine.UnitCard(ctx, "store", store, m.String()); return err }},
		{"unit card staff " + store + "-E0", cfg.Runs, targetUnitCard, func() error { _, err := engine.UnitCard(ctx, "staff", store+"-E0", m.String()); return err }},
		{"scorecard " + quarter + " all provinces", max(3, cfg.Runs/4), 0, func() error {
			_, err := engine.ChildScorecards(ctx, schema.Root, quarter)
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
	for _, op := range ops {
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
		fmt.Fprintln(out, r)
	}
	rss, peak := memory()
	verdict := "ok"
	if peak > targetRSS {
		verdict = "MISSED"
	}
	fmt.Fprintf(out, "%-40s %5s %10s %10s %8s %s\n", "process RSS (now / peak)", "", mib(rss), mib(peak), "500MiB", verdict)
	return nil
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
