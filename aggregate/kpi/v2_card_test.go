package kpi_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// areaCatalog: net is an area with the key sub-items cov and call and the non-key sub-item
// speed; bill and shop are flat items. CSI weights all 1.
func areaCatalog() schema.Catalog {
	return schema.Catalog{Items: []schema.Item{
		{Code: "net", Name: "网络质量", Weight: 1, Key: true},
		{Code: "cov", Name: "覆盖", Weight: 1, Key: true, Area: "net"},
		{Code: "call", Name: "通话", Weight: 1, Key: true, Area: "net"},
		{Code: "speed", Name: "网速", Weight: 1, Key: false, Area: "net"},
		{Code: "bill", Name: "计费", Weight: 1, Key: true},
		{Code: "shop", Name: "营业厅", Weight: 1, Key: true},
	}}
}

func TestCompositePlanks(t *testing.T) {
	cfg := kpi.DefaultConfig()
	cfg.ShortPlankK = 2
	cat := areaCatalog()
	m := mustMonth(t, "2026-10")
	cur := kpi.MonthData{Survey: kpi.SurveyStats{"cmcc": {
		"net": eq(50, 70, 10), "cov": eq(50, 50, 10), "call": eq(50, 60, 10),
		"speed": eq(50, 10, 10), // not a key item: never in the plank score
		"bill":  eq(50, 66, 10), "shop": eq(50, 80, 10),
	}}}
	// Month before: call unreportable (n 10), so net's plank score is α·70 + (1−α)·cov only.
	prev := kpi.MonthData{Survey: kpi.SurveyStats{"cmcc": {
		"net": eq(50, 70, 10), "cov": eq(50, 40, 10), "call": eq(10, 99, 10),
		"bill": eq(50, 60, 10), "shop": eq(50, 90, 10),
	}}}
	c := kpi.ComputeCard(cfg, cat, "GD", m, cur, prev)
	sp := c.Survey.ShortPlanks
	// Candidates: net, bill, shop (cov, call, speed have an area).
	// net = 0.5·70 + 0.5·(50+60)/2 = 62.5; bill = 66; shop = 80 → planks net, bill.
	if want := []string{"net", "bill"}; !reflect.DeepEqual(sp.Absolute, want) {
		t.Fatalf("absolute = %v, want %v", sp.Absolute, want)
	}
	checkF(t, "spi", sp.Index, fp((62.5+66)/2))
	if want := map[string]float64{"net": 62.5, "bill": 66}; !reflect.DeepEqual(sp.Scores, want) {
		t.Errorf("scores = %v, want %v", sp.Scores, want)
	}
	// m−1: net = 0.5·70 + 0.5·40 = 55, bill 60, shop 90 → planks net, bill;
	// improvement = ((62.5−55) + (66−60)) / 2 = 6.75.
	checkF(t, "improvement", sp.Improvement, fp(6.75))
	// CSI is unchanged by areas: the mean of all six items' scores.
	checkF(t, "csi", c.Survey.Own.CSI.Value, fp((70+50+60+10+66+80)/6.0))

	// An area with no reportable key sub-item scores S_area.
	cur.Survey["cmcc"]["cov"] = eq(5, 50, 10)
	cur.Survey["cmcc"]["call"] = eq(5, 60, 10)
	c = kpi.ComputeCard(cfg, cat, "GD", m, cur, prev)
	if want := []string{"bill", "net"}; !reflect.DeepEqual(c.Survey.ShortPlanks.Absolute, want) {
		t.Errorf("absolute without sub-items = %v, want %v (bill 66, net 70)", c.Survey.ShortPlanks.Absolute, want)
	}
	checkF(t, "spi without sub-items", c.Survey.ShortPlanks.Index, fp((66+70)/2.0))

	// α = 1 is the area alone; α = 0 the sub-items alone.
	cfg.PlankAlpha = 0
	cur.Survey["cmcc"]["cov"] = eq(50, 50, 10)
	cur.Survey["cmcc"]["call"] = eq(50, 60, 10)
	c = kpi.ComputeCard(cfg, cat, "GD", m, cur, prev)
	if got := c.Survey.ShortPlanks.Scores["net"]; got != 55 {
		t.Errorf("α = 0: net plank score = %v, want 55", got)
	}
}

