package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// maxWarmMonths bounds the months a Warmer keeps warm (a month's set is ~10 kB per branch),
// and maxOnDemandMonths the other months kept warm because cards of them were asked for (least
// recently used evicted first).
const (
	maxWarmMonths     = 4
	maxOnDemandMonths = 2
)

// awaitWarmMax: a card that misses the warm set of a month Run keeps waits for a warm-up of the
// month (one, shared by every reader that missed) instead of being computed alone, when the
// month's last warm-up took at most this long: after a recompute, N readers of the month then
// cost the server one warm-up instead of N cards (a small company's month warms in about what two
// cards cost). A month slower to warm has its cards computed per request meanwhile.
var awaitWarmMax = 500 * time.Millisecond

// onDemandEvery is how often a card miss may ask for a warm-up of one month that is not warm,
// and onDemandTimeout bounds one such warm-up.
const (
	onDemandEvery   = 10 * time.Second
	onDemandTimeout = 2 * time.Minute
)

// warmMonth is every card of one month, computed together from one set of committed versions.
type warmMonth struct {
	key   string                 // readKey(month, versions read)
	vers  map[familyMonth]uint64 // the versions read
	cards map[string]kpi.Card    // by branch: every branch with data in the month
	at    time.Time              // when it was computed
	took  time.Duration          // how long computing it took
	used  time.Time              // when it was last warmed or served a card
}

// WarmStatus describes the warm card set of one month (see Warmer.Warm).
type WarmStatus struct {
	Month    schema.Month  `json:"month"`
	Cards    int           `json:"cards"`
	Computed time.Time     `json:"computed"`
	Took     time.Duration `json:"took_ns"`
	Changed  bool          `json:"changed"` // computed by this call (false: still current)
}

// WarmConfig configures a Warmer's Run.
type WarmConfig struct {
	// Months is the number of latest months (the latest month with projections up to now's
	// month, and the ones before it) Run keeps warm, at most 4; 0 makes Run do nothing.
	Months int
	// Interval is how often Run checks the warm months against the committed versions (one
	// small query when nothing changed). Default 10s.
	Interval time.Duration
	// Location decides now's month. Default UTC.
	Location *time.Location
}

// Warmer keeps every card of some months computed in memory, so that the Engine it is attached
// to answers Card from memory while the committed versions those cards were computed from are
// still the latest. It owns the warm sets, and Run owns every goroutine that computes them:
// the keeper of the latest months and the worker that warms, one at a time, the other months
// whose cards were asked for (a card miss only queues a request, without blocking). Warm and
// Cards compute in the caller's goroutine. It is safe for concurrent use.
type Warmer struct {
	e      *Engine
	cfg    WarmConfig
	log    *slog.Logger
	flight singleflight.Group // one warm-up of a month at a time

	requests chan schema.Month // on-demand warm-ups asked for by card misses; drained by Run
	// stale is signalled by a card miss of a month Run keeps (its warm set is older than the
	// committed versions): Run's keeper then checks the latest months at once instead of at its
	// next Interval. Capacity 1: misses meanwhile coalesce.
	stale chan struct{}

	mu      sync.Mutex
	sets    map[schema.Month]*warmMonth
	pinned  map[schema.Month]bool      // the months Run keeps (never evicted for others)
	running bool                       // Run keeps months warm: card misses queue warm-ups
	tried   map[schema.Month]time.Time // when a card miss last queued a warm-up of a month
}

// NewWarmer returns a Warmer of e's live path and attaches it to e (and to e's Uncached and
// AsOf views, which do not use it): from then on e's Card answers from its warm sets. One
// Warmer per Engine; a second one replaces the first. A Warmer of an AsOf view is attached to
// nothing and its Warm returns an error. A nil logger discards.
func NewWarmer(e *Engine, cfg WarmConfig, logger *slog.Logger) *Warmer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.Months = min(max(cfg.Months, 0), maxWarmMonths)
	w := &Warmer{e: e, cfg: cfg, log: logger.With("component", "warmer"), requests: make(chan schema.Month, maxOnDemandMonths),
		stale: make(chan struct{}, 1)}
	if e.asOf.IsZero() {
		e.st.warmer.Store(w)
	}
	return w
}

