package aggregate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// Fast as-of reads (aggregate/DESIGN.md "As of a moment: bases and corrections"). The statistics
// of (family f, month m) as of t are P(R_t), P the projector's SELECT and R_t the raw rows
// ingested up to t. A base B is a kept projection version whose rows are exactly known (bases.go):
// P(B) is stored. Every statistic is a sum over events, each event contributing what its first
// copy (and, for a response, the absence of a void) gives in the rows at hand, so
//
//	P(R_t) = P(B) + P_E(R_t) − P_E(B)
//
// where E is every event whose raw rows (or voids) differ between B and R_t, and P_E is P over
// the rows of E's events only: the events of E are re-evaluated whole on both sides (their first
// copy, their voids), the others are equal on both. The read sums the base's rows and the two
// corrections per key and keeps the keys with a count (a key exists in P exactly when one of
// its counts is above 0). The counts are exact integers; a sum of floats is the same sum
// regrouped, equal to the reference to the last bits of a float.

// asOfBase is the base an as-of read of one (family, month) starts from.
type asOfBase struct {
	version uint64
	asOf    time.Time           // a checkpoint's moment; zero for a live version
	views   map[string]*rawView // the version's views (the offsets of the rows it read)
	current bool                // the committed version, which a recompute may drop meanwhile
	// all, when not nil, are the views of the committed version of (family, month) while no
	// dirty mark is as new as it: every raw row of the month is then in them (pruning), and
	// committed is that version.
	all       map[string]*rawView
	committed uint64
}

// valKind is the type of a projection column summed by a corrected read.
type valKind int

const (
	valCount valKind = iota // UInt64
	valFloat                // Float64
	valArray                // Array(Float64), summed element-wise
)

type valSpec struct {
	name string
	kind valKind
}

// famSpec describes a corrected family's projection: its key columns, its summed columns, and
// the counts whose sum is above 0 exactly for the keys P produces.
type famSpec struct {
	keys    []string
	vals    []valSpec
	present []string
}

func counts(names ...string) []valSpec {
	out := make([]valSpec, len(names))
	for i, n := range names {
		out[i] = valSpec{n, valCount}
	}
	return out
}

var famSpecs = map[Family]famSpec{
	FamilySurvey: {keys: []string{"month", "branch_id", "parent_id", "level", "carrier", "item"},
		vals:    []valSpec{{"n", valCount}, {"sw", valFloat}, {"sw2", valFloat}, {"swx", valFloat}, {"swx2", valFloat}},
		present: []string{"n"}},
	FamilyDrivers: {keys: []string{"month", "branch_id", "parent_id", "level", "carrier", "items"},
		vals: []valSpec{{"n", valCount}, {"sw", valFloat}, {"swx", valArray}, {"swxx", valArray}, {"swy", valFloat},
			{"swxy", valArray}, {"swy2", valFloat}},
		present: []string{"n"}},
	FamilyWindow: {keys: []string{"month", "branch_id", "parent_id", "level", "store_id"},
		vals: counts("hotline_n", "hotline_satisfied", "hotline_resolved", "hotline_wait_sum", "hotline_sl20",
			"store_n", "store_satisfied", "store_wait_sum", "hotline_handle_sum"),
		present: []string{"hotline_n", "store_n"}},
	FamilyComplaints: {keys: []string{"month", "branch_id", "parent_id", "level"},
		vals: append(counts("opened", "escalated", "closed", "closed_within_sla"), valSpec{"resolution_hours_sum", valFloat},
			valSpec{"callback_n", valCount}, valSpec{"callback_satisfied", valCount}),
		present: []string{"opened", "closed"}},
	FamilyChurn: {keys: []string{"month", "branch_id", "parent_id", "level"},
		vals:    counts("churned", "churned_high", "churned_mid", "churned_low"),
		present: []string{"churned"}},
}

