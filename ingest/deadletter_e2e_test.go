package ingest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

// badCase is one bad message and the reason it must be rejected with.
type badCase struct {
	name   string
	topic  string
	value  []byte
	reason schema.Reason
	detail string // when set, the dead letter's detail starts with it (it names the field)
}

func badCorpus(tp schema.Topics) []badCase {
	now := time.Now().UTC().Format(time.RFC3339)
	env := func(typ, extra string) string {
		return `{"event_id":"bad-` + typ + `","type":"` + typ + `","schema_version":1,"occurred_at":"` + now +
			`","branch_id":"GD-GZ"` + extra + `}`
	}
	hot := `,"agent_id":"A1","rating":4,"resolved":true,"wait_seconds":3,"handle_seconds":60`
	random := make([]byte, 512)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range random {
		random[i] = byte(r.IntN(256))
	}
	random[0] = 0xff // surely not UTF-8
	big := bytes.Repeat([]byte("x"), 1<<20)
	return []badCase{
		{"malformed_json", tp.Hotline, []byte(`{"event_id": "x", `), schema.ReasonMalformedJSON, ""},
		{"json_array", tp.Hotline, []byte(`[1,2,3]`), schema.ReasonMalformedJSON, ""},
		{"empty", tp.Hotline, []byte{}, schema.ReasonMalformedJSON, ""},
		{"random_bytes", tp.Hotline, random, schema.ReasonMalformedJSON, ""},
		{"missing_field", tp.Hotline, []byte(strings.Replace(env("hotline_feedback", hot), `,"branch_id":"GD-GZ"`, "", 1)), schema.ReasonMissingField, ""},
		{"invalid_field", tp.Hotline, []byte(env("hotline_feedback", strings.Replace(hot, `"rating":4`, `"rating":9`, 1))), schema.ReasonInvalidField, ""},
		{"unknown_type", tp.Hotline, []byte(env("teleport", hot)), schema.ReasonUnknownType, ""},
		{"wrong_topic", tp.Survey, []byte(env("hotline_feedback", hot)), schema.ReasonWrongTopic, ""},
		{"unsupported_version", tp.Hotline, []byte(strings.Replace(env("hotline_feedback", hot), `"schema_version":1`, `"schema_version":2`, 1)), schema.ReasonUnsupportedVersion, ""},
		{"unknown_item", tp.Survey, []byte(env("survey_response", `,"carrier":"cmcc","items":{"teleportation":7}`)), schema.ReasonUnknownItem, ""},
		{"too_large", tp.Hotline, []byte(env("hotline_feedback", hot+`,"pad":"`+strings.Repeat("p", 70<<10)+`"`)), schema.ReasonTooLarge, ""},
		{"one_mib", tp.Hotline, big, schema.ReasonTooLarge, ""},
		{"out_of_range_time", tp.Hotline, []byte(strings.Replace(env("hotline_feedback", hot), now, "1999-12-31T23:59:59Z", 1)), schema.ReasonOutOfRangeTime, ""},
		// Version 2 (SPEC §5.1, §5.5): the front line's bad input, on the store and assessment topics.
		{"inspection_score_101", tp.Store, []byte(env("inspection", `,"store_id":"S1","kind":"mystery","published_by":"city","score":101`)),
			schema.ReasonInvalidField, "score: 101 is out of range 0–100"},
		{"inspection_kind", tp.Store, []byte(env("inspection", `,"store_id":"S1","kind":"audit","published_by":"city","score":80`)),
			schema.ReasonInvalidField, `kind: "audit" is not one of patrol, mystery`},
		{"inspection_store_id", tp.Store, []byte(env("inspection", `,"store_id":"S 1","kind":"patrol","published_by":"city","score":80`)),
			schema.ReasonInvalidField, `store_id: "S 1" does not match`},
		{"score_subject_kind", tp.Assessment, []byte(env("score_reported", `,"subject":"clerk:E1","component":"sales","period":"2026-10","value":80`)),
			schema.ReasonInvalidField, `subject: unknown kind "clerk"`},
		{"score_period", tp.Assessment, []byte(env("score_reported", `,"subject":"store:S1","component":"sales","period":"2026-Q4","value":80`)),
			schema.ReasonInvalidField, `period: "2026-Q4" is not a month`},
		{"adjustment_no_reason", tp.Assessment, []byte(env("adjustment", `,"subject":"staff:E1","period":"2026-10","points":-2`)),
			schema.ReasonMissingField, `missing field "reason"`},
		{"adjustment_empty_reason", tp.Assessment, []byte(env("adjustment", `,"subject":"staff:E1","period":"2026-10","points":-2,"reason":""`)),
			schema.ReasonInvalidField, "reason: empty string"},
		{"adjustment_points", tp.Assessment, []byte(env("adjustment", `,"subject":"store:S1","period":"2026-10","points":150,"reason":"x"`)),
			schema.ReasonInvalidField, "points: 150 is out of range"},
		{"adjustment_void_target", tp.Assessment, []byte(env("adjustment_void", `,"target_event_id":"","reason":"x"`)),
			schema.ReasonInvalidField, "target_event_id: empty string"},
	}
}

