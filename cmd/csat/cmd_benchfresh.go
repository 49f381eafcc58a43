package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// freshBranch is the branch of the marker events: no load event has it, so its card's hotline
// count is the number of markers ingested and projected.
const freshBranch = "FR-MK"

// benchFreshness measures the time from producing an event to the first API response that
// includes it, under a sustained load: in this process, csat ingest (with its projector) over
// fresh topics and csat serve (with its Warmer) over one database, a producer of the realistic
// mix at --rate, --clients API clients reading cards, and a marker (a hotline rating of
// freshBranch) produced every --marker-every whose card is polled every --poll.
func benchFreshness(ctx context.Context, a *app, fs *flag.FlagSet, args []string) error {
	rate := fs.Int("rate", 20000, "events/s of the realistic mix produced during the run")
	clients := fs.Int("clients", 50, "concurrent API clients reading cards of random branches")
	dur := fs.Duration("duration", 60*time.Second, "how long markers are measured (after --warmup)")
	warmup := fs.Duration("warmup", 15*time.Second, "load before the first measured marker")
	every := fs.Duration("marker-every", 500*time.Millisecond, "interval between markers")
	poll := fs.Duration("poll", 25*time.Millisecond, "how often the marker's card is read")
	partitions := fs.Int("partitions", 6, "partitions per topic")
	db := fs.String("database", "", "an existing database to ingest into, e.g. csat_bench after csat bench kpi --load (the national data set; the run adds its events to it); empty: a throwaway one")
	month := fs.String("month", "", "the month the load and the markers occur in, YYYY-MM (default: now's month; with --database, its latest month)")
	keep := fs.Bool("keep", false, "keep the topics and the throwaway database")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured window (the whole process: load, ingest, serve, clients) to this file")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *rate < 0 || *clients < 0 || *dur <= 0 || *every <= 0 || *poll <= 0 || *partitions <= 0 {
		return usagef("--rate and --clients must be ≥ 0; --duration, --marker-every, --poll, --partitions > 0")
	}
	loc, err := a.cfg.Schema.Location()
	if err != nil {
		return err
	}
	cat, err := a.cfg.Schema.Catalog()
	if err != nil {
		return err
	}
	out := a.stdout
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	// The database: a throwaway migrated one, or --database.
	chcfg := a.cfg.ClickHouse
	if *db != "" {
		chcfg.Database = *db
	} else {
		chcfg.Database = strings.ReplaceAll(traffic.Unique("csat_bench_fresh"), "-", "_")
	}
	admin, err := chdb.Open(ctx, chcfg, chdb.WithoutDatabase())
	if err != nil {
		return err
	}
	_, err = chdb.Migrate(ctx, admin, chcfg, nil)
	admin.Close()
	if err != nil {
		return fmt.Errorf("migrate %s: %w", chcfg.Database, err)
	}
	if *db == "" && !*keep {
		defer func() {
			c, err := chdb.Open(context.WithoutCancel(ctx), chcfg, chdb.WithoutDatabase())
			if err == nil {
				_ = c.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+chcfg.Database)
				c.Close()
			}
		}()
	}
	// Two pools, as two processes would have: ingest's and serve's.
	iconn, err := chdb.Open(ctx, chcfg)
	if err != nil {
		return err
	}
	defer iconn.Close()
	sconn, err := chdb.Open(ctx, chcfg)
	if err != nil {
		return err
	}
	defer sconn.Close()

	// The month and the moment events occur around.
	at := time.Now()
	switch {
	case *month != "":
		m, err := schema.ParseMonth(*month)
		if err != nil {
			return usagef("--month: %v", err)
		}
		at = monthMoment(m, loc)
	case *db != "":
		var m uint32
		if err := sconn.QueryRow(ctx, "SELECT toUInt32(max(month)) FROM kpi_versions").Scan(&m); err != nil {
			return fmt.Errorf("latest month of %s: %w", chcfg.Database, err)
		}
		if m != 0 {
			at = monthMoment(schema.Month(m), loc)
		}
	}
	mon := schema.MonthOf(at, loc)

	// Topics.
	brokers := a.cfg.Ingest.Brokers
	tp := traffic.UniqueTopics("csat-bench-fresh")
	all := append(tp.Inputs(), tp.DLQ)
	if err := traffic.Create(ctx, brokers, *partitions, all...); err != nil {
		return err
	}
	if !*keep {
		defer func() { _ = traffic.Delete(context.WithoutCancel(ctx), brokers, all...) }()
	}

	// ingest and serve, in this process.
	sa := *a
	scfg := *a.cfg
	scfg.HTTPAddr = "127.0.0.1:0"
	sa.cfg = &scfg
	sa.log = slog.New(slog.DiscardHandler)
	var ilog *slog.Logger
	if a.log.Enabled(ctx, slog.LevelDebug) { // CSAT_LOG_LEVEL=debug: ingest's and serve's logs too
		sa.log, ilog = a.log, a.log
	}
	ireg := prometheus.NewRegistry()
	proj, err := newProjector(&sa, iconn, ireg)
	if err != nil {
		return err
	}
	icfg := a.cfg.Ingest
	icfg.Group = traffic.Unique("csat-bench-fresh")
	// Ingest's soft memory limit is its own process's; set in this one it would hold serve's
	// heap (the card loads of a national hierarchy) to ingest's budget too, and the garbage
	// collector would run without pause (measured: 6,000 events/s held against 14,000).
	// Deployed, ingest and serve are separate processes. The peak RSS is printed instead.
	icfg.MemoryLimit = 0
	in, err := ingest.New(icfg, schema.NewDecoder(cat, tp, loc), tp, iconn, ilog, ireg, ingest.WithProjector(proj))
	if err != nil {
		return err
	}
	eng, scat, names, err := newEngine(&sa, sconn)
	if err != nil {
		return err
	}
	listening := make(chan string, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error { return in.Run(gctx) })
	g.Go(func() error {
		return serveAPI(gctx, &sa, sconn, eng, scat, names, prometheus.NewRegistry(), func(ln net.Listener) { listening <- ln.Addr().String() })
	})
	var base string
	select {
	case addr := <-listening:
		base = "http://" + addr
	case <-gctx.Done():
		return g.Wait()
	}

	p("csat freshness benchmark: database %s, month %s, topics %s.*, %d partitions; load %d events/s, %d API clients, a marker every %s, polled every %s",
		chcfg.Database, mon, strings.TrimSuffix(tp.Survey, ".survey"), *partitions, *rate, *clients, *every, *poll)
	p("settings: CSAT_PROJECT_INTERVAL=%s CSAT_PROJECT_DEBOUNCE=%s CSAT_PROJECT_FULL_EVERY=%s CSAT_BATCH_ROWS=%d CSAT_BATCH_INTERVAL=%s CSAT_API_WARM_MONTHS=%d CSAT_API_WARM_INTERVAL=%s; ingest's memory limit off (one process for ingest and serve)",
		icfg.ProjectInterval, icfg.ProjectDebounce, icfg.ProjectFullEvery, icfg.BatchRows, icfg.BatchInterval, scfg.API.WarmMonths, scfg.API.WarmInterval)

	var res freshResult
	err = runFreshness(gctx, freshRun{
		brokers: brokers, tp: tp, at: at, mon: mon, base: base,
		rate: *rate, clients: *clients, dur: *dur, warmup: *warmup, every: *every, poll: *poll,
		consumed: func() float64 { return counterSum(ireg, "csat_ingest_messages_consumed_total") },
		log:      p, cpuProfile: *cpuProfile,
	}, &res)
	stop()
	if werr := g.Wait(); werr != nil && !errors.Is(werr, context.Canceled) && err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	res.print(out)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil && ru.Maxrss > 0 {
		p("peak RSS of the process (load, ingest, serve, clients): %d MiB", ru.Maxrss>>10)
	}
	if n, sum, ok := histogramCountSum(ireg, "csat_aggregate_recompute_duration_seconds"); ok {
		p("projector over the whole run: %d (family, month) recomputes, %.2f s each on average (a survey recompute includes its drivers one), %.0f of them folds; %.0f seen filters built",
			n, sum/float64(n), counterSum(ireg, "csat_aggregate_incremental_recomputes_total"), counterSum(ireg, "csat_aggregate_seen_filter_builds_total"))
	}
	if q, ok := histogramQuantiles(ireg, "csat_ingest_projection_freshness_seconds"); ok {
		p("ingest's csat_ingest_projection_freshness_seconds over the run (bucket upper bounds): %s", q)
	}
	return nil
}

