package kpi_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// fixture is one branch and month with every part of the card populated. MinSample 30, K = 2.
// Catalog a–e with weights a 1, b 3, c 1, d 1, e 1. All moments are eq(n, mean, sd): weight-1
// responses, so SE = sd/√n.
func fixture() (cfg kpi.Config, cat schema.Catalog, cur, prev kpi.MonthData) {
	cfg = kpi.DefaultConfig()
	cfg.ShortPlankK = 2
	cat = testCatalog(1, 3, 1, 1, 1)
	comp := func(csiN uint64, csiSD float64) map[string]kpi.Moments {
		return map[string]kpi.Moments{
			"a": eq(50, 75, 10), "b": eq(50, 55, 10), "c": eq(50, 60, 10), "d": eq(50, 50, 10), "e": eq(50, 90, 10),
			kpi.ItemCSI: eq(csiN, 60, csiSD), kpi.ItemOverall: eq(50, 70, 10),
		}
	}
	cur = kpi.MonthData{
		Survey: kpi.SurveyStats{
			"cmcc": {
				"a": eq(50, 70, 10), "b": eq(50, 60, 10), "c": eq(50, 60, 20),
				"d":         eq(10, 50, 10), // unreportable: n = 10 < 30
				"e":         eq(50, 90, 10),
				kpi.ItemCSI: eq(60, 66, 12), kpi.ItemOverall: eq(55, 72, 15),
			},
			// ctcc and cucc have identical item scores, so identical CSIs (a tie); their _csi
			// moments differ, which shows whose SE the lead uses.
			"ctcc": comp(80, 18),
			"cucc": comp(100, 10),
			// aaaa scores 99 everywhere but on 10 responses: never the best competitor.
			"aaaa": {"a": eq(10, 99, 1), "b": eq(10, 99, 1), "c": eq(10, 99, 1), "d": eq(10, 99, 1),
				"e": eq(10, 99, 1), kpi.ItemCSI: eq(10, 99, 1)},
		},
		Window: kpi.Window{HotlineN: 40, HotlineSatisfied: 30, HotlineResolved: 20, HotlineWaitSum: 1000,
			HotlineSL20: 10, StoreN: 60, StoreSatisfied: 60, StoreWaitSum: 300},
		Complaints: kpi.Complaints{Opened: 7, Escalated: 1, Closed: 4, ClosedWithinSLA: 3,
			ResolutionHoursSum: 100, CallbackN: 2, CallbackSatisfied: 1},
		Churn: kpi.ChurnCounts{Churned: 100, High: 5, Mid: 20, Low: 75},
		Base:  &kpi.Base{Subscribers: 20000, Tiers: &kpi.Tiers{High: 1000, Mid: 4000, Low: 15000}},
	}
	prev = kpi.MonthData{Survey: kpi.SurveyStats{"cmcc": {
		"a": eq(50, 65, 10), "b": eq(50, 62, 10), "c": eq(50, 80, 10), "d": eq(50, 40, 10), "e": eq(50, 95, 10),
	}}}
	return cfg, cat, cur, prev
}

func fixtureCard(t testing.TB) kpi.Card {
	t.Helper()
	cfg, cat, cur, prev := fixture()
	return kpi.ComputeCard(cfg, cat, "GD-GZ", mustMonth(t, "2026-10"), cur, prev)
}

