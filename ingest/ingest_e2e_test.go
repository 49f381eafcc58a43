package ingest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

// TestExactMixed: 100,000 messages of the realistic mix (version 2's front-line events
// included), 10% of them resends of earlier events (same event_id, new offset), survey voids
// and adjustment voids produced before and after their targets, and late events months old. The raw tables hold every message exactly once, in its own month, and a
// void arriving after its response marks the response's month dirty.
func TestExactMixed(t *testing.T) {
	e := newEnv(t, 6)
	rng := rand.New(rand.NewPCG(7, 7))
	g := traffic.NewGen(3, e.topics)
	loc, _ := time.LoadLocation("Asia/Shanghai")

	var msgs []kafka.Message
	late := map[string]schema.Month{}
	lateAt := map[string]time.Time{}
	for i := range 90000 {
		m := g.Next()
		if i%100 == 0 { // late: months before now
			at := time.Date(2025, time.Month(1+rng.IntN(12)), 1+rng.IntN(27), rng.IntN(24), 0, 0, 0, loc)
			id := fmt.Sprintf("late-%d", i)
			m = g.Event(schema.TypeHotlineFeedback, id, at)
			late[id], lateAt[id] = schema.MonthOf(at, loc), at
		}
		msgs = append(msgs, m)
	}
	// Resends: 10,000 copies of earlier messages, each after its original.
	for range 10000 {
		pos := rng.IntN(len(msgs))
		orig := msgs[rng.IntN(pos+1)]
		msgs = append(msgs[:pos+1], msgs[pos:]...)
		msgs[pos+1] = kafka.Message{Topic: orig.Topic, Key: orig.Key, Value: orig.Value}
	}
	// Survey responses in a month of their own, voided before and after they arrive.
	voidMonth := schema.Month(202402)
	at := time.Date(2024, 2, 10, 12, 0, 0, 0, loc)
	var before, after, responses []kafka.Message
	for i := range 40 {
		rid := fmt.Sprintf("resp-%d", i)
		responses = append(responses, g.Event(schema.TypeSurveyResponse, rid, at))
		v := g.Void(fmt.Sprintf("void-%d", i), rid, at.Add(time.Hour))
		if i%2 == 0 {
			before = append(before, v)
		} else {
			after = append(after, v)
		}
	}
	// Adjustments (version 2) voided before and after they arrive, like the survey voids.
	for i := range 20 {
		aid := fmt.Sprintf("adj-%d", i)
		responses = append(responses, g.Event(schema.TypeAdjustment, aid, at))
		v := g.VoidAdjustment(fmt.Sprintf("adjvoid-%d", i), aid, at.Add(time.Hour))
		if i%2 == 0 {
			before = append(before, v)
		} else {
			after = append(after, v)
		}
	}
	phase1 := append(append(before, msgs...), responses...)
	produced := time.Now().Truncate(time.Second)
	e.produce(phase1)
	drained := time.Now().Truncate(time.Second)
	e.drain(e.config())
	done := time.Now()
	e.checkExact(e.expected(phase1))

	var mark1 uint64
	if err := e.conn.QueryRow(context.Background(),
		"SELECT max(marked_at) FROM kpi_dirty WHERE family = 'survey' AND month = ?", uint32(voidMonth)).Scan(&mark1); err != nil {
		t.Fatal(err)
	}
	if mark1 == 0 {
		t.Fatalf("no survey mark for %s after its responses were ingested", voidMonth)
	}
	e.produce(after)
	e.drain(e.config())
	all := append(phase1, after...)
	want := e.expected(all)
	e.checkExact(want)
	for _, typ := range schema.Types() { // the mix and the voids hold every type, version 2's included
		if tb := tableName(typ); want[tb] == 0 {
			t.Errorf("no %s in the test's traffic", tb)
		}
	}
	var unvoided uint64
	if err := e.conn.QueryRow(context.Background(), "SELECT count() FROM adjustments WHERE event_id LIKE 'adj-%' "+
		"AND event_id NOT IN (SELECT target_event_id FROM adjustment_voids)").Scan(&unvoided); err != nil {
		t.Fatal(err)
	}
	if unvoided != 0 {
		t.Errorf("%d adjustments without their void, whichever came first", unvoided)
	}
	var mark2 uint64
	if err := e.conn.QueryRow(context.Background(),
		"SELECT max(marked_at) FROM kpi_dirty WHERE family = 'survey' AND month = ?", uint32(voidMonth)).Scan(&mark2); err != nil {
		t.Fatal(err)
	}
	if mark2 <= mark1 {
		t.Errorf("voids after their responses did not mark %s again (marked_at %d, then %d)", voidMonth, mark1, mark2)
	}

	// Distinct event ids: resends are kept as rows, but their ids are the originals'.
	ids := map[string]map[string]bool{}
	for _, m := range all {
		ev, err := e.dec.Decode(m.Topic, m.Value)
		if err != nil {
			t.Fatalf("generated message rejected: %v", err)
		}
		tb := tableName(ev.Env().Type)
		if ids[tb] == nil {
			ids[tb] = map[string]bool{}
		}
		ids[tb][ev.Env().EventID] = true
	}
	for tb, set := range ids {
		var n uint64
		if err := e.conn.QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM "+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != uint64(len(set)) {
			t.Errorf("%s: uniqExact(event_id) = %d, want %d", tb, n, len(set))
		}
	}
	// Late events land in their own month, with their occurred_at; kafka_time is when they were
	// produced and ingested_at when the first drain wrote them (DateTime: whole seconds).
	rows, err := e.conn.Query(context.Background(),
		"SELECT event_id, month, occurred_at, kafka_time, ingested_at FROM hotline_feedback WHERE event_id LIKE 'late-%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id string
		var m uint32
		var occurred, kafkaTime, ingested time.Time
		if err := rows.Scan(&id, &m, &occurred, &kafkaTime, &ingested); err != nil {
			t.Fatal(err)
		}
		seen++
		if schema.Month(m) != late[id] {
			t.Errorf("%s: month %d, want %d", id, m, late[id])
		}
		if !occurred.Equal(lateAt[id]) {
			t.Errorf("%s: occurred_at %v, want %v", id, occurred, lateAt[id])
		}
		if kafkaTime.Before(produced) || kafkaTime.After(drained) {
			t.Errorf("%s: kafka_time %v, want within the production, %v to %v", id, kafkaTime, produced, drained)
		}
		if ingested.Before(drained) || ingested.After(done) {
			t.Errorf("%s: ingested_at %v, want within the first drain, %v to %v", id, ingested, drained, done)
		}
	}
	if seen < len(late) {
		t.Errorf("late events: %d rows, want at least %d", seen, len(late))
	}
	// Every late month is marked dirty for its family.
	for _, m := range late {
		var n uint64
		if err := e.conn.QueryRow(context.Background(),
			"SELECT count() FROM kpi_dirty WHERE family = 'window' AND month = ?", uint32(m)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("late month %s not marked dirty", m)
		}
	}
}
