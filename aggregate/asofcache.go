package aggregate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
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
	rows uint64 // raw rows ingested up to the moment when the result was computed
	v    any
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
	key = fmt.Sprintf("%s|%d", key, t.Unix())
	c := &e.st.asOf
	if !e.nocache {
		c.mu.Lock()
		ent, ok := c.entries[key]
		c.mu.Unlock()
		if ok && ent.rows == rows {
			return ent.v.(T), nil
		}
	}
	v, err, _ := c.flight.Do(fmt.Sprintf("%s|%d", key, rows), func() (any, error) {
		c.computed.Add(1)
		v, err := compute(ctx)
		if err != nil {
			return nil, err
		}
		if !e.nocache {
			c.mu.Lock()
			if c.entries == nil || len(c.entries) >= maxAsOfEntries {
				c.entries = map[string]asOfEntry{}
			}
			c.entries[key] = asOfEntry{rows: rows, v: v}
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
// second, the condition of an as-of read).
func (l *loader) rowsIngestedBy(ctx context.Context, t time.Time) (uint64, error) {
	parts := make([]string, len(rawBranchTables))
	for i, tb := range rawBranchTables {
		parts[i] = fmt.Sprintf("SELECT count() AS n FROM %s WHERE %s", tb, ingestedCond("<=", t))
	}
	var n uint64
	q := "SELECT toUInt64(sum(n)) FROM (" + strings.Join(parts, " UNION ALL ") + ")"
	if err := l.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows ingested by %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}
