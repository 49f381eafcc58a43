// Package report renders the printable monthly report of one branch: a self-contained HTML page
// in Chinese (no script, no external file; a print stylesheet for A4) that a regional office can
// send upward, with the KPI card, 13-month trends drawn as inline SVG, the short planks, the
// month's alerts and the scorecard. It only formats what the engine computed: every number is
// the engine's, rounded for display.
package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// Data is everything one report shows.
type Data struct {
	Branch string
	Names  map[string]string // branch id → name (may be empty)
	Month  schema.Month
	// Card is the branch's card of Month.
	Card    kpi.Card
	Catalog schema.Catalog
	// Trends are the branch's trends of the metrics to draw, Month and the 12 months before.
	Trends []aggregate.Trend
	// Alerts are the alerts of Month in the branch's subtree.
	Alerts []kpi.Alert
	// Scorecards are the scorecards to show (e.g. the month, and the last complete quarter).
	Scorecards []kpi.ScorecardResult
	// Generated is the line saying when and from what the report was made (e.g. "csat 2026-12-07").
	Generated string
}

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"metric": MetricName,
}).Parse(pageTemplate))

// metricNames are the Chinese names of the metrics of SPEC §4.
var metricNames = map[string]string{
	"csi": "综合满意度", "overall": "总体满意度", "lead": "领先程度", "spi": "短板指数",
	"short_plank_improvement": "短板改善", "window_satisfaction": "窗口服务满意度",
	"hotline_satisfaction": "10086热线满意度", "store_satisfaction": "营业厅满意度",
	"complaint_rate": "万投比", "escalated_rate": "越级投诉率（每百万）", "complaint_sla_rate": "投诉按时处理率",
	"churn_rate": "离网率", "high_value_churn_rate": "高端客户离网率", "retention_rate": "中高端保有率",
	"score": "考核得分", "fcr": "热线一次解决率", "sl20": "20秒接通率", "hotline_avg_wait": "热线平均等待（秒）",
	"avg_handle": "热线平均处理时长（秒）", "store_avg_wait": "营业厅平均等待（秒）", "enterprise_csi": "集团客户满意度",
	"enterprise_lead": "集团客户领先程度", "channel_gap": "渠道差距", "store_spread": "营业厅离散度", "consistency": "服务一致性",
}

var carrierNames = map[string]string{"cmcc": "中国移动", "ctcc": "中国电信", "cucc": "中国联通"}

// MetricName returns the Chinese name of a metric name ("item:network" → "网络质量" with the
// default catalog's names; unknown codes as they are).
func MetricName(m string) string {
	kind, code, _ := strings.Cut(m, ":")
	switch kind {
	case "item":
		return itemName(code)
	case "item_lead":
		return itemName(code) + "领先"
	}
	if n, ok := metricNames[kind]; ok {
		return n
	}
	return m
}

var defaultItems = func() map[string]string {
	out := map[string]string{}
	for _, it := range schema.DefaultCatalog().Items {
		out[it.Code] = it.Name
	}
	return out
}()

func itemName(code string) string {
	if n, ok := defaultItems[code]; ok {
		return n
	}
	return code
}

// num formats v with d decimals; a value that rounds to zero has no sign ("0.0", never "-0.0").
func num(v float64, d int) string {
	if math.Abs(v) < 0.5*math.Pow(10, -float64(d)) {
		v = 0
	}
	return fmt.Sprintf("%.*f", d, v)
}

func numP(v *float64, d int) string {
	if v == nil {
		return "—"
	}
	return num(*v, d)
}

func signedP(v *float64, d int) string {
	if v == nil {
		return "—"
	}
	s := num(*v, d)
	if *v > 0 && s != num(0, d) {
		return "+" + s
	}
	return s
}

// digits is the number of decimals of a metric: rates per 10k and churn in 2, the rest in 1.
func digits(metric string) int {
	switch strings.SplitN(metric, ":", 2)[0] {
	case "complaint_rate", "escalated_rate", "churn_rate", "high_value_churn_rate":
		return 2
	}
	return 1
}

func lowerIsBetter(metric string) bool {
	return kpi.Kind(strings.SplitN(metric, ":", 2)[0]).LowerIsBetter()
}

// view is what the template reads: everything formatted.
type view struct {
	Title, Subtitle, Generated string
	Tiles                      []tile
	Items                      []itemRow
	Planks, Competitive        string
	Trends                     []trendView
	Alerts                     []alertRow
	AlertSummary               string
	Scorecards                 []scorecardView
}

type tile struct {
	Label, Value, Sub string
	Grey              bool
}

type itemRow struct {
	Name, Own, N, Best, Lead string
	Plank, Grey, LeadBad     bool
}

type alertRow struct {
	Severity, Rule, Branch, Metric, Detail string
	Significant                            bool
}

