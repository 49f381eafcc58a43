package aggregate_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestReadsDuringRecompute reads while the same month is recomputed over and over: every read
// must see complete data, never the gap between a commit and the drop of the older version.
func TestReadsDuringRecompute(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	phase1(t, conn)
	phase2(t, conn)
	p := newProjector(conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)
	want, err := e.MonthData(ctx, "GD-GZ", oct)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var err error
		for range 15 {
			if err = p.Rebuild(ctx, oct); err != nil {
				break
			}
		}
		done <- err
	}()
	reads := 0
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Rebuild: %v", err)
			}
			if reads < 10 {
				t.Logf("only %d reads overlapped the rebuilds", reads)
			}
			return
		default:
		}
		got, err := e.MonthData(ctx, "GD-GZ", oct)
		if err != nil {
			t.Fatalf("read %d: %v", reads, err)
		}
		if diff := diffMonthData(got, want); diff != "" {
			t.Fatalf("read %d during rebuilds: %s", reads, diff)
		}
		reads++
	}
}

func TestProjectorMetricsLint(t *testing.T) {
	conn, _ := chtest.New(t)
	reg := prometheus.NewPedanticRegistry()
	p := aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: testCatalog(), SLAHours: 48}, nil, reg)
	phase1(t, conn)
	if err := p.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("metric %s: %s", pr.Metric, pr.Text)
	}
	if n := testutil.CollectAndCount(reg, "csat_aggregate_recomputes_total"); n != 6 {
		t.Errorf("csat_aggregate_recomputes_total has %d series, want 6 (one per family, drivers included, ok)", n)
	}
}
