package aggregate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/csat-dev/csat/schema"
)

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// floatLit returns f as a Float64 literal (never an integer literal, so arrays keep one type).
func floatLit(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// stringArray returns ss as a ClickHouse Array(String) literal.
func stringArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// floatArray returns fs as a ClickHouse Array(Float64) literal.
func floatArray(fs []float64) string {
	q := make([]string, len(fs))
	for i, f := range fs {
		q[i] = floatLit(f)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ancestorsExpr expands the column branch_id of a row into tuples (id, parent_id, level) for the
// branch itself and each of its ancestors, ALL (level 0, parent "") included. range(n) is 0..n-1
// (the two-argument form does not exist in ClickHouse 18.16).
const ancestorsExpr = `arrayConcat([('ALL', '', toUInt8(0))], arrayMap(i -> (` +
	`arrayStringConcat(arraySlice(splitByChar('-', branch_id), 1, i + 1), '-'), ` +
	`if(i = 0, 'ALL', arrayStringConcat(arraySlice(splitByChar('-', branch_id), 1, i), '-')), ` +
	`toUInt8(i + 1)), range(length(splitByChar('-', branch_id)))))`

// dedup returns a subquery with one row per event_id of table for month m: the column t is the
// tuple of cols taken from the copy with the smallest (kafka_partition, kafka_offset). All
// copies of an event_id are the same event, so any choice would do; this one is deterministic.
func dedup(table string, m schema.Month, cols string, extraWhere string) string {
	return fmt.Sprintf(`(SELECT argMin(tuple(%s), tuple(kafka_partition, kafka_offset)) AS t FROM %s WHERE month = %d%s GROUP BY event_id)`,
		cols, table, uint32(m), extraWhere)
}

// surveySQL recomputes kpi_survey for month m under version v. Per response (deduplicated, not
// voided): x' = (x−1)·100/9 for each answered catalog item, the composite y = Σ W·x' / Σ W over
// the answered catalog items (item "_csi", when at least one is answered) and the overall
// question ("_overall", when present). Moments are first summed per event branch, then expanded
// to every ancestor and summed again.
func (p *Projector) surveySQL(m schema.Month, v uint64) string {
	codes := stringArray(p.codes)
	weights := floatArray(p.weights)
	perResponse := fmt.Sprintf(`SELECT t.1 AS branch_id, t.2 AS carrier, t.3 AS w, t.4 AS overall,
    arrayFilter((c, s) -> has(%[1]s, c), t.5, t.6) AS codes,
    arrayFilter((s, c) -> has(%[1]s, c), t.6, t.5) AS scores,
    arrayMap(s -> (toFloat64(s) - 1) * 100 / 9, scores) AS xs,
    arrayMap(c -> arrayElement(%[2]s, indexOf(%[1]s, c)), codes) AS ws,
    arrayConcat(arrayMap((c, x) -> (c, x, toUInt8(1)), codes, xs),
      [('_csi', arraySum(arrayMap((wk, x) -> wk * x, ws, xs)) / arraySum(ws), toUInt8(notEmpty(codes))),
       ('_overall', (toFloat64(overall) - 1) * 100 / 9, toUInt8(overall > 0))]) AS vals
  FROM %[3]s`, codes, weights,
		dedup(p.table("survey_responses"), m, "branch_id, carrier, weight, overall, item_codes, item_scores",
			fmt.Sprintf(" AND event_id NOT IN (SELECT target_event_id FROM %s)", p.table("survey_voids"))))
	return fmt.Sprintf(`INSERT INTO %s (month, version, branch_id, parent_id, level, carrier, item, n, sw, sw2, swx, swx2)
SELECT toUInt32(%d), toUInt64(%d), a.1, a.2, a.3, carrier, item, sum(n), sum(sw), sum(sw2), sum(swx), sum(swx2)
FROM (
  SELECT branch_id, carrier, kv.1 AS item, count() AS n, sum(w) AS sw, sum(w * w) AS sw2,
    sum(w * kv.2) AS swx, sum(w * kv.2 * kv.2) AS swx2
  FROM (%s) ARRAY JOIN arrayFilter(x -> x.3 = 1, vals) AS kv
  GROUP BY branch_id, carrier, item
) ARRAY JOIN %s AS a
GROUP BY a.1, a.2, a.3, carrier, item`, p.table("kpi_survey"), uint32(m), v, perResponse, ancestorsExpr)
}

// windowSQL recomputes kpi_window: hotline and store ratings of month m, each event_id once.
func (p *Projector) windowSQL(m schema.Month, v uint64) string {
	const z = "toUInt64(0)"
	return fmt.Sprintf(`INSERT INTO %[1]s (month, version, branch_id, parent_id, level, hotline_n, hotline_satisfied,
  hotline_resolved, hotline_wait_sum, hotline_sl20, store_n, store_satisfied, store_wait_sum)
SELECT toUInt32(%[2]d), toUInt64(%[3]d), a.1, a.2, a.3, sum(hn), sum(hs), sum(hr), sum(hw), sum(h20), sum(sn), sum(ss), sum(sw)
FROM (
  SELECT t.1 AS branch_id, count() AS hn, countIf(t.2 >= 4) AS hs, countIf(t.3 != 0) AS hr,
    sum(toUInt64(t.4)) AS hw, countIf(t.4 <= 20) AS h20, %[6]s AS sn, %[6]s AS ss, %[6]s AS sw
  FROM %[4]s GROUP BY t.1
  UNION ALL
  SELECT t.1 AS branch_id, %[6]s AS hn, %[6]s AS hs, %[6]s AS hr, %[6]s AS hw, %[6]s AS h20, count() AS sn,
    countIf(t.2 >= 4) AS ss, sum(toUInt64(t.3)) AS sw
  FROM %[5]s GROUP BY t.1
) ARRAY JOIN %[7]s AS a
GROUP BY a.1, a.2, a.3`, p.table("kpi_window"), uint32(m), v,
		dedup(p.table("hotline_feedback"), m, "branch_id, rating, resolved, wait_seconds", ""),
		dedup(p.table("store_feedback"), m, "branch_id, rating, wait_seconds", ""),
		z, ancestorsExpr)
}

// complaintsSQL recomputes kpi_complaints: complaints opened in month m and complaints closed in
// month m, each event_id once; closed within SLA when resolution_hours ≤ the SLA hours.
func (p *Projector) complaintsSQL(m schema.Month, v uint64) string {
	const z = "toUInt64(0)"
	sla := floatLit(p.cfg.SLAHours)
	return fmt.Sprintf(`INSERT INTO %[1]s (month, version, branch_id, parent_id, level, opened, escalated, closed,
  closed_within_sla, resolution_hours_sum, callback_n, callback_satisfied, sla_hours)
SELECT toUInt32(%[2]d), toUInt64(%[3]d), a.1, a.2, a.3, sum(op), sum(esc), sum(cl), sum(sla), sum(rh), sum(cbn), sum(cbs), toFloat64(%[8]s)
FROM (
  SELECT t.1 AS branch_id, count() AS op, countIf(t.2 != 0) AS esc, %[6]s AS cl, %[6]s AS sla,
    toFloat64(0) AS rh, %[6]s AS cbn, %[6]s AS cbs
  FROM %[4]s GROUP BY t.1
  UNION ALL
  SELECT t.1 AS branch_id, %[6]s AS op, %[6]s AS esc, count() AS cl, countIf(t.2 <= %[8]s) AS sla, sum(t.2) AS rh,
    countIf(t.3 != -1) AS cbn, countIf(t.3 = 1) AS cbs
  FROM %[5]s GROUP BY t.1
) ARRAY JOIN %[7]s AS a
GROUP BY a.1, a.2, a.3`, p.table("kpi_complaints"), uint32(m), v,
		dedup(p.table("complaints_opened"), m, "branch_id, escalated", ""),
		dedup(p.table("complaints_closed"), m, "branch_id, resolution_hours, satisfied", ""),
		z, ancestorsExpr, sla)
}

// churnSQL recomputes kpi_churn: churn events of month m by tier, each event_id once.
func (p *Projector) churnSQL(m schema.Month, v uint64) string {
	return fmt.Sprintf(`INSERT INTO %s (month, version, branch_id, parent_id, level, churned, churned_high, churned_mid, churned_low)
SELECT toUInt32(%d), toUInt64(%d), a.1, a.2, a.3, sum(c), sum(ch), sum(cm), sum(cl)
FROM (
  SELECT t.1 AS branch_id, count() AS c, countIf(t.2 = 'high') AS ch, countIf(t.2 = 'mid') AS cm, countIf(t.2 = 'low') AS cl
  FROM %s GROUP BY t.1
) ARRAY JOIN %s AS a
GROUP BY a.1, a.2, a.3`, p.table("kpi_churn"), uint32(m), v,
		dedup(p.table("churn_events"), m, "branch_id, tier", ""), ancestorsExpr)
}

// baseSQL recomputes kpi_base: the winning snapshot of each branch that has one of its own for
// month m (latest occurred_at, ties: the greater event_id). Copies of one event are identical,
// so they need no deduplication here. The fall-back to the children's sum happens when reading.
func (p *Projector) baseSQL(m schema.Month, v uint64) string {
	return fmt.Sprintf(`INSERT INTO %s (month, version, branch_id, subscribers, has_tiers, tier_high, tier_mid, tier_low)
SELECT toUInt32(%d), toUInt64(%d), branch_id, t.1, t.2, t.3, t.4, t.5
FROM (
  SELECT branch_id, argMax(tuple(subscribers, has_tiers, tier_high, tier_mid, tier_low), tuple(occurred_at, event_id)) AS t
  FROM %s WHERE month = %d GROUP BY branch_id
)`, p.table("kpi_base"), uint32(m), v, p.table("subscriber_bases"), uint32(m))
}
