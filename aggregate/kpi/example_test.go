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
