-- Raw event tables: the source of truth. Every accepted event is kept as it arrived, with the
-- Kafka topic/partition/offset it came from and the time it was ingested.
--
-- Exactly-once: all rows of one ingest batch share one ingested_at, and the tables are partitioned
-- by toYYYYMM(ingested_at), so one batch's INSERT into one table writes exactly one part: it is
-- in whole or not at all. Per (table, kafka_partition), the offsets present are therefore a prefix
-- of the offsets sent, and ingest resumes after max(kafka_offset) (see ingest/DESIGN.md).
--
-- month is the event's reporting month (YYYYMM): the survey wave, the snapshot's month, or the
-- month of occurred_at in the reporting time zone.

CREATE TABLE IF NOT EXISTS survey_responses (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    carrier String,
    weight Float64,
    segment String,
    overall UInt8,
    item_codes Array(String),
    item_scores Array(UInt8),
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

CREATE TABLE IF NOT EXISTS survey_voids (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    target_event_id String,
    reason String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (target_event_id, event_id);

CREATE TABLE IF NOT EXISTS hotline_feedback (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    agent_id String,
    rating UInt8,
    resolved UInt8,
    wait_seconds UInt32,
    handle_seconds UInt32,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

CREATE TABLE IF NOT EXISTS store_feedback (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    store_id String,
    staff_id String,
    rating UInt8,
    wait_seconds UInt32,
    business String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

CREATE TABLE IF NOT EXISTS complaints_opened (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    complaint_id String,
    category String,
    channel String,
    escalated UInt8,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

-- satisfied: 1 satisfied, 0 not satisfied, -1 absent (no callback outcome).
CREATE TABLE IF NOT EXISTS complaints_closed (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    complaint_id String,
    resolution_hours Float64,
    satisfied Int8,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

CREATE TABLE IF NOT EXISTS churn_events (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    customer_ref String,
    tier String,
    reason String,
    tenure_months UInt32,
    to_carrier String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

-- has_tiers: 1 when the snapshot carried tiers.
CREATE TABLE IF NOT EXISTS subscriber_bases (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    subscribers UInt64,
    has_tiers UInt8,
    tier_high UInt64,
    tier_mid UInt64,
    tier_low UInt64,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, branch_id, event_id);

-- Dead letters (SPEC §2.3), also written to the csat.dlq topic. payload_encoding is "" for UTF-8
-- payloads and "base64" otherwise.
CREATE TABLE IF NOT EXISTS rejected_events (
    reason String,
    detail String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_key String,
    payload String,
    payload_encoding String,
    kafka_time DateTime,
    rejected_at DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (kafka_topic, kafka_partition, kafka_offset);
