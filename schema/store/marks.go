package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema"
)

// Mark says that the raw rows of one family and month changed: the projection of that
// (family, month) is stale until a recompute that starts after the mark commits.
type Mark struct {
	Family Family
	Month  schema.Month
}

// DirtyInsert is the INSERT of dirty marks into DirtyTable, with the columns of MarkColumns.
const DirtyInsert = "INSERT INTO " + DirtyTable + " (family, month, marked_at)"

// MarkColumns returns the columns of DirtyInsert for marks, every row marked at `at` (marked_at
// is at.UnixNano(), the unit of kpi_versions' versions). Duplicates stay: a duplicate mark is
// harmless (kpi_dirty keeps the latest per family and month).
func MarkColumns(marks []Mark, at time.Time) []any {
	fam, mon, ts := make([]string, len(marks)), make([]uint32, len(marks)), make([]uint64, len(marks))
	now := uint64(at.UnixNano())
	for i, mk := range marks {
		fam[i], mon[i], ts[i] = string(mk.Family), uint32(mk.Month), now
	}
	return []any{fam, mon, ts}
}

// MarkDirty inserts one DirtyTable row per mark, all marked now, into the connection's
// default database, in one INSERT. Call it only after the rows the marks describe are durably
// inserted: a recompute that starts after the mark then sees them.
func MarkDirty(ctx context.Context, conn driver.Conn, marks []Mark) error {
	if len(marks) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, DirtyInsert)
	if err != nil {
		return fmt.Errorf("mark %d projections dirty: %w", len(marks), err)
	}
	for i, col := range MarkColumns(marks, time.Now()) {
		if err := b.Column(i).Append(col); err != nil {
			_ = b.Abort() // the Append error is the one that matters
			return fmt.Errorf("mark %d projections dirty: %w", len(marks), err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("mark %d projections dirty: %w", len(marks), err)
	}
	return nil
}
