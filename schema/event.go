package schema

import (
	"time"
)

// Type is an event type. Its String form is the wire name. Append-only.
type Type uint8

// The event types of SPEC §2.2.
const (
	TypeUnknown Type = iota
	TypeSurveyResponse
	TypeSurveyVoid
	TypeHotlineFeedback
	TypeStoreFeedback
	TypeComplaintOpened
	TypeComplaintClosed
	TypeChurn
	TypeSubscriberBase
	// Version 2 (SPEC §5.1).
	TypeInspection
	TypeScoreReported
	TypeAdjustment
	TypeAdjustmentVoid
)

var typeNames = [...]string{"", "survey_response", "survey_void", "hotline_feedback", "store_feedback",
	"complaint_opened", "complaint_closed", "churn", "subscriber_base",
	"inspection", "score_reported", "adjustment", "adjustment_void"}

// Types lists every known type in declaration order.
func Types() []Type {
	return []Type{TypeSurveyResponse, TypeSurveyVoid, TypeHotlineFeedback, TypeStoreFeedback,
		TypeComplaintOpened, TypeComplaintClosed, TypeChurn, TypeSubscriberBase,
		TypeInspection, TypeScoreReported, TypeAdjustment, TypeAdjustmentVoid}
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return ""
}

// ParseType maps a wire name to its Type (TypeUnknown when it is not one).
func ParseType(s string) Type {
	for i, n := range typeNames {
		if i > 0 && n == s {
			return Type(i)
		}
	}
	return TypeUnknown
}

// SchemaVersion is the only envelope version this build accepts.
const SchemaVersion = 1

// Envelope holds the fields every event carries (SPEC §2.1), plus Month, which the decoder derives:
// the survey wave, the subscriber snapshot's month, or else the month of OccurredAt in the
// reporting time zone.
type Envelope struct {
	EventID       string
	Type          Type
	SchemaVersion int
	OccurredAt    time.Time
	BranchID      string
	Month         Month
}

// Env returns the envelope; it makes every event type an Event.
func (e *Envelope) Env() *Envelope { return e }

// Event is any decoded event: one of the pointer types below.
type Event interface {
	Env() *Envelope
}

// ItemScore is one answered survey item.
type ItemScore struct {
	Code  string
	Score uint8 // 1–10
}

// SurveyResponse is a third-party interview (survey_response).
type SurveyResponse struct {
	Envelope
	Carrier string
	Wave    Month   // explicit wave, or the event's month when absent; always set after decoding
	Weight  float64 // > 0, ≤ 10000; 1 when absent
	Segment string  // "", "high", "mid" or "low"
	Overall uint8   // 1–10; 0 when absent
	Items   []ItemScore
	// Version 2 (SPEC §5.1), optional: CustomerType is CustomerConsumer (also when absent) or
	// CustomerEnterprise (集团客户); ManagerID the enterprise account's customer manager
	// (客户经理); StoreID the store whose visit the interview rated.
	CustomerType string
	ManagerID    string
	StoreID      string
}

// Customer types of a survey response (SPEC §5.1). Serialized: append-only.
const (
	CustomerConsumer   = "consumer"
	CustomerEnterprise = "enterprise"
)

// SurveyVoid retracts a survey response (survey_void).
type SurveyVoid struct {
	Envelope
	TargetEventID string
	Reason        string
}

// HotlineFeedback is a post-call rating (hotline_feedback).
type HotlineFeedback struct {
	Envelope
	AgentID       string
	Rating        uint8 // 1–5
	Resolved      bool
	WaitSeconds   uint32
	HandleSeconds uint32
}

// StoreFeedback is a counter rating in a store (store_feedback).
type StoreFeedback struct {
	Envelope
	StoreID     string
	StaffID     string // optional
	Rating      uint8  // 1–5
	WaitSeconds uint32
	Business    string // optional
}

// ComplaintOpened is a new complaint (complaint_opened).
type ComplaintOpened struct {
	Envelope
	ComplaintID string
	Category    string // network/billing/tariff/service/marketing/other
	Channel     string // hotline/store/online/regulator/other
	Escalated   bool
	// Version 2 (SPEC §5.1), optional ("" when absent): the units the complaint names; it
	// counts for each of them (§5.5).
	StoreID, StaffID, AgentID, ManagerID string
}

// ComplaintClosed closes a complaint (complaint_closed); it counts in the month it closed.
type ComplaintClosed struct {
	Envelope
	ComplaintID     string
	ResolutionHours float64 // ≥ 0
	Satisfied       *bool   // optional callback outcome
}

// Churn is a customer leaving (churn).
type Churn struct {
	Envelope
	CustomerRef  string
	Tier         string // high/mid/low
	Reason       string // price/network/service/competitor_offer/relocation/other
	TenureMonths uint32
	ToCarrier    string // optional
	ManagerID    string // version 2, optional: the customer manager of the account
}

// Tiers splits a subscriber base by value tier.
type Tiers struct {
	High, Mid, Low uint64
}

// SubscriberBase is a snapshot of a branch's customer base for a month (subscriber_base).
type SubscriberBase struct {
	Envelope
	Subscribers uint64
	Tiers       *Tiers // optional
}

// Inspection is a store inspection (inspection, SPEC §5.1: 组巡/暗访).
type Inspection struct {
	Envelope
	StoreID     string
	Kind        string  // InspectionPatrol or InspectionMystery
	PublishedBy string  // PublisherProvince or PublisherCity
	Score       float64 // 0–100
	StaffID     string  // optional
}

// Inspection kinds and publishers (SPEC §5.1). Serialized: append-only.
const (
	InspectionPatrol  = "patrol"
	InspectionMystery = "mystery"
	PublisherProvince = "province"
	PublisherCity     = "city"
)

// Subject is the unit a score_reported or an adjustment is about: "store:<id>", "staff:<id>",
// "agent:<id>", "manager:<id>" or "branch:<id>" on the wire.
type Subject struct {
	Kind string // one of SubjectKinds
	ID   string // a unit id ([A-Za-z0-9_.:-]{1,64}), or a branch id for SubjectBranch
}

// Subject kinds (SPEC §5.1). Serialized: append-only.
const (
	SubjectStore   = "store"
	SubjectStaff   = "staff"
	SubjectAgent   = "agent"
	SubjectManager = "manager"
	SubjectBranch  = "branch"
)

// SubjectKinds lists the subject kinds.
func SubjectKinds() []string {
	return []string{SubjectStore, SubjectStaff, SubjectAgent, SubjectManager, SubjectBranch}
}

// String is the wire form, kind:id.
func (s Subject) String() string { return s.Kind + ":" + s.ID }

// ScoreReported is a component assessed by another system (score_reported). Its Month is
// Period; for one (subject, component, period) the latest occurred_at wins (ties: the greater
// event_id).
type ScoreReported struct {
	Envelope
	Subject   Subject
	Component string // [a-z0-9_]{1,32}
	Period    Month
	Value     float64
}

// Adjustment adds points to a subject's scheme total (adjustment: 典型事件加减分). Its Month
// is Period.
type Adjustment struct {
	Envelope
	Subject Subject
	Period  Month
	Points  float64 // |points| ≤ MaxAdjustmentPoints
	Reason  string  // non-empty
	Ref     string  // optional
}

// MaxAdjustmentPoints bounds |points| of an adjustment (SPEC §5.1).
const MaxAdjustmentPoints = 100

// AdjustmentVoid retracts an adjustment, whichever of the two arrives first (adjustment_void).
type AdjustmentVoid struct {
	Envelope
	TargetEventID string
	Reason        string
}
