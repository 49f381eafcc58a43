package ingest

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/schema"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		want   []time.Duration
	}{
		{"no jitter doubles up to the cap", 0.5, []time.Duration{100, 200, 400, 800, 1000, 1000}},
		{"lowest jitter halves", 0, []time.Duration{50, 100, 200, 400, 500, 500}},
		{"highest jitter is capped", 0.999999, []time.Duration{149, 299, 599, 1000, 1000, 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackoff(100*time.Millisecond, time.Second)
			b.jitter = func() float64 { return tc.jitter }
			for i, w := range tc.want {
				if got := b.delay(); got.Milliseconds() != int64(w) {
					t.Fatalf("delay %d = %s, want %dms", i, got, w)
				}
			}
			b.reset()
			if got := b.delay(); got.Milliseconds() != int64(tc.want[0]) {
				t.Errorf("after reset: %s, want %dms", got, tc.want[0])
			}
		})
	}
}

func TestDeadLetterJSON(t *testing.T) {
	at := time.Date(2026, 10, 5, 1, 2, 3, 456789000, time.UTC)
	key := "GD-GZ"
	tests := []struct {
		name       string
		key, value []byte
		max        int
		want       map[string]any
	}{
		{"utf8 payload and key", []byte(key), []byte(`{"a":"<b>&广州"}`), 1024, map[string]any{
			"reason": "invalid_field", "detail": "rating: 9 is out of range 1–5", "topic": "csat.hotline",
			"partition": 3.0, "offset": 42.0, "key": key, "payload": `{"a":"<b>&广州"}`,
			"rejected_at": "2026-10-05T01:02:03.456Z"}},
		{"binary payload, no key", nil, []byte{0xff, 0x00, 0x01}, 1024, map[string]any{
			"reason": "invalid_field", "detail": "rating: 9 is out of range 1–5", "topic": "csat.hotline",
			"partition": 3.0, "offset": 42.0, "key": nil, "payload": "/wAB", "payload_encoding": "base64",
			"rejected_at": "2026-10-05T01:02:03.456Z"}},
		{"empty payload", []byte{}, []byte{}, 1024, map[string]any{
			"reason": "invalid_field", "detail": "rating: 9 is out of range 1–5", "topic": "csat.hotline",
			"partition": 3.0, "offset": 42.0, "key": "", "payload": "", "rejected_at": "2026-10-05T01:02:03.456Z"}},
		{"truncated on a rune boundary", nil, []byte("ab广州"), 4, map[string]any{
			"reason": "invalid_field", "detail": "rating: 9 is out of range 1–5", "topic": "csat.hotline",
			"partition": 3.0, "offset": 42.0, "key": nil, "payload": "ab", "payload_truncated": true,
			"rejected_at": "2026-10-05T01:02:03.456Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dl := newDeadLetter(schema.ReasonInvalidField, "rating: 9 is out of range 1–5", "csat.hotline", 3, 42,
				tc.key, tc.value, at, at, tc.max)
			b, err := dl.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), `\u003c`) {
				t.Errorf("HTML escaped: %s", b)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("fields: got %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("%s = %#v, want %#v", k, got[k], w)
				}
			}
		})
	}
}

// fakeDecoder decodes "type:id:month" values; anything else is malformed.
type fakeDecoder struct{}

func (fakeDecoder) Decode(topic string, v []byte) (schema.Event, error) {
	parts := strings.Split(string(v), ":")
	if len(parts) != 3 {
		return nil, &schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: "not a:b:c"}
	}
	m, err := schema.ParseMonth(parts[2])
	if err != nil {
		return nil, &schema.Rejection{Reason: schema.ReasonInvalidField, Detail: err.Error()}
	}
	env := schema.Envelope{EventID: parts[1], Type: schema.ParseType(parts[0]), Month: m}
	switch env.Type {
	case schema.TypeHotlineFeedback:
		return &schema.HotlineFeedback{Envelope: env}, nil
	case schema.TypeSurveyVoid:
		return &schema.SurveyVoid{Envelope: env, TargetEventID: "t-" + parts[1]}, nil
	case schema.TypeSurveyResponse:
		return &schema.SurveyResponse{Envelope: env}, nil
	}
	return nil, &schema.Rejection{Reason: schema.ReasonUnknownType, Detail: parts[0]}
}

func testIngester(t *testing.T) *Ingester {
	t.Helper()
	return &Ingester{cfg: DefaultConfig(), dec: fakeDecoder{}, topics: schema.DefaultTopics(),
		log: slog.New(slog.DiscardHandler), m: newMetrics(nil)}
}

