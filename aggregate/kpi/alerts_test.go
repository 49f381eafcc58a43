package kpi_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// alertCat has one key item a and one other item b.
var alertCat = schema.Catalog{Items: []schema.Item{{Code: "a", Weight: 1, Key: true}, {Code: "b", Weight: 1}}}

// leadCard is a card of month whose own CSI (and item a, and b = 50) is own and ctcc's is comp,
// each on n responses with sd 10, so SE = 10/√n (1 for n = 100) and the lead's SE = √2 when
// both n are 100. comp < 0 means no competitor.
func leadCard(t testing.TB, month schema.Month, own, comp float64, n uint64) *kpi.Card {
	t.Helper()
	s := kpi.SurveyStats{"cmcc": {"a": eq(n, own, 10), "b": eq(n, own, 10), kpi.ItemCSI: eq(n, own, 10)}}
	if comp >= 0 {
		s["ctcc"] = map[string]kpi.Moments{"a": eq(100, comp, 10), "b": eq(100, comp, 10), kpi.ItemCSI: eq(100, comp, 10)}
	}
	c := kpi.ComputeCard(kpi.DefaultConfig(), alertCat, "GD-GZ", month, kpi.MonthData{Survey: s}, kpi.MonthData{})
	return &c
}

// series builds cards for consecutive months ending at 2026-10 from own CSI values; NaN is a gap
// (nil card); a negative value is |v| on only 29 responses (unreportable).
func series(t testing.TB, comp float64, own ...float64) []*kpi.Card {
	t.Helper()
	end := mustMonth(t, "2026-10")
	out := make([]*kpi.Card, len(own))
	for i, v := range own {
		m := end.Add(i - (len(own) - 1))
		switch {
		case math.IsNaN(v):
		case v < 0:
			out[i] = leadCard(t, m, -v, comp, 29)
		default:
			out[i] = leadCard(t, m, v, comp, 100)
		}
	}
	return out
}

