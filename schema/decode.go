package schema

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxMessageSize is the largest message value accepted, in bytes (SPEC §2: 64 KiB).
const MaxMessageSize = 64 << 10

// MaxClockSkew is how far in the future an occurred_at may lie, relative to the decoder's clock.
const MaxClockSkew = 24 * time.Hour

// minOccurredAt is the earliest occurred_at accepted (SPEC §2.1).
var minOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DecoderOption adjusts a Decoder; options exist as test seams.
type DecoderOption func(*Decoder)

// WithClock sets the clock against which occurred_at is checked (default time.Now).
func WithClock(now func() time.Time) DecoderOption {
	return func(d *Decoder) {
		if now != nil {
			d.now = now
		}
	}
}

// Decoder turns a Kafka message value into a typed Event, or into a *Rejection that says why the
// message is a dead letter. It is safe for concurrent use and holds no per-message state.
//
// # What it checks, in order
//
// The first failing check decides the reason:
//
//  1. size > MaxMessageSize → too_large (before anything is parsed);
//  2. the whole value is one valid UTF-8 JSON object (RFC 8259; an array, a bare value, trailing
//     data, invalid UTF-8 or a syntax error anywhere, also inside unknown fields) → else malformed_json;
//  3. "type": missing or null → missing_field, not a string → invalid_field, unknown → unknown_type;
//  4. the type belongs on the topic the message came from (Topics.For) → else wrong_topic;
//  5. "schema_version": missing → missing_field; not an integer, or < 1 → invalid_field; > 1 →
//     unsupported_version;
//  6. "event_id": a string of 1–128 printable characters (Unicode letters, marks, numbers,
//     punctuation, symbols and the ASCII space; unicode.IsPrint);
//  7. "branch_id": a branch id (ValidBranchID), not "ALL";
//  8. "occurred_at": RFC 3339 with a "Z" or ±hh:mm offset (a malformed one → invalid_field), at
//     or after 2000-01-01T00:00:00Z and at most MaxClockSkew after the clock → else
//     out_of_range_time;
//  9. the type's own fields, in the order SPEC §2.2 lists them; inside "items", members in
//     document order, the code before the score.
//
// # Conventions
//
//   - A required field that is absent or JSON null → missing_field; an optional field that is
//     null counts as absent. A value of the wrong JSON type, or out of range → invalid_field.
//   - Integers: any JSON number with an integral value is accepted (3, 3.0, 3e0, as JSON Schema's
//     "integer"); 3.5 is invalid_field. Integer fields have the range of their Go type
//     (uint32 for seconds and months of tenure, uint64 for subscribers).
//   - Required strings (ids, carrier, reason) must be non-empty; optional ones may be anything.
//   - Unknown fields are ignored (producers may add fields before csat reads them).
//   - A key given twice in the top-level object, in items or in tiers is malformed_json naming
//     the key (encoding/json would keep the last value silently; two producers' code paths
//     disagreeing about a field is a bug to surface, not to guess at). Objects inside unknown
//     fields are checked for syntax only.
//   - OccurredAt is returned in UTC; Month is derived (Envelope.Month).
type Decoder struct {
	topics  Topics
	loc     *time.Location
	now     func() time.Time
	codes   []string         // catalog codes in catalog order
	itemIdx map[string]uint8 // code → index into codes
}

