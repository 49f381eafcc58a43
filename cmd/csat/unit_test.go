package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestUnitCommands loads a hand-made October of store ratings into a real server, rebuilds it
// with the front-line projection on, and reads it back through csat rank --unit and csat unit
// as a user would. The numbers are those of aggregate's TestUnitLeague:
//
//	GD-SZ-NS  S1 9 of 10 satisfied (E1 6/6, E2 3/4), S2 5/10 (E3), S3 0/2, S4 3/10,
//	          S5 a complaint only; GD-SZ-FT S6 6/6.
//
// With CSAT_MIN_SAMPLE 5, S3's 2 ratings rank by its smoothed 38.79 (τ² = 460.205078125 over
// GD-SZ-NS's stores, B = 0.26986, 53.125 − B·53.125), above S4's reportable 30.
func TestUnitCommands(t *testing.T) {
	conn, cfg := chtest.New(t)
	ctx := context.Background()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO store_feedback (event_id, branch_id, month, occurred_at, store_id, staff_id, rating, wait_seconds, kafka_partition, kafka_offset)")
	if err != nil {
		t.Fatal(err)
	}
	off := int64(0)
	add := func(branch, store, staff string, rating uint8, wait uint32, count int) {
		for range count {
			off++
			at := time.Date(2026, 10, 1+int(off%27), 2, 0, 0, 0, time.UTC)
			if err := b.Append(fmt.Sprintf("f%d", off), branch, uint32(202610), at, store, staff, rating, wait, int32(0), off); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("GD-SZ-NS", "S1", "E1", 5, 60, 6)
	add("GD-SZ-NS", "S1", "E2", 5, 60, 3)
	add("GD-SZ-NS", "S1", "E2", 1, 60, 1)
	add("GD-SZ-NS", "S2", "E3", 4, 100, 5)
	add("GD-SZ-NS", "S2", "E3", 3, 100, 5)
	add("GD-SZ-NS", "S3", "", 2, 10, 2)
	add("GD-SZ-NS", "S4", "", 5, 200, 3)
	add("GD-SZ-NS", "S4", "", 2, 200, 7)
	add("GD-SZ-FT", "S6", "", 5, 30, 6)
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	// A batch, not inline VALUES: 18.16's native protocol does not take those in Exec.
	cb, err := conn.PrepareBatch(ctx, "INSERT INTO complaints_opened (event_id, branch_id, month, occurred_at, store_id, staff_id, agent_id, manager_id, kafka_partition, kafka_offset)")
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []string{"S1", "S1", "S5"} {
		if err := cb.Append(fmt.Sprintf("c%d", i), "GD-SZ-NS", uint32(202610), time.Date(2026, 10, 2, 2, 0, 0, 0, time.UTC), st, "", "", "", int32(0), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cb.Send(); err != nil {
		t.Fatal(err)
	}
	on := chEnv(cfg, "CSAT_MIN_SAMPLE=5", "CSAT_FRONTLINE=1")

	// Without the projection the table is empty, and the CLI says why.
	code, _, stderr := runCLI(t, chEnv(cfg, "CSAT_MIN_SAMPLE=5"), "rank", "--unit", "store", "--parent", "GD-SZ", "--period", "2026-10")
	if code != exitEmpty || !strings.Contains(stderr, "CSAT_FRONTLINE=1") {
		t.Errorf("rank before the front-line rebuild: exit %d %q", code, stderr)
	}
	if code, out, stderr := runCLI(t, on, "rebuild", "--month", "2026-10"); code != 0 {
		t.Fatalf("csat rebuild: %d %s %s", code, out, stderr)
	}

	code, stdout, stderr := runCLI(t, on, "rank", "--unit", "store", "--parent", "GD-SZ", "--period", "2026-10")
	want := "stores of GD-SZ · 2026-10 · ranked by satisfaction (higher is better)\n\n" +
		"rank  store  branch    satisfaction  ±moe95  n   smoothed  note                         name\n" +
		"1     S6     GD-SZ-FT  100.0         ±0.0    6   100.0                                  \n" +
		"2     S1     GD-SZ-NS  90.0          ±18.6   10  77.1                                   \n" +
		"3     S2     GD-SZ-NS  50.0          ±31.0   10  51.1                                   \n" +
		"4~    S3     GD-SZ-NS  0.0           ±0.0    2   38.8      n 2 < 5: ranked by smoothed  \n" +
		"5     S4     GD-SZ-NS  30.0          ±28.4   10  38.1                                   \n" +
		"–     S5     GD-SZ-NS  –             –       0   53.1      no value                     \n" +
		"\n~ fewer than 5 ratings (CSAT_MIN_SAMPLE): ranked by the smoothed value (shrunk toward its branch's units), not its own\n"
	if code != 0 || stdout != want {
		t.Errorf("csat rank --unit store: exit %d %s\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
	// S1: 1.96 × 100 × √(0.9·0.1/10) = 18.59; S2: 1.96 × 100 × √(0.25/10) = 30.99;
	// S4: 1.96 × 100 × √(0.21/10) = 28.40; smoothed S1 53.125 + 0.64888·36.875 = 77.05; S5
	// without ratings: smoothed to the branch's pooled 53.125, not ranked.

	code, stdout, stderr = runCLI(t, on, "rank", "--unit", "staff", "--store", "S1", "--period", "2026-10", "--json")
	var l struct {
		Unit, Parent, Metric string
		Units                []struct {
			Rank     *int
			Unit     string
			RankedBy string `json:"ranked_by"`
			Smoothed *float64
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &l) != nil || l.Parent != "store:S1" || len(l.Units) != 2 ||
		l.Units[1].Unit != "E2" || l.Units[1].RankedBy != "smoothed" || *l.Units[1].Smoothed != 90 {
		t.Errorf("csat rank --unit staff --store S1 --json: exit %d %s\n%s", code, stderr, stdout)
	}
	// By avg_wait S3's mean of 2 ratings is not ranked.
	code, stdout, _ = runCLI(t, on, "rank", "--unit", "store", "--parent", "GD-SZ-NS", "--period", "2026-10", "--metric", "avg_wait")
	if code != 0 || !strings.Contains(stdout, "(lower is better)") || !strings.Contains(stdout, "n 2 < 5: not ranked") ||
		!strings.Contains(stdout, "listed, not ranked") {
		t.Errorf("csat rank by avg_wait: %d\n%s", code, stdout)
	}

	code, stdout, stderr = runCLI(t, on, "unit", "--staff", "E2", "--period", "2026-10", "--trend")
	for _, s := range []string{"staff E2 · 2026-10 · store S1 · GD-SZ-NS", "satisfaction  75.0 ±42.4 n=4 *   smoothed 90.0",
		"net_score     +2", "complaints    0", "* fewer ratings than CSAT_MIN_SAMPLE", "2026-10  4  75.0          90.0      +2",
		"2025-11  0  –             –         +0"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("csat unit --staff E2 --trend: no %q in\n%s", s, stdout)
		}
	}
	if code != 0 {
		t.Errorf("csat unit: exit %d %s", code, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rank", "--unit", "store", "--level", "city", "--period", "2026-10"}, "exclusive"},
		{[]string{"rank", "--unit", "store", "--store", "S1", "--period", "2026-10"}, "--unit staff"},
		{[]string{"rank", "--unit", "store", "--parent", "GD-SZ", "--period", "2026-10", "--metric", "fcr"}, `--metric: "fcr" is not a metric of a store`},
		{[]string{"rank", "--unit", "clerk", "--period", "2026-10"}, "not a unit kind"},
		{[]string{"unit", "--store", "S1", "--staff", "E1", "--period", "2026-10"}, "exclusive"},
		{[]string{"unit", "--period", "2026-10"}, "name a unit"},
		{[]string{"unit", "--store", "S 1", "--period", "2026-10"}, "not a unit id"},
	} {
		if code, _, stderr := runCLI(t, on, c.args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("csat %s: exit %d %q, want 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	if code, _, stderr := runCLI(t, on, "unit", "--store", "NOWHERE", "--period", "2026-10"); code != exitEmpty || !strings.Contains(stderr, "no event names store NOWHERE") {
		t.Errorf("csat unit of an unknown store: exit %d %q", code, stderr)
	}
}
