package kpi_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// improveScorecard: csi 10 points, β 0.5, attain floor 60 / base 80 / challenge 90; improve
// floor 0 / base 2 / challenge 6.
const improveScorecard = `
base_share: 0.5
components:
  - {metric: csi, points: 10, direction: higher, base: 80, challenge: 90, floor: 60,
     mode: improve_or_attain, improve_base: 2, improve_challenge: 6}
`

func TestImproveOrAttain(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(improveScorecard), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	p, err := sc.Period("2026-Q4")
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Months(p); len(got) != 6 || got[3] != mustMonth(t, "2025-10") {
		t.Errorf("Months(2026-Q4) = %v, want Q4 of 2026 and of 2025", got)
	}
	card := func(month string, v float64) *kpi.Card { return csiCard(t, "GD", month, v, 100) }
	tests := []struct {
		name          string
		cards         []*kpi.Card
		attain, impr  float64
		delta         *float64
		points        float64
		earnedBy      string
		yearEarlierOf int // months with a year-earlier value
	}{
		{
			// Attainment: 70 → 10·0.5·(70−60)/20 = 2.5 each month.
			// Improvement: Δ = ((70−62) + (70−64) + (70−66))/3 = 6 → 10 (at challenge).
			name: "improvement wins",
			cards: []*kpi.Card{card("2026-10", 70), card("2026-11", 70), card("2026-12", 70),
				card("2025-10", 62), card("2025-11", 64), card("2025-12", 66)},
			attain: 2.5, impr: 10, delta: fp(6), points: 10, earnedBy: "improve", yearEarlierOf: 3,
		},
		{
			// Attainment: 90 → 10 each month. Improvement: Δ = (90−89 + 90−89 + 90−89)/3 = 1
			// → 10·0.5·(1−0)/2 = 2.5. Attainment wins.
			name: "attainment wins",
			cards: []*kpi.Card{card("2026-10", 90), card("2026-11", 90), card("2026-12", 90),
				card("2025-10", 89), card("2025-11", 89), card("2025-12", 89)},
			attain: 10, impr: 2.5, delta: fp(1), points: 10, earnedBy: "attain", yearEarlierOf: 3,
		},
		{
			// Only Oct is reportable in both years (Nov 2025 missing, Dec 2026 unreportable):
			// Δ = 84 − 80 = 4 → 10·(0.5 + 0.5·(4−2)/4) = 7.5. Attainment: Oct 84 →
			// 10·(0.5+0.5·0.4) = 7, Nov 82 → 10·(0.5+0.5·0.2) = 6, Dec missing 0 → 13/3.
			name: "improvement over the months reportable in both years",
			cards: []*kpi.Card{card("2026-10", 84), card("2026-11", 82), csiCard(t, "GD", "2026-12", 95, 10),
				card("2025-10", 80), card("2025-12", 70)},
			attain: 13.0 / 3, impr: 7.5, delta: fp(4), points: 7.5, earnedBy: "improve", yearEarlierOf: 2,
		},
		{
			// No year-earlier data: Δ null, 0 improvement points; attainment 80 → 5.
			name:   "no year earlier",
			cards:  []*kpi.Card{card("2026-10", 80), card("2026-11", 80), card("2026-12", 80)},
			attain: 5, impr: 0, delta: nil, points: 5, earnedBy: "attain",
		},
		{
			// A tie goes to attainment: attain 80 → 5; Δ = 2 → 5.
			name: "tie",
			cards: []*kpi.Card{card("2026-10", 80), card("2026-11", 80), card("2026-12", 80),
				card("2025-10", 78), card("2025-11", 78), card("2025-12", 78)},
			attain: 5, impr: 5, delta: fp(2), points: 5, earnedBy: "attain", yearEarlierOf: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards := map[schema.Month]*kpi.Card{}
			for _, c := range tt.cards {
				cards[c.Month] = c
			}
			r := sc.Evaluate("GD", p, cards)
			c := r.Components[0]
			checkF(t, "attain points", c.AttainPoints, fp(tt.attain))
			checkF(t, "improve points", c.ImprovePoints, fp(tt.impr))
			checkF(t, "improvement", c.Improvement, tt.delta)
			if math.Abs(c.Points-tt.points) > tol || math.Abs(r.Total-tt.points) > tol || c.EarnedBy != tt.earnedBy || c.Mode != kpi.ImproveOrAttain {
				t.Errorf("points %v total %v earned_by %q mode %q, want %v %q", c.Points, r.Total, c.EarnedBy, c.Mode, tt.points, tt.earnedBy)
			}
			n := 0
			for _, m := range c.Months {
				if m.YearEarlier != nil {
					n++
				}
			}
			if n != tt.yearEarlierOf {
				t.Errorf("%d months show a year-earlier value, want %d", n, tt.yearEarlierOf)
			}
		})
	}

	// MonthScore with and without the year-earlier card.
	oct := card("2026-10", 70)
	if got := sc.MonthScore(oct, nil); math.Abs(*got.Value-2.5) > tol {
		t.Errorf("MonthScore without the year before = %v, want 2.5 (attainment)", *got.Value)
	}
	if got := sc.MonthScore(oct, card("2025-10", 64)); math.Abs(*got.Value-10) > tol {
		t.Errorf("MonthScore with the year before = %v, want 10 (Δ 6)", *got.Value)
	}
}

