package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/schema"
)

// Decoder turns a message value from a topic into a typed event, or a *schema.Rejection.
// *schema.Decoder implements it. value is only valid during the call: the event must not alias
// it (an event would keep the whole message alive, and callers may reuse the buffer).
type Decoder interface {
	Decode(topic string, value []byte) (schema.Event, error)
}

// arenaDecoder is a Decoder that can carve events from a schema.Arena (*schema.Decoder can):
// each fetcher decodes into an arena of its own, with the clock read once per fetch response.
type arenaDecoder interface {
	DecodeIn(a *schema.Arena, topic string, value []byte) (schema.Event, error)
}

// Projector recomputes the projections of the months that ingest marked dirty in kpi_dirty.
// The aggregate package implements it. Refresh must be safe to call repeatedly; ingest calls it
// from one goroutine at a time.
type Projector interface {
	Refresh(ctx context.Context) error
}

// Option configures an Ingester beyond its Config.
type Option func(*options)

type options struct {
	projector Projector
	// beforeSend, when set, runs before each INSERT into a raw table with the event ids of the
	// rows; an error it returns is treated as the server's answer. A test seam.
	beforeSend func(table string, eventIDs []string) error
	// kafkaDial, when set, opens every connection to Kafka (a test seam for broker outages).
	kafkaDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// WithProjector makes ingest refresh projections while Run runs: CSAT_PROJECT_DEBOUNCE after a
// batch's rows and dirty marks are written (the batches written meanwhile join that refresh),
// and every CSAT_PROJECT_INTERVAL when something was written since the last refresh (the
// fallback, and the only trigger with CSAT_PROJECT_DEBOUNCE 0); once at the end of Drain.
func WithProjector(p Projector) Option {
	return func(o *options) { o.projector = p }
}

// Ingester moves events from the input topics into ClickHouse's raw tables exactly once (see
// DESIGN.md). Build it with New; call Run or Drain once.
type Ingester struct {
	cfg    Config
	dec    Decoder
	decIn  arenaDecoder // dec, when it is one
	topics schema.Topics
	inputs []string
	conn   driver.Conn
	log    *slog.Logger
	m      *metrics
	opts   options

	dialer    *kafka.Dialer
	client    *kafka.Client
	dlq       *kafka.Writer
	closeOnce sync.Once

	state     sync.Mutex // guards the fields below
	started   bool
	stopped   bool
	inGen     bool
	kafkaErr  error
	writeErr  error
	wrote     atomic.Bool        // rows written since the last projector refresh
	kick      chan struct{}      // a batch was committed: refresh after ProjectDebounce (cap 1)
	pendMu    sync.Mutex         // guards pending
	pending   []time.Time        // oldest Kafka timestamp of each batch written since the last refresh
	drainEnd  map[tpKey]int64    // drain: end offset of each partition as first seen
	drainDone map[tpKey]bool     // drain: partitions caught up
	owned     map[tpKey]struct{} // partitions of the current generation (metric labels)
}

type tpKey struct {
	topic     string
	partition int
}

// New builds an Ingester. It validates cfg and connects nothing yet: Run and Drain join the
// group. conn must reach a database migrated with schema/migrations. A nil logger discards logs;
// a nil registerer registers no metrics.
func New(cfg Config, dec Decoder, topics schema.Topics, conn driver.Conn, logger *slog.Logger,
	reg prometheus.Registerer, opts ...Option) (*Ingester, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest config: %w", err)
	}
	if dec == nil {
		return nil, errors.New("ingest: nil decoder")
	}
	if conn == nil {
		return nil, errors.New("ingest: nil clickhouse connection")
	}
	inputs := topics.Inputs()
	for i, t := range inputs {
		if t == "" {
			return nil, fmt.Errorf("ingest: input topic %d is empty", i)
		}
	}
	if topics.DLQ == "" {
		return nil, errors.New("ingest: dead-letter topic is empty")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dialer, transport, err := cfg.kafkaClients()
	if err != nil {
		return nil, err
	}
	dial := o.kafkaDial
	if dial != nil {
		transport.Dial = dial
	} else { // kafka-go's own dial when a Dialer has no DialFunc
		dial = (&net.Dialer{LocalAddr: dialer.LocalAddr, FallbackDelay: dialer.FallbackDelay, KeepAlive: dialer.KeepAlive}).DialContext
	}
	dialer.DialFunc = BufferedDial(dial)
	in := &Ingester{
		cfg: cfg, dec: dec, topics: topics, inputs: inputs, conn: conn,
		log:    logger.With("component", "ingest"),
		m:      newMetrics(reg),
		dialer: dialer,
		client: &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: transport, Timeout: 10 * time.Second},
		dlq: &kafka.Writer{
			Addr:         kafka.TCP(cfg.Brokers...),
			Topic:        topics.DLQ,
			Balancer:     &kafka.Hash{},
			RequiredAcks: kafka.RequireAll,
			BatchSize:    1000,
			BatchBytes:   4 << 20,
			BatchTimeout: 2 * time.Millisecond,
			WriteTimeout: cfg.InsertTimeout,
			MaxAttempts:  1, // ingest retries itself, with its backoff and metrics
			Transport:    transport,
		},
		kick:      make(chan struct{}, 1),
		drainEnd:  map[tpKey]int64{},
		drainDone: map[tpKey]bool{},
		owned:     map[tpKey]struct{}{},
	}
	in.decIn, _ = dec.(arenaDecoder)
	in.opts = o
	in.m.ready.Set(0)
	return in, nil
}