// monthMoment is a moment late in month m (day 28, noon): the load's events fall in the 20 days
// before it, the markers at it.
func monthMoment(m schema.Month, loc *time.Location) time.Time {
	return time.Date(m.Year(), time.Month(m.Mon()), 28, 12, 0, 0, 0, loc)
}

type freshRun struct {
	brokers                  []string
	tp                       schema.Topics
	at                       time.Time
	mon                      schema.Month
	base                     string
	rate, clients            int
	dur, warmup, every, poll time.Duration
	consumed                 func() float64
	log                      func(string, ...any)
	cpuProfile               string
}

type freshResult struct {
	lat            []time.Duration // produce → first response with the marker
	lost           int             // markers not seen within the run (plus a grace period)
	produced       int             // load events produced during the measured window
	consumed       float64         // messages ingest consumed during the measured window
	window         time.Duration
	target         int
	clientLat      []time.Duration
	clientErrs     int
	pollLat        []time.Duration
	markerPollErrs int
	lastErr        error // the last error of a marker card read
}

func (r *freshResult) print(out io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	q := func(lat []time.Duration, f float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(f*float64(len(lat))))].Round(time.Millisecond)
	}
	slices.Sort(r.lat)
	slices.Sort(r.clientLat)
	slices.Sort(r.pollLat)
	secs := r.window.Seconds()
	p("load held over %s: produced %.0f events/s (target %d), ingest consumed %.0f messages/s",
		r.window.Round(time.Second), float64(r.produced)/secs, r.target, r.consumed/secs)
	p("API clients: %d card reads (%.0f/s), p50 %s, p95 %s, p99 %s, %d errors",
		len(r.clientLat), float64(len(r.clientLat))/secs, q(r.clientLat, .5), q(r.clientLat, .95), q(r.clientLat, .99), r.clientErrs)
	p("marker card reads: p50 %s, p95 %s (%d errors)", q(r.pollLat, .5), q(r.pollLat, .95), r.markerPollErrs)
	if r.lastErr != nil {
		p("last marker read error: %v", r.lastErr)
	}
	p("freshness (produce → first API response with the marker): %d markers, p50 %s, p95 %s, p99 %s, max %s; %d not seen",
		len(r.lat), q(r.lat, .5), q(r.lat, .95), q(r.lat, .99), q(r.lat, 1), r.lost)
}

