#!/usr/bin/env python3
"""Writes corpus.ndjson beside this file: the sample events, good and bad, that the schema tests
run through the Go decoder, ValidateStream, FuzzDecode (as seeds) and the JSON Schema documents.
Each line: {"name", "topic", "want": "ok" | <reason>, "event" | "raw" | "raw_base64", "schema_blind"?}.
The decoder clock in the tests is 2026-11-15T00:00:00Z; the time zone Asia/Shanghai.
Run: python3 schema/testdata/gen_corpus.py (then go test ./schema/)."""
import json, base64, copy
import os
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.ndjson")
T={"survey_response":"csat.survey","survey_void":"csat.survey","hotline_feedback":"csat.hotline","store_feedback":"csat.store","complaint_opened":"csat.complaint","complaint_closed":"csat.complaint","churn":"csat.churn","subscriber_base":"csat.reference","inspection":"csat.store","score_reported":"csat.assessment","adjustment":"csat.assessment","adjustment_void":"csat.assessment"}
def env(t, id):
    return {"event_id": id, "type": t, "schema_version": 1, "occurred_at": "2026-10-15T09:30:12+08:00", "branch_id": "GD-GZ-TH"}
B={}
def base(t, **kw):
    e=env(t, "c-"+t); e.update(kw); B[t]=e
base("survey_response", branch_id="GD-GZ", carrier="cmcc", wave="2026-10", weight=1.25, segment="high", overall=8, items={"network":8,"voice":9,"data":7,"tariff":6,"billing":8,"store":9,"hotline":8,"online":7,"brand":9,"complaint":6})
base("survey_void", branch_id="GD-GZ", target_event_id="c-survey_response", reason="failed quality control")
base("hotline_feedback", agent_id="A10086-0042", rating=5, resolved=True, wait_seconds=12, handle_seconds=245)
base("store_feedback", store_id="GZ-TH-0007", staff_id="S-1138", rating=4, wait_seconds=300, business="plan change")
base("complaint_opened", complaint_id="C-2026-000123", category="billing", channel="hotline", escalated=False)
base("complaint_closed", complaint_id="C-2026-000123", resolution_hours=30.5, satisfied=True)
base("churn", customer_ref="c8f1e2a9", tier="high", reason="competitor_offer", tenure_months=54, to_carrier="ctcc")
base("subscriber_base", branch_id="GD-GZ", month="2026-10", subscribers=1250000, tiers={"high":150000,"mid":500000,"low":600000})
base("inspection", store_id="GZ-TH-0007", kind="mystery", published_by="province", score=86.5, staff_id="S-1138")
base("score_reported", subject="store:GZ-TH-0007", component="sales", period="2026-10", value=37.5)
base("adjustment", subject="staff:S-1138", period="2026-10", points=-2, reason="customer praised in the press", ref="NEWS-2026-118")
base("adjustment_void", target_event_id="c-adjustment", reason="entered twice")

rows=[]
names=set()
DEL=object()
def case(name, t, want, topic=None, blind=None, **changes):
    assert name not in names, name
    names.add(name)
    e=copy.deepcopy(B[t])
    for k,v in changes.items():
        k=k.replace("__",".")
        if "." in k:
            a,b=k.split(".")
            if v is DEL: del e[a][b]
            else: e[a][b]=v
        elif v is DEL: e.pop(k,None)
        else: e[k]=v
    r={"name":name,"topic":topic or T[t],"want":want,"event":e}
    if blind: r["schema_blind"]=blind
    rows.append(r)
def raw(name, topic, want, s=None, b64=None):
    assert name not in names, name
    names.add(name)
    r={"name":name,"topic":topic,"want":want}
    if s is not None: r["raw"]=s
    else: r["raw_base64"]=base64.b64encode(b64).decode()
    rows.append(r)

