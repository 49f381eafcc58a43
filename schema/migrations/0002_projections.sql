-- Projections: per-month, versioned rollups recomputed from the raw tables (aggregate/DESIGN.md).
-- They hold additive sufficient statistics for every branch at every level (ALL, provinces,
-- cities, counties), so a KPI card is a point lookup and a parent equals the sum of its children.
--
-- A recompute of (family, month) writes its rows under a new version (UnixNano at its start) and
-- then commits by inserting into kpi_versions; readers use the greatest committed version, older
-- versions are dropped by partition. Ingest marks (family, month) dirty in kpi_dirty after each
-- insert; a month is stale while max(marked_at) >= its committed version.

CREATE TABLE IF NOT EXISTS kpi_dirty (
    family String,
    month UInt32,
    marked_at UInt64
) ENGINE = ReplacingMergeTree(marked_at) ORDER BY (family, month);

CREATE TABLE IF NOT EXISTS kpi_versions (
    family String,
    month UInt32,
    version UInt64,
    computed_at DateTime,
    source_rows UInt64
) ENGINE = MergeTree() ORDER BY (family, month, version);

-- Survey statistics per (branch, carrier, item). item is a catalog code, or "_csi" for the
-- per-response composite y of SPEC §3.3, or "_overall". x is the answer rescaled to 0–100.
CREATE TABLE IF NOT EXISTS kpi_survey (
    month UInt32,
    version UInt64,
    branch_id String,
    parent_id String,
    level UInt8,
    carrier String,
    item String,
    n UInt64,
    sw Float64,
    sw2 Float64,
    swx Float64,
    swx2 Float64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (branch_id, carrier, item);

CREATE TABLE IF NOT EXISTS kpi_window (
    month UInt32,
    version UInt64,
    branch_id String,
    parent_id String,
    level UInt8,
    hotline_n UInt64,
    hotline_satisfied UInt64,
    hotline_resolved UInt64,
    hotline_wait_sum UInt64,
    hotline_sl20 UInt64,
    store_n UInt64,
    store_satisfied UInt64,
    store_wait_sum UInt64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (branch_id);

-- sla_hours records CSAT_COMPLAINT_SLA_HOURS at recompute time; changing it needs csat rebuild.
CREATE TABLE IF NOT EXISTS kpi_complaints (
    month UInt32,
    version UInt64,
    branch_id String,
    parent_id String,
    level UInt8,
    opened UInt64,
    escalated UInt64,
    closed UInt64,
    closed_within_sla UInt64,
    resolution_hours_sum Float64,
    callback_n UInt64,
    callback_satisfied UInt64,
    sla_hours Float64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (branch_id);

CREATE TABLE IF NOT EXISTS kpi_churn (
    month UInt32,
    version UInt64,
    branch_id String,
    parent_id String,
    level UInt8,
    churned UInt64,
    churned_high UInt64,
    churned_mid UInt64,
    churned_low UInt64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (branch_id);

-- The winning subscriber snapshot of each (branch, month) that has one of its own (latest
-- occurred_at, ties: greater event_id). The fall-back to the sum of the children is computed when
-- reading (aggregate/kpi).
CREATE TABLE IF NOT EXISTS kpi_base (
    month UInt32,
    version UInt64,
    branch_id String,
    subscribers UInt64,
    has_tiers UInt8,
    tier_high UInt64,
    tier_mid UInt64,
    tier_low UInt64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (branch_id);
