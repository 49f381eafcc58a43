-- Version 2 of the contract, the front line (SPEC §5.1, §5.5).
--
-- complaints_opened and churn_events: the units an event names ('' when absent). A complaint
-- counts for each unit it names; a churn for the customer manager it names.
ALTER TABLE complaints_opened ADD COLUMN store_id String DEFAULT '';
ALTER TABLE complaints_opened ADD COLUMN staff_id String DEFAULT '';
ALTER TABLE complaints_opened ADD COLUMN agent_id String DEFAULT '';
ALTER TABLE complaints_opened ADD COLUMN manager_id String DEFAULT '';
ALTER TABLE churn_events ADD COLUMN manager_id String DEFAULT '';

-- New raw tables, with the raw-table pattern of 0001 (partitioned by the ingest batch's
-- ingested_at, Kafka coordinates kept): the same exactly-once guarantees.
--
-- inspections (组巡/暗访, topic csat.store): month is that of occurred_at. staff_id '' when the
-- inspection names no staff member.
CREATE TABLE IF NOT EXISTS inspections (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    store_id String,
    kind String,
    published_by String,
    score Float64,
    staff_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, store_id, event_id);

-- scores_reported (topic csat.assessment): month is the event's period. subject_kind is store,
-- staff, agent, manager or branch. For one (subject, component, month) the row with the latest
-- occurred_at wins (ties: the greater event_id); no projection reads it: queries apply that rule.
CREATE TABLE IF NOT EXISTS scores_reported (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    subject_kind String,
    subject_id String,
    component String,
    value Float64,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, subject_kind, subject_id, component, event_id);

-- adjustments (典型事件加减分, topic csat.assessment): month is the event's period; an
-- adjustment_voids row whose target_event_id names it retracts it, whichever arrived first.
CREATE TABLE IF NOT EXISTS adjustments (
    event_id String,
    branch_id String,
    month UInt32,
    occurred_at DateTime,
    subject_kind String,
    subject_id String,
    points Float64,
    reason String,
    ref String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_time DateTime,
    ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ingested_at) ORDER BY (month, subject_kind, subject_id, event_id);

CREATE TABLE IF NOT EXISTS adjustment_voids (
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