// markerRE finds the branch of a generated event.
var markerRE = regexp.MustCompile(`"branch_id":"[^"]*"`)

// runFreshness produces the load, reads cards with the clients, and produces and watches the
// markers until the window ends and every marker was seen (or a grace period passed).
func runFreshness(ctx context.Context, r freshRun, res *freshResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gen := traffic.NewGen(uint64(time.Now().UnixNano()), r.tp)
	gen.Now, gen.Prefix = r.at, "fl"
	mgen := traffic.NewGen(7, r.tp)
	mgen.Prefix = "fm"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: r.clients + 4}, Timeout: time.Minute}

	// The load: every 100 ms, rate/10 events (fewer when the producer falls behind).
	var produced atomic.Int64
	var wg sync.WaitGroup
	loadErr := make(chan error, 1)
	if r.rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := traffic.NewWriter(r.brokers)
			w.Compression = 0
			defer w.Close()
			const tick = 100 * time.Millisecond
			per := max(1, r.rate/10)
			next := time.Now()
			buf := make([]kafka.Message, 0, per)
			for ctx.Err() == nil {
				buf = buf[:0]
				for range per {
					buf = append(buf, gen.Next())
				}
				if err := w.WriteMessages(ctx, buf...); err != nil {
					if ctx.Err() == nil {
						loadErr <- fmt.Errorf("load: %w", err)
						cancel()
					}
					return
				}
				produced.Add(int64(len(buf)))
				next = next.Add(tick)
				if d := time.Until(next); d > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(d):
					}
				} else {
					next = time.Now() // behind: produce as fast as we can, no catching up
				}
			}
		}()
	}

	// The marker writer: one key, so every marker goes to one partition and is ingested in order:
	// the card's hotline count n ≥ k says marker k is in.
	mw := traffic.NewWriter(r.brokers)
	mw.BatchTimeout = time.Millisecond
	defer mw.Close()
	cardURL := fmt.Sprintf("%s/api/v1/kpi?branch=%s&month=%s", r.base, freshBranch, r.mon)
	markers := 0
	produce := func() (time.Time, error) {
		msg := mgen.Event(schema.TypeHotlineFeedback, mgen.NextID(), r.at)
		msg.Value = markerRE.ReplaceAll(msg.Value, []byte(`"branch_id":"`+freshBranch+`"`))
		msg.Key = []byte("fresh-marker")
		t0 := time.Now()
		if err := mw.WriteMessages(ctx, msg); err != nil {
			return t0, fmt.Errorf("produce marker: %w", err)
		}
		markers++
		return t0, nil
	}
	seen := func() (uint64, time.Duration, error) {
		t0 := time.Now()
		var card struct {
			Window struct {
				Hotline struct {
					N uint64 `json:"n"`
				} `json:"hotline"`
			} `json:"window"`
		}
		err := getJSONWith(ctx, client, cardURL, &card)
		return card.Window.Hotline.N, time.Since(t0), err
	}

	// Warm-up: the first marker makes the branch known; wait for it while the load runs.
	r.log("warm-up: %s of load and a first marker", r.warmup)
	if _, err := produce(); err != nil {
		return err
	}
	warmEnd := time.Now().Add(r.warmup)
	for {
		n, _, err := seen()
		if err == nil && n >= 1 && time.Now().After(warmEnd) {
			break
		}
		if time.Since(warmEnd) > 3*time.Minute {
			return fmt.Errorf("the first marker did not show in the card of %s within the warm-up and 3 minutes (last error: %v)", freshBranch, err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), drainErr(loadErr))
		case <-time.After(r.poll):
		}
	}
	var branches struct {
		Branches []struct {
			ID string `json:"id"`
		} `json:"branches"`
	}
	if err := getJSONWith(ctx, client, r.base+"/api/v1/branches", &branches); err != nil {
		return err
	}
	var ids []string
	for _, b := range branches.Branches {
		ids = append(ids, b.ID)
	}
	r.log("measuring for %s (%d branches known)", r.dur, len(ids))
	if r.cpuProfile != "" {
		f, err := os.Create(r.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	// The clients.
	var mu sync.Mutex
	clientCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	var cwg sync.WaitGroup
	for i := range r.clients {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 2))
			for clientCtx.Err() == nil {
				u := fmt.Sprintf("%s/api/v1/kpi?branch=%s&month=%s", r.base, ids[rng.IntN(len(ids))], r.mon)
				t0 := time.Now()
				err := get(clientCtx, client, u, "")
				d := time.Since(t0)
				if clientCtx.Err() != nil {
					return
				}
				mu.Lock()
				if err != nil {
					res.clientErrs++
				} else {
					res.clientLat = append(res.clientLat, d)
				}
				mu.Unlock()
			}
		}()
	}

	// The markers: produced every r.every until the window ends, by their own goroutine. The
	// card is read every r.poll (at most maxPolls reads at once, so a slow server is not
	// flooded): marker k is seen at the first response whose count reached it.
	start := time.Now()
	prod0, cons0 := produced.Load(), r.consumed()
	base := markers // markers already in the card
	var (
		smu      sync.Mutex
		sent     []time.Time // produce time of each measured marker
		firstAt  []time.Time // first response that included it (zero: not yet)
		prodDone = make(chan error, 1)
	)
	go func() {
		t := time.NewTicker(r.every)
		defer t.Stop()
		for time.Since(start) < r.dur {
			t0, err := produce()
			if err != nil {
				prodDone <- err
				return
			}
			smu.Lock()
			sent = append(sent, t0)
			firstAt = append(firstAt, time.Time{})
			smu.Unlock()
			select {
			case <-ctx.Done():
				prodDone <- ctx.Err()
				return
			case <-t.C:
			}
		}
		prodDone <- nil
	}()
	const maxPolls = 4
	slots := make(chan struct{}, maxPolls)
	var pwg sync.WaitGroup
	defer pwg.Wait()
	pending := func() bool {
		smu.Lock()
		defer smu.Unlock()
		for _, f := range firstAt {
			if f.IsZero() {
				return true
			}
		}
		return false
	}
	deadline := start.Add(r.dur + 2*time.Minute)
	producing := true
	tick := time.NewTicker(r.poll)
	defer tick.Stop()
	for producing || (pending() && time.Now().Before(deadline)) {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), drainErr(loadErr))
		case err := <-prodDone:
			if err != nil {
				return err
			}
			producing = false
			res.produced = int(produced.Load() - prod0)
			res.consumed = r.consumed() - cons0
			res.window = time.Since(start)
			stopClients()
		case <-tick.C:
			select {
			case slots <- struct{}{}:
			default:
				continue // maxPolls reads already under way
			}
			pwg.Add(1)
			go func() {
				defer pwg.Done()
				defer func() { <-slots }()
				n, took, err := seen()
				at := time.Now()
				smu.Lock()
				defer smu.Unlock()
				if err != nil {
					if ctx.Err() == nil {
						res.markerPollErrs++
						res.lastErr = err
					}
					return
				}
				res.pollLat = append(res.pollLat, took)
				for k := range sent {
					if int(n) >= base+k+1 && (firstAt[k].IsZero() || at.Before(firstAt[k])) {
						firstAt[k] = at
					}
				}
			}()
		}
	}
	pwg.Wait()
	smu.Lock()
	for k, f := range firstAt {
		if !f.IsZero() {
			res.lat = append(res.lat, f.Sub(sent[k]))
		}
	}
	smu.Unlock()
	res.lost = len(sent) - len(res.lat)
	res.target = r.rate
	cancel()
	cwg.Wait()
	wg.Wait()
	return drainErr(loadErr)
}