// Warm computes the card of every branch with data in month m in one pass and keeps them, so
// that Card answers from memory while the committed versions those cards were computed from are
// still the latest: a recompute of any month a card depends on (m−1 and m, and the driver months)
// makes Card compute again until the next Warm. A warm set still current is not recomputed
// (one versions query). Cards are equal to those Card computes branch by branch (a test checks
// every branch of a fixture): the statistics of m−1 and m of the whole company are read at once,
// the small-area estimates are made per parent with the same families, and the driver moments of
// every driver branch are read in one query and summed in month order as Card does.
//
// An AsOf view has no warm set (it returns an error).
func (w *Warmer) Warm(ctx context.Context, m schema.Month) (WarmStatus, error) {
	if !w.e.asOf.IsZero() {
		return WarmStatus{}, fmt.Errorf("warm: an as-of view has no warm set")
	}
	if err := checkMonth("month", m); err != nil {
		return WarmStatus{}, err
	}
	// One warm-up of a month at a time; a caller arriving meanwhile shares its result.
	return sharedDo(ctx, &w.flight, "warm|"+m.String(), func(ctx context.Context) (WarmStatus, error) { return w.warm(ctx, m) })
}

// cardMonths returns the months a card of month m reads: the driver months from..m, and m−1
// when it is before them.
func (e *Engine) cardMonths(m schema.Month) (from schema.Month, driverMonths, months []schema.Month) {
	from = m.Add(-(e.cfg.DriverMonths - 1))
	driverMonths = schema.Months(from, m)
	months = driverMonths
	if m.Prev() < from {
		months = append([]schema.Month{m.Prev()}, months...)
	}
	return from, driverMonths, months
}

func (w *Warmer) warm(ctx context.Context, m schema.Month) (WarmStatus, error) {
	e := w.e
	start := time.Now()
	from, driverMonths, months := e.cardMonths(m)
	vers, err := e.committed(ctx, months)
	if err != nil {
		return WarmStatus{}, err
	}
	if ws := w.set(m); ws != nil && ws.key == readKey(m, vers) {
		w.mu.Lock()
		ws.used = e.now()
		w.mu.Unlock()
		return WarmStatus{Month: m, Cards: len(ws.cards), Computed: ws.at, Took: ws.took}, nil
	}
	var (
		md  monthData
		cms map[string]stat.CrossMoments
	)
	vers, err = e.readAt(ctx, months, vers, func(vers map[familyMonth]uint64) (err error) {
		if md, err = e.fetch(ctx, selector{kind: selSubtree, id: schema.Root}, []schema.Month{m.Prev(), m}, vers); err != nil {
			return err
		}
		cms, err = e.allDriverMoments(ctx, driverMonths, vers)
		return err
	})
	if err != nil {
		return WarmStatus{}, err
	}
	cards := w.computeCards(md, m, from, cms)
	ws := &warmMonth{key: readKey(m, vers), vers: vers, cards: cards, at: time.Now(), took: time.Since(start), used: e.now()}
	w.mu.Lock()
	if w.sets == nil {
		w.sets = map[schema.Month]*warmMonth{}
	}
	w.sets[m] = ws
	w.evict(m)
	w.mu.Unlock()
	w.log.Debug("warm set computed", "month", m, "cards", len(cards), "took", ws.took)
	return WarmStatus{Month: m, Cards: len(cards), Computed: ws.at, Took: ws.took, Changed: true}, nil
}

// Cards returns every card of month m (the branches with data in m), from the warm set,
// warming m first when its set is missing or out of date. The cards are shared: callers must
// not modify them.
func (w *Warmer) Cards(ctx context.Context, m schema.Month) (map[string]kpi.Card, error) {
	if _, err := w.Warm(ctx, m); err != nil {
		return nil, err
	}
	ws := w.set(m)
	if ws == nil { // evicted meanwhile by warm-ups of other months
		return nil, fmt.Errorf("warm cards of %s: evicted", m)
	}
	return ws.cards, nil
}

// LatestMonth returns the latest month up to limit with a committed projection of any family,
// or 0 when there is none.
func (e *Engine) LatestMonth(ctx context.Context, limit schema.Month) (schema.Month, error) {
	var m uint32
	q := fmt.Sprintf("SELECT toUInt32(max(month)) FROM %s WHERE month <= %d", store.VersionsTable, uint32(limit))
	if err := e.conn.QueryRow(ctx, q).Scan(&m); err != nil {
		return 0, fmt.Errorf("latest month: %w", err)
	}
	return schema.Month(m), nil
}

