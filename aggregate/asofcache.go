package aggregate

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// EarliestAsOf is the earliest moment an AsOf view answers for: no event occurs before
// 2000-01-01 (SPEC §2.1, occurred_at), so none can have been ingested before it.
var EarliestAsOf = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// CheckAsOf returns a *ParamError (parameter as_of) for a moment before EarliestAsOf — the
// zero time included, which AsOf takes for "no as-of" — and nil otherwise.
func CheckAsOf(t time.Time) error {
	if t.Before(EarliestAsOf) {
		return &ParamError{Param: "as_of", Msg: fmt.Sprintf("%s is before %s: no event can have been ingested by then",
			t.UTC().Format(time.RFC3339), EarliestAsOf.Format(time.RFC3339))}
	}
	return nil
}

// maxAsOfEntries bounds the as-of results kept (the cache is emptied when full).
const maxAsOfEntries = 512

// asOfCache holds results of AsOf views. An as-of result is a function of the raw rows
// ingested up to the moment (ingested_at ≤ t, at one-second resolution). Raw tables are only
// appended to, so that set of rows can only grow, and it is unchanged exactly when its size
// is: each result is kept with the number of those rows counted before it was computed, and
// served again only while a new count (one cheap query on the ingested_at column) equals it.
// A moment in the past is therefore not assumed final: a batch stamped before t (ingest stamps
// ingested_at once per batch, before its retries) that lands later is seen.
type asOfCache struct {
	flight   singleflight.Group
	computed atomic.Uint64 // results computed (not served from the cache)
	mu       sync.Mutex
	entries  map[string]asOfEntry
}

type asOfEntry struct {
	rows  uint64 // raw rows ingested up to the moment when the result was computed
	guard map[familyMonth]uint64
	v     any
}

// asOfGuardKey is the context key of the asOfGuard a cached as-of computation fills.
type asOfGuardKey struct{}

// asOfGuard collects the (family, month) pairs whose rows a fast as-of read took to be exactly
// those of their committed version (asOfBase.all: no dirty mark as new as it), with that
// version. A row that lands before its mark (a crash between the two leaves it unmarked until
// its copy is ingested again) is missed by such a read, while the count of rows ingested up to
// the moment already includes it: a cached result stays valid only while every pair still has
// that committed version and no newer mark (guardHolds).
type asOfGuard struct {
	mu sync.Mutex
	m  map[familyMonth]uint64
}

// guardAsOf records in ctx's asOfGuard, if any, that the read relied on version v of fm.
func guardAsOf(ctx context.Context, fm familyMonth, v uint64) {
	g, _ := ctx.Value(asOfGuardKey{}).(*asOfGuard)
	if g == nil {
		return
	}
	g.mu.Lock()
	if g.m == nil {
		g.m = map[familyMonth]uint64{}
	}
	g.m[fm] = v
	g.mu.Unlock()
}

// guardHolds reports whether every (family, month) of guard still has the committed version it
// names and no dirty mark as new as it (FamilyDrivers is marked through FamilySurvey).
func (l *loader) guardHolds(ctx context.Context, guard map[familyMonth]uint64) (bool, error) {
	if len(guard) == 0 {
		return true, nil
	}
	vers, err := l.committed(ctx, monthsOf(guard))
	if err != nil {
		return false, err
	}
	marks, err := l.dirtyMarks(ctx)
	if err != nil {
		return false, err
	}
	for fm, v := range guard {
		if vers[fm] != v || marks[markedAs(fm)] >= v {
			return false, nil
		}
	}
	return true, nil
}

// dirtyMarks returns the newest dirty mark of every (family, month). Concurrent readers share one
// query (the reads of one card ask together), as committed's do.
func (l *loader) dirtyMarks(ctx context.Context) (map[familyMonth]uint64, error) {
	return sharedDo(ctx, &l.ls.flight, "dirty marks", func(ctx context.Context) (map[familyMonth]uint64, error) {
		return maxPerFamilyMonth(ctx, l.conn, store.DirtyTable, "marked_at")
	})
}

// monthsOf returns the months of m's keys, each once.
func monthsOf[V any](m map[familyMonth]V) []schema.Month {
	var months []schema.Month
	seen := map[schema.Month]bool{}
	for fm := range m {
		if !seen[fm.month] {
			seen[fm.month] = true
			months = append(months, fm.month)
		}
	}
	return months
}

// markedAs is the (family, month) whose dirty marks stand for fm's: FamilyDrivers is recomputed
// with FamilySurvey, from its marks.
func markedAs(fm familyMonth) familyMonth {
	if fm.family == FamilyDrivers {
		fm.family = FamilySurvey
	}
	return fm
}

