package schema_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema"
)

// TestDecodeIn decodes the corpus three times over through one arena and checks every result
// against Decode's, after the messages were overwritten (the events alias neither the messages
// nor each other) and after thousands of later decodes (blocks are never reused). The arena's
// decoder has a clock two days behind: Arena.Now, the corpus clock, must be the one used.
func TestDecodeIn(t *testing.T) {
	ref := corpusDecoder(t)
	late := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), shanghai(t),
		schema.WithClock(func() time.Time { return corpusNow.Add(-48 * time.Hour) }))
	a := &schema.Arena{Now: corpusNow}
	type got struct {
		topic string
		msg   []byte // a copy, kept for the reference decode
		ev    schema.Event
		err   error
	}
	var all []got
	cases := loadCorpus(t)
	for range 3 {
		for _, c := range cases {
			msg := c.message(t)
			keep := bytes.Clone(msg)
			ev, err := late.DecodeIn(a, c.Topic, msg)
			for i := range msg {
				msg[i] = 'x'
			}
			all = append(all, got{c.Topic, keep, ev, err})
		}
	}
	ok := 0
	for i, g := range all {
		want, werr := ref.Decode(g.topic, g.msg)
		if (werr == nil) != (g.err == nil) || (werr != nil && werr.Error() != g.err.Error()) {
			t.Fatalf("message %d (%s): DecodeIn error %v, Decode error %v", i, g.msg, g.err, werr)
		}
		if !reflect.DeepEqual(want, g.ev) {
			t.Fatalf("message %d (%s): DecodeIn %+v, Decode %+v", i, g.msg, g.ev, want)
		}
		if werr == nil {
			ok++
		}
	}
	if ok < 3*8 {
		t.Fatalf("only %d events decoded without error: the corpus should have every type", ok)
	}
}

// TestDecodeInAllocs checks that a rating decoded in an arena costs less than one allocation
// (the blocks), against two with Decode.
func TestDecodeInAllocs(t *testing.T) {
	d := corpusDecoder(t)
	msg := []byte(`{"event_id":"hl-1","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ-TH","agent_id":"A1","rating":5,"resolved":true,"wait_seconds":12,"handle_seconds":245}`)
	a := &schema.Arena{Now: corpusNow}
	in := testing.AllocsPerRun(1000, func() {
		if _, err := d.DecodeIn(a, "csat.hotline", msg); err != nil {
			t.Fatal(err)
		}
	})
	heap := testing.AllocsPerRun(1000, func() {
		if _, err := d.Decode("csat.hotline", msg); err != nil {
			t.Fatal(err)
		}
	})
	if in >= 0.5 || heap < 2 {
		t.Fatalf("allocations per decode: %.2f in an arena, %.2f on the heap", in, heap)
	}
}

// TestUTF8Checked checks that invalid UTF-8 is reported as such wherever it lies — in a value,
// a key, a nested item, outside strings, after a syntax error — and that valid multi-byte text
// (including an encoded U+FFFD) is accepted.
func TestUTF8Checked(t *testing.T) {
	d := corpusDecoder(t)
	base := `{"event_id":"h1","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ-TH","agent_id":"AGENT","rating":4,"wait_seconds":3,"handle_seconds":9,"resolved":true}`
	for _, bad := range []string{
		strings.Replace(base, "AGENT", "A\xffB", 1),
		strings.Replace(base, "AGENT", "A\xe4\xb8", 1),    // cut sequence
		strings.Replace(base, "AGENT", "\xed\xa0\x80", 1), // surrogate
		strings.Replace(base, "AGENT", "\xc0\xaf", 1),     // overlong
		strings.Replace(base, `"rating"`, "\"rat\xffing\"", 1),
		strings.Replace(base, `"rating":4`, "\"rating\":4\xff", 1),
		strings.Replace(base, `"resolved":true}`, "\"resolved\":true,}\"\xff\"", 1),
		"{\"event_id\":\"s1\",\"type\":\"survey_response\",\"items\":{\"net\xfework\":3}}",
		"\xff",
	} {
		for _, a := range []*schema.Arena{nil, {Now: corpusNow}} {
			var err error
			if a == nil {
				_, err = d.Decode("csat.hotline", []byte(bad))
			} else {
				_, err = d.DecodeIn(a, "csat.hotline", []byte(bad))
			}
			if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
				t.Errorf("%q: %v, want the UTF-8 rejection", bad, err)
			}
		}
	}
	for _, good := range []string{"广州-客服", "\xef\xbf\xbd", "😀 ok", "é"} {
		ev, err := d.Decode("csat.hotline", []byte(strings.Replace(base, "AGENT", good, 1)))
		if err != nil || ev.(*schema.HotlineFeedback).AgentID != good {
			t.Errorf("agent %q: %v, %+v", good, err, ev)
		}
	}
}