// versionedScorecard: csi targets change from 2026-11 (base and challenge up) and again from
// 2027-01 (new GD override); complaint_rate has overrides that a version without overrides keeps.
const versionedScorecard = `
base_share: 0.5
components:
  - metric: csi
    points: 10
    base: 80
    challenge: 90
    floor: 60
    overrides:
      GD: {base: 70}
    targets:
      - {from: 2026-11, base: 85, challenge: 95}
      - {from: 2027-01, overrides: {GD: {floor: 50}}}
`

func TestVersionedTargets(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(versionedScorecard), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Components[0]
	if c.Direction != kpi.Higher {
		t.Errorf("direction = %v, want higher (csi's polarity)", c.Direction)
	}
	for _, tt := range []struct {
		branch, month string
		want          kpi.Targets
	}{
		{"HB", "2026-10", kpi.Targets{Base: 80, Challenge: 90, Floor: 60}},
		{"GD-GZ", "2026-10", kpi.Targets{Base: 70, Challenge: 90, Floor: 60}},
		{"HB", "2026-11", kpi.Targets{Base: 85, Challenge: 95, Floor: 60}},
		// The 2026-11 version has no overrides: GD keeps its override (base 70) of the version
		// before, as it was completed then.
		{"GD", "2026-12", kpi.Targets{Base: 70, Challenge: 90, Floor: 60}},
		{"HB", "2027-03", kpi.Targets{Base: 85, Challenge: 95, Floor: 60}},
		// 2027-01 replaces the overrides, completed from its own targets.
		{"GD", "2027-01", kpi.Targets{Base: 85, Challenge: 95, Floor: 50}},
	} {
		if got := c.TargetsAt(tt.branch, mustMonth(t, tt.month)); got != tt.want {
			t.Errorf("TargetsAt(%s, %s) = %+v, want %+v", tt.branch, tt.month, got, tt.want)
		}
	}
	// A quarter across the change: Oct scored on 80/90, Nov and Dec on 85/95; all at 85.
	// Oct 85 → 10·(0.5 + 0.5·5/10) = 7.5; Nov, Dec 85 → 5 (at base). (7.5 + 5 + 5)/3.
	cards := map[schema.Month]*kpi.Card{}
	for _, m := range []string{"2026-10", "2026-11", "2026-12"} {
		cards[mustMonth(t, m)] = csiCard(t, "HB", m, 85, 100)
	}
	p, _ := sc.Period("2026-Q4")
	r := sc.Evaluate("HB", p, cards).Components[0]
	if math.Abs(r.Points-17.5/3) > tol {
		t.Errorf("Q4 points = %v, want 17.5/3", r.Points)
	}
	// The component shows the targets of the period's last month; Oct lists its own.
	if r.Base != 85 || r.Challenge != 95 || r.Months[0].Targets == nil || *r.Months[0].Targets != (kpi.Targets{Base: 80, Challenge: 90, Floor: 60}) || r.Months[1].Targets != nil {
		t.Errorf("targets shown: component %v/%v, months %+v", r.Base, r.Challenge, r.Months)
	}
	// Restating Q3 uses Q3's targets: 85 → 7.5 every month.
	q3 := map[schema.Month]*kpi.Card{}
	for _, m := range []string{"2026-07", "2026-08", "2026-09"} {
		q3[mustMonth(t, m)] = csiCard(t, "HB", m, 85, 100)
	}
	p3, _ := sc.Period("2026-Q3")
	if r := sc.Evaluate("HB", p3, q3); math.Abs(r.Total-7.5) > tol {
		t.Errorf("Q3 total = %v, want 7.5", r.Total)
	}
}

