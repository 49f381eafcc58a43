// Package bench measures csat ingest end to end against its limits and its peer, on the real
// Kafka and ClickHouse of Config, in one run (issue 3's benchmark):
//
//   - load: N events of the realistic mix (~300 bytes, mostly hotline and store ratings) into
//     fresh topics of P partitions;
//   - (a) the limits: kafka-go reading every message with one reader per partition and
//     discarding it; clickhouse-go inserting the same events, already decoded, in batches of
//     CSAT_BATCH_ROWS without Kafka;
//   - (b) ingest.Drain end to end (consume, decode, validate, deduplicate, insert, dead letters,
//     dirty marks, commit), plus the projector's refresh when Config.Projector is set;
//   - (c) ClickHouse's Kafka table engine (JSONEachRow) with a materialized view into a
//     MergeTree, consuming the same topics (it neither validates nor deduplicates).
//
// It prints events/s for each, the ratios (b)/min(a) and (b)/(c), and the peak RSS of (b). With
// Config.Rounds > 1 the phases run that many times in turn over the same loaded topics and the
// summary gives medians: on a shared machine one run can be 25 % off either way.
// Everything it creates (topics, consumer groups, databases csat_bench_*) is removed at the end
// unless Config.Keep.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/store"
)

// Config is what a benchmark run needs. cmd/csat maps its flags onto it.
type Config struct {
	// Events is the number of events to load (default 1,000,000).
	Events int
	// Partitions is the number of partitions of each topic (default 12).
	Partitions int
	// Ingest is ingest's configuration; Brokers, the TLS/SASL settings and the batch limits are
	// used, Group is replaced by a fresh one.
	Ingest ingest.Config
	// ClickHouse is the connection; Database is ignored (each phase uses its own throwaway one).
	ClickHouse chdb.Config
	// Projector, when set, builds the projector run at the end of (b) on (b)'s database.
	Projector func(conn driver.Conn) (ingest.Projector, error)
	// Rounds is how many times the phases run after the load (default 1); the summary gives
	// the median of each figure and of each round's ratios.
	Rounds int
	// SkipEngine skips (c).
	SkipEngine bool
	// Keep keeps the topics and databases.
	Keep bool
	// Logger receives ingest's logs (nil: none).
	Logger *slog.Logger
	// AroundIngest, when set, is called just before (b) and the function it returns just after
	// (for profiling).
	AroundIngest func() func()
}

// Result holds the figures of one round, or the medians of several (Measure).
type Result struct {
	Events    int
	LoadRate  float64 // events/s produced
	KafkaRead float64 // (a) events/s
	CHInsert  float64 // (a) events/s, the batches inserted back to back
	// CHInsertPerBatch is (a) timed per batch (a′): only the InsertRows calls, each batch
	// generated and decoded, untimed, right before its INSERT (the server merges meanwhile).
	CHInsertPerBatch float64
	Ingest           float64 // (b) events/s
	IngestSeconds    float64
	ProjectorSecs    float64
	Engine           float64 // (c) events/s, 0 when skipped
	PeakRSS          int64   // bytes, (b); the largest of the rounds
	// LimitRatio is (b)/min(a) and EngineRatio (b)/(c) (0 when (c) was skipped): for a single
	// round its own, for Measure the median over the rounds of each round's ratio — the phases
	// of one round run minutes apart at most, so a round's ratio is less exposed to the load of
	// a shared machine than a ratio of medians.
	LimitRatio, EngineRatio float64
	LimitRatioPerBatch      float64  // (b)/min(a) with CHInsertPerBatch
	Rounds                  []Result // Measure: every round
}

// Run performs the benchmark and prints its report to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	_, err := Measure(ctx, cfg, out)
	return err
}

