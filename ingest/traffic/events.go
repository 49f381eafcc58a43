// Package traffic makes and reads Kafka traffic for csat's benchmarks and tests: Gen produces
// valid events in the realistic mix of csat's traffic, UniqueTopics, Create and Delete manage
// throwaway topics, NewWriter and Produce write them, EndOffsets and ReadAll read them back.
//
// It imports no testing code: `csat bench ingest` links it. Test helpers over it (skip or fail
// when Kafka is missing, delete topics when a test ends) are in ingest/kafkatest.
package traffic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/schema"
)

// Gen generates valid events as Kafka messages for tests and benchmarks: the realistic mix of
// csat's traffic (mostly hotline and store ratings), about 300 bytes each, keyed by event id so
// they spread evenly over partitions. It is not safe for concurrent use.
type Gen struct {
	Topics schema.Topics
	// Now is the time events occur around (default: the time NewGen was called). Events fall in
	// the 20 days before it.
	Now time.Time
	// Prefix starts every event id (default "ev").
	Prefix string

	rng *rand.Rand
	seq int
	buf []byte
}

// NewGen returns a generator seeded with seed.
func NewGen(seed uint64, topics schema.Topics) *Gen {
	return &Gen{Topics: topics, Now: time.Now(), Prefix: "ev", rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	branches   = []string{"GD-GZ-TH", "GD-GZ-YX", "GD-SZ-NS", "GD-SZ-FT", "GD-FS", "ZJ-HZ-XH", "ZJ-NB", "JS-NJ-GL", "JS-SZ", "BJ-CY"}
	carriers   = []string{"cmcc", "cmcc", "cmcc", "ctcc", "cucc"}
	items      = []string{"network", "voice", "data", "tariff", "billing", "store", "hotline", "online", "brand", "complaint"}
	segments   = []string{"high", "mid", "low"}
	cats       = []string{"network", "billing", "tariff", "service", "marketing", "other"}
	channels   = []string{"hotline", "store", "online", "regulator", "other"}
	reasons    = []string{"price", "network", "service", "competitor_offer", "relocation", "other"}
	businesses = []string{"sim_replacement", "plan_change", "broadband_install", "bill_enquiry"}
)

// NextID returns a fresh event id.
func (g *Gen) NextID() string {
	g.seq++
	return g.Prefix + "-" + strconv.Itoa(g.seq) + "-" + strconv.FormatUint(g.rng.Uint64()&0xffffffffffff, 16)
}

// Next returns the next event of the realistic mix: 45% hotline_feedback, 35% store_feedback,
// 10% survey_response, 5% complaint opened/closed, 3% churn, 1% version-2 front-line events
// (inspection, score_reported, adjustment), 1% subscriber_base.
func (g *Gen) Next() kafka.Message {
	x := g.rng.IntN(100)
	t := schema.TypeHotlineFeedback
	switch {
	case x < 45:
	case x < 80:
		t = schema.TypeStoreFeedback
	case x < 90:
		t = schema.TypeSurveyResponse
	case x < 93:
		t = schema.TypeComplaintOpened
	case x < 95:
		t = schema.TypeComplaintClosed
	case x < 98:
		t = schema.TypeChurn
	case x < 99:
		t = [...]schema.Type{schema.TypeInspection, schema.TypeScoreReported, schema.TypeAdjustment}[g.rng.IntN(3)]
	default:
		t = schema.TypeSubscriberBase
	}
	return g.Event(t, g.NextID(), g.Now.Add(-time.Duration(g.rng.Int64N(int64(20*24*time.Hour)))))
}

// Event returns an event of type t with the given id and occurrence time. A survey_void
// targets the id in Target.
func (g *Gen) Event(t schema.Type, id string, at time.Time) kafka.Message {
	return g.event(t, id, at, "")
}

// Void returns a survey_void of target.
func (g *Gen) Void(id, target string, at time.Time) kafka.Message {
	return g.event(schema.TypeSurveyVoid, id, at, target)
}

// VoidAdjustment returns an adjustment_void of target.
func (g *Gen) VoidAdjustment(id, target string, at time.Time) kafka.Message {
	return g.event(schema.TypeAdjustmentVoid, id, at, target)
}

func (g *Gen) event(t schema.Type, id string, at time.Time, target string) kafka.Message {
	r := g.rng
	branch := branches[r.IntN(len(branches))]
	b := g.buf[:0]
	b = append(b, `{"event_id":"`...)
	b = append(b, id...)
	b = append(b, `","type":"`...)
	b = append(b, t.String()...)
	b = append(b, `","schema_version":1,"occurred_at":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","branch_id":"`...)
	b = append(b, branch...)
	b = append(b, '"')
	str := func(k, v string) {
		b = append(b, `,"`...)
		b = append(b, k...)
		b = append(b, `":"`...)
		b = append(b, v...)
		b = append(b, '"')
	}
	num := func(k string, v int) {
		b = append(b, `,"`...)
		b = append(b, k...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(v), 10)
	}
	boolean := func(k string, v bool) {
		b = append(b, `,"`...)
		b = append(b, k...)
		b = append(b, `":`...)
		b = strconv.AppendBool(b, v)
	}
	switch t {
	case schema.TypeSurveyResponse:
		str("carrier", carriers[r.IntN(len(carriers))])
		b = append(b, `,"weight":`...)
		b = strconv.AppendFloat(b, 0.5+float64(r.IntN(30))/10, 'f', -1, 64)
		str("segment", segments[r.IntN(3)])
		num("overall", 1+r.IntN(10))
		b = append(b, `,"items":{`...)
		n := 3 + r.IntN(len(items)-2)
		for i, it := range items[:n] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, it...)
			b = append(b, `":`...)
			b = strconv.AppendInt(b, int64(4+r.IntN(7)), 10)
		}
		b = append(b, '}')
	case schema.TypeSurveyVoid:
		str("target_event_id", target)
		str("reason", "failed vendor quality control: interview too short")
	case schema.TypeHotlineFeedback:
		str("agent_id", fmt.Sprintf("AGT-%s-%05d", branch, r.IntN(3000)))
		num("rating", 1+r.IntN(5))
		boolean("resolved", r.IntN(10) < 8)
		num("wait_seconds", r.IntN(120))
		num("handle_seconds", 30+r.IntN(900))
		str("call_center", "10086-"+branch[:2]+"-central-contact-center")
		str("ivr_path", "main>billing>agent")
	case schema.TypeStoreFeedback:
		str("store_id", fmt.Sprintf("STORE-%s-%04d", branch, r.IntN(500)))
		str("staff_id", fmt.Sprintf("STF-%06d", r.IntN(100000)))
		num("rating", 1+r.IntN(5))
		num("wait_seconds", r.IntN(1800))
		str("business", businesses[r.IntN(len(businesses))])
		str("device", "counter-rating-pad-v2")
		str("queue_ticket", fmt.Sprintf("Q%05d", r.IntN(100000)))
	case schema.TypeComplaintOpened:
		str("complaint_id", fmt.Sprintf("CMP-%s-%08d", branch, r.IntN(1e8)))
		str("category", cats[r.IntN(len(cats))])
		str("channel", channels[r.IntN(len(channels))])
		boolean("escalated", r.IntN(20) == 0)
		switch r.IntN(4) { // version 2 attribution (SPEC §5.1) on half of them
		case 0:
			str("store_id", fmt.Sprintf("STORE-%s-%04d", branch, r.IntN(500)))
			str("staff_id", fmt.Sprintf("STF-%06d", r.IntN(100000)))
		case 1:
			str("agent_id", fmt.Sprintf("AGT-%s-%05d", branch, r.IntN(3000)))
		}
	case schema.TypeComplaintClosed:
		str("complaint_id", fmt.Sprintf("CMP-%s-%08d", branch, r.IntN(1e8)))
		b = append(b, `,"resolution_hours":`...)
		b = strconv.AppendFloat(b, float64(r.IntN(2000))/10, 'f', -1, 64)
		if r.IntN(3) > 0 {
			boolean("satisfied", r.IntN(4) > 0)
		}
	case schema.TypeChurn:
		str("customer_ref", fmt.Sprintf("CUST-%012d", r.Int64N(1e12)))
		str("tier", segments[r.IntN(3)])
		str("reason", reasons[r.IntN(len(reasons))])
		num("tenure_months", r.IntN(240))
		if r.IntN(2) == 0 {
			str("to_carrier", carriers[3+r.IntN(2)])
		}
		if r.IntN(8) == 0 {
			str("manager_id", fmt.Sprintf("MGR-%s-%03d", branch, r.IntN(200)))
		}
	case schema.TypeInspection:
		str("store_id", fmt.Sprintf("STORE-%s-%04d", branch, r.IntN(500)))
		str("kind", [...]string{"patrol", "mystery"}[r.IntN(2)])
		str("published_by", [...]string{"province", "city"}[r.IntN(2)])
		num("score", 40+r.IntN(61))
		if r.IntN(2) == 0 {
			str("staff_id", fmt.Sprintf("STF-%06d", r.IntN(100000)))
		}
	case schema.TypeScoreReported:
		str("subject", fmt.Sprintf("store:STORE-%s-%04d", branch, r.IntN(500)))
		str("component", [...]string{"sales", "internal", "control", "operations"}[r.IntN(4)])
		str("period", at.UTC().Format("2006-01"))
		num("value", r.IntN(101))
	case schema.TypeAdjustment:
		str("subject", fmt.Sprintf("staff:STF-%06d", r.IntN(100000)))
		str("period", at.UTC().Format("2006-01"))
		num("points", r.IntN(11)-5)
		str("reason", "typical event: commended by a customer")
	case schema.TypeAdjustmentVoid:
		str("target_event_id", target)
		str("reason", "entered in error")
	case schema.TypeSubscriberBase:
		str("month", at.UTC().Format("2006-01"))
		hi, mid, lo := 1000+r.IntN(5000), 10000+r.IntN(50000), 50000+r.IntN(100000)
		num("subscribers", hi+mid+lo+r.IntN(1000))
		b = append(b, `,"tiers":{"high":`...)
		b = strconv.AppendInt(b, int64(hi), 10)
		b = append(b, `,"mid":`...)
		b = strconv.AppendInt(b, int64(mid), 10)
		b = append(b, `,"low":`...)
		b = strconv.AppendInt(b, int64(lo), 10)
		b = append(b, '}')
	}
	b = append(b, '}')
	g.buf = b
	v := make([]byte, len(b))
	copy(v, b)
	return kafka.Message{Topic: g.Topics.For(t), Key: []byte(id), Value: v}
}

