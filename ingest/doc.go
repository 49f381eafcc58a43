// Package ingest moves csat's events from Kafka into ClickHouse exactly once in effect.
//
// An Ingester joins the consumer group CSAT_KAFKA_GROUP over the six input topics (kafka-go's
// ConsumerGroup, explicit generations), decodes every message with the schema decoder, writes
// good events in columnar batches to the raw tables and bad ones to the dead-letter topic and
// rejected_events, marks the months it touched in kpi_dirty, and only then commits the offsets,
// synchronously. A redelivered message whose offset ClickHouse already holds for its table is
// dropped, so a crash at any instant, a rebalance or a failed commit never doubles a row; see
// DESIGN.md for the argument.
//
// Run blocks until its context ends, then flushes, commits and leaves the group within
// CSAT_SHUTDOWN_GRACE. Drain returns once every assigned partition reached its end offset as of
// the start. Kafka and ClickHouse outages are waited out (backoff, bounded memory, Ready reports
// them); ingest does not deduplicate producers' resent event ids (the projector does), and it
// does not compute projections itself (a Projector may be plugged in). At start, Run and Drain
// check that the input topics and the dead-letter topic exist and return ErrMissingTopics naming
// the missing ones rather than waiting in the group for topics nobody creates. The subpackage
// dlq reads the dead letters back (csat dlq list, csat dlq replay).
package ingest