// Measure is Run returning the figures: the events are loaded once, then the phases run
// Config.Rounds times in turn; the result holds the median of each figure.
func Measure(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	if cfg.Events <= 0 {
		cfg.Events = 1_000_000
	}
	if cfg.Partitions <= 0 {
		cfg.Partitions = 12
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 1
	}
	if err := cfg.Ingest.Validate(); err != nil {
		return Result{}, err
	}
	res := Result{Events: cfg.Events}
	p := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	brokers := cfg.Ingest.Brokers
	tp := traffic.UniqueTopics("csat-bench")
	all := append(tp.Inputs(), tp.DLQ)
	if err := traffic.Create(ctx, brokers, cfg.Partitions, all...); err != nil {
		return res, err
	}
	if !cfg.Keep {
		defer func() { _ = traffic.Delete(context.Background(), brokers, all...) }()
	}
	p("csat ingest benchmark: %d events, %d partitions per topic, topics %s.*, %d CPUs, %d round(s)",
		cfg.Events, cfg.Partitions, strings.TrimSuffix(tp.Survey, ".survey"), runtime.NumCPU(), cfg.Rounds)

	// Load.
	t0 := time.Now()
	if err := load(ctx, brokers, tp, cfg.Events); err != nil {
		return res, err
	}
	res.LoadRate = rate(cfg.Events, time.Since(t0))
	p("load:                     %10.0f events/s (%s)", res.LoadRate, time.Since(t0).Round(time.Millisecond))
	// The broker has just written the events: on a local broker the kernel writes those pages
	// back over the next half minute, which slowed the first round's (b) by a fifth. Flush them
	// now, untimed.
	t0 = time.Now()
	syncDisks()
	p("sync:                     %s", time.Since(t0).Round(time.Millisecond))

	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return res, err
	}
	dec := schema.NewDecoder(schema.DefaultCatalog(), tp, loc)
	// The sustained insert limit ran 10–30 % slower the first time in a process than in later
	// rounds (the process's heap grows to hold the decoded events for the first time; ~555k
	// then ~610k events/s in two runs back to back in round 1, ~670k in round 2): a first
	// round's ratio was flattered by it. It is run once, untimed, before the rounds.
	w, err := warmUp(ctx, cfg, tp, dec)
	if err != nil {
		return res, err
	}
	p("warm-up (not counted):    %10.0f events/s (the insert limit, once)", w)
	for i := range cfg.Rounds {
		if cfg.Rounds > 1 {
			p("round %d of %d", i+1, cfg.Rounds)
		}
		r, err := round(ctx, cfg, tp, dec, p)
		if err != nil {
			return res, err
		}
		res.Rounds = append(res.Rounds, r)
	}
	med := func(f func(Result) float64) float64 {
		v := make([]float64, len(res.Rounds))
		for i, r := range res.Rounds {
			v[i] = f(r)
		}
		sort.Float64s(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	res.KafkaRead = med(func(r Result) float64 { return r.KafkaRead })
	res.CHInsert = med(func(r Result) float64 { return r.CHInsert })
	res.Ingest = med(func(r Result) float64 { return r.Ingest })
	res.IngestSeconds = med(func(r Result) float64 { return r.IngestSeconds })
	res.ProjectorSecs = med(func(r Result) float64 { return r.ProjectorSecs })
	res.Engine = med(func(r Result) float64 { return r.Engine })
	res.LimitRatio = med(func(r Result) float64 { return r.LimitRatio })
	res.CHInsertPerBatch = med(func(r Result) float64 { return r.CHInsertPerBatch })
	res.LimitRatioPerBatch = med(func(r Result) float64 { return r.LimitRatioPerBatch })
	res.EngineRatio = med(func(r Result) float64 { return r.EngineRatio })
	for _, r := range res.Rounds {
		res.PeakRSS = max(res.PeakRSS, r.PeakRSS)
	}
	what := "median of %d rounds"
	if cfg.Rounds == 1 {
		what = "%d round"
	}
	p("summary (%s):", fmt.Sprintf(what, cfg.Rounds))
	p("  (a) kafka-go read %.0f, clickhouse-go insert %.0f, (b) csat ingest --drain %.0f (projector refresh %.2fs), (c) Kafka engine %.0f events/s",
		res.KafkaRead, res.CHInsert, res.Ingest, res.ProjectorSecs, res.Engine)
	p("ratio (b)/min(a) = %.2f  (target ≥ 0.60)%s", res.LimitRatio, spread(res.Rounds, func(r Result) float64 { return r.LimitRatio }))
	p("  against (a') (clickhouse-go insert %.0f, only the INSERT calls timed) = %.2f%s", res.CHInsertPerBatch, res.LimitRatioPerBatch,
		spread(res.Rounds, func(r Result) float64 { return r.LimitRatioPerBatch }))
	if !cfg.SkipEngine {
		p("ratio (b)/(c)    = %.2f  (target ≥ 1.00)%s", res.EngineRatio, spread(res.Rounds, func(r Result) float64 { return r.EngineRatio }))
	}
	p("end to end (b)   = %.0f events/s (target ≥ 150000)%s; peak RSS %d MiB (target ≤ 300)", res.Ingest,
		spread(res.Rounds, func(r Result) float64 { return r.Ingest }), res.PeakRSS>>20)
	return res, nil
}

// spread lists the rounds' values of f (", rounds: a / b / c") when there are several.
func spread(rounds []Result, f func(Result) float64) string {
	if len(rounds) < 2 {
		return ""
	}
	v := make([]string, len(rounds))
	for i, r := range rounds {
		if x := f(r); x >= 100 {
			v[i] = fmt.Sprintf("%.0f", x)
		} else {
			v[i] = fmt.Sprintf("%.2f", x)
		}
	}
	return ", rounds: " + strings.Join(v, " / ")
}

// warmUp runs the sustained insert limit once into a throwaway database.
func warmUp(ctx context.Context, cfg Config, tp schema.Topics, dec *schema.Decoder) (float64, error) {
	c, _, drop, err := database(ctx, cfg.ClickHouse, "warmup", true)
	if err != nil {
		return 0, err
	}
	defer func() {
		quiesce(ctx, c)
		_ = c.Close()
		if !cfg.Keep {
			drop()
		}
	}()
	return insertLimit(ctx, c, dec, tp, cfg.Events, cfg.Ingest.BatchRows, cfg.Partitions, false)
}

// round runs the phases (a), (b), (a) and (c) once over the loaded topics, each on fresh
// databases and consumer groups.
func round(ctx context.Context, cfg Config, tp schema.Topics, dec *schema.Decoder, p func(string, ...any)) (Result, error) {
	res := Result{Events: cfg.Events}
	brokers := cfg.Ingest.Brokers

	// (a) Kafka read limit.
	t0 := time.Now()
	n, err := readAll(ctx, brokers, tp.Inputs())
	if err != nil {
		return res, err
	}
	res.KafkaRead = rate(n, time.Since(t0))
	p("(a) kafka-go read+discard: %10.0f events/s (%d messages, %s)", res.KafkaRead, n, time.Since(t0).Round(time.Millisecond))

	// scratch opens a fresh database for one phase; it is closed, and dropped unless cfg.Keep,
	// when the round returns.
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	scratch := func(kind string, migrate bool) (driver.Conn, string, error) {
		c, name, drop, err := database(ctx, cfg.ClickHouse, kind, migrate)
		if err != nil {
			return nil, "", err
		}
		cleanups = append(cleanups, func() { _ = c.Close() })
		if !cfg.Keep {
			cleanups = append(cleanups, drop)
		}
		return c, name, nil
	}

	// (b) ingest --drain end to end.
	conn, db, err := scratch("ingest", true)
	if err != nil {
		return res, err
	}
	icfg := cfg.Ingest
	icfg.Group = traffic.Unique("csat-bench-ingest")
	var opts []ingest.Option
	if cfg.Projector != nil {
		proj, err := cfg.Projector(conn)
		if err != nil {
			return res, fmt.Errorf("projector: %w", err)
		}
		opts = append(opts, ingest.WithProjector(timedProjector{proj, &res.ProjectorSecs}))
	}
	in, err := ingest.New(icfg, dec, tp, conn, cfg.Logger, nil, opts...)
	if err != nil {
		return res, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	stopHeap := sampleHeap()
	after := func() {}
	if cfg.AroundIngest != nil {
		after = cfg.AroundIngest()
	}
	t0 = time.Now()
	if err := in.Drain(ctx); err != nil {
		return res, fmt.Errorf("ingest drain: %w", err)
	}
	el := time.Since(t0)
	after()
	heapPeak := stopHeap()
	res.PeakRSS = peakRSS()
	res.IngestSeconds = el.Seconds()
	res.Ingest = rate(cfg.Events, el)
	got, err := countRows(ctx, conn)
	if err != nil {
		return res, err
	}
	if got != uint64(cfg.Events) {
		return res, fmt.Errorf("ingest wrote %d rows, want %d", got, cfg.Events)
	}
	proj := ""
	if cfg.Projector != nil {
		proj = fmt.Sprintf(", projector refresh %.2fs included", res.ProjectorSecs)
	}
	p("(b) csat ingest --drain:  %10.0f events/s (%s%s; database %s; peak RSS %d MiB, peak Go heap %d MiB)",
		res.Ingest, el.Round(time.Millisecond), proj, db, res.PeakRSS>>20, heapPeak>>20)

	// (a) ClickHouse insert limit, once the server has finished merging (b)'s parts: those
	// merges would otherwise slow the inserts and flatter the ratio.
	// It is the better of two runs, each into a fresh database once the server is idle again:
	// one run varied by up to a fifth (a run right after (b) was often the slower), and the
	// limit is what the server can sustain, not what it happened to.
	quiesce(ctx, conn)
	var runs [2]float64
	lconn := conn
	for i := range runs {
		quiesce(ctx, lconn)
		if lconn, _, err = scratch("limit", true); err != nil {
			return res, err
		}
		if runs[i], err = insertLimit(ctx, lconn, dec, tp, cfg.Events, cfg.Ingest.BatchRows, cfg.Partitions, false); err != nil {
			return res, err
		}
	}
	res.CHInsert = max(runs[0], runs[1])
	p("(a) clickhouse-go insert:  %10.0f events/s (decoded rows, batches of %d back to back; the better of %.0f and %.0f)",
		res.CHInsert, cfg.Ingest.BatchRows, runs[0], runs[1])
	res.LimitRatio = res.Ingest / min(res.KafkaRead, res.CHInsert)

	// The same limit timed per batch (a′: only the INSERT calls, each batch decoded right
	// before it), into a fresh database: reported beside the sustained one.
	quiesce(ctx, lconn)
	pconn, _, err := scratch("limitpb", true)
	if err != nil {
		return res, err
	}
	if res.CHInsertPerBatch, err = insertLimit(ctx, pconn, dec, tp, cfg.Events, cfg.Ingest.BatchRows, cfg.Partitions, true); err != nil {
		return res, err
	}
	res.LimitRatioPerBatch = res.Ingest / min(res.KafkaRead, res.CHInsertPerBatch)
	p("(a') the same, only the INSERT calls timed: %10.0f events/s ((b)/min(a) against it: %.2f)", res.CHInsertPerBatch, res.LimitRatioPerBatch)

	// (c) ClickHouse Kafka engine.
	if !cfg.SkipEngine {
		quiesce(ctx, conn)
		econn, edb, err := scratch("engine", false)
		if err != nil {
			return res, err
		}
		eng, el, err := kafkaEngine(ctx, econn, edb, brokers, tp, cfg.Partitions, cfg.Events)
		if err != nil {
			return res, fmt.Errorf("kafka engine: %w", err)
		}
		res.Engine = eng
		res.EngineRatio = res.Ingest / res.Engine
		p("(c) ClickHouse Kafka engine + MV: %10.0f events/s (%s)", res.Engine, el.Round(time.Millisecond))
	}
	if cfg.Rounds > 1 {
		p("    this round: (b)/min(a) %.2f, (b)/(c) %.2f", res.LimitRatio, res.EngineRatio)
	}
	quiesce(ctx, conn) // the next round starts on an idle server
	return res, nil
}

type timedProjector struct {
	p    ingest.Projector
	secs *float64
}

func (t timedProjector) Refresh(ctx context.Context) error {
	t0 := time.Now()
	err := t.p.Refresh(ctx)
	*t.secs += time.Since(t0).Seconds()
	return err
}

// quiesce waits, at most a minute, until the server runs no merge.
func quiesce(ctx context.Context, conn driver.Conn) {
	for end := time.Now().Add(time.Minute); time.Now().Before(end); {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil || n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// load produces n events of the realistic mix, generated and written in slices so that memory
// stays small.
func load(ctx context.Context, brokers []string, tp schema.Topics, n int) error {
	w := traffic.NewWriter(brokers)
	w.BatchSize = 5000
	w.BatchBytes = 8 << 20
	w.Compression = 0
	defer w.Close()
	g := traffic.NewGen(42, tp)
	g.Prefix = "b"
	const step = 100000
	buf := make([]kafka.Message, 0, step)
	for done := 0; done < n; {
		buf = buf[:0]
		for i := 0; i < step && done+i < n; i++ {
			buf = append(buf, g.Next())
		}
		if err := w.WriteMessages(ctx, buf...); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		done += len(buf)
	}
	return nil
}

// readAll reads every partition of topics to its end and returns how many messages it read,
// discarding them: one goroutine per partition, each sending fetch requests on a kafka-go Conn
// to the leader and reading every message of each response (Batch.ReadMessage), the way ingest
// reads (ingest/partreader.go, through ingest.BufferedDial).
func readAll(ctx context.Context, brokers []string, topics []string) (int, error) {
	ends, err := traffic.EndOffsets(ctx, brokers, topics...)
	if err != nil {
		return 0, err
	}
	var total atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for topic, parts := range ends {
		for part, end := range parts {
			if end == 0 {
				continue
			}
			g.Go(func() error {
				n, err := readPartition(gctx, brokers[0], topic, part, end)
				total.Add(n)
				return err
			})
		}
	}
	err = g.Wait()
	return int(total.Load()), err
}

// readPartition reads topic/part from its first offset to end.
func readPartition(ctx context.Context, broker, topic string, part int, end int64) (int64, error) {
	d := &kafka.Dialer{Timeout: 10 * time.Second, DialFunc: ingest.BufferedDial((&net.Dialer{}).DialContext)}
	c, err := d.DialLeader(ctx, "tcp", broker, topic, part)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	off, err := c.Seek(0, kafka.SeekStart)
	if err != nil {
		return 0, err
	}
	var n int64
	for off < end {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		b := c.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond})
		for {
			m, err := b.ReadMessage()
			if err != nil {
				break
			}
			n++
			off = m.Offset + 1
		}
		if err := b.Close(); err != nil {
			return n, fmt.Errorf("read %s/%d at %d: %w", topic, part, off, err)
		}
	}
	return n, nil
}

// database creates a throwaway database csat_bench_<kind>_<hex> (migrated when migrate) and
// returns a connection to it and a function that drops it.
func database(ctx context.Context, cfg chdb.Config, kind string, migrate bool) (driver.Conn, string, func(), error) {
	cfg.Database = strings.ReplaceAll(traffic.Unique("csat_bench_"+kind), "-", "_")
	admin, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		return nil, "", nil, err
	}
	defer admin.Close()
	if migrate {
		if _, err := chdb.Migrate(ctx, admin, cfg, nil); err != nil {
			return nil, "", nil, err
		}
	} else if err := admin.Exec(ctx, "CREATE DATABASE "+cfg.Database); err != nil {
		return nil, "", nil, err
	}
	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		return nil, "", nil, err
	}
	drop := func() {
		c, err := chdb.Open(context.Background(), cfg, chdb.WithoutDatabase())
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+cfg.Database)
	}
	return conn, cfg.Database, drop, nil
}