// Run keeps the warm sets of the latest months current until ctx ends, then returns nil once
// every goroutine it started has returned: every Interval, and at once when a card of one of
// them missed its warm set (a recompute committed since it was computed), it finds the latest
// month with projections up to now's month (in Location) and warms it and the Months-1 before it
// (those sets are never evicted for others; a set still current costs one versions query).
// Failures are logged and retried at the next tick (card misses do not hurry a retry). While
// it runs, a card asked for a month that is not warm also queues a warm-up of that month (at
// most every 10 s per month), which Run's worker computes, one month at a time; at most two
// such months are kept, least recently used evicted. With Months 0 Run does nothing but wait.
// Run is called at most once at a time.
func (w *Warmer) Run(ctx context.Context) error {
	if w.cfg.Months == 0 {
		<-ctx.Done()
		return nil
	}
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return errors.New("warmer: Run is already running")
	}
	w.running = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.running = false
		w.mu.Unlock()
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { w.keepLatest(gctx); return nil })
	g.Go(func() error { w.warmRequested(gctx); return nil })
	return g.Wait()
}

// keepLatest is Run's keeper of the latest months.
func (w *Warmer) keepLatest(ctx context.Context) {
	e := w.e
	for {
		latest, err := e.LatestMonth(ctx, schema.MonthOf(e.now(), w.cfg.Location))
		if err == nil && latest != 0 {
			pinned := map[schema.Month]bool{}
			for i := range w.cfg.Months {
				pinned[latest.Add(-i)] = true
			}
			w.mu.Lock()
			w.pinned = pinned
			w.mu.Unlock()
			for i := range w.cfg.Months {
				m := latest.Add(-i)
				st, werr := w.Warm(ctx, m)
				if werr != nil {
					err = werr
					break
				}
				if st.Changed {
					w.log.Info("warm cards computed", "month", m, "cards", st.Cards, "took", st.Took.Round(time.Millisecond))
				}
			}
		}
		failed := err != nil
		if failed && ctx.Err() == nil {
			w.log.Warn("warm-up of the latest months' cards failed", "err", err)
		}
		// A card miss of a kept month since the warm-up above means a recompute committed:
		// warm again now. After a failure only the timer retries.
		var stale <-chan struct{}
		if !failed {
			stale = w.stale
		}
		t := time.NewTimer(w.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-stale:
			t.Stop()
		}
	}
}

// warmRequested is Run's worker of on-demand warm-ups: one month at a time, as card misses
// asked for them (see request).
func (w *Warmer) warmRequested(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-w.requests:
			wctx, cancel := context.WithTimeout(ctx, onDemandTimeout)
			st, err := w.Warm(wctx, m)
			cancel()
			switch {
			case err != nil && ctx.Err() == nil:
				w.log.Warn("on-demand warm-up failed", "month", m, "err", err)
			case err == nil && st.Changed:
				w.log.Info("warm cards computed on demand", "month", m, "cards", st.Cards, "took", st.Took.Round(time.Millisecond))
			}
		}
	}
}

// evict drops the least recently used warm sets of months that are not pinned (and not
// keep, just added) beyond maxOnDemandMonths. w.mu is held.
func (w *Warmer) evict(keep schema.Month) {
	for {
		var (
			lru    schema.Month
			oldest time.Time
			n      int
		)
		for mo, ws := range w.sets {
			if w.pinned[mo] {
				continue
			}
			n++
			if mo != keep && (lru == 0 || ws.used.Before(oldest)) {
				lru, oldest = mo, ws.used
			}
		}
		if n <= maxOnDemandMonths || lru == 0 {
			return
		}
		delete(w.sets, lru)
	}
}

// request asks Run's worker for a warm-up of month m when Run runs, m is not pinned, and no
// warm-up of m was asked for in the last onDemandEvery: a user browsing an older month gets its
// cards from memory after the first few requests. It never blocks: with the queue full, the
// request is left to a later miss.
func (w *Warmer) request(m schema.Month) {
	now := w.e.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running || w.pinned[m] || now.Sub(w.tried[m]) < onDemandEvery {
		return
	}
	select {
	case w.requests <- m:
		if w.tried == nil {
			w.tried = map[schema.Month]time.Time{}
		}
		w.tried[m] = now
	default:
	}
}