// Produce writes msgs with w in slices of 10,000 and returns the first error. A topic just
// created may not be known to every broker yet: such a slice is retried for up to 10 s.
func Produce(ctx context.Context, w *kafka.Writer, msgs []kafka.Message) error {
	for len(msgs) > 0 {
		n := min(len(msgs), 10000)
		pending := msgs[:n]
		for attempt := 0; ; attempt++ {
			err := w.WriteMessages(ctx, pending...)
			if err == nil {
				break
			}
			if attempt < 50 && (errors.Is(err, kafka.UnknownTopicOrPartition) || errors.Is(err, kafka.LeaderNotAvailable)) {
				var werrs kafka.WriteErrors
				if errors.As(err, &werrs) && len(werrs) == len(pending) {
					var failed []kafka.Message // retry only these: the others are written
					for i, e := range werrs {
						if e != nil {
							failed = append(failed, pending[i])
						}
					}
					pending = failed
				} // else the writer failed before writing anything (metadata)
				time.Sleep(200 * time.Millisecond)
				continue
			}
			return fmt.Errorf("produce %d messages: %w", n, err)
		}
		msgs = msgs[n:]
	}
	return nil
}

// UniqueTopics returns schema.Topics with fresh names (prefix.survey-<hex>, …), not created.
func UniqueTopics(prefix string) schema.Topics {
	s := Unique(prefix)
	return schema.Topics{Survey: s + ".survey", Hotline: s + ".hotline", Store: s + ".store",
		Complaint: s + ".complaint", Churn: s + ".churn", Reference: s + ".reference", Assessment: s + ".assessment", DLQ: s + ".dlq"}
}
