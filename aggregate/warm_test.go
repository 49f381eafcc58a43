package aggregate_test

import (
	"context"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestWarmCardsEqualCards: every card of a warm set is the card Card computes for that branch
// alone (the JSON and the metrics the JSON does not carry), over a small national data set
// (every level, small-area estimates, drivers) plus a county with window ratings only; Card
// serves the warm set while it is current and stops when a recompute commits.
func TestWarmCardsEqualCards(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	cfg := bench.DefaultConfig()
	cfg.Scale, cfg.Months = 0.002, 7
	if err := bench.Load(ctx, conn, cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := cfg.LastMonth
	// A county of a loaded city with hotline ratings only: its card has no survey statistics,
	// but its small-area estimates borrow from its siblings.
	county := "P01-C01-DW"
	insert(t, conn, "hotline_feedback", colsHot, hot("hw1", county, m, 5, 1, 10, 1), hot("hw2", county, m, 2, 0, 30, 2))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: m})
	p := aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cfg.Catalog, SLAHours: cfg.SLAHours}, nil, nil)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	kcfg := kpi.DefaultConfig()
	kcfg.MinSample = 5
	eng := aggregate.NewEngine(conn, kcfg, cfg.Catalog, nil, nil)
	wr := aggregate.NewWarmer(eng, aggregate.WarmConfig{}, nil)
	st, err := wr.Warm(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Changed || st.Cards < 400 {
		t.Fatalf("warm status %+v: want a new set of every branch", st)
	}
	if st2, err := wr.Warm(ctx, m); err != nil || st2.Changed {
		t.Fatalf("second warm-up with nothing recomputed: %+v, %v (want the same set)", st2, err)
	}
	branches, err := eng.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Card of a second engine, which has no warm set, for ALL, every province, every eighth city
	// and county and the window-only one (all ~3,400 would take minutes).
	plain := aggregate.NewEngine(conn, kcfg, cfg.Catalog, nil, nil)
	metrics := []kpi.Metric{{Kind: kpi.KindWindowSatisfaction}, {Kind: kpi.KindHotlineSatisfaction}, {Kind: kpi.KindStoreSatisfaction}}
	var smoothed, drivers, compared int
	for i, b := range branches {
		if b.Level > 1 && i%8 != 0 && b.ID != county {
			continue
		}
		warm, err := eng.Card(ctx, b.ID, m)
		if err != nil {
			t.Fatal(err)
		}
		cold, err := plain.Card(ctx, b.ID, m)
		if err != nil {
			t.Fatal(err)
		}
		if a, c := dump(warm), dump(cold); a != c {
			t.Fatalf("%s: warm card differs from Card:\nwarm %s\ncard %s", b.ID, a, c)
		}
		for _, mt := range metrics {
			if a, c := dump(warm.Metric(mt)), dump(cold.Metric(mt)); a != c {
				t.Fatalf("%s %v: warm %s, card %s", b.ID, mt, a, c)
			}
		}
		compared++
		if v := warm.Survey.Own.CSI.Smoothed; v != nil && v.Value != nil {
			smoothed++
		}
		if warm.Drivers != nil && warm.Drivers.R2 != nil {
			drivers++
		}
	}
	if compared < 400 || smoothed < 200 || drivers < 100 {
		t.Fatalf("compared %d cards, %d with small-area estimates, %d with driver importance: the fixture does not exercise the warm set", compared, smoothed, drivers)
	}
	wc, err := eng.Card(ctx, county, m)
	if err != nil || wc.Window.Hotline.N != 2 {
		t.Fatalf("window-only county: %v %+v", err, wc.Window)
	}

	// A recompute of m: Card must not serve the old set.
	before, err := eng.Card(ctx, county, m)
	if err != nil {
		t.Fatal(err)
	}
	insert(t, conn, "hotline_feedback", colsHot, hot("hw3", county, m, 1, 0, 40, 3))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: m})
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := eng.Card(ctx, county, m)
	if err != nil {
		t.Fatal(err)
	}
	if after.Window.Hotline.N != 3 || dump(after) == dump(before) {
		t.Fatalf("after a recompute the card still shows %d hotline ratings (want 3)", after.Window.Hotline.N)
	}
	if st3, err := wr.Warm(ctx, m); err != nil || !st3.Changed {
		t.Fatalf("warm-up after a recompute: %+v, %v (want a new set)", st3, err)
	}
	if c, err := eng.Card(ctx, county, m); err != nil || dump(c) != dump(after) {
		t.Fatalf("new warm set: %v\n%s\nwant %s", err, dump(c), dump(after))
	}
}

// TestWarmAsOf: an as-of view has no warm set.
func TestWarmAsOf(t *testing.T) {
	eng := aggregate.NewEngine(nil, kpi.DefaultConfig(), schema.DefaultCatalog(), nil, nil)
	if _, err := aggregate.NewWarmer(eng.AsOf(time.Now()), aggregate.WarmConfig{}, nil).Warm(context.Background(), oct); err == nil {
		t.Fatal("Warm on an as-of view: want an error")
	}
}