func TestScorecardFileErrors(t *testing.T) {
	comp := func(s string) string { return "components:\n  - " + s + "\n" }
	ok := "{metric: csi, points: 8, direction: higher, base: 80, challenge: 85, floor: 70"
	for _, tt := range []struct{ name, yaml, wantErr string }{
		{"line of a component", "base_share: 0.5\ncomponents:\n  - " + ok + "}\n  - {metric: nps, points: 1, base: 1, challenge: 2, floor: 0}\n",
			`line 4: component 2 (nps): metric "nps"`},
		{"unknown mode", comp(ok + ", mode: improve}"), `line 2: component 1 (csi): mode "improve"`},
		{"improve targets missing", comp(ok + ", mode: improve_or_attain, improve_base: 1}"), "improve_base and improve_challenge are required"},
		{"improve targets order", comp(ok + ", mode: improve_or_attain, improve_base: 3, improve_challenge: 1}"), "improvement targets: base 3"},
		{"improve without mode", comp(ok + ", improve_base: 1, improve_challenge: 2}"), "need mode: improve_or_attain"},
		{"targets out of order", "components:\n  - metric: csi\n    points: 8\n    base: 80\n    challenge: 85\n    floor: 70\n    targets:\n      - {from: 2027-01, base: 81}\n      - {from: 2026-07, base: 82}\n",
			"line 9: targets 2 (from 2026-07): from 2026-07 is before the previous entry's 2027-01"},
		{"same from without issued", comp(ok + ", targets: [{from: 2027-01, base: 81}, {from: 2027-01, base: 82}]}"), "from 2027-01 again: a restatement"},
		{"restatement issued earlier", comp(ok + ", targets: [{from: 2027-01, issued: 2027-02-01, base: 81}, {from: 2027-01, issued: 2027-01-15, base: 82}]}"), "from 2027-01 again"},
		{"bad issued", comp(ok + ", targets: [{from: 2027-01, issued: 1 Feb 2027, base: 81}]}"), `issued "1 Feb 2027": want YYYY-MM-DD`},
		{"targets bad month", comp(ok + ", targets: [{from: 2027-13, base: 81}]}"), `targets 1 (from 2027-13): from:`},
		{"version targets order", comp(ok + ", targets: [{from: 2027-01, base: 90}]}"), "targets 1 (from 2027-01): base 90"},
		{"version override", comp(ok + ", targets: [{from: 2027-01, overrides: {gd: {base: 81}}}]}"), `override "gd"`},
		{"quarter weights count", "quarter_weights: [1, 2]\n" + comp(ok+"}"), "quarter_weights [1 2]: want three"},
		{"quarter weights sign", "quarter_weights: [1, 0, 2]\n" + comp(ok+"}"), "want weights > 0"},
		{"unknown key in targets", comp(ok + ", targets: [{from: 2027-01, bas: 81}]}"), "field bas not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kpi.ParseScorecard([]byte(tt.yaml), schema.DefaultCatalog())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	// The seed's table 1: points for satisfaction and for related service, 2001–2007.
	table := map[string][2]float64{
		"2001": {6, 6}, "2002": {8, 6}, "2003": {12, 12}, "2004": {16, 6}, "2005": {17, 10}, "2006": {20, 10}, "2007": {20, 11},
	}
	names := kpi.PresetNames()
	if len(names) != len(table) || names[0] != "2001" || names[6] != "2007" {
		t.Fatalf("PresetNames = %v", names)
	}
	for _, name := range names {
		sc, err := kpi.Preset(name, schema.DefaultCatalog())
		if err != nil {
			t.Fatalf("preset %s: %v", name, err)
		}
		groups := map[string]float64{}
		for _, c := range sc.Components {
			if c.Name == "" {
				t.Errorf("preset %s: component %s has no name (the seed's words)", name, c.Metric)
			}
			groups[c.Group] += c.Points
		}
		want := table[name]
		if groups["客户满意度"] != want[0] || groups["客户服务其他相关"] != want[1] || len(groups) != 2 || sc.Name != name {
			t.Errorf("preset %s (%q): groups %v, want 客户满意度 %v and 客户服务其他相关 %v", name, sc.Name, groups, want[0], want[1])
		}
	}
	// 2006 weights a quarter's months 1, 1, 2; 2007 has equal weights.
	sc, _ := kpi.Preset("2006", schema.DefaultCatalog())
	if p, _ := sc.Period("2026-Q4"); p.Months[2].Weight != 2 || p.Months[0].Weight != 1 {
		t.Errorf("2006 quarter = %+v", p.Months)
	}
	if _, err := kpi.Preset("1999", schema.DefaultCatalog()); !errors.Is(err, kpi.ErrUnknownPreset) || !strings.Contains(err.Error(), "2001, 2002") {
		t.Errorf("Preset(1999) error = %v", err)
	}
	if _, err := kpi.Preset("../presets/2007", schema.DefaultCatalog()); !errors.Is(err, kpi.ErrUnknownPreset) {
		t.Errorf("Preset with a path = %v, want ErrUnknownPreset", err)
	}
	// 2006 needs the brand item.
	if _, err := kpi.Preset("2006", testCatalog()); err == nil || !strings.Contains(err.Error(), "item:brand") {
		t.Errorf("2006 without the brand item: %v", err)
	}
}

func TestOpenScorecard(t *testing.T) {
	cat := schema.DefaultCatalog()
	path := filepath.Join(t.TempDir(), "sc.yaml")
	if err := os.WriteFile(path, []byte(improveScorecard), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name          string
		scorecard     string
		file, wantErr string
		wantName      string
		wantN         int
	}{
		{name: "default", wantName: "2007", wantN: 6},
		{name: "preset", scorecard: "2005", wantName: "2005", wantN: 4},
		{name: "path in CSAT_SCORECARD", scorecard: path, wantN: 1},
		{name: "file", file: path, wantN: 1},
		{name: "both", scorecard: "2005", file: path, wantErr: "both set"},
		{name: "neither preset nor file", scorecard: "2008", wantErr: `CSAT_SCORECARD "2008": neither a preset (2001, 2002, 2003, 2004, 2005, 2006, 2007) nor a readable file`},
		{name: "missing file", file: path + ".missing", wantErr: "CSAT_SCORECARD_FILE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := kpi.DefaultConfig()
			cfg.Scorecard, cfg.ScorecardFile = tt.scorecard, tt.file
			sc, err := kpi.OpenScorecard(cfg, cat)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || sc.Name != tt.wantName || len(sc.Components) != tt.wantN {
				t.Errorf("OpenScorecard = %+v, %v; want %q with %d components", sc, err, tt.wantName, tt.wantN)
			}
		})
	}
}

func TestScorecardGroups(t *testing.T) {
	sc, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	// Retention 97.75 % (base 97, challenge 98.5): 5·(0.6 + 0.4·0.5) = 4; everything else
	// missing. Groups: 客户满意度 0/20, 客户服务其他相关 4/11.
	c := kpi.ComputeCard(kpi.DefaultConfig(), schema.DefaultCatalog(), "GD", mustMonth(t, "2026-10"), kpi.MonthData{
		Churn: kpi.ChurnCounts{Churned: 90, High: 20, Mid: 70},
		Base:  &kpi.Base{Subscribers: 10000, Tiers: &kpi.Tiers{High: 1000, Mid: 3000, Low: 6000}},
	}, kpi.MonthData{})
	p, _ := sc.Period("2026-10")
	r := sc.Evaluate("GD", p, map[schema.Month]*kpi.Card{c.Month: &c})
	want := []kpi.GroupResult{{Name: "客户满意度", Points: 0, Max: 20}, {Name: "客户服务其他相关", Points: 4, Max: 11}}
	if len(r.Groups) != 2 || r.Groups[0] != want[0] || math.Abs(r.Groups[1].Points-4) > tol || r.Groups[1].Max != 11 || r.Scheme != "2007" {
		t.Errorf("groups = %+v (scheme %q), want %+v", r.Groups, r.Scheme, want)
	}
}

// restatedScorecard: csi's targets of 2026-07 on are restated on 2026-11-20 (base 85 instead of
// 80), as a regional office does when it revises a quarter's targets after the fact.
const restatedScorecard = `
base_share: 0.5
components:
  - metric: csi
    points: 10
    base: 80
    challenge: 90
    floor: 60
    targets:
      - {from: 2026-07, issued: 2026-06-25, base: 80, challenge: 90}
      - {from: 2026-07, issued: "2026-11-20T09:00:00+08:00", base: 85, challenge: 95}
`

func TestIssuedTargets(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(restatedScorecard), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Components[0]
	jul := mustMonth(t, "2026-07")
	before := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	after := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	if got := c.TargetsAsOf("GD", jul, before); got != (kpi.Targets{Base: 80, Challenge: 90, Floor: 60}) {
		t.Errorf("as of %v: %+v, want the first issue", before, got)
	}
	if got := c.TargetsAsOf("GD", jul, after); got != (kpi.Targets{Base: 85, Challenge: 95, Floor: 60}) {
		t.Errorf("as of %v: %+v, want the restatement", after, got)
	}
	// Live (zero moment): every version.
	if got := c.TargetsAt("GD", jul); got.Base != 85 {
		t.Errorf("live: %+v, want the restatement", got)
	}
	// The restatement was issued 2026-11-20 01:00 UTC: one second before it is not in force.
	issued := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	if got := c.TargetsAsOf("GD", jul, issued.Add(-time.Second)); got.Base != 80 {
		t.Errorf("a second before the issue: %+v", got)
	}
	if got := c.TargetsAsOf("GD", jul, issued); got.Base != 85 {
		t.Errorf("at the issue: %+v", got)
	}
	// Q3 at CSI 85 in every month: 10·(0.5 + 0.5·5/10) = 7.5 as of before, 5 (at base) after.
	cards := map[schema.Month]*kpi.Card{}
	for _, m := range []string{"2026-07", "2026-08", "2026-09"} {
		cards[mustMonth(t, m)] = csiCard(t, "GD", m, 85, 100)
	}
	p, _ := sc.Period("2026-Q3")
	if r := sc.EvaluateAsOf("GD", p, cards, before); math.Abs(r.Total-7.5) > tol {
		t.Errorf("Q3 as of before the restatement: %v, want 7.5", r.Total)
	}
	if r := sc.EvaluateAsOf("GD", p, cards, after); math.Abs(r.Total-5) > tol {
		t.Errorf("Q3 as of after the restatement: %v, want 5", r.Total)
	}
}