// asOfCached returns compute's result for key (an operation and its arguments) as of e.asOf:
// from the cache when no raw row ingested up to e.asOf arrived since it was computed, else
// computed (once for concurrent callers of the same key) and kept. It refuses with a
// *ParamError a moment before EarliestAsOf, or before the first ingested row. Results are
// shared: callers must not modify them.
func asOfCached[T any](ctx context.Context, e *Engine, key string, compute func(context.Context) (T, error)) (T, error) {
	var zero T
	t := e.asOf
	if err := CheckAsOf(t); err != nil {
		return zero, err
	}
	rows, err := e.rowsIngestedBy(ctx, t)
	if err != nil {
		return zero, err
	}
	if rows == 0 {
		return zero, &ParamError{Param: "as_of", Msg: fmt.Sprintf("%s is before the first ingested event: there is no data as of then",
			t.UTC().Format(time.RFC3339))}
	}
	key = fmt.Sprintf("%s|%d|%v", key, t.Unix(), e.asOfRef) // the reference path keeps results of its own
	c := &e.st.asOf
	if !e.nocache {
		c.mu.Lock()
		ent, ok := c.entries[key]
		c.mu.Unlock()
		if ok && ent.rows == rows {
			holds, err := e.guardHolds(ctx, ent.guard)
			if err != nil {
				return zero, err
			}
			if holds {
				return ent.v.(T), nil
			}
		}
	}
	v, err, _ := c.flight.Do(fmt.Sprintf("%s|%d", key, rows), func() (any, error) {
		c.computed.Add(1)
		g := &asOfGuard{}
		v, err := compute(context.WithValue(ctx, asOfGuardKey{}, g))
		if err != nil {
			return nil, err
		}
		if !e.nocache {
			c.mu.Lock()
			if c.entries == nil || len(c.entries) >= maxAsOfEntries {
				c.entries = map[string]asOfEntry{}
			}
			c.entries[key] = asOfEntry{rows: rows, guard: g.m, v: v}
			c.mu.Unlock()
		}
		return v, nil
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

// rowsIngestedBy counts the rows of every raw table ingested up to t (ingested_at ≤ t's
// second, the condition of an as-of read). The raw tables are partitioned by
// toYYYYMM(ingested_at): the rows of the partitions before t's month are summed from
// system.parts (their active parts' row counts, which merges keep), and only t's month and later
// are scanned. (A row landing between the two reads makes the count differ from a later one: a
// cached result is then computed again, never served stale.) On a cluster, where the raw tables
// are Distributed and their parts are on the shards, every table is counted by a scan.
func (l *loader) rowsIngestedBy(ctx context.Context, t time.Time) (uint64, error) {
	local, err := l.rawPartsLocal(ctx)
	if err != nil {
		return 0, fmt.Errorf("count rows ingested by %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	parts := make([]string, len(rawBranchTables))
	for i, tb := range rawBranchTables {
		if !local || t.Unix() < 0 || t.Unix() > math.MaxUint32 {
			parts[i] = fmt.Sprintf("SELECT count() AS n FROM %s WHERE %s", tb, ingestedCond("<=", t))
			continue
		}
		month := fmt.Sprintf("toYYYYMM(toDateTime(%d))", t.Unix())
		parts[i] = fmt.Sprintf(`SELECT count() AS n FROM %[1]s WHERE toYYYYMM(ingested_at) >= %[2]s AND %[3]s
  UNION ALL SELECT sum(rows) AS n FROM system.parts WHERE database = currentDatabase() AND table = %[4]s AND active AND toUInt32(partition) < %[2]s`,
			tb, month, ingestedCond("<=", t), quote(tb))
	}
	var n uint64
	q := "SELECT toUInt64(sum(n)) FROM (" + strings.Join(parts, " UNION ALL ") + ")"
	if err := l.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows ingested by %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// rawPartsLocal reports whether every raw table is a MergeTree table of the connection's
// database, partitioned by toYYYYMM(ingested_at) (then system.parts counts its rows).
func (l *loader) rawPartsLocal(ctx context.Context) (bool, error) {
	switch l.ls.partsLocal.Load() {
	case 1:
		return true, nil
	case 2:
		return false, nil
	}
	q := fmt.Sprintf("SELECT toUInt64(countIf(engine = 'MergeTree' AND partition_key = 'toYYYYMM(ingested_at)')) FROM system.tables WHERE database = currentDatabase() AND name IN (%s)",
		store.QuoteStrings(rawBranchTables))
	var n uint64
	if err := l.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return false, err
	}
	local := n == uint64(len(rawBranchTables))
	if local {
		l.ls.partsLocal.Store(1)
	} else {
		l.ls.partsLocal.Store(2)
	}
	return local, nil
}
