package aggregate

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema"
)

// DirtyMark says that the raw rows of one family and month changed.
type DirtyMark struct {
	Family Family
	Month  schema.Month
}

// MarkDirty inserts one kpi_dirty row per mark (duplicates are removed), all with marked_at =
// time.Now().UnixNano(), into the connection's default database. Call it only after the rows the
// marks describe are durably inserted: a recompute that starts after the mark then sees them.
func MarkDirty(ctx context.Context, conn driver.Conn, marks []DirtyMark) error {
	if len(marks) == 0 {
		return nil
	}
	now := uint64(time.Now().UnixNano())
	b, err := conn.PrepareBatch(ctx, "INSERT INTO kpi_dirty (family, month, marked_at)")
	if err != nil {
		return fmt.Errorf("mark %d projections dirty: %w", len(marks), err)
	}
	seen := make(map[DirtyMark]bool, len(marks))
	for _, mk := range marks {
		if seen[mk] {
			continue
		}
		seen[mk] = true
		if err := b.Append(string(mk.Family), uint32(mk.Month), now); err != nil {
			_ = b.Abort() // the Append error is the one that matters
			return fmt.Errorf("mark %s %s dirty: %w", mk.Family, mk.Month, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("mark %d projections dirty: %w", len(seen), err)
	}
	return nil
}