func TestComputeCardSurvey(t *testing.T) {
	c := fixtureCard(t)
	s := c.Survey

	// CSI = Σ W_k·S_k / Σ W_k over answered items, d included (it has answers, unreportable or
	// not): (1·70 + 3·60 + 1·60 + 1·50 + 1·90) / 7 = 450/7 — not the mean of y (66).
	// n and moe95 from _csi: n 60, moe95 = 1.96·12/√60.
	checkF(t, "own csi", s.Own.CSI.Value, fp(450.0/7))
	checkF(t, "own csi moe95", s.Own.CSI.MOE95, fp(1.96*12/math.Sqrt(60)))
	if s.Own.CSI.N != 60 || !s.Own.CSI.Reportable {
		t.Errorf("own csi n, reportable = %d, %v, want 60, true", s.Own.CSI.N, s.Own.CSI.Reportable)
	}
	checkF(t, "own overall", s.Own.Overall.Value, fp(72))
	if s.Own.Carrier != "cmcc" || len(s.Own.Items) != 5 || s.Own.Items["d"].Reportable {
		t.Errorf("own = %+v, want carrier cmcc, 5 items, d unreportable", s.Own)
	}
	// Competitor CSI: (75 + 3·55 + 60 + 50 + 90)/7 = 440/7.
	checkF(t, "ctcc csi", s.Competitors["ctcc"].CSI.Value, fp(440.0/7))
	if got := sortedNames(s.Competitors); !reflect.DeepEqual(got, []string{"aaaa", "ctcc", "cucc"}) {
		t.Errorf("competitors = %v", got)
	}
	if s.Competitors["aaaa"].CSI.Reportable {
		t.Errorf("aaaa csi reportable with n = 10")
	}

	// Lead: ctcc and cucc tie at 440/7, the smaller name wins: ctcc (aaaa is unreportable).
	// lead = 450/7 − 440/7 = 10/7; moe95 = 1.96·√(12²/60 + 18²/80) = 1.96·√(2.4 + 4.05) = 1.96·√6.45
	// ≈ 4.978 > 10/7 ≈ 1.43: not significant.
	wantLead := kpi.Lead{Value: fp(10.0 / 7), MOE95: fp(1.96 * math.Sqrt(6.45)), BestCompetitor: sp("ctcc")}
	checkLead(t, "lead", s.Lead, wantLead)

	// Item leads, SE = 10/√50 (var 2) for every 10-sd item, 20/√50 (var 8) for own c:
	// a: 70 − 75 = −5, moe95 1.96·√4 = 3.92 → significant; b: 60 − 55 = 5, significant;
	// c: 60 − 60 = 0, moe95 1.96·√10; d: own unreportable → null; e: 90 − 90 = 0, moe95 3.92.
	wantItems := map[string]kpi.Lead{
		"a": {Value: fp(-5), MOE95: fp(3.92), BestCompetitor: sp("ctcc"), Significant: true},
		"b": {Value: fp(5), MOE95: fp(3.92), BestCompetitor: sp("ctcc"), Significant: true},
		"c": {Value: fp(0), MOE95: fp(1.96 * math.Sqrt(10)), BestCompetitor: sp("ctcc")},
		"d": {},
		"e": {Value: fp(0), MOE95: fp(3.92), BestCompetitor: sp("ctcc")},
	}
	if len(s.ItemLeads) != len(wantItems) {
		t.Errorf("item_leads has %d items, want %d", len(s.ItemLeads), len(wantItems))
	}
	for code, want := range wantItems {
		checkLead(t, "item lead "+code, s.ItemLeads[code], want)
	}

	// Short planks, K = 2, over reportable own items a 70, b 60, c 60, e 90 (d 50 is excluded):
	// absolute = b, c (tie at 60 broken by code); index = 60.
	// competitive: leads a −5, c 0, e 0, b 5 → a, c (tie of c and e broken by code).
	// improvement: m−1's absolute planks are d 40 and b 62 (all reportable then); d is not
	// reportable at m, so only b counts: 60 − 62 = −2. (m's own planks would give
	// ((60−62) + (60−80))/2 = −11.)
	sp := s.ShortPlanks
	if !reflect.DeepEqual(sp.Absolute, []string{"b", "c"}) || !reflect.DeepEqual(sp.Competitive, []string{"a", "c"}) {
		t.Errorf("planks absolute %v, competitive %v, want [b c], [a c]", sp.Absolute, sp.Competitive)
	}
	checkF(t, "spi", sp.Index, fp(60))
	checkF(t, "improvement", sp.Improvement, fp(-2))
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func checkLead(t testing.TB, what string, got, want kpi.Lead) {
	t.Helper()
	checkF(t, what+" value", got.Value, want.Value)
	checkF(t, what+" moe95", got.MOE95, want.MOE95)
	if fmtp(got.BestCompetitor) != fmtp(want.BestCompetitor) || got.Significant != want.Significant {
		t.Errorf("%s best, significant = %s, %v, want %s, %v", what, fmtp(got.BestCompetitor), got.Significant,
			fmtp(want.BestCompetitor), want.Significant)
	}
}

func TestComputeCardLeadEdges(t *testing.T) {
	cfg := kpi.DefaultConfig()
	cat := testCatalog()
	items := func(n uint64, mean float64) map[string]kpi.Moments {
		m := map[string]kpi.Moments{kpi.ItemCSI: eq(n, mean, 10)}
		for _, it := range cat.Items {
			m[it.Code] = eq(n, mean, 10)
		}
		return m
	}
	month := mustMonth(t, "2026-10")
	tests := []struct {
		name   string
		survey kpi.SurveyStats
		want   kpi.Lead
	}{
		{"own unreportable", kpi.SurveyStats{"cmcc": items(29, 80), "ctcc": items(100, 70)}, kpi.Lead{}},
		{"no competitor reportable", kpi.SurveyStats{"cmcc": items(100, 80), "ctcc": items(29, 70)}, kpi.Lead{}},
		{"no competitor at all", kpi.SurveyStats{"cmcc": items(100, 80)}, kpi.Lead{}},
		{"no own responses", kpi.SurveyStats{"ctcc": items(100, 80)}, kpi.Lead{}},
		// 80 − 70 = 10; SE 1 each (sd 10, n 100): moe95 = 1.96·√2 ≈ 2.77 → significant.
		{"significant", kpi.SurveyStats{"cmcc": items(100, 80), "ctcc": items(100, 70)},
			kpi.Lead{Value: fp(10), MOE95: fp(1.96 * math.Sqrt2), BestCompetitor: sp("ctcc"), Significant: true}},
		// 80 − 85 = −5, best is the max (cucc), not the first.
		{"best is the maximum", kpi.SurveyStats{"cmcc": items(100, 80), "ctcc": items(100, 70), "cucc": items(100, 85)},
			kpi.Lead{Value: fp(-5), MOE95: fp(1.96 * math.Sqrt2), BestCompetitor: sp("cucc"), Significant: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kpi.ComputeCard(cfg, cat, "GD", month, kpi.MonthData{Survey: tt.survey}, kpi.MonthData{})
			checkLead(t, "lead", c.Survey.Lead, tt.want)
			checkLead(t, "item lead a", c.Survey.ItemLeads["a"], tt.want)
			if c.Survey.ShortPlanks.Improvement != nil {
				t.Errorf("improvement = %v without m−1 data, want null", *c.Survey.ShortPlanks.Improvement)
			}
		})
	}

	t.Run("MinSample 1: n = 1 is reportable, moe95 unknown, not significant", func(t *testing.T) {
		cfg := cfg
		cfg.MinSample = 1
		s := kpi.SurveyStats{"cmcc": items(1, 80), "ctcc": items(100, 70)}
		c := kpi.ComputeCard(cfg, cat, "GD", month, kpi.MonthData{Survey: s}, kpi.MonthData{})
		checkLead(t, "lead", c.Survey.Lead, kpi.Lead{Value: fp(10), BestCompetitor: sp("ctcc")})
	})
}

func TestComputeCardEmpty(t *testing.T) {
	c := kpi.ComputeCard(kpi.DefaultConfig(), testCatalog(), "ALL", mustMonth(t, "2026-10"), kpi.MonthData{}, kpi.MonthData{})
	sp := c.Survey.ShortPlanks
	if c.Survey.Own.CSI.Value != nil || c.Survey.Own.CSI.Reportable || len(sp.Absolute) != 0 || sp.Absolute == nil ||
		sp.Competitive == nil || sp.Index != nil || sp.Improvement != nil || c.Survey.Competitors == nil {
		t.Errorf("empty card survey = %+v", c.Survey)
	}
	w := c.Window
	if w.Satisfaction != nil || w.Hotline.Satisfaction != nil || w.Hotline.AvgWait != nil || w.Store.AvgWait != nil {
		t.Errorf("empty window = %+v", w)
	}
	if c.Complaints.RatePer10k != nil || c.Complaints.SLARate != nil || c.Churn.Rate != nil || c.Base != nil {
		t.Errorf("empty complaints/churn = %+v %+v", c.Complaints, c.Churn)
	}
}

func TestComputeCardCounts(t *testing.T) {
	c := fixtureCard(t)
	h, s := c.Window.Hotline, c.Window.Store
	// Hotline 40 ratings: 30 satisfied → 75, 20 resolved → 50, wait 1000 s → 25 s, 10 within
	// 20 s → 25. Store 60 ratings, all satisfied → 100, wait 300 s → 5 s.
	// Window: 100 × (30 + 60)/(40 + 60) = 90.
	if h.N != 40 || s.N != 60 {
		t.Errorf("n hotline, store = %d, %d", h.N, s.N)
	}
	for _, x := range []struct {
		what      string
		got, want *float64
	}{
		{"hotline satisfaction", h.Satisfaction, fp(75)}, {"fcr", h.FCR, fp(50)}, {"hotline avg_wait", h.AvgWait, fp(25)},
		{"sl20", h.SL20, fp(25)}, {"store satisfaction", s.Satisfaction, fp(100)}, {"store avg_wait", s.AvgWait, fp(5)},
		{"window satisfaction", c.Window.Satisfaction, fp(90)},
		// Base 20 000: 7 opened → 7/20000·10⁴ = 3.5; 1 escalated → 1/20000·10⁶ = 50; 3 of 4 closed
		// within SLA → 75; 100 h / 4 = 25 h; 1 of 2 callbacks satisfied → 50.
		{"rate_per_10k", c.Complaints.RatePer10k, fp(3.5)}, {"escalated_per_1m", c.Complaints.EscalatedPer1m, fp(50)},
		{"sla_rate", c.Complaints.SLARate, fp(75)}, {"mean_resolution_hours", c.Complaints.MeanResolutionHours, fp(25)},
		{"callback_satisfaction", c.Complaints.CallbackSatisfaction, fp(50)},
		// 100 churned of 20 000 → 0.5; 5 high of 1000 → 0.5; retention 100 − 100·(5+20)/(1000+4000) = 99.5.
		{"churn rate", c.Churn.Rate, fp(0.5)}, {"high_value_rate", c.Churn.HighValueRate, fp(0.5)},
		{"retention_rate", c.Churn.RetentionRate, fp(99.5)},
	} {
		checkF(t, x.what, x.got, x.want)
	}

	cfg, cat, cur, prev := fixture()
	for _, tt := range []struct {
		name string
		base *kpi.Base
	}{{"no base", nil}, {"base 0", &kpi.Base{Tiers: &kpi.Tiers{}}}} {
		cur.Base = tt.base
		c := kpi.ComputeCard(cfg, cat, "GD-GZ", mustMonth(t, "2026-10"), cur, prev)
		if c.Complaints.RatePer10k != nil || c.Complaints.EscalatedPer1m != nil || c.Churn.Rate != nil ||
			c.Churn.HighValueRate != nil || c.Churn.RetentionRate != nil {
			t.Errorf("%s: rates %+v %+v, want null", tt.name, c.Complaints, c.Churn)
		}
		if c.Complaints.Opened != 7 || c.Churn.Churned != 100 || c.Churn.ByTier.High != 5 {
			t.Errorf("%s: counts %+v %+v", tt.name, c.Complaints, c.Churn)
		}
	}
	cur.Base = &kpi.Base{Subscribers: 20000}
	c = kpi.ComputeCard(cfg, cat, "GD-GZ", mustMonth(t, "2026-10"), cur, prev)
	if c.Churn.Rate == nil || c.Churn.HighValueRate != nil || c.Churn.RetentionRate != nil {
		t.Errorf("base without tiers: churn %+v, want rate only", c.Churn)
	}
}
