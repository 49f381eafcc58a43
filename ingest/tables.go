package ingest

import (
	"strings"
	"time"

	"github.com/csat-dev/csat/schema"
)

// tableID names one raw table of schema/migrations/0001_raw_events.sql.
type tableID uint8

const (
	tSurveyResponses tableID = iota
	tSurveyVoids
	tHotline
	tStore
	tComplaintsOpened
	tComplaintsClosed
	tChurn
	tBases
	numTables
)

// tableSpec describes a raw table: its name, the projection family its rows make dirty, and its
// columns in the order columns() returns them.
type tableSpec struct {
	name   string
	family string
	cols   []string
	insert string // INSERT INTO name (cols...): 18.16 needs the column list
}

var commonTail = []string{"kafka_topic", "kafka_partition", "kafka_offset", "kafka_time", "ingested_at"}

func spec(name, family string, cols ...string) tableSpec {
	all := append([]string{"event_id", "branch_id", "month", "occurred_at"}, cols...)
	all = append(all, commonTail...)
	return tableSpec{name: name, family: family, cols: all,
		insert: "INSERT INTO " + name + " (" + strings.Join(all, ", ") + ")"}
}

var tables = [numTables]tableSpec{
	tSurveyResponses:  spec("survey_responses", "survey", "carrier", "weight", "segment", "overall", "item_codes", "item_scores"),
	tSurveyVoids:      spec("survey_voids", "survey", "target_event_id", "reason"),
	tHotline:          spec("hotline_feedback", "window", "agent_id", "rating", "resolved", "wait_seconds", "handle_seconds"),
	tStore:            spec("store_feedback", "window", "store_id", "staff_id", "rating", "wait_seconds", "business"),
	tComplaintsOpened: spec("complaints_opened", "complaints", "complaint_id", "category", "channel", "escalated"),
	tComplaintsClosed: spec("complaints_closed", "complaints", "complaint_id", "resolution_hours", "satisfied"),
	tChurn:            spec("churn_events", "churn", "customer_ref", "tier", "reason", "tenure_months", "to_carrier"),
	tBases:            spec("subscriber_bases", "base", "subscribers", "has_tiers", "tier_high", "tier_mid", "tier_low"),
}

const rejectedTable = "rejected_events"

var rejectedInsert = "INSERT INTO " + rejectedTable + " (reason, detail, kafka_topic, kafka_partition, kafka_offset, " +
	"kafka_key, payload, payload_encoding, kafka_time, rejected_at, ingested_at)"

// tableOf returns the raw table of an event type; ok is false for an unknown type.
func tableOf(t schema.Type) (tableID, bool) {
	switch t {
	case schema.TypeSurveyResponse:
		return tSurveyResponses, true
	case schema.TypeSurveyVoid:
		return tSurveyVoids, true
	case schema.TypeHotlineFeedback:
		return tHotline, true
	case schema.TypeStoreFeedback:
		return tStore, true
	case schema.TypeComplaintOpened:
		return tComplaintsOpened, true
	case schema.TypeComplaintClosed:
		return tComplaintsClosed, true
	case schema.TypeChurn:
		return tChurn, true
	case schema.TypeSubscriberBase:
		return tBases, true
	}
	return 0, false
}

// tablesOfTopic lists the raw tables a topic feeds.
func tablesOfTopic(topics schema.Topics, topic string) []tableID {
	var out []tableID
	for _, t := range schema.Types() {
		if topics.For(t) == topic {
			id, _ := tableOf(t)
			out = append(out, id)
		}
	}
	return out
}

// record is one accepted event with the Kafka coordinates it came from.
type record struct {
	ev        schema.Event
	topic     string
	partition int32
	offset    int64
	ts        time.Time // the Kafka message timestamp
}

