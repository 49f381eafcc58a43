package schema_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/schema"
)

func boolPtr(b bool) *bool { return &b }

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

func envelope(tb testing.TB, typ schema.Type, id, at, branch string, month schema.Month) schema.Envelope {
	return schema.Envelope{EventID: id, Type: typ, SchemaVersion: 1, OccurredAt: mustTime(tb, at), BranchID: branch, Month: month}
}

const envJSON = `"schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ-TH"`

func TestDecodeTypes(t *testing.T) {
	d := corpusDecoder(t)
	at := "2026-10-15T09:30:12+08:00"
	tests := []struct {
		name, topic, msg string
		want             schema.Event
	}{
		{"survey_response", "csat.survey",
			`{"event_id":"s1","type":"survey_response",` + envJSON + `,"carrier":"cmcc","wave":"2026-09","weight":2.5,"segment":"mid","overall":7,"items":{"voice":10,"network":8}}`,
			&schema.SurveyResponse{Envelope: envelope(t, schema.TypeSurveyResponse, "s1", at, "GD-GZ-TH", 202609),
				Carrier: "cmcc", Wave: 202609, Weight: 2.5, Segment: "mid", Overall: 7, CustomerType: "consumer",
				Items: []schema.ItemScore{{Code: "network", Score: 8}, {Code: "voice", Score: 10}}}},
		{"survey_response defaults", "csat.survey",
			`{"event_id":"s2","type":"survey_response",` + envJSON + `,"carrier":"ctcc","items":{"brand":1}}`,
			&schema.SurveyResponse{Envelope: envelope(t, schema.TypeSurveyResponse, "s2", at, "GD-GZ-TH", 202610),
				Carrier: "ctcc", Wave: 202610, Weight: 1, CustomerType: "consumer", Items: []schema.ItemScore{{Code: "brand", Score: 1}}}},
		{"survey_response enterprise", "csat.survey",
			`{"event_id":"s3","type":"survey_response",` + envJSON + `,"carrier":"cmcc","overall":9,"customer_type":"enterprise","manager_id":"CM-GZ.07","store_id":"S:12-a"}`,
			&schema.SurveyResponse{Envelope: envelope(t, schema.TypeSurveyResponse, "s3", at, "GD-GZ-TH", 202610),
				Carrier: "cmcc", Wave: 202610, Weight: 1, Overall: 9, CustomerType: "enterprise", ManagerID: "CM-GZ.07", StoreID: "S:12-a"}},
		{"survey_void", "csat.survey",
			`{"event_id":"v1","type":"survey_void",` + envJSON + `,"target_event_id":"s1","reason":"QC"}`,
			&schema.SurveyVoid{Envelope: envelope(t, schema.TypeSurveyVoid, "v1", at, "GD-GZ-TH", 202610), TargetEventID: "s1", Reason: "QC"}},
		{"hotline_feedback", "csat.hotline",
			`{"event_id":"h1","type":"hotline_feedback",` + envJSON + `,"agent_id":"A1","rating":4,"resolved":true,"wait_seconds":20,"handle_seconds":300}`,
			&schema.HotlineFeedback{Envelope: envelope(t, schema.TypeHotlineFeedback, "h1", at, "GD-GZ-TH", 202610),
				AgentID: "A1", Rating: 4, Resolved: true, WaitSeconds: 20, HandleSeconds: 300}},
		{"store_feedback", "csat.store",
			`{"event_id":"st1","type":"store_feedback",` + envJSON + `,"store_id":"S7","staff_id":"E1","rating":3,"wait_seconds":600,"business":"SIM"}`,
			&schema.StoreFeedback{Envelope: envelope(t, schema.TypeStoreFeedback, "st1", at, "GD-GZ-TH", 202610),
				StoreID: "S7", StaffID: "E1", Rating: 3, WaitSeconds: 600, Business: "SIM"}},
		{"complaint_opened", "csat.complaint",
			`{"event_id":"c1","type":"complaint_opened",` + envJSON + `,"complaint_id":"C1","category":"network","channel":"regulator","escalated":true}`,
			&schema.ComplaintOpened{Envelope: envelope(t, schema.TypeComplaintOpened, "c1", at, "GD-GZ-TH", 202610),
				ComplaintID: "C1", Category: "network", Channel: "regulator", Escalated: true}},
		{"complaint_closed", "csat.complaint",
			`{"event_id":"c2","type":"complaint_closed",` + envJSON + `,"complaint_id":"C1","resolution_hours":47.5,"satisfied":false}`,
			&schema.ComplaintClosed{Envelope: envelope(t, schema.TypeComplaintClosed, "c2", at, "GD-GZ-TH", 202610),
				ComplaintID: "C1", ResolutionHours: 47.5, Satisfied: boolPtr(false)}},
		{"churn", "csat.churn",
			`{"event_id":"ch1","type":"churn",` + envJSON + `,"customer_ref":"x9","tier":"high","reason":"price","tenure_months":13,"to_carrier":"cucc"}`,
			&schema.Churn{Envelope: envelope(t, schema.TypeChurn, "ch1", at, "GD-GZ-TH", 202610),
				CustomerRef: "x9", Tier: "high", Reason: "price", TenureMonths: 13, ToCarrier: "cucc"}},
		{"subscriber_base", "csat.reference",
			`{"event_id":"b1","type":"subscriber_base",` + envJSON + `,"month":"2026-08","subscribers":100,"tiers":{"high":10,"mid":20,"low":70}}`,
			&schema.SubscriberBase{Envelope: envelope(t, schema.TypeSubscriberBase, "b1", at, "GD-GZ-TH", 202608),
				Subscribers: 100, Tiers: &schema.Tiers{High: 10, Mid: 20, Low: 70}}},
		{"complaint_opened attributed", "csat.complaint",
			`{"event_id":"c3","type":"complaint_opened",` + envJSON + `,"complaint_id":"C3","category":"service","channel":"store","escalated":false,"store_id":"S7","staff_id":"E1","agent_id":null,"manager_id":"M.1"}`,
			&schema.ComplaintOpened{Envelope: envelope(t, schema.TypeComplaintOpened, "c3", at, "GD-GZ-TH", 202610),
				ComplaintID: "C3", Category: "service", Channel: "store", StoreID: "S7", StaffID: "E1", ManagerID: "M.1"}},
		{"churn with manager", "csat.churn",
			`{"event_id":"ch2","type":"churn",` + envJSON + `,"customer_ref":"x9","tier":"mid","reason":"price","tenure_months":1,"manager_id":"M-2"}`,
			&schema.Churn{Envelope: envelope(t, schema.TypeChurn, "ch2", at, "GD-GZ-TH", 202610),
				CustomerRef: "x9", Tier: "mid", Reason: "price", TenureMonths: 1, ManagerID: "M-2"}},
		{"inspection", "csat.store",
			`{"event_id":"i1","type":"inspection",` + envJSON + `,"store_id":"S7","kind":"patrol","published_by":"city","score":72.5,"staff_id":"E1"}`,
			&schema.Inspection{Envelope: envelope(t, schema.TypeInspection, "i1", at, "GD-GZ-TH", 202610),
				StoreID: "S7", Kind: "patrol", PublishedBy: "city", Score: 72.5, StaffID: "E1"}},
		{"score_reported: its month is the period", "csat.assessment",
			`{"event_id":"r1","type":"score_reported",` + envJSON + `,"subject":"agent:A:1","component":"exam_2","period":"2026-08","value":-3}`,
			&schema.ScoreReported{Envelope: envelope(t, schema.TypeScoreReported, "r1", at, "GD-GZ-TH", 202608),
				Subject: schema.Subject{Kind: "agent", ID: "A:1"}, Component: "exam_2", Period: 202608, Value: -3}},
		{"adjustment: its month is the period", "csat.assessment",
			`{"event_id":"a1","type":"adjustment",` + envJSON + `,"subject":"branch:GD-SZ","period":"2026-11","points":2.5,"reason":"praise","ref":"R1"}`,
			&schema.Adjustment{Envelope: envelope(t, schema.TypeAdjustment, "a1", at, "GD-GZ-TH", 202611),
				Subject: schema.Subject{Kind: "branch", ID: "GD-SZ"}, Period: 202611, Points: 2.5, Reason: "praise", Ref: "R1"}},
		{"adjustment_void", "csat.assessment",
			`{"event_id":"av1","type":"adjustment_void",` + envJSON + `,"target_event_id":"a1","reason":"twice"}`,
			&schema.AdjustmentVoid{Envelope: envelope(t, schema.TypeAdjustmentVoid, "av1", at, "GD-GZ-TH", 202610), TargetEventID: "a1", Reason: "twice"}},
		{"escaped strings", "csat.survey",
			`{"event_id":"e\u00e9\ud83d\ude00","type":"survey_void",` + envJSON + `,"target_event_id":"a\"b\\c\/d","reason":"\u4e2d\ud800x"}`,
			&schema.SurveyVoid{Envelope: envelope(t, schema.TypeSurveyVoid, "eé😀", at, "GD-GZ-TH", 202610),
				TargetEventID: `a"b\c/d`, Reason: "中\uFFFDx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Decode(tt.topic, []byte(tt.msg))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestMonthDerivation checks, by hand, the event month across the reporting time zone's
// month boundary: Asia/Shanghai is UTC+8 without daylight saving.
func TestMonthDerivation(t *testing.T) {
	sh := shanghai(t)
	tests := []struct {
		name string
		loc  *time.Location
		msg  string
		want schema.Month
	}{
		{"17:00Z on Oct 31 is Nov 1 01:00 in Shanghai", sh, hotlineAt("2026-10-31T17:00:00Z"), 202611},
		{"15:59:59Z on Oct 31 is Oct 31 23:59:59 in Shanghai", sh, hotlineAt("2026-10-31T15:59:59Z"), 202610},
		{"16:00Z on Oct 31 is midnight Nov 1 in Shanghai", sh, hotlineAt("2026-10-31T16:00:00Z"), 202611},
		{"the same instant in UTC", time.UTC, hotlineAt("2026-10-31T17:00:00Z"), 202610},
		{"offset -05:00 evening is next day in Shanghai", sh, hotlineAt("2026-10-31T20:00:00-05:00"), 202611},
		{"offset +08:00 local midnight", sh, hotlineAt("2026-11-01T00:00:00+08:00"), 202611},
		{"New Year across the offset", sh, hotlineAt("2026-12-31T16:30:00Z"), 202701},
		{"nil location means UTC", nil, hotlineAt("2026-12-31T16:30:00Z"), 202612},
		{"survey without wave takes the month of occurred_at", sh,
			`{"event_id":"s","type":"survey_response","schema_version":1,"occurred_at":"2026-10-31T17:00:00Z","branch_id":"GD","carrier":"cmcc","overall":5}`, 202611},
		{"survey wave wins over occurred_at", sh,
			`{"event_id":"s","type":"survey_response","schema_version":1,"occurred_at":"2026-10-31T17:00:00Z","branch_id":"GD","carrier":"cmcc","overall":5,"wave":"2026-10"}`, 202610},
		{"subscriber_base month wins over occurred_at", sh,
			`{"event_id":"b","type":"subscriber_base","schema_version":1,"occurred_at":"2026-11-01T02:00:00+08:00","branch_id":"GD","month":"2026-10","subscribers":5}`, 202610},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), tt.loc,
				schema.WithClock(func() time.Time { return corpusNow.AddDate(1, 0, 0) }))
			var topic string
			switch {
			case strings.Contains(tt.msg, "survey_response"):
				topic = "csat.survey"
			case strings.Contains(tt.msg, "subscriber_base"):
				topic = "csat.reference"
			default:
				topic = "csat.hotline"
			}
			ev, err := d.Decode(topic, []byte(tt.msg))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := ev.Env().Month; got != tt.want {
				t.Errorf("Month = %v, want %v", got, tt.want)
			}
			if sr, ok := ev.(*schema.SurveyResponse); ok && sr.Wave != tt.want {
				t.Errorf("Wave = %v, want %v", sr.Wave, tt.want)
			}
		})
	}
}