func drainErr(ch chan error) error {
	select {
	case err := <-ch:
		return err
	default:
		return nil
	}
}

// getJSONWith GETs url with c and decodes a 200 response's JSON into v.
func getJSONWith(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// counterSum sums every series of the counter family name in reg.
func counterSum(reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var s float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			s += m.GetCounter().GetValue()
		}
	}
	return s
}

// histogramQuantiles estimates p50/p95/p99 of the histogram family name in reg as the upper
// bound of the bucket each falls in.
func histogramQuantiles(reg *prometheus.Registry, name string) (string, bool) {
	mfs, err := reg.Gather()
	if err != nil {
		return "", false
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() == 0 {
			return "", false
		}
		return fmt.Sprintf("%d observations, p50 ≤ %s, p95 ≤ %s, p99 ≤ %s", h.GetSampleCount(),
			bucketOf(h, 0.5), bucketOf(h, 0.95), bucketOf(h, 0.99)), true
	}
	return "", false
}

// histogramCountSum sums the observation counts and sums of every series of the histogram
// family name in reg.
func histogramCountSum(reg *prometheus.Registry, name string) (uint64, float64, bool) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, 0, false
	}
	var (
		n   uint64
		sum float64
	)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			n += m.GetHistogram().GetSampleCount()
			sum += m.GetHistogram().GetSampleSum()
		}
	}
	return n, sum, n > 0
}

func bucketOf(h *dto.Histogram, q float64) string {
	want := q * float64(h.GetSampleCount())
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= want {
			return fmt.Sprintf("%gs", b.GetUpperBound())
		}
	}
	return "+Inf"
}
