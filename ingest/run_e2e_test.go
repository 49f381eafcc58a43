package ingest_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema/chdb"
)

type countingProjector struct{ n atomic.Int32 }

func (p *countingProjector) Refresh(context.Context) error {
	p.n.Add(1)
	return nil
}

// TestRunReadyShutdown: Run reports ready once in a generation, not ready while ClickHouse is
// unreachable and ready again after; it refreshes projections in the background; on
// cancellation it flushes, commits and returns within the grace period; Drain refreshes once
// at its end.
func TestRunReadyShutdown(t *testing.T) {
	e := newEnv(t, 3)
	px := newProxy(t, chdbConfig(t).Addr[0])
	chcfg := chdbConfig(t)
	chcfg.Database, chcfg.Addr = e.db, []string{px.addr()}
	conn, err := chdb.Open(context.Background(), chcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	cfg := e.config()
	cfg.ProjectInterval = 200 * time.Millisecond
	cfg.ShutdownGrace = 10 * time.Second
	cfg.InsertTimeout = 3 * time.Second
	proj := &countingProjector{}
	in, err := ingest.New(cfg, e.dec, e.topics, conn, testLogger(t), nil, ingest.WithProjector(proj))
	if err != nil {
		t.Fatal(err)
	}
	if in.Ready() == nil {
		t.Error("ready before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()

	g := traffic.NewGen(31, e.topics)
	var msgs []kafka.Message
	batch := func(n int) []kafka.Message {
		var b []kafka.Message
		for range n {
			b = append(b, g.Next())
		}
		msgs = append(msgs, b...)
		return b
	}
	e.produce(batch(2000))
	waitFor(t, "ready", func() bool { return in.Ready() == nil })
	waitFor(t, "first rows", func() bool { return e.total() >= 2000 })
	waitFor(t, "a background refresh", func() bool { return proj.n.Load() > 0 })

	px.cut()
	e.produce(batch(500))
	waitFor(t, "not ready while ClickHouse is cut off", func() bool { return in.Ready() != nil })
	t.Logf("during the outage: %v", in.Ready())
	px.restore()
	waitFor(t, "ready again", func() bool { return in.Ready() == nil && e.total() >= 2500 })

	e.produce(batch(1000))
	time.Sleep(50 * time.Millisecond) // some of it fetched, likely not all written
	t0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(cfg.ShutdownGrace + 5*time.Second):
		t.Fatal("Run did not return within the grace period")
	}
	t.Logf("shutdown took %s", time.Since(t0))

	// What Run committed is not read again; Drain completes the rest and refreshes once.
	before := proj.n.Load()
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	in2, err := ingest.New(cfg, e.dec, e.topics, e.conn, testLogger(t), nil, ingest.WithProjector(proj))
	if err != nil {
		t.Fatal(err)
	}
	if err := in2.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	if got := proj.n.Load() - before; got != 1 {
		t.Errorf("drain refreshed %d times, want once", got)
	}
	e.checkExact(e.expected(msgs))
}

// TestRunRefreshesAfterBatch: with CSAT_PROJECT_INTERVAL far away, Run refreshes the
// projections CSAT_PROJECT_DEBOUNCE after a batch is written, and each batch the refresh covers
// observes csat_ingest_projection_freshness_seconds; with CSAT_PROJECT_DEBOUNCE 0 only the
// interval refreshes.
func TestRunRefreshesAfterBatch(t *testing.T) {
	for _, debounce := range []time.Duration{100 * time.Millisecond, 0} {
		t.Run(debounce.String(), func(t *testing.T) {
			e := newEnv(t, 2)
			cfg := e.config()
			cfg.ProjectInterval = time.Hour
			cfg.ProjectDebounce = debounce
			proj := &countingProjector{}
			reg := prometheus.NewPedanticRegistry()
			in, err := ingest.New(cfg, e.dec, e.topics, e.conn, testLogger(t), reg, ingest.WithProjector(proj))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- in.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			g := traffic.NewGen(47, e.topics)
			var msgs []kafka.Message
			for range 300 {
				msgs = append(msgs, g.Next())
			}
			e.produce(msgs)
			waitFor(t, "the rows", func() bool { return e.total() >= uint64(len(msgs)) })
			freshness := func() uint64 {
				mfs, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				for _, mf := range mfs {
					if mf.GetName() == "csat_ingest_projection_freshness_seconds" {
						return mf.GetMetric()[0].GetHistogram().GetSampleCount()
					}
				}
				t.Fatal("no csat_ingest_projection_freshness_seconds")
				return 0
			}
			if debounce == 0 {
				time.Sleep(time.Second) // several debounces' worth: nothing may refresh
				if n := proj.n.Load(); n != 0 {
					t.Errorf("%d refreshes with CSAT_PROJECT_DEBOUNCE 0 and an hour's interval, want none", n)
				}
				if n := freshness(); n != 0 {
					t.Errorf("freshness observed %d times without a refresh", n)
				}
				return
			}
			waitFor(t, "a refresh after the batch", func() bool { return proj.n.Load() > 0 })
			waitFor(t, "a freshness observation", func() bool { return freshness() > 0 })
		})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
