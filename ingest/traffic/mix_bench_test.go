package traffic_test

import (
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

// BenchmarkDecodeMix decodes the ingest benchmark's realistic mix (mostly hotline and store
// ratings, ~300 bytes) in turn, with an arena per topic as ingest has one per fetcher: varied
// types and lengths, unlike schema's one-message benchmarks, whose branch predictor learns
// the message. (It lives beside Gen because schema's tests may not import ingest.)
func BenchmarkDecodeMix(b *testing.B) {
	g := traffic.NewGen(42, schema.DefaultTopics())
	type msg struct {
		topic string
		value []byte
	}
	msgs := make([]msg, 20000)
	size := 0
	for i := range msgs {
		m := g.Next()
		msgs[i] = msg{m.Topic, m.Value}
		size += len(m.Value)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), loc)
	arenas := map[string]*schema.Arena{}
	for _, m := range msgs {
		if arenas[m.topic] == nil {
			arenas[m.topic] = &schema.Arena{Now: time.Now()}
		}
	}
	b.SetBytes(int64(size / len(msgs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := &msgs[i]
		if _, err := d.DecodeIn(arenas[m.topic], m.topic, m.value); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(msgs) {
			i = 0
		}
	}
}