// Ready reports whether ingest is healthy, for /readyz: nil while it holds a consumer group
// generation and its last ClickHouse and dead-letter writes succeeded; otherwise an error that
// says what it is waiting for. It never blocks.
func (in *Ingester) Ready() error {
	in.state.Lock()
	defer in.state.Unlock()
	switch {
	case in.stopped:
		return errors.New("ingest stopped")
	case !in.started:
		return errors.New("ingest not started")
	case in.writeErr != nil:
		return fmt.Errorf("writing to clickhouse or the dead-letter topic: %w", in.writeErr)
	case !in.inGen && in.kafkaErr != nil:
		return fmt.Errorf("joining kafka consumer group %s: %w", in.cfg.Group, in.kafkaErr)
	case !in.inGen:
		return fmt.Errorf("joining kafka consumer group %s", in.cfg.Group)
	}
	return nil
}

func (in *Ingester) setState(f func()) {
	in.state.Lock()
	f()
	ok := in.started && !in.stopped && in.inGen && in.writeErr == nil
	in.state.Unlock()
	if ok {
		in.m.ready.Set(1)
	} else {
		in.m.ready.Set(0)
	}
}

// Run consumes until ctx ends (SIGTERM), then flushes what it fetched, commits, leaves the group
// and returns nil, all within CSAT_SHUTDOWN_GRACE. It returns an error only when it cannot
// start (a second call) or on an unrecoverable fault; Kafka and ClickHouse outages are waited
// out.
func (in *Ingester) Run(ctx context.Context) error { return in.run(ctx, false) }

// Drain consumes until every partition assigned to this process has reached its end offset as
// of when it was first assigned, flushes, commits, leaves the group, refreshes the projections
// (when a projector is set) and returns. If ctx ends first it behaves like Run and returns
// ctx's error.
func (in *Ingester) Drain(ctx context.Context) error { return in.run(ctx, true) }

// ingestGCPercent is the GOGC of Run and Drain while CSAT_INGEST_MEMORY_LIMIT bounds the heap.
const ingestGCPercent = 400

func (in *Ingester) run(ctx context.Context, drain bool) error {
	in.state.Lock()
	if in.started {
		in.state.Unlock()
		return errors.New("ingest: Run or Drain called twice")
	}
	in.started = true
	in.state.Unlock()
	defer in.setState(func() { in.stopped = true })
	defer in.closeClients()
	if in.cfg.MemoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		prev := debug.SetMemoryLimit(in.cfg.MemoryLimit)
		defer debug.SetMemoryLimit(prev)
		// With the heap bounded by the limit, collect when the heap grows 4× past the live data
		// rather than 1×: a backlog's messages die young, and GC was a tenth of ingest's CPU.
		if os.Getenv("GOGC") == "" {
			prevGC := debug.SetGCPercent(ingestGCPercent)
			defer debug.SetGCPercent(prevGC)
		}
	}

	in.log.Info("ingest starting", "config", in.cfg, "drain", drain, "topics", in.inputs, "dlq", in.topics.DLQ)
	if err := in.checkTopics(ctx); err != nil {
		switch {
		case ctx.Err() == nil:
			return err
		case drain:
			return fmt.Errorf("drain interrupted: %w", context.Cause(ctx))
		}
		return nil
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                in.cfg.Group,
		Brokers:           in.cfg.Brokers,
		Dialer:            in.dialer,
		Topics:            in.inputs,
		GroupBalancers:    []kafka.GroupBalancer{kafka.RoundRobinGroupBalancer{}, kafka.RangeGroupBalancer{}},
		HeartbeatInterval: in.cfg.SessionTimeout / 4,
		SessionTimeout:    in.cfg.SessionTimeout,
		RebalanceTimeout:  in.cfg.RebalanceTimeout,
		JoinGroupBackoff:  time.Second,
		StartOffset:       kafka.FirstOffset,
		Timeout:           10 * time.Second,
		ErrorLogger:       kafka.LoggerFunc(func(f string, a ...any) { in.log.Debug("kafka group", "msg", fmt.Sprintf(f, a...)) }),
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", in.cfg.Group, err)
	}

	// The projector goroutine is owned by run: started here, stopped and awaited below.
	projCtx, stopProj := context.WithCancel(context.WithoutCancel(ctx))
	var projWG sync.WaitGroup
	if in.opts.projector != nil && !drain {
		projWG.Add(1)
		go func() {
			defer projWG.Done()
			in.projectLoop(projCtx)
		}()
	}

	drained, runErr := in.generations(ctx, cg, drain)
	// A completed drain has written and committed everything: its final refresh starts while
	// the group is left (leaving takes a round trip to the coordinator that the refresh does
	// not need to wait for).
	var refreshErr error
	refreshed := make(chan struct{})
	if drain && drained && runErr == nil && in.opts.projector != nil {
		go func() {
			defer close(refreshed)
			in.pendMu.Lock()
			pend := in.pending
			in.pending = nil
			in.pendMu.Unlock()
			if err := in.opts.projector.Refresh(context.WithoutCancel(ctx)); err != nil {
				in.m.projectErrors.Inc()
				refreshErr = fmt.Errorf("refresh projections after drain: %w", err)
				return
			}
			done := time.Now()
			for _, ts := range pend {
				in.m.freshness.Observe(done.Sub(ts).Seconds())
			}
		}()
	} else {
		close(refreshed)
	}
	closeErr := cg.Close() // leaves the group
	stopProj()
	projWG.Wait()
	<-refreshed
	if closeErr != nil {
		in.log.Warn("leave consumer group", "err", closeErr)
	}
	if runErr != nil {
		return runErr
	}
	if drain && !drained {
		return fmt.Errorf("drain interrupted: %w", context.Cause(ctx))
	}
	if refreshErr != nil {
		return refreshErr
	}
	in.log.Info("ingest stopped", "drain", drain)
	return nil
}

