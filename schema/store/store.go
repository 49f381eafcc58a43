// Package store is csat's storage contract in ClickHouse, the one place that says where events
// and statistics live: which raw table holds each event type (RawTable, TableOf), the columns
// and INSERT statement of each raw table, which projection family a raw table feeds and which
// table holds that family's projection (Family), the bookkeeping tables (kpi_dirty,
// kpi_versions, rejected_events), the dirty-mark insert (MarkDirty), and the quoting of
// identifiers and string literals (QuoteIdent, QuoteString).
//
// ingest writes by it and aggregate reads by it. Adding an event type is one entry in raws
// (and a RawTable constant) plus its table's migration in schema/migrations; a test keeps the
// two in step, and checks the statements against a real server.
//
// Nothing here blocks or does I/O except MarkDirty.
package store

import (
	"slices"
	"strings"

	"github.com/csat-dev/csat/schema"
)

// RawTable is a raw event table (schema/migrations/0001_raw_events.sql): every accepted event
// of one type, as it arrived, with its Kafka coordinates. Its values index arrays of
// NumRawTables elements.
type RawTable uint8

// The raw tables, in the order ingest writes them.
const (
	SurveyResponses RawTable = iota
	SurveyVoids
	HotlineFeedback
	StoreFeedback
	ComplaintsOpened
	ComplaintsClosed
	ChurnEvents
	SubscriberBases
	// Version 2 (SPEC §5.1).
	Inspections
	ScoresReported
	Adjustments
	AdjustmentVoids
	// NumRawTables counts the raw tables.
	NumRawTables
)

// rawSpec describes a raw table.
type rawSpec struct {
	name string
	typ  schema.Type // the event type whose events it holds
	// families are the projection families its rows make dirty, in Families() order: none for
	// a table read as it is (the assessment tables: a few rows per unit and month, read with
	// their latest-wins and void rules by the queries that need them).
	families []Family
	// retraction: its rows retract rows of another table whatever their month (survey_void),
	// so they do not count among the rows of their own month.
	retraction bool
	cols       []string // the type's own columns, between the envelope and the Kafka columns
}

// raws is the contract: one entry per raw table.
var raws = [NumRawTables]rawSpec{
	SurveyResponses:  {"survey_responses", schema.TypeSurveyResponse, fams(FamilySurvey, FamilyFrontline), false, []string{"carrier", "weight", "segment", "overall", "item_codes", "item_scores", "customer_type", "manager_id", "store_id"}},
	SurveyVoids:      {"survey_voids", schema.TypeSurveyVoid, fams(FamilySurvey, FamilyFrontline), true, []string{"target_event_id", "reason"}},
	HotlineFeedback:  {"hotline_feedback", schema.TypeHotlineFeedback, fams(FamilyWindow, FamilyFrontline), false, []string{"agent_id", "rating", "resolved", "wait_seconds", "handle_seconds"}},
	StoreFeedback:    {"store_feedback", schema.TypeStoreFeedback, fams(FamilyWindow, FamilyFrontline), false, []string{"store_id", "staff_id", "rating", "wait_seconds", "business"}},
	ComplaintsOpened: {"complaints_opened", schema.TypeComplaintOpened, fams(FamilyComplaints, FamilyFrontline), false, []string{"complaint_id", "category", "channel", "escalated", "store_id", "staff_id", "agent_id", "manager_id"}},
	ComplaintsClosed: {"complaints_closed", schema.TypeComplaintClosed, fams(FamilyComplaints), false, []string{"complaint_id", "resolution_hours", "satisfied"}},
	ChurnEvents:      {"churn_events", schema.TypeChurn, fams(FamilyChurn, FamilyFrontline), false, []string{"customer_ref", "tier", "reason", "tenure_months", "to_carrier", "manager_id"}},
	SubscriberBases:  {"subscriber_bases", schema.TypeSubscriberBase, fams(FamilyBase), false, []string{"subscribers", "has_tiers", "tier_high", "tier_mid", "tier_low"}},
	Inspections:      {"inspections", schema.TypeInspection, fams(FamilyFrontline), false, []string{"store_id", "kind", "published_by", "score", "staff_id"}},
	// month is the period named by the event (SPEC §5.5), as for subscriber_bases.
	ScoresReported:  {"scores_reported", schema.TypeScoreReported, nil, false, []string{"subject_kind", "subject_id", "component", "value"}},
	Adjustments:     {"adjustments", schema.TypeAdjustment, nil, false, []string{"subject_kind", "subject_id", "points", "reason", "ref"}},
	AdjustmentVoids: {"adjustment_voids", schema.TypeAdjustmentVoid, nil, true, []string{"target_event_id", "reason"}},
}

