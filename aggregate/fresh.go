package aggregate

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/bits-and-blooms/bloom/v3"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// Incremental refreshes that read only what the batches added (aggregate/DESIGN.md "Incremental
// refresh: new events apart"). A refresh folds into the committed version prev what the rows
// added since changed: P(B) = P(A) + P_E(B) − P_E(A), E the events of the new rows (and, for
// survey responses, those whose voids changed). An event none of whose copies is among A's
// rows contributes nothing to P(A) and has all its rows of B among the new ones; only the
// others — a resend of an earlier event, a changed void — need their rows in A and B. Which
// is which is told by a Bloom filter of the event ids of the month's rows (seen), kept by the
// projector: an event it has not seen is new for certain, one it may have seen is corrected
// both ways over the whole month, as before. So a refresh scans the month once for the new
// rows' events (narrow columns), then reads the new rows' parts and, for the few repeated
// events, the granules of their branches — where a correction over every event of the batch
// read the month's rows three times.

// seenFP is the false-positive rate of a seen filter at its capacity: a false positive costs
// only a correction of one more event both ways.
const seenFP = 1e-4

// maxFreshEvents bounds the new events one refresh of a raw table folds in apart; beyond it
// (a backlog) the refresh corrects every event both ways as before.
var maxFreshEvents = 500000

// freshTables and againEvents count the raw tables an incremental refresh folded in apart and
// the events it corrected both ways (tests); seenAlways makes every filter answer "seen" (tests:
// every event then takes the path of a resend).
var (
	freshTables, againEvents atomic.Uint64
	seenAlways               bool
)

// maxSeenFilters bounds the filters a projector keeps (a family's raw tables of the months it
// refreshes): the least recently used goes first.
const maxSeenFilters = 24

type seenKey struct {
	f     Family
	table string
	m     schema.Month
}

// seenSet is the Bloom filter of cityHash64(event_id) of the rows of one raw table of a month,
// as one family's recomputes read them: a superset of those of version's rows.
type seenSet struct {
	mu       sync.Mutex
	filter   *bloom.BloomFilter
	version  uint64 // the version whose rows' ids it holds (0: none; rebuild before use)
	n, limit uint   // ids added; the capacity it was sized for
	used     time.Time
}

func hashKey(h uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], h)
	return b[:]
}

// seenFilters holds a projector's filters.
type seenFilters struct {
	mu   sync.Mutex
	sets map[seenKey]*seenSet
}

// get returns the set of k, created empty (version 0) when missing; the least recently used
// set goes when there are too many.
func (s *seenFilters) get(k seenKey, now time.Time) *seenSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sets == nil {
		s.sets = map[seenKey]*seenSet{}
	}
	set := s.sets[k]
	if set == nil {
		if len(s.sets) >= maxSeenFilters {
			var oldest seenKey
			first := true
			for key, o := range s.sets {
				if first || o.used.Before(s.sets[oldest].used) {
					oldest, first = key, false
				}
			}
			delete(s.sets, oldest)
		}
		set = &seenSet{}
		s.sets[k] = set
	}
	set.used = now
	return set
}

// seenFilter returns the seen set of (f, table, m), locked (the caller unlocks it), holding the
// ids of every row of prev's view (prevView: its rows of table): built from those rows when it
// holds another version's. Built from the rows present now it would also hold the rows added
// since, every one of which would then be taken for a resend.
func (p *Projector) seenFilter(ctx context.Context, f Family, table string, m schema.Month, prev uint64, prevView *rawView) (*seenSet, error) {
	set := p.seen.get(seenKey{f, table, m}, p.now())
	set.mu.Lock()
	if set.version == prev && set.filter != nil && set.n <= set.limit {
		return set, nil
	}
	if err := p.buildSeen(ctx, set, table, m, prev, prevView); err != nil {
		set.mu.Unlock()
		return nil, fmt.Errorf("seen ids of %s %s: %w", table, m, err)
	}
	p.seenBuilds.Inc()
	return set, nil
}

