package e2e

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestFrontlineStoriesThroughIngest publishes the generator's stream (small scale, the last
// month 2026-10) to Kafka, ingests it into ClickHouse with the front-line projection on (csat
// ingest --drain with CSAT_FRONTLINE=1) and reads the league tables' input (Engine.Units,
// Engine.UnitCard): each planted front-line story is found where synth.FrontlineStories says:
//   - the mystery-collapse store is the lowest of its county's and its city's stores by city
//     inspection in the last month, and its city inspection falls in each story month;
//   - the clerk has the most complaints of their store's staff in the last month and over the
//     story months (2026-Q3 holds two of them, 2026-H2 all three);
//   - the agent has the longest average wait of the agents of their branch (the county of their
//     latest call) and of their city.
//
// Every front-line event is in its raw table once per distinct event id.
func TestFrontlineStoriesThroughIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a generated stream through Kafka and ClickHouse")
	}
	kafkatest.Need(t)
	conn, _ := chtest.New(t)
	tp := traffic.UniqueTopics("stories")
	kafkatest.CreateAll(t, tp, 3)
	gcfg := synth.Config{Seed: 3, Months: 5, EndMonth: end, Scale: 0.1, Topics: tp}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	msgs := generatedMessages(t, gcfg)
	if err := traffic.Produce(ctx, kafkatest.Writer(t), msgs); err != nil {
		t.Fatal(err)
	}
	cat := schema.DefaultCatalog()
	dec := decoder(t, tp)
	drain(ctx, t, conn, ingestConfig("stories-grp"), dec, tp)

	// The raw tables: each front-line event id once, however often it was published.
	want := map[string]map[string]bool{}
	for _, m := range msgs {
		ev, err := dec.Decode(m.Topic, m.Value)
		if err != nil {
			t.Fatalf("a generated message is rejected: %v\n%s", err, m.Value)
		}
		var table string
		switch ev.(type) {
		case *schema.Inspection:
			table = "inspections"
		case *schema.ScoreReported:
			table = "scores_reported"
		case *schema.Adjustment:
			table = "adjustments"
		case *schema.AdjustmentVoid:
			table = "adjustment_voids"
		default:
			continue
		}
		if want[table] == nil {
			want[table] = map[string]bool{}
		}
		want[table][ev.Env().EventID] = true
	}
	for table, ids := range want {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT uniqExact(event_id) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != uint64(len(ids)) {
			t.Errorf("%s: %d distinct event ids, want %d", table, n, len(ids))
		}
	}
	if len(want) != 4 {
		t.Errorf("front-line tables in the stream: %v, want 4", len(want))
	}

	sc, err := kpi.DefaultScorecard(cat)
	if err != nil {
		t.Fatal(err)
	}
	eng := aggregate.NewEngine(conn, kpi.DefaultConfig(), cat, sc, nil)
	last := gcfg.LastMonth().String()
	for _, s := range synth.FrontlineStories(gcfg) {
		t.Run(s.Name, func(t *testing.T) {
			card, err := eng.UnitCard(ctx, s.Kind, s.Unit, last)
			if err != nil {
				t.Fatal(err)
			}
			switch s.Name {
			case synth.StoryMystery:
				if card.Branch != s.County {
					t.Errorf("store %s placed at %q, want %s", s.Unit, card.Branch, s.County)
				}
				for _, parent := range []string{s.County, s.City} {
					lowestBy(ctx, t, eng, s, parent, last, "city inspection", func(c kpi.UnitCard) *float64 {
						if c.Inspection == nil {
							return nil
						}
						return c.Inspection.City
					}, true)
				}
				prev := math.Inf(1)
				for m := s.Start.Prev(); m <= s.Month; m = m.Add(1) {
					c, err := eng.UnitCard(ctx, s.Kind, s.Unit, m.String())
					if err != nil {
						t.Fatal(err)
					}
					v := c.Inspection.City
					if v == nil || *v >= prev-synth.StoryMysteryStep/2 {
						t.Errorf("%v: city inspection %v after %.1f: want a fall of at least %.0f", m, val(v), prev, synth.StoryMysteryStep/2)
						continue
					}
					prev = *v
				}
			case synth.StoryClerk:
				if card.Store != s.Store {
					t.Errorf("clerk %s placed at store %q, want %s", s.Unit, card.Store, s.Store)
				}
				for _, period := range []string{last, "2026-Q3", "2026-H2"} {
					lowestBy(ctx, t, eng, s, s.Store, period, "complaints", func(c kpi.UnitCard) *float64 {
						v := float64(c.Complaints)
						return &v
					}, false)
				}
			case synth.StorySlowAgent:
				for _, parent := range []string{card.Branch, s.City} {
					lowestBy(ctx, t, eng, s, parent, last, "avg_wait", func(c kpi.UnitCard) *float64 { return c.AvgWait.Value }, false)
				}
			}
		})
	}
	t.Run("unit alerts", func(t *testing.T) { checkUnitAlerts(ctx, t, eng, gcfg) })
}