// TestHighWaterFilter: a fetcher turns messages at or below its partition's high-water mark
// for their table into duplicates (marking their months), the rest into rows, and bad ones into
// dead letters whatever the mark.
func TestHighWaterFilter(t *testing.T) {
	in := testIngester(t)
	p := &partState{topic: "csat.survey", partition: 2}
	for i := range p.hw {
		p.hw[i] = -1
	}
	p.hw[tSurveyResponses] = 5
	p.hw[tSurveyVoids] = 1
	c := &chunk{topic: p.topic, partition: p.partition}
	msgs := []struct {
		off int64
		v   string
	}{
		{0, "survey_response:r0:2026-01"}, // dup (≤5)
		{1, "survey_void:v1:2026-01"},     // dup (≤1)
		{2, "garbage"},                    // dead letter
		{3, "survey_void:v3:2026-01"},     // row (>1)
		{5, "survey_response:r5:2026-02"}, // dup (=5)
		{6, "survey_response:r6:2026-03"}, // row
	}
	for _, m := range msgs {
		km := kafka.Message{Topic: p.topic, Partition: 2, Offset: m.off, Value: []byte(m.v), HighWaterMark: 10}
		in.add(c, p, &km, &schema.Arena{})
	}
	if got := len(c.rows[tSurveyResponses]); got != 1 || c.rows[tSurveyResponses][0].offset != 6 {
		t.Errorf("responses: %+v, want offset 6 only", c.rows[tSurveyResponses])
	}
	if got := len(c.rows[tSurveyVoids]); got != 1 || c.rows[tSurveyVoids][0].offset != 3 {
		t.Errorf("voids: %+v, want offset 3 only", c.rows[tSurveyVoids])
	}
	if c.dups[tSurveyResponses] != 2 || c.dups[tSurveyVoids] != 1 {
		t.Errorf("dups = %v, want 2 responses and 1 void", c.dups)
	}
	if len(c.dead) != 1 || c.dead[0].Offset != 2 || c.dead[0].Reason != schema.ReasonMalformedJSON {
		t.Errorf("dead letters: %+v", c.dead)
	}
	// Each duplicate response marks its month for both families survey_responses feeds.
	if len(c.marks) != 4 || len(c.voids) != 1 || c.voids[0] != "t-v1" {
		t.Errorf("marks %v voids %v: want the duplicates' months (survey and frontline) and void targets", c.marks, c.voids)
	}
	if c.last != 6 || c.hwm != 10 || c.msgs != 6 {
		t.Errorf("progress: last %d hwm %d msgs %d", c.last, c.hwm, c.msgs)
	}
}

func TestEpochAdd(t *testing.T) {
	mk := func(part int, first, n int, month schema.Month) *chunk {
		c := &chunk{topic: "csat.hotline", partition: part}
		for i := range n {
			ev := &schema.HotlineFeedback{Envelope: schema.Envelope{EventID: "e", Type: schema.TypeHotlineFeedback, Month: month}}
			c.rows[tHotline] = append(c.rows[tHotline], record{ev: ev, offset: int64(first + i)})
			c.msgs++
			c.bytes += 100
			c.last = int64(first + i)
		}
		c.dups[tHotline] = 1
		c.marks = []mark{{Family: "window", Month: 202401}}
		return c
	}
	e := newEpoch()
	if full := e.add(mk(0, 0, 3, 202610), 10); full {
		t.Fatal("full after 3 of 10 rows")
	}
	if full := e.add(mk(1, 7, 4, 202609), 10); full {
		t.Fatal("full after 7 of 10 rows")
	}
	if full := e.add(mk(0, 3, 3, 202610), 10); !full {
		t.Fatal("not full after 10 of 10 rows")
	}
	if e.rows() != 10 || e.msgs != 10 || e.bytes != 1000 || e.dups[tHotline] != 3 {
		t.Errorf("rows %d msgs %d bytes %d dups %d", e.rows(), e.msgs, e.bytes, e.dups[tHotline])
	}
	want := map[tpKey]int64{{"csat.hotline", 0}: 6, {"csat.hotline", 1}: 11}
	for k, w := range want {
		if e.offsets[k].next != w {
			t.Errorf("commit offset of %v = %d, want %d", k, e.offsets[k].next, w)
		}
	}
	// hotline_feedback feeds window and frontline; the chunks' own marks (window 2024-01) are kept.
	wantMarks := map[mark]struct{}{{Family: "window", Month: 202610}: {}, {Family: "window", Month: 202609}: {}, {Family: "window", Month: 202401}: {},
		{Family: "frontline", Month: 202610}: {}, {Family: "frontline", Month: 202609}: {}}
	if len(e.marks) != len(wantMarks) {
		t.Errorf("marks %v, want %v", e.marks, wantMarks)
	}
	for m := range wantMarks {
		if _, ok := e.marks[m]; !ok {
			t.Errorf("missing mark %v", m)
		}
	}
}

