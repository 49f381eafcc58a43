package report_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/report"
	"github.com/csat-dev/csat/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// moments gives n equally weighted responses with mean v and a 95 % margin moe.
func moments(v, moe float64, n uint64) kpi.Moments {
	fn := float64(n)
	sd := moe / 1.96 * math.Sqrt(fn)
	return kpi.Moments{N: n, SW: fn, SW2: fn, SWX: fn * v, SWX2: fn * (v*v + sd*sd)}
}

// monthData: the own carrier's items are base + offsets (network falling by 4 a month from
// 2026-08), ctcc trails by 1.5 except on network; 120 responses, complaints 40 of 100,000.
func monthData(m schema.Month, n uint64) kpi.MonthData {
	cat := schema.DefaultCatalog()
	offsets := []float64{3, 2, 1, -6, -5, 2, 3, -4, 4, 0}
	survey := kpi.SurveyStats{}
	for _, c := range []struct {
		carrier string
		delta   float64
	}{{"cmcc", 0}, {"ctcc", -1.5}} {
		ms := map[string]kpi.Moments{}
		var sum float64
		for i, it := range cat.Items {
			v := 80 + offsets[i] + c.delta
			if it.Code == "network" && c.carrier == "cmcc" && m >= 202608 {
				v -= 4 * float64(int(m)-202607)
			}
			ms[it.Code] = moments(v, 3, n)
			sum += v
		}
		ms[kpi.ItemCSI] = moments(sum/float64(len(cat.Items)), 2, n)
		ms[kpi.ItemOverall] = moments(sum/float64(len(cat.Items))+1, 2.2, n)
		survey[c.carrier] = ms
	}
	return kpi.MonthData{
		Survey:     survey,
		Window:     kpi.Window{HotlineN: 800, HotlineSatisfied: 750, HotlineResolved: 700, HotlineWaitSum: 800 * 15, HotlineSL20: 640, StoreN: 300, StoreSatisfied: 290, StoreWaitSum: 300 * 200},
		Complaints: kpi.Complaints{Opened: 40 + uint64(m%100), Escalated: 1, Closed: 38, ClosedWithinSLA: 35, ResolutionHoursSum: 38 * 20, CallbackN: 30, CallbackSatisfied: 27},
		Churn:      kpi.ChurnCounts{Churned: 1500, High: 90, Mid: 400, Low: 1010},
		Base:       &kpi.Base{Subscribers: 100000, Tiers: &kpi.Tiers{High: 10000, Mid: 30000, Low: 60000}},
	}
}

func fixture(t *testing.T) report.Data {
	t.Helper()
	cat := schema.DefaultCatalog()
	cfg := kpi.DefaultConfig()
	const b, m = "GD-SZ", schema.Month(202610)
	n := func(mm schema.Month) uint64 {
		if mm == 202603 {
			return 12 // an unreportable month in the trends
		}
		return 120
	}
	card := func(mm schema.Month) kpi.Card {
		return kpi.ComputeCard(cfg, cat, b, mm, monthData(mm, n(mm)), monthData(mm.Prev(), n(mm.Prev())))
	}
	d := report.Data{Branch: b, Names: map[string]string{"GD-SZ": "深圳市", "GD-SZ-FT": "福田区"}, Month: m, Card: card(m), Catalog: cat,
		Generated: "csat report · 数据截至 2026-11-05"}
	for _, metric := range []string{"csi", "item:network", "lead", "window_satisfaction", "complaint_rate", "churn_rate"} {
		met, err := kpi.ParseMetric(metric, cat)
		if err != nil {
			t.Fatal(err)
		}
		tr := aggregate.Trend{Branch: b, Metric: metric, From: m.Add(-12), To: m}
		for _, mm := range schema.Months(m.Add(-12), m) {
			c := card(mm)
			tr.Points = append(tr.Points, aggregate.TrendPoint{Month: mm, MetricValue: c.Metric(met)})
		}
		d.Trends = append(d.Trends, tr)
	}
	q := 0.0004
	d.Alerts = []kpi.Alert{
		{Rule: kpi.RuleDeclineStreak, Branch: "GD-SZ", Metric: "item:network", Month: m, Severity: kpi.SeveritySignificant,
			Streak: 3, Start: 202607, Values: []float64{83, 79, 75, 71}, Drop: 12, Q: &q},
		{Rule: kpi.RuleBelowBase, Branch: "GD-SZ-FT", Metric: "complaint_rate", Month: m, Severity: kpi.SeverityWatch, Value: 4.35, Base: 3},
	}
	sc, err := kpi.DefaultScorecard(cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, period := range []string{"2026-10", "2026-Q3"} {
		p, err := sc.Period(period)
		if err != nil {
			t.Fatal(err)
		}
		cards := map[schema.Month]*kpi.Card{}
		for _, pm := range p.Months {
			c := card(pm.Month)
			cards[pm.Month] = &c
		}
		d.Scorecards = append(d.Scorecards, sc.Evaluate(b, p, cards))
	}
	return d
}

// TestRenderGolden compares the report with testdata/report.golden.html (go test -update
// rewrites it after a deliberate change; look at it in a browser before committing).
func TestRenderGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Render(&buf, fixture(t)); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.html")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("report differs from %s (go test -update rewrites it); got:\n%s", golden, buf.String())
	}
}

// TestRenderSays checks what the report must say, independently of the golden file.
func TestRenderSays(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Render(&buf, fixture(t)); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		"深圳市（GD-SZ） 客户满意度月报", "2026 年 10 月",
		"一、关键指标", "二、近 13 个月趋势", "三、测评分项与短板", "四、预警", "五、考核",
		"4.35，高于基本目标 3.00（越低越好）", // the polarity of a lower-is-better metric
		"自 2026-07 起连续 3 个月下降：83.0 → 79.0 → 75.0 → 71.0", "误报概率 &lt; 0.1%",
		"福田区（GD-SZ-FT）", "考核得分 · 2026 年第 3 季度", "@media print", "@page",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "-0.0") || strings.Contains(html, "src=\"http") {
		t.Errorf("the report has a script, a -0.0 or an external resource")
	}
	// Six trend charts; the unreportable 2026-03 is a hollow point, not joined: the CSI line is
	// two runs (2025-10 … 2026-02 and 2026-04 … 2026-10).
	if got := strings.Count(html, "<svg"); got != 6 {
		t.Errorf("%d charts, want 6", got)
	}
	csiChart := html[strings.Index(html, `aria-label="综合满意度"`):]
	csiChart = csiChart[:strings.Index(csiChart, "</svg>")]
	if got := strings.Count(csiChart, "<polyline"); got != 2 {
		t.Errorf("CSI chart has %d line runs, want 2 (broken at the unreportable month)", got)
	}
	if got := strings.Count(csiChart, `class="dot grey"`); got != 1 {
		t.Errorf("CSI chart has %d hollow points, want 1", got)
	}
}