func fams(f ...Family) []Family { return f }

// envelopeColumns start every raw table; kafkaColumns end it.
var (
	envelopeColumns = []string{"event_id", "branch_id", "month", "occurred_at"}
	kafkaColumns    = []string{"kafka_topic", "kafka_partition", "kafka_offset", "kafka_time", "ingested_at"}
)

// derived holds what is computed once from raws: each table's full column list and INSERT, and
// the table of each event type (an array: ingest looks it up for every event).
var derived = func() (d struct {
	cols   [NumRawTables][]string
	insert [NumRawTables]string
	byType [1 << 8]RawTable // by schema.Type; NumRawTables for a type with no table
}) {
	for i := range d.byType {
		d.byType[i] = NumRawTables
	}
	for t := range NumRawTables {
		s := raws[t]
		cols := append(append(append([]string{}, envelopeColumns...), s.cols...), kafkaColumns...)
		d.cols[t] = cols
		d.insert[t] = insertSQL(s.name, cols)
		d.byType[s.typ] = t
	}
	return d
}()

// insertSQL is an INSERT of the named columns into table: ClickHouse 18.16 needs the list.
func insertSQL(table string, cols []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ")"
}

// RawTables lists every raw table in RawTable order.
func RawTables() []RawTable {
	out := make([]RawTable, NumRawTables)
	for i := range out {
		out[i] = RawTable(i)
	}
	return out
}

// TableOf returns the raw table of an event type; ok is false for TypeUnknown or a type with
// no table.
func TableOf(t schema.Type) (RawTable, bool) {
	id := derived.byType[t]
	return id, id < NumRawTables
}

// FamiliesOf returns the projection families an event type makes dirty (none for TypeUnknown
// or a type whose table no projection reads).
func FamiliesOf(t schema.Type) []Family {
	if id, ok := TableOf(t); ok {
		return id.Families()
	}
	return nil
}

// Name returns the table's name ("" for a value out of range).
func (t RawTable) Name() string {
	if t >= NumRawTables {
		return ""
	}
	return raws[t].name
}

func (t RawTable) String() string { return t.Name() }

// Type returns the event type the table holds.
func (t RawTable) Type() schema.Type {
	if t >= NumRawTables {
		return schema.TypeUnknown
	}
	return raws[t].typ
}

// Families returns the projection families whose months the table's rows make dirty, in
// Families() order; none for a table no projection reads (the assessment tables, read as they
// are). The caller must not modify the slice.
func (t RawTable) Families() []Family {
	if t >= NumRawTables {
		return nil
	}
	return raws[t].families
}

// Retraction reports whether the table's rows retract rows of another table, whatever month
// those are in (survey_voids, adjustment_voids): its rows are not among a month's source rows,
// and a retraction makes dirty the months of the rows it retracts (when these feed a family).
func (t RawTable) Retraction() bool {
	return t < NumRawTables && raws[t].retraction
}

// Columns returns the table's columns in the order of Insert: event_id, branch_id, month,
// occurred_at, the type's own columns, then kafka_topic, kafka_partition, kafka_offset,
// kafka_time and ingested_at. The caller must not modify the slice.
func (t RawTable) Columns() []string {
	if t >= NumRawTables {
		return nil
	}
	return derived.cols[t]
}