// signed is the columns of one arm of a corrected read: keys, then each summed column as d_<name>,
// negated when neg.
func (s famSpec) signed(neg bool) string {
	cols := append([]string(nil), s.keys...)
	for _, v := range s.vals {
		var e string
		switch v.kind {
		case valCount:
			e = "toInt64(" + v.name + ")"
			if neg {
				e = "-" + e
			}
		case valFloat:
			e = v.name
			if neg {
				e = "-" + e
			}
		case valArray:
			e = v.name
			if neg {
				e = "arrayMap(x -> -x, " + v.name + ")"
			}
		}
		cols = append(cols, e+" AS d_"+v.name)
	}
	return strings.Join(cols, ", ")
}

// sums is the outer SELECT list of a corrected read: keys, then each summed column under its name.
func (s famSpec) sums() string {
	cols := append([]string(nil), s.keys...)
	for _, v := range s.vals {
		switch v.kind {
		case valCount:
			cols = append(cols, fmt.Sprintf("toUInt64(sum(d_%[1]s)) AS %[1]s", v.name))
		case valFloat:
			cols = append(cols, fmt.Sprintf("sum(d_%[1]s) AS %[1]s", v.name))
		case valArray:
			cols = append(cols, fmt.Sprintf("sumForEach(d_%[1]s) AS %[1]s", v.name))
		}
	}
	return strings.Join(cols, ", ")
}

func (s famSpec) plain() string {
	cols := append([]string(nil), s.keys...)
	for _, v := range s.vals {
		cols = append(cols, v.name)
	}
	return strings.Join(cols, ", ")
}

func (s famSpec) having() string {
	ps := make([]string, len(s.present))
	for i, p := range s.present {
		ps[i] = "sum(d_" + p + ")"
	}
	return strings.Join(ps, " + ") + " > 0"
}

// correctedSQL is family f's statistics of month m as of target.asOf from base b, for the rows
// of the projection that where selects (a condition on branch_id and parent_id), all of whose
// events are in root's subtree: the events re-evaluated are those of root's subtree only.
// (Copies of an event are the same event: they name the same branch.)
func (l *loader) correctedSQL(ctx context.Context, f Family, m schema.Month, b asOfBase, where, root string) (string, error) {
	target := newSQLGen("", l.cat, l.cfg.ComplaintSLAHours, l.asOf)
	base := newSQLGenFrom(target, b.asOf).withViews(b.views)
	if b.all != nil {
		guardAsOf(ctx, familyMonth{f, m}, b.committed)
	}
	only, err := eventsToCorrect(ctx, l.conn, f, m, base, target, root, b.all)
	if err != nil {
		return "", err
	}
	return correctionSQL(f, m, famSpecs[f], base, target, b.version, where, only)
}

// corrEvents is what eventsToCorrect found: per raw table, the condition that restricts a scan
// to the events that differ (target), and to those of them with a row among the base's rows
// (base: P over the base's rows of the others is nothing).
type corrEvents struct {
	target, base map[string]string
}

// maxInlineEvents bounds the event ids of one raw table a correction lists in its SQL (as the
// repeated hashes are: one array literal); beyond it, the correction selects them by a subquery
// in each of its scans.
var maxInlineEvents = 20000

