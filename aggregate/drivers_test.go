package aggregate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestDrivers builds a synthetic survey in which the overall answer is the network answer and
// voice is uncorrelated with network: network's importance is all of R² = 1 and voice's none
// (Johnson's weights of uncorrelated items are their squared correlations). ctcc scores network
// higher, so network is the first priority; voice, where we lead, is not a priority. The
// county's card uses its province's importance (CSAT_DRIVER_LEVEL 1).
func TestDrivers(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	var rows [][]any
	for i := range 60 {
		nw := uint8(1 + i%10)
		vo := uint8(2 + i/10) // every voice answer meets every network answer once: uncorrelated
		rows = append(rows, resp(fmt.Sprintf("c%d", i), "GD-GZ-TH", oct, "cmcc", 1, nw, both, []uint8{nw, vo}, 0, int64(i)))
		// ctcc: network two points higher, voice at the bottom; no overall answer needed for them.
		rows = append(rows, resp(fmt.Sprintf("t%d", i), "GD-GZ-TH", oct, "ctcc", 1, 0, both, []uint8{min(10, nw+2), 1}, 1, int64(i)))
	}
	// A response without overall and one without voice: not complete, not in the moments.
	rows = append(rows, resp("x1", "GD-GZ-TH", oct, "cmcc", 1, 0, both, []uint8{5, 5}, 0, 100),
		resp("x2", "GD-GZ-TH", oct, "cmcc", 1, 5, net, []uint8{5}, 0, 101))
	insert(t, conn, "survey_responses", colsSurvey, rows...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)
	c, err := e.Card(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Drivers
	if d == nil {
		t.Fatal("card has no drivers block")
	}
	if d.Branch != "GD" || d.N == nil || *d.N != 60 || d.To != oct || d.From != schema.Month(202605) {
		t.Errorf("drivers of %s over %s–%s, n %v; want GD over 2026-05–2026-10, n 60", d.Branch, d.From, d.To, d.N)
	}
	val(t, "r2", d.R2, 1)
	nw, vo := d.Items["network"], d.Items["voice"]
	if nw.Importance == nil || *nw.Importance < 1-1e-9 || vo.Importance == nil || *vo.Importance > 1e-9 {
		t.Fatalf("importance network %s, voice %s; want 1 and 0", fmtF(nw.Importance), fmtF(vo.Importance))
	}
	val(t, "importance sum", ptrF(*nw.Importance+*vo.Importance), 1)
	val(t, "network performance", nw.Performance, *c.Survey.Own.Items["network"].Value)
	val(t, "network gap", nw.Gap, -*c.Survey.ItemLeads["network"].Value)
	if nw.Gap == nil || *nw.Gap <= 0 || vo.Gap == nil || *vo.Gap >= 0 {
		t.Errorf("gaps network %v voice %v: want behind on network, ahead on voice", nw.Gap, vo.Gap)
	}
	if len(d.Priorities) != 1 || d.Priorities[0] != "network" {
		t.Errorf("priorities %v, want [network]; items %s", d.Priorities, dump(d.Items))
	}
	// The province's own card reads the same pool.
	p, err := e.Card(ctx, "GD", oct)
	if err != nil {
		t.Fatal(err)
	}
	if p.Drivers == nil || p.Drivers.Branch != "GD" || *p.Drivers.Items["network"].Importance != *nw.Importance {
		t.Errorf("province drivers %+v, want the same importance", p.Drivers)
	}
	// As of now, from the raw rows, the same.
	a, err := e.AsOf(timeNow()).Card(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if a.Drivers == nil || a.Drivers.N == nil || *a.Drivers.N != 60 || *a.Drivers.Items["network"].Importance != *nw.Importance {
		t.Errorf("as-of drivers %+v, want the live ones", a.Drivers)
	}
}

func ptrF(v float64) *float64 { return &v }

func fmtF(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func dump(v any) string { b, _ := json.Marshal(v); return string(b) }
