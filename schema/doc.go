// Package schema is csat's event contract: the Go types of every event of SPEC §2, the decoder and
// validator that turns a Kafka message into a typed event or a dead-letter reason, the item
// catalog, topic names, the JSON Schema documents producers read, and the ClickHouse DDL as
// numbered migrations embedded in the binary.
//
// It holds no business logic: KPIs live in aggregate/, moving events in ingest/.
// Serialized enums (Type, Reason) are append-only.
package schema
