package aggregate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// maxTrendMonths bounds the months of one trend request.
const maxTrendMonths = 120

// Card returns the KPI card of branch (its whole subtree) for month m (SPEC §4).
func (e *Engine) Card(ctx context.Context, branch string, m schema.Month) (kpi.Card, error) {
	if err := e.checkBranch(ctx, "branch", branch); err != nil {
		return kpi.Card{}, err
	}
	if err := checkMonth("month", m); err != nil {
		return kpi.Card{}, err
	}
	db := driverBranch(branch, e.cfg.DriverLevel)
	from, driverMonths, months := e.cardMonths(m)
	// The branch's own statistics (m−1, m), its parent's and siblings' survey statistics (m, for
	// the small-area estimates) and the driver moments, read concurrently from one set of
	// committed versions, re-read when a recompute committed meanwhile (see load).
	fam, smooth, err := e.familySelector(ctx, branch)
	if err != nil {
		return kpi.Card{}, err
	}
	var (
		vers map[familyMonth]uint64
		key  string
	)
	if e.asOf.IsZero() {
		if vers, err = e.committed(ctx, months); err != nil {
			return kpi.Card{}, err
		}
		rk := readKey(m, vers)
		key = branch + "|" + rk // = cardKey(branch, m, vers), without formatting the versions twice
		if c, ok := e.cachedCard(key); ok {
			return c, nil
		}
		if c, ok := e.warmCard(branch, m, rk, vers); ok {
			return c, nil
		}
		if c, ok := e.awaitWarm(ctx, branch, m, vers); ok {
			return c, nil
		}
		// Concurrent requests for the same card wait for one computation.
		return sharedDo(ctx, &e.st.flight, key, func(ctx context.Context) (kpi.Card, error) {
			e.st.liveCards.Add(1)
			return e.computeCard(ctx, branch, m, db, from, driverMonths, months, fam, smooth, vers, key)
		})
	}
	return asOfCached(ctx, e, "card|"+branch+"|"+m.String(), func(ctx context.Context) (kpi.Card, error) {
		return e.computeCard(ctx, branch, m, db, from, driverMonths, months, fam, smooth, vers, key)
	})
}

// computeCard reads and computes the card of Card (vers and key empty for an AsOf engine).
func (e *Engine) computeCard(ctx context.Context, branch string, m schema.Month, db string, from schema.Month,
	driverMonths, months []schema.Month, fam selector, smooth bool, vers map[familyMonth]uint64, key string) (kpi.Card, error) {
	var (
		md, fd monthData
		cm     stat.CrossMoments
	)
	read := func(vers map[familyMonth]uint64) error {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) {
			cm, err = e.driverMoments(gctx, db, driverMonths, vers)
			return err
		})
		g.Go(func() (err error) {
			md, err = e.fetchAt(gctx, selector{kind: selBranch, id: branch}, []schema.Month{m.Prev(), m}, vers)
			return err
		})
		if smooth {
			g.Go(func() (err error) {
				fd, err = e.fetchAt(gctx, fam, []schema.Month{m}, vers)
				return err
			})
		}
		return g.Wait()
	}
	if e.asOf.IsZero() {
		var err error
		if vers, err = e.readAt(ctx, months, vers, read); err != nil {
			return kpi.Card{}, err
		}
		key = cardKey(branch, m, vers)
	} else if err := read(nil); err != nil {
		return kpi.Card{}, err
	}
	c := kpi.ComputeCard(e.cfg, e.cat, branch, m, md.lookup(m, branch), md.lookup(m.Prev(), branch))
	if smooth {
		c.ApplySmoothed(smoothOf(e.cfg, e.cat, fd[m], branch))
	}
	kpi.ComputeDrivers(e.cfg, e.cat, &c, db, from, m, cm)
	if key != "" {
		e.cacheCard(key, c)
	}
	return c, nil
}

// maxCachedCards bounds the card cache (a card is a few kB; the cache is emptied when full).
const maxCachedCards = 20000

