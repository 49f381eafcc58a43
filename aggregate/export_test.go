package aggregate

import (
	"context"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// SetMaxListedDups sets how many repeated hashes a view lists in the SQL before it falls back
// to a subquery, and returns the function that restores it.
func SetMaxListedDups(n int) (restore func()) {
	old := maxListedDups
	maxListedDups = n
	return func() { maxListedDups = old }
}

// LiveCardComputations returns how many live cards e computed alone, not from its card cache or
// a warm set.
func LiveCardComputations(e *Engine) uint64 { return e.st.liveCards.Load() }

// SetAwaitWarmMax sets awaitWarmMax and returns the function that restores it.
func SetAwaitWarmMax(d time.Duration) (restore func()) {
	old := awaitWarmMax
	awaitWarmMax = d
	return func() { awaitWarmMax = old }
}

// ViewSelect takes family f's views of month m now and returns its SELECT (version 1) through
// those views, to be run later.
func (p *Projector) ViewSelect(ctx context.Context, f Family, m schema.Month) (string, error) {
	views, err := p.views(ctx, f, m, true)
	if err != nil {
		return "", err
	}
	return p.gen.withViews(views).selectSQL(f, m, 1)
}

// AsOfComputations returns how many as-of results e (and its AsOf views) computed rather than
// served from the as-of cache.
func AsOfComputations(e *Engine) uint64 { return e.st.asOf.computed.Load() }

// FrontlineSelects takes the frontline family's views of month m now and returns its SELECT
// (version 1) and the reference SELECT it replaced (frontlineSQLRef), both through those views.
func (p *Projector) FrontlineSelects(ctx context.Context, m schema.Month) (cur, ref string, err error) {
	views, err := p.views(ctx, FamilyFrontline, m, true)
	if err != nil {
		return "", "", err
	}
	g := p.gen.withViews(views)
	return g.frontlineSQL(m, 1), g.frontlineSQLRef(m, 1), nil
}

// SetClock sets the clock of p (its versions, its "today" for the bases it keeps).
func (p *Projector) SetClock(now func() time.Time) { p.now = now }

// DriverMomentsOf returns the driver moments e's loader reads for branch over months (at the
// committed versions, or as of e's moment).
func (e *Engine) DriverMomentsOf(ctx context.Context, branch string, months []schema.Month) (stat.CrossMoments, error) {
	var vers map[familyMonth]uint64
	if e.asOf.IsZero() {
		var err error
		if vers, err = e.committed(ctx, months); err != nil {
			return stat.CrossMoments{}, err
		}
	}
	return e.driverMoments(ctx, branch, months, vers)
}

// AsOfPruneCounts returns how many raw tables of fast as-of corrections were bounded by their
// committed version's stamps, and how many of those were not scanned at all.
func AsOfPruneCounts() (pruned, skipped uint64) { return asOfPruned.Load(), asOfSkipped.Load() }

// RowsIngestedBy is the count of raw rows ingested up to t that keys e's as-of cache.
func RowsIngestedBy(ctx context.Context, e *Engine, t time.Time) (uint64, error) {
	return e.rowsIngestedBy(ctx, t)
}

// RawPartsLocal reports whether e counts rows from system.parts (a single server).
func RawPartsLocal(ctx context.Context, e *Engine) (bool, error) { return e.rawPartsLocal(ctx) }

// FreshCounts returns how many raw tables incremental refreshes folded in apart and how many
// events they corrected both ways (fresh.go).
func FreshCounts() (tables, again uint64) { return freshTables.Load(), againEvents.Load() }

// SetSeenAlways makes every seen filter answer "seen" (every event corrected both ways) and
// returns the function that restores it.
func SetSeenAlways(on bool) (restore func()) {
	old := seenAlways
	seenAlways = on
	return func() { seenAlways = old }
}

// SeenBuilds returns how many seen filters p built from a month's rows.
func SeenBuilds(p *Projector) float64 { return testutil.ToFloat64(p.seenBuilds) }

// RawBranchLookups returns how many times e asked the raw tables whether a branch exists.
func RawBranchLookups(e *Engine) uint64 { return e.ls.rawLookups.Load() }

// AsOfSearches returns how many searches for the events that differ as-of reads made.
func AsOfSearches() uint64 { return asOfSearches.Load() }

// LoadSurveyOnly reads, as the small-area estimates of a card do, the survey statistics of
// parent and its children for months.
func (e *Engine) LoadSurveyOnly(ctx context.Context, parent string, months []schema.Month) error {
	_, err := e.load(ctx, selector{kind: selFamily, id: parent, surveyOnly: true}, months)
	return err
}

// SetAlertPointReads sets whether company-wide alerts read the months before m−1 as alert
// points only (selector.points), and returns the function that restores it.
func SetAlertPointReads(on bool) (restore func()) {
	old := alertPointReads
	alertPointReads = on
	return func() { alertPointReads = old }
}

// AlertPointsOf returns the alert points of every branch with data in month m company-wide,
// read as alert points only (points) or as whole cards, live or as of e's moment.
func AlertPointsOf(ctx context.Context, e *Engine, m schema.Month, points bool) (map[string]kpi.AlertPoint, error) {
	md, _, err := e.loadVersions(ctx, selector{kind: selSubtree, id: schema.Root, points: points}, []schema.Month{m})
	if err != nil {
		return nil, err
	}
	ms := kpi.DeclineMetrics(e.cat)
	out := map[string]kpi.AlertPoint{}
	for b, c := range e.monthCards(md, m) {
		out[b] = c.AlertPoint(e.cfg, ms)
	}
	return out, nil
}

// AsOfSides returns how many corrections had no term over their base's rows (every event that
// differed was new since the base) and how many had one.
func AsOfSides() (oneSided, twoSided uint64) { return asOfOneSided.Load(), asOfTwoSided.Load() }
