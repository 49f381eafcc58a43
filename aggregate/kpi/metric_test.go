package kpi_test

import (
	"math"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func TestMetricNames(t *testing.T) {
	cat := schema.DefaultCatalog()
	names := kpi.MetricNames(cat)
	// 25 plain names + item:<code> and item_lead:<code> for 10 items.
	if len(names) != 25+2*10 {
		t.Errorf("MetricNames has %d names, want 45: %v", len(names), names)
	}
	for _, n := range names {
		m, err := kpi.ParseMetric(n, cat)
		if err != nil || m.String() != n {
			t.Errorf("ParseMetric(%q) = %v, %v; want round trip", n, m, err)
		}
	}
	for _, want := range []string{"csi", "overall", "item:network", "lead", "item_lead:complaint", "spi",
		"short_plank_improvement", "window_satisfaction", "hotline_satisfaction", "store_satisfaction",
		"complaint_rate", "escalated_rate", "complaint_sla_rate", "churn_rate", "high_value_churn_rate",
		"retention_rate", "score"} {
		if !contains(names, want) {
			t.Errorf("MetricNames lacks %q", want)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestParseMetricErrors(t *testing.T) {
	cat := schema.DefaultCatalog()
	for _, tt := range []struct{ in, wantErr string }{
		{"", "unknown metric"},
		{"CSI", "unknown metric"},
		{"item", "want item:<item code>"},
		{"item:", "not in the catalog"},
		{"item:nope", "not in the catalog"},
		{"item_lead:nope", "not in the catalog"},
		{"csi:network", "takes no item code"},
		{"nps", "unknown metric"},
	} {
		_, err := kpi.ParseMetric(tt.in, cat)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseMetric(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestCardMetric(t *testing.T) {
	c := fixtureCard(t)
	cat := testCatalog(1, 3, 1, 1, 1)
	n := func(v uint64) *uint64 { return &v }
	tests := []struct {
		metric string
		want   kpi.MetricValue
	}{
		{"csi", kpi.MetricValue{Value: fp(450.0 / 7), MOE95: fp(1.96 * 12 / math.Sqrt(60)), SE: fp(12 / math.Sqrt(60)), N: n(60), Reportable: true}},
		{"overall", kpi.MetricValue{Value: fp(72), MOE95: fp(1.96 * 15 / math.Sqrt(55)), SE: fp(15 / math.Sqrt(55)), N: n(55), Reportable: true}},
		{"item:d", kpi.MetricValue{Value: fp(50), MOE95: fp(1.96 * 10 / math.Sqrt(10)), SE: fp(10 / math.Sqrt(10)), N: n(10)}},
		{"lead", kpi.MetricValue{Value: fp(10.0 / 7), MOE95: fp(1.96 * math.Sqrt(6.45)), SE: fp(math.Sqrt(6.45)), Reportable: true}},
		{"item_lead:a", kpi.MetricValue{Value: fp(-5), MOE95: fp(3.92), SE: fp(2), Reportable: true}},
		{"item_lead:d", kpi.MetricValue{}},
		{"spi", kpi.MetricValue{Value: fp(60), Reportable: true}},
		{"short_plank_improvement", kpi.MetricValue{Value: fp(-2), Reportable: true}},
		// 90 of 100 ratings: SE = 100·√(0.9·0.1/100) = 3.
		{"window_satisfaction", kpi.MetricValue{Value: fp(90), MOE95: fp(5.88), SE: fp(3), N: n(100), Reportable: true}},
		// 30 of 40: SE = 100·√(0.75·0.25/40) = 100·√0.0046875.
		{"hotline_satisfaction", kpi.MetricValue{Value: fp(75), MOE95: fp(196 * math.Sqrt(0.0046875)), SE: fp(100 * math.Sqrt(0.0046875)), N: n(40), Reportable: true}},
		{"store_satisfaction", kpi.MetricValue{Value: fp(100), MOE95: fp(0), SE: fp(0), N: n(60), Reportable: true}},
		{"complaint_rate", kpi.MetricValue{Value: fp(3.5), Reportable: true}},
		{"escalated_rate", kpi.MetricValue{Value: fp(50), Reportable: true}},
		{"complaint_sla_rate", kpi.MetricValue{Value: fp(75), Reportable: true}},
		{"churn_rate", kpi.MetricValue{Value: fp(0.5), Reportable: true}},
		{"high_value_churn_rate", kpi.MetricValue{Value: fp(0.5), Reportable: true}},
		{"retention_rate", kpi.MetricValue{Value: fp(99.5), Reportable: true}},
		{"score", kpi.MetricValue{}},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			m, err := kpi.ParseMetric(tt.metric, cat)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Metric(m)
			checkF(t, "value", got.Value, tt.want.Value)
			checkF(t, "moe95", got.MOE95, tt.want.MOE95)
			checkF(t, "se", got.SE, tt.want.SE)
			if fmtp(got.N) != fmtp(tt.want.N) || got.Reportable != tt.want.Reportable {
				t.Errorf("n, reportable = %s, %v, want %s, %v", fmtp(got.N), got.Reportable, fmtp(tt.want.N), tt.want.Reportable)
			}
		})
	}

	// Fewer than CSAT_MIN_SAMPLE window ratings: the value is there, not reportable.
	cfg, cat, cur, prev := fixture()
	cur.Window = kpi.Window{HotlineN: 4, HotlineSatisfied: 3, StoreN: 6, StoreSatisfied: 6}
	small := kpi.ComputeCard(cfg, cat, "GD-GZ", c.Month, cur, prev)
	if got := small.Metric(kpi.Metric{Kind: kpi.KindWindowSatisfaction}); got.Reportable || got.Value == nil || *got.Value != 90 {
		t.Errorf("window_satisfaction on 10 ratings = %+v, want 90, unreportable", got)
	}
}
