package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"
)

// ErrMissingTopics is returned (wrapped, naming the topics) by Run and Drain when Kafka answers
// that an input topic or the dead-letter topic does not exist.
var ErrMissingTopics = errors.New("kafka topics missing")

// checkTopics asks Kafka whether the input topics and the dead-letter topic exist. A missing
// topic is an error that names it (the consumer group would otherwise wait, not ready, for a
// topic nobody creates; ingest must never auto-create its dead-letter topic on a write). An
// unreachable Kafka is waited out like any outage, with Ready saying why.
func (in *Ingester) checkTopics(ctx context.Context) error {
	want := append(append([]string{}, in.inputs...), in.topics.DLQ)
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		missing, err := missingTopics(ctx, in.client, want)
		if err == nil {
			if len(missing) == 0 {
				return nil
			}
			for i, t := range missing {
				if t == in.topics.DLQ {
					missing[i] = t + " (dead letters)"
				}
			}
			return fmt.Errorf("%w: %s; create them (scripts/kafka.sh topics does) or set CSAT_TOPIC_*",
				ErrMissingTopics, strings.Join(missing, ", "))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		in.setState(func() { in.kafkaErr = fmt.Errorf("checking topics: %w", err) })
		in.m.retries.WithLabelValues("join", "none").Inc()
		in.log.Warn("check kafka topics", "err", err)
		if !bo.wait(ctx) {
			return ctx.Err()
		}
	}
}

// missingTopics returns the topics of want that Kafka says do not exist. The metadata request
// does not create topics.
func missingTopics(ctx context.Context, client *kafka.Client, want []string) ([]string, error) {
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: want})
	if err != nil {
		return nil, err
	}
	found := map[string]error{}
	for _, t := range meta.Topics {
		found[t.Name] = t.Error
	}
	var missing []string
	for _, t := range want {
		terr, ok := found[t]
		switch {
		case !ok, errors.Is(terr, kafka.UnknownTopicOrPartition):
			missing = append(missing, t)
		case terr != nil:
			return nil, fmt.Errorf("metadata of topic %s: %w", t, terr)
		}
	}
	return missing, nil
}