// cardKey identifies a card computed from one set of committed versions: every figure on it
// (the branch's, its siblings' for the small-area estimates, the driver months') comes from the
// versions in vers, so a recompute of any of them changes the key.
func cardKey(branch string, m schema.Month, vers map[familyMonth]uint64) string {
	return branch + "|" + readKey(m, vers)
}

// readKey identifies month m's figures read at the committed versions vers (the part of a
// card's key that does not name the branch; the key of a warm set).
func readKey(m schema.Month, vers map[familyMonth]uint64) string {
	parts := make([]string, 0, len(vers))
	for fm, v := range vers {
		parts = append(parts, fmt.Sprintf("%s/%d:%d", fm.family, fm.month, v))
	}
	sort.Strings(parts)
	return m.String() + "|" + strings.Join(parts, ",")
}

// cachedCard returns the card cached under key. Cards are shared: callers must not modify them.
func (e *Engine) cachedCard(key string) (kpi.Card, bool) {
	if e.nocache {
		return kpi.Card{}, false
	}
	e.st.cmu.Lock()
	defer e.st.cmu.Unlock()
	c, ok := e.st.cards[key]
	return c, ok
}

// cachedCompare returns the comparison cached under key (shared: callers must not modify it).
func (e *Engine) cachedCompare(key string) (Comparison, bool) {
	if e.nocache {
		return Comparison{}, false
	}
	e.st.cmu.Lock()
	defer e.st.cmu.Unlock()
	c, ok := e.st.compares[key]
	return c, ok
}

func (e *Engine) cacheCompare(key string, c Comparison) {
	if e.nocache {
		return
	}
	e.st.cmu.Lock()
	defer e.st.cmu.Unlock()
	if e.st.compares == nil || len(e.st.compares) >= maxCachedCards {
		e.st.compares = make(map[string]Comparison)
	}
	e.st.compares[key] = c
}

func (e *Engine) cacheCard(key string, c kpi.Card) {
	if e.nocache {
		return
	}
	e.st.cmu.Lock()
	defer e.st.cmu.Unlock()
	if e.st.cards == nil || len(e.st.cards) >= maxCachedCards {
		e.st.cards = make(map[string]kpi.Card)
	}
	e.st.cards[key] = c
}

// TrendPoint is one month of a trend: the metric's value, moe95, n (null for metrics without
// one) and reportable.
type TrendPoint struct {
	Month schema.Month `json:"month"`
	kpi.MetricValue
}

// Trend is a metric of one branch over consecutive months (SPEC §4 "trend").
type Trend struct {
	Branch string       `json:"branch"`
	Metric string       `json:"metric"`
	From   schema.Month `json:"from"`
	To     schema.Month `json:"to"`
	Points []TrendPoint `json:"points"` // one per month from From to To; null values where no data
}

// Trend returns one value of metric per month from..to (inclusive, at most 120 months).
func (e *Engine) Trend(ctx context.Context, branch, metric string, from, to schema.Month) (Trend, error) {
	met, err := e.metric(metric)
	if err != nil {
		return Trend{}, err
	}
	if err := e.checkBranch(ctx, "branch", branch); err != nil {
		return Trend{}, err
	}
	if err := checkMonth("from", from); err != nil {
		return Trend{}, err
	}
	if err := checkMonth("to", to); err != nil {
		return Trend{}, err
	}
	if from > to {
		return Trend{}, &ParamError{Param: "from", Msg: fmt.Sprintf("%s is after to %s", from, to)}
	}
	months := schema.Months(from, to)
	if len(months) > maxTrendMonths {
		return Trend{}, &ParamError{Param: "to", Msg: fmt.Sprintf("%d months from %s to %s; at most %d", len(months), from, to, maxTrendMonths)}
	}
	md, err := e.load(ctx, selector{kind: selBranch, id: branch}, e.withYearEarlier(met, schema.Months(from.Prev(), to)))
	if err != nil {
		return Trend{}, err
	}
	t := Trend{Branch: branch, Metric: met.String(), From: from, To: to, Points: make([]TrendPoint, 0, len(months))}
	for _, m := range months {
		card := kpi.ComputeCard(e.cfg, e.cat, branch, m, md.lookup(m, branch), md.lookup(m.Prev(), branch))
		t.Points = append(t.Points, TrendPoint{Month: m, MetricValue: e.metricValue(&card, met, md)})
	}
	return t, nil
}

