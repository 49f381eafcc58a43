package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/schema"
)

// InsertEvents writes evs to their raw tables with the same columnar INSERTs ingest uses, one
// INSERT per table (rows in slice order), with kafka_topic "", kafka_partition 0 and
// kafka_offset the index in evs. It neither deduplicates nor marks months dirty and does not
// retry: it is for benchmarks (the insert-only limit) and for loading fixtures.
func InsertEvents(ctx context.Context, conn driver.Conn, evs []schema.Event) error {
	var by [numTables][]record
	now := time.Now()
	for i, ev := range evs {
		id, ok := tableOf(ev.Env().Type)
		if !ok {
			return fmt.Errorf("event %d (%s): unknown type", i, ev.Env().EventID)
		}
		by[id] = append(by[id], record{ev: ev, offset: int64(i), ts: now})
	}
	in := &Ingester{conn: conn, cfg: Config{InsertTimeout: 5 * time.Minute}}
	at := now.UTC().Truncate(time.Second)
	for id := range numTables {
		if len(by[id]) == 0 {
			continue
		}
		if err := in.send(ctx, tables[id].name, tables[id].insert, columns(id, [][]record{by[id]}, at)); err != nil {
			return err
		}
	}
	return nil
}
