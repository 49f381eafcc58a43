package schema_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema"
)

var (
	benchHotline = []byte(`{"event_id":"hl-20261015-000123456","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ-TH","agent_id":"A10086-0042","rating":5,"resolved":true,"wait_seconds":12,"handle_seconds":245}`)
	benchSurvey  = []byte(`{"event_id":"sv-2026-10-GDGZ-000042","type":"survey_response","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","carrier":"cmcc","wave":"2026-10","weight":1.25,"segment":"high","overall":8,"items":{"network":8,"voice":9,"data":7,"tariff":6,"billing":8,"store":9,"hotline":8,"online":7,"brand":9,"complaint":6}}`)
)

func benchDecoder() *schema.Decoder {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), loc,
		schema.WithClock(func() time.Time { return now }))
}

func benchDecode(b *testing.B, topic string, msg []byte) {
	d := benchDecoder()
	if _, err := d.Decode(topic, msg); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if _, err := d.Decode(topic, msg); err != nil {
			b.Fatal(err)
		}
	}
	cpuPerOp(b, start)
}

func BenchmarkDecodeHotline(b *testing.B) { benchDecode(b, "csat.hotline", benchHotline) }

func BenchmarkDecodeSurvey(b *testing.B) { benchDecode(b, "csat.survey", benchSurvey) }

// cpuPerOp reports CPU time per op besides wall time: on a shared, loaded machine wall time
// overstates the cost.
func cpuPerOp(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBaselineEncodingJSON decodes the hotline event with encoding/json into a plain struct,
// without any validation: a yardstick for the figures above on a machine of unknown speed.
func BenchmarkBaselineEncodingJSON(b *testing.B) {
	var v struct {
		EventID       string `json:"event_id"`
		Type          string `json:"type"`
		SchemaVersion int    `json:"schema_version"`
		OccurredAt    string `json:"occurred_at"`
		BranchID      string `json:"branch_id"`
		AgentID       string `json:"agent_id"`
		Rating        int    `json:"rating"`
		Resolved      bool   `json:"resolved"`
		WaitSeconds   int    `json:"wait_seconds"`
		HandleSeconds int    `json:"handle_seconds"`
	}
	b.SetBytes(int64(len(benchHotline)))
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if err := json.Unmarshal(benchHotline, &v); err != nil {
			b.Fatal(err)
		}
	}
	cpuPerOp(b, start)
}

// BenchmarkDecodeHotlineParallel decodes on every P at once (the decoder is shared): ns/op is
// wall time per event over all cores.
func BenchmarkDecodeHotlineParallel(b *testing.B) {
	d := benchDecoder()
	b.SetBytes(int64(len(benchHotline)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Decode("csat.hotline", benchHotline); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchDecodeIn(b *testing.B, topic string, msg []byte) {
	d := benchDecoder()
	a := &schema.Arena{Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if _, err := d.DecodeIn(a, topic, msg); err != nil {
			b.Fatal(err)
		}
	}
	cpuPerOp(b, start)
}

// BenchmarkDecodeInHotline is BenchmarkDecodeHotline with the events carved from an Arena, as
// ingest's fetchers decode.
func BenchmarkDecodeInHotline(b *testing.B) { benchDecodeIn(b, "csat.hotline", benchHotline) }

func BenchmarkDecodeInSurvey(b *testing.B) { benchDecodeIn(b, "csat.survey", benchSurvey) }