// buildSeen fills set, locked, with the ids of prevView's rows of table in month m (version prev).
func (p *Projector) buildSeen(ctx context.Context, set *seenSet, table string, m schema.Month, prev uint64, prevView *rawView) error {
	if prevView == nil {
		return fmt.Errorf("version %d has no view of it", prev)
	}
	rows := prevView.rows
	if rows == 0 {
		// A view recorded without its count: count the month's rows (an upper bound).
		if err := p.conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s WHERE month = %d", p.table(table), uint32(m))).Scan(&rows); err != nil {
			return err
		}
	}
	// Room for the month to double (or grow by a million ids) before it is rebuilt.
	limit := uint(max(2*rows, rows+1000000))
	filter := bloom.NewWithEstimates(limit, seenFP)
	var n uint
	err := p.scanRows(ctx, fmt.Sprintf("SELECT cityHash64(event_id) FROM %s WHERE month = %d%s", p.table(table), uint32(m), prevView.cond()), func(r driver.Rows) error {
		var h uint64
		if err := r.Scan(&h); err != nil {
			return err
		}
		filter.Add(hashKey(h))
		n++
		return nil
	})
	if err != nil {
		return err
	}
	set.filter, set.version, set.n, set.limit = filter, prev, n, limit
	return nil
}

// freshFold is what an incremental refresh of one family found: per raw table the condition
// that keeps the new rows of the events seen nowhere before (fresh) and the one that keeps the
// rows of the events corrected both ways (again); and the seen sets to advance once the new
// version is written.
type freshFold struct {
	fresh, again map[string]string // again: " AND 0" for a table with no such event
	sets         []*seenSet
	added        [][]uint64 // per set, the hashes of the new rows' events
}

// release unlocks the fold's seen sets, advancing them to version v when v is not 0 (the fold's
// version is written: its rows' ids are now all in).
func (ff *freshFold) release(v uint64) {
	for i, s := range ff.sets {
		if v != 0 && i < len(ff.added) {
			for _, h := range ff.added[i] {
				s.filter.Add(hashKey(h))
			}
			s.n += uint(len(ff.added[i]))
			s.version = v
		}
		s.mu.Unlock()
	}
}

