package kpi_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func parseSchemes(t *testing.T, y string) *kpi.FrontlineSchemes {
	t.Helper()
	fs, err := kpi.ParseFrontlineSchemes([]byte(y), schema.DefaultCatalog())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return fs
}

func scheme(t *testing.T, fs *kpi.FrontlineSchemes, kind, role string) *kpi.Scheme {
	t.Helper()
	s, err := fs.For(kind, role)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFrontlinePresetNormalised checks the shipped schemes' normalisation (SPEC §5.5): the
// seed's 30/40/30/10 clerk scheme sums to 110, so each part is scaled by 100/110 —
// 30·100/110 = 27.2727…, 40·100/110 = 36.3636…, 9.0909… — and a sub-item of 10 in the part of
// 30 becomes 10·27.2727/30 = 9.0909…; the 一线员工 scheme's 业绩考评 70 whose parts sum to 60:
// 任务完成业绩 40·70/60 = 46.667, 10·70/60 = 11.667; the store team's service 20 in equal thirds
// (weights 1, 1, 1: 20/3 each, no warning). The other schemes sum to their totals: no warning.
func TestFrontlinePresetNormalised(t *testing.T) {
	fs, err := kpi.FrontlinePreset(kpi.DefaultFrontlinePreset, schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	q := scheme(t, fs, kpi.UnitStaff, "clerk_quarterly")
	wantParts := []float64{3000.0 / 110, 4000.0 / 110, 3000.0 / 110, 1000.0 / 110}
	for i, p := range q.Parts {
		if !near(p.Points, wantParts[i]) {
			t.Errorf("clerk_quarterly part %s: %v, want %v", p.Name, p.Points, wantParts[i])
		}
	}
	if got := q.Parts[0].Components[0].Points; !near(got, 1000.0/110) {
		t.Errorf("工作态度和精神状态: %v, want 9.0909", got)
	}
	if got := q.Parts[3].Components[0].Points; !near(got, 500.0/110) {
		t.Errorf("培训参与情况和成绩: %v, want 4.5454", got)
	}
	if len(q.Warnings) != 1 || !strings.Contains(q.Warnings[0], "clerk_quarterly") || !strings.Contains(q.Warnings[0], "sum to 110, not 100") {
		t.Errorf("clerk_quarterly warnings %q", q.Warnings)
	}
	h := scheme(t, fs, kpi.UnitStaff, "clerk_half_year")
	if got := h.Parts[1].Components[0].Points; !near(got, 40.0*70/60) {
		t.Errorf("任务完成业绩: %v, want 46.667", got)
	}
	if got := h.Parts[1].Components[1].Points; !near(got, 10.0*70/60) {
		t.Errorf("工作职责: %v, want 11.667", got)
	}
	if len(h.Warnings) != 1 || !strings.Contains(h.Warnings[0], "part performance") || !strings.Contains(h.Warnings[0], "sum to 60, not 70") {
		t.Errorf("clerk_half_year warnings %q", h.Warnings)
	}
	st := scheme(t, fs, kpi.UnitStore, "")
	wantStore := []float64{20, 40, 20, 10, 10}
	for i, p := range st.Parts {
		if p.Points != wantStore[i] {
			t.Errorf("store_team part %s: %v, want %v", p.Name, p.Points, wantStore[i])
		}
	}
	for _, c := range st.Parts[0].Components {
		if !near(c.Points, 20.0/3) {
			t.Errorf("service component %s: %v, want 6.667", c.Component, c.Points)
		}
	}
	for _, s := range fs.Schemes {
		if s.Name != "clerk_quarterly" && s.Name != "clerk_half_year" && len(s.Warnings) != 0 {
			t.Errorf("scheme %s warns %q", s.Name, s.Warnings)
		}
	}
	if d := scheme(t, fs, kpi.UnitStaff, ""); d.Name != "clerk" || d.Parts[0].Points != 20 || d.Parts[1].Points != 80 {
		t.Errorf("default staff scheme %s %+v", d.Name, d.Parts)
	}
	if d := scheme(t, fs, kpi.UnitStaff, "duty_manager"); d.Parts[0].Points != 50 || d.Parts[1].Points != 50 {
		t.Errorf("duty_manager parts %+v", d.Parts)
	}
	if _, err := parseSchemes(t, clerkYAML).For(kpi.UnitAgent, ""); !errors.Is(err, kpi.ErrNoScheme) {
		t.Errorf("no agent scheme: %v", err)
	}
	if r, ok := fs.Role("值班长"); !ok || r != "duty_manager" {
		t.Errorf("值班长 → %q %v", r, ok)
	}
	// Scored at every component's best (scores 100, satisfaction 100 reportable, no
	// complaints), the 110 % scheme reaches 100, not 110: 27.27 + 36.36 + 27.27 + 9.09.
	card := &kpi.UnitCard{Satisfaction: kpi.Value{Value: fp(100), N: 50, Reportable: true}}
	scores := map[string]float64{}
	for _, p := range q.Parts {
		for _, c := range p.Components {
			if c.Source == kpi.SourceScore {
				scores[c.Metric] = 100
			}
		}
	}
	r := q.Evaluate(kpi.SchemeInput{Kind: "staff", Unit: "E1", Period: month(oct),
		Months: map[schema.Month]kpi.SchemeMonth{oct: {Card: card, Scores: scores}}})
	if !near(r.Total, 100) || r.Max != 100 || len(r.Warnings) != 1 {
		t.Errorf("clerk_quarterly at best: total %v max %v warnings %q", r.Total, r.Max, r.Warnings)
	}
}

const oct, nov = schema.Month(202610), schema.Month(202611)

func month(m schema.Month) kpi.Period {
	return kpi.Period{Name: m.String(), Months: []kpi.PeriodMonth{{Month: m, Weight: 1}}}
}

// TestSchemeScaleAndTargets checks a component's points function: a scale (min 60, max 100,
// 10 points): v 50 → 0 (clamped), 60 → 0, 80 → 10·20/40 = 5, 100 → 10, 120 → 10 (clamped);
// lower-is-better (min 0, max 3): 0 → 10, 1.5 → 10·(3−1.5)/3 = 5, 3 → 0, 5 → 0. Targets
// (SPEC §3.10, β 0.6; base 80, challenge 100, floor 40, 10 points): 100 → 10; 90 →
// 10·(0.6 + 0.4·10/20) = 8; 80 → 6; 60 → 10·0.6·20/40 = 3; 30 → 0; lower (avg_wait: base 30,
// challenge 15, floor 90, 15 points): 10 → 15; 22.5 → 15·(0.6 + 0.4·7.5/15) = 12; 30 → 9;
// 60 → 15·0.6·30/60 = 4.5; 100 → 0.
func TestSchemeScaleAndTargets(t *testing.T) {
	fs := parseSchemes(t, `
schemes:
  - name: a
    unit: agent
    parts:
      - name: p
        points: 100
        components:
          - {metric: satisfaction, points: 10, scale: {min: 60, max: 100}}
          - {metric: complaints, points: 10, scale: {min: 0, max: 3}}
          - {metric: fcr, points: 10, base: 80, challenge: 100, floor: 40}
          - {metric: avg_wait, points: 15, base: 30, challenge: 15, floor: 90}
          - {metric: score:x, points: 55, scale: {min: 0, max: 1}}
`)
	cs := scheme(t, fs, "agent", "").Parts[0].Components
	cases := []struct {
		c    int
		v    float64
		want float64
	}{
		{0, 50, 0}, {0, 60, 0}, {0, 80, 5}, {0, 100, 10}, {0, 120, 10},
		{1, 0, 10}, {1, 1.5, 5}, {1, 3, 0}, {1, 5, 0},
		{2, 100, 10}, {2, 90, 8}, {2, 80, 6}, {2, 60, 3}, {2, 30, 0},
		{3, 10, 15}, {3, 22.5, 12}, {3, 30, 9}, {3, 60, 4.5}, {3, 100, 0},
	}
	for _, tc := range cases {
		if got := cs[tc.c].Score(tc.v); !near(got, tc.want) {
			t.Errorf("%s(%v) = %v, want %v", cs[tc.c].Component, tc.v, got, tc.want)
		}
	}
	if cs[1].Direction != kpi.Lower || cs[3].Direction != kpi.Lower || cs[0].Direction != kpi.Higher {
		t.Errorf("default directions %s %s %s", cs[0].Direction, cs[1].Direction, cs[3].Direction)
	}
}

const clerkYAML = `
schemes:
  - name: store_s
    unit: store
    parts:
      - name: all
        points: 100
        components:
          - {metric: "score:ops", weight: 1, scale: {min: 0, max: 100}}
  - name: clerk
    unit: staff
    role: clerk
    aliases: [营业员]
    parts:
      - name: team
        points: 20
        components:
          - {metric: "team:score", points: 10, scale: {min: 0, max: 100}}
          - {metric: "team:satisfaction", points: 10, scale: {min: 50, max: 100}}
      - name: personal
        points: 80
        components:
          - {metric: satisfaction, points: 40, scale: {min: 60, max: 100}}
          - {metric: complaints, points: 20, scale: {min: 0, max: 4}}
          - {metric: "score:sales", points: 10, base: 80, challenge: 100, floor: 40}
          - {metric: inspection.city, points: 10, scale: {min: 0, max: 100}}
  - name: duty
    unit: staff
    role: duty_manager
    aliases: [值班长]
    parts:
      - {name: team, points: 100, components: [{metric: "team:score", weight: 1, scale: {min: 0, max: 100}}]}
periods:
  autumn:
    - {month: 2026-10, weight: 1}
    - {month: 2026-11, weight: 3}
`

// TestSchemeEvaluate scores a clerk over a named period of two months, October (weight 1)
// and November (weight 3), by hand:
//
//	team:score (the store's adjusted total 85.5, scored once): 10·85.5/100 = 8.55
//	team:satisfaction (the store's: Oct 90, Nov 80; scale 50–100, 10 points):
//	    Oct 10·40/50 = 8, Nov 10·30/50 = 6 → (1·8 + 3·6)/4 = 6.5; value (90 + 3·80)/4 = 82.5
//	team part 8.55 + 6.5 = 15.05
//	satisfaction (Oct 75 reportable; Nov 50 of n 10, unreportable, smoothed 70 stands in;
//	    scale 60–100, 40 points): Oct 40·15/40 = 15, Nov 40·10/40 = 10 → (15 + 30)/4 = 11.25;
//	    value (75 + 3·70)/4 = 71.25; flagged
//	complaints (Oct 1, Nov 3; lower, scale 0–4, 20 points): Oct 20·3/4 = 15, Nov 20·1/4 = 5
//	    → (15 + 15)/4 = 7.5; value (1 + 9)/4 = 2.5
//	score:sales (Oct 90, none in Nov: the period's value is the weight-average of the months
//	    present, 90; targets base 80, challenge 100, floor 40, β 0.6): 10·(0.6 + 0.4·10/20) = 8
//	inspection.city (no inspection either month): 0, flagged missing
//	personal part 11.25 + 7.5 + 8 + 0 = 26.75; total 15.05 + 26.75 = 41.8
//	adjustments +3 (Oct) and −2 (Nov), unweighted: adjusted total 42.8
func TestSchemeEvaluate(t *testing.T) {
	fs := parseSchemes(t, clerkYAML)
	p, err := fs.Period("autumn")
	if err != nil {
		t.Fatal(err)
	}
	s := scheme(t, fs, kpi.UnitStaff, "")
	in := kpi.SchemeInput{Kind: "staff", Unit: "E1", Role: "clerk", Branch: "GD-GZ", Store: "S1", Period: p,
		Months: map[schema.Month]kpi.SchemeMonth{
			oct: {
				Card: &kpi.UnitCard{Satisfaction: kpi.Value{Value: fp(75), N: 40, Reportable: true}, Complaints: 1,
					Inspection: &kpi.Inspections{}},
				Team:   &kpi.UnitCard{Satisfaction: kpi.Value{Value: fp(90), N: 300, Reportable: true}},
				Scores: map[string]float64{"sales": 90},
			},
			nov: {
				Card: &kpi.UnitCard{Satisfaction: kpi.Value{Value: fp(50), N: 10, Smoothed: &kpi.Smoothed{Value: fp(70)}}, Complaints: 3,
					Inspection: &kpi.Inspections{}},
				Team: &kpi.UnitCard{Satisfaction: kpi.Value{Value: fp(80), N: 250, Reportable: true}},
			},
		},
		TeamScore: fp(85.5),
		Adjustments: []kpi.Adjustment{
			{EventID: "a2", Period: nov, Points: -2, Reason: "complaint escalated"},
			{EventID: "a1", Period: oct, Points: 3, Reason: "praise letter", Ref: "L-1"},
		},
	}
	r := s.Evaluate(in)
	type want struct {
		points, value float64
		flagged       bool
	}
	wants := map[string]want{
		"team:score":        {8.55, 85.5, false},
		"team:satisfaction": {6.5, 82.5, false},
		"satisfaction":      {11.25, 71.25, true},
		"complaints":        {7.5, 2.5, false},
		"score:sales":       {8, 90, false},
		"inspection.city":   {0, math.NaN(), true},
	}
	for _, part := range r.Parts {
		for _, c := range part.Components {
			w, ok := wants[c.Component]
			if !ok {
				t.Errorf("unexpected component %s", c.Component)
				continue
			}
			if !near(c.Points, w.points) || c.Flagged != w.flagged ||
				(math.IsNaN(w.value) != (c.Value == nil)) || (c.Value != nil && !near(*c.Value, w.value)) {
				t.Errorf("%s: points %v value %s flagged %v (%s), want %v %v %v", c.Component, c.Points, fmtp(c.Value), c.Flagged, c.Reason, w.points, w.value, w.flagged)
			}
		}
	}
	if c := r.Parts[1].Components[0]; c.Reason != "2026-11: unreportable (n 10): scored by its smoothed value" {
		t.Errorf("satisfaction reason %q", c.Reason)
	}
	if c := r.Parts[1].Components[3]; c.Reason != "2026-10: missing; 2026-11: missing" {
		t.Errorf("inspection.city reason %q", c.Reason)
	}
	if !near(r.Parts[0].Points, 15.05) || !near(r.Parts[1].Points, 26.75) || !near(r.Total, 41.8) || r.Max != 100 {
		t.Errorf("parts %v %v, total %v max %v; want 15.05, 26.75, 41.8, 100", r.Parts[0].Points, r.Parts[1].Points, r.Total, r.Max)
	}
	if len(r.Adjustments) != 2 || r.Adjustments[0].EventID != "a1" || r.Adjustments[1].EventID != "a2" || !near(r.AdjustedTotal, 42.8) {
		t.Errorf("adjustments %+v, adjusted total %v; want a1, a2, 42.8", r.Adjustments, r.AdjustedTotal)
	}
	if r.Scheme != "clerk" || r.Role != "clerk" || r.Period != "autumn" || r.Parts[0].Weight != 20 || len(r.Warnings) != 0 {
		t.Errorf("header %+v", r)
	}
	// The JSON shape the API serves.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"kind", "unit", "period", "scheme", "role", "total", "max", "parts", "adjustments", "adjusted_total", "warnings"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	part := got["parts"].([]any)[1].(map[string]any)
	comp := part["components"].([]any)[3].(map[string]any)
	for _, k := range []string{"name", "weight", "points", "components"} {
		if _, ok := part[k]; !ok {
			t.Errorf("part JSON lacks %q", k)
		}
	}
	for _, k := range []string{"component", "value", "points", "max", "flagged", "reason"} {
		if _, ok := comp[k]; !ok {
			t.Errorf("component JSON lacks %q", k)
		}
	}
	adj := got["adjustments"].([]any)[0].(map[string]any)
	if adj["event_id"] != "a1" || adj["period"] != "2026-10" || adj["points"] != 3.0 || adj["reason"] != "praise letter" || adj["ref"] != "L-1" {
		t.Errorf("adjustment JSON %v", adj)
	}

	// A month with no score at all and no store: score:sales and team:score are missing.
	r = s.Evaluate(kpi.SchemeInput{Kind: "staff", Unit: "E2", Period: month(nov),
		Months: map[schema.Month]kpi.SchemeMonth{nov: {Card: &kpi.UnitCard{}}}})
	for _, part := range r.Parts {
		for _, c := range part.Components {
			wantFlag := c.Component != "complaints" // 0 complaints is a value: 20 points
			if c.Flagged != wantFlag {
				t.Errorf("empty month: %s flagged %v (%s)", c.Component, c.Flagged, c.Reason)
			}
		}
	}
	if r.Total != 20 {
		t.Errorf("empty month total %v, want 20 (complaints 0 → all 20 points)", r.Total)
	}
}

// TestSchemeUnreportableWithoutSmoothed: a mean (avg_wait) has no smoothed value; unreportable,
// it scores 0 and is flagged, and its value is not shown as scored. An agent's avg_wait of 12 s
// from 5 ratings (CSAT_MIN_SAMPLE 30): 0 points. Its satisfaction of 80 from the same 5 ratings
// scores its smoothed 72. The scheme's one part declares 45 points of 100: scaled by 100/45 and
// warned, satisfaction's 30 becomes 30·100/45 = 66.667, scoring 66.667·(72−60)/40 = 20.
func TestSchemeUnreportableWithoutSmoothed(t *testing.T) {
	fs := parseSchemes(t, `
schemes:
  - name: a
    unit: agent
    parts:
      - name: p
        points: 45
        components:
          - {metric: avg_wait, points: 15, base: 30, challenge: 15, floor: 90}
          - {metric: satisfaction, points: 30, scale: {min: 60, max: 100}}
`)
	card := &kpi.UnitCard{AvgWait: kpi.Value{Value: fp(12), N: 5},
		Satisfaction: kpi.Value{Value: fp(80), N: 5, Smoothed: &kpi.Smoothed{Value: fp(72)}}}
	r := scheme(t, fs, "agent", "").Evaluate(kpi.SchemeInput{Kind: "agent", Unit: "A1", Period: month(oct),
		Months: map[schema.Month]kpi.SchemeMonth{oct: {Card: card}}})
	w, s := r.Parts[0].Components[0], r.Parts[0].Components[1]
	if w.Points != 0 || !w.Flagged || w.Value != nil || w.Reason != "unreportable (n 5), no smoothed value: scored 0" {
		t.Errorf("avg_wait %+v", w)
	}
	if !near(s.Points, 20) || !s.Flagged || *s.Value != 72 {
		t.Errorf("satisfaction %+v, want 20 points from smoothed 72", s)
	}
	if r.Max != 100 || !near(r.Total, 20) {
		t.Errorf("total %v max %v", r.Total, r.Max)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "scheme a:") || !near(s.Max, 200.0/3) {
		t.Errorf("warnings %q, satisfaction max %v", r.Warnings, s.Max)
	}
}

// TestSchemeFileErrors: bad scheme files are refused with an error naming the scheme, the
// part, the component and the field.
func TestSchemeFileErrors(t *testing.T) {
	base := func(comp string) string {
		return "schemes:\n  - name: s\n    unit: store\n    parts:\n      - name: p\n        points: 100\n        components:\n          - " + comp + "\n"
	}
	cases := []struct{ name, file, want string }{
		{"unknown metric", base(`{metric: happiness, weight: 1, scale: {min: 0, max: 1}}`), `scheme "s": part "p", component 1 (happiness): metric "happiness": not a store metric`},
		{"agent metric on a store", base(`{metric: fcr, weight: 1, scale: {min: 0, max: 1}}`), `metric "fcr": not a store metric`},
		{"bad score name", base(`{metric: "score:Sales!", weight: 1, scale: {min: 0, max: 1}}`), `a score_reported component is 1–32 characters`},
		{"team:score of a store", base(`{metric: "team:score", weight: 1, scale: {min: 0, max: 1}}`), `team score for staff only`},
		{"unknown branch metric", base(`{metric: "team:happiness", weight: 1, scale: {min: 0, max: 1}}`), `a store scheme's team values are its branch's (a metric of SPEC §4): metric "happiness": unknown metric name`},
		{"no scale or targets", base(`{metric: satisfaction, weight: 1}`), `scale or targets (base, challenge, floor): missing`},
		{"both", base(`{metric: satisfaction, weight: 1, scale: {min: 0, max: 1}, base: 1, challenge: 2, floor: 0}`), `give one`},
		{"partial targets", base(`{metric: satisfaction, weight: 1, base: 1}`), `base, challenge and floor are required together`},
		{"bad scale", base(`{metric: satisfaction, weight: 1, scale: {min: 5, max: 5}}`), `want finite min < max`},
		{"targets out of order", base(`{metric: satisfaction, weight: 1, base: 90, challenge: 80, floor: 60}`), `want floor ≤ base ≤ challenge`},
		{"no weight", base(`{metric: satisfaction, scale: {min: 0, max: 1}}`), `scheme "s": part "p": component 1 (satisfaction): points or weight: missing`},
		{"negative weight", base(`{metric: satisfaction, weight: -1, scale: {min: 0, max: 1}}`), `component 1 (satisfaction): weight -1: want a number > 0`},
		{"bad direction", base(`{metric: satisfaction, weight: 1, direction: up, scale: {min: 0, max: 1}}`), `direction "up"`},
		{"unknown field", base(`{metric: satisfaction, weigth: 1, scale: {min: 0, max: 1}}`), `field weigth not found`},
		{"bad unit", "schemes:\n  - {name: s, unit: clerk, parts: []}\n", `scheme "s": unit "clerk"`},
		{"staff without role", "schemes:\n  - {name: s, unit: staff, parts: []}\n", `a staff scheme names its role`},
		{"mixed siblings", "schemes:\n  - name: s\n    unit: store\n    parts:\n      - {name: a, points: 50, components: [{metric: satisfaction, weight: 1, scale: {min: 0, max: 1}}]}\n      - {name: b, weight: 1, components: [{metric: satisfaction, weight: 1, scale: {min: 0, max: 1}}]}\n", `scheme "s": siblings mix points and weight`},
		{"two store schemes", base(`{metric: satisfaction, weight: 1, scale: {min: 0, max: 1}}`) + "  - name: t\n    unit: store\n    parts:\n      - {name: p, points: 100, components: [{metric: complaints, weight: 1, scale: {min: 0, max: 1}}]}\n", `scheme "t": unit store: already scored by scheme "s"`},
		{"default role missing", "default_role: boss\nschemes:\n  - {name: s, unit: staff, role: clerk, parts: [{name: p, points: 100, components: [{metric: satisfaction, weight: 1, scale: {min: 0, max: 1}}]}]}\n", `default_role "boss": no staff scheme has that role`},
		{"empty", "schemes: []\n", `schemes: none`},
		{"negative part points", "schemes:\n  - {name: s, unit: store, parts: [{name: p, points: -5, components: [{metric: satisfaction, weight: 1, scale: {min: 0, max: 1}}]}]}\n", `scheme "s": part 1 (p): points -5: want a number > 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kpi.ParseFrontlineSchemes([]byte(tc.file), schema.DefaultCatalog())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestRoster: roles by role name or alias; an unknown role or a bad staff id is refused.
func TestRoster(t *testing.T) {
	fs := parseSchemes(t, clerkYAML)
	r, err := kpi.ParseRoster([]byte("E1: 值班长\nE2: clerk\nE3: 营业员\n"), fs)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"E1": "duty_manager", "E2": "clerk", "E3": "clerk", "E9": "clerk"} {
		if got := r.Role(id, fs); got != want {
			t.Errorf("role of %s: %q, want %q", id, got, want)
		}
	}
	if _, err := kpi.ParseRoster([]byte("E1: 店长\n"), fs); err == nil || !strings.Contains(err.Error(), `staff E1: role "店长": not a role`) {
		t.Errorf("unknown role: %v", err)
	}
	if _, err := kpi.ParseRoster([]byte("\"E 1\": clerk\n"), fs); err == nil || !strings.Contains(err.Error(), `staff id "E 1"`) {
		t.Errorf("bad id: %v", err)
	}
	if _, err := kpi.ParseRoster([]byte("- E1\n"), fs); err == nil || !strings.Contains(err.Error(), "want a YAML map") {
		t.Errorf("not a map: %v", err)
	}
}

// TestOpenFrontlineSchemes: CSAT_FRONTLINE_SCHEMES names a preset or a file; errors name the
// setting, the file and the offending field.
func TestOpenFrontlineSchemes(t *testing.T) {
	cat := schema.DefaultCatalog()
	cfg := kpi.DefaultConfig()
	if fs, err := kpi.OpenFrontlineSchemes(cfg, cat); err != nil || len(fs.Schemes) != 7 {
		t.Fatalf("default: %v", err)
	}
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("schemes:\n  - name: s\n    unit: staff\n    role: clerk\n    parts:\n      - {name: p, points: 100, components: [{metric: \"team:csi\", weight: 1, scale: {min: 0, max: 1}}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.FrontlineSchemes = bad
	_, err := kpi.OpenFrontlineSchemes(cfg, cat)
	if err == nil || !strings.Contains(err.Error(), "CSAT_FRONTLINE_SCHEMES: front-line schemes "+bad+`: scheme "s": part "p", component 1 (team:csi): metric "team:csi": "csi" is not a store metric`) {
		t.Errorf("bad file: %v", err)
	}
	cfg.FrontlineSchemes = dir + "/none.yaml"
	if _, err := kpi.OpenFrontlineSchemes(cfg, cat); err == nil || !strings.Contains(err.Error(), "neither a preset (default) nor a readable file") {
		t.Errorf("missing file: %v", err)
	}
}
