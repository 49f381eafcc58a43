package kpi_test

import (
	"fmt"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func ExampleComputeCard() {
	cat := schema.DefaultCatalog()
	cfg := kpi.DefaultConfig()
	// 100 own responses scoring 80 on every item (sd 10), 100 of a competitor scoring 75.
	stats := func(mean float64) map[string]kpi.Moments {
		m := map[string]kpi.Moments{kpi.ItemCSI: eq(100, mean, 10)}
		for _, it := range cat.Items {
			m[it.Code] = eq(100, mean, 10)
		}
		return m
	}
	cur := kpi.MonthData{Survey: kpi.SurveyStats{"cmcc": stats(80), "ctcc": stats(75)}}
	month, _ := schema.ParseMonth("2026-10")
	card := kpi.ComputeCard(cfg, cat, "GD-GZ", month, cur, kpi.MonthData{})

	lead := card.Metric(kpi.Metric{Kind: kpi.KindLead})
	fmt.Printf("csi %.1f ±%.2f, lead %.1f ±%.2f over %s, significant %v\n",
		*card.Survey.Own.CSI.Value, *card.Survey.Own.CSI.MOE95, *lead.Value, *lead.MOE95,
		*card.Survey.Lead.BestCompetitor, card.Survey.Lead.Significant)
	// Output: csi 80.0 ±1.96, lead 5.0 ±2.77 over ctcc, significant true
}

func ExampleScorecard_Evaluate() {
	sc, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		fmt.Println(err)
		return
	}
	q, _ := sc.Period("2026-Q4")
	r := sc.Evaluate("GD-GZ", q, nil) // no cards: every component missing
	fmt.Printf("%s %s: %.0f of %.0f points, %d months\n", r.Branch, r.Period, r.Total, r.Max, len(r.Components[0].Months))
	// Output: GD-GZ 2026-Q4: 0 of 31 points, 3 months
}

// The seed's 30/40/30/10 clerk scheme sums to 110: its parts are scaled by 100/110 and every
// score under it carries the warning. A clerk with 91 % satisfied ratings (n 40), one
// complaint, and reported scores of 80 on everything else, for one month: 客户服务质量 =
// 18.18·(91 − 60)/40 + 18.18·(3 − 1)/3 = 14.09 + 12.12; the others are 80 % of their points.
func ExampleScheme_Evaluate() {
	fs, _ := kpi.FrontlinePreset(kpi.DefaultFrontlinePreset, schema.DefaultCatalog())
	s, _ := fs.For(kpi.UnitStaff, "clerk_quarterly")
	oct, _ := schema.ParseMonth("2026-10")
	scores := map[string]float64{}
	for _, c := range []string{"attitude", "attendance", "task_quality", "sales", "high_value_sales", "training", "skills"} {
		scores[c] = 80
	}
	v := 91.0
	r := s.Evaluate(kpi.SchemeInput{Kind: kpi.UnitStaff, Unit: "E1", Role: "clerk_quarterly",
		Period: kpi.Period{Name: "2026-10", Months: []kpi.PeriodMonth{{Month: oct, Weight: 1}}},
		Months: map[schema.Month]kpi.SchemeMonth{oct: {
			Card:   &kpi.UnitCard{Satisfaction: kpi.Value{Value: &v, N: 40, Reportable: true}, Complaints: 1},
			Scores: scores,
		}}})
	for _, p := range r.Parts {
		fmt.Printf("%s %.2f of %.2f\n", p.Title, p.Points, p.Weight)
	}
	fmt.Printf("total %.2f of %.0f\n%s\n", r.Total, r.Max, r.Warnings[0])
	// Output:
	// 日常工作完成情况 21.82 of 27.27
	// 客户服务质量 26.21 of 36.36
	// 销售和业绩 21.82 of 27.27
	// 个人发展和培训 7.27 of 9.09
	// total 77.12 of 100
	// scheme clerk_quarterly: the parts' points sum to 110, not 100: scaled by 100/110
}
