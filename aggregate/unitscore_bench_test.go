package aggregate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// BenchmarkUnitScores times the front-line scores of one city over a quarter under the default
// schemes: the league table input of its 200 stores (8 counties × 25), the 10 staff of one
// store, and one staff member's score (which reads their store and its county's stores too).
// Beside them, the same units' cards (the league table by a metric). The data: 20 ratings per staff member and month (120,000 store_feedback rows), 10 reported
// scores per store and month, an adjustment per store and month.
func BenchmarkUnitScores(b *testing.B) {
	conn, _ := chtest.New(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	months := []schema.Month{202610, 202611, 202612}
	at := func(m schema.Month, d int) time.Time {
		return time.Date(m.Year(), time.Month(m.Mon()), 1+d%27, 2, 0, 0, 0, time.UTC)
	}
	var feedback, scores, adjustments [][]any
	var off int64
	for _, m := range months {
		for c := range 8 {
			branch := fmt.Sprintf("GD-GZ-D%d", c)
			for s := range 25 {
				st := fmt.Sprintf("S%d_%d", c, s)
				for e := range 10 {
					for k := range 20 {
						off++
						feedback = append(feedback, []any{fmt.Sprintf("f%d", off), branch, uint32(m), at(m, k), st,
							fmt.Sprintf("%s_E%d", st, e), uint8(1 + r.IntN(5)), uint32(r.IntN(300)), int32(0), off})
					}
				}
				for _, comp := range []string{"sales_awareness", "sales_new_customers", "sales_devices", "sales_campaigns",
					"safety", "reports", "exam", "internal_control", "operations", "sales"} {
					off++
					scores = append(scores, []any{fmt.Sprintf("s%d", off), branch, uint32(m), at(m, 1), "store", st, comp, float64(r.IntN(101)), int32(0), off})
				}
				off++
				adjustments = append(adjustments, []any{fmt.Sprintf("a%d", off), branch, uint32(m), at(m, 2), "store", st, 1.0, "praise", "", int32(0), off})
			}
		}
	}
	insert(b, conn, "store_feedback", "event_id, branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset", feedback...)
	insert(b, conn, "scores_reported", "event_id, branch_id, month, occurred_at, subject_kind, subject_id, component, value, kafka_partition, kafka_offset", scores...)
	insert(b, conn, "adjustments", "event_id, branch_id, month, occurred_at, subject_kind, subject_id, points, reason, ref, kafka_partition, kafka_offset", adjustments...)
	var marks []aggregate.DirtyMark
	for _, m := range months {
		marks = append(marks, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: m})
	}
	mark(b, conn, marks...)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	e := aggregate.NewEngine(conn, kpi.DefaultConfig(), testCatalog(), nil, nil)
	cases := []struct {
		name string
		run  func() (int, error)
	}{
		{"stores_of_city", func() (int, error) { s, err := e.UnitScores(ctx, "store", "GD-GZ", "2026-Q4"); return len(s), err }},
		{"staff_of_store", func() (int, error) { s, err := e.UnitScores(ctx, "staff", "S3_7", "2026-Q4"); return len(s), err }},
		{"one_staff", func() (int, error) { _, err := e.UnitScore(ctx, "staff", "S3_7_E4", "2026-Q4"); return 1, err }},
		// The same units' cards (Engine.Units, UnitCard), for comparison in the same run.
		{"cards_stores_of_city", func() (int, error) { s, err := e.Units(ctx, "store", "GD-GZ", "2026-Q4"); return len(s), err }},
		{"cards_staff_of_store", func() (int, error) { s, err := e.Units(ctx, "staff", "S3_7", "2026-Q4"); return len(s), err }},
		{"card_one_staff", func() (int, error) { _, err := e.UnitCard(ctx, "staff", "S3_7_E4", "2026-Q4"); return 1, err }},
	}
	want := map[string]int{"stores_of_city": 200, "staff_of_store": 10, "one_staff": 1,
		"cards_stores_of_city": 200, "cards_staff_of_store": 10, "card_one_staff": 1}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				n, err := tc.run()
				if err != nil || n != want[tc.name] {
					b.Fatalf("%d units, %v; want %d", n, err, want[tc.name])
				}
			}
		})
	}
}
