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
// retry: it is for loading fixtures.
func InsertEvents(ctx context.Context, conn driver.Conn, evs []schema.Event) error {
	now := time.Now()
	rows := make([]Row, len(evs))
	for i, ev := range evs {
		rows[i] = Row{Event: ev, Offset: int64(i), Time: now}
	}
	return InsertRows(ctx, conn, rows)
}

// Row is an event with the Kafka coordinates its raw-table row records.
type Row struct {
	Event     schema.Event
	Topic     string
	Partition int32
	Offset    int64
	Time      time.Time // the Kafka message timestamp
}

// InsertRows writes rows to their raw tables as ingest does — one columnar INSERT per table,
// rows in slice order, all sharing one ingested_at — with the Kafka coordinates given. Like
// InsertEvents it neither deduplicates, marks months dirty nor retries: it is for benchmarks
// (the insert-only limit writes the very rows ingest writes) and fixtures.
func InsertRows(ctx context.Context, conn driver.Conn, rows []Row) error {
	var by [numTables][]record
	for i, r := range rows {
		id, ok := tableOf(r.Event.Env().Type)
		if !ok {
			return fmt.Errorf("event %d (%s): unknown type", i, r.Event.Env().EventID)
		}
		by[id] = append(by[id], record{ev: r.Event, topic: r.Topic, partition: r.Partition, offset: r.Offset, ts: r.Time})
	}
	in := &Ingester{conn: conn, cfg: Config{InsertTimeout: 5 * time.Minute}}
	at := time.Now().UTC().Truncate(time.Second)
	for id := range numTables {
		if len(by[id]) == 0 {
			continue
		}
		if err := in.send(ctx, tables[id].name, tables[id].insert, columns(nil, id, [][]record{by[id]}, at)); err != nil {
			return err
		}
	}
	return nil
}
