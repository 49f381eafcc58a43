package aggregate

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"go.uber.org/goleak"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// TestEvictWarm: pinned months stay; of the others at most maxOnDemandMonths stay, the least
// recently used going first, never the month just added.
func TestEvictWarm(t *testing.T) {
	w := &Warmer{}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w.pinned = map[schema.Month]bool{202610: true, 202609: true}
	w.sets = map[schema.Month]*warmMonth{
		202610: {used: t0},                      // pinned, oldest use
		202609: {used: t0},                      // pinned
		202601: {used: t0.Add(3 * time.Second)}, // on demand
		202602: {used: t0.Add(1 * time.Second)}, // on demand, least recently used
		202603: {used: t0},                      // just added (kept whatever its use)
	}
	w.evict(202603)
	want := []schema.Month{202601, 202603, 202609, 202610}
	var got []schema.Month
	for _, w := range w.Months() {
		got = append(got, w.Month)
	}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
}

// TestWarmerRunReturns: Run returns nil when its context ends, with Months 0 (it only waits)
// and with months to keep (its two goroutines stop; here every query fails at once, on an
// address nothing listens on), and a second Run meanwhile is refused.
func TestWarmerRunReturns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Nothing listens on port 1: every query fails at once.
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{"127.0.0.1:1"}, DialTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, months := range []int{0, 2} {
		e := NewEngine(conn, kpi.DefaultConfig(), schema.DefaultCatalog(), nil, nil)
		w := NewWarmer(e, WarmConfig{Months: months, Interval: time.Hour}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		if months > 0 {
			for end := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				w.mu.Lock()
				running := w.running
				w.mu.Unlock()
				if running {
					break
				}
				if time.Now().After(end) {
					t.Fatal("Run did not start")
				}
			}
			if err := w.Run(ctx); err == nil {
				t.Error("a second Run while one runs: want an error")
			}
			w.request(202601) // queued for the worker, which the cancel stops
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("months %d: Run: %v", months, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("months %d: Run did not return after cancel", months)
		}
	}
}