// TestBatcher: the batcher hands a batch over when a table reaches BatchRows, when it reaches
// BatchBytes, when BatchInterval passes, and at the end; never an empty one.
func TestBatcher(t *testing.T) {
	chunkOf := func(n, bytes int) *chunk {
		c := &chunk{topic: "csat.hotline", msgs: n, bytes: bytes, last: int64(n)}
		for range n {
			c.rows[tHotline] = append(c.rows[tHotline], record{ev: &schema.HotlineFeedback{}})
		}
		return c
	}
	tests := []struct {
		name   string
		rows   int
		bytes  int
		in     []*chunk
		closeC bool
		want   []int // rows per batch
	}{
		{"rows", 10, 1 << 30, []*chunk{chunkOf(6, 6), chunkOf(6, 6), chunkOf(1, 1)}, true, []int{12, 1}},
		{"bytes", 1000, 100, []*chunk{chunkOf(1, 60), chunkOf(1, 60), chunkOf(1, 10)}, true, []int{2, 1}},
		{"interval", 1000, 1 << 30, []*chunk{chunkOf(2, 2)}, false, []int{2}},
		{"nothing", 10, 10, nil, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := testIngester(t)
			in.cfg.BatchRows, in.cfg.BatchBytes, in.cfg.BatchInterval = tc.rows, tc.bytes, 20*time.Millisecond
			chunks, epochs, done := make(chan *chunk), make(chan *epoch), make(chan struct{})
			defer close(done)
			go in.batch(chunks, epochs, done)
			go func() {
				for _, c := range tc.in {
					chunks <- c
				}
				if tc.closeC {
					close(chunks)
				}
			}()
			var got []int
			timeout := time.After(2 * time.Second)
			for len(got) < len(tc.want) {
				select {
				case e, ok := <-epochs:
					if !ok {
						t.Fatalf("closed after %v, want %v", got, tc.want)
					}
					got = append(got, e.rows())
				case <-timeout:
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Errorf("batches %v, want %v", got, tc.want)
					break
				}
			}
			if tc.closeC {
				if _, ok := <-epochs; ok {
					t.Error("extra batch after the input closed")
				}
			}
		})
	}
}

func TestColumnsMatchTables(t *testing.T) {
	now := time.Now()
	env := schema.Envelope{EventID: "e1", BranchID: "GD", Month: 202610, OccurredAt: now}
	sat := true
	evs := []schema.Event{
		&schema.SurveyResponse{Envelope: env, Items: []schema.ItemScore{{Code: "network", Score: 7}}},
		&schema.SurveyVoid{Envelope: env}, &schema.HotlineFeedback{Envelope: env}, &schema.StoreFeedback{Envelope: env},
		&schema.ComplaintOpened{Envelope: env}, &schema.ComplaintClosed{Envelope: env, Satisfied: &sat},
		&schema.Churn{Envelope: env}, &schema.SubscriberBase{Envelope: env, Tiers: &schema.Tiers{High: 1}},
	}
	for i, ev := range evs {
		id := tableID(i)
		cols := columns(nil, id, [][]record{{{ev: ev}}, {{ev: ev}}}, now)
		if len(cols) != len(tables[id].cols) {
			t.Errorf("%s: %d column slices for %d columns", tables[id].name, len(cols), len(tables[id].cols))
		}
	}
	if n := len(rejectedColumns(nil, now)); n != strings.Count(rejectedInsert, ",")+1 {
		t.Errorf("rejected_events: %d column slices for %d columns", n, strings.Count(rejectedInsert, ",")+1)
	}
}

func TestContentErrors(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&clickhouse.Exception{Code: 53}, true},
		{&contentError{errors.New("convert")}, true},
		{&clickhouse.Exception{Code: 241}, false}, // memory limit: retry
		{&clickhouse.Exception{Code: 60}, false},  // unknown table: retry, operator fixes
		{errors.New("connection reset"), false},
	}
	for _, tc := range tests {
		if got := isContentError(tc.err); got != tc.want {
			t.Errorf("isContentError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := newMetrics(reg)
	m.lagMessages.WithLabelValues("t", "0").Set(1)
	m.retries.WithLabelValues("insert_x", "241").Inc()
	m.freshness.Observe(1.5)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "csat_ingest_") {
			t.Errorf("metric %s lacks the csat_ingest_ prefix", mf.GetName())
		}
	}
}
