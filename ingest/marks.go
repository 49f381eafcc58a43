package ingest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// markDirty inserts one kpi_dirty row per (family, month) the batch touched, duplicates
// included (a crash between the inserts and the marks leaves rows whose months are only marked
// when they come back as duplicates). A survey_void marks the months of the responses it
// targets that survey_responses holds; when none is there yet, the response marks its own
// month when it arrives. marked_at is taken after the rows are written.
func (in *Ingester) markDirty(ctx context.Context, e *epoch) error {
	marks := e.marks
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	if len(e.voids) > 0 {
		for {
			months, err := in.voidMonths(ctx, e.voids)
			if err == nil {
				for _, m := range months {
					for _, f := range store.SurveyResponses.Families() {
						marks[mark{Family: f, Month: m}] = struct{}{}
					}
				}
				break
			}
			in.noteWriteError("void_months", err)
			if !bo.wait(ctx) {
				return fmt.Errorf("months of voided responses: %w", ctx.Err())
			}
		}
	}
	if len(marks) == 0 {
		return nil
	}
	cols := store.MarkColumns(slices.Collect(maps.Keys(marks)), time.Now())
	bo.reset()
	for {
		err := in.send(ctx, store.DirtyTable, store.DirtyInsert, cols)
		if err == nil {
			return nil
		}
		// A duplicate mark is harmless (kpi_dirty keeps the latest per family and month).
		in.noteWriteError("insert_kpi_dirty", err)
		if !bo.wait(ctx) {
			return fmt.Errorf("insert kpi_dirty: %w", ctx.Err())
		}
	}
}

// voidMonths returns the months of the survey responses whose event_id is in targets.
func (in *Ingester) voidMonths(ctx context.Context, targets []string) ([]schema.Month, error) {
	targets = slices.Compact(slices.Sorted(slices.Values(targets)))
	seen := map[schema.Month]bool{}
	var out []schema.Month
	for chunk := range slices.Chunk(targets, 1000) {
		q := "SELECT DISTINCT month FROM " + tables[tSurveyResponses].name + " WHERE event_id IN (" + store.QuoteStrings(chunk) + ")"
		qctx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
		rows, err := in.conn.Query(qctx, q)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("months of voided responses: %w", err)
		}
		for rows.Next() {
			var m uint32
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				cancel()
				return nil, fmt.Errorf("months of voided responses: %w", err)
			}
			if !seen[schema.Month(m)] {
				seen[schema.Month(m)] = true
				out = append(out, schema.Month(m))
			}
		}
		err = rows.Err()
		rows.Close()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("months of voided responses: %w", err)
		}
	}
	return out, nil
}
