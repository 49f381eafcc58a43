package api

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// gaugeMetrics are the KPIs exported as csat_kpi_<name>{branch}. Only reportable values are
// exported (SPEC §3.4): a branch whose CSI rests on too few responses has no csat_kpi_csi.
var gaugeMetrics = []struct {
	kind kpi.Kind
	help string
}{
	{kpi.KindCSI, "Composite satisfaction index (CSI, 0-100) of the branch's subtree in the current month."},
	{kpi.KindOverall, "Overall satisfaction (0-100) in the current month."},
	{kpi.KindLead, "Lead of the CSI over the best competitor (points) in the current month."},
	{kpi.KindSPI, "Short-plank index: mean score of the weakest items (0-100) in the current month."},
	{kpi.KindShortPlankImprovement, "Short-plank improvement over last month's weakest items (points)."},
	{kpi.KindWindowSatisfaction, "Window-service (store + hotline) satisfaction (percent) in the current month."},
	{kpi.KindComplaintRate, "Complaints opened per 10,000 subscribers in the current month."},
	{kpi.KindEscalatedRate, "Escalated complaints per 1,000,000 subscribers in the current month."},
	{kpi.KindChurnRate, "Churned subscribers per 100 subscribers (percent) in the current month."},
	{kpi.KindHighValueChurnRate, "High-tier churn (percent of high-tier subscribers) in the current month."},
	{kpi.KindRetentionRate, "Retention of mid- and high-tier subscribers (percent) in the current month."},
}

// kpiCollector exports the current month's KPIs from a snapshot that run refreshes every
// MetricsRefresh; a scrape never waits for the Reader and always sees one whole snapshot.
//
// The current month is the month of now in cfg.Location, or the month before while ALL has
// no survey response yet this month (the survey wave of a month lands during it or after it):
// the month is exported as csat_kpi_month (YYYYMM).
type kpiCollector struct {
	reader Reader
	level  int
	every  time.Duration
	loc    *time.Location
	log    *slog.Logger
	now    func() time.Time

	descs       map[kpi.Kind]*prometheus.Desc
	csiMOE      *prometheus.Desc
	csiN        *prometheus.Desc
	alertDesc   *prometheus.Desc
	monthDesc   *prometheus.Desc
	lastDesc    *prometheus.Desc
	failures    prometheus.Counter
	refreshTime prometheus.Histogram

	mu   sync.RWMutex
	snap snapshot
}

type snapshot struct {
	month   schema.Month
	at      time.Time
	metrics []prometheus.Metric
}

func newKPICollector(r Reader, cfg Config, log *slog.Logger) *kpiCollector {
	c := &kpiCollector{reader: r, level: cfg.MetricsBranchLevel, every: cfg.MetricsRefresh, loc: cfg.Location, log: log, now: time.Now,
		descs: map[kpi.Kind]*prometheus.Desc{}}
	for _, g := range gaugeMetrics {
		c.descs[g.kind] = prometheus.NewDesc("csat_kpi_"+string(g.kind), g.help, []string{"branch"}, nil)
	}
	c.csiMOE = prometheus.NewDesc("csat_kpi_csi_moe95", "95% margin of error of csat_kpi_csi (points).", []string{"branch"}, nil)
	c.csiN = prometheus.NewDesc("csat_kpi_csi_responses", "Survey responses behind csat_kpi_csi.", []string{"branch"}, nil)
	c.alertDesc = prometheus.NewDesc("csat_alert_active", "1 for each KPI alert (SPEC 3.11) of the current month.", []string{"branch", "metric", "rule", "severity"}, nil)
	c.monthDesc = prometheus.NewDesc("csat_kpi_month", "The month (YYYYMM) the csat_kpi_* gauges describe.", nil, nil)
	c.lastDesc = prometheus.NewDesc("csat_kpi_refresh_timestamp_seconds", "When the KPI gauges were last refreshed successfully (Unix time).", nil, nil)
	c.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "csat_kpi_refresh_failures_total", Help: "KPI gauge refreshes that failed."})
	c.refreshTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "csat_kpi_refresh_duration_seconds", Help: "Time to refresh the KPI gauges.",
		Buckets: []float64{.1, .5, 1, 2.5, 5, 10, 30, 60, 120}})
	return c
}

