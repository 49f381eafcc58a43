package aggregate

import (
	"fmt"
	"maps"
	"strings"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// The front-line recompute as it was before its cost was cut (one argMaxIf by a (time,
// event_id) tuple per placement column, in every arm and again over the union):
// TestFrontlineMatchesReference checks that the current SQL gives the same rows.

// frontlineColsRef are the columns of every arm of frontlineSQL's union, with the zero each arm
// that does not set one gives it: one event's contribution to one unit.
var frontlineColsRef = []struct{ name, zero string }{
	{"kind", "''"}, {"uid", "''"}, {"eb", "''"}, {"at", ""}, {"eid", "''"}, {"place", "toUInt8(0)"},
	{"sid", "''"}, {"n", "toUInt64(0)"}, {"sat", "toUInt64(0)"}, {"dis", "toUInt64(0)"},
	{"wait", "toUInt64(0)"}, {"res", "toUInt64(0)"}, {"sl", "toUInt64(0)"}, {"hdl", "toUInt64(0)"},
	{"comp", "toUInt64(0)"}, {"chn", "toUInt64(0)"}, {"ipn", "toUInt64(0)"}, {"ips", "toFloat64(0)"},
	{"icn", "toUInt64(0)"}, {"ics", "toFloat64(0)"}, {"sn", "toUInt64(0)"}, {"sw", "toFloat64(0)"},
	{"sw2", "toFloat64(0)"}, {"swy", "toFloat64(0)"}, {"swy2", "toFloat64(0)"},
}

// frontlineAgg is the aggregate of column c of frontlineColsRef over rows of one unit: the
// placement columns from the latest placing row (by (at, eid); place = 1), place their max,
// the counts their sum.
func frontlineAggRef(c string) string {
	switch c {
	case "eb", "eid", "sid":
		return "argMaxIf(" + c + ", tuple(at, eid), place = 1)"
	case "at":
		return "maxIf(at, place = 1)"
	case "place":
		return "max(place)"
	}
	return "sum(" + c + ")"
}

// frontlineArm is one arm of frontlineSQL's union: the expressions set (by column name) over
// from, every other column its zero, already aggregated per unit (kind, uid) with frontlineAgg
// (an arm's rows are one per event and unit; summed first, the union carries one row per arm
// and unit). kind, uid, eb, at, eid and place must be set.
func frontlineArmRef(set map[string]string, from string) string {
	exprs := make([]string, len(frontlineColsRef))
	aggs := []string{"kind", "uid"}
	outs := []string{"kind", "uid"}
	for i, c := range frontlineColsRef {
		e, ok := set[c.name]
		if !ok {
			e = c.zero
		}
		exprs[i] = e + " AS " + c.name
		if c.name != "kind" && c.name != "uid" {
			aggs = append(aggs, frontlineAggRef(c.name)+" AS x_"+c.name)
			outs = append(outs, "x_"+c.name+" AS "+c.name)
		}
	}
	return "SELECT " + strings.Join(outs, ", ") + " FROM (SELECT " + strings.Join(aggs, ", ") + " FROM (SELECT " +
		strings.Join(exprs, ", ") + " FROM " + from + ") GROUP BY kind, uid)"
}

// frontlineSQL is kpi_frontline for month m (SPEC §5.2, §5.5): per unit, the events of the month
// that name it, each event_id once. An event names units through its id columns; an ARRAY JOIN
// over (kind, id, places) emits one row per unit named, and the final GROUP BY sums them per
// unit, placing it by its latest placing event (argMax by (occurred_at, event_id); a complaint
// places a store but not a staff member, agent or manager; an inspection places a store only).
// Manager interviews: the per-response composite y of SPEC §3.3 over the answered catalog
// items, for the not-voided responses naming a manager that answered at least one item.
func (g sqlGen) frontlineSQLRef(m schema.Month, v uint64) string {
	units := func(pairs ...string) string { // "('store', t.4, toUInt8(1))", …
		return "arrayFilter(x -> x.2 != '', [" + strings.Join(pairs, ", ") + "]) AS u"
	}
	env := map[string]string{"kind": "u.1", "uid": "u.2", "eb": "t.1", "at": "t.2", "eid": "t.3", "place": "u.3"}
	with := func(extra map[string]string) map[string]string {
		out := maps.Clone(env)
		maps.Copy(out, extra)
		return out
	}
	const sfCols = "branch_id, occurred_at, event_id, store_id, staff_id, rating, wait_seconds"
	arms := []string{
		// store_feedback: the store and the staff member rated; both placed by it.
		frontlineArmRef(with(map[string]string{"sid": "if(u.1 = 'staff', t.4, '')", "n": "toUInt64(1)",
			"sat": "toUInt64(t.6 >= 4)", "dis": "toUInt64(t.6 <= 2)", "wait": "toUInt64(t.7)"}),
			g.dedup(store.StoreFeedback.Name(), m, sfCols, "")+" ARRAY JOIN "+units("('store', t.4, toUInt8(1))", "('staff', t.5, toUInt8(1))")),
		// hotline_feedback: the agent.
		frontlineArmRef(with(map[string]string{"kind": "'agent'", "uid": "t.4", "place": "toUInt8(1)", "n": "toUInt64(1)",
			"sat": "toUInt64(t.5 >= 4)", "dis": "toUInt64(t.5 <= 2)", "res": "toUInt64(t.6 != 0)", "wait": "toUInt64(t.7)",
			"sl": "toUInt64(t.7 <= 20)", "hdl": "toUInt64(t.8)"}),
			g.dedup(store.HotlineFeedback.Name(), m, "branch_id, occurred_at, event_id, agent_id, rating, resolved, wait_seconds, handle_seconds", " AND agent_id != ''")),
		// complaint_opened: every unit it names; it places a store only.
		frontlineArmRef(with(map[string]string{"comp": "toUInt64(1)"}),
			g.dedup(store.ComplaintsOpened.Name(), m, "branch_id, occurred_at, event_id, store_id, staff_id, agent_id, manager_id",
				" AND (store_id != '' OR staff_id != '' OR agent_id != '' OR manager_id != '')")+" ARRAY JOIN "+
				units("('store', t.4, toUInt8(1))", "('staff', t.5, toUInt8(0))", "('agent', t.6, toUInt8(0))", "('manager', t.7, toUInt8(0))")),
		// inspection: the store (placed by it) and the staff member it names.
		frontlineArmRef(with(map[string]string{"ipn": "toUInt64(t.6 = 'province')", "ips": "if(t.6 = 'province', t.7, toFloat64(0))",
			"icn": "toUInt64(t.6 = 'city')", "ics": "if(t.6 = 'city', t.7, toFloat64(0))"}),
			g.dedup(store.Inspections.Name(), m, "branch_id, occurred_at, event_id, store_id, staff_id, published_by, score", "")+" ARRAY JOIN "+
				units("('store', t.4, toUInt8(1))", "('staff', t.5, toUInt8(0))")),
		// churn: the customer manager.
		frontlineArmRef(with(map[string]string{"kind": "'manager'", "uid": "t.4", "place": "toUInt8(0)", "chn": "toUInt64(1)"}),
			g.dedup(store.ChurnEvents.Name(), m, "branch_id, occurred_at, event_id, manager_id", " AND manager_id != ''")),
		// survey_response naming a manager: places them; its composite y when it answered an item.
		frontlineArmRef(map[string]string{"kind": "'manager'", "uid": "mid", "eb": "eb", "at": "at", "eid": "eid", "place": "toUInt8(1)",
			"sn": "toUInt64(has)", "sw": "w * has", "sw2": "w * w * has", "swy": "w * y * has", "swy2": "w * y * y * has"},
			"("+g.managerResponses(m)+")"),
	}
	return fmt.Sprintf(`SELECT toUInt32(%d) AS month, toUInt64(%d) AS version, kind, uid AS unit_id,
  argMaxIf(eb, tuple(at, eid), place = 1) AS branch_id, maxIf(at, place = 1) AS placed_at,
  argMaxIf(eid, tuple(at, eid), place = 1) AS placed_by, argMaxIf(sid, tuple(at, eid), place = 1) AS store_id,
  sum(n) AS n, sum(sat) AS satisfied, sum(dis) AS dissatisfied, sum(wait) AS wait_sum, sum(res) AS resolved,
  sum(sl) AS sl20, sum(hdl) AS handle_sum, sum(comp) AS complaints, sum(chn) AS churned,
  sum(ipn) AS insp_province_n, sum(ips) AS insp_province_sum, sum(icn) AS insp_city_n, sum(ics) AS insp_city_sum,
  sum(sn) AS survey_n, sum(sw) AS sw, sum(sw2) AS sw2, sum(swy) AS swy, sum(swy2) AS swy2
FROM (
  %s
)
GROUP BY kind, uid`, uint32(m), v, strings.Join(arms, "\n  UNION ALL\n  "))
}
