package dlq_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/dlq"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

var t0 = time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC)

// letters is a Source over a slice.
type letters []*dlq.Letter

func (letters) Name() string { return "test.dlq" }

func (ls letters) Read(_ context.Context, fn func(*dlq.Letter) error) ([]dlq.Unreadable, error) {
	for _, l := range ls {
		c := *l
		if err := fn(&c); err != nil {
			return nil, err
		}
	}
	return []dlq.Unreadable{{Position: dlq.Position{Partition: 0, Offset: 99}, Err: "not a dead letter"}}, nil
}

// sink records what is published.
type sink struct {
	msgs    []string // topic|key|value
	flushes int
	fail    error
}

func (s *sink) Publish(_ context.Context, topic string, key, value []byte) error {
	if s.fail != nil {
		return s.fail
	}
	k := "<nil>"
	if key != nil {
		k = string(key)
	}
	s.msgs = append(s.msgs, topic+"|"+k+"|"+string(value))
	return nil
}

func (s *sink) Flush(context.Context) error { s.flushes++; return nil }

func hotline(id string, rating int) string {
	return `{"event_id":"` + id + `","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","agent_id":"a","rating":` +
		string(rune('0'+rating)) + `,"resolved":true,"wait_seconds":1,"handle_seconds":2}`
}

func letter(reason schema.Reason, off int64, payload string, at time.Time) *dlq.Letter {
	key := "GD-GZ"
	return &dlq.Letter{DeadLetter: ingest.DeadLetter{Reason: reason, Detail: "d", Topic: "csat.hotline",
		Partition: 1, Offset: off, Key: &key, Payload: payload, RejectedAt: at}, DLQOffset: off}
}

func decoder() *schema.Decoder {
	return schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), time.UTC,
		schema.WithClock(func() time.Time { return t0 }))
}