func hotlineAt(at string) string {
	return `{"event_id":"h","type":"hotline_feedback","schema_version":1,"occurred_at":"` + at +
		`","branch_id":"GD","agent_id":"a","rating":5,"resolved":true,"wait_seconds":0,"handle_seconds":0}`
}

func TestRejectionDetails(t *testing.T) {
	d := corpusDecoder(t)
	survey := func(extra string) string {
		return `{"event_id":"s","type":"survey_response",` + envJSON + `,"carrier":"cmcc"` + extra + `}`
	}
	tests := []struct {
		name, topic, msg string
		want             schema.Rejection
	}{
		{"customer type", "csat.survey", survey(`,"overall":3,"customer_type":"vip"`),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: `customer_type: "vip" is not one of consumer, enterprise`}},
		{"manager id pattern", "csat.survey", survey(`,"overall":3,"manager_id":"经理 1"`),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: `manager_id: "经理 1" does not match [A-Za-z0-9_.:-]{1,64}`}},
		{"survey store id too long", "csat.survey", survey(`,"overall":3,"store_id":"` + strings.Repeat("s", 65) + `"`),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: `store_id: "` + strings.Repeat("s", 64) + `"… does not match [A-Za-z0-9_.:-]{1,64}`}},
		{"manager id kind", "csat.survey", survey(`,"overall":3,"manager_id":7`),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: "manager_id: want a string, got number"}},
		{"item out of range", "csat.survey", survey(`,"items":{"network":11}`),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: "items.network: 11 is out of range 1–10"}},
		{"missing carrier", "csat.survey", strings.Replace(survey(`,"overall":3`), `"carrier":"cmcc",`, "", 1),
			schema.Rejection{Reason: schema.ReasonMissingField, Detail: `missing field "carrier"`}},
		{"wrong topic", "csat.hotline", survey(`,"overall":3`),
			schema.Rejection{Reason: schema.ReasonWrongTopic, Detail: "type survey_response belongs on topic csat.survey, got csat.hotline"}},
		{"unknown item", "csat.survey", survey(`,"items":{"fiveg":9}`),
			schema.Rejection{Reason: schema.ReasonUnknownItem, Detail: `items: unknown item "fiveg" (not in the catalog)`}},
		{"rating", "csat.hotline", strings.Replace(hotlineAt("2026-10-01T00:00:00Z"), `"rating":5`, `"rating":6`, 1),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: "rating: 6 is out of range 1–5"}},
		{"not an integer", "csat.hotline", strings.Replace(hotlineAt("2026-10-01T00:00:00Z"), `"rating":5`, `"rating":4.5`, 1),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: "rating: want an integer, got 4.5"}},
		{"wrong JSON type", "csat.hotline", strings.Replace(hotlineAt("2026-10-01T00:00:00Z"), `"resolved":true`, `"resolved":"yes"`, 1),
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: "resolved: want a boolean, got string"}},
		{"array", "csat.hotline", `[]`,
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: "want a JSON object, got an array"}},
		{"version", "csat.hotline", strings.Replace(hotlineAt("2026-10-01T00:00:00Z"), `"schema_version":1`, `"schema_version":2`, 1),
			schema.Rejection{Reason: schema.ReasonUnsupportedVersion, Detail: "schema_version 2 is not supported; this build reads version 1"}},
		{"byte order mark", "csat.hotline", "\ufeff" + hotlineAt("2026-10-01T00:00:00Z"),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: "message starts with a UTF-8 byte order mark (EF BB BF) at byte 0: send the JSON object without it"}},
		{"duplicate field", "csat.hotline", strings.Replace(hotlineAt("2026-10-01T00:00:00Z"), `"rating":5`, `"rating":1,"rating":5`, 1),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "rating" (each key once per object)`}},
		{"duplicate escaped field", "csat.survey", survey(`,"overall":3,"c\u0061rrier":"ctcc"`),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "carrier" (each key once per object)`}},
		{"duplicate unknown field", "csat.survey", survey(`,"overall":3,"note":1,"note":2`),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "note" (each key once per object)`}},
		{"duplicate among many unknown fields", "csat.survey",
			survey(`,"overall":3,"u0":0,"u1":1,"u2":2,"u3":3,"u4":4,"u5":5,"u6":6,"u7":7,"u8":8,"u9":9,"u8":0`),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "u8" (each key once per object)`}},
		{"duplicate escaped unknown field", "csat.survey", survey(`,"overall":3,"n\u006fte":1,"note":2`),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "note" (each key once per object)`}},
		{"duplicate item", "csat.survey", survey(`,"items":{"voice":9,"network":8,"voice":10}`),
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "items.voice" (each key once per object)`}},
		{"duplicate tier", "csat.reference",
			`{"event_id":"b","type":"subscriber_base",` + envJSON + `,"month":"2026-10","subscribers":10,"tiers":{"high":5,"mid":1,"high":null,"low":1}}`,
			schema.Rejection{Reason: schema.ReasonMalformedJSON, Detail: `duplicate key "tiers.high" (each key once per object)`}},
		{"tiers sum", "csat.reference",
			`{"event_id":"b","type":"subscriber_base",` + envJSON + `,"month":"2026-10","subscribers":10,"tiers":{"high":5,"mid":5,"low":1}}`,
			schema.Rejection{Reason: schema.ReasonInvalidField, Detail: "tiers: high + mid + low = 11 is more than subscribers 10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Decode(tt.topic, []byte(tt.msg))
			var rej *schema.Rejection
			if !errors.As(err, &rej) {
				t.Fatalf("Decode error = %v, want a *Rejection", err)
			}
			if *rej != tt.want {
				t.Errorf("Decode = %q, want %q", rej, &tt.want)
			}
			if got, want := rej.Error(), string(tt.want.Reason)+": "+tt.want.Detail; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
			if !errors.Is(err, &schema.Rejection{Reason: tt.want.Reason}) {
				t.Errorf("errors.Is(err, Rejection{%s}) = false", tt.want.Reason)
			}
		})
	}
}

