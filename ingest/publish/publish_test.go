package publish_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/publish"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

var _ synth.Sink = (*publish.Publisher)(nil)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  publish.Config
		ok   bool
	}{
		{"brokers", publish.Config{Brokers: []string{"127.0.0.1:9092"}}, true},
		{"no brokers", publish.Config{}, false},
		{"empty broker", publish.Config{Brokers: []string{""}}, false},
		{"negative batch", publish.Config{Brokers: []string{"x:1"}, BatchSize: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func newPublisher(t *testing.T, brokers []string) *publish.Publisher {
	t.Helper()
	p, err := publish.New(publish.Config{Brokers: brokers, BatchSize: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// waitTopics waits until the brokers' metadata lists the new topics (a producer asking earlier
// gets Unknown Topic Or Partition).
func waitTopics(t *testing.T, brokers []string, topics ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := traffic.EndOffsets(ctx, brokers, topics...)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("topics %v not visible: %v", topics, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPublishNDJSON(t *testing.T) {
	brokers := kafkatest.Need(t)
	topic := traffic.Unique("csat-test-publish")
	kafkatest.CreateTopics(t, 3, topic)
	waitTopics(t, brokers, topic)
	p := newPublisher(t, brokers)

	big := `{"event_id":"big","branch_id":"GD-GZ","pad":"` + strings.Repeat("x", 1200<<10) + `"}`
	lines := []struct{ value, key string }{
		{`{"event_id":"a","type":"hotline_feedback","branch_id":"GD-GZ-TH","rating":5}`, "GD-GZ-TH"},
		{`{"event_id":"b","branch_id":"ZJ-HZ"}`, "ZJ-HZ"},
		{`{"event_id":"c","no_branch":true}`, ""},
		{`not json at all`, ""},
		{`[1,2,3]`, ""},
		{`{"event_id":"中文","branch_id":"JS-NJ","reason":"质检未通过"}`, "JS-NJ"},
		{big, "GD-GZ"},
		{`{"event_id":"bom","branch_id":"GD-FS"}`, "GD-FS"}, // sent with a byte order mark
		{`{"event_id":"last","branch_id":"GD-SZ"}`, "GD-SZ"},
	}
	var in bytes.Buffer
	in.WriteString("\ufeff\n") // a byte order mark alone is a blank line
	for i, l := range lines {
		if strings.Contains(l.value, `"bom"`) {
			in.WriteString("\ufeff")
		}
		in.WriteString(l.value)
		switch {
		case i == len(lines)-1: // no final newline
		case i == 1:
			in.WriteString("\r\n")
		case i == 2:
			in.WriteString("\n\n   \n") // blank lines are skipped
		default:
			in.WriteString("\n")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := publish.PublishNDJSON(ctx, &in, topic, p)
	if err != nil {
		t.Fatalf("PublishNDJSON: %v", err)
	}
	if n != len(lines) {
		t.Fatalf("published %d, want %d", n, len(lines))
	}
	got, err := traffic.ReadAll(ctx, brokers, topic)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, l := range lines {
		want[l.value] = l.key
	}
	if len(got) != len(lines) {
		t.Fatalf("read %d messages back, want %d", len(got), len(lines))
	}
	for _, m := range got {
		key, ok := want[string(m.Value)]
		if !ok {
			t.Errorf("unexpected message %.80q", m.Value)
			continue
		}
		if string(m.Key) != key {
			t.Errorf("message %.60q: key %q, want %q", m.Value, m.Key, key)
		}
	}
}

func TestPublishNDJSONErrors(t *testing.T) {
	p, err := publish.New(publish.Config{Brokers: []string{"127.0.0.1:1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish.PublishNDJSON(context.Background(), strings.NewReader("{}\n"), "", p); err == nil {
		t.Error("no topic: want an error")
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close with nothing buffered: %v", err)
	}
	if err := p.Publish(context.Background(), "t", nil, []byte("{}")); err == nil {
		t.Error("Publish after Close: want an error")
	}
}

// countingSink records what Run sends.
type countingSink struct {
	n       int
	flushed int
}

func (s *countingSink) Publish(context.Context, string, []byte, []byte) error { s.n++; return nil }
func (s *countingSink) Flush(context.Context) error                           { s.flushed++; return nil }

func TestRunRate(t *testing.T) {
	cfg := synth.Config{Seed: 1, Months: 1, Scale: 0.1, Volume: 0.05, EndMonth: schema.Month(202610), Rate: 5000}
	s := &countingSink{}
	start := time.Now()
	sum, err := synth.Run(context.Background(), cfg, s, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if s.n != sum.Messages || s.flushed != 1 {
		t.Errorf("sink got %d messages, %d flushes; summary says %d messages", s.n, s.flushed, sum.Messages)
	}
	if min := time.Duration(float64(sum.Messages-1) / cfg.Rate * float64(time.Second)); elapsed < min {
		t.Errorf("%d messages at %v/s took %v, want ≥ %v", sum.Messages, cfg.Rate, elapsed, min)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := synth.Run(ctx, synth.Config{Seed: 1, Months: 1, Scale: 0.1}, &countingSink{}, nil)
	if err == nil {
		t.Fatal("Run with a cancelled context: want an error")
	}
}

// TestRunToKafka publishes a small generated stream to fresh topics and reads it back.
func TestRunToKafka(t *testing.T) {
	brokers := kafkatest.Need(t)
	prefix := traffic.Unique("csat-test-gen")
	topics := schema.Topics{Survey: prefix + ".survey", Hotline: prefix + ".hotline", Store: prefix + ".store",
		Complaint: prefix + ".complaint", Churn: prefix + ".churn", Reference: prefix + ".reference", Assessment: prefix + ".assessment", DLQ: prefix + ".dlq"}
	kafkatest.CreateTopics(t, 3, topics.Inputs()...)
	waitTopics(t, brokers, topics.Inputs()...)
	p := newPublisher(t, brokers)
	cfg := synth.Config{Seed: 3, Months: 1, Scale: 0.1, Volume: 0.1, EndMonth: schema.Month(202610), Topics: topics}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	sum, err := synth.Run(ctx, cfg, p, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	t.Logf("%s", out.String())
	total := 0
	var per []string
	for _, tp := range topics.Inputs() {
		ms, err := traffic.ReadAll(ctx, brokers, tp)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if !bytes.Contains(m.Value, []byte(fmt.Sprintf(`"branch_id":%q`, m.Key))) {
				t.Errorf("%s: key %q does not match %.100s", tp, m.Key, m.Value)
				break
			}
		}
		total += len(ms)
		per = append(per, fmt.Sprintf("%s=%d", tp[len(prefix):], len(ms)))
	}
	sort.Strings(per)
	if total != sum.Messages || p.Sent() != sum.Messages {
		t.Errorf("read back %d (%v), published %d, generated %d", total, per, p.Sent(), sum.Messages)
	}
}