func TestFlatCatalogPlanksUnchanged(t *testing.T) {
	// A flat catalog: no scores map, and the plank score is S_item whatever α is.
	cfg, cat, cur, prev := fixture()
	a := kpi.ComputeCard(cfg, cat, "GD-GZ", mustMonth(t, "2026-10"), cur, prev)
	cfg.PlankAlpha = 0.1
	b := kpi.ComputeCard(cfg, cat, "GD-GZ", mustMonth(t, "2026-10"), cur, prev)
	if !reflect.DeepEqual(a.Survey.ShortPlanks, b.Survey.ShortPlanks) || a.Survey.ShortPlanks.Scores != nil {
		t.Errorf("flat catalog planks depend on α or carry scores: %+v vs %+v", a.Survey.ShortPlanks, b.Survey.ShortPlanks)
	}
}

func TestConsistency(t *testing.T) {
	cfg := kpi.DefaultConfig()
	cat := schema.DefaultCatalog()
	m := mustMonth(t, "2026-10")
	cur := kpi.MonthData{
		Survey: kpi.SurveyStats{"cmcc": {
			"store": eq(40, 82, 10), "hotline": eq(40, 75.5, 10),
			"online": eq(12, 40, 10), // unreportable: takes no part
		}},
		Stores: map[string]kpi.StoreRatings{
			"S1": {N: 40, Satisfied: 36}, // 90 %
			"S2": {N: 60, Satisfied: 42}, // 70 %
			"S3": {N: 29, Satisfied: 0},  // below CSAT_MIN_SAMPLE: out
		},
	}
	c := kpi.ComputeCard(cfg, cat, "GD-GZ", m, cur, kpi.MonthData{})
	// Channel gap over store and hotline only (online unreportable): 82 − 75.5 = 6.5.
	checkF(t, "channel_gap", c.Consistency.ChannelGap, fp(6.5))
	checkF(t, "consistency", c.Consistency.Consistency, fp(93.5))
	if want := []string{"store", "hotline"}; !reflect.DeepEqual(c.Consistency.Channels, want) {
		t.Errorf("channels = %v, want %v", c.Consistency.Channels, want)
	}
	// p̄ = (36+42)/100 = 78 %; Σn(p−p̄)² = 40·12² + 60·8² = 5760 + 3840 = 9600; /100 → √96.
	checkF(t, "store_spread", c.Consistency.StoreSpread, fp(math.Sqrt(96)))
	if c.Consistency.Stores != 2 {
		t.Errorf("stores = %d, want 2", c.Consistency.Stores)
	}
	for _, tt := range []struct {
		kind kpi.Kind
		want *float64
	}{
		{kpi.KindChannelGap, fp(6.5)}, {kpi.KindConsistency, fp(93.5)}, {kpi.KindStoreSpread, fp(math.Sqrt(96))},
	} {
		checkF(t, string(tt.kind), c.Metric(kpi.Metric{Kind: tt.kind}).Value, tt.want)
	}

	// One reportable channel only: no gap. One store only: no spread.
	cur.Survey["cmcc"]["hotline"] = eq(3, 75.5, 10)
	delete(cur.Stores, "S2")
	c = kpi.ComputeCard(cfg, cat, "GD-GZ", m, cur, kpi.MonthData{})
	if c.Consistency.ChannelGap != nil || c.Consistency.Consistency != nil || c.Consistency.StoreSpread != nil {
		t.Errorf("consistency with one channel and one store = %+v, want nulls", c.Consistency)
	}
	if v := c.Metric(kpi.Metric{Kind: kpi.KindChannelGap}); v.Reportable {
		t.Errorf("channel_gap without a gap is reportable: %+v", v)
	}
}