type scorecardView struct {
	Title string
	Rows  []scoreRow
	Total string
	Note  string
}

type scoreRow struct {
	Name, Direction, Targets, Value, Points string
	Missing                                 bool
}

// Render writes the report of d as HTML.
func Render(w io.Writer, d Data) error {
	return page.Execute(w, build(d))
}

func (d Data) name(id string) string {
	if id == schema.Root {
		return "全公司"
	}
	if n := d.Names[id]; n != "" {
		return n + "（" + id + "）"
	}
	return id
}

func build(d Data) view {
	c := d.Card
	v := view{
		Title:     d.name(d.Branch) + " 客户满意度月报",
		Subtitle:  fmt.Sprintf("%d 年 %d 月", d.Month.Year(), d.Month.Mon()),
		Generated: d.Generated,
	}
	if c.Base != nil {
		v.Subtitle += fmt.Sprintf(" · 客户数 %d", c.Base.Subscribers)
	}
	val := func(label string, x kpi.Value) tile {
		t := tile{Label: label, Value: numP(x.Value, 1), Sub: fmt.Sprintf("样本 %d", x.N), Grey: !x.Reportable}
		if x.MOE95 != nil {
			t.Value += " ± " + num(*x.MOE95, 1)
		}
		if !x.Reportable {
			t.Sub += " · 样本不足，不可报告"
		}
		return t
	}
	own, lead := c.Survey.Own, c.Survey.Lead
	leadSub := "无可比竞争对手"
	if lead.BestCompetitor != nil {
		leadSub = "对比 " + carrier(*lead.BestCompetitor)
		if lead.Significant {
			leadSub += " · 显著"
		} else {
			leadSub += " · 在误差范围内"
		}
	}
	leadVal := signedP(lead.Value, 1)
	if lead.MOE95 != nil {
		leadVal += " ± " + num(*lead.MOE95, 1)
	}
	sp := c.Survey.ShortPlanks
	v.Tiles = []tile{
		val("综合满意度", own.CSI),
		val("总体满意度", own.Overall),
		{Label: "领先程度", Value: leadVal, Sub: leadSub, Grey: lead.Value == nil},
		{Label: "短板指数", Value: numP(sp.Index, 1), Sub: "改善 " + signedP(sp.Improvement, 1), Grey: sp.Index == nil},
		{Label: "窗口服务满意度", Value: pct(c.Window.Satisfaction), Sub: "10086热线 " + pct(c.Window.Hotline.Satisfaction) + " · 营业厅 " + pct(c.Window.Store.Satisfaction), Grey: c.Window.Satisfaction == nil},
		{Label: "10086热线一次解决率", Value: pct(c.Window.Hotline.FCR), Sub: fmt.Sprintf("20秒接通率 %s · 样本 %d", pct(c.Window.Hotline.SL20), c.Window.Hotline.N), Grey: c.Window.Hotline.FCR == nil},
		{Label: "万投比（越低越好）", Value: numP(c.Complaints.RatePer10k, 2), Sub: fmt.Sprintf("投诉 %d · 越级 %d · 按时处理率 %s", c.Complaints.Opened, c.Complaints.Escalated, pct(c.Complaints.SLARate)), Grey: c.Complaints.RatePer10k == nil},
		{Label: "离网率（越低越好）", Value: pct2(c.Churn.Rate), Sub: "高端离网率 " + pct2(c.Churn.HighValueRate) + " · 中高端保有率 " + pct(c.Churn.RetentionRate), Grey: c.Churn.Rate == nil},
	}
	planks := map[string]bool{}
	for _, p := range sp.Absolute {
		planks[p] = true
	}
	for _, it := range d.Catalog.Items {
		x, ok := own.Items[it.Code]
		if !ok {
			continue
		}
		r := itemRow{Name: it.Name, Own: numP(x.Value, 1), N: fmt.Sprint(x.N), Best: "—", Lead: "—", Plank: planks[it.Code], Grey: !x.Reportable}
		if x.MOE95 != nil {
			r.Own += " ± " + num(*x.MOE95, 1)
		}
		if l, ok := c.Survey.ItemLeads[it.Code]; ok && l.Value != nil {
			r.Lead = signedP(l.Value, 1)
			if l.Significant {
				r.Lead += " *"
			}
			r.LeadBad = *l.Value < 0
			if l.BestCompetitor != nil {
				r.Best = carrier(*l.BestCompetitor)
				if cs, ok := c.Survey.Competitors[*l.BestCompetitor]; ok {
					r.Best += " " + numP(cs.Items[it.Code].Value, 1)
				}
			}
		}
		v.Items = append(v.Items, r)
	}
	v.Planks = names(sp.Absolute)
	v.Competitive = names(sp.Competitive)
	for _, tr := range d.Trends {
		v.Trends = append(v.Trends, trendOf(tr))
	}
	sig := 0
	for _, a := range d.Alerts {
		r := alertRow{Rule: ruleName(a.Rule), Branch: d.name(a.Branch), Metric: MetricName(a.Metric), Detail: alertDetail(a), Significant: a.Severity == kpi.SeveritySignificant}
		if r.Significant {
			r.Severity = "显著"
			sig++
		} else {
			r.Severity = "关注（或为波动）"
		}
		v.Alerts = append(v.Alerts, r)
	}
	v.AlertSummary = fmt.Sprintf("本月共 %d 条预警，其中显著 %d 条。", len(d.Alerts), sig)
	if len(d.Alerts) == 0 {
		v.AlertSummary = "本月无预警。"
	}
	for _, sc := range d.Scorecards {
		v.Scorecards = append(v.Scorecards, scorecardOf(sc))
	}
	return v
}

