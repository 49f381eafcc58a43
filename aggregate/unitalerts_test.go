package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestUnitAlertsRead checks Engine.UnitAlerts's read of kpi_frontline: each unit's months
// 2026-07 … 2026-10 (CSAT_ALERT_DECLINE_MONTHS 3), a month without its row breaking a streak,
// units selected by their placement in the alert month with every month's row.
//   - store S1 (GD-GZ-TH): city inspections 90, 85, 80, 70: falls of 5, 5, 10 ≥ 3: unit_streak
//     from 2026-07, 20 points.
//   - store S2 (GD-GZ-TH): 90 in 2026-07, none in 2026-08, 80, 70: the streak is two falls: none.
//   - store S3: 90, 86, 82 at GD-GZ-TH, then 78 at GD-GZ-YX: its streak is listed under GD-GZ-YX
//     (its branch in 2026-10) with the months it spent at GD-GZ-TH, and not under GD-GZ-TH.
func TestUnitAlertsRead(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	var rows [][]any
	var marks []aggregate.DirtyMark
	off := int64(0)
	add := func(store, branch string, m schema.Month, score float64) {
		off++
		at := time.Date(int(m)/100, time.Month(int(m)%100), 10, 2, 0, 0, 0, time.UTC)
		rows = append(rows, []any{fmt.Sprintf("i%d", off), branch, uint32(m), at, store, "", "mystery", "city", score, int32(0), off})
	}
	for i, v := range []float64{90, 85, 80, 70} {
		add("S1", "GD-GZ-TH", schema.Month(202607).Add(i), v)
	}
	add("S2", "GD-GZ-TH", 202607, 90)
	add("S2", "GD-GZ-TH", 202609, 80)
	add("S2", "GD-GZ-TH", 202610, 70)
	for i, v := range []float64{90, 86, 82} {
		add("S3", "GD-GZ-TH", schema.Month(202607).Add(i), v)
	}
	add("S3", "GD-GZ-YX", 202610, 78)
	insert(t, conn, "inspections", "event_id, branch_id, month, occurred_at, store_id, staff_id, kind, published_by, score, kafka_partition, kafka_offset", rows...)
	for m := schema.Month(202607); m <= 202610; m = m.Add(1) {
		marks = append(marks, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: m})
	}
	mark(t, conn, marks...)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)

	units := func(parent string) []string {
		t.Helper()
		res, err := e.UnitAlerts(ctx, parent, 202610)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range res.Alerts {
			out = append(out, fmt.Sprintf("%s %s %s %s %s %v", a.Rule, a.Metric, a.Unit, a.Branch, a.Start, a.Values))
		}
		return out
	}
	s1 := "unit_streak inspection.city S1 GD-GZ-TH 2026-07 [90 85 80 70]"
	s3 := "unit_streak inspection.city S3 GD-GZ-YX 2026-07 [90 86 82 78]"
	for _, c := range []struct {
		parent string
		want   []string
	}{{schema.Root, []string{s1, s3}}, {"GD", []string{s1, s3}}, {"GD-GZ-TH", []string{s1}}, {"GD-GZ-YX", []string{s3}}} {
		if got := units(c.parent); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("under %s: %q, want %q", c.parent, got, c.want)
		}
	}
	res, err := e.UnitAlerts(ctx, schema.Root, 202610)
	if err != nil || len(res.Alerts) == 0 {
		t.Fatalf("%v, %v", res, err)
	}
	if a := res.Alerts[0]; a.Kind != kpi.UnitStore || a.Change != -20 || a.TextZH == "" || a.TextEN == "" {
		t.Errorf("S1's alert %+v", a)
	}
	// Bad parameters are parameter errors naming them.
	for _, c := range []struct {
		parent string
		month  schema.Month
		param  string
	}{{"GD-XX", 202610, "branch"}, {"not a branch", 202610, "branch"}, {schema.Root, 202613, "month"}} {
		_, err := e.UnitAlerts(ctx, c.parent, c.month)
		var pe *aggregate.ParamError
		if !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("UnitAlerts(%q, %d): %v, want a parameter error on %s", c.parent, c.month, err, c.param)
		}
	}
	// A month without front-line data: no alerts, an empty list.
	if res, err := e.UnitAlerts(ctx, schema.Root, 202601); err != nil || res.Alerts == nil || len(res.Alerts) != 0 {
		t.Errorf("2026-01: %+v, %v; want an empty list", res, err)
	}
}