// NewDecoder returns a decoder for the given catalog, topic names and reporting time zone
// (nil means UTC). The catalog should have passed Catalog.Validate (a duplicate code or an item
// beyond MaxItems is ignored here).
func NewDecoder(cat Catalog, topics Topics, loc *time.Location, opts ...DecoderOption) *Decoder {
	if loc == nil {
		loc = time.UTC
	}
	d := &Decoder{topics: topics, loc: loc, now: time.Now, itemIdx: make(map[string]uint8, len(cat.Items))}
	for _, it := range cat.Items {
		if _, dup := d.itemIdx[it.Code]; dup || len(d.codes) == MaxItems {
			continue
		}
		d.itemIdx[it.Code] = uint8(len(d.codes))
		d.codes = append(d.codes, it.Code)
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Decode decodes the message value read from topic. It returns one of the pointer types of
// event.go (*SurveyResponse, *SurveyVoid, *HotlineFeedback, *StoreFeedback, *ComplaintOpened,
// *ComplaintClosed, *Churn, *SubscriberBase, *Inspection, *ScoreReported, *Adjustment,
// *AdjustmentVoid) or a *Rejection; never both, never another error.
// The event does not alias value.
func (d *Decoder) Decode(topic string, value []byte) (Event, error) {
	ev, rej := d.decode(nil, topic, true, value)
	if rej != nil {
		return nil, rej
	}
	return ev, nil
}

// DecodeIn is Decode with the event's memory taken from a (see Arena). The results are the
// same as Decode's at a.Now (or at the decoder's clock when a.Now is zero).
func (d *Decoder) DecodeIn(a *Arena, topic string, value []byte) (Event, error) {
	ev, rej := d.decode(a, topic, true, value)
	if rej != nil {
		return nil, rej
	}
	return ev, nil
}

// Field indexes: every top-level field any type knows. "reason" serves survey_void and churn.
const (
	fEventID = iota
	fType
	fSchemaVersion
	fOccurredAt
	fBranchID
	fCarrier
	fWave
	fWeight
	fSegment
	fOverall
	fItems
	fTargetEventID
	fReason
	fAgentID
	fRating
	fResolved
	fWaitSeconds
	fHandleSeconds
	fStoreID
	fStaffID
	fBusiness
	fComplaintID
	fCategory
	fChannel
	fEscalated
	fResolutionHours
	fSatisfied
	fCustomerRef
	fTier
	fTenureMonths
	fToCarrier
	fMonth
	fSubscribers
	fTiers
	fCustomerType
	fManagerID
	fKind
	fPublishedBy
	fScore
	fSubject
	fComponent
	fPeriod
	fValue
	fPoints
	fRef
	nFields
)

var fieldNames = [nFields]string{"event_id", "type", "schema_version", "occurred_at", "branch_id",
	"carrier", "wave", "weight", "segment", "overall", "items", "target_event_id", "reason",
	"agent_id", "rating", "resolved", "wait_seconds", "handle_seconds", "store_id", "staff_id",
	"business", "complaint_id", "category", "channel", "escalated", "resolution_hours", "satisfied",
	"customer_ref", "tier", "tenure_months", "to_carrier", "month", "subscribers", "tiers",
	"customer_type", "manager_id", "kind", "published_by", "score", "subject", "component", "period",
	"value", "points", "ref"}

// fieldIndex maps a key to its field index, -1 for a field csat does not read.
func fieldIndex(k []byte) int {
	switch string(k) {
	case "event_id":
		return fEventID
	case "type":
		return fType
	case "schema_version":
		return fSchemaVersion
	case "occurred_at":
		return fOccurredAt
	case "branch_id":
		return fBranchID
	case "carrier":
		return fCarrier
	case "wave":
		return fWave
	case "weight":
		return fWeight
	case "segment":
		return fSegment
	case "overall":
		return fOverall
	case "items":
		return fItems
	case "target_event_id":
		return fTargetEventID
	case "reason":
		return fReason
	case "agent_id":
		return fAgentID
	case "rating":
		return fRating
	case "resolved":
		return fResolved
	case "wait_seconds":
		return fWaitSeconds
	case "handle_seconds":
		return fHandleSeconds
	case "store_id":
		return fStoreID
	case "staff_id":
		return fStaffID
	case "business":
		return fBusiness
	case "complaint_id":
		return fComplaintID
	case "category":
		return fCategory
	case "channel":
		return fChannel
	case "escalated":
		return fEscalated
	case "resolution_hours":
		return fResolutionHours
	case "satisfied":
		return fSatisfied
	case "customer_ref":
		return fCustomerRef
	case "tier":
		return fTier
	case "tenure_months":
		return fTenureMonths
	case "to_carrier":
		return fToCarrier
	case "month":
		return fMonth
	case "subscribers":
		return fSubscribers
	case "tiers":
		return fTiers
	case "customer_type":
		return fCustomerType
	case "manager_id":
		return fManagerID
	case "kind":
		return fKind
	case "published_by":
		return fPublishedBy
	case "score":
		return fScore
	case "subject":
		return fSubject
	case "component":
		return fComponent
	case "period":
		return fPeriod
	case "value":
		return fValue
	case "points":
		return fPoints
	case "ref":
		return fRef
	}
	return -1
}

// slot is where a top-level field's value lies in the message.
type slot struct {
	start, end int32 // value bounds; a string's include its quotes
	kind       kind
	esc        bool // a string with escapes
}

// pendingStr is a string field to fill once decoding is done (see flush).
type pendingStr struct {
	dst *string
	src []byte // aliases the message, or an unescaped copy
}

// keyRef is where an unknown top-level key lies in the message (without its quotes).
type keyRef struct {
	start, end int32
	esc        bool
}

// state is one decoding; it lives on the stack of Decode's caller.
type state struct {
	b     []byte
	f     [nFields]slot
	unk   [8]keyRef           // the first unknown top-level keys, to find a duplicate
	nunk  int                 // how many keys unk holds
	more  map[string]struct{} // unknown keys beyond len(unk) (rare: allocated on demand)
	pend  [8]pendingStr
	npend int
	slen  int    // total length of the pending strings
	arena *Arena // nil: Decode's heap allocations
}

func (d *Decoder) decode(a *Arena, topic string, checkTopic bool, b []byte) (Event, *Rejection) {
	if len(b) > MaxMessageSize {
		return nil, reject(ReasonTooLarge, "message is "+strconv.Itoa(len(b))+" bytes, more than the limit of "+strconv.Itoa(MaxMessageSize))
	}
	var st state
	st.b = b
	st.arena = a
	if rej := st.scanTop(); rej != nil {
		return nil, rej
	}

	// 3. type
	s := &st.f[fType]
	switch s.kind {
	case kindAbsent, kindNull:
		return nil, missing(fType)
	case kindString:
	default:
		return nil, wrongKind(fieldNames[fType], "a string", s.kind)
	}
	typName := st.strBytes(fType)
	typ := parseTypeBytes(typName)
	if typ == TypeUnknown {
		return nil, reject(ReasonUnknownType, "unknown type "+quote(typName))
	}
	// 4. topic
	if want := d.topics.For(typ); checkTopic && want != topic {
		return nil, reject(ReasonWrongTopic, "type "+typ.String()+" belongs on topic "+want+", got "+topic)
	}
	// 5. schema_version
	if rej := st.schemaVersion(); rej != nil {
		return nil, rej
	}

	ev := a.newEvent(typ)
	env := ev.Env()
	env.Type = typ
	env.SchemaVersion = SchemaVersion

	// 6. event_id
	id, rej := st.reqString(fEventID)
	if rej != nil {
		return nil, rej
	}
	if rej := checkEventID(id); rej != nil {
		return nil, rej
	}
	st.keep(&env.EventID, id)
	// 7. branch_id
	br, rej := st.reqString(fBranchID)
	if rej != nil {
		return nil, rej
	}
	if !ValidBranchID(string(br)) {
		if string(br) == Root {
			return nil, invalid("branch_id: \"ALL\" is the root of all branches, not a branch an event can name")
		}
		return nil, invalid("branch_id: " + quote(br) + " is not a branch id (1 to 4 segments of [A-Z0-9]{1,16} joined by '-')")
	}
	st.keep(&env.BranchID, br)
	// 8. occurred_at
	if rej := d.occurredAt(&st, env, a); rej != nil {
		return nil, rej
	}
	if typ != TypeSurveyResponse && typ != TypeSubscriberBase && typ != TypeScoreReported && typ != TypeAdjustment {
		env.Month = d.monthOf(env.OccurredAt, a)
	}

	// 9. the type's fields
	switch e := ev.(type) {
	case *SurveyResponse:
		rej = d.surveyResponse(&st, e)
	case *SurveyVoid:
		rej = st.surveyVoid(e)
	case *HotlineFeedback:
		rej = st.hotline(e)
	case *StoreFeedback:
		rej = st.store(e)
	case *ComplaintOpened:
		rej = st.complaintOpened(e)
	case *ComplaintClosed:
		rej = st.complaintClosed(e)
	case *Churn:
		rej = st.churn(e)
	case *SubscriberBase:
		rej = st.subscriberBase(e)
	case *Inspection:
		rej = st.inspection(e)
	case *ScoreReported:
		rej = st.scoreReported(e)
	case *Adjustment:
		rej = st.adjustment(e)
	case *AdjustmentVoid:
		rej = st.adjustmentVoid(e)
	}
	if rej != nil {
		return nil, rej
	}
	st.flush()
	return ev, nil
}

// scanTop checks that the message is one valid UTF-8 JSON object and records its known fields.
//
// UTF-8 is checked on the way: outside strings a JSON object is ASCII (anything else is a syntax
// error), and scanString checks the non-ASCII bytes of strings. A message that fails for any
// reason is checked as a whole, so that invalid UTF-8 is reported as such wherever it lies, as
// when it was checked first.
func (st *state) scanTop() *Rejection {
	rej := st.scanJSON()
	if rej != nil && !utf8.Valid(st.b) {
		return reject(ReasonMalformedJSON, "message is not valid UTF-8")
	}
	return rej
}

func (st *state) scanJSON() *Rejection {
	b := st.b
	i := skipSpace(b, 0)
	if i >= len(b) {
		return reject(ReasonMalformedJSON, "empty message, want a JSON object")
	}
	if b[i] != '{' {
		if bytes.HasPrefix(b[i:], utf8BOM) {
			return reject(ReasonMalformedJSON, "message starts with a UTF-8 byte order mark (EF BB BF) at byte "+strconv.Itoa(i)+": send the JSON object without it")
		}
		end, k, _, ok := scanValue(b, i)
		if ok && skipSpace(b, end) == len(b) {
			return reject(ReasonMalformedJSON, "want a JSON object, got "+article(k))
		}
		return syntaxError(end)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		var keyBuf [32]byte
		// With an arena, the keys are predicted: the previous message's top-level keys, in
		// order (a producer writes its events' fields in one order). A key that is exactly the
		// predicted field name between quotes needs neither scanning nor looking up.
		a := st.arena
		var seq [len(Arena{}.keys)]int8
		k := 0
		for {
			if i >= len(b) || b[i] != '"' {
				return syntaxError(i)
			}
			ks, kend, fi, kesc := i, -1, -1, false
			if a != nil && k < a.nkeys {
				if p := a.keys[k]; p >= 0 {
					name := fieldNames[p]
					if e := i + 1 + len(name); e < len(b) && b[e] == '"' && string(b[i+1:e]) == name {
						kend, fi = e+1, int(p)
					}
				}
			}
			if kend < 0 {
				var ok bool
				kend, kesc, ok = scanString(b, i)
				if !ok {
					return syntaxError(kend)
				}
				key := b[i+1 : kend-1]
				if kesc {
					key = unescape(keyBuf[:0], key)
				}
				fi = fieldIndex(key)
			}
			if k < len(seq) {
				seq[k] = int8(fi)
				k++
			}
			i = skipSpace(b, kend)
			if i >= len(b) || b[i] != ':' {
				return syntaxError(i)
			}
			i = skipSpace(b, i+1)
			vend, vk, vesc, ok := scanValue(b, i)
			if !ok {
				return syntaxError(vend)
			}
			if fi >= 0 {
				if st.f[fi].kind != kindAbsent {
					return duplicateKey("", []byte(fieldNames[fi]))
				}
				st.f[fi] = slot{start: int32(i), end: int32(vend), kind: vk, esc: vesc}
			} else if rej := st.unknownKey(ks+1, kend-1, kesc); rej != nil {
				return rej
			}
			i = skipSpace(b, vend)
			if i >= len(b) {
				return syntaxError(i)
			}
			if b[i] == '}' {
				i++
				if a != nil {
					a.keys, a.nkeys = seq, k
				}
				break
			}
			if b[i] != ',' {
				return syntaxError(i)
			}
			i = skipSpace(b, i+1)
		}
	}
	if i = skipSpace(b, i); i != len(b) {
		return reject(ReasonMalformedJSON, "invalid JSON at byte "+strconv.Itoa(i)+": data after the object")
	}
	return nil
}

// unknownKey records the unknown top-level key b[start:end] (without quotes; esc: it has
// escapes) and rejects it when the object gave it before.
func (st *state) unknownKey(start, end int, esc bool) *Rejection {
	var buf [64]byte
	key := st.b[start:end]
	if esc {
		key = unescape(buf[:0], key)
	}
	for _, r := range st.unk[:st.nunk] {
		prev := st.b[r.start:r.end]
		if r.esc {
			prev = unescape(nil, prev) // an escaped unknown key beside another unknown one: rare
		}
		if string(prev) == string(key) {
			return duplicateKey("", key)
		}
	}
	if st.nunk < len(st.unk) {
		st.unk[st.nunk] = keyRef{start: int32(start), end: int32(end), esc: esc}
		st.nunk++
		return nil
	}
	if st.more == nil {
		st.more = map[string]struct{}{}
	}
	if _, dup := st.more[string(key)]; dup {
		return duplicateKey("", key)
	}
	st.more[string(key)] = struct{}{}
	return nil
}

// duplicateKey rejects a key given twice in one object (in: the object's name, "" at the top).
func duplicateKey(in string, key []byte) *Rejection {
	if in != "" {
		in += "."
	}
	return reject(ReasonMalformedJSON, "duplicate key "+quote(append([]byte(in), key...))+" (each key once per object)")
}

// utf8BOM is the UTF-8 byte order mark. RFC 8259 lets a parser ignore one; the decoder names it
// instead (a message is one JSON text, and producers must not add one), while the NDJSON file
// readers (ValidateStream, csat publish) strip it from the start of a line.
var utf8BOM = []byte("\xef\xbb\xbf")

func syntaxError(at int) *Rejection {
	return reject(ReasonMalformedJSON, "invalid JSON at byte "+strconv.Itoa(at))
}

func article(k kind) string {
	switch k {
	case kindArray, kindObject:
		return "an " + k.String()
	case kindNull:
		return "null"
	}
	return "a " + k.String()
}

// raw returns a field's raw value (a string's without its quotes).
func (st *state) raw(f int) []byte {
	s := st.f[f]
	if s.kind == kindString {
		return st.b[s.start+1 : s.end-1]
	}
	return st.b[s.start:s.end]
}

// strBytes returns a string field's value with escapes resolved. Without escapes it aliases the
// message; with them it allocates (rare).
func (st *state) strBytes(f int) []byte {
	if st.f[f].esc {
		return unescape(nil, st.raw(f))
	}
	return st.raw(f)
}

// keep schedules dst to receive v once the event is complete (see flush).
func (st *state) keep(dst *string, v []byte) {
	if len(v) == 0 {
		return
	}
	if st.npend == len(st.pend) { // cannot happen with today's types; stay correct anyway
		*dst = string(v)
		return
	}
	st.pend[st.npend] = pendingStr{dst: dst, src: v}
	st.npend++
	st.slen += len(v)
}

// flush fills every kept string from one allocation: the strings of an event share one backing
// array, which lives as long as the longest-lived of them.
func (st *state) flush() {
	if st.npend == 0 {
		return
	}
	var s string
	if st.arena != nil {
		buf := st.arena.strings(st.slen)[:0]
		for _, p := range st.pend[:st.npend] {
			buf = append(buf, p.src...)
		}
		s = str(buf)
	} else {
		var sb strings.Builder
		sb.Grow(st.slen)
		for _, p := range st.pend[:st.npend] {
			sb.Write(p.src)
		}
		s = sb.String()
	}
	off := 0
	for _, p := range st.pend[:st.npend] {
		*p.dst = s[off : off+len(p.src)]
		off += len(p.src)
	}
}

// reqString returns a required, non-empty string field.
func (st *state) reqString(f int) ([]byte, *Rejection) {
	switch k := st.f[f].kind; k {
	case kindAbsent, kindNull:
		return nil, missing(f)
	case kindString:
	default:
		return nil, wrongKind(fieldNames[f], "a string", k)
	}
	v := st.strBytes(f)
	if len(v) == 0 {
		return nil, invalid(fieldNames[f] + ": empty string")
	}
	return v, nil
}

// optString returns an optional string field (nil when absent or null).
func (st *state) optString(f int) ([]byte, *Rejection) {
	switch k := st.f[f].kind; k {
	case kindAbsent, kindNull:
		return nil, nil
	case kindString:
		return st.strBytes(f), nil
	default:
		return nil, wrongKind(fieldNames[f], "a string", k)
	}
}

// enum returns a required string field that must be one of values (as the catalog's string).
func (st *state) enum(f int, values []string) (string, *Rejection) {
	v, rej := st.reqString(f)
	if rej != nil {
		return "", rej
	}
	for _, s := range values {
		if string(v) == s {
			return s, nil
		}
	}
	return "", invalid(fieldNames[f] + ": " + quote(v) + " is not one of " + joinComma(values))
}

func (st *state) reqBool(f int) (bool, *Rejection) {
	switch k := st.f[f].kind; k {
	case kindAbsent, kindNull:
		return false, missing(f)
	case kindTrue:
		return true, nil
	case kindFalse:
		return false, nil
	default:
		return false, wrongKind(fieldNames[f], "a boolean", k)
	}
}

// uintField decodes an integer field that must lie in [lo, hi]. present is false for an absent or
// null optional field.
func (st *state) uintField(f int, required bool, lo, hi uint64) (v uint64, present bool, rej *Rejection) {
	switch k := st.f[f].kind; k {
	case kindAbsent, kindNull:
		if required {
			return 0, false, missing(f)
		}
		return 0, false, nil
	case kindNumber:
	default:
		return 0, false, wrongKind(fieldNames[f], "an integer", k)
	}
	v, rej = uintValue(fieldNames[f], st.raw(f), lo, hi)
	return v, rej == nil, rej
}

// uintValue parses the JSON number raw as an integer in [lo, hi].
func uintValue(name string, raw []byte, lo, hi uint64) (uint64, *Rejection) {
	v, neg, integral, inRange := parseInteger(raw)
	switch {
	case !integral:
		return 0, invalid(name + ": want an integer, got " + clip(raw))
	case !inRange || neg && v != 0 || v < lo || v > hi:
		return 0, invalid(name + ": " + clip(raw) + " is out of range " + strconv.FormatUint(lo, 10) + "–" + strconv.FormatUint(hi, 10))
	}
	return v, nil
}

// parseInteger reads a JSON number that scanNumber accepted. integral reports whether its value is
// a whole number; inRange whether its magnitude fits a uint64.
func parseInteger(raw []byte) (mag uint64, neg, integral, inRange bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		neg, digits = true, digits[1:]
	}
	plain := len(digits) > 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			plain = false
			break
		}
	}
	if plain && len(digits) <= 19 { // fast path: at most 19 digits cannot overflow a uint64
		for _, c := range digits {
			mag = mag*10 + uint64(c-'0')
		}
		return mag, neg, true, true
	}
	if plain { // 20 digits or more
		u, err := strconv.ParseUint(string(digits), 10, 64)
		return u, neg, true, err == nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil { // ±Inf: far out of range; whether it is integral does not matter
		return 0, neg, true, false
	}
	if f != math.Trunc(f) {
		return 0, neg, false, true
	}
	f = math.Abs(f)
	if f >= 1<<64 {
		return 0, neg, true, false
	}
	return uint64(f), neg, true, true
}