// eventsToCorrect finds, per raw table of family f, the events of month m (in root's subtree)
// whose rows differ between base's rows and target's — for survey_responses also the responses
// whose voids differ — and returns the condition that restricts a scan of the table to them
// (only.target); nil when no event differs (the base is the answer as it is). all, when not nil,
// holds every raw row of the month (asOfBase.all): its stamps bound the ingested_at of the rows
// that can differ, so a table none of whose rows can is not scanned, and the scans read only the
// partitions and parts of those stamps (stampPrune).
//
// Below the root (a card, a comparison: few events) the search also tells, per event, whether it
// has a row among the base's rows (only.base keeps those): most events that differ are new since
// the base, and their term over the base's rows is nothing — when none of a family's are seen,
// that term (a scan of each raw table, ~60–100 ms on ClickHouse 18.16 whatever it keeps) is not
// computed at all. Company-wide, where that look costs a scan of the month, both terms read
// every event that differs.
func eventsToCorrect(ctx context.Context, conn driver.Conn, f Family, m schema.Month, base, target sqlGen, root string, all map[string]*rawView) (*corrEvents, error) {
	scope := ""
	if root != schema.Root {
		scope = " AND " + subtreeCond(root)
	}
	only := &corrEvents{target: map[string]string{}, base: map[string]string{}}
	some := false
	for _, t := range sourceTables(f) {
		// monthRange bounds every row of the month (all of them are in all[t]); diffRange the
		// rows that differ.
		monthRange, diffRange, differ := "", "", true
		if p, ok := stampPrune(base.views[t], base.asOf, all[t], target.asOf); ok {
			monthRange, diffRange, differ = p.month, p.diff, p.differ
			asOfPruned.Add(1)
		}
		var arms []string
		if differ {
			arms = append(arms, fmt.Sprintf("SELECT event_id AS e FROM %s WHERE month = %d%s%s AND (1%s) != (1%s)",
				target.table(t), uint32(m), scope, diffRange, base.rows(t), target.rows(t)))
		}
		if t == store.SurveyResponses.Name() {
			// The voids that differ, of the month's responses only (a void names no month of its
			// target): every other month's correction would otherwise list them all, and scan
			// its month for them in vain.
			v := store.SurveyVoids.Name()
			voidRange, voidsDiffer := "", true
			if p, ok := stampPrune(base.views[v], base.asOf, all[v], target.asOf); ok {
				voidRange, voidsDiffer = p.diff, p.differ
			}
			if voidsDiffer {
				arms = append(arms, fmt.Sprintf("SELECT target_event_id AS e FROM %s WHERE (1%s) != (1%s)%s AND target_event_id IN (SELECT event_id FROM %s WHERE month = %d%s%s)",
					target.table(v), base.rows(v), target.rows(v), voidRange, target.table(t), uint32(m), scope, monthRange))
			}
		}
		if len(arms) == 0 {
			asOfSkipped.Add(1)
			only.target[t], only.base[t] = " AND 0", " AND 0"
			continue
		}
		asOfSearches.Add(1)
		diff := strings.Join(arms, "\n    UNION ALL ")
		q := fmt.Sprintf("SELECT DISTINCT e, toUInt8(1) FROM (%s) LIMIT %d", diff, maxInlineEvents+1)
		if scope != "" {
			// The rows of those events, and whether one of each is among the base's rows (the
			// base's term scans exactly these rows, restricted to the base's).
			// GLOBAL: on a cluster the search runs once, on the initiator (see dedupSemi).
			q = fmt.Sprintf("SELECT event_id, max(1%s) FROM %s WHERE month = %d%s%s AND event_id GLOBAL IN (SELECT e FROM (%s)) GROUP BY event_id LIMIT %d",
				base.rows(t), target.table(t), uint32(m), scope, monthRange, diff, maxInlineEvents+1)
		}
		var ids, seen []string
		err := scanRows(ctx, conn, q, func(rows driver.Rows) error {
			var (
				id     string
				inBase uint8
			)
			err := rows.Scan(&id, &inBase)
			ids = append(ids, id)
			if inBase != 0 {
				seen = append(seen, id)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("events to correct in %s %s: %w", t, m, err)
		}
		set := func(ids []string) string {
			if len(ids) == 0 {
				return " AND 0"
			}
			return fmt.Sprintf("%s%s AND event_id IN (%s)", scope, monthRange, stringSet(ids))
		}
		switch {
		case len(ids) == 0:
			only.target[t], only.base[t] = " AND 0", " AND 0"
		case len(ids) > maxInlineEvents:
			some = true
			only.target[t] = fmt.Sprintf("%s%s AND event_id GLOBAL IN (%s)", scope, monthRange, diff)
			only.base[t] = only.target[t]
		default:
			some = true
			only.target[t], only.base[t] = set(ids), set(seen)
		}
	}
	if !some {
		return nil, nil
	}
	return only, nil
}

// asOfPruned and asOfSkipped count the raw tables of (family, month) corrections whose scans
// stampPrune bounded, and those it found nothing could differ in (not scanned): for tests.
var asOfPruned, asOfSkipped atomic.Uint64

// asOfOneSided counts the corrections whose events that differ were all new since the base (no
// term over the base's rows), asOfTwoSided the others: for tests.
var asOfOneSided, asOfTwoSided atomic.Uint64

// asOfSearches counts the searches for the events that differ (one query per raw table of a
// (family, month) correction that was not skipped): for tests.
var asOfSearches atomic.Uint64

// pruning is what stampPrune found for one raw table: conditions (" AND …") on ingested_at that
// keep every row of the month (month) and every row that differs between the base and the
// target (diff), and whether any row can differ at all.
type pruning struct {
	month, diff string
	differ      bool
}

// stampPrune bounds, from the stamps of all (the view of the committed version, which holds
// every row of the month: asOfBase.all), the ingested_at of the rows that differ between a base
// (the rows of view base, and when baseAsOf is not zero only those ingested up to it) and the
// rows ingested up to t. Per partition p of all, whose rows were ingested from s0 to s1:
//
//   - rows not in the base's view (its offset below all's) differ when ingested up to t:
//     [s0, min(s1, t)];
//   - rows in the base ingested after t differ: [max(s0, t+1), s1], or up to baseAsOf;
//   - a checkpoint's rows in its view ingested after baseAsOf differ when ingested up to t:
//     [max(s0, baseAsOf+1), min(s1, t)].
//
// A partition whose stamps are empty (s0 > s1: voids, none of which targets the month's
// responses) is skipped. ok is false when all or a stamp is unknown (no pruning: every
// partition is read).
func stampPrune(base *rawView, baseAsOf time.Time, all *rawView, t time.Time) (pruning, bool) {
	if all == nil || all.stamps == nil {
		return pruning{}, false
	}
	T := t.Unix()
	var (
		lo, hi      int64 = math.MaxInt64, math.MinInt64
		first, last int64 = math.MaxInt64, math.MinInt64
		add               = func(a, b int64) {
			if a <= b {
				lo, hi = min(lo, a), max(hi, b)
			}
		}
	)
	for topic, offs := range all.bounds {
		stamps := all.stamps[topic]
		for p, off := range offs {
			if off < 0 {
				continue // no row of the month there
			}
			if 2*p+1 >= len(stamps) || stamps[2*p] < 0 || stamps[2*p+1] < 0 {
				return pruning{}, false
			}
			s0, s1 := stamps[2*p], stamps[2*p+1]
			if s0 > s1 {
				continue // none of the rows there concerns the month (voidStamps)
			}
			first, last = min(first, s0), max(last, s1)
			baseOff := int64(-1)
			if base != nil && p < len(base.bounds[topic]) {
				baseOff = base.bounds[topic][p]
			}
			if baseOff < off {
				add(s0, min(s1, T))
			}
			if baseAsOf.IsZero() {
				add(max(s0, T+1), s1)
			} else {
				A := baseAsOf.Unix()
				add(max(s0, T+1), min(s1, A))
				add(max(s0, A+1), min(s1, T))
			}
		}
	}
	if first > last {
		// No row of the month at all: nothing can differ.
		return pruning{month: " AND 0", diff: " AND 0"}, true
	}
	out := pruning{month: stampCond(first, last)}
	if lo <= hi {
		out.diff, out.differ = stampCond(lo, hi), true
	}
	return out, true
}

// stampCond is the condition (" AND …") that ingested_at is from lo to hi (Unix seconds).
func stampCond(lo, hi int64) string {
	return fmt.Sprintf(" AND ingested_at >= toDateTime(%d) AND ingested_at <= toDateTime(%d)", lo, hi)
}

// correctionSQL is family f's statistics of month m over target's rows, from the projection
// version baseVersion over base's rows: its rows that where selects, plus P_E(target) − P_E(base)
// for the events E that only selects (none when only is nil; the second term over only.base's,
// and not at all when that keeps no event).
func correctionSQL(f Family, m schema.Month, spec famSpec, base, target sqlGen, baseVersion uint64, where string, only *corrEvents) (string, error) {
	if only == nil {
		return fmt.Sprintf("SELECT %s FROM %s WHERE month = %d AND version = %d AND %s",
			spec.plain(), target.table(f.Table()), uint32(m), baseVersion, where), nil
	}
	arms := []corrArm{{target.withOnly(only.target), false}}
	if keepsEvents(only.base) {
		arms = append(arms, corrArm{base.withOnly(only.base), true})
		asOfTwoSided.Add(1)
	} else {
		asOfOneSided.Add(1)
	}
	return correctionArms(f, m, spec, target, baseVersion, where, arms)
}

// keepsEvents reports whether a restriction of raw tables to events (sqlGen.only, " AND 0" for a
// table with none) keeps some event of some table.
func keepsEvents(only map[string]string) bool {
	for _, c := range only {
		if c != " AND 0" {
			return true
		}
	}
	return false
}

// corrArm is one term of a correction: P over g's rows (g.only restricting them to some
// events), subtracted when neg.
type corrArm struct {
	g   sqlGen
	neg bool
}

// correctionArms is the rows of version baseVersion of family f's projection of month m that
// where selects, plus (or minus) each arm's statistics, summed per key; a key is kept when one
// of its counts is above 0.
func correctionArms(f Family, m schema.Month, spec famSpec, g sqlGen, baseVersion uint64, where string, arms []corrArm) (string, error) {
	parts := []string{fmt.Sprintf("SELECT %s FROM %s WHERE month = %d AND version = %d AND %s",
		spec.signed(false), g.table(f.Table()), uint32(m), baseVersion, where)}
	for _, a := range arms {
		sel, err := a.g.selectSQL(f, m, 0)
		if err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("SELECT %s FROM (%s) WHERE %s", spec.signed(a.neg), sel, where))
	}
	return fmt.Sprintf(`SELECT %s FROM (
  %s
) GROUP BY %s HAVING %s`, spec.sums(), strings.Join(parts, "\n  UNION ALL\n  "), strings.Join(spec.keys, ", "), spec.having()), nil
}

// incrementalInsertSQL is the INSERT of version v of (f, m) over the rows of g's views, from the
// committed version prev over the rows of prevViews: prev's rows corrected by the events the rows
// added since changed, every one of them both ways (freshInsertSQL tells the new events apart).
func (p *Projector) incrementalInsertSQL(ctx context.Context, g sqlGen, f Family, m schema.Month, v, prev uint64, prevViews map[string]*rawView) (string, error) {
	spec := famSpecs[f]
	base := newSQLGenFrom(g, time.Time{}).withViews(prevViews)
	only, err := eventsToCorrect(ctx, p.conn, f, m, base, g, schema.Root, nil)
	if err != nil {
		return "", err
	}
	sel, err := correctionSQL(f, m, spec, base, g, prev, "1", only)
	if err != nil {
		return "", err
	}
	return projectionInsert(g, f, v, spec, sel), nil
}

// newSQLGenFrom returns g reading the raw rows ingested up to asOf (zero: all), without views
// or restrictions.
func newSQLGenFrom(g sqlGen, asOf time.Time) sqlGen {
	g.asOf, g.views, g.only = asOf, nil, nil
	return g
}

// asOfSource is family f's statistics for months as of l.asOf: per month corrected from its
// base, or computed from the raw rows where it has none.
func (l *loader) asOfSource(ctx context.Context, f Family, months []schema.Month, bases map[familyMonth]asOfBase, where, root string) (string, error) {
	g := newSQLGen("", l.cat, l.cfg.ComplaintSLAHours, l.asOf)
	spec, ok := famSpecs[f]
	parts := make([]string, 0, len(months))
	for _, m := range months {
		b, has := bases[familyMonth{f, m}]
		if !ok || !has || l.asOfRef {
			q, err := g.selectSQL(f, m, 0)
			if err != nil {
				return "", err
			}
			if ok {
				q = "SELECT " + spec.plain() + " FROM (" + q + ")"
			}
			parts = append(parts, q)
			continue
		}
		q, err := l.correctedSQL(ctx, f, m, b, where, root)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
	}
	return unionSubquery(parts), nil
}

// asOfBases chooses, for every (family, month) of fams × months, the kept base nearest to
// l.asOf: a checkpoint, the last committed version of a past day, or the committed version.
// (family, month) pairs without one are absent (their reads compute from the raw rows).
func (l *loader) asOfBases(ctx context.Context, fams []Family, months []schema.Month) (map[familyMonth]asOfBase, error) {
	if l.asOfRef || len(months) == 0 {
		return nil, nil
	}
	fs := make([]string, len(fams))
	for i, f := range fams {
		fs[i] = string(f)
	}
	ms := make([]string, len(months))
	for i, m := range months {
		ms[i] = fmt.Sprint(uint32(m))
	}
	in := fmt.Sprintf("family IN (%s) AND month IN (%s)", store.QuoteStrings(fs), strings.Join(ms, ", "))
	type cand struct {
		asOfBase
		at time.Time
	}
	cands := map[familyMonth][]cand{}
	// The last version of a day is kept once the day is over by the projector's clock; an hour's
	// margin here covers clocks that disagree around midnight.
	today := l.now().Add(-time.Hour).UTC().Truncate(24 * time.Hour).UnixNano()
	// The committed versions per (family, month) and day: the last of every past day is kept,
	// the greatest is the committed one.
	q := fmt.Sprintf(`SELECT family, month, max(version) FROM %s WHERE %s GROUP BY family, month, intDiv(version, %d)`,
		store.VersionsTable, in, int64(24*time.Hour))
	latest := map[familyMonth]uint64{}
	var live []struct {
		fm familyMonth
		v  uint64
	}
	if err := l.scan(ctx, q, func(f string, m uint32, v uint64, _ string) {
		fm := familyMonth{Family(f), schema.Month(m)}
		live = append(live, struct {
			fm familyMonth
			v  uint64
		}{fm, v})
		latest[fm] = max(latest[fm], v)
	}); err != nil {
		return nil, fmt.Errorf("as-of bases: %w", err)
	}
	var keys []string
	for _, c := range live {
		keys = append(keys, fmt.Sprintf("(%s, %d, %d)", quote(string(c.fm.family)), uint32(c.fm.month), c.v))
	}
	bounds := map[familyMonth]map[uint64]string{}
	committedViews := map[familyMonth]map[string]*rawView{}
	if len(keys) > 0 {
		q = fmt.Sprintf(`SELECT family, month, version, bounds FROM %s WHERE %s AND as_of = toDateTime(0) AND (family, month, version) IN (%s)`,
			store.BasesTable, in, strings.Join(keys, ", "))
		if err := l.scan(ctx, q, func(f string, m uint32, v uint64, b string) {
			fm := familyMonth{Family(f), schema.Month(m)}
			if bounds[fm] == nil {
				bounds[fm] = map[uint64]string{}
			}
			bounds[fm][v] = b
		}); err != nil {
			return nil, fmt.Errorf("as-of bases: %w", err)
		}
	}
	for _, c := range live {
		b, ok := bounds[c.fm][c.v]
		if !ok {
			continue // a version from before bases were recorded
		}
		current := c.v == latest[c.fm]
		if c.v >= uint64(today) && !current {
			continue // not kept: today's versions are dropped as newer ones are committed
		}
		var vb viewBounds
		if err := json.Unmarshal([]byte(b), &vb); err != nil {
			return nil, fmt.Errorf("as-of bases: bounds of %s %s version %d: %w", c.fm.family, c.fm.month, c.v, err)
		}
		// The committed version is checked to be still there after the read (stillThere): a
		// recompute drops it once a second newer one is committed.
		views := vb.views()
		cands[c.fm] = append(cands[c.fm], cand{asOfBase{version: c.v, views: views, current: current},
			time.Unix(0, int64(c.v))})
		if current {
			committedViews[c.fm] = views
		}
	}
	// Every raw row of (family, month) is in its committed version's views while no dirty mark
	// is as new as that version (ingest marks after the rows land; a recompute's views are
	// taken after its version): the reads prune by those views' stamps (stampPrune).
	marks, err := l.dirtyMarks(ctx)
	if err != nil {
		return nil, fmt.Errorf("as-of bases: %w", err)
	}
	q = fmt.Sprintf(`SELECT family, month, version, concat(toString(toUInt32(as_of)), ' ', bounds) FROM %s WHERE %s AND as_of > toDateTime(0)`, store.BasesTable, in)
	var perr error
	if err := l.scan(ctx, q, func(f string, m uint32, v uint64, s string) {
		at, b, _ := strings.Cut(s, " ")
		var (
			sec int64
			vb  viewBounds
		)
		if _, err := fmt.Sscan(at, &sec); err != nil {
			perr = err
			return
		}
		if err := json.Unmarshal([]byte(b), &vb); err != nil {
			perr = fmt.Errorf("bounds of checkpoint %s %d version %d: %w", f, m, v, err)
			return
		}
		fm := familyMonth{Family(f), schema.Month(m)}
		cands[fm] = append(cands[fm], cand{asOfBase{version: v, asOf: time.Unix(sec, 0).UTC(), views: vb.views()}, time.Unix(sec, 0)})
	}); err != nil {
		return nil, fmt.Errorf("as-of bases: %w", err)
	}
	if perr != nil {
		return nil, fmt.Errorf("as-of bases: %w", perr)
	}
	out := map[familyMonth]asOfBase{}
	for fm, cs := range cands {
		sort.Slice(cs, func(i, j int) bool {
			di, dj := absDur(cs[i].at.Sub(l.asOf)), absDur(cs[j].at.Sub(l.asOf))
			if di != dj {
				return di < dj
			}
			return cs[i].version > cs[j].version
		})
		b := cs[0].asOfBase
		if v := latest[fm]; committedViews[fm] != nil && marks[markedAs(fm)] < v {
			b.all, b.committed = committedViews[fm], v
		}
		out[fm] = b
	}
	return out, nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// scan runs q, whose rows are (family, month, version[, a string]), and calls each per row.
func (l *loader) scan(ctx context.Context, q string, each func(f string, m uint32, v uint64, s string)) error {
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := len(rows.Columns())
	for rows.Next() {
		var (
			f string
			m uint32
			v uint64
			s string
		)
		dest := []any{&f, &m, &v, &s}[:n]
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		each(f, m, v, s)
	}
	return rows.Err()
}

// stillThere reports whether the committed versions among bases are still readable: a
// recompute drops a version once a second newer one is committed (loader.readable).
func (l *loader) stillThere(ctx context.Context, bases map[familyMonth]asOfBase) (bool, error) {
	vers := map[familyMonth]uint64{}
	for fm, b := range bases {
		if b.current {
			vers[fm] = b.version
		}
	}
	if len(vers) == 0 {
		return true, nil
	}
	after, err := l.committed(ctx, monthsOf(vers))
	if err != nil {
		return false, err
	}
	for fm := range after {
		if _, ok := vers[fm]; !ok {
			delete(after, fm)
		}
	}
	return l.readable(ctx, vers, after)
}