func TestAlertsDeclineStreak(t *testing.T) {
	cfg := kpi.DefaultConfig() // AlertDeclineMonths 3
	oct := mustMonth(t, "2026-10")
	type want struct {
		metric   string
		streak   int
		values   []float64
		drop     float64
		z        *float64
		severity string
	}
	tests := []struct {
		name  string
		cards []*kpi.Card
		want  []want
	}{
		{
			// CSI 86, 85, 84, 82, 81 (Jun–Oct): four falls in a row, start = Jun.
			// drop = 86 − 81 = 5; SE 1 both ends: z = 5/√2 ≈ 3.54 ≥ 1.96 → significant.
			// Item a (key) moves with it. Lead = CSI − 80: 6, 5, 4, 2, 1, SE √2 each end:
			// z = 5/√(2 + 2) = 2.5 → significant. Item b is not a key item: no alert.
			name:  "four falls",
			cards: series(t, 80, 86, 85, 84, 82, 81),
			want: []want{
				{"csi", 4, []float64{86, 85, 84, 82, 81}, 5, fp(5 / math.Sqrt2), kpi.SeveritySignificant},
				{"item:a", 4, []float64{86, 85, 84, 82, 81}, 5, fp(5 / math.Sqrt2), kpi.SeveritySignificant},
				{"lead", 4, []float64{6, 5, 4, 2, 1}, 5, fp(2.5), kpi.SeveritySignificant},
			},
		},
		{
			// 80, 79.8, 79.5, 79.2: three falls, drop 0.8, z = 0.8/√2 ≈ 0.57 → watch; the lead
			// over 70 (10 … 9.2) likewise, z = 0.8/2 = 0.4.
			name:  "three small falls: watch",
			cards: series(t, 70, 80, 79.8, 79.5, 79.2),
			want: []want{
				{"csi", 3, []float64{80, 79.8, 79.5, 79.2}, 0.8, fp(0.8 / math.Sqrt2), kpi.SeverityWatch},
				{"item:a", 3, []float64{80, 79.8, 79.5, 79.2}, 0.8, fp(0.8 / math.Sqrt2), kpi.SeverityWatch},
				{"lead", 3, []float64{10, 9.8, 9.5, 9.2}, 0.8, fp(0.4), kpi.SeverityWatch},
			},
		},
		// A series without a competitor has no lead: only csi and item:a.
		{"full streak", series(t, -1, 90, 88, 86, 85, 84, 82), []want{
			{"csi", 5, []float64{90, 88, 86, 85, 84, 82}, 8, fp(8 / math.Sqrt2), kpi.SeveritySignificant},
			{"item:a", 5, []float64{90, 88, 86, 85, 84, 82}, 8, fp(8 / math.Sqrt2), kpi.SeveritySignificant},
		}},
		{"no lead without a competitor", series(t, -1, 86, 85, 84, 82), []want{
			{"csi", 3, []float64{86, 85, 84, 82}, 4, fp(4 / math.Sqrt2), kpi.SeveritySignificant},
			{"item:a", 3, []float64{86, 85, 84, 82}, 4, fp(4 / math.Sqrt2), kpi.SeveritySignificant},
		}},
		{"two falls do not fire", series(t, 80, 84, 86, 85, 84), nil},
		{"a rise ends the streak", series(t, 80, 86, 85, 86, 82, 81), nil},
		{"an equal month ends the streak", series(t, 80, 86, 85, 85, 82, 81), nil},
		// Sep 82 → Oct 81 and Aug 84 → Sep 82 fall, but Jul is a gap: streak 2.
		{"a gap ends the streak", series(t, 80, 86, math.NaN(), 84, 82, 81), nil},
		// Aug has 29 responses: unreportable, streak 2 (Aug → Sep is not a counted fall).
		{"an unreportable month ends the streak", series(t, 80, 86, 85, -84, 82, 81), nil},
		{"no card at m", series(t, 80, 86, 85, 84, 82, math.NaN()), nil},
		{"too short a series", series(t, 80, 84, 82, 81), nil},
		// Five falls, May 90 … Oct 82, but only Jul–Oct passed: the streak is counted within
		// the series, 3 from Jul (the full series gives 5 from May).
		{"streak truncated at the series start", series(t, -1, 90, 88, 86, 85, 84, 82)[2:], []want{
			{"csi", 3, []float64{86, 85, 84, 82}, 4, fp(4 / math.Sqrt2), kpi.SeveritySignificant},
			{"item:a", 3, []float64{86, 85, 84, 82}, 4, fp(4 / math.Sqrt2), kpi.SeveritySignificant},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kpi.Alerts(cfg, alertCat, nil, "GD-GZ", oct, tt.cards)
			if got == nil {
				t.Fatal("Alerts returned nil, want a non-nil slice")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d alerts %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				a := got[i]
				if a.Rule != kpi.RuleDeclineStreak || a.Metric != w.metric || a.Streak != w.streak || a.Severity != w.severity ||
					a.Branch != "GD-GZ" || a.Month != oct || a.Start != oct.Add(-w.streak) {
					t.Errorf("alert %d = %+v, want %+v", i, a, w)
				}
				if len(a.Values) != len(w.values) {
					t.Errorf("alert %d values %v, want %v", i, a.Values, w.values)
				}
				for j := range w.values {
					if j < len(a.Values) && math.Abs(a.Values[j]-w.values[j]) > 1e-9 {
						t.Errorf("alert %d values %v, want %v", i, a.Values, w.values)
					}
				}
				checkF(t, "drop", &a.Drop, &w.drop)
				checkF(t, "z", a.Z, w.z)
			}
		})
	}

	t.Run("AlertDeclineMonths 2", func(t *testing.T) {
		cfg := cfg
		cfg.AlertDeclineMonths = 2
		if got := kpi.Alerts(cfg, alertCat, nil, "GD-GZ", oct, series(t, -1, 90, 86, 85)); len(got) != 2 {
			t.Errorf("got %d alerts, want 2 (csi, item:a)", len(got))
		}
	})
}

func TestAlertsLeadLost(t *testing.T) {
	oct := mustMonth(t, "2026-10")
	tests := []struct {
		name     string
		cards    []*kpi.Card
		want     bool
		severity string
		value    float64
		previous float64
	}{
		// Sep lead 81 − 80 = 1, Oct 77 − 80 = −3; moe95 = 1.96·√2 ≈ 2.77 < 3 → significant.
		{"significant", series(t, 80, 81, 77), true, kpi.SeveritySignificant, -3, 1},
		// Sep lead 0 counts as ≥ 0; Oct −1 is within 2.77 → watch.
		{"watch from zero", series(t, 80, 80, 79), true, kpi.SeverityWatch, -1, 0},
		{"still negative", series(t, 80, 79, 77), false, "", 0, 0},
		{"no lead at m−1 (unreportable)", series(t, 80, -81, 77), false, "", 0, 0},
		{"gap at m−1", series(t, 80, math.NaN(), 77), false, "", 0, 0},
		{"only month m", series(t, 80, 77), false, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []kpi.Alert
			for _, a := range kpi.Alerts(kpi.DefaultConfig(), alertCat, nil, "GD-GZ", oct, tt.cards) {
				if a.Rule == kpi.RuleLeadLost {
					got = append(got, a)
				}
			}
			if !tt.want {
				if len(got) != 0 {
					t.Errorf("got %+v, want no lead_lost", got)
				}
				return
			}
			if len(got) != 1 || got[0].Severity != tt.severity || got[0].Metric != "lead" ||
				math.Abs(got[0].Value-tt.value) > tol || math.Abs(got[0].Previous-tt.previous) > tol {
				t.Errorf("got %+v, want one lead_lost %s value %v previous %v", got, tt.severity, tt.value, tt.previous)
			}
		})
	}
}