// Describe implements prometheus.Collector.
func (c *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{c.csiMOE, c.csiN, c.alertDesc, c.monthDesc, c.lastDesc} {
		ch <- d
	}
	c.failures.Describe(ch)
	c.refreshTime.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *kpiCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	snap := c.snap
	c.mu.RUnlock()
	for _, m := range snap.metrics {
		ch <- m
	}
	if snap.month != 0 {
		ch <- prometheus.MustNewConstMetric(c.monthDesc, prometheus.GaugeValue, float64(snap.month))
		ch <- prometheus.MustNewConstMetric(c.lastDesc, prometheus.GaugeValue, float64(snap.at.UnixNano())/1e9)
	}
	c.failures.Collect(ch)
	c.refreshTime.Collect(ch)
}

// run refreshes now and then every c.every (counted from the end of the previous refresh, so a
// slow Reader is never asked twice at once) until ctx is cancelled.
func (c *kpiCollector) run(ctx context.Context) {
	for {
		if err := c.refresh(ctx); err != nil && ctx.Err() == nil {
			c.failures.Inc()
			c.log.Warn("kpi gauge refresh failed", "err", err)
		}
		t := time.NewTimer(c.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (c *kpiCollector) refresh(ctx context.Context) error {
	start := time.Now()
	defer func() { c.refreshTime.Observe(time.Since(start).Seconds()) }()

	branches, err := c.reader.Branches(ctx)
	if err != nil {
		return fmt.Errorf("list branches: %w", err)
	}
	month := schema.MonthOf(c.now(), c.loc)
	root, err := c.reader.Card(ctx, schema.Root, month)
	if err != nil {
		return fmt.Errorf("card of ALL %s: %w", month, err)
	}
	if root.Survey.Own.CSI.N == 0 {
		month = month.Prev()
	}
	card := func(id string) (kpi.Card, bool, error) {
		c, err := c.reader.Card(ctx, id, month)
		return c, err == nil, err
	}
	if cl, ok := c.reader.(CardLister); ok {
		cards, err := cl.Cards(ctx, month, c.level)
		if err != nil {
			return fmt.Errorf("cards of %s: %w", month, err)
		}
		card = func(id string) (kpi.Card, bool, error) {
			c, ok := cards[id]
			return c, ok, nil
		}
	}
	var ms []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ms = append(ms, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	inScope := map[string]bool{}
	ids := []string{schema.Root}
	for _, b := range branches {
		if b.ID != schema.Root && schema.Level(b.ID) <= c.level {
			ids = append(ids, b.ID)
		}
	}
	for _, id := range ids {
		inScope[id] = true
		card, ok, err := card(id)
		if err != nil {
			return fmt.Errorf("card of %s %s: %w", id, month, err)
		}
		if !ok {
			continue
		}
		for _, g := range gaugeMetrics {
			if v := card.Metric(kpi.Metric{Kind: g.kind}); v.Reportable && v.Value != nil {
				gauge(c.descs[g.kind], *v.Value, id)
			}
		}
		if csi := card.Survey.Own.CSI; csi.Reportable && csi.Value != nil {
			if csi.MOE95 != nil {
				gauge(c.csiMOE, *csi.MOE95, id)
			}
			gauge(c.csiN, float64(csi.N), id)
		}
	}
	alerts, err := c.reader.Alerts(ctx, schema.Root, month)
	if err != nil {
		return fmt.Errorf("alerts %s: %w", month, err)
	}
	seen := map[[4]string]bool{}
	for _, a := range alerts.Alerts {
		k := [4]string{a.Branch, a.Metric, a.Rule, a.Severity}
		if inScope[a.Branch] && !seen[k] {
			seen[k] = true
			gauge(c.alertDesc, 1, k[:]...)
		}
	}
	c.mu.Lock()
	c.snap = snapshot{month: month, at: c.now(), metrics: ms}
	c.mu.Unlock()
	return nil
}