// Months describes the warm sets held, by month.
func (w *Warmer) Months() []WarmStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]WarmStatus, 0, len(w.sets))
	for m, ws := range w.sets {
		out = append(out, WarmStatus{Month: m, Cards: len(ws.cards), Computed: ws.at, Took: ws.took})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out
}

// set returns the warm set of month m, or nil.
func (w *Warmer) set(m schema.Month) *warmMonth {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sets[m]
}

// card returns branch's card of month m from the warm set when it was computed from the
// committed versions vers (rk = readKey(m, vers)). On a miss of a month Run keeps, or of a
// later one (the latest month may have moved), it signals Run's keeper to warm the latest months
// now; on a miss of another month with projections it queues a warm-up of that month (request).
func (w *Warmer) card(branch string, m schema.Month, rk string, vers map[familyMonth]uint64) (kpi.Card, bool) {
	w.mu.Lock()
	ws := w.sets[m]
	hit := ws != nil && ws.key == rk
	if hit {
		ws.used = w.e.now()
	}
	kept := false
	if !hit && w.running && len(w.pinned) > 0 {
		kept = w.pinned[m] || (m > slices.Max(slices.Collect(maps.Keys(w.pinned))) && hasMonth(vers, m))
	}
	w.mu.Unlock()
	if !hit {
		if kept {
			select {
			case w.stale <- struct{}{}: // Run's keeper warms m again now
			default:
			}
			return kpi.Card{}, false
		}
		if hasMonth(vers, m) { // a month with projections: worth warming
			w.request(m)
		}
		return kpi.Card{}, false
	}
	c, ok := ws.cards[branch]
	return c, ok
}

