package bench_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// BenchmarkRefresh times, side by side on one month of a national data set (CSAT_BENCH_SCALE,
// default 0.04 over one month: ~2.2 M raw rows, the size of a national month of `csat bench kpi`),
// a refresh after a batch of 20,000 new ratings (hotline and store, 0.5 % of them copies of
// earlier ones) by the two recomputes: "full" rescans the month's raw rows, "incremental" folds
// what the batch changed into the committed version (CSAT_PROJECT_FULL_EVERY).
//
//	CSAT_E2E=1 go test ./aggregate/bench -run '^$' -bench Refresh -benchtime 5x
func BenchmarkRefresh(b *testing.B) {
	conn, _ := chtest.New(b)
	ctx := context.Background()
	cfg := bench.DefaultConfig()
	cfg.Scale, cfg.Months = 0.04, 1
	if s := os.Getenv("CSAT_BENCH_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatal(err)
		}
		cfg.Scale = v
	}
	if err := bench.Load(ctx, conn, cfg, io.Discard); err != nil {
		b.Fatal(err)
	}
	m := cfg.LastMonth
	var rows uint64
	if err := conn.QueryRow(ctx, "SELECT toUInt64(sum(c)) FROM (SELECT count() AS c FROM hotline_feedback UNION ALL SELECT count() AS c FROM store_feedback UNION ALL SELECT count() AS c FROM survey_responses UNION ALL SELECT count() AS c FROM complaints_opened UNION ALL SELECT count() AS c FROM churn_events)").Scan(&rows); err != nil {
		b.Fatal(err)
	}
	b.Logf("month %s: %d raw rows", m, rows)
	batch := 0
	// addBatch inserts 20,000 ratings: 12,000 hotline and 8,000 store, copies of rows of the
	// month spread over every branch (as a batch of a live stream is), under new event ids and
	// offsets (every 200th keeps its event id: a resend of an earlier rating), and marks the
	// window family dirty.
	addBatch := func() {
		batch++
		for _, t := range []struct {
			table string
			n     int
			cols  string
		}{{"hotline_feedback", 12000, "branch_id, month, occurred_at, agent_id, rating, resolved, wait_seconds, handle_seconds"},
			{"store_feedback", 8000, "branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, business"}} {
			q := fmt.Sprintf(`INSERT INTO %[1]s (event_id, %[2]s, kafka_topic, kafka_partition, kafka_offset, kafka_time, ingested_at)
SELECT if(n %% 200 = 0, event_id, concat(event_id, '-b%[3]d')), %[2]s, kafka_topic, kafka_partition,
  kafka_offset + %[3]d * 100000000, kafka_time, now()
FROM (SELECT *, rowNumberInAllBlocks() AS n FROM %[1]s WHERE month = %[4]d AND cityHash64(event_id, %[3]d) %% 100 = 0 LIMIT %[5]d)`, t.table, t.cols, batch, uint32(m), t.n)
			if err := conn.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		if err := aggregate.MarkDirty(ctx, conn, []aggregate.DirtyMark{{Family: aggregate.FamilyWindow, Month: m}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []struct {
		name string
		full time.Duration
	}{{"full", 0}, {"incremental", time.Hour}} {
		p := aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cfg.Catalog, SLAHours: cfg.SLAHours, FullEvery: mode.full}, nil, nil)
		if err := p.Rebuild(ctx, m); err != nil {
			b.Fatal(err)
		}
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				addBatch()
				b.StartTimer()
				if err := p.Refresh(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	_ = schema.Root
}
