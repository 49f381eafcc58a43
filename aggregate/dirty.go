package aggregate

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema/store"
)

// DirtyMark says that the raw rows of one family and month changed (store.Mark).
type DirtyMark = store.Mark

// MarkDirty inserts one kpi_dirty row per mark, all marked now, into the connection's default
// database (store.MarkDirty). Call it only after the rows the marks describe are durably
// inserted: a recompute that starts after the mark then sees them.
func MarkDirty(ctx context.Context, conn driver.Conn, marks []DirtyMark) error {
	return store.MarkDirty(ctx, conn, marks)
}