// columns returns the column slices of recs for table id, in tables[id].cols order, all rows
// carrying ingestedAt. Events of another type than the table's are a programming error and are
// written with zero values rather than panicking.
func columns(id tableID, segs [][]record, ingestedAt time.Time) []any {
	n := 0
	for _, rs := range segs {
		n += len(rs)
	}
	each := func(f func(i int, r *record)) {
		i := 0
		for _, rs := range segs {
			for j := range rs {
				f(i, &rs[j])
				i++
			}
		}
	}
	eventID := make([]string, n)
	branch := make([]string, n)
	month := make([]uint32, n)
	occurred := make([]time.Time, n)
	topic := make([]string, n)
	part := make([]int32, n)
	off := make([]int64, n)
	kts := make([]time.Time, n)
	ing := make([]time.Time, n)
	each(func(i int, r *record) {
		env := r.ev.Env()
		eventID[i], branch[i], month[i], occurred[i] = env.EventID, env.BranchID, uint32(env.Month), env.OccurredAt
		topic[i], part[i], off[i], kts[i], ing[i] = r.topic, r.partition, r.offset, r.ts, ingestedAt
	})
	head := []any{eventID, branch, month, occurred}
	tail := []any{topic, part, off, kts, ing}
	var mid []any
	switch id {
	case tSurveyResponses:
		carrier, weight, segment, overall := make([]string, n), make([]float64, n), make([]string, n), make([]uint8, n)
		codes, scores := make([][]string, n), make([][]uint8, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.SurveyResponse); ok {
				carrier[i], weight[i], segment[i], overall[i] = e.Carrier, e.Weight, e.Segment, e.Overall
				c, s := make([]string, len(e.Items)), make([]uint8, len(e.Items))
				for j, it := range e.Items {
					c[j], s[j] = it.Code, it.Score
				}
				codes[i], scores[i] = c, s
			} else {
				codes[i], scores[i] = []string{}, []uint8{}
			}
		})
		mid = []any{carrier, weight, segment, overall, codes, scores}
	case tSurveyVoids:
		target, reason := make([]string, n), make([]string, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.SurveyVoid); ok {
				target[i], reason[i] = e.TargetEventID, e.Reason
			}
		})
		mid = []any{target, reason}
	case tHotline:
		agent, rating, resolved, wait, handle := make([]string, n), make([]uint8, n), make([]uint8, n), make([]uint32, n), make([]uint32, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.HotlineFeedback); ok {
				agent[i], rating[i], resolved[i], wait[i], handle[i] = e.AgentID, e.Rating, b2u(e.Resolved), e.WaitSeconds, e.HandleSeconds
			}
		})
		mid = []any{agent, rating, resolved, wait, handle}
	case tStore:
		store, staff, rating, wait, business := make([]string, n), make([]string, n), make([]uint8, n), make([]uint32, n), make([]string, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.StoreFeedback); ok {
				store[i], staff[i], rating[i], wait[i], business[i] = e.StoreID, e.StaffID, e.Rating, e.WaitSeconds, e.Business
			}
		})
		mid = []any{store, staff, rating, wait, business}
	case tComplaintsOpened:
		cid, cat, ch, esc := make([]string, n), make([]string, n), make([]string, n), make([]uint8, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.ComplaintOpened); ok {
				cid[i], cat[i], ch[i], esc[i] = e.ComplaintID, e.Category, e.Channel, b2u(e.Escalated)
			}
		})
		mid = []any{cid, cat, ch, esc}
	case tComplaintsClosed:
		cid, hours, sat := make([]string, n), make([]float64, n), make([]int8, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.ComplaintClosed); ok {
				cid[i], hours[i], sat[i] = e.ComplaintID, e.ResolutionHours, -1
				if e.Satisfied != nil {
					sat[i] = int8(b2u(*e.Satisfied))
				}
			}
		})
		mid = []any{cid, hours, sat}
	case tChurn:
		ref, tier, reason, tenure, to := make([]string, n), make([]string, n), make([]string, n), make([]uint32, n), make([]string, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.Churn); ok {
				ref[i], tier[i], reason[i], tenure[i], to[i] = e.CustomerRef, e.Tier, e.Reason, e.TenureMonths, e.ToCarrier
			}
		})
		mid = []any{ref, tier, reason, tenure, to}
	case tBases:
		subs, has, hi, mi, lo := make([]uint64, n), make([]uint8, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.SubscriberBase); ok {
				subs[i] = e.Subscribers
				if e.Tiers != nil {
					has[i], hi[i], mi[i], lo[i] = 1, e.Tiers.High, e.Tiers.Mid, e.Tiers.Low
				}
			}
		})
		mid = []any{subs, has, hi, mi, lo}
	}
	out := make([]any, 0, len(head)+len(mid)+len(tail))
	out = append(out, head...)
	out = append(out, mid...)
	return append(out, tail...)
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