# ---- ok
for t in T: case("ok/"+t, t, "ok")
case("ok/survey_minimal_overall", "survey_response", "ok", wave=DEL, weight=DEL, segment=DEL, items=DEL)
case("ok/survey_items_only", "survey_response", "ok", overall=DEL)
case("ok/survey_optional_nulls", "survey_response", "ok", wave=None, weight=None, segment=None, items=None)
case("ok/survey_empty_items_with_overall", "survey_response", "ok", items={})
case("ok/survey_weight_max", "survey_response", "ok", weight=10000)
case("ok/survey_weight_small", "survey_response", "ok", weight=0.001)
case("ok/survey_overall_integral_float", "survey_response", "ok", overall=3.0)
case("ok/survey_item_exponent", "survey_response", "ok", items={"network":1e1})
case("ok/survey_other_carrier", "survey_response", "ok", carrier="ctcc_5g")
case("ok/survey_wave_other_month", "survey_response", "ok", wave="2026-09")
case("ok/unknown_fields", "hotline_feedback", "ok", extra={"nested":[1,2,{"a":None}],"s":"x"}, queue="vip", **{"x-trace":[True,False,None,-0.5e-3]})
case("ok/event_id_unicode_space", "hotline_feedback", "ok", event_id="问卷 2026/10 #42")
case("ok/event_id_128", "hotline_feedback", "ok", event_id="e"*128)
case("ok/event_id_128_runes", "hotline_feedback", "ok", event_id="中"*128)
case("ok/branch_4_segments", "hotline_feedback", "ok", branch_id="GD-GZ-TH-0123456789ABCDEF")
case("ok/branch_1_segment", "hotline_feedback", "ok", branch_id="GD")
case("ok/time_fraction_z", "hotline_feedback", "ok", occurred_at="2026-10-15T01:30:12.123456789Z")
case("ok/time_lowercase", "hotline_feedback", "ok", occurred_at="2026-10-15t01:30:12z")
case("ok/time_negative_offset", "hotline_feedback", "ok", occurred_at="2026-10-14T20:30:12-05:00")
case("ok/time_min", "hotline_feedback", "ok", occurred_at="2000-01-01T00:00:00Z")
case("ok/time_leap_day", "hotline_feedback", "ok", occurred_at="2024-02-29T12:00:00+08:00")
case("ok/time_now_plus_24h", "hotline_feedback", "ok", occurred_at="2026-11-16T00:00:00Z")
case("ok/hotline_zero_and_max", "hotline_feedback", "ok", wait_seconds=0, handle_seconds=4294967295, resolved=False, rating=1)
case("ok/store_no_optionals", "store_feedback", "ok", staff_id=DEL, business=DEL)
case("ok/store_null_optionals", "store_feedback", "ok", staff_id=None, business=None)
case("ok/closed_no_satisfied", "complaint_closed", "ok", satisfied=DEL, resolution_hours=0)
case("ok/closed_null_satisfied", "complaint_closed", "ok", satisfied=None, resolution_hours=12)
case("ok/closed_unsatisfied", "complaint_closed", "ok", satisfied=False)
case("ok/churn_no_to_carrier", "churn", "ok", to_carrier=DEL, tenure_months=0, tier="low", reason="relocation")
case("ok/churn_null_to_carrier", "churn", "ok", to_carrier=None)
case("ok/base_no_tiers", "subscriber_base", "ok", tiers=DEL)
case("ok/base_null_tiers", "subscriber_base", "ok", tiers=None)
case("ok/base_tiers_sum_equal", "subscriber_base", "ok", subscribers=1250000, tiers={"high":150000,"mid":500000,"low":600000,"other":3})
case("ok/base_zero", "subscriber_base", "ok", subscribers=0, tiers={"high":0,"mid":0,"low":0})
case("ok/base_big", "subscriber_base", "ok", subscribers=18446744073709551615, tiers=DEL)
case("ok/complaint_escalated_regulator", "complaint_opened", "ok", channel="regulator", escalated=True, category="other")
raw("ok/escapes", "csat.hotline", "ok", '{"\\u0065vent_id":"ev\\u0031\\ud83d\\ude00\\n"==X,"type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","agent_id":"a\\"b\\\\c\\/","rating":5,"resolved":true,"wait_seconds":1,"handle_seconds":2}'.replace('\\n"==X','"'))
raw("malformed/bom", "csat.hotline", "malformed_json", b64=b"\xef\xbb\xbf"+json.dumps(B["hotline_feedback"]).encode())
raw("malformed/duplicate_key", "csat.hotline", "malformed_json", '{"event_id":"dup","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","agent_id":"a","rating":9,"rating":5,"resolved":true,"wait_seconds":1,"handle_seconds":2}')
raw("malformed/duplicate_key_escaped", "csat.hotline", "malformed_json", '{"event_id":"dup","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","agent_id":"a","rating":5,"resolved":true,"wait_seconds":1,"handle_seconds":2,"r\\u0061ting":1}')
raw("malformed/duplicate_unknown_key", "csat.hotline", "malformed_json", '{"event_id":"dup","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","agent_id":"a","rating":5,"resolved":true,"wait_seconds":1,"handle_seconds":2,"note":"x","note":"y"}')
raw("malformed/duplicate_item", "csat.survey", "malformed_json", '{"event_id":"dup","type":"survey_response","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","carrier":"cmcc","items":{"network":8,"network":3}}')
raw("malformed/duplicate_tier", "csat.reference", "malformed_json", '{"event_id":"dup","type":"subscriber_base","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","month":"2026-10","subscribers":10,"tiers":{"high":1,"mid":2,"low":3,"high":4}}')
raw("ok/same_key_in_nested_objects", "csat.hotline", "ok", '{"event_id":"nest","type":"hotline_feedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD-GZ","agent_id":"a","rating":5,"resolved":true,"wait_seconds":1,"handle_seconds":2,"x":{"rating":1},"y":{"rating":2}}')
raw("ok/whitespace", "csat.hotline", "ok", ' \t\r\n{ "event_id" : "ws" , "type" : "hotline_feedback" , "schema_version" : 1.0 , "occurred_at" : "2026-10-15T09:30:12+08:00" , "branch_id" : "GD" , "agent_id" : "a" , "rating" : 5 , "resolved" : true , "wait_seconds" : 1 , "handle_seconds" : 2 } \n')