// smallInt is the fast path for a one- or two-digit integer.
func smallInt(raw []byte) (uint64, bool) {
	switch {
	case len(raw) == 1 && raw[0] >= '0' && raw[0] <= '9':
		return uint64(raw[0] - '0'), true
	case len(raw) == 2 && raw[0] >= '1' && raw[0] <= '9' && raw[1] >= '0' && raw[1] <= '9':
		return uint64(raw[0]-'0')*10 + uint64(raw[1]-'0'), true
	}
	return 0, false
}

// floatField decodes a number field; absent or null → present=false (the caller decides whether
// that is allowed).
func (st *state) floatField(f int) (v float64, present bool, rej *Rejection) {
	switch k := st.f[f].kind; k {
	case kindAbsent, kindNull:
		return 0, false, nil
	case kindNumber:
	default:
		return 0, false, wrongKind(fieldNames[f], "a number", k)
	}
	raw := st.raw(f)
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false, invalid(fieldNames[f] + ": " + clip(raw) + " is out of range")
	}
	return v, true, nil
}

func (st *state) schemaVersion() *Rejection {
	switch k := st.f[fSchemaVersion].kind; k {
	case kindAbsent, kindNull:
		return missing(fSchemaVersion)
	case kindNumber:
	default:
		return wrongKind("schema_version", "an integer", k)
	}
	raw := st.raw(fSchemaVersion)
	v, neg, integral, inRange := parseInteger(raw)
	switch {
	case !integral:
		return invalid("schema_version: want an integer, got " + clip(raw))
	case neg || v == 0:
		return invalid("schema_version: " + clip(raw) + " is out of range; want 1")
	case !inRange || v > SchemaVersion:
		return reject(ReasonUnsupportedVersion, "schema_version "+clip(raw)+" is not supported; this build reads version "+strconv.Itoa(SchemaVersion))
	}
	return nil
}