// TestWarmOnDemand: while a Warmer's Run runs (here for the latest month, October), a card of a month
// that is not warm (September) starts a background warm-up of it; cards of September are then
// equal to those computed per request.
func TestWarmOnDemand(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	phase2(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, conn)
	// Run owns every goroutine of the warm-ups, on demand ones included: none is left after it
	// returns (the deferred checks run last in, first out: after Run has returned).
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	wr := aggregate.NewWarmer(eng, aggregate.WarmConfig{Months: 1, Interval: time.Hour}, nil)
	kctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- wr.Run(kctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitWarm := func(m schema.Month) {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			for _, w := range wr.Months() {
				if w.Month == m {
					return
				}
			}
		}
		t.Fatalf("no warm set of %s after 20 s (have %+v)", m, wr.Months())
	}
	waitWarm(oct)
	first, err := eng.Card(ctx, "GD-GZ-TH", sep) // computed per request; starts September's warm-up
	if err != nil {
		t.Fatal(err)
	}
	waitWarm(sep)
	again, err := eng.Card(ctx, "GD-GZ-TH", sep)
	if err != nil {
		t.Fatal(err)
	}
	if dump(again) != dump(first) {
		t.Fatalf("warm card of September differs from the computed one:\n%s\n%s", dump(again), dump(first))
	}
	if len(wr.Months()) != 2 {
		t.Fatalf("warm months %+v: want October (kept) and September (on demand)", wr.Months())
	}
}

// TestWarmFollowsRecomputes: while Run keeps October warm (with an interval of an hour), a card
// of October asked after a recompute misses the warm set and makes Run warm October again at
// once; the new warm cards are those computed per request from the new projections.
func TestWarmFollowsRecomputes(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, conn)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	wr := aggregate.NewWarmer(eng, aggregate.WarmConfig{Months: 1, Interval: time.Hour}, nil)
	kctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- wr.Run(kctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	computed := func() time.Time {
		for _, w := range wr.Months() {
			if w.Month == oct {
				return w.Computed
			}
		}
		return time.Time{}
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("%s: not after 20 s (have %+v)", what, wr.Months())
	}
	waitUntil("October warm", func() bool { return !computed().IsZero() })
	first := computed()
	before, err := eng.Card(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	phase2(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	miss, err := eng.Card(ctx, "GD-GZ", oct) // computed per request; signals the keeper
	if err != nil {
		t.Fatal(err)
	}
	if dump(miss) == dump(before) {
		t.Fatal("phase 2 changed nothing on the card: the test would not see a stale warm set")
	}
	waitUntil("October warmed again after the recompute", func() bool { return computed().After(first) })
	for _, b := range []string{"GD-GZ", "GD-GZ-TH", "GD"} {
		warm, err := eng.Card(ctx, b, oct)
		if err != nil {
			t.Fatal(err)
		}
		want, err := eng.Uncached().Card(ctx, b, oct)
		if err != nil {
			t.Fatal(err)
		}
		if dump(warm) != dump(want) {
			t.Fatalf("warm card of %s after the recompute differs from the computed one:\n%s\n%s", b, dump(warm), dump(want))
		}
	}
}

// TestWarmAwaitedAfterRecompute: a card of a kept month that misses its warm set after a
// recompute waits for one warm-up of the month (the month warms fast enough: awaitWarmMax) and
// is served from it: when Card returns, the month's set is already the new one, and its cards
// equal those computed per request.
func TestWarmAwaitedAfterRecompute(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	defer aggregate.SetAwaitWarmMax(time.Hour)() // however slow this machine is
	eng := newEngine(t, conn)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	wr := aggregate.NewWarmer(eng, aggregate.WarmConfig{Months: 1, Interval: time.Hour}, nil)
	kctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- wr.Run(kctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	computed := func() time.Time {
		for _, w := range wr.Months() {
			if w.Month == oct {
				return w.Computed
			}
		}
		return time.Time{}
	}
	for end := time.Now().Add(20 * time.Second); computed().IsZero(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("October not warm after 20 s")
		}
	}
	first := computed()
	phase2(t, conn)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	alone := aggregate.LiveCardComputations(eng)
	got, err := eng.Card(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if n := aggregate.LiveCardComputations(eng) - alone; n != 0 {
		t.Fatalf("the card was computed alone (%d) instead of from the warm-up it missed", n)
	}
	if !computed().After(first) {
		t.Fatal("Card returned before October was warmed again: it did not wait for the warm-up")
	}
	want, err := eng.Uncached().Card(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if dump(got) != dump(want) {
		t.Fatalf("card after the recompute differs from the computed one:\n%s\n%s", dump(got), dump(want))
	}
}
