package aggregate

import (
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// quote returns s as a ClickHouse string literal (store.QuoteString).
func quote(s string) string { return store.QuoteString(s) }

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
	return "[" + store.QuoteStrings(ss) + "]"
}

// stringSet returns ss as a subquery of one String row each, for an IN: an array literal is one
// element of the query's AST where a tuple literal is one per string (18.16 refuses more than
// 50,000).
func stringSet(ss []string) string {
	return "SELECT arrayJoin(CAST(" + stringArray(ss) + " AS Array(String)))"
}

// floatArray returns fs as a ClickHouse Array(Float64) literal.
func floatArray(fs []float64) string {
	q := make([]string, len(fs))
	for i, f := range fs {
		q[i] = floatLit(f)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ancestorsOf expands the column col (an event's branch id) of a row into tuples (id,
// parent_id, level) for the branch itself and each of its ancestors, ALL (level 0, parent "")
// included. range(n) is 0..n-1 (the two-argument form does not exist in ClickHouse 18.16).
func ancestorsOf(col string) string {
	return strings.ReplaceAll(`arrayConcat([('ALL', '', toUInt8(0))], arrayMap(i -> (`+
		`arrayStringConcat(arraySlice(splitByChar('-', COL), 1, i + 1), '-'), `+
		`if(i = 0, 'ALL', arrayStringConcat(arraySlice(splitByChar('-', COL), 1, i), '-')), `+
		`toUInt8(i + 1)), range(length(splitByChar('-', COL)))))`, "COL", col)
}

// sqlGen builds the recompute SQL of every family. The same SELECTs serve the projector (which
// inserts them into the kpi_* tables under a version) and an as-of read (Engine.AsOf), which
// uses them as subqueries over the raw rows ingested up to asOf: one definition of every
// statistic, so "as of now" equals the projections by construction.
type sqlGen struct {
	db      string // qualifies every table; "" = the connection's default database
	codes   []string
	weights []float64
	sla     float64   // CSAT_COMPLAINT_SLA_HOURS
	asOf    time.Time // zero: every raw row; else only rows with ingested_at ≤ asOf
	// views fixes, per raw table, the rows a recompute reads (see rawView); a table without
	// one is read whole, its repeated hashes found by a subquery.
	views map[string]*rawView
	// only, per raw table, restricts every scan of it to some events (" AND …": a fast as-of
	// read's correction, asoffast.go); a table without an entry is not restricted.
	only map[string]string
}

// withOnly returns g with every scan of the tables of only restricted by their conditions.
func (g sqlGen) withOnly(only map[string]string) sqlGen {
	g.only = only
	return g
}

// rows is the condition (" AND …") that keeps a scan of table to g's rows: those ingested up to
// asOf, those of its view, those of only ("" when g reads the table whole).
func (g sqlGen) rows(table string) string {
	return g.cut() + g.views[table].cond() + g.only[table]
}

// withViews returns g reading the raw tables through views.
func (g sqlGen) withViews(views map[string]*rawView) sqlGen {
	g.views = views
	return g
}

func newSQLGen(db string, cat schema.Catalog, sla float64, asOf time.Time) sqlGen {
	g := sqlGen{db: db, codes: cat.Codes(), weights: make([]float64, len(cat.Items)), sla: sla, asOf: asOf}
	for i, it := range cat.Items {
		g.weights[i] = it.Weight
	}
	return g
}

func (g sqlGen) table(name string) string { return qualify(g.db, name) }

// cut is the condition on ingested_at of an as-of read (" AND …"), "" otherwise. ingested_at
// has a resolution of one second: a row ingested at asOf's second is included.
func (g sqlGen) cut() string {
	if g.asOf.IsZero() {
		return ""
	}
	return " AND " + ingestedCond("<=", g.asOf)
}

// ingestedCond compares the DateTime column ingested_at with t (op "<=" or ">"); a t outside
// DateTime's range (1970 to 2106) gives the constant answer instead of a wrapped-around date.
func ingestedCond(op string, t time.Time) string {
	u := t.Unix()
	switch {
	case u < 0 && op == "<=", u > math.MaxUint32 && op == ">":
		return "0"
	case u < 0, u > math.MaxUint32:
		return "1"
	}
	return fmt.Sprintf("ingested_at %s toDateTime(%d)", op, u)
}

// projColumns are the columns of each family's SELECT, in order: those of its kpi_* table.
var projColumns = map[Family]string{
	FamilySurvey:     "month, version, branch_id, parent_id, level, carrier, item, n, sw, sw2, swx, swx2",
	FamilyWindow:     "month, version, branch_id, parent_id, level, hotline_n, hotline_satisfied, hotline_resolved, hotline_wait_sum, hotline_sl20, store_n, store_satisfied, store_wait_sum, hotline_handle_sum, store_id",
	FamilyComplaints: "month, version, branch_id, parent_id, level, opened, escalated, closed, closed_within_sla, resolution_hours_sum, callback_n, callback_satisfied, sla_hours",
	FamilyChurn:      "month, version, branch_id, parent_id, level, churned, churned_high, churned_mid, churned_low",
	FamilyBase:       "month, version, branch_id, subscribers, has_tiers, tier_high, tier_mid, tier_low",
	FamilyDrivers:    "month, version, branch_id, parent_id, level, carrier, items, n, sw, swx, swxx, swy, swxy, swy2",
	FamilyFrontline: "month, version, kind, unit_id, branch_id, placed_at, placed_by, store_id, n, satisfied, dissatisfied, wait_sum, " +
		"resolved, sl20, handle_sum, complaints, churned, insp_province_n, insp_province_sum, insp_city_n, insp_city_sum, survey_n, sw, sw2, swy, swy2",
}

// insertSQL is the recompute of family f for month m under version v.
func (g sqlGen) insertSQL(f Family, m schema.Month, v uint64) (string, error) {
	sel, err := g.selectSQL(f, m, v)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("INSERT INTO %s (%s)\n%s", g.table(f.Table()), projColumns[f], sel), nil
}

// selectSQL is the SELECT of family f's statistics for month m, with the column names of its
// kpi_* table (projColumns) and version v.
func (g sqlGen) selectSQL(f Family, m schema.Month, v uint64) (string, error) {
	switch f {
	case FamilySurvey:
		return g.surveySQL(m, v), nil
	case FamilyWindow:
		return g.windowSQL(m, v), nil
	case FamilyComplaints:
		return g.complaintsSQL(m, v), nil
	case FamilyChurn:
		return g.churnSQL(m, v), nil
	case FamilyBase:
		return g.baseSQL(m, v), nil
	case FamilyDrivers:
		return g.driversSQL(m, v), nil
	case FamilyFrontline:
		return g.frontlineSQL(m, v), nil
	}
	return "", fmt.Errorf("unknown family %q", f)
}

// dedupKey orders the copies of a message within one raw table as (kafka_partition,
// kafka_offset) does, as one UInt64: partition·2⁴³ + offset (offsets stay below 2⁴³ ≈ 8.8·10¹²).
const dedupKey = "bitOr(bitShiftLeft(toUInt64(kafka_partition), 43), toUInt64(kafka_offset))"

// dedup returns a subquery with one row per event_id of table for month m: the column t is the
// tuple of cols taken from the copy with the smallest (kafka_partition, kafka_offset). All
// copies of an event_id are the same event, so any choice would do; this one is deterministic.
// Copies are rare, so only the rows whose event_id hash repeats (rawView) are grouped by
// event_id, each column its own argMin over dedupKey (an argMin of a tuple by a tuple costs
// three times as much on ClickHouse 18.16); every other row is taken as it is. Two copies of an
// event_id at the same partition and offset of two topics would tie; they are the same event.
// For tables whose rows carry arrays use dedupSemi.
func (g sqlGen) dedup(table string, m schema.Month, cols string, extraWhere string) string {
	where := fmt.Sprintf("month = %d%s%s", uint32(m), g.rows(table), extraWhere)
	single := fmt.Sprintf("SELECT tuple(%s) AS t FROM %s WHERE %s", cols, g.table(table), where)
	var picks []string
	for _, c := range strings.Split(cols, ",") {
		picks = append(picks, fmt.Sprintf("argMin(%s, dedup_key)", strings.TrimSpace(c)))
	}
	if g.only[table] != "" {
		// A correction's few events (asoffast.go): grouping all their rows by event_id is one
		// scan, where splitting off the repeated hashes first costs four.
		return fmt.Sprintf(`(SELECT tuple(%s) AS t FROM (SELECT *, %s AS dedup_key FROM %s WHERE %s) GROUP BY event_id)`,
			strings.Join(picks, ", "), dedupKey, g.table(table), where)
	}
	notIn, in, some := g.repeated(table, m)
	if !some {
		return "(" + single + ")"
	}
	return fmt.Sprintf(`(%s AND %s
  UNION ALL
  SELECT tuple(%s) AS t FROM (SELECT *, %s AS dedup_key FROM %s WHERE %s AND %s) GROUP BY event_id)`,
		single, notIn, strings.Join(picks, ", "), dedupKey, g.table(table), where, in)
}

// dedupSemi is dedup for tables whose rows carry arrays (an argMin of an array copies it for
// every row of the group: four times slower on survey_responses). Of the rows whose event_id
// hash repeats it first finds, per event_id, the message with the smallest (partition, offset)
// — the (topic, dedupKey) pair names one message — then keeps the rows of those messages, one
// per event_id (LIMIT 1 BY: a message inserted twice counts once). Its INs (and the caller's
// void filter) are GLOBAL: on a cluster the subqueries run once on the initiator over every
// shard — 18.16's distributed_product_mode = global does not rewrite an IN whose subquery reads
// a Distributed table through a nested FROM, and a replica lagging after a restart makes the
// query run remotely, where an unqualified table is looked up in the wrong database. The rows
// of one message are on one shard (sharding is by partition), so each shard's LIMIT BY suffices.
func (g sqlGen) dedupSemi(table string, m schema.Month, cols string, extraWhere string) string {
	where := fmt.Sprintf("month = %d%s", uint32(m), g.rows(table))
	single := fmt.Sprintf("SELECT tuple(%s) AS t FROM %s WHERE %s%s", cols, g.table(table), where, extraWhere)
	if g.only[table] != "" {
		// A correction's few events (asoffast.go): the first copy of each among all their rows,
		// two scans instead of the split's four.
		return fmt.Sprintf(`(SELECT tuple(%[1]s) AS t FROM %[2]s WHERE %[3]s%[4]s
    AND (kafka_topic, %[5]s) GLOBAL IN (SELECT argMin(kafka_topic, k), min(k) FROM (SELECT event_id, kafka_topic, %[5]s AS k FROM %[2]s WHERE %[3]s) GROUP BY event_id)
  LIMIT 1 BY event_id)`, cols, g.table(table), where, extraWhere, dedupKey)
	}
	notIn, in, some := g.repeated(table, m)
	if !some {
		return "(" + single + ")"
	}
	return fmt.Sprintf(`(%[1]s AND %[2]s
  UNION ALL
  SELECT tuple(%[3]s) AS t FROM %[4]s WHERE %[5]s%[6]s AND %[7]s
    AND (kafka_topic, %[8]s) GLOBAL IN (SELECT argMin(kafka_topic, k), min(k) FROM (SELECT event_id, kafka_topic, %[8]s AS k FROM %[4]s WHERE %[5]s AND %[7]s) GROUP BY event_id)
  LIMIT 1 BY event_id)`, single, notIn, cols, g.table(table), where, extraWhere, in, dedupKey)
}

// repeated returns the conditions "this row's event_id hash repeats" (in) and its negation
// (notIn) for table's rows of month m, and some = false when the table's view found no repeated
// hash (then no row needs grouping). Without a view, or with more repeated hashes than a view
// lists, the set is a GLOBAL subquery over the same rows.
func (g sqlGen) repeated(table string, m schema.Month) (notIn, in string, some bool) {
	v := g.views[table]
	const h = "cityHash64(event_id)"
	if v != nil && !v.manyDups {
		if len(v.dups) == 0 {
			return "", "", false
		}
		set := make([]string, len(v.dups))
		for i, d := range v.dups {
			set[i] = strconv.FormatUint(d, 10)
		}
		// An array literal is one element of the query's AST; a tuple literal is one per hash,
		// and 18.16 refuses an AST of more than 50,000 elements (TestDedupManyCopies).
		list := "SELECT arrayJoin(CAST([" + strings.Join(set, ", ") + "] AS Array(UInt64)))"
		return fmt.Sprintf("%s NOT IN (%s)", h, list), fmt.Sprintf("%s IN (%s)", h, list), true
	}
	sub := g.repeatedSQL(table, m)
	return fmt.Sprintf("%s GLOBAL NOT IN (%s)", h, sub), fmt.Sprintf("%s GLOBAL IN (%s)", h, sub), true
}

// repeatedSQL selects the cityHash64(event_id) values that occur more than once among table's
// rows of month m (through its view, if any): a superset of the hashes of the event_ids that
// have several copies (two different event_ids can share a hash; their rows are then grouped by
// event_id too, which is exact). A hash that occurs once belongs to an event_id with exactly one
// row, which needs no deduplication. Grouping 64-bit hashes is several times cheaper than
// grouping the event_id strings with a state per column.
func (g sqlGen) repeatedSQL(table string, m schema.Month) string {
	return fmt.Sprintf(`SELECT cityHash64(event_id) AS h FROM %s WHERE month = %d%s GROUP BY h HAVING count() > 1`,
		g.table(table), uint32(m), g.rows(table))
}

// boundsSQL selects the highest offset of each (topic, partition) among table's rows of month m,
// how many rows it has there, and the first and last ingested_at among them (Unix seconds).
func (g sqlGen) boundsSQL(table string, m schema.Month) string {
	return fmt.Sprintf(`SELECT kafka_topic, kafka_partition, max(kafka_offset), count(), %s FROM %s WHERE month = %d%s GROUP BY kafka_topic, kafka_partition`,
		stampRange, g.table(table), uint32(m), g.cut())
}

// voidsBoundsSQL is boundsSQL for survey_voids, whose rows apply to every month: all of them.
func (g sqlGen) voidsBoundsSQL() string {
	return fmt.Sprintf(`SELECT kafka_topic, kafka_partition, max(kafka_offset), count(), %s FROM %s WHERE 1%s GROUP BY kafka_topic, kafka_partition`,
		stampRange, g.table(store.SurveyVoids.Name()), g.cut())
}

// stampRange is the first and last ingested_at of a group of raw rows, as Unix seconds.
const stampRange = "toInt64(toUInt32(min(ingested_at))), toInt64(toUInt32(max(ingested_at)))"

// rawView fixes the rows of one raw table that one recompute of a month reads, and which of
// their event_id hashes repeat. A recompute's SELECT scans a table several times (the repeated
// hashes, the rows, the first copies), and ClickHouse takes each scan's snapshot of the table's
// parts when that scan starts: rows inserted in between would be seen by some scans and not by
// others — a second copy missed by the hash scan would be counted twice. The view bounds every
// scan to the rows present when the view was taken: per (table, topic, partition) the offsets
// present are a prefix of those ingest sent (ingest/DESIGN.md), so "offset ≤ the highest offset
// seen then" is exactly the rows seen then. Rows inserted later are left to the next
// recompute, which their dirty marks (written after the rows, so after this recompute's
// version) cause.
type rawView struct {
	bounds map[string][]int64 // topic → per partition (the index): highest offset; -1 = no row
	// stamps: topic → per partition p, [2p] and [2p+1] the first and last ingested_at (Unix
	// seconds) of the view's rows there; nil when not recorded (a base from before they were).
	stamps   map[string][]int64
	rows     uint64   // the view's rows (kpi_versions.source_rows)
	dups     []uint64 // the repeated hashes among the month's rows (⊇ the view's), ascending
	manyDups bool     // more than maxListedDups: repeated() uses repeatedSQL instead
}

// maxListedDups bounds the repeated hashes a view lists in the SQL text. A month of the
// national benchmark (1.26 M hotline ratings, 0.5 % resent) has ~6,300; a list costs ClickHouse
// ~2 µs per hash to parse and build its set, while the subquery fallback scans and groups the
// table's event_ids again for every use (~0.35 s at that size). Recompute queries raise
// max_query_size (recomputeQuerySize) to hold the lists.
var maxListedDups = 50000

// recomputeQuerySize is the max_query_size of a recompute: dedupSemi names a list three times,
// and a family has up to two tables (≤ 21 bytes per hash).
const recomputeQuerySize = 8 << 20

// cond is the condition (" AND …") that keeps a scan to the view's rows ("" without a view).
// Partitions of a topic with no row in the view, and topics the view does not name, keep no
// row: arrayElement past the end of an array is 0, and the bounds are offset+1.
func (v *rawView) cond() string {
	if v == nil {
		return ""
	}
	topics := make([]string, 0, len(v.bounds))
	for t := range v.bounds {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var ors []string
	for _, t := range topics {
		next := make([]string, len(v.bounds[t]))
		for i, o := range v.bounds[t] {
			next[i] = strconv.FormatInt(o+1, 10)
		}
		ors = append(ors, fmt.Sprintf("(kafka_topic = %s AND kafka_offset < arrayElement([%s], kafka_partition + 1))",
			quote(t), strings.Join(next, ", ")))
	}
	if len(ors) == 0 {
		return " AND 0"
	}
	return " AND (" + strings.Join(ors, " OR ") + ")"
}

// responses is the subquery of the deduplicated, not voided survey responses of month m: per
// response its event branch eb, carrier, weight w, overall, ent (1 for an enterprise
// interview), and the answered catalog items as codes, scores, their catalog weights ws and
// xs = (x−1)·100/9. Every catalog weight is > 0
// (schema.Catalog.Validate), so transform's default 0 marks a code the catalog no longer has;
// transform looks codes up in a hash table, where has() and indexOf() compare with each
// catalog code in turn (survey recompute −35 % on the benchmark month).
func (g sqlGen) responses(m schema.Month) string {
	return fmt.Sprintf(`SELECT t.1 AS eb, t.2 AS carrier, t.3 AS w, t.4 AS overall, toUInt8(t.7 = 'enterprise') AS ent,
    arrayMap(c -> transform(c, %[1]s, %[2]s, toFloat64(0)), t.5) AS wt,
    arrayFilter((c, k) -> k > 0, t.5, wt) AS codes,
    arrayFilter((s, k) -> k > 0, t.6, wt) AS scores,
    arrayFilter(k -> k > 0, wt) AS ws,
    arrayMap(s -> (toFloat64(s) - 1) * 100 / 9, scores) AS xs
  FROM %[3]s`, stringArray(g.codes), floatArray(g.weights),
		g.dedupSemi(store.SurveyResponses.Name(), m, "branch_id, carrier, weight, overall, item_codes, item_scores, customer_type",
			fmt.Sprintf(" AND event_id GLOBAL NOT IN (SELECT target_event_id FROM %s WHERE 1%s%s)", g.table(store.SurveyVoids.Name()),
				g.cut(), g.views[store.SurveyVoids.Name()].cond())))
}

// surveySQL is kpi_survey for month m. Per response (deduplicated, not voided): x' = (x−1)·100/9
// for each answered catalog item, the composite y = Σ W·x' / Σ W over the answered catalog items
// (item "_csi", when at least one is answered) and the overall question ("_overall", when
// present). An enterprise interview counts a second time under the same keys prefixed "ent:"
// (kpi.EnterprisePrefix): the enterprise CSI of SPEC §5.5 from the same moments. (ent is
// handed to the lambda as an array: ClickHouse 18.16 drops from a subquery a column that only a
// lambda reads, "Unknown identifier".) Moments are
// first summed per event branch, then expanded to every ancestor and summed again.
func (g sqlGen) surveySQL(m schema.Month, v uint64) string {
	perResponse := fmt.Sprintf(`SELECT eb, carrier, w,
    arrayConcat(vals0, arrayMap((x, e) -> (concat('%[2]s', x.1), x.2, toUInt8(x.3 * e)), vals0, arrayResize([ent], length(vals0), ent))) AS vals
  FROM (SELECT eb, carrier, w, ent, arrayConcat(arrayMap((c, x) -> (c, x, toUInt8(1)), codes, xs),
      [('_csi', arraySum(arrayMap((wk, x) -> wk * x, ws, xs)) / arraySum(ws), toUInt8(notEmpty(codes))),
       ('_overall', (toFloat64(overall) - 1) * 100 / 9, toUInt8(overall > 0))]) AS vals0
    FROM (%[1]s))`, g.responses(m), kpi.EnterprisePrefix)
	return fmt.Sprintf(`SELECT toUInt32(%d) AS month, toUInt64(%d) AS version, a.1 AS branch_id, a.2 AS parent_id, a.3 AS level,
  carrier, item, sum(c_n) AS n, sum(c_sw) AS sw, sum(c_sw2) AS sw2, sum(c_swx) AS swx, sum(c_swx2) AS swx2
FROM (
  SELECT eb, carrier, kv.1 AS item, count() AS c_n, sum(w) AS c_sw, sum(w * w) AS c_sw2,
    sum(w * kv.2) AS c_swx, sum(w * kv.2 * kv.2) AS c_swx2
  FROM (%s) ARRAY JOIN arrayFilter(x -> x.3 = 1, vals) AS kv
  GROUP BY eb, carrier, item
) ARRAY JOIN %s AS a
GROUP BY a.1, a.2, a.3, carrier, item`, uint32(m), v, perResponse, ancestorsOf("eb"))
}

// windowSQL is kpi_window: hotline and store ratings of month m, each event_id once. Each
// branch has a row of totals (store_id ”) and a row per store rated under it (store_id, with
// only its store_n, store_satisfied and store_wait_sum): every per-store count is emitted
// twice, under ” and under its store, before the expansion to every ancestor.
func (g sqlGen) windowSQL(m schema.Month, v uint64) string {
	const z = "toUInt64(0)"
	return fmt.Sprintf(`SELECT toUInt32(%[1]d) AS month, toUInt64(%[2]d) AS version, a.1 AS branch_id, a.2 AS parent_id, a.3 AS level,
  sum(hn) AS hotline_n, sum(hs) AS hotline_satisfied, sum(hr) AS hotline_resolved, sum(hw) AS hotline_wait_sum,
  sum(h20) AS hotline_sl20, sum(sn) AS store_n, sum(ss) AS store_satisfied, sum(sw) AS store_wait_sum,
  sum(hh) AS hotline_handle_sum, sk AS store_id
FROM (
  SELECT t.1 AS eb, '' AS sk, count() AS hn, countIf(t.2 >= 4) AS hs, countIf(t.3 != 0) AS hr,
    sum(toUInt64(t.4)) AS hw, countIf(t.4 <= 20) AS h20, %[5]s AS sn, %[5]s AS ss, %[5]s AS sw,
    sum(toUInt64(t.5)) AS hh
  FROM %[3]s GROUP BY t.1
  UNION ALL
  SELECT eb, sk, %[5]s AS hn, %[5]s AS hs, %[5]s AS hr, %[5]s AS hw, %[5]s AS h20, sn, ss, sw, %[5]s AS hh
  FROM (
    SELECT t.1 AS eb, t.4 AS sid, count() AS sn, countIf(t.2 >= 4) AS ss, sum(toUInt64(t.3)) AS sw
    FROM %[4]s GROUP BY t.1, t.4
  ) ARRAY JOIN if(sid = '', [''], ['', sid]) AS sk
) ARRAY JOIN %[6]s AS a
GROUP BY a.1, a.2, a.3, sk`, uint32(m), v,
		g.dedup(store.HotlineFeedback.Name(), m, "branch_id, rating, resolved, wait_seconds, handle_seconds", ""),
		g.dedup(store.StoreFeedback.Name(), m, "branch_id, rating, wait_seconds, store_id", ""),
		z, ancestorsOf("eb"))
}

// complaintsSQL is kpi_complaints: complaints opened in month m and complaints closed in month
// m, each event_id once; closed within SLA when resolution_hours ≤ the SLA hours.
func (g sqlGen) complaintsSQL(m schema.Month, v uint64) string {
	const z = "toUInt64(0)"
	sla := floatLit(g.sla)
	return fmt.Sprintf(`SELECT toUInt32(%[1]d) AS month, toUInt64(%[2]d) AS version, a.1 AS branch_id, a.2 AS parent_id, a.3 AS level,
  sum(op) AS opened, sum(esc) AS escalated, sum(cl) AS closed, sum(sla) AS closed_within_sla, sum(rh) AS resolution_hours_sum,
  sum(cbn) AS callback_n, sum(cbs) AS callback_satisfied, toFloat64(%[7]s) AS sla_hours
FROM (
  SELECT t.1 AS eb, count() AS op, countIf(t.2 != 0) AS esc, %[5]s AS cl, %[5]s AS sla,
    toFloat64(0) AS rh, %[5]s AS cbn, %[5]s AS cbs
  FROM %[3]s GROUP BY t.1
  UNION ALL
  SELECT t.1 AS eb, %[5]s AS op, %[5]s AS esc, count() AS cl, countIf(t.2 <= %[7]s) AS sla, sum(t.2) AS rh,
    countIf(t.3 != -1) AS cbn, countIf(t.3 = 1) AS cbs
  FROM %[4]s GROUP BY t.1
) ARRAY JOIN %[6]s AS a
GROUP BY a.1, a.2, a.3`, uint32(m), v,
		g.dedup(store.ComplaintsOpened.Name(), m, "branch_id, escalated", ""),
		g.dedup(store.ComplaintsClosed.Name(), m, "branch_id, resolution_hours, satisfied", ""),
		z, ancestorsOf("eb"), sla)
}

// churnSQL is kpi_churn: churn events of month m by tier, each event_id once.
func (g sqlGen) churnSQL(m schema.Month, v uint64) string {
	return fmt.Sprintf(`SELECT toUInt32(%d) AS month, toUInt64(%d) AS version, a.1 AS branch_id, a.2 AS parent_id, a.3 AS level,
  sum(c) AS churned, sum(ch) AS churned_high, sum(cm) AS churned_mid, sum(cl) AS churned_low
FROM (
  SELECT t.1 AS eb, count() AS c, countIf(t.2 = 'high') AS ch, countIf(t.2 = 'mid') AS cm, countIf(t.2 = 'low') AS cl
  FROM %s GROUP BY t.1
) ARRAY JOIN %s AS a
GROUP BY a.1, a.2, a.3`, uint32(m), v,
		g.dedup(store.ChurnEvents.Name(), m, "branch_id, tier", ""), ancestorsOf("eb"))
}

// baseSQL is kpi_base: the winning snapshot of each branch that has one of its own for month m
// (latest occurred_at, ties: the greater event_id). Copies of one event are identical, so they
// need no deduplication here. The fall-back to the children's sum happens when reading.
func (g sqlGen) baseSQL(m schema.Month, v uint64) string {
	return fmt.Sprintf(`SELECT toUInt32(%d) AS month, toUInt64(%d) AS version, eb AS branch_id, t.1 AS subscribers, t.2 AS has_tiers,
  t.3 AS tier_high, t.4 AS tier_mid, t.5 AS tier_low
FROM (
  SELECT branch_id AS eb, argMax(tuple(subscribers, has_tiers, tier_high, tier_mid, tier_low), tuple(occurred_at, event_id)) AS t
  FROM %s WHERE month = %d%s GROUP BY branch_id
)`, uint32(m), v, g.table(store.SubscriberBases.Name()), uint32(m), g.cut())
}

// driversSQL is kpi_drivers: the additive cross moments (stat.CrossMoments) of the responses of
// month m that answered the overall question and every catalog item (listwise complete), per
// carrier: n, Σw, Σw·x_k, Σw·x_j·x_k (P×P, row-major), Σw·y, Σw·x_k·y, Σw·y², with x the item
// answers and y the overall answer on SPEC §3.1's 0–100 scale, x in catalog order (items). The
// lambdas take every value as an argument (replicate): ClickHouse 18.16 lambdas cannot capture
// a scalar column.
//
// Σw·x_j·x_k is symmetric: per response only its upper triangle (j ≤ k, P(P+1)/2 products
// instead of P²) is computed and summed, and each branch's sums are laid out as the P×P matrix
// at the end (x_j·x_k and x_k·x_j are the same float, so the matrix is bit for bit the one
// computed in full; the drivers recompute of the ingest benchmark's month −30 %).
func (g sqlGen) driversSQL(m schema.Month, v uint64) string {
	cat := stringArray(g.codes)
	p := len(g.codes)
	var ti, tj []string
	pos := make([][]int, p) // pos[j][k], j ≤ k: 1-based index in the triangle
	for j := range p {
		pos[j] = make([]int, p)
		for k := j; k < p; k++ {
			ti, tj = append(ti, strconv.Itoa(j+1)), append(tj, strconv.Itoa(k+1))
			pos[j][k] = len(ti)
		}
	}
	idx := make([]string, 0, p*p)
	for q := range p * p {
		j, k := q/p, q%p
		idx = append(idx, strconv.Itoa(pos[min(j, k)][max(j, k)]))
	}
	TI, TJ, IDX := "["+strings.Join(ti, ", ")+"]", "["+strings.Join(tj, ", ")+"]", "["+strings.Join(idx, ", ")+"]"
	return fmt.Sprintf(`SELECT toUInt32(%[1]d) AS month, toUInt64(%[2]d) AS version, a.1 AS branch_id, a.2 AS parent_id, a.3 AS level,
  carrier, %[3]s AS items, sum(c_n) AS n, sum(c_sw) AS sw, sumForEach(c_swx) AS swx,
  arrayMap((i, t) -> arrayElement(t, i), %[8]s, replicate(sumForEach(c_swxx), %[8]s)) AS swxx,
  sum(c_swy) AS swy, sumForEach(c_swxy) AS swxy, sum(c_swy2) AS swy2
FROM (
  SELECT eb, carrier, count() AS c_n, sum(w) AS c_sw, sumForEach(wx) AS c_swx, sumForEach(wxx) AS c_swxx,
    sum(w * y) AS c_swy, sumForEach(wxy) AS c_swxy, sum(w * y * y) AS c_swy2
  FROM (
    SELECT eb, carrier, w, y,
      arrayMap((c, cs, xv) -> arrayElement(xv, indexOf(cs, c)), %[3]s, replicate(codes, %[3]s), replicate(xs, %[3]s)) AS x,
      arrayMap((xk, ww) -> xk * ww, x, replicate(w, x)) AS wx,
      arrayMap((xk, ww, yy) -> xk * ww * yy, x, replicate(w, x), replicate(y, x)) AS wxy,
      arrayMap((a, b, xx, ww) -> arrayElement(xx, a) * arrayElement(xx, b) * ww,
        %[5]s, %[6]s, replicate(x, %[5]s), replicate(w, %[5]s)) AS wxx
    FROM (SELECT eb, carrier, w, codes, xs, (toFloat64(overall) - 1) * 100 / 9 AS y FROM (%[7]s) WHERE overall > 0 AND length(codes) = %[4]d)
  )
  GROUP BY eb, carrier
) ARRAY JOIN %[9]s AS a
GROUP BY a.1, a.2, a.3, carrier`, uint32(m), v, cat, p, TI, TJ, g.responses(m), IDX, ancestorsOf("eb"))
}

// frontlineCols are the columns of every arm of frontlineSQL's union, with the zero each arm
// that does not set one gives it: one event's contribution to one unit. k is the placement key
// (frontlineKey) of a placing event, ” otherwise; eb and sid are ” when the event does not
// place the unit.
var frontlineCols = []struct{ name, zero string }{
	{"kind", "''"}, {"uid", "''"}, {"k", "''"}, {"eb", "''"}, {"sid", "''"},
	{"n", "toUInt64(0)"}, {"sat", "toUInt64(0)"}, {"dis", "toUInt64(0)"},
	{"wait", "toUInt64(0)"}, {"res", "toUInt64(0)"}, {"sl", "toUInt64(0)"}, {"hdl", "toUInt64(0)"},
	{"comp", "toUInt64(0)"}, {"chn", "toUInt64(0)"}, {"ipn", "toUInt64(0)"}, {"ips", "toFloat64(0)"},
	{"icn", "toUInt64(0)"}, {"ics", "toFloat64(0)"}, {"sn", "toUInt64(0)"}, {"sw", "toFloat64(0)"},
	{"sw2", "toFloat64(0)"}, {"swy", "toFloat64(0)"}, {"swy2", "toFloat64(0)"},
}

// frontlineKey is the placement key of an event at (a DateTime) with event_id eid: at's Unix
// seconds as ten digits, then eid. Strings compare bytewise, so keys order as the tuples (at,
// eid) do (equal digits first, then eid as strings compare), and max and argMax by it pick the
// latest placing event as argMax by tuple(at, eid) would — but by a String, which ClickHouse
// compares without building a tuple per row (argMax by a tuple is generic, and was most of the
// recompute's cost). "" (no placing event) is below every key.
func frontlineKey(at, eid string) string {
	return fmt.Sprintf("concat(substring(toString(toUInt64(toUInt32(%s)) + 10000000000), 2, 10), %s)", at, eid)
}

// frontlineAgg is the aggregate of column c of frontlineCols over rows of one unit: the
// placement columns from the row with the greatest key k (the latest placing event; ” when
// none), the counts their sum. The same aggregate serves the rows of one arm and the arms'
// rows of a unit.
func frontlineAgg(c string) string {
	switch c {
	case "k":
		return "max(k)"
	case "eb", "sid":
		return "argMax(" + c + ", k)"
	}
	return "sum(" + c + ")"
}

// frontlineArm is one arm of frontlineSQL's union: the expressions set (by column name) over
// from, already aggregated per unit (kind, uid) with frontlineAgg (an arm's rows are one per
// event and unit; summed first, the union carries one row per arm and unit). Only the columns
// set are aggregated; every other column is its zero after the GROUP BY (summing constant
// zeros cost the store ratings' arm more than half of its time). kind, uid and k must be set.
func frontlineArm(set map[string]string, from string) string {
	exprs := []string{}
	aggs := []string{"kind", "uid"}
	outs := []string{"kind", "uid"}
	for _, c := range frontlineCols {
		e, ok := set[c.name]
		switch {
		case c.name == "kind" || c.name == "uid":
			exprs = append(exprs, e+" AS "+c.name)
		case ok:
			exprs = append(exprs, e+" AS "+c.name)
			aggs = append(aggs, frontlineAgg(c.name)+" AS x_"+c.name)
			outs = append(outs, "x_"+c.name+" AS "+c.name)
		default:
			outs = append(outs, c.zero+" AS "+c.name)
		}
	}
	return "SELECT " + strings.Join(outs, ", ") + " FROM (SELECT " + strings.Join(aggs, ", ") + " FROM (SELECT " +
		strings.Join(exprs, ", ") + " FROM " + from + ") GROUP BY kind, uid)"
}

// frontlineSQL is kpi_frontline for month m (SPEC §5.2, §5.5): per unit, the events of the month
// that name it, each event_id once. An event names units through its id columns; an ARRAY JOIN
// over (kind, id, places) emits one row per unit named, and the final GROUP BY sums them per
// unit, placing it by its latest placing event (the greatest frontlineKey, that is by
// (occurred_at, event_id); a complaint places a store but not a staff member, agent or manager;
// an inspection places a store only). Manager interviews: the per-response composite y of SPEC
// §3.3 over the answered catalog items, for the not-voided responses naming a manager that
// answered at least one item.
func (g sqlGen) frontlineSQL(m schema.Month, v uint64) string {
	units := func(pairs ...string) string { // "('store', t.4, toUInt8(1))", …
		return "arrayFilter(x -> x.2 != '', [" + strings.Join(pairs, ", ") + "]) AS u"
	}
	// An event of a raw table's subquery: t.1 its branch, t.2 occurred_at, t.3 event_id; u.3
	// whether it places the unit u.
	env := map[string]string{"kind": "u.1", "uid": "u.2", "k": "if(u.3 = 1, " + frontlineKey("t.2", "t.3") + ", '')", "eb": "if(u.3 = 1, t.1, '')"}
	with := func(extra map[string]string) map[string]string {
		out := maps.Clone(env)
		maps.Copy(out, extra)
		return out
	}
	placing := func(extra map[string]string) map[string]string { // one unit per event, which it places
		out := map[string]string{"k": frontlineKey("t.2", "t.3"), "eb": "t.1"}
		maps.Copy(out, extra)
		return out
	}
	const sfCols = "branch_id, occurred_at, event_id, store_id, staff_id, rating, wait_seconds"
	arms := []string{
		// store_feedback: the store and the staff member rated; both placed by it. (Summing per
		// (store, staff) pair before the ARRAY JOIN cost twice as much on the ingest benchmark,
		// where nearly every rating is a pair of its own.)
		frontlineArm(with(map[string]string{"sid": "if(u.1 = 'staff', t.4, '')", "n": "toUInt64(1)",
			"sat": "toUInt64(t.6 >= 4)", "dis": "toUInt64(t.6 <= 2)", "wait": "toUInt64(t.7)"}),
			g.dedup(store.StoreFeedback.Name(), m, sfCols, "")+" ARRAY JOIN "+units("('store', t.4, toUInt8(1))", "('staff', t.5, toUInt8(1))")),
		// hotline_feedback: the agent.
		frontlineArm(placing(map[string]string{"kind": "'agent'", "uid": "t.4", "n": "toUInt64(1)",
			"sat": "toUInt64(t.5 >= 4)", "dis": "toUInt64(t.5 <= 2)", "res": "toUInt64(t.6 != 0)", "wait": "toUInt64(t.7)",
			"sl": "toUInt64(t.7 <= 20)", "hdl": "toUInt64(t.8)"}),
			g.dedup(store.HotlineFeedback.Name(), m, "branch_id, occurred_at, event_id, agent_id, rating, resolved, wait_seconds, handle_seconds", " AND agent_id != ''")),
		// complaint_opened: every unit it names; it places a store only.
		frontlineArm(with(map[string]string{"comp": "toUInt64(1)"}),
			g.dedup(store.ComplaintsOpened.Name(), m, "branch_id, occurred_at, event_id, store_id, staff_id, agent_id, manager_id",
				" AND (store_id != '' OR staff_id != '' OR agent_id != '' OR manager_id != '')")+" ARRAY JOIN "+
				units("('store', t.4, toUInt8(1))", "('staff', t.5, toUInt8(0))", "('agent', t.6, toUInt8(0))", "('manager', t.7, toUInt8(0))")),
		// inspection: the store (placed by it) and the staff member it names.
		frontlineArm(with(map[string]string{"ipn": "toUInt64(t.6 = 'province')", "ips": "if(t.6 = 'province', t.7, toFloat64(0))",
			"icn": "toUInt64(t.6 = 'city')", "ics": "if(t.6 = 'city', t.7, toFloat64(0))"}),
			g.dedup(store.Inspections.Name(), m, "branch_id, occurred_at, event_id, store_id, staff_id, published_by, score", "")+" ARRAY JOIN "+
				units("('store', t.4, toUInt8(1))", "('staff', t.5, toUInt8(0))")),
		// churn: the customer manager (not placed by it).
		frontlineArm(map[string]string{"kind": "'manager'", "uid": "t.4", "k": "''", "eb": "''", "chn": "toUInt64(1)"},
			g.dedup(store.ChurnEvents.Name(), m, "branch_id, occurred_at, event_id, manager_id", " AND manager_id != ''")),
		// survey_response naming a manager: places them; its composite y when it answered an item.
		frontlineArm(map[string]string{"kind": "'manager'", "uid": "mid", "k": frontlineKey("at", "eid"), "eb": "eb",
			"sn": "toUInt64(has)", "sw": "w * has", "sw2": "w * w * has", "swy": "w * y * has", "swy2": "w * y * y * has"},
			"("+g.managerResponses(m)+")"),
	}
	return fmt.Sprintf(`SELECT toUInt32(%d) AS month, toUInt64(%d) AS version, kind, uid AS unit_id, eb AS branch_id,
  toDateTime(toUInt32OrZero(substring(k, 1, 10))) AS placed_at, substring(k, 11, length(k)) AS placed_by, sid AS store_id,
  n, sat AS satisfied, dis AS dissatisfied, wait AS wait_sum, res AS resolved, sl AS sl20, hdl AS handle_sum,
  comp AS complaints, chn AS churned, ipn AS insp_province_n, ips AS insp_province_sum, icn AS insp_city_n,
  ics AS insp_city_sum, sn AS survey_n, sw, sw2, swy, swy2
FROM (
  %s
)`, uint32(m), v, frontlineArm(map[string]string{"kind": "kind", "uid": "uid", "k": "k", "eb": "eb", "sid": "sid", "n": "n", "sat": "sat", "dis": "dis",
		"wait": "wait", "res": "res", "sl": "sl", "hdl": "hdl", "comp": "comp", "chn": "chn", "ipn": "ipn", "ips": "ips", "icn": "icn", "ics": "ics",
		"sn": "sn", "sw": "sw", "sw2": "sw2", "swy": "swy", "swy2": "swy2"}, "(\n  "+strings.Join(arms, "\n  UNION ALL\n  ")+"\n)"))
}

// managerResponses is the subquery of the deduplicated, not voided survey responses of month m
// that name a customer manager: eb, at, eid, mid, the weight w, y (the composite of SPEC §3.3
// over the answered catalog items) and has (1 when at least one catalog item was answered).
func (g sqlGen) managerResponses(m schema.Month) string {
	return fmt.Sprintf(`SELECT eb, at, eid, mid, w, toUInt8(notEmpty(ws)) AS has,
    if(has = 1, arraySum(arrayMap((wk, x) -> wk * x, ws, xs)) / arraySum(ws), toFloat64(0)) AS y
  FROM (SELECT t.1 AS eb, t.2 AS at, t.3 AS eid, t.4 AS mid, t.5 AS w,
      arrayMap(c -> transform(c, %[1]s, %[2]s, toFloat64(0)), t.6) AS wt,
      arrayFilter(k -> k > 0, wt) AS ws,
      arrayMap(s -> (toFloat64(s) - 1) * 100 / 9, arrayFilter((s, k) -> k > 0, t.7, wt)) AS xs
    FROM %[3]s)`, stringArray(g.codes), floatArray(g.weights),
		g.dedupSemi(store.SurveyResponses.Name(), m, "branch_id, occurred_at, event_id, manager_id, weight, item_codes, item_scores",
			fmt.Sprintf(" AND manager_id != '' AND event_id GLOBAL NOT IN (SELECT target_event_id FROM %s WHERE 1%s)", g.table(store.SurveyVoids.Name()), g.cut())))
}