// checkEventID: 1–128 printable characters (unicode.IsPrint).
func checkEventID(id []byte) *Rejection {
	n := 0
	for i := 0; i < len(id); {
		c := id[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return invalid("event_id: " + quote(id) + " has a character that is not printable")
			}
			i++
		} else {
			r, size := utf8.DecodeRune(id[i:])
			if !unicode.IsPrint(r) {
				return invalid("event_id: " + quote(id) + " has a character that is not printable")
			}
			i += size
		}
		n++
	}
	if n > 128 {
		return invalid("event_id: " + strconv.Itoa(n) + " characters, more than 128")
	}
	return nil
}

func (d *Decoder) occurredAt(st *state, env *Envelope, a *Arena) *Rejection {
	v, rej := st.reqString(fOccurredAt)
	if rej != nil {
		return rej
	}
	t, ok := parseRFC3339(v)
	if !ok {
		return invalid("occurred_at: " + quote(v) + " is not an RFC 3339 time with offset (e.g. 2026-10-31T17:00:00+08:00)")
	}
	if t.Before(minOccurredAt) {
		return reject(ReasonOutOfRangeTime, "occurred_at "+string(v)+" is before 2000-01-01")
	}
	now := time.Time{}
	if a != nil {
		now = a.Now
	}
	if now.IsZero() {
		now = d.now()
	}
	if t.Sub(now) > MaxClockSkew {
		return reject(ReasonOutOfRangeTime, "occurred_at "+string(v)+" is more than 24 h after now ("+now.UTC().Format(time.RFC3339)+")")
	}
	env.OccurredAt = t
	return nil
}