func TestAlertsBelowBase(t *testing.T) {
	sc, err := kpi.ParseScorecard([]byte(testScorecard), alertCat)
	if err != nil {
		t.Fatal(err)
	}
	oct := mustMonth(t, "2026-10")
	// testScorecard: csi base 80 (GD-GZ's override changes only the challenge; GD's own
	// override sets base 70); complaint_rate lower is better, base 3.
	complaints := func(opened uint64) *kpi.Card {
		c := kpi.ComputeCard(kpi.DefaultConfig(), alertCat, "GD-GZ", oct, kpi.MonthData{
			Complaints: kpi.Complaints{Opened: opened}, Base: &kpi.Base{Subscribers: 20000},
		}, kpi.MonthData{})
		return &c
	}
	type want struct {
		metric, severity string
		value, base      float64
	}
	tests := []struct {
		name   string
		branch string
		card   *kpi.Card
		want   []want
	}{
		// 77 < 80 by 3 > moe95 1.96 (SE 1) → significant.
		{"csi significantly below", "GD-GZ", leadCard(t, oct, 77, -1, 100), []want{{"csi", kpi.SeveritySignificant, 77, 80}}},
		// 79 < 80 by 1 ≤ 1.96 → watch.
		{"csi within noise", "GD-GZ", leadCard(t, oct, 79, -1, 100), []want{{"csi", kpi.SeverityWatch, 79, 80}}},
		{"csi at base", "GD-GZ", leadCard(t, oct, 80, -1, 100), nil},
		// GD's override: base 70.
		{"override base", "GD", leadCard(t, oct, 77, -1, 100), nil},
		{"unreportable", "GD-GZ", leadCard(t, oct, 50, -1, 29), nil},
		// 8 / 20 000 · 10⁴ = 4 > 3 (lower is better): a count, no sampling error → significant.
		{"complaint rate above base", "GD-GZ", complaints(8), []want{{"complaint_rate", kpi.SeveritySignificant, 4, 3}}},
		// 6 / 20 000 · 10⁴ = 3: at base, no alert.
		{"complaint rate at base", "GD-GZ", complaints(6), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []want
			for _, a := range kpi.Alerts(kpi.DefaultConfig(), alertCat, sc, tt.branch, oct, []*kpi.Card{tt.card}) {
				if a.Rule == kpi.RuleBelowBase {
					got = append(got, want{a.Metric, a.Severity, a.Value, a.Base})
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].metric != tt.want[i].metric || got[i].severity != tt.want[i].severity ||
					math.Abs(got[i].value-tt.want[i].value) > tol || got[i].base != tt.want[i].base {
					t.Errorf("got %+v, want %+v", got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSortAlerts(t *testing.T) {
	oct, sep := mustMonth(t, "2026-10"), mustMonth(t, "2026-09")
	in := []kpi.Alert{
		{Rule: kpi.RuleLeadLost, Branch: "GD", Month: oct},
		{Rule: kpi.RuleDeclineStreak, Branch: "GD", Month: oct, Metric: "lead"},
		{Rule: kpi.RuleBelowBase, Branch: "ALL", Month: oct},
		{Rule: kpi.RuleDeclineStreak, Branch: "GD", Month: oct, Metric: "csi"},
		{Rule: kpi.RuleBelowBase, Branch: "HB", Month: sep},
	}
	kpi.SortAlerts(in)
	var got []string
	for _, a := range in {
		got = append(got, a.Month.String()+" "+a.Branch+" "+a.Rule+" "+a.Metric)
	}
	want := []string{
		"2026-09 HB below_base ", "2026-10 ALL below_base ", "2026-10 GD decline_streak lead",
		"2026-10 GD decline_streak csi", "2026-10 GD lead_lost ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SortAlerts order\n got %q\nwant %q", got, want)
	}
}
