package ingest_test

import (
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest/kafkatest"
)

func TestDrainSmall(t *testing.T) {
	e := newEnv(t, 4)
	g := kafkatest.NewGen(1, e.topics)
	var msgs []kafka.Message
	for range 5000 {
		msgs = append(msgs, g.Next())
	}
	e.produce(msgs)
	e.drain(e.config())
	e.checkExact(e.expected(msgs))
	// A second drain finds nothing new: offsets were committed.
	e.drain(e.config())
	e.checkExact(e.expected(msgs))
}
