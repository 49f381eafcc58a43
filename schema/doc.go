// Package schema is csat's event contract: the Go types of every event of SPEC §2, the decoder and
// validator that turns a Kafka message into a typed event or a dead-letter reason, the item
// catalog, topic names, the JSON Schema documents producers read, and the ClickHouse DDL as
// numbered migrations embedded in the binary.
//
// # Guarantees
//
//   - Decoder.Decode returns either one of the event pointer types of event.go or a *Rejection
//     whose Reason is one of Reasons(); never both, never another error, never a panic (fuzzed).
//     The order of its checks, which decides the reason when a message has several faults, is
//     documented on Decoder and pinned by testdata/corpus.ndjson.
//   - A decoded event is complete: Envelope.Month is set, SurveyResponse.Wave is always set and
//     Weight defaults to 1, OccurredAt is in UTC, items are in catalog order.
//   - The JSON Schema documents in jsonschema/ (draft 2020-12, one per type plus envelope.json)
//     accept every corpus event the decoder accepts and reject every one it rejects for a field
//     (missing_field, invalid_field, unknown_item with the default catalog); a test keeps them in
//     step. What a schema cannot state (topics, the time window, the version beyond 1, the size
//     limit, the sum of subscriber tiers) is said in their descriptions.
//   - ValidateStream is `csat validate`: one JSON verdict per NDJSON input line.
//
// It holds no business logic: KPIs live in aggregate/, moving events in ingest/. Nothing here
// blocks or does I/O except LoadCatalog, Config.Validate (which loads the catalog file and the
// time zone) and ValidateStream. Serialized enums (Type, Reason) are append-only.
package schema