// generatedMessages is the generator's stream for cfg as Kafka messages.
func generatedMessages(t *testing.T, cfg synth.Config) []kafka.Message {
	t.Helper()
	var msgs []kafka.Message
	if _, err := synth.Generate(cfg, func(topic string, key, value []byte) error {
		msgs = append(msgs, kafka.Message{Topic: topic, Key: key, Value: value})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// decoder is the default catalog's decoder of topics tp in Asia/Shanghai.
func decoder(t *testing.T, tp schema.Topics) *schema.Decoder {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return schema.NewDecoder(schema.DefaultCatalog(), tp, loc)
}

// ingestConfig is ingest's configuration for these tests: the test Kafka, a fresh group named
// after prefix, short timeouts.
func ingestConfig(prefix string) ingest.Config {
	cfg := ingest.DefaultConfig()
	cfg.Brokers = kafkatest.Brokers()
	cfg.Group = traffic.Unique(prefix)
	cfg.SessionTimeout, cfg.RebalanceTimeout = 6*time.Second, 10*time.Second
	cfg.BatchInterval = 100 * time.Millisecond
	cfg.RetryMax = time.Second
	return cfg
}

// frontlineProjector projects every family, the front line's included (CSAT_FRONTLINE=1).
func frontlineProjector(conn driver.Conn) *aggregate.Projector {
	return aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: schema.DefaultCatalog(), SLAHours: 48, Frontline: true}, nil, nil)
}

// drain runs csat ingest --drain with the front-line projector: everything published is
// ingested and projected when it returns.
func drain(ctx context.Context, t *testing.T, conn driver.Conn, cfg ingest.Config, dec *schema.Decoder, tp schema.Topics) {
	t.Helper()
	in, err := ingest.New(cfg, dec, tp, conn, nil, nil, ingest.WithProjector(frontlineProjector(conn)))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// lowestBy checks that story s's unit has the lowest (lowest false: the highest) value of
// metric among the units of its kind under parent for period, with at least two units compared.
func lowestBy(ctx context.Context, t *testing.T, eng *aggregate.Engine, s synth.FrontlineStory, parent, period, metric string,
	value func(kpi.UnitCard) *float64, lowest bool) {
	t.Helper()
	cards, err := eng.Units(ctx, s.Kind, parent, period)
	if err != nil {
		t.Fatal(err)
	}
	var mine *float64
	others := 0
	for _, c := range cards {
		if c.Unit == s.Unit {
			mine = value(c)
		}
	}
	if mine == nil {
		t.Fatalf("%s %s: no %s among the %d units of %s for %s", s.Kind, s.Unit, metric, len(cards), parent, period)
	}
	for _, c := range cards {
		v := value(c)
		if c.Unit == s.Unit || v == nil {
			continue
		}
		others++
		if lowest && *v <= *mine || !lowest && *v >= *mine {
			t.Errorf("%s: %s %s has %s %.1f, the planted %s %.1f", period, s.Kind, c.Unit, metric, *v, s.Unit, *mine)
		}
	}
	if others == 0 {
		t.Errorf("%s: %s %s is alone under %s", period, s.Kind, s.Unit, parent)
	}
	t.Logf("%s under %s, %s: %s %.1f, %d others", s.Unit, parent, period, metric, *mine, others)
}

func val(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%.1f", *v)
}
