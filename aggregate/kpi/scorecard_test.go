package kpi_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func TestPoints(t *testing.T) {
	// Higher is better: csi-like, 8 points, β 0.6, floor 70, base 80, challenge 85.
	hi := kpi.Targets{Base: 80, Challenge: 85, Floor: 70}
	// Lower is better: complaint_rate-like, 4 points, challenge 2, base 3, floor 6.
	lo := kpi.Targets{Base: 3, Challenge: 2, Floor: 6}
	tests := []struct {
		name   string
		v      float64
		points float64
		dir    kpi.Direction
		t      kpi.Targets
		want   float64
	}{
		{"higher above challenge", 90, 8, kpi.Higher, hi, 8},
		{"higher at challenge", 85, 8, kpi.Higher, hi, 8},
		// 8·(0.6 + 0.4·(82.5−80)/(85−80)) = 8·(0.6 + 0.2) = 6.4
		{"higher between base and challenge", 82.5, 8, kpi.Higher, hi, 6.4},
		// 8·(0.6 + 0) = 4.8
		{"higher at base", 80, 8, kpi.Higher, hi, 4.8},
		// 8·0.6·(75−70)/(80−70) = 2.4
		{"higher between floor and base", 75, 8, kpi.Higher, hi, 2.4},
		// 8·0.6·(79−70)/10 = 4.32
		{"higher just below base", 79, 8, kpi.Higher, hi, 4.32},
		{"higher at floor", 70, 8, kpi.Higher, hi, 0},
		{"higher below floor", 60, 8, kpi.Higher, hi, 0},
		{"lower below challenge", 1, 4, kpi.Lower, lo, 4},
		{"lower at challenge", 2, 4, kpi.Lower, lo, 4},
		// 4·(0.6 + 0.4·(3−2.5)/(3−2)) = 4·0.8 = 3.2
		{"lower between challenge and base", 2.5, 4, kpi.Lower, lo, 3.2},
		{"lower at base", 3, 4, kpi.Lower, lo, 2.4},
		// 4·0.6·(6−4.5)/(6−3) = 4·0.6·0.5 = 1.2
		{"lower between base and floor", 4.5, 4, kpi.Lower, lo, 1.2},
		{"lower at floor", 6, 4, kpi.Lower, lo, 0},
		{"lower above floor", 7, 4, kpi.Lower, lo, 0},
		{"negative targets (lead)", -1, 4, kpi.Higher, kpi.Targets{Base: 0, Challenge: 3, Floor: -5}, 4 * 0.6 * 4 / 5},
		{"base = challenge", 80, 8, kpi.Higher, kpi.Targets{Base: 80, Challenge: 80, Floor: 70}, 8},
		{"floor = base", 79.9, 8, kpi.Higher, kpi.Targets{Base: 80, Challenge: 85, Floor: 80}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kpi.Points(tt.v, tt.points, 0.6, tt.dir, tt.t); math.Abs(got-tt.want) > tol {
				t.Errorf("Points(%v) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestDefaultScorecard(t *testing.T) {
	sc, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	// SPEC §5.4: satisfaction 20 in four parts, related service 11 (enterprise customers,
	// retention); the splits are ours.
	want := []struct {
		metric, group string
		points        float64
		dir           kpi.Direction
		mode          kpi.Mode
	}{
		{"csi", "客户满意度", 8, kpi.Higher, kpi.ImproveOrAttain}, {"lead", "客户满意度", 4, kpi.Higher, kpi.Attain},
		{"short_plank_improvement", "客户满意度", 4, kpi.Higher, kpi.Attain},
		{"window_satisfaction", "客户满意度", 4, kpi.Higher, kpi.Attain},
		{"enterprise_csi", "客户服务其他相关", 6, kpi.Higher, kpi.Attain},
		{"retention_rate", "客户服务其他相关", 5, kpi.Higher, kpi.Attain},
	}
	if len(sc.Components) != len(want) {
		t.Fatalf("default scorecard has %d components, want %d", len(sc.Components), len(want))
	}
	var sum float64
	for i, w := range want {
		c := sc.Components[i]
		if c.Metric.String() != w.metric || c.Points != w.points || c.Direction != w.dir || c.BaseShare != 0.6 || c.Group != w.group || c.Mode != w.mode {
			t.Errorf("component %d = %v %v %v β %v %q %v, want %v", i, c.Metric, c.Points, c.Direction, c.BaseShare, c.Group, c.Mode, w)
		}
		sum += c.Points
	}
	if sum != 31 || sc.Name != "2007" {
		t.Errorf("default scorecard %q points sum to %v, want 2007, 31", sc.Name, sum)
	}
	// LoadScorecard("") is the default too.
	if sc2, err := kpi.LoadScorecard("", schema.DefaultCatalog()); err != nil || len(sc2.Components) != 6 {
		t.Errorf("LoadScorecard(\"\") = %v, %v", sc2, err)
	}
}

const testScorecard = `
base_share: 0.5
components:
  - metric: csi
    points: 10
    direction: higher
    base: 80
    challenge: 90
    floor: 60
    overrides:
      GD: {base: 70, challenge: 80, floor: 50}
      GD-GZ: {challenge: 95}
  - {metric: complaint_rate, points: 5, direction: lower, base: 3, challenge: 2, floor: 6, base_share: 0.8}
periods:
  2026-Q4:
    - {month: 2026-10, weight: 1}
    - {month: 2026-11, weight: 1}
    - {month: 2026-12, weight: 2}
  H2:
    - {month: 2026-07, weight: 0.5}
`

func TestParseScorecard(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(testScorecard), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	csi, cr := sc.Components[0], sc.Components[1]
	if csi.BaseShare != 0.5 || cr.BaseShare != 0.8 {
		t.Errorf("base shares %v, %v, want 0.5 (file), 0.8 (component)", csi.BaseShare, cr.BaseShare)
	}
	// Nearest ancestor-or-self with an override wins; an override's missing fields come from
	// the component, not from the next override up.
	for _, tt := range []struct {
		branch string
		want   kpi.Targets
	}{
		{"ALL", kpi.Targets{Base: 80, Challenge: 90, Floor: 60}},
		{"HB-WH", kpi.Targets{Base: 80, Challenge: 90, Floor: 60}},
		{"GD", kpi.Targets{Base: 70, Challenge: 80, Floor: 50}},
		{"GD-SZ-NS", kpi.Targets{Base: 70, Challenge: 80, Floor: 50}},
		{"GD-GZ", kpi.Targets{Base: 80, Challenge: 95, Floor: 60}},
		{"GD-GZ-TH", kpi.Targets{Base: 80, Challenge: 95, Floor: 60}},
	} {
		if got := csi.TargetsFor(tt.branch); got != tt.want {
			t.Errorf("TargetsFor(%s) = %+v, want %+v", tt.branch, got, tt.want)
		}
	}
	oct := mustMonth(t, "2026-10")
	for _, tt := range []struct {
		name string
		want []kpi.PeriodMonth
	}{
		{"2026-Q4", []kpi.PeriodMonth{{Month: oct, Weight: 1}, {Month: oct + 1, Weight: 1}, {Month: oct + 2, Weight: 2}}},     // configured
		{"2026-Q3", []kpi.PeriodMonth{{Month: oct - 3, Weight: 1}, {Month: oct - 2, Weight: 1}, {Month: oct - 1, Weight: 1}}}, // equal weights
		{"2027-Q1", []kpi.PeriodMonth{{Month: mustMonth(t, "2027-01"), Weight: 1}, {Month: mustMonth(t, "2027-02"), Weight: 1}, {Month: mustMonth(t, "2027-03"), Weight: 1}}},
		{"2026-10", []kpi.PeriodMonth{{Month: oct, Weight: 1}}},
		{"H2", []kpi.PeriodMonth{{Month: mustMonth(t, "2026-07"), Weight: 0.5}}},
	} {
		p, err := sc.Period(tt.name)
		if err != nil || p.Name != tt.name || !equalPeriod(p.Months, tt.want) {
			t.Errorf("Period(%s) = %+v, %v, want %+v", tt.name, p, err, tt.want)
		}
	}
	if p, err := sc.Period("2026"); err != nil || len(p.Months) != 12 || p.Months[11].Month != mustMonth(t, "2026-12") {
		t.Errorf("Period(2026) = %+v, %v", p, err)
	}
	if p, err := sc.Period("2026-H2"); err != nil || len(p.Months) != 6 || p.Months[0].Month != mustMonth(t, "2026-07") || p.Months[5].Weight != 1 {
		t.Errorf("Period(2026-H2) = %+v, %v", p, err)
	}
	for _, bad := range []string{"2026-Q5", "2026-Q0", "2026-13", "Q4", "", "2026-H3", "2026-H0"} {
		if _, err := sc.Period(bad); err == nil {
			t.Errorf("Period(%q): no error", bad)
		}
	}
}

func equalPeriod(a, b []kpi.PeriodMonth) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseScorecardErrors(t *testing.T) {
	comp := func(s string) string { return "components:\n  - " + s + "\n" }
	ok := "{metric: csi, points: 8, direction: higher, base: 80, challenge: 85, floor: 70"
	for _, tt := range []struct{ name, yaml, wantErr string }{
		{"not yaml", "components: [", "parse scorecard"},
		{"unknown key", "component: []", "field component not found"},
		{"no components", "components: []", "no components"},
		{"unknown metric", comp("{metric: nps, points: 8, direction: higher, base: 1, challenge: 2, floor: 0}"), `component 1 (nps): metric "nps"`},
		{"unknown item", comp("{metric: 'item:zz', points: 8, direction: higher, base: 1, challenge: 2, floor: 0}"), "component 1 (item:zz)"},
		{"score", comp("{metric: score, points: 8, direction: higher, base: 1, challenge: 2, floor: 0}"), "component 1 (score)"},
		{"bad direction", comp("{metric: csi, points: 8, direction: up, base: 1, challenge: 2, floor: 0}"), `component 1 (csi): direction "up"`},
		{"no points", comp("{metric: csi, direction: higher, base: 1, challenge: 2, floor: 0}"), "component 1 (csi): points"},
		{"missing target", comp("{metric: csi, points: 8, direction: higher, base: 1, challenge: 2}"), "component 1 (csi): base, challenge and floor are required"},
		{"higher order", comp("{metric: csi, points: 8, direction: higher, base: 90, challenge: 85, floor: 70}"), "component 1 (csi): base 90"},
		{"lower order", comp("{metric: complaint_rate, points: 4, direction: lower, base: 3, challenge: 4, floor: 6}"), "component 1 (complaint_rate)"},
		{"bad base_share", comp(ok + ", base_share: 1.5}"), "component 1 (csi): base_share"},
		{"bad file base_share", "base_share: -1\n" + comp(ok+"}"), "base_share -1"},
		{"override order", comp(ok + ", overrides: {GD: {base: 60}}}"), "component 1 (csi): override GD"},
		{"override branch", comp(ok + ", overrides: {gd: {base: 75}}}"), `override "gd"`},
		{"duplicate", comp(ok+"}") + "  - " + ok + "}\n", "component 2 (csi): metric listed twice"},
		{"second component named", comp(ok+"}") + "  - {metric: lead, points: 0, direction: higher, base: 0, challenge: 1, floor: -1}\n", "component 2 (lead): points"},
		{"period weight", comp(ok+"}") + "periods: {P: [{month: 2026-10}]}", `period "P": month 2026-10: want a weight > 0`},
		{"period month", comp(ok+"}") + "periods: {P: [{month: 2026-13, weight: 1}]}", `period "P": month "2026-13"`},
		{"period duplicate", comp(ok+"}") + "periods: {P: [{month: 2026-10, weight: 1}, {month: 2026-10, weight: 1}]}", "listed twice"},
		{"period empty", comp(ok+"}") + "periods: {P: []}", `period "P": no months`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kpi.ParseScorecard([]byte(tt.yaml), schema.DefaultCatalog())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadScorecard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sc.yaml")
	if err := os.WriteFile(path, []byte(testScorecard), 0o600); err != nil {
		t.Fatal(err)
	}
	if sc, err := kpi.LoadScorecard(path, testCatalog()); err != nil || len(sc.Components) != 2 {
		t.Errorf("LoadScorecard = %v, %v", sc, err)
	}
	if _, err := kpi.LoadScorecard(filepath.Join(t.TempDir(), "missing.yaml"), testCatalog()); err == nil {
		t.Error("LoadScorecard of a missing file: no error")
	}
}

// csiCard is a card whose own CSI is v with n responses (catalog of item a only, sd 10).
func csiCard(t testing.TB, branch, month string, v float64, n uint64) *kpi.Card {
	t.Helper()
	cat := schema.Catalog{Items: []schema.Item{{Code: "a", Weight: 1, Key: true}}}
	s := kpi.SurveyStats{"cmcc": {"a": eq(n, v, 10), kpi.ItemCSI: eq(n, v, 10)}}
	c := kpi.ComputeCard(kpi.DefaultConfig(), cat, branch, mustMonth(t, month), kpi.MonthData{Survey: s}, kpi.MonthData{})
	return &c
}

func TestEvaluate(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(testScorecard), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	oct, nov, dec := mustMonth(t, "2026-10"), mustMonth(t, "2026-11"), mustMonth(t, "2026-12")
	// GD-GZ's csi targets: floor 60, base 80, challenge 95 (override), β 0.5.
	// Oct 95 → 10 points; Nov 87.5 → 10·(0.5 + 0.5·7.5/15) = 7.5; Dec: no card → 0, missing.
	// complaint_rate is null in every month (no base) → 0 points, missing.
	cards := map[schema.Month]*kpi.Card{
		oct: csiCard(t, "GD-GZ", "2026-10", 95, 100),
		nov: csiCard(t, "GD-GZ", "2026-11", 87.5, 100),
	}
	for _, tt := range []struct {
		period    string
		csiPoints float64
		csiValue  float64
	}{
		// Configured weights 1, 1, 2: (1·10 + 1·7.5 + 2·0)/4 = 4.375; value (95 + 87.5)/2 = 91.25.
		{"2026-Q4", 4.375, 91.25},
		// No cards at all in Q3: every month missing, 0 points, value null.
		{"2026-Q3", 0, 0},
		{"2026-10", 10, 95},
	} {
		t.Run(tt.period, func(t *testing.T) {
			p, err := sc.Period(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			r := sc.Evaluate("GD-GZ", p, cards)
			c := r.Components[0]
			if math.Abs(c.Points-tt.csiPoints) > tol || r.Max != 15 || math.Abs(r.Total-tt.csiPoints) > tol {
				t.Errorf("csi points %v, total %v, max %v; want %v, %v, 15", c.Points, r.Total, r.Max, tt.csiPoints, tt.csiPoints)
			}
			if tt.csiPoints == 0 {
				if c.Value != nil || !c.Missing {
					t.Errorf("csi value %s, missing %v, want null, true", fmtp(c.Value), c.Missing)
				}
				return
			}
			checkF(t, "csi value", c.Value, fp(tt.csiValue))
			if c.Base != 80 || c.Challenge != 95 || c.Floor != 60 || c.Direction != kpi.Higher || c.PointsMax != 10 {
				t.Errorf("csi component %+v", c)
			}
			if !r.Components[1].Missing || r.Components[1].Points != 0 {
				t.Errorf("complaint_rate %+v, want missing, 0 points", r.Components[1])
			}
		})
	}
	equal := kpi.Period{Name: "q", Months: []kpi.PeriodMonth{{Month: oct, Weight: 1}, {Month: nov, Weight: 1}, {Month: dec, Weight: 1}}}
	if r := sc.Evaluate("GD-GZ", equal, cards); math.Abs(r.Components[0].Points-17.5/3) > tol {
		t.Errorf("equal weights: csi points %v, want 17.5/3", r.Components[0].Points)
	}
	// The default scorecard configures no periods: 2026-Q4 is Oct, Nov, Dec at equal weights.
	// csi targets 70/80/85, β 0.6: Oct 95 → 8, Nov 87.5 → 8, Dec missing → 0: 16/3.
	def, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	q4, err := def.Period("2026-Q4")
	if err != nil {
		t.Fatal(err)
	}
	if r := def.Evaluate("GD-GZ", q4, cards); math.Abs(r.Components[0].Points-16.0/3) > tol || r.Max != 31 || len(r.Components[0].Months) != 3 {
		t.Errorf("default 2026-Q4: csi points %v (want 16/3), max %v", r.Components[0].Points, r.Max)
	}

	// An unreportable value (n = 29) scores 0 and is missing, though its value is shown.
	one := kpi.Period{Name: "2026-10", Months: []kpi.PeriodMonth{{Month: oct, Weight: 1}}}
	r := sc.Evaluate("GD-GZ", one, map[schema.Month]*kpi.Card{oct: csiCard(t, "GD-GZ", "2026-10", 95, 29)})
	if m := r.Components[0].Months[0]; !m.Missing || m.Points != 0 || m.Value == nil || *m.Value != 95 || !r.Components[0].Missing {
		t.Errorf("unreportable month = %+v", m)
	}

	// MonthScore is the single-month total.
	if got := sc.MonthScore(cards[nov], nil); got.Value == nil || math.Abs(*got.Value-7.5) > tol || !got.Reportable {
		t.Errorf("MonthScore = %+v, want 7.5", got)
	}
}