raw("ok/type_escaped", "csat.hotline", "ok", '{"event_id":"esc-type","type":"hotline\\u005ffeedback","schema_version":1,"occurred_at":"2026-10-15T09:30:12+08:00","branch_id":"GD","agent_id":"a","rating":5,"resolved":true,"wait_seconds":1,"handle_seconds":2}')

# ---- malformed_json
raw("malformed/truncated", "csat.hotline", "malformed_json", '{"event_id":"x","type":"hotline_feedback"')
raw("malformed/array", "csat.hotline", "malformed_json", '[{"event_id":"x"}]')
raw("malformed/bare_string", "csat.hotline", "malformed_json", '"hotline_feedback"')
raw("malformed/bare_number", "csat.hotline", "malformed_json", '42')
raw("malformed/null", "csat.hotline", "malformed_json", 'null')
raw("malformed/empty", "csat.hotline", "malformed_json", '')
raw("malformed/spaces", "csat.hotline", "malformed_json", '   ')
raw("malformed/trailing_data", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"])+' x')
raw("malformed/two_objects", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"])+json.dumps(B["hotline_feedback"]))
raw("malformed/bad_inside_unknown_field", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"])[:-1]+',"extra":[1,2,}')
raw("malformed/control_char_in_string", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"]).replace("A10086-0042","A10086\t0042"))
raw("malformed/bad_escape", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"]).replace("A10086-0042","A10086\\x0042"))
raw("malformed/single_quotes", "csat.hotline", "malformed_json", "{'event_id':'x'}")
raw("malformed/trailing_comma", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"])[:-1]+',}')
raw("malformed/leading_zero", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"]).replace('"rating": 5','"rating": 05'))
raw("malformed/nan", "csat.hotline", "malformed_json", json.dumps(B["hotline_feedback"]).replace('"rating": 5','"rating": NaN'))
raw("malformed/invalid_utf8", "csat.hotline", "malformed_json", b64=json.dumps(B["hotline_feedback"]).replace("A10086-0042","A10086-\xff").encode("latin-1"))

# ---- envelope: type
case("missing/type", "hotline_feedback", "missing_field", type=DEL)
case("missing/type_null", "hotline_feedback", "missing_field", type=None)
case("invalid/type_number", "hotline_feedback", "invalid_field", type=3)
case("unknown_type/name", "hotline_feedback", "unknown_type", type="hotline")
case("unknown_type/empty", "hotline_feedback", "unknown_type", type="")
case("unknown_type/case", "hotline_feedback", "unknown_type", type="Hotline_Feedback")
case("order/unknown_type_before_version", "hotline_feedback", "unknown_type", type="call", schema_version=DEL)
# ---- wrong_topic
case("wrong_topic/survey_on_hotline", "survey_response", "wrong_topic", topic="csat.hotline")
case("wrong_topic/hotline_on_survey", "hotline_feedback", "wrong_topic", topic="csat.survey")
case("wrong_topic/base_on_churn", "subscriber_base", "wrong_topic", topic="csat.churn")
case("wrong_topic/unconfigured_topic", "churn", "wrong_topic", topic="events")
case("order/wrong_topic_before_version", "hotline_feedback", "wrong_topic", topic="csat.store", schema_version=7)
# ---- schema_version
case("missing/schema_version", "hotline_feedback", "missing_field", schema_version=DEL)
case("missing/schema_version_null", "hotline_feedback", "missing_field", schema_version=None)
case("invalid/schema_version_string", "hotline_feedback", "invalid_field", schema_version="1")
case("invalid/schema_version_fraction", "hotline_feedback", "invalid_field", schema_version=1.5)
case("invalid/schema_version_zero", "hotline_feedback", "invalid_field", schema_version=0)
case("invalid/schema_version_negative", "hotline_feedback", "invalid_field", schema_version=-1)
case("unsupported_version/2", "hotline_feedback", "unsupported_version", schema_version=2)
case("unsupported_version/2.0", "hotline_feedback", "unsupported_version", schema_version=2.0)
case("unsupported_version/huge", "hotline_feedback", "unsupported_version", schema_version=99999999999999999999999)
case("order/version_before_event_id", "hotline_feedback", "unsupported_version", schema_version=3, event_id=DEL)
case("ok/schema_version_1.0", "hotline_feedback", "ok", schema_version=1.0)
# ---- event_id
case("missing/event_id", "hotline_feedback", "missing_field", event_id=DEL)
case("missing/event_id_null", "hotline_feedback", "missing_field", event_id=None)
case("invalid/event_id_empty", "hotline_feedback", "invalid_field", event_id="")
case("invalid/event_id_129", "hotline_feedback", "invalid_field", event_id="e"*129)
case("invalid/event_id_control", "hotline_feedback", "invalid_field", event_id="ev\u0001")
case("invalid/event_id_newline", "hotline_feedback", "invalid_field", event_id="ev\n1")
case("invalid/event_id_del", "hotline_feedback", "invalid_field", event_id="ev\u007f")
case("invalid/event_id_c1", "hotline_feedback", "invalid_field", event_id="ev\u0085")
case("invalid/event_id_nbsp", "hotline_feedback", "invalid_field", event_id="ev\u00a0x")
case("invalid/event_id_number", "hotline_feedback", "invalid_field", event_id=42)
case("order/event_id_before_branch", "hotline_feedback", "missing_field", event_id=DEL, branch_id="ALL")
# ---- branch_id
case("missing/branch_id", "hotline_feedback", "missing_field", branch_id=DEL)
case("invalid/branch_all", "hotline_feedback", "invalid_field", branch_id="ALL")
case("invalid/branch_lowercase", "hotline_feedback", "invalid_field", branch_id="gd-gz")
case("invalid/branch_5_segments", "hotline_feedback", "invalid_field", branch_id="A-B-C-D-E")
case("invalid/branch_17_chars", "hotline_feedback", "invalid_field", branch_id="GD-0123456789ABCDEFG")
case("invalid/branch_empty_segment", "hotline_feedback", "invalid_field", branch_id="GD--GZ")
case("invalid/branch_trailing_dash", "hotline_feedback", "invalid_field", branch_id="GD-")
case("invalid/branch_empty", "hotline_feedback", "invalid_field", branch_id="")
case("invalid/branch_number", "hotline_feedback", "invalid_field", branch_id=44)
case("order/branch_before_time", "hotline_feedback", "invalid_field", branch_id="ALL", occurred_at="1990-01-01T00:00:00Z")
# ---- occurred_at
case("missing/occurred_at", "hotline_feedback", "missing_field", occurred_at=DEL)
case("invalid/time_space", "hotline_feedback", "invalid_field", occurred_at="2026-10-15 09:30:12+08:00")
case("invalid/time_no_offset", "hotline_feedback", "invalid_field", occurred_at="2026-10-15T09:30:12")
case("invalid/time_date_only", "hotline_feedback", "invalid_field", occurred_at="2026-10-15")
case("invalid/time_feb_30", "hotline_feedback", "invalid_field", occurred_at="2026-02-30T09:30:12+08:00")
case("invalid/time_feb_29_non_leap", "hotline_feedback", "invalid_field", occurred_at="2026-02-29T09:30:12+08:00")
case("invalid/time_hour_25", "hotline_feedback", "invalid_field", occurred_at="2026-10-15T25:30:12+08:00")
case("invalid/time_offset_no_colon", "hotline_feedback", "invalid_field", occurred_at="2026-10-15T09:30:12+0800")
case("invalid/time_empty_fraction", "hotline_feedback", "invalid_field", occurred_at="2026-10-15T09:30:12.Z")
case("invalid/time_unix_number", "hotline_feedback", "invalid_field", occurred_at=1760491812)
case("invalid/time_empty", "hotline_feedback", "invalid_field", occurred_at="")
case("out_of_range_time/1999", "hotline_feedback", "out_of_range_time", occurred_at="1999-12-31T23:59:59Z")
case("out_of_range_time/just_before_2000_utc", "hotline_feedback", "out_of_range_time", occurred_at="2000-01-01T07:59:59+08:00")
case("out_of_range_time/future", "hotline_feedback", "out_of_range_time", occurred_at="2026-11-16T00:00:01Z")
case("out_of_range_time/far_future", "hotline_feedback", "out_of_range_time", occurred_at="2099-01-01T00:00:00Z")
case("order/time_before_fields", "hotline_feedback", "out_of_range_time", occurred_at="1970-01-01T00:00:00Z", rating=DEL)
# ---- survey_response
S="survey_response"
case("missing/carrier", S, "missing_field", carrier=DEL)
case("missing/carrier_null", S, "missing_field", carrier=None)
case("invalid/carrier_upper", S, "invalid_field", carrier="CMCC")
case("invalid/carrier_33", S, "invalid_field", carrier="c"*33)
case("invalid/carrier_empty", S, "invalid_field", carrier="")
case("invalid/carrier_dash", S, "invalid_field", carrier="china-mobile")
case("invalid/carrier_number", S, "invalid_field", carrier=1)
case("invalid/wave_13", S, "invalid_field", wave="2026-13")
case("invalid/wave_compact", S, "invalid_field", wave="202610")
case("invalid/wave_year_0", S, "invalid_field", wave="0000-10")
case("invalid/wave_number", S, "invalid_field", wave=202610)
case("invalid/weight_zero", S, "invalid_field", weight=0)
case("invalid/weight_negative", S, "invalid_field", weight=-1)
case("invalid/weight_too_big", S, "invalid_field", weight=10000.5)
case("invalid/weight_string", S, "invalid_field", weight="1")
case("invalid/segment_vip", S, "invalid_field", segment="vip")
case("invalid/segment_number", S, "invalid_field", segment=1)
case("invalid/overall_0", S, "invalid_field", overall=0)
case("invalid/overall_11", S, "invalid_field", overall=11)
case("invalid/overall_fraction", S, "invalid_field", overall=7.5)
case("invalid/overall_string", S, "invalid_field", overall="8")
case("invalid/overall_bool", S, "invalid_field", overall=True)
case("invalid/items_array", S, "invalid_field", items=[8,9])
case("invalid/items_string", S, "invalid_field", items="network:8")
case("invalid/item_0", S, "invalid_field", items__network=0)
case("invalid/item_11", S, "invalid_field", items__network=11)
case("invalid/item_fraction", S, "invalid_field", items__network=7.5)
case("invalid/item_string", S, "invalid_field", items__network="8")
case("invalid/item_null", S, "invalid_field", items__network=None)
case("invalid/item_negative", S, "invalid_field", items__voice=-3)
case("unknown_item/speed", S, "unknown_item", items__speed=8)
case("unknown_item/case", S, "unknown_item", items={"Network":8})
case("unknown_item/empty_code", S, "unknown_item", overall=DEL, items={"":8})
case("order/unknown_item_before_bad_score", S, "unknown_item", items={"fiveg":8,"network":11})
case("order/bad_score_before_unknown_item", S, "invalid_field", items={"network":11,"fiveg":8})
case("missing/overall_and_items", S, "missing_field", overall=DEL, items=DEL)
case("missing/overall_and_empty_items", S, "missing_field", overall=DEL, items={})
case("missing/overall_null_items_null", S, "missing_field", overall=None, items=None)
# ---- survey_void
V="survey_void"
case("missing/target_event_id", V, "missing_field", target_event_id=DEL)
case("missing/void_reason", V, "missing_field", reason=DEL)
case("invalid/target_event_id_empty", V, "invalid_field", target_event_id="")
case("invalid/target_event_id_number", V, "invalid_field", target_event_id=5)
case("invalid/void_reason_empty", V, "invalid_field", reason="")
# ---- hotline
H="hotline_feedback"
for f in ["agent_id","rating","resolved","wait_seconds","handle_seconds"]:
    case("missing/hotline_"+f, H, "missing_field", **{f:DEL})
case("missing/hotline_rating_null", H, "missing_field", rating=None)
case("invalid/agent_id_number", H, "invalid_field", agent_id=42)
case("invalid/agent_id_empty", H, "invalid_field", agent_id="")
case("invalid/hotline_rating_0", H, "invalid_field", rating=0)
case("invalid/hotline_rating_6", H, "invalid_field", rating=6)
case("invalid/hotline_rating_fraction", H, "invalid_field", rating=4.5)
case("invalid/hotline_rating_string", H, "invalid_field", rating="5")
case("invalid/resolved_string", H, "invalid_field", resolved="yes")
case("invalid/resolved_number", H, "invalid_field", resolved=1)
case("invalid/wait_negative", H, "invalid_field", wait_seconds=-1)
case("invalid/wait_fraction", H, "invalid_field", wait_seconds=1.5)
case("invalid/wait_too_big", H, "invalid_field", wait_seconds=4294967296)
case("invalid/handle_negative", H, "invalid_field", handle_seconds=-5)
case("invalid/handle_object", H, "invalid_field", handle_seconds={"s":5})
case("ok/wait_integral_exponent", H, "ok", wait_seconds=1.2e2)
# ---- store
ST="store_feedback"
for f in ["store_id","rating","wait_seconds"]:
    case("missing/store_"+f, ST, "missing_field", **{f:DEL})
case("invalid/store_id_empty", ST, "invalid_field", store_id="")
case("invalid/staff_id_number", ST, "invalid_field", staff_id=5)
case("invalid/business_number", ST, "invalid_field", business=5)
case("invalid/store_rating_6", ST, "invalid_field", rating=6)
case("invalid/store_wait_negative", ST, "invalid_field", wait_seconds=-2)
# ---- complaint_opened
CO="complaint_opened"
for f in ["complaint_id","category","channel","escalated"]:
    case("missing/opened_"+f, CO, "missing_field", **{f:DEL})
case("invalid/opened_complaint_id_empty", CO, "invalid_field", complaint_id="")
case("invalid/category_price", CO, "invalid_field", category="price")
case("invalid/category_number", CO, "invalid_field", category=2)
case("invalid/channel_email", CO, "invalid_field", channel="email")
case("invalid/escalated_string", CO, "invalid_field", escalated="no")
# ---- complaint_closed
CC="complaint_closed"
case("missing/closed_complaint_id", CC, "missing_field", complaint_id=DEL)
case("missing/resolution_hours", CC, "missing_field", resolution_hours=DEL)
case("missing/resolution_hours_null", CC, "missing_field", resolution_hours=None)
case("invalid/resolution_hours_negative", CC, "invalid_field", resolution_hours=-0.5)
case("invalid/resolution_hours_string", CC, "invalid_field", resolution_hours="5")
case("invalid/satisfied_string", CC, "invalid_field", satisfied="yes")
case("invalid/satisfied_number", CC, "invalid_field", satisfied=1)
# ---- churn
CH="churn"
for f in ["customer_ref","tier","reason","tenure_months"]:
    case("missing/churn_"+f, CH, "missing_field", **{f:DEL})
case("invalid/customer_ref_empty", CH, "invalid_field", customer_ref="")
case("invalid/tier_vip", CH, "invalid_field", tier="vip")
case("invalid/churn_reason_moved", CH, "invalid_field", reason="moved")
case("invalid/tenure_negative", CH, "invalid_field", tenure_months=-1)
case("invalid/tenure_fraction", CH, "invalid_field", tenure_months=2.5)
case("invalid/to_carrier_number", CH, "invalid_field", to_carrier=5)
# ---- subscriber_base
SB="subscriber_base"
case("missing/base_month", SB, "missing_field", month=DEL)
case("missing/base_subscribers", SB, "missing_field", subscribers=DEL)
case("missing/base_tiers_high", SB, "missing_field", tiers__high=DEL)
case("missing/base_tiers_low_null", SB, "missing_field", tiers__low=None)
case("invalid/base_month_short", SB, "invalid_field", month="2026-1")
case("invalid/base_month_number", SB, "invalid_field", month=202610)
case("invalid/base_subscribers_negative", SB, "invalid_field", subscribers=-1)
case("invalid/base_subscribers_fraction", SB, "invalid_field", subscribers=1.5)
case("invalid/base_subscribers_too_big", SB, "invalid_field", subscribers=18446744073709551616)
case("invalid/base_tiers_sum", SB, "invalid_field", blind="high + mid + low ≤ subscribers cannot be stated in JSON Schema", subscribers=1000, tiers={"high":500,"mid":400,"low":101})
case("invalid/base_tier_negative", SB, "invalid_field", tiers__high=-1)
case("invalid/base_tier_string", SB, "invalid_field", tiers__mid="5")
case("invalid/base_tiers_array", SB, "invalid_field", tiers=[1,2,3])

# ---- version 2 attribution (SPEC §5.1)
case("ok/opened_attribution", CO, "ok", store_id="GZ-TH-0007", staff_id="S-1138", agent_id="A10086-0042", manager_id="M.07:x_y")
case("ok/opened_attribution_nulls", CO, "ok", store_id=None, staff_id=None, agent_id=None, manager_id=None)
case("invalid/opened_store_id_space", CO, "invalid_field", store_id="GZ TH")
case("invalid/opened_staff_id_65", CO, "invalid_field", staff_id="s"*65)
case("invalid/opened_agent_id_empty", CO, "invalid_field", agent_id="")
case("invalid/opened_manager_id_number", CO, "invalid_field", manager_id=7)
case("ok/churn_manager", CH, "ok", manager_id="M-0042")
case("invalid/churn_manager_slash", CH, "invalid_field", manager_id="M/42")
case("ok/churn_manager_64", CH, "ok", manager_id="m"*64)
case("invalid/churn_manager_65", CH, "invalid_field", manager_id="m"*65)
SV="survey_response"
case("ok/survey_enterprise", SV, "ok", customer_type="enterprise", manager_id="CM-GZ-1", store_id="GZ-TH-0007")
case("ok/survey_consumer_nulls", SV, "ok", customer_type="consumer", manager_id=None, store_id=None)
case("invalid/survey_customer_type_vip", SV, "invalid_field", customer_type="vip")
case("invalid/survey_customer_type_number", SV, "invalid_field", customer_type=1)
case("invalid/survey_manager_id_space", SV, "invalid_field", manager_id="CM GZ")
case("invalid/survey_store_id_65", SV, "invalid_field", store_id="s"*65)
case("invalid/survey_store_id_empty", SV, "invalid_field", store_id="")
# ---- inspection
IN="inspection"
for f in ["store_id","kind","published_by","score"]:
    case("missing/inspection_"+f, IN, "missing_field", **{f:DEL})
case("missing/inspection_score_null", IN, "missing_field", score=None)
case("ok/inspection_no_staff", IN, "ok", staff_id=DEL, kind="patrol", published_by="city", score=0)
case("ok/inspection_score_100", IN, "ok", score=100)
case("invalid/inspection_kind_audit", IN, "invalid_field", kind="audit")
case("invalid/inspection_published_by_county", IN, "invalid_field", published_by="county")
case("invalid/inspection_score_negative", IN, "invalid_field", score=-0.5)
case("invalid/inspection_score_101", IN, "invalid_field", score=100.01)
case("invalid/inspection_score_string", IN, "invalid_field", score="90")
case("invalid/inspection_store_id_bad", IN, "invalid_field", store_id="店-1")
case("invalid/inspection_staff_id_bad", IN, "invalid_field", staff_id="")
case("wrong_topic/inspection_on_assessment", IN, "wrong_topic", topic="csat.assessment")
case("missing/inspection_kind_null", IN, "missing_field", kind=None)
case("invalid/inspection_kind_upper", IN, "invalid_field", kind="Mystery")
case("invalid/inspection_published_by_number", IN, "invalid_field", published_by=1)
case("invalid/inspection_store_id_65", IN, "invalid_field", store_id="s"*65)
case("invalid/inspection_staff_id_slash", IN, "invalid_field", staff_id="S/1138")
case("ok/inspection_ids_punctuation", IN, "ok", store_id="GZ.TH:0007_a-b", staff_id="S.1:2_3-4")
# ---- score_reported
SR="score_reported"
for f in ["subject","component","period","value"]:
    case("missing/score_"+f, SR, "missing_field", **{f:DEL})
for k in ["staff:S-1138","agent:A10086-0042","manager:M-7","branch:GD-GZ"]:
    case("ok/score_subject_"+k.split(":")[0], SR, "ok", subject=k)
case("ok/score_value_negative", SR, "ok", value=-12.25)
case("invalid/score_subject_unknown_kind", SR, "invalid_field", subject="clerk:S-1138")
case("invalid/score_subject_no_colon", SR, "invalid_field", subject="S-1138")
case("invalid/score_subject_empty_id", SR, "invalid_field", subject="store:")
case("invalid/score_subject_branch_all", SR, "invalid_field", subject="branch:ALL")
case("invalid/score_subject_branch_lower", SR, "invalid_field", subject="branch:gd")
case("invalid/score_subject_number", SR, "invalid_field", subject=5)
case("invalid/score_component_upper", SR, "invalid_field", component="Sales")
case("invalid/score_component_33", SR, "invalid_field", component="c"*33)
case("invalid/score_period_13", SR, "invalid_field", period="2026-13")
case("invalid/score_value_string", SR, "invalid_field", value="5")
case("wrong_topic/score_on_store", SR, "wrong_topic", topic="csat.store")
case("invalid/score_subject_id_space", SR, "invalid_field", subject="store:GZ TH")
case("invalid/score_subject_id_65", SR, "invalid_field", subject="staff:"+"s"*65)
case("ok/score_subject_id_64", SR, "ok", subject="staff:"+"s"*64)
case("invalid/score_subject_upper_kind", SR, "invalid_field", subject="Store:GZ-TH-0007")
case("invalid/score_period_quarter", SR, "invalid_field", period="2026-Q4")
case("invalid/score_period_number", SR, "invalid_field", period=202610)
case("invalid/score_period_short", SR, "invalid_field", period="2026-1")
case("invalid/score_component_empty", SR, "invalid_field", component="")
case("missing/score_value_null", SR, "missing_field", value=None)
# ---- adjustment
AD="adjustment"
for f in ["subject","period","points","reason"]:
    case("missing/adjustment_"+f, AD, "missing_field", **{f:DEL})
case("ok/adjustment_no_ref", AD, "ok", ref=DEL, points=100)
case("ok/adjustment_min", AD, "ok", points=-100, subject="branch:GD")
case("invalid/adjustment_reason_empty", AD, "invalid_field", reason="")
case("invalid/adjustment_points_101", AD, "invalid_field", points=101)
case("invalid/adjustment_points_minus_101", AD, "invalid_field", points=-100.5)
case("invalid/adjustment_points_string", AD, "invalid_field", points="1")
case("invalid/adjustment_subject_kind", AD, "invalid_field", subject="region:GD")
case("invalid/adjustment_ref_number", AD, "invalid_field", ref=5)
case("missing/adjustment_reason_null", AD, "missing_field", reason=None)
case("invalid/adjustment_reason_number", AD, "invalid_field", reason=5)
case("invalid/adjustment_period_bad", AD, "invalid_field", period="2026-00")
case("invalid/adjustment_subject_id_bad", AD, "invalid_field", subject="staff:S 1138")
case("invalid/adjustment_subject_branch_bad", AD, "invalid_field", subject="branch:GD-")
case("ok/adjustment_fraction", AD, "ok", points=-0.5)
# ---- adjustment_void
AV="adjustment_void"
case("missing/adjustment_void_target", AV, "missing_field", target_event_id=DEL)
case("missing/adjustment_void_reason", AV, "missing_field", reason=DEL)
case("invalid/adjustment_void_reason_empty", AV, "invalid_field", reason="")
case("invalid/adjustment_void_target_empty", AV, "invalid_field", target_event_id="")
case("invalid/adjustment_void_target_number", AV, "invalid_field", target_event_id=5)
case("wrong_topic/adjustment_void_on_survey", AV, "wrong_topic", topic="csat.survey")

# too_large
r=copy.deepcopy(B["hotline_feedback"]); r["padding"]="x"*70000
rows.append({"name":"too_large/padding","topic":"csat.hotline","want":"too_large","event":r}); names.add("too_large/padding")
r=copy.deepcopy(B["hotline_feedback"]); r["padding"]="x"*(65536-len(json.dumps(r,separators=(",",":")))-len(',"padding":""'))
assert len(json.dumps(r,separators=(",",":")))==65536
rows.append({"name":"ok/exactly_64KiB","topic":"csat.hotline","want":"ok","event":r}); names.add("ok/exactly_64KiB")
raw("too_large/malformed_and_large", "csat.hotline", "too_large", "["*70000)

with open(OUT,"w") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False, separators=(",",":"))+"\n")
print(len(rows))