// monthOf is t's month in the reporting time zone. With an arena it keeps the zone's offset and
// the bounds of the period it holds for (a zone changes offset a few times a year at most) and
// computes the month from the offset time; time.In(loc).Date() looks the zone up every time.
func (d *Decoder) monthOf(t time.Time, a *Arena) Month {
	if a == nil {
		y, m, _ := t.In(d.loc).Date()
		return Month(y*100 + int(m))
	}
	sec := t.Unix()
	if a.zone != d.loc || sec < a.zoneStart || sec >= a.zoneEnd {
		lt := t.In(d.loc)
		_, off := lt.Zone()
		start, end := lt.ZoneBounds()
		a.zone, a.zoneOff, a.zoneStart, a.zoneEnd = d.loc, int64(off), math.MinInt64, math.MaxInt64
		if !start.IsZero() {
			a.zoneStart = start.Unix()
		}
		if !end.IsZero() {
			a.zoneEnd = end.Unix()
		}
	}
	local := sec + a.zoneOff
	days := local / 86400
	if local%86400 < 0 {
		days--
	}
	return civilMonth(days)
}

// parseRFC3339 parses YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm) ('t' and 'z' also allowed, as RFC 3339
// permits) and returns the instant in UTC. A leap second (:60) is rejected: Go's time cannot hold it.
func parseRFC3339(s []byte) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digitsN(s[0:4])
	mon, ok2 := digitsN(s[5:7])
	day, ok3 := digitsN(s[8:10])
	hour, ok4 := digitsN(s[11:13])
	min, ok5 := digitsN(s[14:16])
	sec, ok6 := digitsN(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mon < 1 || mon > 12 || day < 1 ||
		day > daysIn(year, mon) || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		i++
		start := i
		for scale := 100000000; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			nsec += int(s[i]-'0') * scale
			scale /= 10
		}
		if i == start {
			return time.Time{}, false
		}
	}
	if i >= len(s) {
		return time.Time{}, false
	}
	offset := 0
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return time.Time{}, false
		}
		oh, ok1 := digitsN(s[i+1 : i+3])
		om, ok2 := digitsN(s[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = oh*3600 + om*60
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return time.Time{}, false
	}
	if i != len(s) {
		return time.Time{}, false
	}
	unix := daysFromCivil(year, mon, day)*86400 + int64(hour*3600+min*60+sec-offset)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// daysFromCivil is the number of days from 1970-01-01 to the proleptic Gregorian date y-m-d
// (H. Hinnant's days_from_civil; m 1–12, d 1–31): what time.Date computes, without its
// normalisation, a fifth of parsing occurred_at.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400                     // 0–399
	mp := (m + 9) % 12                     // March = 0
	doy := (153*mp+2)/5 + d - 1            // 0–365
	doe := yoe*365 + yoe/4 - yoe/100 + doy // 0–146096
	return int64(era)*146097 + int64(doe) - 719468
}

// civilMonth is the year·100 + month of the day days after 1970-01-01 (Hinnant's
// civil_from_days, year and month only).
func civilMonth(days int64) Month {
	z := days + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097                                  // 0–146096
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // 0–399
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100) // 0–365
	mp := (5*doy + 2) / 153                  // March = 0
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Month(y*100 + m)
}

