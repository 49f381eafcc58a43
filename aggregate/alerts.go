package aggregate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// alertLookback is the number of months before the alert month whose cards decline_streak
// sees: a streak longer than this is reported as alertLookback months long (its values start
// alertLookback months back). It is never less than CSAT_ALERT_DECLINE_MONTHS.
const alertLookback = 6

// cacheMonths bounds the months kept by each of the engine's alert caches.
const cacheMonths = 36

// alertChunkMonths is the number of months a company-wide alert evaluation reads at once, and
// alertLoaders the number of chunks read concurrently.
const (
	alertChunkMonths = 1
	alertLoaders     = 2
)

// alertPointReads makes a company-wide alert evaluation read the months before m−1 as
// selector.points (what their alert points need); the tests turn it off to compare with full
// reads.
var alertPointReads = true

// AlertList is the JSON of `csat alerts` (SPEC §4): {"month": M, "alerts": [...]}.
type AlertList struct {
	Month  schema.Month `json:"month"`
	Alerts []kpi.Alert  `json:"alerts"`
}

// cachedAlerts is the company-wide evaluation of one month, valid for the committed versions
// it was computed from.
type cachedAlerts struct {
	key    string
	alerts []kpi.Alert
}

// cachedPoints are the alert points of every branch for one month, valid for that month's
// committed versions.
type cachedPoints struct {
	key string
	pts map[string]kpi.AlertPoint
}

// Alerts evaluates the alert rules of SPEC §3.11 and the drift rule (docs/extensions.md) for
// month m over every branch of the subtree of branch (ALL: the whole company), at every level,
// that has data in m, ordered by kpi.SortAlerts.
//
// The q-values of decline_streak, lead_lost and drift (and so their severities) are computed
// over the whole company's alerts of the month and rule, then the list is filtered to the
// subtree: an alert's q and severity do not depend on the subtree asked for. The company-wide
// evaluation reads kpi.DriftMonths (12) months of every branch; the live path caches it per
// month, keyed by the committed versions it read, and keeps the alert points (a few numbers per
// branch and month) of every month it read, so after a recompute of one month only the months
// whose versions changed (and the alert month and the one before it) are read again.
func (e *Engine) Alerts(ctx context.Context, branch string, m schema.Month) (AlertList, error) {
	if err := e.checkBranch(ctx, "branch", branch); err != nil {
		return AlertList{}, err
	}
	if err := checkMonth("month", m); err != nil {
		return AlertList{}, err
	}
	var all []kpi.Alert
	var err error
	if e.asOf.IsZero() {
		all, err = e.companyAlerts(ctx, m)
	} else {
		all, err = asOfCached(ctx, e, "alerts|"+m.String(), func(ctx context.Context) ([]kpi.Alert, error) { return e.companyAlerts(ctx, m) })
	}
	if err != nil {
		return AlertList{}, err
	}
	out := AlertList{Month: m, Alerts: []kpi.Alert{}}
	for _, a := range all {
		if schema.InSubtree(a.Branch, branch) {
			out.Alerts = append(out.Alerts, a)
		}
	}
	return out, nil
}