// metric parses a metric name into a ParamError on failure.
func (e *Engine) metric(name string) (kpi.Metric, error) {
	m, err := kpi.ParseMetric(name, e.cat)
	if err != nil {
		return kpi.Metric{}, &ParamError{Param: "metric", Msg: err.Error()}
	}
	if m.Kind == kpi.KindScore && e.sc == nil {
		return kpi.Metric{}, &ParamError{Param: "metric", Msg: "score needs a scorecard, and none is configured"}
	}
	return m, nil
}

// metricValue extracts m from a card; score comes from the scorecard, with the card of the
// same month a year earlier from md when the scorecard scores improvement.
func (e *Engine) metricValue(card *kpi.Card, m kpi.Metric, md monthData) kpi.MetricValue {
	if m.Kind == kpi.KindScore {
		if e.sc == nil {
			return kpi.MetricValue{}
		}
		var earlier *kpi.Card
		if y := card.Month.Add(-12); e.sc.ImprovesOverYear() && md[y][card.Branch] != nil {
			c := kpi.ComputeCard(e.cfg, e.cat, card.Branch, y, md.lookup(y, card.Branch), md.lookup(y.Prev(), card.Branch))
			earlier = &c
		}
		return e.sc.MonthScore(card, earlier)
	}
	return card.Metric(m)
}

// withYearEarlier adds to months the months a year earlier when metric m is the score of a
// scorecard that scores improvement over the year before.
func (e *Engine) withYearEarlier(m kpi.Metric, months []schema.Month) []schema.Month {
	if m.Kind != kpi.KindScore || e.sc == nil || !e.sc.ImprovesOverYear() {
		return months
	}
	out := append([]schema.Month(nil), months...)
	for _, mo := range months {
		out = append(out, mo.Add(-12))
	}
	return out
}

// lowerIsBetter reports the metrics where a smaller value ranks first.
func lowerIsBetter(k kpi.Kind) bool { return k.LowerIsBetter() }

// Ranked is one child in a comparison.
type Ranked struct {
	Branch string `json:"branch"`
	kpi.MetricValue
	Rank   int      `json:"rank"`
	Change *float64 `json:"change"` // value − the value of the month before; null unless both are non-null
}

// Comparison is a metric over the children of a parent for one month (SPEC §4 "compare").
type Comparison struct {
	Parent   string       `json:"parent"`
	Month    schema.Month `json:"month"`
	Metric   string       `json:"metric"`
	Children []Ranked     `json:"children"`
}

// Compare ranks the known children of parent by metric for month m. Every child gets a rank,
// 1 = best (highest, or lowest for complaint and churn rates): first the children whose value
// is reportable, by value; then those with a value that is not reportable (n below
// CSAT_MIN_SAMPLE), by value; then those with no value, by branch id. Ties go to the smaller
// branch id. Change is the value minus that of m−1, whether or not either is reportable.
func (e *Engine) Compare(ctx context.Context, parent string, m schema.Month, metric string) (Comparison, error) {
	met, err := e.metric(metric)
	if err != nil {
		return Comparison{}, err
	}
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		return Comparison{}, err
	}
	if err := checkMonth("month", m); err != nil {
		return Comparison{}, err
	}
	months := e.withYearEarlier(met, []schema.Month{m.Add(-2), m.Prev(), m})
	var key string
	if e.asOf.IsZero() {
		vers, err := e.committed(ctx, months)
		if err != nil {
			return Comparison{}, err
		}
		key = cardKey(parent+"|"+met.String(), m, vers)
		if c, ok := e.cachedCompare(key); ok {
			return c, nil
		}
		return sharedDo(ctx, &e.st.flight, "compare|"+key, func(ctx context.Context) (Comparison, error) {
			return e.computeCompare(ctx, parent, m, met, months, key)
		})
	}
	return e.computeCompare(ctx, parent, m, met, months, key)
}