// generations takes part in consumer group generations until ctx ends or, when draining, every
// assigned partition is caught up.
func (in *Ingester) generations(ctx context.Context, cg *kafka.ConsumerGroup, drain bool) (bool, error) {
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			return false, nil
		}
		if err != nil {
			in.setState(func() { in.inGen, in.kafkaErr = false, err })
			in.m.retries.WithLabelValues("join", "none").Inc()
			in.log.Warn("join consumer group", "err", err)
			if !bo.wait(ctx) {
				return false, nil
			}
			continue
		}
		bo.reset()
		in.m.rebalances.Inc()
		in.setState(func() { in.inGen, in.kafkaErr = true, nil })
		type result struct {
			drained bool
			err     error
		}
		done := make(chan result, 1)
		// The generation's pipeline runs inside gen.Start, so kafka-go does not rejoin (and no
		// other member gets these partitions) before it has flushed and returned: see DESIGN.md.
		gen.Start(func(gctx context.Context) {
			d, err := in.generation(ctx, gctx, gen, drain)
			done <- result{d, err}
		})
		res := <-done
		in.setState(func() { in.inGen = false })
		if res.err != nil {
			return false, res.err
		}
		if res.drained || ctx.Err() != nil {
			return res.drained, nil
		}
	}
}

// maxPending bounds the batch timestamps kept for the freshness histogram between two refreshes
// (beyond it the newest are not observed).
const maxPending = 1 << 16

// projectAfter records that a batch whose oldest row has Kafka timestamp oldest was written and
// marked dirty, and asks projectLoop for a refresh.
func (in *Ingester) projectAfter(oldest time.Time) {
	if in.opts.projector == nil {
		return
	}
	in.pendMu.Lock()
	if !oldest.IsZero() && len(in.pending) < maxPending {
		in.pending = append(in.pending, oldest)
	}
	in.wrote.Store(true)
	in.pendMu.Unlock()
	if in.cfg.ProjectDebounce > 0 {
		select {
		case in.kick <- struct{}{}:
		default: // a refresh is already asked for
		}
	}
}

// projectLoop refreshes the projections ProjectDebounce after a batch was written (the batches
// written meanwhile, or during a refresh, join the next one) and every ProjectInterval, when
// rows were written since the last refresh. Each batch a refresh covers observes the
// projection freshness histogram at its end.
func (in *Ingester) projectLoop(ctx context.Context) {
	t := time.NewTicker(in.cfg.ProjectInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-in.kick:
			d := time.NewTimer(in.cfg.ProjectDebounce)
			select {
			case <-ctx.Done():
				d.Stop()
				return
			case <-d.C:
			}
		}
		// The batches taken here were marked dirty before Refresh starts: it covers them.
		in.pendMu.Lock()
		wrote := in.wrote.Swap(false)
		pend := in.pending
		in.pending = nil
		in.pendMu.Unlock()
		if !wrote {
			continue
		}
		if err := in.opts.projector.Refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			in.pendMu.Lock()
			in.wrote.Store(true) // try again next time
			if len(in.pending)+len(pend) <= maxPending {
				in.pending = append(pend, in.pending...)
			}
			in.pendMu.Unlock()
			in.m.projectErrors.Inc()
			in.log.Warn("refresh projections", "err", err)
			continue
		}
		done := time.Now()
		for _, ts := range pend {
			in.m.freshness.Observe(done.Sub(ts).Seconds())
		}
	}
}

func (in *Ingester) closeClients() {
	in.closeOnce.Do(func() {
		if err := in.dlq.Close(); err != nil {
			in.log.Warn("close dead-letter writer", "err", err)
		}
	})
}
