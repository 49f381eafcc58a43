-- Bases of fast as-of reads (issue 20; aggregate/DESIGN.md "As of a moment").
--
-- One row per projection version that an as-of read may start from, written before the version
-- is committed (a live version) or after its rows are inserted (a checkpoint). A live version
-- read the raw rows up to bounds: per raw table, per Kafka topic, the highest offset of each
-- partition (JSON {table: {topic: [offset, ...]}}, -1 = no row), as_of 0. A checkpoint read the
-- raw rows with ingested_at <= as_of among those up to its bounds. full is the version of the last
-- recompute from the raw rows in a live version's chain (a refresh may fold the rows added since
-- into the committed version instead: CSAT_PROJECT_FULL_EVERY). An as-of read at t takes the projection rows of
-- a base near t and corrects them exactly with the events whose raw rows differ between the
-- base's rows and those ingested up to t.
CREATE TABLE IF NOT EXISTS kpi_bases (
    family String,
    month UInt32,
    version UInt64,
    as_of DateTime,
    bounds String,
    full UInt64,
    created_at DateTime
) ENGINE = MergeTree() ORDER BY (family, month, version);