// computeCompare reads and ranks the comparison of Compare (key empty for an AsOf engine).
func (e *Engine) computeCompare(ctx context.Context, parent string, m schema.Month, met kpi.Metric, months []schema.Month, key string) (c Comparison, err error) {

	md, vers, err := e.loadVersions(ctx, selector{kind: selChildren, id: parent}, months)
	if err != nil {
		return Comparison{}, err
	}
	if key != "" {
		key = cardKey(parent+"|"+met.String(), m, vers)
		defer func() {
			if err == nil {
				e.cacheCompare(key, c)
			}
		}()
	}
	kids, err := e.children(ctx, parent, md)
	if err != nil {
		return Comparison{}, err
	}
	c = Comparison{Parent: parent, Month: m, Metric: met.String(), Children: make([]Ranked, 0, len(kids))}
	for _, b := range kids {
		c.Children = append(c.Children, e.ranked(md, b, m, met))
	}
	rank(c.Children, lowerIsBetter(met.Kind))
	return c, nil
}

// ranked is branch's value of met in month m and its change from m−1, from md (m−2 … m).
func (e *Engine) ranked(md monthData, b string, m schema.Month, met kpi.Metric) Ranked {
	cur := kpi.ComputeCard(e.cfg, e.cat, b, m, md.lookup(m, b), md.lookup(m.Prev(), b))
	prev := kpi.ComputeCard(e.cfg, e.cat, b, m.Prev(), md.lookup(m.Prev(), b), md.lookup(m.Add(-2), b))
	r := Ranked{Branch: b, MetricValue: e.metricValue(&cur, met, md)}
	if pv := e.metricValue(&prev, met, md).Value; pv != nil && r.Value != nil {
		d := *r.Value - *pv
		r.Change = &d
	}
	return r
}

// rank orders rs and numbers them 1 = best: first the reportable values, by value (highest
// first, or lowest when lower), then the values that are not reportable, by value, then the
// branches without a value, by id. Ties go to the smaller branch id.
func rank(rs []Ranked, lower bool) {
	group := func(r Ranked) int {
		switch {
		case r.Value == nil:
			return 2
		case !r.Reportable:
			return 1
		}
		return 0
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if ga, gb := group(a), group(b); ga != gb {
			return ga < gb
		}
		if a.Value != nil && *a.Value != *b.Value {
			if lower {
				return *a.Value < *b.Value
			}
			return *a.Value > *b.Value
		}
		return a.Branch < b.Branch
	})
	for i := range rs {
		rs[i].Rank = i + 1
	}
}