// TestFrontlineRejectionDetails: the version-2 front-line events' bad input (SPEC §5.1, §5.5)
// is a dead letter whose detail names the field and says what is wrong, for every rule the
// decoder checks: unknown subject kinds, kind and published_by, a score outside 0–100, a missing
// or empty reason, |points| > 100, ids outside [A-Za-z0-9_.:-]{1,64}, a period that is not YYYY-MM.
func TestFrontlineRejectionDetails(t *testing.T) {
	d := corpusDecoder(t)
	ev := func(typ, fields string) string {
		return `{"event_id":"x","type":"` + typ + `",` + envJSON + fields + `}`
	}
	inspection := func(store, kind, by, score string) string {
		return ev("inspection", `,"store_id":`+store+`,"kind":`+kind+`,"published_by":`+by+`,"score":`+score)
	}
	score := func(subject, component, period, value string) string {
		return ev("score_reported", `,"subject":`+subject+`,"component":`+component+`,"period":`+period+`,"value":`+value)
	}
	adjustment := func(subject, period, points, reason string) string {
		s := `,"subject":` + subject + `,"period":` + period + `,"points":` + points
		if reason != "" {
			s += `,"reason":` + reason
		}
		return ev("adjustment", s)
	}
	long := strings.Repeat("e", 65)
	inv := func(detail string) schema.Rejection {
		return schema.Rejection{Reason: schema.ReasonInvalidField, Detail: detail}
	}
	mis := func(field string) schema.Rejection {
		return schema.Rejection{Reason: schema.ReasonMissingField, Detail: `missing field "` + field + `"`}
	}
	kinds := "(want one of store, staff, agent, manager, branch)"
	tests := []struct {
		name, topic, msg string
		want             schema.Rejection
	}{
		{"inspection kind", "csat.store", inspection(`"S1"`, `"audit"`, `"city"`, "80"), inv(`kind: "audit" is not one of patrol, mystery`)},
		{"inspection kind null", "csat.store", inspection(`"S1"`, "null", `"city"`, "80"), mis("kind")},
		{"inspection publisher", "csat.store", inspection(`"S1"`, `"patrol"`, `"county"`, "80"), inv(`published_by: "county" is not one of province, city`)},
		{"inspection score over 100", "csat.store", inspection(`"S1"`, `"patrol"`, `"city"`, "100.5"), inv("score: 100.5 is out of range 0–100")},
		{"inspection score negative", "csat.store", inspection(`"S1"`, `"patrol"`, `"city"`, "-1"), inv("score: -1 is out of range 0–100")},
		{"inspection store missing", "csat.store", ev("inspection", `,"kind":"patrol","published_by":"city","score":80`), mis("store_id")},
		{"inspection store id", "csat.store", inspection(`"店 1"`, `"patrol"`, `"city"`, "80"), inv(`store_id: "店 1" does not match [A-Za-z0-9_.:-]{1,64}`)},
		{"inspection staff id 65", "csat.store", ev("inspection", `,"store_id":"S1","kind":"mystery","published_by":"city","score":80,"staff_id":"`+long+`"`),
			inv(`staff_id: "` + long[:64] + `"… does not match [A-Za-z0-9_.:-]{1,64}`)},
		{"subject kind", "csat.assessment", score(`"clerk:S1"`, `"sales"`, `"2026-10"`, "1"), inv(`subject: unknown kind "clerk" ` + kinds)},
		{"subject without kind", "csat.assessment", score(`"S1"`, `"sales"`, `"2026-10"`, "1"),
			inv(`subject: "S1" is not kind:id (kind one of store, staff, agent, manager, branch)`)},
		{"subject empty id", "csat.assessment", score(`"store:"`, `"sales"`, `"2026-10"`, "1"), inv(`subject: "" does not match [A-Za-z0-9_.:-]{1,64}`)},
		{"subject id with a space", "csat.assessment", score(`"store:S 1"`, `"sales"`, `"2026-10"`, "1"), inv(`subject: "S 1" does not match [A-Za-z0-9_.:-]{1,64}`)},
		{"subject branch ALL", "csat.assessment", score(`"branch:ALL"`, `"sales"`, `"2026-10"`, "1"),
			inv(`subject: "ALL" is not a branch id (1 to 4 segments of [A-Z0-9]{1,16} joined by '-', not ALL)`)},
		{"component", "csat.assessment", score(`"store:S1"`, `"Sales"`, `"2026-10"`, "1"), inv(`component: "Sales" does not match [a-z0-9_]{1,32}`)},
		{"period month 13", "csat.assessment", score(`"store:S1"`, `"sales"`, `"2026-13"`, "1"), inv(`period: "2026-13" is not a month (YYYY-MM)`)},
		{"period a quarter", "csat.assessment", score(`"store:S1"`, `"sales"`, `"2026-Q3"`, "1"), inv(`period: "2026-Q3" is not a month (YYYY-MM)`)},
		{"period a number", "csat.assessment", score(`"store:S1"`, `"sales"`, "202610", "1"), inv("period: want a YYYY-MM string, got number")},
		{"value a string", "csat.assessment", score(`"store:S1"`, `"sales"`, `"2026-10"`, `"1"`), inv("value: want a number, got string")},
		{"adjustment without reason", "csat.assessment", adjustment(`"staff:E1"`, `"2026-10"`, "-2", ""), mis("reason")},
		{"adjustment reason null", "csat.assessment", adjustment(`"staff:E1"`, `"2026-10"`, "-2", "null"), mis("reason")},
		{"adjustment reason empty", "csat.assessment", adjustment(`"staff:E1"`, `"2026-10"`, "-2", `""`), inv("reason: empty string")},
		{"adjustment points 101", "csat.assessment", adjustment(`"staff:E1"`, `"2026-10"`, "101", `"x"`), inv("points: 101 is out of range: want |points| ≤ 100")},
		{"adjustment points -100.5", "csat.assessment", adjustment(`"staff:E1"`, `"2026-10"`, "-100.5", `"x"`), inv("points: -100.5 is out of range: want |points| ≤ 100")},
		{"adjustment subject kind", "csat.assessment", adjustment(`"region:GD"`, `"2026-10"`, "1", `"x"`), inv(`subject: unknown kind "region" ` + kinds)},
		{"adjustment period", "csat.assessment", adjustment(`"staff:E1"`, `"2026-1"`, "1", `"x"`), inv(`period: "2026-1" is not a month (YYYY-MM)`)},
		{"adjustment_void target empty", "csat.assessment", ev("adjustment_void", `,"target_event_id":"","reason":"x"`), inv("target_event_id: empty string")},
		{"adjustment_void reason empty", "csat.assessment", ev("adjustment_void", `,"target_event_id":"a","reason":""`), inv("reason: empty string")},
		{"complaint store id", "csat.complaint",
			ev("complaint_opened", `,"complaint_id":"C1","category":"service","channel":"store","escalated":false,"store_id":"S 1"`),
			inv(`store_id: "S 1" does not match [A-Za-z0-9_.:-]{1,64}`)},
		{"complaint agent id 65", "csat.complaint",
			ev("complaint_opened", `,"complaint_id":"C1","category":"service","channel":"hotline","escalated":false,"agent_id":"`+long+`"`),
			inv(`agent_id: "` + long[:64] + `"… does not match [A-Za-z0-9_.:-]{1,64}`)},
		{"churn manager id", "csat.churn",
			ev("churn", `,"customer_ref":"x","tier":"high","reason":"price","tenure_months":3,"manager_id":"M/42"`),
			inv(`manager_id: "M/42" does not match [A-Za-z0-9_.:-]{1,64}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := d.Decode(tt.topic, []byte(tt.msg))
			var rej *schema.Rejection
			if !errors.As(err, &rej) || ev != nil {
				t.Fatalf("Decode = %v, %v; want a *Rejection", ev, err)
			}
			if *rej != tt.want {
				t.Errorf("Decode = %q, want %q", rej, &tt.want)
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	d := corpusDecoder(t)
	base := hotlineAt("2026-10-01T00:00:00Z")
	pad := func(n int) []byte { // a valid event of exactly n bytes
		s := base[:len(base)-1] + `,"p":"` + strings.Repeat("x", n-len(base)-len(`,"p":""`)) + `"}`
		return []byte(s)
	}
	if _, err := d.Decode("csat.hotline", pad(schema.MaxMessageSize)); err != nil {
		t.Errorf("64 KiB event: %v", err)
	}
	_, err := d.Decode("csat.hotline", pad(schema.MaxMessageSize+1))
	if !errors.Is(err, &schema.Rejection{Reason: schema.ReasonTooLarge}) {
		t.Errorf("64 KiB + 1 event: %v, want too_large", err)
	}
}

func TestDecodeCustomCatalog(t *testing.T) {
	cat, err := schema.LoadCatalog("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := schema.NewDecoder(cat, schema.DefaultTopics(), shanghai(t), schema.WithClock(func() time.Time { return corpusNow }))
	msg := `{"event_id":"s","type":"survey_response",` + envJSON + `,"carrier":"cmcc","items":{"fiveg":9,"network":2}}`
	ev, err := d.Decode("csat.survey", []byte(msg))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := []schema.ItemScore{{Code: "network", Score: 2}, {Code: "fiveg", Score: 9}} // catalog order
	if got := ev.(*schema.SurveyResponse).Items; !reflect.DeepEqual(got, want) {
		t.Errorf("Items = %v, want %v", got, want)
	}
}

func TestDecodeCustomTopics(t *testing.T) {
	topics := schema.DefaultTopics()
	topics.Hotline = "prod.hotline"
	d := schema.NewDecoder(schema.DefaultCatalog(), topics, nil, schema.WithClock(func() time.Time { return corpusNow }))
	msg := []byte(hotlineAt("2026-10-01T00:00:00Z"))
	if _, err := d.Decode("prod.hotline", msg); err != nil {
		t.Errorf("on the configured topic: %v", err)
	}
	if _, err := d.Decode("csat.hotline", msg); !errors.Is(err, &schema.Rejection{Reason: schema.ReasonWrongTopic}) {
		t.Errorf("on the default topic: %v, want wrong_topic", err)
	}
}

// TestDecodeDoesNotAlias checks that the event keeps no reference to the message buffer, which
// the Kafka client reuses.
func TestDecodeDoesNotAlias(t *testing.T) {
	d := corpusDecoder(t)
	msg := []byte(hotlineAt("2026-10-01T00:00:00Z"))
	ev, err := d.Decode("csat.hotline", msg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		msg[i] = 'Z'
	}
	h := ev.(*schema.HotlineFeedback)
	if h.EventID != "h" || h.BranchID != "GD" || h.AgentID != "a" {
		t.Errorf("event changed with its message: %+v", h)
	}
}

func TestDecodeConcurrent(t *testing.T) {
	d := corpusDecoder(t)
	msg := []byte(hotlineAt("2026-10-01T00:00:00Z"))
	done := make(chan error)
	for range 4 {
		go func() {
			var err error
			for range 1000 {
				if _, err = d.Decode("csat.hotline", msg); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func ExampleDecoder_Decode() {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), loc,
		schema.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))

	ev, err := d.Decode("csat.hotline", []byte(`{"event_id":"h-1","type":"hotline_feedback","schema_version":1,
		"occurred_at":"2026-10-31T17:00:00Z","branch_id":"GD-GZ","agent_id":"A7","rating":5,
		"resolved":true,"wait_seconds":14,"handle_seconds":180}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := ev.(*schema.HotlineFeedback)
	fmt.Println(h.Type, h.EventID, h.BranchID, h.Month, h.Rating, h.Resolved)

	_, err = d.Decode("csat.survey", []byte(`{"event_id":"s-1","type":"survey_response","schema_version":1,
		"occurred_at":"2026-10-31T17:00:00Z","branch_id":"GD-GZ","carrier":"cmcc","items":{"network":11}}`))
	if rej := schema.AsRejection(err); rej != nil {
		fmt.Println(rej.Reason, "|", rej.Detail)
	}
	// Output:
	// hotline_feedback h-1 GD-GZ 2026-11 5 true
	// invalid_field | items.network: 11 is out of range 1–10
}
