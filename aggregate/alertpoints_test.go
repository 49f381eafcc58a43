package aggregate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestAlertPointReads: the company-wide alerts read the months before m−1 as alert points only
// (the survey's moments without the enterprise ones, the window's branch totals; no stores,
// complaints, churn or bases). For every month, live and as of a moment between two batches,
// with and without the smoothed values, the points so read equal those of whole cards — a branch
// the points read does not see (one with complaints only) has no reportable value in its whole
// card — and the alerts of the last month (whose short-plank improvement reads the month
// before it, read as points) are the same with full reads.
func TestAlertPointReads(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	months := schema.Months(202606, oct)
	r := rand.New(rand.NewPCG(7, 20))
	off := int64(0)
	batch := func(scale int) {
		t.Helper()
		const colsSurveyCT = "event_id, branch_id, month, occurred_at, carrier, weight, overall, item_codes, item_scores, customer_type, kafka_partition, kafka_offset"
		var sr, hot, st, op, ch, bs [][]any
		var marks []aggregate.DirtyMark
		for i, m := range months {
			// Own satisfaction falls month after month at GD-GZ-TH and GD-SZ-NS (alerts to compare).
			for _, b := range []string{"GD-GZ-TH", "GD-GZ-BY", "GD-SZ-NS", "GD-SZ-FT", "SH-PD-LJ"} {
				fall := 0
				if b == "GD-GZ-TH" || b == "GD-SZ-NS" {
					fall = i
				}
				for k := range 6 * scale {
					off++
					carrier := []string{"cmcc", "cmcc", "ctcc", "cucc"}[k%4]
					ct := "consumer"
					if k%3 == 0 {
						ct = "enterprise"
					}
					score := func() uint8 { return uint8(max(1, min(10, 9-fall+r.IntN(3)-1))) }
					sr = append(sr, []any{fmt.Sprintf("s-%d", off), b, uint32(m), day(3), carrier, float64(1+r.IntN(20)) / 10,
						uint8(1 + r.IntN(10)), []string{"network", "voice"}, []uint8{score(), score()}, ct, int32(k % 2), off})
				}
				for k := range 5 * scale {
					off++
					hot = append(hot, []any{fmt.Sprintf("h-%d", off), b, uint32(m), uint8(max(1, 5-fall/2-r.IntN(2))), uint8(r.IntN(2)),
						uint32(r.IntN(90)), int32(k % 2), off})
					st = append(st, []any{fmt.Sprintf("t-%d", off), b, uint32(m), uint8(1 + r.IntN(5)), uint32(r.IntN(300)),
						int32(k % 2), off, fmt.Sprint("S", b, r.IntN(3))})
				}
				off++
				ch = append(ch, []any{fmt.Sprintf("c-%d", off), b, uint32(m), "high", int32(0), off})
				bs = append(bs, []any{fmt.Sprintf("b-%d-%d", off, scale), b, uint32(m), day(1), uint64(10000), uint8(1), uint64(1000), uint64(2000),
					uint64(7000), int32(0), off})
			}
			// BJ-HD has complaints only: a whole card, no alert point of value.
			for range 2 {
				off++
				op = append(op, []any{fmt.Sprintf("o-%d", off), "BJ-HD", uint32(m), uint8(r.IntN(2)), int32(0), off})
			}
			for _, f := range []aggregate.Family{aggregate.FamilySurvey, aggregate.FamilyWindow, aggregate.FamilyComplaints,
				aggregate.FamilyChurn, aggregate.FamilyBase} {
				marks = append(marks, aggregate.DirtyMark{Family: f, Month: m})
			}
		}
		insert(t, conn, "survey_responses", colsSurveyCT, sr...)
		insert(t, conn, "hotline_feedback", colsHot, hot...)
		insert(t, conn, "store_feedback", colsStore+", store_id", st...)
		insert(t, conn, "complaints_opened", colsOpen, op...)
		insert(t, conn, "churn_events", colsChurn, ch...)
		insert(t, conn, "subscriber_bases", colsBase, bs...)
		mark(t, conn, marks...)
		if err := newProjector(conn).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	batch(2)
	// ingested_at has a resolution of one second: the moment is apart from both batches.
	time.Sleep(1100 * time.Millisecond)
	at := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	batch(1)

	for _, smoothed := range []bool{false, true} {
		cfg := kpi.DefaultConfig()
		cfg.MinSample = 1
		cfg.SmoothedAlerts = smoothed
		sc, err := kpi.DefaultScorecard(testCatalog())
		if err != nil {
			t.Fatal(err)
		}
		e := aggregate.NewEngine(conn, cfg, testCatalog(), sc, nil)
		for _, view := range []struct {
			name string
			e    func() *aggregate.Engine // a new engine with empty caches
		}{{"live", e.Cold}, {"as of " + at.Format(time.TimeOnly), func() *aggregate.Engine { return e.Cold().AsOf(at) }}} {
			name := fmt.Sprintf("%s, smoothed %v", view.name, smoothed)
			for _, m := range months {
				pts, err := aggregate.AlertPointsOf(ctx, view.e(), m, true)
				if err != nil {
					t.Fatal(err)
				}
				full, err := aggregate.AlertPointsOf(ctx, view.e(), m, false)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := full["BJ-HD"]; !ok {
					t.Fatalf("%s %s: no whole card of BJ-HD (complaints only)", name, m)
				}
				if _, ok := pts["BJ-HD"]; ok {
					t.Errorf("%s %s: the points read sees BJ-HD (complaints only)", name, m)
				}
				for b, fp := range full {
					pp, ok := pts[b]
					if !ok {
						for i, v := range fp {
							if v.OK {
								t.Errorf("%s %s %s: point %d %+v is reportable, and the points read lacks the branch", name, m, b, i, v)
							}
						}
						continue
					}
					if !samePoint(pp, fp) {
						t.Errorf("%s %s %s: points read %+v, whole card %+v", name, m, b, pp, fp)
					}
				}
				for b := range pts {
					if _, ok := full[b]; !ok {
						t.Errorf("%s %s: the points read has %s, the whole cards do not", name, m, b)
					}
				}
			}
			got := companyAlertsJSON(t, ctx, view.e, true)
			want := companyAlertsJSON(t, ctx, view.e, false)
			if got != want {
				t.Errorf("%s: alerts with point reads\n%s\nwith whole cards\n%s", name, got, want)
			}
			// m's short-plank improvement reads m−1's survey, which the points read gives.
			if !strings.Contains(got, `"rule":"below_base","branch":"GD-GZ-TH","metric":"short_plank_improvement"`) {
				t.Errorf("%s: no below_base alert of GD-GZ-TH's short-plank improvement: the comparison shows less than it should\n%s", name, got)
			}
		}
	}
}

// samePoint reports whether a and b hold the same values (NaN equal to NaN).
func samePoint(a, b kpi.AlertPoint) bool {
	if len(a) != len(b) {
		return false
	}
	same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	for i := range a {
		if a[i].OK != b[i].OK || !same(a[i].Value, b[i].Value) || !same(a[i].SE, b[i].SE) {
			return false
		}
	}
	return true
}

// companyAlertsJSON is the company-wide alerts of October on a cold engine, read with or
// without alert point reads.
func companyAlertsJSON(t *testing.T, ctx context.Context, e func() *aggregate.Engine, points bool) string {
	t.Helper()
	defer aggregate.SetAlertPointReads(points)()
	got, err := e().Alerts(ctx, schema.Root, oct)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got.Alerts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