// await returns branch's card of month m from a warm-up of m started or joined now (see
// awaitWarmMax), when Run keeps m and that warm-up read versions at least as new as vers, the
// ones the caller read. It reports false otherwise, and on any error: the caller computes.
func (w *Warmer) await(ctx context.Context, branch string, m schema.Month, vers map[familyMonth]uint64) (kpi.Card, bool) {
	w.mu.Lock()
	ws := w.sets[m]
	ok := w.running && w.pinned[m] && ws != nil && ws.took <= awaitWarmMax
	w.mu.Unlock()
	if !ok {
		return kpi.Card{}, false
	}
	if _, err := w.Warm(ctx, m); err != nil {
		return kpi.Card{}, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ws = w.sets[m]
	if ws == nil {
		return kpi.Card{}, false
	}
	for fm, v := range vers {
		if ws.vers[fm] < v {
			return kpi.Card{}, false
		}
	}
	ws.used = w.e.now()
	c, ok := ws.cards[branch]
	return c, ok
}

// awaitWarm returns branch's card of month m from a warm-up of the Warmer attached to e, if any
// (see Warmer.await).
func (e *Engine) awaitWarm(ctx context.Context, branch string, m schema.Month, vers map[familyMonth]uint64) (kpi.Card, bool) {
	if e.nocache {
		return kpi.Card{}, false
	}
	w := e.st.warmer.Load()
	if w == nil {
		return kpi.Card{}, false
	}
	return w.await(ctx, branch, m, vers)
}

// hasMonth reports whether vers has a committed version of month m.
func hasMonth(vers map[familyMonth]uint64, m schema.Month) bool {
	for fm := range vers {
		if fm.month == m {
			return true
		}
	}
	return false
}

// warmCard returns branch's card of month m from the warm sets of the Warmer attached to e,
// if any (see Warmer.card).
func (e *Engine) warmCard(branch string, m schema.Month, rk string, vers map[familyMonth]uint64) (kpi.Card, bool) {
	if e.nocache {
		return kpi.Card{}, false
	}
	w := e.st.warmer.Load()
	if w == nil {
		return kpi.Card{}, false
	}
	return w.card(branch, m, rk, vers)
}

// computeCards computes the card of every branch with data in month m of md (which holds m−1 and m
// of the whole company), as computeCard does for one branch.
func (w *Warmer) computeCards(md monthData, m schema.Month, from schema.Month, cms map[string]stat.CrossMoments) map[string]kpi.Card {
	e := w.e
	bm := md[m]
	ids := make([]string, 0, len(bm))
	for b := range bm {
		ids = append(ids, b)
	}
	sort.Strings(ids)
	sm := w.smoothed(bm)
	cards := make([]kpi.Card, len(ids))
	parallel(len(ids), 64, func(i int) {
		b := ids[i]
		c := kpi.ComputeCard(e.cfg, e.cat, b, m, *bm[b], md.lookup(m.Prev(), b))
		if schema.Level(b) >= smoothLevel {
			c.ApplySmoothed(sm[b])
		}
		db := driverBranch(b, e.cfg.DriverLevel)
		cm, ok := cms[db]
		if !ok {
			cm = stat.NewCrossMoments(len(e.cat.Items))
		}
		kpi.ComputeDrivers(e.cfg, e.cat, &c, db, from, m, cm)
		cards[i] = c
	})
	out := make(map[string]kpi.Card, len(ids))
	for i, b := range ids {
		out[b] = cards[i]
	}
	return out
}

// smoothed returns the small-area estimates of every city and county of bm with the family
// Card uses (smoothOf): the parent, the siblings with survey statistics, and the branch itself.
func (w *Warmer) smoothed(bm map[string]*kpi.MonthData) map[string]kpi.SmoothedSurvey {
	e := w.e
	type family struct {
		parent kpi.SurveyStats
		kids   map[string]kpi.SurveyStats // children with survey statistics
		bare   []string                   // children with data but no survey statistics
	}
	fams := map[string]*family{}
	for b, d := range bm {
		if schema.Level(b) < smoothLevel {
			continue
		}
		p := schema.Parent(b)
		f := fams[p]
		if f == nil {
			f = &family{kids: map[string]kpi.SurveyStats{}}
			if pd := bm[p]; pd != nil {
				f.parent = pd.Survey
			}
			fams[p] = f
		}
		if d.Survey != nil {
			f.kids[b] = d.Survey
		} else {
			f.bare = append(f.bare, b)
		}
	}
	parents := slices.Sorted(maps.Keys(fams))
	res := make([]map[string]kpi.SmoothedSurvey, len(parents))
	parallel(len(parents), 16, func(i int) {
		f := fams[parents[i]]
		r := kpi.SmoothSurvey(e.cfg, e.cat, f.parent, f.kids)
		for _, b := range f.bare {
			kids := maps.Clone(f.kids)
			kids[b] = nil
			r[b] = kpi.SmoothSurvey(e.cfg, e.cat, f.parent, kids)[b]
		}
		res[i] = r
	})
	out := map[string]kpi.SmoothedSurvey{}
	for _, r := range res {
		maps.Copy(out, r)
	}
	return out
}

// allDriverMoments is driverMoments of every branch at the committed versions vers, in one
// query; each branch's rows are summed in month order, as driverMoments does.
func (l *loader) allDriverMoments(ctx context.Context, months []schema.Month, vers map[familyMonth]uint64) (map[string]stat.CrossMoments, error) {
	out := map[string]stat.CrossMoments{}
	vf, ok := versionFilter(vers, FamilyDrivers, months)
	if !ok {
		return out, nil
	}
	q := fmt.Sprintf("SELECT branch_id, items, n, sw, swx, swxx, swy, swxy, swy2 FROM %s WHERE %s AND carrier = %s ORDER BY branch_id, month",
		FamilyDrivers.Table(), vf, quote(l.cfg.OwnCarrier))
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_drivers: %w", err)
	}
	defer rows.Close()
	codes := l.cat.Codes()
	for rows.Next() {
		var (
			branch string
			items  []string
			c      stat.CrossMoments
		)
		if err := rows.Scan(&branch, &items, &c.N, &c.SW, &c.SWX, &c.SWXX, &c.SWY, &c.SWXY, &c.SWY2); err != nil {
			return nil, fmt.Errorf("load kpi_drivers: %w", err)
		}
		if !slices.Equal(items, codes) {
			continue
		}
		sum, ok := out[branch]
		if !ok {
			sum = stat.NewCrossMoments(len(codes))
		}
		if sum, err = sum.Add(c); err != nil {
			return nil, fmt.Errorf("load kpi_drivers: %w", err)
		}
		out[branch] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_drivers: %w", err)
	}
	return out, nil
}
