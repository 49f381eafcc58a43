-- Key-driver statistics (issue 8, docs/extensions.md): per (month, version, branch, carrier) the
-- additive cross moments of the responses that answered the overall question and every catalog
-- item, x = item answers and y = overall on the 0–100 scale, x in the order of `items` (the
-- catalog's codes when computed). Σw·x_j·x_k is P×P row-major. Like the other projections, a
-- parent's row is the sum of its children's; recomputed with the survey family. A card reads one
-- branch's row per month: small granules (rows of ~130 floats) keep that read small.
CREATE TABLE IF NOT EXISTS kpi_drivers (
    month UInt32,
    version UInt64,
    branch_id String,
    parent_id String,
    level UInt8,
    carrier String,
    items Array(String),
    n UInt64,
    sw Float64,
    swx Array(Float64),
    swxx Array(Float64),
    swy Float64,
    swxy Array(Float64),
    swy2 Float64
) ENGINE = MergeTree() PARTITION BY (month, version) ORDER BY (branch_id, carrier)
SETTINGS index_granularity = 128;