// TestDeadLetters: a corpus of bad messages (every reason code, random bytes, an empty message,
// a 1 MiB message), each between good messages in the same partition, reaches the dead-letter
// topic and rejected_events with the right reason; the good neighbours are ingested.
func TestDeadLetters(t *testing.T) {
	e := newEnv(t, 3)
	e.w.Balancer = traffic.PartitionBalancer{}
	g := traffic.NewGen(21, e.topics)
	corpus := badCorpus(e.topics)
	var msgs []kafka.Message
	good := 0
	for i, c := range corpus {
		part := i % 3
		before := g.Event(schema.TypeHotlineFeedback, fmt.Sprintf("good-%d-a", i), time.Now().Add(-time.Hour))
		after := g.Event(schema.TypeSurveyResponse, fmt.Sprintf("good-%d-b", i), time.Now().Add(-time.Hour))
		if c.topic == e.topics.Survey {
			before.Topic = e.topics.Survey
			before = g.Event(schema.TypeSurveyResponse, fmt.Sprintf("good-%d-a", i), time.Now().Add(-time.Hour))
		} else {
			after = g.Event(schema.TypeHotlineFeedback, fmt.Sprintf("good-%d-b", i), time.Now().Add(-time.Hour))
		}
		for _, m := range []kafka.Message{before, {Topic: c.topic, Key: []byte(c.name), Value: c.value}, after} {
			m.Partition = part
			msgs = append(msgs, m)
		}
		good += 2
	}
	// Produce one at a time so that neighbours are adjacent offsets.
	for _, m := range msgs {
		if err := e.w.WriteMessages(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	e.drain(e.config())
	want := e.expected(msgs)
	if want["rejected_events"] != uint64(len(corpus)) {
		t.Fatalf("decoder accepts part of the bad corpus: %d rejected of %d", want["rejected_events"], len(corpus))
	}
	e.checkExact(want)

	// The dead-letter topic holds one letter per bad message, with the right reason and payload.
	dlq, err := traffic.ReadAll(context.Background(), kafkatest.Brokers(), e.topics.DLQ)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]map[string]any{}
	for _, m := range dlq {
		var d map[string]any
		if err := json.Unmarshal(m.Value, &d); err != nil {
			t.Fatalf("dead letter is not JSON: %v: %.200s", err, m.Value)
		}
		k, _ := d["key"].(string)
		if _, dup := byKey[k]; dup {
			t.Errorf("dead letter %s written twice", k)
		}
		byKey[k] = d
	}
	if len(dlq) != len(corpus) {
		t.Errorf("dead-letter topic holds %d messages, want %d", len(dlq), len(corpus))
	}
	for _, c := range corpus {
		d, ok := byKey[c.name]
		if !ok {
			t.Errorf("%s: no dead letter", c.name)
			continue
		}
		for _, f := range []string{"reason", "detail", "topic", "partition", "offset", "key", "payload", "rejected_at"} {
			if _, ok := d[f]; !ok {
				t.Errorf("%s: dead letter lacks %q", c.name, f)
			}
		}
		if d["reason"] != string(c.reason) {
			t.Errorf("%s: reason %v, want %s (detail %v)", c.name, d["reason"], c.reason, d["detail"])
		}
		if detail, _ := d["detail"].(string); !strings.HasPrefix(detail, c.detail) {
			t.Errorf("%s: detail %q, want it to start with %q", c.name, detail, c.detail)
		}
		if d["topic"] != c.topic {
			t.Errorf("%s: topic %v, want %s", c.name, d["topic"], c.topic)
		}
		payload, _ := d["payload"].(string)
		var got []byte
		if d["payload_encoding"] == "base64" {
			if got, err = base64.StdEncoding.DecodeString(payload); err != nil {
				t.Errorf("%s: payload: %v", c.name, err)
			}
		} else {
			got = []byte(payload)
		}
		wantPayload := c.value
		if d["payload_truncated"] == true {
			wantPayload = wantPayload[:len(got)]
		}
		if !bytes.Equal(got, wantPayload) {
			t.Errorf("%s: payload differs from the message (%d vs %d bytes)", c.name, len(got), len(c.value))
		}
	}
	// rejected_events agrees, reason by reason.
	rows, err := e.conn.Query(context.Background(), "SELECT kafka_key, reason FROM rejected_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, reason string
		if err := rows.Scan(&k, &reason); err != nil {
			t.Fatal(err)
		}
		for _, c := range corpus {
			if c.name == k && reason != string(c.reason) {
				t.Errorf("rejected_events %s: reason %s, want %s", k, reason, c.reason)
			}
		}
	}
	// Draining again writes no second dead letter (they are committed).
	e.drain(e.config())
	e.checkExact(want)
}

// TestContentRejection: when ClickHouse rejects a batch for its content, ingest bisects it and
// dead-letters only the offending rows (reason invalid_field, the server's error as detail);
// every other row is inserted once.
func TestContentRejection(t *testing.T) {
	e := newEnv(t, 3)
	g := traffic.NewGen(22, e.topics)
	var msgs []kafka.Message
	for i := range 3000 {
		if i == 1000 || i == 2500 {
			msgs = append(msgs, g.Event(schema.TypeStoreFeedback, fmt.Sprintf("poison-%d", i), time.Now().Add(-time.Hour)))
			continue
		}
		msgs = append(msgs, g.Next())
	}
	e.produce(msgs)
	poison := func(table string, ids []string) error {
		for _, id := range ids {
			if strings.HasPrefix(id, "poison-") {
				return &clickhouse.Exception{Code: 53, Name: "DB::Exception", Message: "Type mismatch in " + id}
			}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.ingester(e.config(), ingest.WithBeforeSend(poison)).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	want := e.expected(msgs)
	want["store_feedback"] -= 2
	want["rejected_events"] += 2
	e.checkExact(want)
	rows, err := e.conn.Query(context.Background(), "SELECT reason, detail, payload FROM rejected_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var reason, detail, payload string
		if err := rows.Scan(&reason, &detail, &payload); err != nil {
			t.Fatal(err)
		}
		n++
		if reason != "invalid_field" || !strings.Contains(detail, "Type mismatch") || !strings.Contains(payload, `"poison-`) {
			t.Errorf("rejected row: reason %q detail %q payload %.80q", reason, detail, payload)
		}
	}
	if n != 2 {
		t.Errorf("%d rejected rows, want 2", n)
	}
}