// freshEvents splits the events of the rows added between base's views and target's (and, for
// survey responses, of the voids that changed) into those the seen filter has not seen — new for
// certain — and the rest. nil (and no error) when a table has more new events than
// maxFreshEvents: the caller then corrects every event both ways. The returned fold holds the
// seen sets locked until release.
func (p *Projector) freshEvents(ctx context.Context, f Family, m schema.Month, base, target sqlGen, prev uint64) (_ *freshFold, err error) {
	ff := &freshFold{fresh: map[string]string{}, again: map[string]string{}}
	done := false
	defer func() {
		if !done {
			ff.release(0)
		}
	}()
	for _, t := range sourceTables(f) {
		set, err := p.seenFilter(ctx, f, t, m, prev, base.views[t])
		if err != nil {
			return ff, err
		}
		ff.sets = append(ff.sets, set)
		var (
			added    []uint64
			again    []string
			branches = map[string]bool{}
			lo       = int64(-1)
			n        int
		)
		// The new rows: in target's view and not in base's (views only grow).
		q := fmt.Sprintf(`SELECT event_id, any(branch_id), cityHash64(event_id), toInt64(toUInt32(min(ingested_at)))
FROM %s WHERE month = %d AND (1%s) != (1%s) GROUP BY event_id LIMIT %d`,
			target.table(t), uint32(m), base.rows(t), target.rows(t), maxFreshEvents+1)
		err = scanRows(ctx, p.conn, q, func(rows driver.Rows) error {
			var (
				id, branch string
				h          uint64
				first      int64
			)
			if err := rows.Scan(&id, &branch, &h, &first); err != nil {
				return err
			}
			n++
			if lo < 0 || first < lo {
				lo = first
			}
			added = append(added, h)
			if seenAlways || set.filter.Test(hashKey(h)) {
				again = append(again, id)
				branches[branch] = true
			}
			return nil
		})
		if err != nil {
			return ff, fmt.Errorf("new events of %s %s: %w", t, m, err)
		}
		if n > maxFreshEvents {
			return nil, nil // the deferred release unlocks the sets
		}
		ff.added = append(ff.added, added)
		freshTables.Add(1)
		if v := store.SurveyVoids.Name(); t == store.SurveyResponses.Name() && !sameBounds(base.views[v], target.views[v]) {
			// The responses whose voids changed (a void names no branch: any branch).
			q := fmt.Sprintf("SELECT DISTINCT target_event_id FROM %s WHERE (1%s) != (1%s) AND target_event_id IN (SELECT event_id FROM %s WHERE month = %d%s)",
				target.table(v), base.rows(v), target.rows(v), target.table(t), uint32(m), target.rows(t))
			voided := false
			err := scanRows(ctx, p.conn, q, func(rows driver.Rows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				again, voided = append(again, id), true
				return nil
			})
			if err != nil {
				return ff, fmt.Errorf("changed voids of %s %s: %w", t, m, err)
			}
			if voided {
				branches = nil // any branch
			}
		}
		// The fresh arm: the new rows of the events not in again. lo bounds their stamps, which
		// keeps the scan to the parts ingested since (every part records its range of
		// ingested_at).
		ff.fresh[t] = " AND 0"
		if n > 0 {
			ff.fresh[t] = fmt.Sprintf(" AND NOT (1%s) AND ingested_at >= toDateTime(%d)", base.views[t].cond(), lo)
			if len(again) > 0 {
				ff.fresh[t] += " AND event_id NOT IN (" + stringSet(again) + ")"
			}
		}
		// The again arm: every row of those events, on both sides; their branches keep the scans
		// to those branches' granules (the sort key is month, branch_id, event_id).
		if len(again) == 0 {
			ff.again[t] = " AND 0"
			continue
		}
		againEvents.Add(uint64(len(again)))
		cond := ""
		if branches != nil {
			bs := make([]string, 0, len(branches))
			for b := range branches {
				bs = append(bs, b)
			}
			cond = " AND branch_id IN (" + stringSet(bs) + ")"
		}
		ff.again[t] = cond + " AND event_id IN (" + stringSet(again) + ")"
	}
	done = true
	return ff, nil
}

// freshInsertSQL is the INSERT of version v of (f, m) from the committed version prev: prev's
// rows, plus P over the new rows of the fresh events, plus P_R(target) − P_R(base) for the
// events R corrected both ways.
func freshInsertSQL(g sqlGen, base sqlGen, f Family, m schema.Month, v, prev uint64, ff *freshFold) (string, error) {
	spec := famSpecs[f]
	arms := []corrArm{{g.withOnly(ff.fresh), false}}
	if keepsEvents(ff.again) {
		arms = append(arms, corrArm{g.withOnly(ff.again), false}, corrArm{base.withOnly(ff.again), true})
	}
	sel, err := correctionArms(f, m, spec, g, prev, "1", arms)
	if err != nil {
		return "", err
	}
	return projectionInsert(g, f, v, spec, sel), nil
}

// projectionInsert is the INSERT of version v of family f's projection from sel, a SELECT of
// spec's keys and sums.
func projectionInsert(g sqlGen, f Family, v uint64, spec famSpec, sel string) string {
	cols := spec.keys[1:] // month first, then version
	for _, c := range spec.vals {
		cols = append(cols, c.name)
	}
	extraCols, extraVals := "", ""
	if f == FamilyComplaints {
		extraCols, extraVals = ", sla_hours", ", "+floatLit(g.sla)
	}
	list := strings.Join(cols, ", ")
	return fmt.Sprintf("INSERT INTO %s (month, version, %s%s)\nSELECT month, toUInt64(%d), %s%s FROM (%s)",
		g.table(f.Table()), list, extraCols, v, list, extraVals, sel)
}

// sameBounds reports whether two views read the same rows (the same offsets everywhere): no row
// can differ between them.
func sameBounds(a, b *rawView) bool {
	if a == nil || b == nil || len(a.bounds) != len(b.bounds) {
		return false
	}
	for topic, as := range a.bounds {
		bs, ok := b.bounds[topic]
		if !ok || !slices.Equal(as, bs) {
			return false
		}
	}
	return true
}