func TestEnterpriseCSI(t *testing.T) {
	cfg := kpi.DefaultConfig()
	cat := testCatalog(1, 3, 1, 1, 1)
	p := kpi.EnterprisePrefix
	cur := kpi.MonthData{Survey: kpi.SurveyStats{
		"cmcc": {
			"a": eq(100, 70, 10), "b": eq(100, 60, 10), kpi.ItemCSI: eq(100, 62, 10),
			p + "a": eq(40, 80, 10), p + "b": eq(40, 70, 10), p + kpi.ItemCSI: eq(40, 72, 8),
		},
		"ctcc": {
			"a": eq(100, 60, 10), kpi.ItemCSI: eq(100, 60, 10),
			p + "a": eq(35, 75, 10), p + "b": eq(35, 65, 10), p + kpi.ItemCSI: eq(35, 68, 6),
		},
		"cucc": {p + "a": eq(5, 99, 1), p + kpi.ItemCSI: eq(5, 99, 1)}, // unreportable
	}}
	c := kpi.ComputeCard(cfg, cat, "GD", mustMonth(t, "2026-10"), cur, kpi.MonthData{})
	e := c.Survey.Enterprise
	// Own enterprise CSI = (1·80 + 3·70)/4 = 72.5; n 40; moe95 = 1.96·8/√40.
	checkF(t, "enterprise csi", e.CSI.Value, fp(72.5))
	checkF(t, "enterprise csi moe95", e.CSI.MOE95, fp(1.96*8/math.Sqrt(40)))
	// ctcc = (75 + 3·65)/4 = 67.5 → lead 5, moe95 = 1.96·√(8²/40 + 6²/35).
	checkF(t, "enterprise lead", e.Lead.Value, fp(5))
	checkF(t, "enterprise lead moe95", e.Lead.MOE95, fp(1.96*math.Sqrt(64.0/40+36.0/35)))
	if e.Lead.BestCompetitor == nil || *e.Lead.BestCompetitor != "ctcc" {
		t.Errorf("best competitor = %v, want ctcc (cucc is unreportable)", fmtp(e.Lead.BestCompetitor))
	}
	// The all-responses CSI is untouched by the enterprise keys: (70 + 3·60)/4.
	checkF(t, "csi", c.Survey.Own.CSI.Value, fp(62.5))
	if v := c.Metric(kpi.Metric{Kind: kpi.KindEnterpriseCSI}); v.N == nil || *v.N != 40 || !v.Reportable {
		t.Errorf("enterprise_csi metric = %+v", v)
	}
	checkF(t, "enterprise_lead metric", c.Metric(kpi.Metric{Kind: kpi.KindEnterpriseLead}).Value, fp(5))
}

func TestServiceLevelMetrics(t *testing.T) {
	cfg := kpi.DefaultConfig()
	w := kpi.Window{HotlineN: 40, HotlineSatisfied: 30, HotlineResolved: 30, HotlineWaitSum: 1000,
		HotlineSL20: 10, HotlineHandleSum: 8000, StoreN: 20, StoreSatisfied: 20, StoreWaitSum: 300}
	c := kpi.ComputeCard(cfg, schema.DefaultCatalog(), "GD", mustMonth(t, "2026-10"), kpi.MonthData{Window: w}, kpi.MonthData{})
	checkF(t, "card avg_handle", c.Window.Hotline.AvgHandle, fp(200))
	for _, tt := range []struct {
		kind       kpi.Kind
		value, moe *float64
		n          uint64
		reportable bool
	}{
		// fcr 30/40 = 75 %, SE = 100·√(.75·.25/40).
		{kpi.KindFCR, fp(75), fp(1.96 * 100 * math.Sqrt(0.75*0.25/40)), 40, true},
		{kpi.KindSL20, fp(25), fp(1.96 * 100 * math.Sqrt(0.25*0.75/40)), 40, true},
		{kpi.KindHotlineAvgWait, fp(25), nil, 40, true},
		{kpi.KindAvgHandle, fp(200), nil, 40, true},
		// 20 store ratings < CSAT_MIN_SAMPLE 30.
		{kpi.KindStoreAvgWait, fp(15), nil, 20, false},
	} {
		v := c.Metric(kpi.Metric{Kind: tt.kind})
		checkF(t, string(tt.kind), v.Value, tt.value)
		checkF(t, string(tt.kind)+" moe95", v.MOE95, tt.moe)
		if v.N == nil || *v.N != tt.n || v.Reportable != tt.reportable {
			t.Errorf("%s: n %v reportable %v, want %d %v", tt.kind, fmtp(v.N), v.Reportable, tt.n, tt.reportable)
		}
	}
}

func TestLowerIsBetter(t *testing.T) {
	lower := map[kpi.Kind]bool{}
	for _, k := range []kpi.Kind{kpi.KindComplaintRate, kpi.KindEscalatedRate, kpi.KindChurnRate,
		kpi.KindHighValueChurnRate, kpi.KindHotlineAvgWait, kpi.KindAvgHandle, kpi.KindStoreAvgWait,
		kpi.KindChannelGap, kpi.KindStoreSpread} {
		lower[k] = true
	}
	for _, name := range kpi.MetricNames(schema.DefaultCatalog()) {
		m, err := kpi.ParseMetric(name, schema.DefaultCatalog())
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Kind.LowerIsBetter(); got != lower[m.Kind] {
			t.Errorf("%s: LowerIsBetter = %v, want %v", name, got, lower[m.Kind])
		}
	}
}