// children lists the known children of parent together with any child present in md, sorted.
func (e *Engine) children(ctx context.Context, parent string, md monthData) ([]string, error) {
	known, err := e.knownSet(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for id := range known {
		if schema.Parent(id) == parent {
			set[id] = true
		}
	}
	for _, bm := range md {
		for id := range bm {
			set[id] = true
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// Scorecard evaluates the scorecard of branch over an assessment period: a period configured in
// the scorecard file, YYYY-Qn, YYYY-MM or YYYY.
func (e *Engine) Scorecard(ctx context.Context, branch, period string) (kpi.ScorecardResult, error) {
	if err := e.checkBranch(ctx, "branch", branch); err != nil {
		return kpi.ScorecardResult{}, err
	}
	rs, err := e.scorecardsAt(ctx, selector{kind: selBranch, id: branch}, period)
	if err != nil {
		return kpi.ScorecardResult{}, err
	}
	return rs[0], nil
}

// ChildScorecards evaluates the scorecard of every known child of parent over period, in
// branch order: one read for all of them (e.g. all provinces under ALL).
func (e *Engine) ChildScorecards(ctx context.Context, parent, period string) ([]kpi.ScorecardResult, error) {
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		return nil, err
	}
	return e.scorecardsAt(ctx, selector{kind: selChildren, id: parent}, period)
}

// scorecardsAt is scorecards, through the as-of cache for an AsOf view.
func (e *Engine) scorecardsAt(ctx context.Context, sel selector, period string) ([]kpi.ScorecardResult, error) {
	if e.asOf.IsZero() {
		return e.scorecards(ctx, sel, period)
	}
	return asOfCached(ctx, e, fmt.Sprintf("scorecards|%d|%s|%s|%d", sel.kind, sel.id, period, e.targetsMoment().UnixNano()), func(ctx context.Context) ([]kpi.ScorecardResult, error) {
		return e.scorecards(ctx, sel, period)
	})
}

// scorecards evaluates the scorecard over period for the branches sel selects: sel.id
// (selBranch), its known children (selChildren), or its known descendants at level (selSubtree).
func (e *Engine) scorecards(ctx context.Context, sel selector, period string, level ...int) ([]kpi.ScorecardResult, error) {
	if e.sc == nil {
		return nil, errNoScorecard
	}
	p, err := e.sc.Period(period)
	if err != nil {
		return nil, &ParamError{Param: "period", Msg: err.Error()}
	}
	if len(p.Months) == 0 {
		return nil, &ParamError{Param: "period", Msg: fmt.Sprintf("%q has no months", period)}
	}
	for _, pm := range p.Months {
		if !pm.Month.Valid() {
			return nil, &ParamError{Param: "period", Msg: fmt.Sprintf("%q: month %d is not a month", period, uint32(pm.Month))}
		}
	}
	// The cards the scorecard reads (the period's months, and a year earlier when it scores
	// improvement) and the month before each (the short-plank improvement reads it).
	scored := e.sc.Months(p)
	set := map[schema.Month]bool{}
	for _, m := range scored {
		set[m], set[m.Prev()] = true, true
	}
	months := make([]schema.Month, 0, len(set))
	for m := range set {
		months = append(months, m)
	}
	sort.Slice(months, func(i, j int) bool { return months[i] < months[j] })
	md, err := e.load(ctx, sel, months)
	if err != nil {
		return nil, err
	}
	branches := []string{sel.id}
	switch sel.kind {
	case selChildren:
		if branches, err = e.children(ctx, sel.id, md); err != nil {
			return nil, err
		}
	case selSubtree:
		if branches, err = e.descendantsAt(ctx, sel.id, level[0], md); err != nil {
			return nil, err
		}
	}
	// With CSAT_SMOOTHED_ALERTS the survey components of cities and counties score their
	// small-area estimates, which need the parent and siblings of each branch.
	sms := map[schema.Month]map[string]kpi.SmoothedSurvey{}
	byParent := map[string][]string{}
	for _, b := range branches {
		if e.cfg.SmoothedAlerts && schema.Level(b) >= smoothLevel {
			byParent[schema.Parent(b)] = append(byParent[schema.Parent(b)], b)
		}
	}
	for parent, kids := range byParent {
		fam, err := e.load(ctx, selector{kind: selFamily, id: parent, surveyOnly: true}, months)
		if err != nil {
			return nil, err
		}
		for _, m := range scored {
			bm := fam[m]
			if bm == nil {
				bm = map[string]*kpi.MonthData{}
			}
			for _, b := range kids {
				if bm[b] == nil {
					bm[b] = &kpi.MonthData{} // a branch without responses still gets an estimate
				}
			}
			if sms[m] == nil {
				sms[m] = map[string]kpi.SmoothedSurvey{}
			}
			for b, sm := range smoothAll(e.cfg, e.cat, bm) {
				sms[m][b] = sm
			}
		}
	}
	out := make([]kpi.ScorecardResult, 0, len(branches))
	for _, b := range branches {
		cards := make(map[schema.Month]*kpi.Card, len(scored))
		for _, m := range scored {
			if md[m][b] == nil {
				continue // no data: the month scores 0 and is missing
			}
			c := kpi.ComputeCard(e.cfg, e.cat, b, m, md.lookup(m, b), md.lookup(m.Prev(), b))
			if sm := sms[m][b]; sm != nil {
				c.ApplySmoothed(sm)
			}
			cards[m] = &c
		}
		out = append(out, e.sc.EvaluateAsOf(b, p, cards, e.targetsMoment()))
	}
	return out, nil
}