func TestReplayOutcomes(t *testing.T) {
	b64 := letter(schema.ReasonInvalidField, 5, base64.StdEncoding.EncodeToString([]byte(hotline("h5", 5))), t0)
	b64.PayloadEncoding = "base64"
	bin := base64.StdEncoding.EncodeToString([]byte{0xff, 0x00})
	b64.Key, b64.KeyEncoding = &bin, "base64"
	noKey := letter(schema.ReasonInvalidField, 6, hotline("h6", 4), t0)
	noKey.Key = nil
	cut := letter(schema.ReasonInvalidField, 7, hotline("h7", 4)[:40], t0)
	cut.PayloadTruncated = true
	badB64 := letter(schema.ReasonInvalidField, 8, "!!", t0)
	badB64.PayloadEncoding = "base64"
	src := letters{
		letter(schema.ReasonInvalidField, 1, hotline("h1", 5), t0),                    // good now
		letter(schema.ReasonInvalidField, 2, hotline("h2", 9), t0),                    // still rating 9
		letter(schema.ReasonInvalidField, 1, hotline("h1", 5), t0),                    // the same source message again
		letter(schema.ReasonInvalidField, 3, hotline("h1", 5), t0),                    // the same event from elsewhere
		letter(schema.ReasonUnknownType, 4, hotline("h4", 5), t0),                     // another reason
		letter(schema.ReasonInvalidField, 9, hotline("h9", 5), t0.Add(-48*time.Hour)), // too old for --since
		b64, noKey, cut, badB64,
	}
	f := dlq.Filter{Reasons: []schema.Reason{schema.ReasonInvalidField}, Since: t0.Add(-time.Hour)}

	t.Run("replay", func(t *testing.T) {
		s := &sink{}
		rep, err := dlq.Replay(context.Background(), src, decoder(), s, dlq.ReplayOptions{Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"csat.hotline|GD-GZ|" + hotline("h1", 5),
			"csat.hotline|\xff\x00|" + hotline("h5", 5),
			"csat.hotline|<nil>|" + hotline("h6", 4),
		}
		if strings.Join(s.msgs, "\n") != strings.Join(want, "\n") {
			t.Errorf("published\n%s\nwant\n%s", strings.Join(s.msgs, "\n"), strings.Join(want, "\n"))
		}
		if s.flushes != 1 {
			t.Errorf("%d flushes, want 1", s.flushes)
		}
		if rep.Read != 10 || rep.Matched != 8 || rep.Replayed != 3 || rep.StillFailing != 1 || rep.Duplicates != 2 ||
			rep.Truncated != 1 || rep.Undecodable != 1 || rep.Forced != 0 || len(rep.Unreadable) != 1 {
			t.Errorf("report %+v", rep)
		}
		outcomes := map[int64]dlq.Outcome{}
		for _, it := range rep.Items {
			outcomes[it.Offset] = it.Outcome
			if it.Outcome == dlq.StillFailing && (it.NewReason != schema.ReasonInvalidField || !strings.Contains(it.Detail, "rating")) {
				t.Errorf("still failing item %+v: want the decoder's reason and detail", it)
			}
		}
		wantOut := map[int64]dlq.Outcome{2: dlq.StillFailing, 1: dlq.Duplicate, 3: dlq.Duplicate, 7: dlq.Truncated, 8: dlq.Undecodable}
		if len(outcomes) != len(wantOut) {
			t.Errorf("items %+v, want %v", rep.Items, wantOut)
		}
		for off, o := range wantOut {
			if outcomes[off] != o {
				t.Errorf("offset %d: outcome %q, want %q", off, outcomes[off], o)
			}
		}
		if len(rep.ByTopic) != 1 || rep.ByTopic[0] != (dlq.Count{Reason: schema.ReasonInvalidField, Topic: "csat.hotline", Count: 3}) {
			t.Errorf("by topic %+v", rep.ByTopic)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		s := &sink{}
		rep, err := dlq.Replay(context.Background(), src, decoder(), s, dlq.ReplayOptions{Filter: f, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.msgs) != 0 || s.flushes != 0 || rep.Replayed != 3 || !rep.DryRun {
			t.Errorf("dry run published %d, flushed %d; report %+v", len(s.msgs), s.flushes, rep)
		}
		if _, err := dlq.Replay(context.Background(), src, decoder(), nil, dlq.ReplayOptions{Filter: f, DryRun: true}); err != nil {
			t.Errorf("dry run without a sink: %v", err)
		}
	})
	t.Run("force", func(t *testing.T) {
		s := &sink{}
		rep, err := dlq.Replay(context.Background(), src, decoder(), s, dlq.ReplayOptions{Filter: f, Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Replayed != 4 || rep.Forced != 1 || rep.StillFailing != 0 || len(s.msgs) != 4 || s.msgs[1] != "csat.hotline|GD-GZ|"+hotline("h2", 9) {
			t.Errorf("force: %+v, published %q", rep, s.msgs)
		}
	})
	t.Run("publish error", func(t *testing.T) {
		boom := errors.New("boom")
		s := &sink{fail: boom}
		if _, err := dlq.Replay(context.Background(), src, decoder(), s, dlq.ReplayOptions{Filter: f}); !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
		if s.flushes != 1 {
			t.Errorf("%d flushes after an error, want 1", s.flushes)
		}
	})
}

func TestList(t *testing.T) {
	src := letters{
		letter(schema.ReasonInvalidField, 1, "x", t0),
		letter(schema.ReasonInvalidField, 2, "x", t0.Add(time.Hour)),
		letter(schema.ReasonMalformedJSON, 3, "x", t0.Add(2*time.Hour)),
		letter(schema.ReasonMalformedJSON, 4, "x", t0.Add(3*time.Hour)),
		letter(schema.ReasonInvalidField, 5, "x", t0.Add(4*time.Hour)),
	}
	src[1].Detail = "latest"
	src[4].Topic = "csat.store"
	s, err := dlq.List(context.Background(), src, dlq.Filter{Until: t0.Add(3 * time.Hour)}, dlq.PerAll)
	if err != nil {
		t.Fatal(err)
	}
	want := []dlq.Group{
		{Reason: schema.ReasonInvalidField, Topic: "csat.hotline", Count: 2, First: t0, Last: t0.Add(time.Hour), Example: "latest"},
		{Reason: schema.ReasonMalformedJSON, Topic: "csat.hotline", Count: 1, First: t0.Add(2 * time.Hour), Last: t0.Add(2 * time.Hour), Example: "d"},
	}
	if s.Read != 5 || s.Matched != 3 || len(s.Groups) != len(want) {
		t.Fatalf("summary %+v", s)
	}
	for i := range want {
		if s.Groups[i] != want[i] {
			t.Errorf("group %d = %+v, want %+v", i, s.Groups[i], want[i])
		}
	}
	var text strings.Builder
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"test.dlq: 5 dead letters read, 3 selected", "not dead letters (1 messages of the topic)"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
}

func TestListPer(t *testing.T) {
	day2 := t0.Add(20 * time.Hour) // 2026-10-21T04:00Z
	src := letters{
		letter(schema.ReasonInvalidField, 1, "x", t0),
		letter(schema.ReasonInvalidField, 2, "x", t0.Add(30*time.Minute)),
		letter(schema.ReasonInvalidField, 3, "x", t0.Add(90*time.Minute)),
		letter(schema.ReasonInvalidField, 4, "x", day2),
	}
	for _, tt := range []struct {
		per  dlq.Per
		want []string
	}{
		{dlq.PerAll, []string{" 4"}},
		{dlq.PerDay, []string{"2026-10-20 3", "2026-10-21 1"}},
		{dlq.PerHour, []string{"2026-10-20T08 2", "2026-10-20T09 1", "2026-10-21T04 1"}},
	} {
		s, err := dlq.List(context.Background(), src, dlq.Filter{}, tt.per)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range s.Groups {
			got = append(got, g.Window+" "+strconv.Itoa(g.Count))
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("per %q: groups %q, want %q", tt.per, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-12-01T08:00:00+08:00", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"36h", now.Add(-36 * time.Hour)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		got, err := dlq.ParseTime(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3h", "7dd", "d"} {
		if _, err := dlq.ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q): no error", bad)
		}
	}
}

// TestReaderKafka reads a real dead-letter topic: dead letters written by csat's own encoding
// (base64 payload included) come back equal, a message that is not a dead letter is reported,
// and reading stops at the end offsets found at the start. A missing topic is named.
func TestReaderKafka(t *testing.T) {
	brokers := kafkatest.Need(t)
	topic := traffic.Unique("dlqread") + ".dlq"
	kafkatest.CreateTopics(t, 3, topic)
	var msgs []kafka.Message
	var want []string
	for i := range 30 {
		l := letter(schema.ReasonInvalidField, int64(i), hotline("r", 9), t0.Add(time.Duration(i)*time.Second))
		l.Partition = i % 4
		if i%7 == 0 {
			l.Payload, l.PayloadEncoding = base64.StdEncoding.EncodeToString([]byte{0xfe, byte(i)}), "base64"
		}
		v, err := json.Marshal(&l.DeadLetter)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(l.Topic), Value: v, Partition: i % 3})
		want = append(want, string(v))
	}
	msgs = append(msgs, kafka.Message{Topic: topic, Value: []byte("not json"), Partition: 1})
	w := traffic.NewWriter(brokers)
	w.Balancer = traffic.PartitionBalancer{}
	if err := traffic.Produce(context.Background(), w, msgs); err != nil {
		t.Fatal(err)
	}
	r := &dlq.Reader{Client: &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}, Topic: topic}
	got := map[string]bool{}
	bad, err := r.Read(context.Background(), func(l *dlq.Letter) error {
		v, err := json.Marshal(&l.DeadLetter)
		if err != nil {
			return err
		}
		got[string(v)] = true
		// Written while reading: beyond the end offsets of the start, so not read.
		if len(got) == 1 {
			return traffic.Produce(context.Background(), w, []kafka.Message{{Topic: topic, Value: []byte("late"), Partition: 2}})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("read %d distinct dead letters, want %d", len(got), len(want))
	}
	for _, v := range want {
		if !got[v] {
			t.Errorf("not read back: %s", v)
		}
	}
	if len(bad) != 1 || bad[0].Partition != 1 || !strings.Contains(bad[0].Err, "not a dead letter") {
		t.Errorf("unreadable = %+v, want the one plain message of partition 1", bad)
	}

	r.Topic = traffic.Unique("nosuch")
	if _, err := r.Read(context.Background(), func(*dlq.Letter) error { return nil }); !errors.Is(err, dlq.ErrNoTopic) || !strings.Contains(err.Error(), r.Topic) {
		t.Errorf("missing topic: err = %v, want ErrNoTopic naming it", err)
	}
}
