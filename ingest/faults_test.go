package ingest_test

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
)

// producer produces msgs in slices with a pause between them, in the background.
func (e *env) produceSlowly(msgs []kafka.Message, slice int, pause time.Duration) (wait func()) {
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for len(msgs) > 0 {
			n := min(slice, len(msgs))
			if err = traffic.Produce(context.Background(), e.w, msgs[:n]); err != nil {
				return
			}
			msgs = msgs[n:]
			time.Sleep(pause)
		}
	}()
	return func() {
		wg.Wait()
		if err != nil {
			e.t.Fatalf("produce: %v", err)
		}
	}
}

// total is the number of rows in every raw table and rejected_events.
func (e *env) total() uint64 {
	var n uint64
	for _, c := range e.counts() {
		n += c.rows
	}
	return n
}

// waitProgress waits until the tables hold more than from rows (or d passes).
func (e *env) waitProgress(from uint64, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if e.total() > from {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// checkEndOffsets checks that the brokers' end offsets add up to n messages on the inputs.
func (e *env) checkEndOffsets(n int) {
	e.t.Helper()
	ends, err := traffic.EndOffsets(context.Background(), kafkatest.Brokers(), e.topics.Inputs()...)
	if err != nil {
		e.t.Fatal(err)
	}
	sum := 0
	for _, ps := range ends {
		for _, end := range ps {
			sum += int(end)
		}
	}
	if sum != n {
		e.t.Fatalf("end offsets add up to %d, produced %d", sum, n)
	}
}

// TestKillNine kills the ingest process with SIGKILL at five random moments of a 200,000-event
// load, restarting it each time; afterwards every table holds each message exactly once.
func TestKillNine(t *testing.T) {
	e := newEnv(t, 6)
	cfg := e.config()
	cfg.BatchInterval = 100 * time.Millisecond
	cfg.BatchRows = 5000
	g := traffic.NewGen(11, e.topics)
	msgs := make([]kafka.Message, 200000)
	for i := range msgs {
		msgs[i] = g.Next()
	}
	var all uint64
	for _, n := range e.expected(msgs) {
		all += n
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	// ~30 s of load, so that the five kills (each after a restart and some progress) fall
	// within it even when ingest keeps up with the producer.
	wait := e.produceSlowly(msgs, 1000, 150*time.Millisecond)
	spec := e.spec(cfg, "")
	c := startChild(t, spec)
	for i := range 5 {
		// Each kill follows progress made by the restarted process (or, should it have caught
		// up with everything already, comes anyway: a kill when idle must lose nothing either).
		if before := e.total(); before < all && !e.waitProgress(before, 60*time.Second) {
			t.Fatalf("kill %d: no progress within 60s", i+1)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(1500 * time.Millisecond))))
		c.Kill()
		t.Logf("kill %d at %d rows", i+1, e.total())
		c = startChild(t, spec)
	}
	wait()
	if err := c.Term(30 * time.Second); err != nil {
		t.Logf("last child: %v", err)
	}
	e.checkEndOffsets(len(msgs))
	e.drain(cfg)
	e.checkExact(e.expected(msgs))
}

// TestTwoProcesses runs two ingest processes in one group and kills one mid-load: the other
// takes its partitions over and the result is exact.
func TestTwoProcesses(t *testing.T) {
	e := newEnv(t, 6)
	cfg := e.config()
	cfg.BatchInterval = 100 * time.Millisecond
	g := traffic.NewGen(12, e.topics)
	msgs := make([]kafka.Message, 100000)
	for i := range msgs {
		msgs[i] = g.Next()
	}
	spec := e.spec(cfg, "")
	a := startChild(t, spec)
	b := startChild(t, spec)
	wait := e.produceSlowly(msgs, 4000, 100*time.Millisecond)
	if !e.waitProgress(20000, 60*time.Second) {
		t.Fatal("no progress within 60s")
	}
	a.Kill()
	t.Logf("killed one process at %d rows", e.total())
	wait()
	want := e.expected(msgs)
	var sum uint64
	for _, n := range want {
		sum += n
	}
	deadline := time.Now().Add(90 * time.Second)
	for e.total() < sum && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if err := b.Term(30 * time.Second); err != nil {
		t.Errorf("survivor: %v", err)
	}
	e.checkExact(want)
}

// TestClickHouseOutage cuts ClickHouse off for 10 s in the middle of a load: ingest waits,
// recovers by itself, the result is exact, and its RSS stays bounded.
func TestClickHouseOutage(t *testing.T) {
	e := newEnv(t, 6)
	cfg := e.config()
	cfg.BatchInterval = 100 * time.Millisecond
	cfg.InsertTimeout = 5 * time.Second
	px := newProxy(t, chdbConfig(t).Addr[0])
	g := traffic.NewGen(13, e.topics)
	msgs := make([]kafka.Message, 150000)
	for i := range msgs {
		msgs[i] = g.Next()
	}
	c := startChild(t, e.spec(cfg, px.addr()))
	wait := e.produceSlowly(msgs, 5000, 100*time.Millisecond)
	if !e.waitProgress(10000, 60*time.Second) {
		t.Fatal("no progress within 60s")
	}
	px.cut()
	time.Sleep(2 * time.Second) // an INSERT whose data reached the server before the cut still lands
	cutAt := e.total()
	t.Logf("clickhouse cut at %d rows", cutAt)
	time.Sleep(8 * time.Second)
	if got := e.total(); got != cutAt {
		t.Errorf("rows grew from %d to %d while ClickHouse was unreachable", cutAt, got)
	}
	px.restore()
	wait()
	want := e.expected(msgs)
	var sum uint64
	for _, n := range want {
		sum += n
	}
	deadline := time.Now().Add(90 * time.Second)
	for e.total() < sum && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	rss := peakRSS(c)
	if err := c.Term(30 * time.Second); err != nil {
		t.Errorf("ingest after outage: %v", err)
	}
	e.checkExact(want)
	t.Logf("peak RSS %d MiB", rss>>20)
	if rss > 300<<20 {
		t.Errorf("peak RSS %d MiB, want ≤ 300 MiB", rss>>20)
	}
}

// TestRebalance: a second process joins mid-load (the first flushes, commits and gives up half
// its partitions), then the first stops gracefully (SIGTERM: flush, commit, leave) and the second
// takes everything over; the result is exact.
func TestRebalance(t *testing.T) {
	e := newEnv(t, 6)
	cfg := e.config()
	cfg.BatchInterval = 100 * time.Millisecond
	g := traffic.NewGen(14, e.topics)
	msgs := make([]kafka.Message, 120000)
	for i := range msgs {
		msgs[i] = g.Next()
	}
	spec := e.spec(cfg, "")
	a := startChild(t, spec)
	wait := e.produceSlowly(msgs, 4000, 100*time.Millisecond)
	if !e.waitProgress(15000, 60*time.Second) {
		t.Fatal("no progress within 60s")
	}
	b := startChild(t, spec)
	t.Logf("second process joined at %d rows", e.total())
	if !e.waitProgress(e.total()+20000, 60*time.Second) {
		t.Fatal("no progress after the join")
	}
	t0 := time.Now()
	if err := a.Term(30 * time.Second); err != nil {
		t.Errorf("first process on SIGTERM: %v", err)
	}
	t.Logf("first process left at %d rows after %s", e.total(), time.Since(t0))
	wait()
	want := e.expected(msgs)
	var sum uint64
	for _, n := range want {
		sum += n
	}
	deadline := time.Now().Add(90 * time.Second)
	for e.total() < sum && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if err := b.Term(30 * time.Second); err != nil {
		t.Errorf("second process on SIGTERM: %v", err)
	}
	e.checkExact(want)
}

// TestKafkaOutage cuts every connection between ingest and Kafka for 10 s in the middle of a
// load (what a broker restart looks like to a client): ingest reports not ready, rejoins by
// itself, and the result is exact.
func TestKafkaOutage(t *testing.T) {
	e := newEnv(t, 6)
	cfg := e.config()
	cfg.BatchInterval = 100 * time.Millisecond
	cfg.RetryMax = 500 * time.Millisecond
	px := newProxy(t, kafkatest.Brokers()[0])
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, px.addr()) // the only broker, whatever its advertised address
	}
	g := traffic.NewGen(15, e.topics)
	msgs := make([]kafka.Message, 100000)
	for i := range msgs {
		msgs[i] = g.Next()
	}
	in, err := ingest.New(cfg, e.dec, e.topics, e.conn, testLogger(t), nil, ingest.WithKafkaDial(dial))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	wait := e.produceSlowly(msgs, 4000, 100*time.Millisecond)
	if !e.waitProgress(15000, 60*time.Second) {
		t.Fatal("no progress within 60s")
	}
	px.cut()
	t.Logf("kafka cut at %d rows", e.total())
	notReady := false
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if in.Ready() != nil {
			notReady = true
		}
	}
	if !notReady {
		t.Error("ready all through a 10 s Kafka outage")
	}
	px.restore()
	t.Logf("kafka restored at %d rows", e.total())
	wait()
	want := e.expected(msgs)
	var sum uint64
	for _, n := range want {
		sum += n
	}
	deadline := time.Now().Add(120 * time.Second)
	for e.total() < sum && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	e.checkExact(want)
}