func carrier(c string) string {
	if n, ok := carrierNames[c]; ok {
		return n
	}
	return c
}

func names(codes []string) string {
	if len(codes) == 0 {
		return "—"
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = itemName(c)
	}
	return strings.Join(out, "、")
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return num(*v, 1) + "%"
}

func pct2(v *float64) string {
	if v == nil {
		return "—"
	}
	return num(*v, 2) + "%"
}

func ruleName(r string) string {
	switch r {
	case kpi.RuleDeclineStreak:
		return "连续下降"
	case kpi.RuleBelowBase:
		return "未达基本目标"
	case kpi.RuleLeadLost:
		return "失去领先"
	case kpi.RuleDrift:
		return "缓慢下滑"
	}
	return r
}

// alertDetail says an alert in words, with its values; the direction of a missed base target
// follows the metric's polarity.
func alertDetail(a kpi.Alert) string {
	d := digits(a.Metric)
	var s string
	switch a.Rule {
	case kpi.RuleDeclineStreak:
		vals := make([]string, len(a.Values))
		for i, x := range a.Values {
			vals[i] = num(x, d)
		}
		s = fmt.Sprintf("自 %s 起连续 %d 个月下降：%s，累计降幅 %s", a.Start, a.Streak, strings.Join(vals, " → "), num(a.Drop, d))
	case kpi.RuleBelowBase:
		if lowerIsBetter(a.Metric) {
			s = fmt.Sprintf("%s，高于基本目标 %s（越低越好）", num(a.Value, d), num(a.Base, d))
		} else {
			s = fmt.Sprintf("%s，低于基本目标 %s", num(a.Value, d), num(a.Base, d))
		}
	case kpi.RuleLeadLost:
		s = fmt.Sprintf("领先程度由 %s 变为 %s", signedP(&a.Previous, d), signedP(&a.Value, d))
	case kpi.RuleDrift:
		s = fmt.Sprintf("当前 %s，基线 %s，降幅 %s", num(a.Value, d), num(a.Baseline, d), num(a.Drop, d))
	}
	if a.Q != nil {
		s += fmt.Sprintf("；误报概率 %s", qWords(*a.Q))
	}
	return s
}

func qWords(q float64) string {
	p := 100 * q
	switch {
	case p < 0.1:
		return "< 0.1%"
	case p < 10:
		return num(p, 1) + "%"
	}
	return num(p, 0) + "%"
}

func scorecardOf(sc kpi.ScorecardResult) scorecardView {
	v := scorecardView{Title: "考核得分 · " + periodName(sc.Period), Total: fmt.Sprintf("%s / %s", num(sc.Total, 2), num(sc.Max, 0))}
	missing := 0
	for _, c := range sc.Components {
		d := digits(c.Metric)
		dir := "越高越好"
		if c.Direction == kpi.Lower {
			dir = "越低越好"
		}
		name := c.Name
		if name == "" {
			name = MetricName(c.Metric)
		}
		r := scoreRow{Name: name, Direction: dir, Value: numP(c.Value, d),
			Targets: num(c.Floor, d) + " / " + num(c.Base, d) + " / " + num(c.Challenge, d),
			Points:  num(c.Points, 2) + " / " + num(c.PointsMax, 0), Missing: c.Missing}
		if c.Missing {
			missing++
		}
		v.Rows = append(v.Rows, r)
	}
	if missing > 0 {
		v.Note = fmt.Sprintf("%d 项缺失（无数据或样本不足）计 0 分。", missing)
	}
	return v
}

func periodName(p string) string {
	if y, q, ok := strings.Cut(p, "-Q"); ok {
		return y + " 年第 " + q + " 季度"
	}
	if m, err := schema.ParseMonth(p); err == nil {
		return fmt.Sprintf("%d 年 %d 月", m.Year(), m.Mon())
	}
	return p
}
