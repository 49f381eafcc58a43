package aggregate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestFrontlineMatchesReference runs the frontline recompute's SELECT and the reference SELECT
// it replaced (aggregate's frontline_ref_internal_test.go) over the same random month and
// compares every row: resends (at another offset, or the same message twice), voided and
// not-voided interviews, complaints naming up to four units, units named by several tables,
// and placing events that tie on occurred_at (one second, a handful of branches) so that the
// event_id decides, including ids that are prefixes of one another ("e1" < "e10").
func TestFrontlineMatchesReference(t *testing.T) {
	t.Run("listed", func(t *testing.T) { testFrontlineMatchesReference(t, 1) })
	t.Run("subquery", func(t *testing.T) {
		defer aggregate.SetMaxListedDups(0)() // more repeated hashes than a view lists
		testFrontlineMatchesReference(t, 2)
	})
}

func testFrontlineMatchesReference(t *testing.T, seed uint64) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 16))
	pick := func(prefix string, n int, none float64) string { // '' with probability none
		if r.Float64() < none {
			return ""
		}
		return fmt.Sprintf("%s%d", prefix, r.IntN(n))
	}
	branches := []string{"GD-GZ", "GD-GZ-TH", "GD-GZ-YX", "GD-SZ"}
	branch := func() string { return branches[r.IntN(len(branches))] }
	// Three instants a day over three days: many placing events of one unit share a second.
	at := func() time.Time { return day(3 + r.IntN(3)).Add(time.Duration(r.IntN(3)) * time.Hour) }
	var off int64
	// rows repeats row (built by mk for offset o) as resends: none, a copy at another offset,
	// or the very message twice.
	rows := func(mk func(o int64) []any) [][]any {
		off++
		out := [][]any{mk(off)}
		switch r.IntN(6) {
		case 0:
			off++
			out = append(out, mk(off))
		case 1:
			out = append(out, mk(off))
		}
		return out
	}
	var sf, ho, co, in, ch, sr, sv [][]any
	id := func(p string, i int) string { return fmt.Sprintf("%s%d", p, i) }
	for i := range 400 {
		e, b, a, s, st := id("e", i), branch(), at(), pick("S", 6, 0), pick("E", 12, 0.2)
		rating, wait := uint8(1+r.IntN(5)), uint32(r.IntN(600))
		sf = append(sf, rows(func(o int64) []any {
			return []any{e, b, uint32(oct), a, s, st, rating, wait, int32(r.IntN(3)), o}
		})...)
	}
	for i := range 300 {
		e, b, a, ag := id("h", i), branch(), at(), pick("A", 5, 0.1)
		rating, res, wait, hdl := uint8(1+r.IntN(5)), uint8(r.IntN(2)), uint32(r.IntN(60)), uint32(r.IntN(900))
		ho = append(ho, rows(func(o int64) []any {
			return []any{e, b, uint32(oct), a, ag, rating, res, wait, hdl, int32(r.IntN(3)), o}
		})...)
	}
	for i := range 150 {
		e, b, a := id("c", i), branch(), at()
		s, st, ag, mg := pick("S", 6, 0.5), pick("E", 12, 0.5), pick("A", 5, 0.6), pick("M", 4, 0.6)
		co = append(co, rows(func(o int64) []any {
			return []any{e, b, uint32(oct), a, s, st, ag, mg, int32(0), o}
		})...)
	}
	for i := range 60 {
		e, b, a, s, st := id("i", i), branch(), at(), pick("S", 6, 0), pick("E", 12, 0.5)
		by, score := []string{"province", "city"}[r.IntN(2)], float64(40+r.IntN(61))
		in = append(in, rows(func(o int64) []any {
			return []any{e, b, uint32(oct), a, s, st, "patrol", by, score, int32(0), o}
		})...)
	}
	for i := range 60 {
		e, b, a, mg := id("x", i), branch(), at(), pick("M", 4, 0.3)
		ch = append(ch, rows(func(o int64) []any { return []any{e, b, uint32(oct), a, "high", mg, int32(0), o} })...)
	}
	for i := range 120 {
		e, b, a, mg, w := id("r", i), branch(), at(), pick("M", 4, 0.2), float64(1+r.IntN(4))
		var codes []string
		var scores []uint8
		for _, c := range []string{"network", "voice", "unknown"} {
			if r.IntN(2) == 0 {
				codes, scores = append(codes, c), append(scores, uint8(1+r.IntN(10)))
			}
		}
		sr = append(sr, rows(func(o int64) []any {
			return []any{e, b, uint32(oct), a, "cmcc", w, uint8(0), codes, scores, "enterprise", mg, int32(0), o}
		})...)
		if r.IntN(5) == 0 {
			sv = append(sv, []any{id("v", i), b, uint32(oct), e, int32(0), int64(i)})
		}
	}
	// Rows of another month, which neither SELECT may count.
	sf = append(sf, []any{"e0", "GD-SZ", uint32(sep), day(1).AddDate(0, -1, 0), "S0", "E0", uint8(1), uint32(5), int32(0), int64(0)})
	insert(t, conn, "store_feedback", "event_id, branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset", sf...)
	insert(t, conn, "hotline_feedback", "event_id, branch_id, month, occurred_at, agent_id, rating, resolved, wait_seconds, handle_seconds, kafka_partition, kafka_offset", ho...)
	insert(t, conn, "complaints_opened", "event_id, branch_id, month, occurred_at, store_id, staff_id, agent_id, manager_id, kafka_partition, kafka_offset", co...)
	insert(t, conn, "inspections", "event_id, branch_id, month, occurred_at, store_id, staff_id, kind, published_by, score, kafka_partition, kafka_offset", in...)
	insert(t, conn, "churn_events", "event_id, branch_id, month, occurred_at, tier, manager_id, kafka_partition, kafka_offset", ch...)
	insert(t, conn, "survey_responses", "event_id, branch_id, month, occurred_at, carrier, weight, overall, item_codes, item_scores, customer_type, manager_id, kafka_partition, kafka_offset", sr...)
	insert(t, conn, "survey_voids", "event_id, branch_id, month, target_event_id, kafka_partition, kafka_offset", sv...)

	cur, ref, err := newProjector(conn).FrontlineSelects(ctx, oct)
	if err != nil {
		t.Fatal(err)
	}
	got, want := frontlineRows(t, conn, cur), frontlineRows(t, conn, ref)
	if len(want) < 6+12+5+4 {
		t.Fatalf("the reference gives %d units: the data should name every store, staff member, agent and manager", len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		if !g.equal(w) {
			t.Errorf("%s:\n got %+v\nwant %+v", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: not in the reference", k)
		}
	}
	// The data must make the event_id decide placements: a unit whose latest placing second
	// holds several of its events.
	latest := map[string]time.Time{}
	ids := map[string]map[string]bool{}
	for _, rows := range [][][]any{sf, ho} {
		for _, row := range rows {
			if row[2] != uint32(oct) {
				continue
			}
			a := row[3].(time.Time)
			for _, u := range row[4:6] {
				u, ok := u.(string)
				if !ok || u == "" {
					continue
				}
				if a.After(latest[u]) {
					latest[u], ids[u] = a, map[string]bool{}
				}
				if a.Equal(latest[u]) {
					ids[u][row[0].(string)] = true
				}
			}
		}
	}
	ties := 0
	for _, s := range ids {
		if len(s) > 1 {
			ties++
		}
	}
	if ties == 0 {
		t.Error("no unit's placement is decided by the event_id: the data should have ties")
	}
}

// frontlineRow is one row of a frontline SELECT: the placement as strings, every count as a
// float64 (the sums of floats compared to 1e-9).
type frontlineRow struct {
	place  [4]string // branch_id, placed_at, placed_by, store_id
	counts []float64
}

func (a frontlineRow) equal(b frontlineRow) bool {
	if a.place != b.place || len(a.counts) != len(b.counts) {
		return false
	}
	for i := range a.counts {
		if !approx(a.counts[i], b.counts[i]) {
			return false
		}
	}
	return true
}

// frontlineRows runs q (a frontline SELECT) and returns its rows by "kind unit_id".
func frontlineRows(t *testing.T, conn driver.Conn, q string) map[string]frontlineRow {
	t.Helper()
	const counts = "toFloat64(n), toFloat64(satisfied), toFloat64(dissatisfied), toFloat64(wait_sum), toFloat64(resolved), " +
		"toFloat64(sl20), toFloat64(handle_sum), toFloat64(complaints), toFloat64(churned), toFloat64(insp_province_n), " +
		"insp_province_sum, toFloat64(insp_city_n), insp_city_sum, toFloat64(survey_n), sw, sw2, swy, swy2"
	rows, err := conn.Query(context.Background(), "SELECT kind, unit_id, branch_id, toString(placed_at), placed_by, store_id, "+
		"["+counts+"] FROM ("+q+") ORDER BY kind, unit_id")
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	out := map[string]frontlineRow{}
	for rows.Next() {
		var kind, unit string
		var row frontlineRow
		if err := rows.Scan(&kind, &unit, &row.place[0], &row.place[1], &row.place[2], &row.place[3], &row.counts); err != nil {
			t.Fatal(err)
		}
		out[kind+" "+unit] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