// Insert returns the INSERT statement of the table, its columns named in Columns order.
func (t RawTable) Insert() string {
	if t >= NumRawTables {
		return ""
	}
	return derived.insert[t]
}

// Family is a group of raw tables recomputed together into one projection table, per month
// (aggregate's Projector; docs/design/overview.md, "Projections"). Its string is what
// kpi_dirty and kpi_versions hold.
type Family string

// The projection families.
const (
	FamilySurvey     Family = "survey"     // survey_responses, survey_voids → kpi_survey
	FamilyWindow     Family = "window"     // hotline_feedback, store_feedback → kpi_window
	FamilyComplaints Family = "complaints" // complaints_opened, complaints_closed → kpi_complaints
	FamilyChurn      Family = "churn"      // churn_events → kpi_churn
	FamilyBase       Family = "base"       // subscriber_bases → kpi_base
	// FamilyFrontline (version 2, SPEC §5.2) holds per-unit statistics (stores, staff,
	// agents, customer managers) from the ratings, complaints, churn, interviews and
	// inspections that name a unit.
	FamilyFrontline Family = "frontline" // store_feedback, hotline_feedback, complaints_opened, churn_events, survey_responses, survey_voids, inspections → kpi_frontline
	// FamilyDrivers (extension, docs/extensions.md) is recomputed with FamilySurvey, from the
	// same rows: no raw table makes it dirty, and every recompute of survey for a month
	// recomputes it.
	FamilyDrivers Family = "drivers" // survey_responses, survey_voids → kpi_drivers
)

// Families lists the families raw rows make dirty, in recompute order (FamilyDrivers, which
// follows FamilySurvey, is not among them).
func Families() []Family {
	return []Family{FamilySurvey, FamilyWindow, FamilyComplaints, FamilyChurn, FamilyBase, FamilyFrontline}
}

// Table returns the family's projection table, kpi_<family>.
func (f Family) Table() string {
	return "kpi_" + string(f)
}

// RawTables returns the raw tables the family is computed from, in RawTable order (none for a
// string that is no family).
func (f Family) RawTables() []RawTable {
	if f == FamilyDrivers {
		f = FamilySurvey
	}
	var out []RawTable
	for t := range NumRawTables {
		if slices.Contains(raws[t].families, f) {
			out = append(out, t)
		}
	}
	return out
}

// Valid reports whether f is one of the families, FamilyDrivers included.
func (f Family) Valid() bool { return len(f.RawTables()) > 0 }

// The bookkeeping tables (schema/migrations/0001_raw_events.sql, 0002_projections.sql).
const (
	// DirtyTable holds the dirty marks: (family, month, marked_at), the latest per (family,
	// month) kept. A (family, month) is stale while its latest mark is at or after its latest
	// committed version.
	DirtyTable = "kpi_dirty"
	// VersionsTable holds the committed versions of the projections: (family, month, version,
	// computed_at, source_rows).
	VersionsTable = "kpi_versions"
	// BasesTable holds the bases of fast as-of reads (0006_asof_bases.sql): (family, month,
	// version, as_of, bounds, full, created_at).
	BasesTable = "kpi_bases"
	// RejectedTable holds the dead letters (SPEC §2.3).
	RejectedTable = "rejected_events"
)

// BasesColumns are the columns of BasesInsert, in its order.
const BasesColumns = "family, month, version, as_of, bounds, full, created_at"

// BasesInsert is the INSERT of a base into BasesTable.
const BasesInsert = "INSERT INTO " + BasesTable + " (" + BasesColumns + ")"

// RejectedInsert is the INSERT of dead letters into RejectedTable.
const RejectedInsert = "INSERT INTO " + RejectedTable + " (reason, detail, kafka_topic, kafka_partition, kafka_offset, " +
	"kafka_key, payload, payload_encoding, kafka_time, rejected_at, ingested_at)"