// versionKey renders the committed versions of month mo (every family) as a cache key.
func versionKey(vers map[familyMonth]uint64, mo schema.Month) string {
	var parts []string
	for fm, v := range vers {
		if fm.month == mo {
			parts = append(parts, fmt.Sprintf("%s:%d", fm.family, v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// companyAlerts returns every alert of month m company-wide, calibrated (kpi.Calibrate) and
// sorted. The result is shared: callers must not modify it.
func (e *Engine) companyAlerts(ctx context.Context, m schema.Month) ([]kpi.Alert, error) {
	months := schema.Months(m.Add(-(kpi.DriftMonths - 1)), m)
	live := e.asOf.IsZero()
	var key string
	keys := map[schema.Month]string{}
	need := map[schema.Month]bool{m: true, m.Prev(): true} // full cards of m need m−1's survey
	pts := map[schema.Month]map[string]kpi.AlertPoint{}
	if live {
		vers, err := e.committed(ctx, months)
		if err != nil {
			return nil, err
		}
		var all []string
		for _, mo := range months {
			keys[mo] = versionKey(vers, mo)
			all = append(all, keys[mo])
		}
		key = strings.Join(all, "|")
		e.st.amu.Lock()
		if c, ok := e.st.alerts[m]; ok && c.key == key {
			e.st.amu.Unlock()
			return c.alerts, nil
		}
		for _, mo := range months {
			if c, ok := e.st.points[mo]; ok && c.key == keys[mo] && !need[mo] {
				pts[mo] = c.pts
			}
		}
		e.st.amu.Unlock()
	}
	var load []schema.Month
	for _, mo := range months {
		if pts[mo] == nil {
			load = append(load, mo)
		}
	}
	// Read in chunks of a few months (m−1 and m first, together: m's cards need m−1), turning
	// each month into alert points at once, so that at most a few months of every branch's
	// statistics are held at a time.
	ms := kpi.DeclineMetrics(e.cat)
	var cur map[string]*kpi.Card
	vers := map[familyMonth]uint64{}
	var chunks [][]schema.Month
	var rest []schema.Month
	for _, mo := range load {
		if !need[mo] {
			rest = append(rest, mo)
		}
	}
	chunks = append(chunks, []schema.Month{m.Prev(), m})
	for len(rest) > 0 {
		n := min(alertChunkMonths, len(rest))
		chunks, rest = append(chunks, rest[:n]), rest[n:]
	}
	// Chunks are read by alertLoaders goroutines while the chunks already read are turned into
	// points: decoding a chunk in the client takes about as long as its cards, and one query is
	// decoded by one goroutine.
	type loaded struct {
		chunk []schema.Month
		md    monthData
		vers  map[familyMonth]uint64
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan loaded)
	todo := make(chan []schema.Month, len(chunks))
	for _, c := range chunks {
		todo <- c
	}
	close(todo)
	var (
		lerr  error
		lonce sync.Once
		lwg   sync.WaitGroup
	)
	for range min(alertLoaders, len(chunks)) {
		lwg.Go(func() {
			for chunk := range todo {
				md, cv, err := e.loadAlertMonths(lctx, chunk, m)
				if err != nil {
					lonce.Do(func() { lerr = err })
					cancel()
					return
				}
				select {
				case results <- loaded{chunk, md, cv}:
				case <-lctx.Done():
					return
				}
			}
		})
	}
	// The closer: it returns once every loader has, which the range below waits for (it ends
	// only when results is closed), so no goroutine of this call outlives it.
	go func() {
		lwg.Wait()
		close(results)
	}()
	got := 0
	for l := range results {
		got++
		maps.Copy(vers, l.vers)
		for _, mo := range l.chunk {
			cards := e.monthCards(l.md, mo)
			p := make(map[string]kpi.AlertPoint, len(cards))
			for b, c := range cards {
				p[b] = c.AlertPoint(e.cfg, ms)
			}
			pts[mo] = p
			if mo == m {
				cur = cards
			}
		}
	}
	if lerr != nil { // read after results is closed: every loader has returned
		return nil, lerr
	}
	if got != len(chunks) { // a loader stopped on a cancelled ctx between two reads
		return nil, cmp.Or(ctx.Err(), errors.New("company-wide alerts: months left unread"))
	}
	if live {
		e.st.amu.Lock()
		if e.st.points == nil {
			e.st.points = map[schema.Month]cachedPoints{}
		}
		for _, mo := range load {
			// The versions load read, which may be newer than those of the key.
			e.st.points[mo] = cachedPoints{key: versionKey(vers, mo), pts: pts[mo]}
		}
		evict(e.st.points, m)
		e.st.amu.Unlock()
	}

	branches := make([]string, 0, len(cur))
	for b := range cur {
		branches = append(branches, b)
	}
	sort.Strings(branches)
	byBranch := make([][]kpi.Alert, len(branches))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(branches)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			series := make([]kpi.AlertPoint, len(months))
			for i := w; i < len(branches); i += workers {
				b := branches[i]
				for j, mo := range months {
					series[j] = pts[mo][b] // nil: a gap
				}
				as := kpi.AlertsOf(e.cfg, e.cat, e.sc, b, m, cur[b], series, max(alertLookback, e.cfg.AlertDeclineMonths))
				byBranch[i] = append(as, kpi.DriftAlerts(e.cfg, e.cat, b, m, series)...)
			}
		})
	}
	wg.Wait()
	out := []kpi.Alert{}
	for _, as := range byBranch {
		out = append(out, as...)
	}
	kpi.Calibrate(e.cfg, out)
	kpi.SortAlerts(out)
	if live {
		e.st.amu.Lock()
		if e.st.alerts == nil {
			e.st.alerts = map[schema.Month]cachedAlerts{}
		}
		e.st.alerts[m] = cachedAlerts{key: key, alerts: out}
		evict(e.st.alerts, m)
		e.st.amu.Unlock()
	}
	return out, nil
}

// loadAlertMonths reads the months of chunk for the company-wide alerts of month m, with the
// committed versions read (none as of a moment). Only m's cards are whole (below_base and
// lead_lost read them); every other month gives alert points, and m−1 also m's short-plank
// improvement, which reads its own survey moments of the catalog items: those months are read
// as alert points only (selector.points, unless alertPointReads is off).
func (e *Engine) loadAlertMonths(ctx context.Context, chunk []schema.Month, m schema.Month) (monthData, map[familyMonth]uint64, error) {
	all := selector{kind: selSubtree, id: schema.Root}
	if !alertPointReads {
		return e.loadVersions(ctx, all, chunk)
	}
	var whole, points []schema.Month
	for _, mo := range chunk {
		if mo == m {
			whole = append(whole, mo)
		} else {
			points = append(points, mo)
		}
	}
	md, vers := monthData{}, map[familyMonth]uint64{}
	for _, part := range []struct {
		months []schema.Month
		points bool
	}{{points, true}, {whole, false}} {
		if len(part.months) == 0 {
			continue
		}
		sel := all
		sel.points = part.points
		d, v, err := e.loadVersions(ctx, sel, part.months)
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(md, d)
		maps.Copy(vers, v)
	}
	return md, vers, nil
}

// evict keeps at most cacheMonths entries: those nearest to m.
func evict[V any](c map[schema.Month]V, m schema.Month) {
	for len(c) > cacheMonths {
		var far schema.Month
		dist := -1
		for mo := range c {
			d := (mo.Year()*12 + mo.Mon()) - (m.Year()*12 + m.Mon())
			if d < 0 {
				d = -d
			}
			if d > dist {
				far, dist = mo, d
			}
		}
		delete(c, far)
	}
}

// monthCards computes the card of every branch with data in month mo (m−1's survey statistics,
// when loaded, give the short-plank improvement), with the small-area estimates of cities and
// counties attached when CSAT_SMOOTHED_ALERTS is on (alerts then read them).
func (e *Engine) monthCards(md monthData, mo schema.Month) map[string]*kpi.Card {
	bm := md[mo]
	out := make(map[string]*kpi.Card, len(bm))
	ids := make([]string, 0, len(bm))
	for b := range bm {
		ids = append(ids, b)
	}
	cards := make([]kpi.Card, len(ids))
	parallel(len(ids), 64, func(i int) {
		cards[i] = kpi.ComputeCard(e.cfg, e.cat, ids[i], mo, *bm[ids[i]], md.lookup(mo.Prev(), ids[i]))
	})
	for i, b := range ids {
		out[b] = &cards[i]
	}
	if e.cfg.SmoothedAlerts {
		for b, sm := range smoothAll(e.cfg, e.cat, bm) {
			out[b].ApplySmoothed(sm)
		}
	}
	return out
}
