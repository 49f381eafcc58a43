package aggregate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// maxWarmMonths bounds the months KeepWarm keeps warm (a month's set is ~10 kB per branch), and
// maxOnDemandMonths the other months kept warm because cards of them were asked for (least
// recently used evicted first).
const (
	maxWarmMonths     = 4
	maxOnDemandMonths = 2
)

// onDemandEvery is how often Card may start a warm-up of one month that is not warm.
const onDemandEvery = 10 * time.Second

// warmMonth is every card of one month, computed together from one set of committed versions.
type warmMonth struct {
	key   string              // readKey(month, versions read)
	cards map[string]kpi.Card // by branch: every branch with data in the month
	at    time.Time           // when it was computed
	took  time.Duration       // how long computing it took
	used  time.Time           // when it was last warmed or served a card
}

// WarmStatus describes the warm card set of one month (see Warm).
type WarmStatus struct {
	Month    schema.Month  `json:"month"`
	Cards    int           `json:"cards"`
	Computed time.Time     `json:"computed"`
	Took     time.Duration `json:"took_ns"`
	Changed  bool          `json:"changed"` // computed by this call (false: still current)
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
// `csat serve` warms the latest months every CSAT_API_WARM_INTERVAL. An AsOf view has no warm
// set (it returns an error).
func (e *Engine) Warm(ctx context.Context, m schema.Month) (WarmStatus, error) {
	if !e.asOf.IsZero() {
		return WarmStatus{}, fmt.Errorf("warm: an as-of view has no warm set")
	}
	if err := checkMonth("month", m); err != nil {
		return WarmStatus{}, err
	}
	// One warm-up of a month at a time; a caller arriving meanwhile shares its result.
	v, err, _ := e.st.flight.Do("warm|"+m.String(), func() (any, error) { return e.warm(ctx, m) })
	if err != nil {
		return WarmStatus{}, err
	}
	return v.(WarmStatus), nil
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

func (e *Engine) warm(ctx context.Context, m schema.Month) (WarmStatus, error) {
	start := time.Now()
	from, driverMonths, months := e.cardMonths(m)
	vers, err := e.committed(ctx, months)
	if err != nil {
		return WarmStatus{}, err
	}
	if w := e.warmSet(m); w != nil && w.key == readKey(m, vers) {
		e.st.wmu.Lock()
		w.used = e.now()
		e.st.wmu.Unlock()
		return WarmStatus{Month: m, Cards: len(w.cards), Computed: w.at, Took: w.took}, nil
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
	cards := e.warmCards(md, m, from, cms)
	w := &warmMonth{key: readKey(m, vers), cards: cards, at: time.Now(), took: time.Since(start), used: e.now()}
	e.st.wmu.Lock()
	if e.st.warm == nil {
		e.st.warm = map[schema.Month]*warmMonth{}
	}
	e.st.warm[m] = w
	e.evictWarm(m)
	e.st.wmu.Unlock()
	e.log.Debug("warm set computed", "month", m, "cards", len(cards), "took", w.took)
	return WarmStatus{Month: m, Cards: len(cards), Computed: w.at, Took: w.took, Changed: true}, nil
}

// WarmCards returns every card of month m (the branches with data in m), from the warm set,
// warming m first when its set is missing or out of date. The cards are shared: callers must
// not modify them.
func (e *Engine) WarmCards(ctx context.Context, m schema.Month) (map[string]kpi.Card, error) {
	if _, err := e.Warm(ctx, m); err != nil {
		return nil, err
	}
	w := e.warmSet(m)
	if w == nil { // evicted meanwhile by warm-ups of other months
		return nil, fmt.Errorf("warm cards of %s: evicted", m)
	}
	return w.cards, nil
}

// LatestMonth returns the latest month up to limit with a committed projection of any family,
// or 0 when there is none.
func (e *Engine) LatestMonth(ctx context.Context, limit schema.Month) (schema.Month, error) {
	var m uint32
	q := fmt.Sprintf("SELECT toUInt32(max(month)) FROM kpi_versions WHERE month <= %d", uint32(limit))
	if err := e.conn.QueryRow(ctx, q).Scan(&m); err != nil {
		return 0, fmt.Errorf("latest month: %w", err)
	}
	return schema.Month(m), nil
}

// KeepWarm keeps the warm sets of the latest months current until ctx ends: every interval
// it finds the latest month with projections up to now's month (in loc) and warms it and the
// months-1 before it (those sets are never evicted for others). Failures are logged and
// retried at the next tick. While it runs, a card asked for a month that is not warm also
// starts a background warm-up of that month (at most every onDemandEvery per month; at most
// maxOnDemandMonths such months are kept, least recently used evicted).
func (e *Engine) KeepWarm(ctx context.Context, months int, interval time.Duration, loc *time.Location) {
	if months <= 0 {
		return
	}
	if loc == nil {
		loc = time.UTC
	}
	months = min(months, maxWarmMonths)
	e.st.wmu.Lock()
	e.st.onDemand = true
	e.st.wmu.Unlock()
	defer func() {
		e.st.wmu.Lock()
		e.st.onDemand = false
		e.st.wmu.Unlock()
	}()
	for {
		latest, err := e.LatestMonth(ctx, schema.MonthOf(e.now(), loc))
		if err == nil && latest != 0 {
			pinned := map[schema.Month]bool{}
			for i := range months {
				pinned[latest.Add(-i)] = true
			}
			e.st.wmu.Lock()
			e.st.pinned = pinned
			e.st.wmu.Unlock()
			for i := range months {
				m := latest.Add(-i)
				st, werr := e.Warm(ctx, m)
				if werr != nil {
					err = werr
					break
				}
				if st.Changed {
					e.log.Info("warm cards computed", "month", m, "cards", st.Cards, "took", st.Took.Round(time.Millisecond))
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			e.log.Warn("warm-up of the latest months' cards failed", "err", err)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// evictWarm drops the least recently used warm sets of months that are not pinned (and not
// keep, just added) beyond maxOnDemandMonths. e.st.wmu is held.
func (e *Engine) evictWarm(keep schema.Month) {
	for {
		var (
			lru    schema.Month
			oldest time.Time
			n      int
		)
		for mo, w := range e.st.warm {
			if e.st.pinned[mo] {
				continue
			}
			n++
			if mo != keep && (lru == 0 || w.used.Before(oldest)) {
				lru, oldest = mo, w.used
			}
		}
		if n <= maxOnDemandMonths || lru == 0 {
			return
		}
		delete(e.st.warm, lru)
	}
}

// warmOnDemand starts, in the background, a warm-up of month m when KeepWarm runs, m is not
// warm with current versions, and no warm-up of m was started in the last onDemandEvery: a user
// browsing an older month gets its cards from memory after the first few requests.
func (e *Engine) warmOnDemand(m schema.Month) {
	now := e.now()
	e.st.wmu.Lock()
	if !e.st.onDemand || e.st.pinned[m] || now.Sub(e.st.warmTried[m]) < onDemandEvery {
		e.st.wmu.Unlock()
		return
	}
	if e.st.warmTried == nil {
		e.st.warmTried = map[schema.Month]time.Time{}
	}
	e.st.warmTried[m] = now
	e.st.wmu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if st, err := e.Warm(ctx, m); err != nil {
			e.log.Warn("on-demand warm-up failed", "month", m, "err", err)
		} else if st.Changed {
			e.log.Info("warm cards computed on demand", "month", m, "cards", st.Cards, "took", st.Took.Round(time.Millisecond))
		}
	}()
}

// WarmMonths describes the warm sets held, by month.
func (e *Engine) WarmMonths() []WarmStatus {
	e.st.wmu.Lock()
	defer e.st.wmu.Unlock()
	out := make([]WarmStatus, 0, len(e.st.warm))
	for m, w := range e.st.warm {
		out = append(out, WarmStatus{Month: m, Cards: len(w.cards), Computed: w.at, Took: w.took})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out
}

// warmSet returns the warm set of month m, or nil.
func (e *Engine) warmSet(m schema.Month) *warmMonth {
	e.st.wmu.Lock()
	defer e.st.wmu.Unlock()
	return e.st.warm[m]
}

// warmCard returns branch's card of month m from the warm set when it was computed from the
// committed versions vers (rk = readKey(m, vers)).
func (e *Engine) warmCard(branch string, m schema.Month, rk string, vers map[familyMonth]uint64) (kpi.Card, bool) {
	if e.nocache {
		return kpi.Card{}, false
	}
	e.st.wmu.Lock()
	w := e.st.warm[m]
	hit := w != nil && w.key == rk
	if hit {
		w.used = e.now()
	}
	e.st.wmu.Unlock()
	if !hit {
		for fm := range vers {
			if fm.month == m { // a month with projections: worth warming
				e.warmOnDemand(m)
				break
			}
		}
		return kpi.Card{}, false
	}
	c, ok := w.cards[branch]
	return c, ok
}

// warmCards computes the card of every branch with data in month m of md (which holds m−1 and m
// of the whole company), as computeCard does for one branch.
func (e *Engine) warmCards(md monthData, m schema.Month, from schema.Month, cms map[string]stat.CrossMoments) map[string]kpi.Card {
	bm := md[m]
	ids := make([]string, 0, len(bm))
	for b := range bm {
		ids = append(ids, b)
	}
	sort.Strings(ids)
	sm := e.warmSmoothed(bm)
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

// warmSmoothed returns the small-area estimates of every city and county of bm with the family
// Card uses (smoothOf): the parent, the siblings with survey statistics, and the branch itself.
func (e *Engine) warmSmoothed(bm map[string]*kpi.MonthData) map[string]kpi.SmoothedSurvey {
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
func (e *Engine) allDriverMoments(ctx context.Context, months []schema.Month, vers map[familyMonth]uint64) (map[string]stat.CrossMoments, error) {
	out := map[string]stat.CrossMoments{}
	vf, ok := versionFilter(vers, FamilyDrivers, months)
	if !ok {
		return out, nil
	}
	q := fmt.Sprintf("SELECT branch_id, items, n, sw, swx, swxx, swy, swxy, swy2 FROM %s WHERE %s AND carrier = %s ORDER BY branch_id, month",
		FamilyDrivers.projTable(), vf, quote(e.cfg.OwnCarrier))
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_drivers: %w", err)
	}
	defer rows.Close()
	codes := e.cat.Codes()
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