func digitsN(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, mon int) int {
	switch mon {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// monthField decodes a "YYYY-MM" field.
func (st *state) monthField(f int, required bool) (Month, *Rejection) {
	switch k := st.f[f].kind; k {
	case kindAbsent, kindNull:
		if required {
			return 0, missing(f)
		}
		return 0, nil
	case kindString:
	default:
		return 0, wrongKind(fieldNames[f], "a YYYY-MM string", k)
	}
	v := st.strBytes(f)
	if len(v) != 7 || v[4] != '-' {
		return 0, invalid(fieldNames[f] + ": " + quote(v) + " is not a month (YYYY-MM)")
	}
	y, ok1 := digitsN(v[:4])
	m, ok2 := digitsN(v[5:])
	if !ok1 || !ok2 || y < 1 || m < 1 || m > 12 {
		return 0, invalid(fieldNames[f] + ": " + quote(v) + " is not a month (YYYY-MM)")
	}
	return Month(y*100 + m), nil
}

var (
	segments          = []string{"high", "mid", "low"}
	complaintCategory = []string{"network", "billing", "tariff", "service", "marketing", "other"}
	complaintChannel  = []string{"hotline", "store", "online", "regulator", "other"}
	churnReasons      = []string{"price", "network", "service", "competitor_offer", "relocation", "other"}
	customerTypes     = []string{CustomerConsumer, CustomerEnterprise}
	inspectionKinds   = []string{InspectionPatrol, InspectionMystery}
	publishers        = []string{PublisherProvince, PublisherCity}
	subjectKinds      = SubjectKinds()
)

// unitID returns an optional version-2 unit id (store_id, manager_id, … of SPEC §5.1):
// [A-Za-z0-9_.:-]{1,64}; nil when absent or null.
func (st *state) unitID(f int) ([]byte, *Rejection) {
	v, rej := st.optString(f)
	if rej != nil || v == nil {
		return v, rej
	}
	if !validUnitID(v) {
		return nil, invalid(fieldNames[f] + ": " + quote(v) + " does not match [A-Za-z0-9_.:-]{1,64}")
	}
	return v, nil
}

// validUnitID reports whether v matches [A-Za-z0-9_.:-]{1,64}.
func validUnitID(v []byte) bool {
	if len(v) == 0 || len(v) > 64 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func (d *Decoder) surveyResponse(st *state, e *SurveyResponse) *Rejection {
	carrier, rej := st.reqString(fCarrier)
	if rej != nil {
		return rej
	}
	if !validCode(string(carrier)) {
		return invalid("carrier: " + quote(carrier) + " does not match [a-z0-9_]{1,32}")
	}
	st.keep(&e.Carrier, carrier)

	wave, rej := st.monthField(fWave, false)
	if rej != nil {
		return rej
	}
	if wave == 0 {
		wave = d.monthOf(e.OccurredAt, st.arena)
	}
	e.Wave, e.Month = wave, wave

	w, present, rej := st.floatField(fWeight)
	switch {
	case rej != nil:
		return rej
	case !present:
		w = 1
	case !(w > 0 && w <= 10000):
		return invalid("weight: " + clip(st.raw(fWeight)) + " is out of range: want > 0 and ≤ 10000")
	}
	e.Weight = w

	if k := st.f[fSegment].kind; k != kindAbsent && k != kindNull {
		if e.Segment, rej = st.enum(fSegment, segments); rej != nil {
			return rej
		}
	}
	e.CustomerType = CustomerConsumer
	if k := st.f[fCustomerType].kind; k != kindAbsent && k != kindNull {
		if e.CustomerType, rej = st.enum(fCustomerType, customerTypes); rej != nil {
			return rej
		}
	}
	manager, rej := st.unitID(fManagerID)
	if rej != nil {
		return rej
	}
	storeID, rej := st.unitID(fStoreID)
	if rej != nil {
		return rej
	}
	st.keep(&e.ManagerID, manager)
	st.keep(&e.StoreID, storeID)

	overall, hasOverall, rej := st.uintField(fOverall, false, 1, 10)
	if rej != nil {
		return rej
	}
	e.Overall = uint8(overall)

	switch k := st.f[fItems].kind; k {
	case kindAbsent, kindNull:
	case kindObject:
		if rej := d.items(st, e); rej != nil {
			return rej
		}
	default:
		return wrongKind("items", "an object", k)
	}
	if !hasOverall && len(e.Items) == 0 {
		return reject(ReasonMissingField, `missing field "overall" or "items": a response answers at least one`)
	}
	return nil
}

// item finds a catalog code: a linear search for a catalog of typical size, which beats hashing.
func (d *Decoder) item(code []byte) (int, bool) {
	if len(d.codes) > 16 {
		ci, ok := d.itemIdx[string(code)]
		return int(ci), ok
	}
	for i, c := range d.codes {
		if len(c) == len(code) && c == string(code) {
			return i, true
		}
	}
	return 0, false
}

// items decodes the items object into e.Items, in catalog order; a code given twice is
// malformed_json.
func (d *Decoder) items(st *state, e *SurveyResponse) *Rejection {
	var small [64]uint8
	scores := small[:0]
	if len(d.codes) <= len(small) {
		scores = small[:len(d.codes)]
	} else {
		scores = make([]uint8, len(d.codes))
	}
	n := 0
	it := newObjIter(st.b, int(st.f[fItems].start))
	for {
		key, kesc, vs, ve, k, ok := it.next()
		if !ok {
			break
		}
		if kesc {
			key = unescape(nil, key)
		}
		ci, known := d.item(key)
		if !known {
			return reject(ReasonUnknownItem, "items: unknown item "+quote(key)+" (not in the catalog)")
		}
		if scores[ci] != 0 {
			return duplicateKey("items", key)
		}
		v, ok := smallInt(st.b[vs:ve])
		if !ok || v < 1 || v > 10 { // the slow path, which also words the rejection
			if k != kindNumber {
				return wrongKind("items."+string(key), "an integer", k)
			}
			var rej *Rejection
			if v, rej = uintValue("items."+string(key), st.b[vs:ve], 1, 10); rej != nil {
				return rej
			}
		}
		if scores[ci] == 0 {
			n++
		}
		scores[ci] = uint8(v)
	}
	if n == 0 {
		return nil
	}
	e.Items = st.arena.itemScores(n)
	for ci, s := range scores {
		if s != 0 {
			e.Items = append(e.Items, ItemScore{Code: d.codes[ci], Score: s})
		}
	}
	return nil
}

func (st *state) surveyVoid(e *SurveyVoid) *Rejection {
	return st.retraction(&e.TargetEventID, &e.Reason)
}

// retraction decodes the fields of a survey_void or an adjustment_void: target_event_id and
// reason, both required.
func (st *state) retraction(target, reason *string) *Rejection {
	t, rej := st.reqString(fTargetEventID)
	if rej != nil {
		return rej
	}
	r, rej := st.reqString(fReason)
	if rej != nil {
		return rej
	}
	st.keep(target, t)
	st.keep(reason, r)
	return nil
}

func (st *state) hotline(e *HotlineFeedback) *Rejection {
	agent, rej := st.reqString(fAgentID)
	if rej != nil {
		return rej
	}
	st.keep(&e.AgentID, agent)
	rating, _, rej := st.uintField(fRating, true, 1, 5)
	if rej != nil {
		return rej
	}
	e.Rating = uint8(rating)
	if e.Resolved, rej = st.reqBool(fResolved); rej != nil {
		return rej
	}
	wait, _, rej := st.uintField(fWaitSeconds, true, 0, math.MaxUint32)
	if rej != nil {
		return rej
	}
	handle, _, rej := st.uintField(fHandleSeconds, true, 0, math.MaxUint32)
	if rej != nil {
		return rej
	}
	e.WaitSeconds, e.HandleSeconds = uint32(wait), uint32(handle)
	return nil
}

func (st *state) store(e *StoreFeedback) *Rejection {
	storeID, rej := st.reqString(fStoreID)
	if rej != nil {
		return rej
	}
	staff, rej := st.optString(fStaffID)
	if rej != nil {
		return rej
	}
	rating, _, rej := st.uintField(fRating, true, 1, 5)
	if rej != nil {
		return rej
	}
	wait, _, rej := st.uintField(fWaitSeconds, true, 0, math.MaxUint32)
	if rej != nil {
		return rej
	}
	business, rej := st.optString(fBusiness)
	if rej != nil {
		return rej
	}
	st.keep(&e.StoreID, storeID)
	st.keep(&e.StaffID, staff)
	st.keep(&e.Business, business)
	e.Rating, e.WaitSeconds = uint8(rating), uint32(wait)
	return nil
}

func (st *state) complaintOpened(e *ComplaintOpened) *Rejection {
	id, rej := st.reqString(fComplaintID)
	if rej != nil {
		return rej
	}
	st.keep(&e.ComplaintID, id)
	if e.Category, rej = st.enum(fCategory, complaintCategory); rej != nil {
		return rej
	}
	if e.Channel, rej = st.enum(fChannel, complaintChannel); rej != nil {
		return rej
	}
	if e.Escalated, rej = st.reqBool(fEscalated); rej != nil {
		return rej
	}
	// Version 2 attribution (SPEC §5.1), each optional.
	for _, u := range [...]struct {
		f   int
		dst *string
	}{{fStoreID, &e.StoreID}, {fStaffID, &e.StaffID}, {fAgentID, &e.AgentID}, {fManagerID, &e.ManagerID}} {
		if st.f[u.f].kind == kindAbsent {
			continue
		}
		id, rej := st.unitID(u.f)
		if rej != nil {
			return rej
		}
		st.keep(u.dst, id)
	}
	return nil
}

func (st *state) complaintClosed(e *ComplaintClosed) *Rejection {
	id, rej := st.reqString(fComplaintID)
	if rej != nil {
		return rej
	}
	st.keep(&e.ComplaintID, id)
	h, present, rej := st.floatField(fResolutionHours)
	switch {
	case rej != nil:
		return rej
	case !present:
		return missing(fResolutionHours)
	case !(h >= 0):
		return invalid("resolution_hours: " + clip(st.raw(fResolutionHours)) + " is out of range: want ≥ 0")
	}
	e.ResolutionHours = h
	switch k := st.f[fSatisfied].kind; k {
	case kindAbsent, kindNull:
	case kindTrue, kindFalse:
		sat := k == kindTrue
		e.Satisfied = &sat
	default:
		return wrongKind("satisfied", "a boolean", k)
	}
	return nil
}

func (st *state) churn(e *Churn) *Rejection {
	ref, rej := st.reqString(fCustomerRef)
	if rej != nil {
		return rej
	}
	st.keep(&e.CustomerRef, ref)
	if e.Tier, rej = st.enum(fTier, segments); rej != nil {
		return rej
	}
	if e.Reason, rej = st.enum(fReason, churnReasons); rej != nil {
		return rej
	}
	tenure, _, rej := st.uintField(fTenureMonths, true, 0, math.MaxUint32)
	if rej != nil {
		return rej
	}
	e.TenureMonths = uint32(tenure)
	to, rej := st.optString(fToCarrier)
	if rej != nil {
		return rej
	}
	st.keep(&e.ToCarrier, to)
	manager, rej := st.unitID(fManagerID)
	if rej != nil {
		return rej
	}
	st.keep(&e.ManagerID, manager)
	return nil
}

// reqUnitID returns a required version-2 unit id ([A-Za-z0-9_.:-]{1,64}).
func (st *state) reqUnitID(f int) ([]byte, *Rejection) {
	if k := st.f[f].kind; k == kindAbsent || k == kindNull {
		return nil, missing(f)
	}
	return st.unitID(f)
}

func (st *state) inspection(e *Inspection) *Rejection {
	storeID, rej := st.reqUnitID(fStoreID)
	if rej != nil {
		return rej
	}
	if e.Kind, rej = st.enum(fKind, inspectionKinds); rej != nil {
		return rej
	}
	if e.PublishedBy, rej = st.enum(fPublishedBy, publishers); rej != nil {
		return rej
	}
	score, present, rej := st.floatField(fScore)
	switch {
	case rej != nil:
		return rej
	case !present:
		return missing(fScore)
	case !(score >= 0 && score <= 100):
		return invalid("score: " + clip(st.raw(fScore)) + " is out of range 0–100")
	}
	e.Score = score
	staff, rej := st.unitID(fStaffID)
	if rej != nil {
		return rej
	}
	st.keep(&e.StoreID, storeID)
	st.keep(&e.StaffID, staff)
	return nil
}

// subject decodes the "subject" field, kind:id: a store, staff, agent or manager id
// ([A-Za-z0-9_.:-]{1,64}), or a branch id (not "ALL").
func (st *state) subject(s *Subject) *Rejection {
	v, rej := st.reqString(fSubject)
	if rej != nil {
		return rej
	}
	colon := -1
	for i, c := range v {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return invalid("subject: " + quote(v) + " is not kind:id (kind one of " + joinComma(subjectKinds) + ")")
	}
	kind, id := v[:colon], v[colon+1:]
	s.Kind = ""
	for _, k := range subjectKinds {
		if string(kind) == k {
			s.Kind = k
		}
	}
	switch {
	case s.Kind == "":
		return invalid("subject: unknown kind " + quote(kind) + " (want one of " + joinComma(subjectKinds) + ")")
	case s.Kind == SubjectBranch && !ValidBranchID(string(id)):
		return invalid("subject: " + quote(id) + " is not a branch id (1 to 4 segments of [A-Z0-9]{1,16} joined by '-', not ALL)")
	case s.Kind != SubjectBranch && !validUnitID(id):
		return invalid("subject: " + quote(id) + " does not match [A-Za-z0-9_.:-]{1,64}")
	}
	st.keep(&s.ID, id)
	return nil
}

func (st *state) scoreReported(e *ScoreReported) *Rejection {
	if rej := st.subject(&e.Subject); rej != nil {
		return rej
	}
	comp, rej := st.reqString(fComponent)
	if rej != nil {
		return rej
	}
	if !validCode(string(comp)) {
		return invalid("component: " + quote(comp) + " does not match [a-z0-9_]{1,32}")
	}
	st.keep(&e.Component, comp)
	if e.Period, rej = st.monthField(fPeriod, true); rej != nil {
		return rej
	}
	e.Month = e.Period
	v, present, rej := st.floatField(fValue)
	switch {
	case rej != nil:
		return rej
	case !present:
		return missing(fValue)
	}
	e.Value = v
	return nil
}

func (st *state) adjustment(e *Adjustment) *Rejection {
	if rej := st.subject(&e.Subject); rej != nil {
		return rej
	}
	var rej *Rejection
	if e.Period, rej = st.monthField(fPeriod, true); rej != nil {
		return rej
	}
	e.Month = e.Period
	p, present, rej := st.floatField(fPoints)
	switch {
	case rej != nil:
		return rej
	case !present:
		return missing(fPoints)
	case !(p >= -MaxAdjustmentPoints && p <= MaxAdjustmentPoints):
		return invalid("points: " + clip(st.raw(fPoints)) + " is out of range: want |points| ≤ 100")
	}
	e.Points = p
	reason, rej := st.reqString(fReason)
	if rej != nil {
		return rej
	}
	ref, rej := st.optString(fRef)
	if rej != nil {
		return rej
	}
	st.keep(&e.Reason, reason)
	st.keep(&e.Ref, ref)
	return nil
}

func (st *state) adjustmentVoid(e *AdjustmentVoid) *Rejection {
	return st.retraction(&e.TargetEventID, &e.Reason)
}

func (st *state) subscriberBase(e *SubscriberBase) *Rejection {
	m, rej := st.monthField(fMonth, true)
	if rej != nil {
		return rej
	}
	e.Month = m
	if e.Subscribers, _, rej = st.uintField(fSubscribers, true, 0, math.MaxUint64); rej != nil {
		return rej
	}
	switch k := st.f[fTiers].kind; k {
	case kindAbsent, kindNull:
		return nil
	case kindObject:
	default:
		return wrongKind("tiers", "an object", k)
	}
	var vals [3]uint64
	var seen, given [3]bool
	names := [3]string{"high", "mid", "low"}
	it := newObjIter(st.b, int(st.f[fTiers].start))
	for {
		key, kesc, vs, ve, k, ok := it.next()
		if !ok {
			break
		}
		if kesc {
			key = unescape(nil, key)
		}
		ti := -1
		for i, n := range names {
			if string(key) == n {
				ti = i
			}
		}
		switch {
		case ti < 0: // unknown member: ignored like any unknown field
			continue
		case given[ti]:
			return duplicateKey("tiers", key)
		}
		given[ti] = true
		switch {
		case k == kindNull:
			seen[ti] = false
			continue
		case k != kindNumber:
			return wrongKind("tiers."+names[ti], "an integer", k)
		}
		v, rej := uintValue("tiers."+names[ti], st.b[vs:ve], 0, math.MaxUint64)
		if rej != nil {
			return rej
		}
		vals[ti], seen[ti] = v, true
	}
	for i, n := range names {
		if !seen[i] {
			return reject(ReasonMissingField, `missing field "tiers.`+n+`"`)
		}
	}
	if vals[0] > e.Subscribers || vals[1] > e.Subscribers-vals[0] || vals[2] > e.Subscribers-vals[0]-vals[1] {
		return invalid("tiers: high + mid + low = " + sumString(vals) + " is more than subscribers " + strconv.FormatUint(e.Subscribers, 10))
	}
	e.Tiers = &Tiers{High: vals[0], Mid: vals[1], Low: vals[2]}
	return nil
}

func sumString(v [3]uint64) string {
	s, c := v[0]+v[1], v[0]+v[1] < v[0]
	s2 := s + v[2]
	if c || s2 < s {
		return "more than 18446744073709551615"
	}
	return strconv.FormatUint(s2, 10)
}

func parseTypeBytes(b []byte) Type {
	for i, n := range typeNames {
		if i > 0 && n == string(b) {
			return Type(i)
		}
	}
	return TypeUnknown
}

func reject(r Reason, detail string) *Rejection { return &Rejection{Reason: r, Detail: detail} }

func invalid(detail string) *Rejection { return reject(ReasonInvalidField, detail) }

func missing(f int) *Rejection {
	return reject(ReasonMissingField, `missing field "`+fieldNames[f]+`"`)
}

func wrongKind(name, want string, got kind) *Rejection {
	return invalid(name + ": want " + want + ", got " + got.String())
}

// quote quotes a value for a detail, clipped to 64 bytes.
func quote(b []byte) string {
	if len(b) > 64 {
		n := 64
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		return strconv.Quote(string(b[:n])) + "…"
	}
	return strconv.Quote(string(b))
}

// clip returns a raw number for a detail, clipped to 32 bytes.
func clip(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "…"
	}
	return string(b)
}

func joinComma(vs []string) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += v
	}
	return s
}

// ValidUnitID reports whether s is a version-2 unit id (a store, staff, agent or manager id of
// SPEC §5.1): [A-Za-z0-9_.:-]{1,64}.
func ValidUnitID(s string) bool { return validUnitID([]byte(s)) }
