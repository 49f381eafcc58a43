package notify_test

import (
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/notify/amtest"
	"github.com/csat-dev/csat/schema"
)

func ptr(v float64) *float64 { return &v }

func month(s string) schema.Month {
	m, err := schema.ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Fixtures: a significant county fall (the demo's 南山区 network story), a watch decline, a
// lower-is-better metric above its base, a lost lead, a drift.
var (
	countyFall = amtest.CountyFall(month("2026-11"))
	watchFall  = kpi.Alert{Rule: kpi.RuleDeclineStreak, Branch: "ZJ-HZ-XH", Metric: "csi",
		Month: month("2026-11"), Severity: kpi.SeverityWatch, Streak: 3, Start: month("2026-08"),
		Values: []float64{82.5, 81.2, 80.1, 79.6}, Drop: 2.9, Z: ptr(1.2), P: ptr(0.2), Q: ptr(0.43)}
	complaintsHigh = kpi.Alert{Rule: kpi.RuleBelowBase, Branch: "GD-GZ", Metric: "complaint_rate",
		Month: month("2026-11"), Severity: kpi.SeveritySignificant, Value: 4.35, Base: 3}
	leadLost = kpi.Alert{Rule: kpi.RuleLeadLost, Branch: "JS-NJ", Metric: "lead", Month: month("2026-11"),
		Severity: kpi.SeveritySignificant, Value: -2.3, Previous: 4.9, Drop: 7.2, P: ptr(0.0125), Q: ptr(0.025)}
	drift = kpi.Alert{Rule: kpi.RuleDrift, Branch: "GD", Metric: "item:network", Month: month("2026-11"),
		Severity: kpi.SeveritySignificant, Value: 76.7, Baseline: 83.8, Drop: 7.1, EWMA: -2.94, Limit: 1.25,
		Updates: 6, Z: ptr(-5.1), P: ptr(7.2e-13), Q: ptr(1.4e-12)}
)

var names = map[string]string{"GD": "广东省", "GD-SZ": "深圳市", "GD-SZ-NS": "南山区", "GD-GZ": "广州市",
	"ZJ": "浙江省", "ZJ-HZ": "杭州市", "ZJ-HZ-XH": "西湖区", "JS": "江苏省", "JS-NJ": "南京市"}

var catalog = schema.Catalog{Items: []schema.Item{{Code: "network", Name: "网络质量", Weight: 1, Key: true},
	{Code: "billing", Name: "计费准确", Weight: 1, Key: true}}}
