package aggregate_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestFunnel: twelve counties of one city with 10,000 subscribers each; eleven open 8–12
// complaints (about 10 per 10k), GD-GZ-D05 opens 60: it is the only outlier (high). A thirteenth
// county has complaints but no base: it takes no part. The limits are stat.Funnel's.
func TestFunnel(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	counts := []int{8, 9, 10, 11, 12, 60, 10, 9, 11, 10, 10, 12}
	var opened, bases [][]any
	var pts []stat.FunnelPoint
	for i, n := range counts {
		b := fmt.Sprintf("GD-GZ-D%02d", i)
		for k := range n {
			opened = append(opened, []any{fmt.Sprintf("o-%s-%d", b, k), b, uint32(oct), uint8(0), int32(0), int64(len(opened))})
		}
		bases = append(bases, base("b-"+b, b, 1, 10000, 1000, 3000, 6000, int64(i)))
		pts = append(pts, stat.FunnelPoint{ID: b, Count: float64(n), Base: 10000})
	}
	opened = append(opened, []any{"o-nobase", "GD-GZ-NB", uint32(oct), uint8(0), int32(0), int64(len(opened))})
	insert(t, conn, "complaints_opened", colsOpen, opened...)
	insert(t, conn, "subscriber_bases", colsBase, bases...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyComplaints, Month: oct},
		aggregate.DirtyMark{Family: aggregate.FamilyBase, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)
	f, err := e.Funnel(ctx, "GD-GZ", oct, "complaint_rate")
	if err != nil {
		t.Fatal(err)
	}
	want := stat.Funnel(pts, 10000)
	val(t, "rate", f.Rate, 172.0/120000*10000)
	val(t, "rate = stat's", f.Rate, want.Rate)
	if len(f.Children) != 13 {
		t.Fatalf("%d children, want 13", len(f.Children))
	}
	for _, c := range f.Children {
		if c.Branch == "GD-GZ-NB" {
			if c.Base != nil || c.Rate != nil || c.Outlier != "" || c.Count != 1 {
				t.Errorf("county without a base: %+v, want count 1 and nothing else", c)
			}
			continue
		}
		wantOut := ""
		if c.Branch == "GD-GZ-D05" {
			wantOut = stat.High
		}
		if c.Outlier != wantOut {
			t.Errorf("%s (count %d): outlier %q, want %q", c.Branch, c.Count, c.Outlier, wantOut)
		}
		if c.Base == nil || *c.Base != 10000 {
			t.Errorf("%s: base %v, want 10000", c.Branch, c.Base)
		}
		var i int
		fmt.Sscanf(c.Branch, "GD-GZ-D%02d", &i)
		val(t, c.Branch+" upper998", c.Upper998, want.Points[i].Upper998)
		val(t, c.Branch+" rate", c.Rate, float64(counts[i]))
	}
	if len(f.Curve) != 1 {
		t.Errorf("curve of %d points, want 1 (every base is 10,000)", len(f.Curve))
	}
	if _, err := e.Funnel(ctx, "GD-GZ", oct, "csi"); err == nil {
		t.Error("funnel of csi accepted")
	}
	c, err := e.Funnel(ctx, "GD-GZ", oct, "churn_rate")
	if err != nil {
		t.Fatal(err)
	}
	if c.Rate == nil || *c.Rate != 0 {
		t.Errorf("churn rate %v, want 0 (no churn)", c.Rate)
	}
}
