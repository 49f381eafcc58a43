package schema

import "errors"

// Reason is why a message was rejected: a dead-letter reason code of SPEC §2.3. The string is the
// wire form written to the dead-letter topic and used as a metric label. Append-only.
type Reason string

// The reason codes of SPEC §2.3.
const (
	ReasonMalformedJSON      Reason = "malformed_json"      // not one valid UTF-8 JSON object
	ReasonMissingField       Reason = "missing_field"       // a required field is absent or null
	ReasonInvalidField       Reason = "invalid_field"       // a field has the wrong JSON type or is out of range
	ReasonUnknownType        Reason = "unknown_type"        // "type" names no known event type
	ReasonWrongTopic         Reason = "wrong_topic"         // the type is carried on another topic
	ReasonUnsupportedVersion Reason = "unsupported_version" // schema_version is newer than this build reads
	ReasonUnknownItem        Reason = "unknown_item"        // a survey item code is not in the catalog
	ReasonTooLarge           Reason = "too_large"           // the message exceeds MaxMessageSize
	ReasonOutOfRangeTime     Reason = "out_of_range_time"   // occurred_at is before 2000 or more than 24 h ahead
)

// Reasons lists every reason code, in the order of SPEC §2.3 (for pre-registering metric labels).
func Reasons() []Reason {
	return []Reason{ReasonMalformedJSON, ReasonMissingField, ReasonInvalidField, ReasonUnknownType,
		ReasonWrongTopic, ReasonUnsupportedVersion, ReasonUnknownItem, ReasonTooLarge, ReasonOutOfRangeTime}
}

// Valid reports whether r is one of the codes of Reasons.
func (r Reason) Valid() bool {
	switch r {
	case ReasonMalformedJSON, ReasonMissingField, ReasonInvalidField, ReasonUnknownType,
		ReasonWrongTopic, ReasonUnsupportedVersion, ReasonUnknownItem, ReasonTooLarge, ReasonOutOfRangeTime:
		return true
	}
	return false
}

// Rejection is the error the Decoder returns for a message that is a dead letter: a permanent
// failure that no retry can fix. Detail is a human sentence naming the field and the problem,
// e.g. `items.network: 11 is out of range 1–10`.
type Rejection struct {
	Reason Reason
	Detail string
}

// Error returns "reason: detail".
func (r *Rejection) Error() string { return string(r.Reason) + ": " + r.Detail }

// Is makes errors.Is(err, &Rejection{Reason: ReasonTooLarge}) match any rejection with that reason;
// a target with a Detail must match it too.
func (r *Rejection) Is(target error) bool {
	t, ok := target.(*Rejection)
	if !ok {
		return false
	}
	return t.Reason == r.Reason && (t.Detail == "" || t.Detail == r.Detail)
}

// AsRejection returns the *Rejection in err's chain, or nil.
func AsRejection(err error) *Rejection {
	var r *Rejection
	if errors.As(err, &r) {
		return r
	}
	return nil
}