// countRows counts the rows of every raw table and of the dead letters.
func countRows(ctx context.Context, conn driver.Conn) (uint64, error) {
	var total uint64
	tables := []string{store.RejectedTable}
	for _, id := range store.RawTables() {
		tables = append(tables, id.Name())
	}
	for _, t := range tables {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+t).Scan(&n); err != nil {
			return 0, fmt.Errorf("count %s: %w", t, err)
		}
		total += n
	}
	return total, nil
}

// insertLimit measures clickhouse-go inserting n events of the benchmark mix through ingest's
// own INSERT code (InsertRows: the rows ingest writes, with their topic, hash-balanced partition
// and offset), batchRows events per batch as ingest's batches hold. The events are generated and
// decoded first; the batches are then inserted back to back and timed as one: a sustained
// insert rate, with the merges the inserts cause competing as they do in (b). With perBatch
// (the method before 2026-11-27 06:24, docs/performance.md) each batch is decoded right before
// it is inserted and only the InsertRows calls are timed: the server then merges during the
// untimed decoding, so that rate is above what it sustains.
func insertLimit(ctx context.Context, conn driver.Conn, dec *schema.Decoder, tp schema.Topics, n, batchRows, partitions int, perBatch bool) (float64, error) {
	g := traffic.NewGen(42, tp)
	g.Prefix = "b"
	parts := make([]int, partitions)
	for i := range parts {
		parts[i] = i
	}
	var balancer kafka.Hash
	next := map[string][]int64{}
	gen := func(k int) ([]ingest.Row, error) {
		rows := make([]ingest.Row, 0, k)
		now := time.Now()
		for range k {
			m := g.Next()
			ev, err := dec.Decode(m.Topic, m.Value)
			if err != nil {
				return nil, fmt.Errorf("decode generated event: %w", err)
			}
			p := balancer.Balance(m, parts...)
			if next[m.Topic] == nil {
				next[m.Topic] = make([]int64, partitions)
			}
			rows = append(rows, ingest.Row{Event: ev, Topic: m.Topic, Partition: int32(p), Offset: next[m.Topic][p], Time: now})
			next[m.Topic][p]++
		}
		return rows, nil
	}
	if perBatch {
		var spent time.Duration
		for done := 0; done < n; {
			rows, err := gen(min(batchRows, n-done))
			if err != nil {
				return 0, err
			}
			t0 := time.Now()
			if err := ingest.InsertRows(ctx, conn, rows); err != nil {
				return 0, err
			}
			spent += time.Since(t0)
			done += len(rows)
		}
		return rate(n, spent), nil
	}
	var batches [][]ingest.Row
	for done := 0; done < n; {
		rows, err := gen(min(batchRows, n-done))
		if err != nil {
			return 0, err
		}
		batches = append(batches, rows)
		done += len(rows)
	}
	// The million decoded events are live heap of this process while the batches are timed:
	// a collection then would mark all of them. The timed run does without collections.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	t0 := time.Now()
	for _, rows := range batches {
		if err := ingest.InsertRows(ctx, conn, rows); err != nil {
			return 0, err
		}
	}
	return rate(n, time.Since(t0)), nil
}

