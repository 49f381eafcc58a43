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

-- kpi_frontline (SPEC §5.2, §5.5): per unit (kind store, staff, agent or manager; unit ids are
-- company-wide) and month, additive counts of the events that name it. branch_id is the unit's
-- placement in the month: the branch_id of its latest placing event there (stores:
-- store_feedback, inspection, complaint_opened; staff: store_feedback; agents:
-- hotline_feedback; managers: survey_response), by (placed_at, placed_by) = (occurred_at,
-- event_id); '' when none falls in the month (the reader then looks at earlier months). store_id
-- is a staff member's store by the same rule. Ratings: n, satisfied (≥ 4), dissatisfied (≤ 2),
-- wait_sum, and for agents resolved, sl20, handle_sum. Inspections: count and score sum per
-- publisher. Managers: churned, and the moments of the per-response composite y (SPEC §3.3)
-- over the interviews naming them (survey_n, sw, sw2, swy, swy2).
CREATE TABLE IF NOT EXISTS kpi_frontline (
    month UInt32,
    version UInt64,
    kind String,
    unit_id String,
    branch_id String,
    placed_at DateTime,
    placed_by String,
    store_id String,
    n UInt64,
    satisfied UInt64,
    dissatisfied UInt64,
    wait_sum UInt64,
    resolved UInt64,
    sl20 UInt64,
    handle_sum UInt64,
    complaints UInt64,
    churned UInt64,
    insp_province_n UInt64,
    insp_province_sum Float64,
    insp_city_n UInt64,
    insp_city_sum Float64,
    survey_n UInt64,
    sw Float64,
    sw2 Float64,
    swy Float64,
    swy2 Float64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (kind, branch_id, unit_id);
