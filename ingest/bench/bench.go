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
// It prints events/s for each, the ratios (b)/min(a) and (b)/(c), and the peak RSS of (b).
// Everything it creates (topics, consumer groups, databases csat_bench_*) is removed at the end
// unless Config.Keep.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
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

// Result holds the figures of one run.
type Result struct {
	Events        int
	LoadRate      float64 // events/s produced
	KafkaRead     float64 // (a) events/s
	CHInsert      float64 // (a) events/s
	Ingest        float64 // (b) events/s
	IngestSeconds float64
	ProjectorSecs float64
	Engine        float64 // (c) events/s, 0 when skipped
	PeakRSS       int64   // bytes, (b)
}

// Run performs the benchmark and prints its report to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	_, err := Measure(ctx, cfg, out)
	return err
}

// Measure is Run returning the figures.
func Measure(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	if cfg.Events <= 0 {
		cfg.Events = 1_000_000
	}
	if cfg.Partitions <= 0 {
		cfg.Partitions = 12
	}
	if err := cfg.Ingest.Validate(); err != nil {
		return Result{}, err
	}
	res := Result{Events: cfg.Events}
	p := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	brokers := cfg.Ingest.Brokers
	tp := kafkatest.UniqueTopics("csat-bench")
	all := append(tp.Inputs(), tp.DLQ)
	if err := kafkatest.Create(ctx, brokers, cfg.Partitions, all...); err != nil {
		return res, err
	}
	if !cfg.Keep {
		defer func() { _ = kafkatest.Delete(context.Background(), brokers, all...) }()
	}
	p("csat ingest benchmark: %d events, %d partitions per topic, topics %s.*, %d CPUs",
		cfg.Events, cfg.Partitions, strings.TrimSuffix(tp.Survey, ".survey"), runtime.NumCPU())

	// Load.
	t0 := time.Now()
	if err := load(ctx, brokers, tp, cfg.Events); err != nil {
		return res, err
	}
	res.LoadRate = rate(cfg.Events, time.Since(t0))
	p("load:                     %10.0f events/s (%s)", res.LoadRate, time.Since(t0).Round(time.Millisecond))

	// (a) Kafka read limit.
	t0 = time.Now()
	n, err := readAll(ctx, brokers, tp.Inputs())
	if err != nil {
		return res, err
	}
	res.KafkaRead = rate(n, time.Since(t0))
	p("(a) kafka-go read+discard: %10.0f events/s (%d messages, %s)", res.KafkaRead, n, time.Since(t0).Round(time.Millisecond))

	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return res, err
	}
	dec := schema.NewDecoder(schema.DefaultCatalog(), tp, loc)

	// (b) ingest --drain end to end.
	conn, db, drop, err := database(ctx, cfg.ClickHouse, "ingest", true)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if !cfg.Keep {
		defer drop()
	}
	icfg := cfg.Ingest
	icfg.Group = kafkatest.Unique("csat-bench-ingest")
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
	quiesce(ctx, conn)
	lconn, _, ldrop, err := database(ctx, cfg.ClickHouse, "limit", true)
	if err != nil {
		return res, err
	}
	defer lconn.Close()
	if !cfg.Keep {
		defer ldrop()
	}
	ins, err := insertLimit(ctx, lconn, dec, tp, cfg.Events, cfg.Ingest.BatchRows)
	if err != nil {
		return res, err
	}
	res.CHInsert = ins
	p("(a) clickhouse-go insert:  %10.0f events/s (decoded rows, batches of %d)", res.CHInsert, cfg.Ingest.BatchRows)

	// (c) ClickHouse Kafka engine.
	if !cfg.SkipEngine {
		quiesce(ctx, conn)
		econn, edb, edrop, err := database(ctx, cfg.ClickHouse, "engine", false)
		if err != nil {
			return res, err
		}
		defer econn.Close()
		if !cfg.Keep {
			defer edrop()
		}
		eng, el, err := kafkaEngine(ctx, econn, edb, brokers, tp, cfg.Partitions, cfg.Events)
		if err != nil {
			return res, fmt.Errorf("kafka engine: %w", err)
		}
		res.Engine = eng
		p("(c) ClickHouse Kafka engine + MV: %10.0f events/s (%s)", res.Engine, el.Round(time.Millisecond))
	}

	limit := min(res.KafkaRead, res.CHInsert)
	p("ratio (b)/min(a) = %.2f  (target ≥ 0.60)", res.Ingest/limit)
	if res.Engine > 0 {
		p("ratio (b)/(c)    = %.2f  (target ≥ 1.00)", res.Ingest/res.Engine)
	}
	p("end to end (b)   = %.0f events/s (target ≥ 150000); peak RSS %d MiB (target ≤ 300)", res.Ingest, res.PeakRSS>>20)
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
	w := kafkatest.NewWriter(brokers)
	w.BatchSize = 5000
	w.BatchBytes = 8 << 20
	w.Compression = 0
	defer w.Close()
	g := kafkatest.NewGen(42, tp)
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