// kafkaEngine measures ClickHouse's Kafka engine: one Kafka table per input topic (JSONEachRow,
// the fields the view keeps), one materialized view each into a MergeTree. A new consumer
// group starts at the end of a topic, so the group's offsets are committed at 0 first.
func kafkaEngine(ctx context.Context, conn driver.Conn, db string, brokers []string, tp schema.Topics, partitions, n int) (float64, time.Duration, error) {
	group := traffic.Unique("csat-bench-engine")
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	commit := map[string][]kafka.OffsetCommit{}
	for _, t := range tp.Inputs() {
		for p := range partitions {
			commit[t] = append(commit[t], kafka.OffsetCommit{Partition: p, Offset: 0})
		}
	}
	if _, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: commit}); err != nil {
		return 0, 0, fmt.Errorf("commit offset 0 for %s: %w", group, err)
	}
	if err := conn.Exec(ctx, `CREATE TABLE `+db+`.events (event_id String, type String, branch_id String,
		month UInt32, occurred DateTime, rating UInt8, wait_seconds UInt32, weight Float64, overall UInt8,
		carrier String, complaint_id String, customer_ref String, subscribers UInt64)
		ENGINE = MergeTree() PARTITION BY month ORDER BY (month, branch_id, event_id)`); err != nil {
		return 0, 0, err
	}
	for i, t := range tp.Inputs() {
		q := fmt.Sprintf(`CREATE TABLE %s.kq%d (event_id String, type String, occurred_at String, branch_id String,
			rating UInt8, wait_seconds UInt32, weight Float64, overall UInt8, carrier String, complaint_id String,
			customer_ref String, subscribers UInt64)
			ENGINE = Kafka('%s', '%s', '%s', 'JSONEachRow')`, db, i, strings.Join(brokers, ","), t, group)
		if err := conn.Exec(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	t0 := time.Now()
	for i := range tp.Inputs() {
		q := fmt.Sprintf(`CREATE MATERIALIZED VIEW %s.mv%d TO %s.events AS SELECT event_id, type, branch_id,
			toYYYYMM(parseDateTimeBestEffort(occurred_at), 'Asia/Shanghai') AS month,
			parseDateTimeBestEffort(occurred_at) AS occurred, rating, wait_seconds, weight, overall, carrier,
			complaint_id, customer_ref, subscribers FROM %s.kq%d`, db, i, db, db, i)
		if err := conn.Exec(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	defer func() {
		for i := range tp.Inputs() {
			_ = conn.Exec(context.Background(), fmt.Sprintf("DROP TABLE IF EXISTS %s.mv%d", db, i))
			_ = conn.Exec(context.Background(), fmt.Sprintf("DROP TABLE IF EXISTS %s.kq%d", db, i))
		}
	}()
	deadline := time.Now().Add(10 * time.Minute)
	var last uint64
	lastChange := time.Now()
	for {
		var c uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".events").Scan(&c); err != nil {
			return 0, 0, err
		}
		if c >= uint64(n) {
			el := time.Since(t0)
			return rate(n, el), el, nil
		}
		if c != last {
			last, lastChange = c, time.Now()
		}
		if time.Now().After(deadline) || time.Since(lastChange) > 90*time.Second {
			return 0, 0, fmt.Errorf("kafka engine stalled at %d of %d rows", c, n)
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sampleHeap samples the Go heap every 20ms until the returned function is called, which
// returns the peak HeapAlloc in bytes.
func sampleHeap() func() uint64 {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// resetPeakRSS resets the kernel's peak RSS of this process (VmHWM), so that peakRSS measures
// one phase. Linux only; elsewhere peakRSS is the process's lifetime peak.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS reads VmHWM from /proc/self/status, in bytes (0 when unavailable).
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
