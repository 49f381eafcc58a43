package e2e

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/e2e/approx"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/ingesttest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
	"github.com/csat-dev/csat/schema/store"
)

// TestMain runs the tests, or, run again by ingesttest.StartIngest, an ingest process with the
// front-line projection on (csat ingest with CSAT_FRONTLINE=1).
func TestMain(m *testing.M) {
	ingesttest.IngestMain(m, func(conn driver.Conn) []ingest.Option {
		return []ingest.Option{ingest.WithProjector(frontlineProjector(conn))}
	})
}

// isFrontline reports whether ev is a front-line event or names a unit: what the resends of
// TestFrontlineCrashResend repeat.
func isFrontline(ev schema.Event) bool {
	switch e := ev.(type) {
	case *schema.Inspection, *schema.ScoreReported, *schema.Adjustment, *schema.AdjustmentVoid:
		return true
	case *schema.ComplaintOpened:
		return e.StoreID != "" || e.StaffID != "" || e.AgentID != ""
	}
	return false
}

// TestFrontlineCrashResend: the generator's stream (front line included), with every fifth
// front-line message resent later (same bytes, new offset), is ingested by processes with the
// front-line projection on that are killed with SIGKILL at three random moments of a ~25 s load
// (each after the restarted process made progress: inserts, commits and projection refreshes
// are all under way) and restarted; a final drain completes it.
// Then every raw table holds each message exactly once, and the planted units' cards equal
// what the stream says, counted by distinct event id (hand-countable: the store's city
// inspection mean, the clerk's complaints, the agent's average wait and ratings); and every
// unit's card of the last month equals its card after a rebuild of the month from the raw tables.
func TestFrontlineCrashResend(t *testing.T) {
	if testing.Short() {
		t.Skip("kills ingest processes in the middle of a load")
	}
	kafkatest.Need(t)
	conn, chcfg := chtest.New(t)
	tp := traffic.UniqueTopics("crash")
	kafkatest.CreateAll(t, tp, 3)
	gcfg := synth.Config{Seed: 5, Months: 4, EndMonth: end, Scale: 0.1, Topics: tp}
	cat := schema.DefaultCatalog()
	dec := decoder(t, tp)
	msgs := generatedMessages(t, gcfg)
	// Decode once: the distinct events (the truth) and the resends.
	var events []schema.Event
	seen := map[string]bool{}
	rng := rand.New(rand.NewPCG(5, 5))
	var resends int
	for i := 0; i < len(msgs); i++ {
		ev, err := dec.Decode(msgs[i].Topic, msgs[i].Value)
		if err != nil {
			t.Fatalf("a generated message is rejected: %v", err)
		}
		id := ev.Env().EventID
		if seen[id] {
			continue
		}
		seen[id] = true
		events = append(events, ev)
		if isFrontline(ev) && len(seen)%5 == 0 {
			// A resend, somewhere after the original.
			pos := i + 1 + rng.IntN(len(msgs)-i)
			m := msgs[i]
			msgs = append(msgs[:pos], append([]kafka.Message{{Topic: m.Topic, Key: m.Key, Value: m.Value}}, msgs[pos:]...)...)
			resends++
		}
	}
	t.Logf("%d messages, %d distinct events, %d front-line resends", len(msgs), len(events), resends)

	icfg := ingestConfig("crash-grp")
	icfg.BatchRows = 2000
	icfg.ProjectInterval, icfg.ProjectDebounce = 300*time.Millisecond, 100*time.Millisecond

	// Produce in slices with pauses, so that the kills fall within the load.
	w := kafkatest.Writer(t)
	produced := make(chan error, 1)
	go func() {
		rest := msgs
		for len(rest) > 0 {
			n := min(1000, len(rest))
			if err := traffic.Produce(context.Background(), w, rest[:n]); err != nil {
				produced <- err
				return
			}
			rest = rest[n:]
			time.Sleep(800 * time.Millisecond)
		}
		produced <- nil
	}()
	rows := func() uint64 {
		var n, sum uint64
		for _, id := range store.RawTables() {
			if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+id.Name()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			sum += n
		}
		return sum
	}
	spec := ingesttest.IngestChild{Config: icfg, Topics: tp, ClickHouse: chcfg}
	c := ingesttest.StartIngest(t, spec)
	krng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for i := range 3 {
		before := rows()
		for deadline := time.Now().Add(60 * time.Second); rows() == before && before < uint64(len(msgs)) && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(krng.Int64N(int64(time.Second))))
		c.Kill()
		t.Logf("kill %d at %d rows", i+1, rows())
		c = ingesttest.StartIngest(t, spec)
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	c.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	drain(ctx, t, conn, icfg, dec, tp)

	// Raw tables: each message once (rows = distinct offsets = messages), each event id once.
	wantRows, wantIDs := map[string]int{}, map[string]map[string]bool{}
	for _, m := range msgs {
		ev, _ := dec.Decode(m.Topic, m.Value)
		id, _ := store.TableOf(ev.Env().Type)
		wantRows[id.Name()]++
		if wantIDs[id.Name()] == nil {
			wantIDs[id.Name()] = map[string]bool{}
		}
		wantIDs[id.Name()][ev.Env().EventID] = true
	}
	for _, id := range store.RawTables() {
		var n, offsets, ids uint64
		q := "SELECT count(), uniqExact(kafka_topic, kafka_partition, kafka_offset), uniqExact(event_id) FROM " + id.Name()
		if err := conn.QueryRow(ctx, q).Scan(&n, &offsets, &ids); err != nil {
			t.Fatal(err)
		}
		tb := id.Name()
		if n != uint64(wantRows[tb]) || offsets != n || ids != uint64(len(wantIDs[tb])) {
			t.Errorf("%s: %d rows, %d distinct offsets, %d event ids; want %d messages, %d event ids",
				tb, n, offsets, ids, wantRows[tb], len(wantIDs[tb]))
		}
	}

	// The planted units against the stream, by distinct event id.
	sc, err := kpi.DefaultScorecard(cat)
	if err != nil {
		t.Fatal(err)
	}
	eng := aggregate.NewEngine(conn, kpi.DefaultConfig(), cat, sc, nil)
	last := gcfg.LastMonth()
	for _, s := range synth.FrontlineStories(gcfg) {
		card, err := eng.UnitCard(ctx, s.Kind, s.Unit, last.String())
		if err != nil {
			t.Fatal(err)
		}
		var n, sum, complaints float64
		for _, ev := range events {
			if ev.Env().Month != last {
				continue
			}
			switch e := ev.(type) {
			case *schema.Inspection:
				if s.Name == synth.StoryMystery && e.StoreID == s.Unit && e.PublishedBy == schema.PublisherCity {
					n, sum = n+1, sum+e.Score
				}
			case *schema.ComplaintOpened:
				if s.Name == synth.StoryClerk && e.StaffID == s.Unit {
					complaints++
				}
			case *schema.HotlineFeedback:
				if s.Name == synth.StorySlowAgent && e.AgentID == s.Unit {
					n, sum = n+1, sum+float64(e.WaitSeconds)
				}
			}
		}
		switch s.Name {
		case synth.StoryMystery:
			// mean = Σ score / n over the store's city inspections of the month
			if c := card.Inspection.City; n == 0 || c == nil || math.Abs(*c-sum/n) > 1e-9 {
				t.Errorf("%s: city inspection %s, the stream's %d inspections average %.4f", s.Unit, val(c), int(n), sum/n)
			}
		case synth.StoryClerk:
			if float64(card.Complaints) != complaints || complaints < synth.StoryClerkMin {
				t.Errorf("%s: %d complaints, the stream names them in %.0f", s.Unit, card.Complaints, complaints)
			}
		case synth.StorySlowAgent:
			// avg_wait = Σ wait_seconds / n over the agent's ratings of the month
			if v := card.AvgWait.Value; float64(card.Ratings) != n || v == nil || math.Abs(*v-sum/n) > 1e-9 {
				t.Errorf("%s: avg_wait %s over %d ratings, the stream's %.0f ratings average %.4f", s.Unit, val(v), card.Ratings, n, sum/n)
			}
		}
	}

	// Every unit's card equals its card after a rebuild of the month from the raw tables.
	read := func() map[string][]kpi.UnitCard {
		out := map[string][]kpi.UnitCard{}
		for _, kind := range []string{kpi.UnitStore, kpi.UnitAgent, kpi.UnitManager} {
			cards, err := eng.Units(ctx, kind, schema.Root, last.String())
			if err != nil {
				t.Fatal(err)
			}
			out[kind] = cards
		}
		return out
	}
	before := read()
	if err := frontlineProjector(conn).Rebuild(ctx, last); err != nil {
		t.Fatal(err)
	}
	after := read()
	for kind, cards := range before {
		if len(cards) == 0 {
			t.Errorf("no %s units in %v", kind, last)
		}
		// Sums of floats (a manager's survey moments) are summed by ClickHouse in an order that
		// depends on the parts and threads: equal to 1e-9 relative, not to the last bit.
		if d := approx.Diff(cards, after[kind]); d != "" {
			t.Errorf("%s cards of %v differ from a rebuild: %s", kind, last, d)
		}
	}
}