// readAll reads every partition of topics to its end with one kafka-go reader each, discarding
// the messages, and returns how many it read.
func readAll(ctx context.Context, brokers []string, topics []string) (int, error) {
	ends, err := kafkatest.EndOffsets(ctx, brokers, topics...)
	if err != nil {
		return 0, err
	}
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for topic, parts := range ends {
		for part, end := range parts {
			if end == 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: part,
					MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond, QueueCapacity: 512})
				defer r.Close()
				n := 0
				for {
					m, err := r.FetchMessage(ctx)
					if err != nil {
						select {
						case errs <- err:
						default:
						}
						return
					}
					n++
					if m.Offset+1 >= end {
						break
					}
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		return total, err
	default:
	}
	return total, nil
}

// database creates a throwaway database csat_bench_<kind>_<hex> (migrated when migrate) and
// returns a connection to it and a function that drops it.
func database(ctx context.Context, cfg chdb.Config, kind string, migrate bool) (driver.Conn, string, func(), error) {
	cfg.Database = strings.ReplaceAll(kafkatest.Unique("csat_bench_"+kind), "-", "_")
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

var rawTables = []string{"survey_responses", "survey_voids", "hotline_feedback", "store_feedback",
	"complaints_opened", "complaints_closed", "churn_events", "subscriber_bases", "rejected_events"}

func countRows(ctx context.Context, conn driver.Conn) (uint64, error) {
	var total uint64
	for _, t := range rawTables {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+t).Scan(&n); err != nil {
			return 0, fmt.Errorf("count %s: %w", t, err)
		}
		total += n
	}
	return total, nil
}

// insertLimit regenerates the same mix, decodes it (not timed) and times inserting it with
// ingest.InsertEvents in batches of batchRows events.
func insertLimit(ctx context.Context, conn driver.Conn, dec *schema.Decoder, tp schema.Topics, n, batchRows int) (float64, error) {
	g := kafkatest.NewGen(42, tp)
	g.Prefix = "b"
	var spent time.Duration
	evs := make([]schema.Event, 0, batchRows)
	for done := 0; done < n; {
		evs = evs[:0]
		for i := 0; i < batchRows && done+i < n; i++ {
			m := g.Next()
			ev, err := dec.Decode(m.Topic, m.Value)
			if err != nil {
				return 0, fmt.Errorf("decode generated event: %w", err)
			}
			evs = append(evs, ev)
		}
		t0 := time.Now()
		if err := ingest.InsertEvents(ctx, conn, evs); err != nil {
			return 0, err
		}
		spent += time.Since(t0)
		done += len(evs)
	}
	return rate(n, spent), nil
}

// kafkaEngine measures ClickHouse's Kafka engine: one Kafka table per input topic (JSONEachRow,
// the fields the view keeps), one materialized view each into a MergeTree. A new consumer
// group starts at the end of a topic, so the group's offsets are committed at 0 first.
func kafkaEngine(ctx context.Context, conn driver.Conn, db string, brokers []string, tp schema.Topics, partitions, n int) (float64, time.Duration, error) {
	group := kafkatest.Unique("csat-bench-engine")
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
