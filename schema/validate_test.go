package schema_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/csat-dev/csat/schema"
)

func TestValidateStream(t *testing.T) {
	d := corpusDecoder(t)
	hot := hotlineAt("2026-10-01T00:00:00Z")
	survey := `{"event_id":"s-1","type":"survey_response","schema_version":1,"occurred_at":"2026-10-01T00:00:00Z","branch_id":"GD","carrier":"cmcc","overall":7}`
	big := hot[:len(hot)-1] + `,"pad":"` + strings.Repeat("x", 2<<20) + `"}` // 2 MiB: too_large, read whole
	tests := []struct {
		name, topic, in string
		want            []string
		rejected        bool
	}{
		{"per type topic", "", hot + "\n" + survey + "\n", []string{
			`{"line":1,"ok":true,"type":"hotline_feedback","event_id":"h"}`,
			`{"line":2,"ok":true,"type":"survey_response","event_id":"s-1"}`}, false},
		{"fixed topic", "csat.hotline", hot + "\n" + survey + "\n", []string{
			`{"line":1,"ok":true,"type":"hotline_feedback","event_id":"h"}`,
			`{"line":2,"ok":false,"reason":"wrong_topic","detail":"type survey_response belongs on topic csat.survey, got csat.hotline"}`}, true},
		{"blank lines counted, CRLF, no final newline", "", "\n  \r\n" + hot + "\r\n\n" + survey, []string{
			`{"line":3,"ok":true,"type":"hotline_feedback","event_id":"h"}`,
			`{"line":5,"ok":true,"type":"survey_response","event_id":"s-1"}`}, false},
		{"missing and unknown type without topic", "", `{"event_id":"x"}` + "\n" + `{"type":"call"}` + "\n", []string{
			`{"line":1,"ok":false,"reason":"missing_field","detail":"missing field \"type\""}`,
			`{"line":2,"ok":false,"reason":"unknown_type","detail":"unknown type \"call\""}`}, true},
		{"malformed", "", "{\n", []string{
			`{"line":1,"ok":false,"reason":"malformed_json","detail":"invalid JSON at byte 1"}`}, true},
		{"long line", "", big + "\n" + hot + "\n", []string{
			`{"line":1,"ok":false,"reason":"too_large","detail":"message is ` + itoa(len(big)) + ` bytes, more than the limit of 65536"}`,
			`{"line":2,"ok":true,"type":"hotline_feedback","event_id":"h"}`}, true},
		{"long line with CRLF, last", "", hot + "\n" + big + "\r\n", []string{
			`{"line":1,"ok":true,"type":"hotline_feedback","event_id":"h"}`,
			`{"line":2,"ok":false,"reason":"too_large","detail":"message is ` + itoa(len(big)) + ` bytes, more than the limit of 65536"}`}, true},
		{"byte order marks at line starts", "", "\ufeff" + hot + "\n\ufeff\n\ufeff" + survey + "\n", []string{
			`{"line":1,"ok":true,"type":"hotline_feedback","event_id":"h"}`,
			`{"line":3,"ok":true,"type":"survey_response","event_id":"s-1"}`}, false},
		{"empty input", "", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := schema.ValidateStream(strings.NewReader(tt.in), &out, d, tt.topic)
			if tt.rejected != errors.Is(err, schema.ErrRejectedLines) || (!tt.rejected && err != nil) {
				t.Errorf("ValidateStream error = %v, want rejected lines: %v", err, tt.rejected)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if out.Len() == 0 {
				got = nil
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, line := range got {
				if !json.Valid([]byte(line)) {
					t.Errorf("output line is not JSON: %s", line)
				}
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestValidateStreamCorpus runs the whole corpus through ValidateStream (topic "" so every event
// is on its own topic) and checks each verdict against the Decoder's.
func TestValidateStreamCorpus(t *testing.T) {
	d := corpusDecoder(t)
	var in bytes.Buffer
	var cases []corpusCase
	for _, c := range loadCorpus(t) {
		msg := c.message(t)
		if bytes.ContainsAny(msg, "\n") || c.RawBase64 != "" {
			continue // one message per line
		}
		cases = append(cases, c)
		in.Write(msg)
		in.WriteByte('\n')
	}
	var out bytes.Buffer
	if err := schema.ValidateStream(&in, &out, d, ""); !errors.Is(err, schema.ErrRejectedLines) {
		t.Fatalf("ValidateStream = %v", err)
	}
	sc := bufio.NewScanner(&out)
	var results []struct {
		Line   int
		OK     bool
		Reason string
	}
	for sc.Scan() {
		var r struct {
			Line   int
			OK     bool
			Reason string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		results = append(results, r)
	}
	blank := 0
	for i, c := range cases {
		msg := c.message(t)
		if len(bytes.TrimSpace(msg)) == 0 {
			blank++
			continue
		}
		r := results[i-blank]
		if r.Line != i+1 {
			t.Fatalf("%s: line %d, want %d", c.Name, r.Line, i+1)
		}
		got := "ok"
		if !r.OK {
			got = r.Reason
		}
		if c.Want == "wrong_topic" { // without a topic each event is on its own: the next check decides
			if got == "wrong_topic" {
				t.Errorf("%s: wrong_topic without a topic", c.Name)
			}
			continue
		}
		if got != c.Want {
			t.Errorf("%s: %s, want %s", c.Name, got, c.Want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestValidateStreamIOErrors(t *testing.T) {
	d := corpusDecoder(t)
	if err := schema.ValidateStream(failReader{}, io.Discard, d, ""); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: %v", err)
	}
	in := strings.Repeat(hotlineAt("2026-10-01T00:00:00Z")+"\n", 1000)
	if err := schema.ValidateStream(strings.NewReader(in), failWriter{}, d, ""); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write error: %v", err)
	}
}

func ExampleValidateStream() {
	d := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), nil)
	in := strings.NewReader(`{"event_id":"h-1","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-31T17:00:00Z","branch_id":"GD-GZ","agent_id":"A7","rating":5,"resolved":true,"wait_seconds":14,"handle_seconds":180}

{"event_id":"h-2","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-31T17:00:00Z","branch_id":"GD-GZ","agent_id":"A7","rating":0,"resolved":true,"wait_seconds":14,"handle_seconds":180}
`)
	err := schema.ValidateStream(in, os.Stdout, d, "")
	fmt.Println(err)
	// Output:
	// {"line":1,"ok":true,"type":"hotline_feedback","event_id":"h-1"}
	// {"line":3,"ok":false,"reason":"invalid_field","detail":"rating: 0 is out of range 1–5"}
	// 1 of 2 events: rejected lines
}
