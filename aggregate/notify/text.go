package notify

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// metricText is how a metric reads: its names, the unit of its values and of a difference of
// them, and the decimals shown.
type metricText struct {
	en, zh         string
	unitEN, unitZH string // of a value: "" (0–100 scale), "%", " per 10k" …
	diffEN, diffZH string // of a difference: "points"/"分", "percentage points"/"个百分点" …
	digits         int
}

var (
	scale   = metricText{unitEN: "", unitZH: "", diffEN: " points", diffZH: "分", digits: 1}
	percent = metricText{unitEN: "%", unitZH: "%", diffEN: " percentage points", diffZH: "个百分点", digits: 1}
	small   = metricText{unitEN: "%", unitZH: "%", diffEN: " percentage points", diffZH: "个百分点", digits: 2}
	seconds = metricText{unitEN: " s", unitZH: "秒", diffEN: " s", diffZH: "秒", digits: 0}
)

func named(t metricText, en, zh string) metricText { t.en, t.zh = en, zh; return t }

// metricTexts covers the metric kinds of SPEC §4 and §5.5; an unknown kind reads as its name.
var metricTexts = map[kpi.Kind]metricText{
	kpi.KindCSI:                   named(scale, "composite satisfaction (CSI)", "综合满意度"),
	kpi.KindOverall:               named(scale, "overall satisfaction", "总体满意度"),
	kpi.KindLead:                  named(scale, "lead over the best competitor", "领先程度"),
	kpi.KindSPI:                   named(scale, "short-plank index", "短板指数"),
	kpi.KindShortPlankImprovement: named(scale, "short-plank improvement", "短板改善"),
	kpi.KindWindowSatisfaction:    named(percent, "window service satisfaction", "窗口服务满意度"),
	kpi.KindHotlineSatisfaction:   named(percent, "hotline satisfaction", "热线满意度"),
	kpi.KindStoreSatisfaction:     named(percent, "store satisfaction", "营业厅满意度"),
	kpi.KindComplaintRate: {en: "complaints per 10k subscribers", zh: "万投比", unitEN: " per 10k",
		unitZH: "件/万户", diffEN: " per 10k", diffZH: "件/万户", digits: 2},
	kpi.KindEscalatedRate: {en: "escalated complaints per 1M subscribers", zh: "越级投诉率", unitEN: " per 1M",
		unitZH: "件/百万户", diffEN: " per 1M", diffZH: "件/百万户", digits: 2},
	kpi.KindComplaintSLARate:   named(percent, "complaints closed within the SLA", "投诉按时处理率"),
	kpi.KindChurnRate:          named(small, "churn rate", "离网率"),
	kpi.KindHighValueChurnRate: named(small, "high-value churn rate", "高端客户离网率"),
	kpi.KindRetentionRate:      named(percent, "mid/high-value retention", "中高端客户保有率"),
	kpi.KindScore:              named(scale, "assessment score", "考核得分"),
	kpi.KindFCR:                named(percent, "first-contact resolution", "热线一次解决率"),
	kpi.KindSL20:               named(percent, "hotline calls answered within 20 s", "热线20秒接通率"),
	kpi.KindHotlineAvgWait:     named(seconds, "hotline average wait", "热线平均等待时长"),
	kpi.KindAvgHandle:          named(seconds, "hotline average handling time", "热线平均处理时长"),
	kpi.KindStoreAvgWait:       named(seconds, "store average wait", "营业厅平均等待时长"),
	kpi.KindEnterpriseCSI:      named(scale, "enterprise customers' satisfaction", "集团客户满意度"),
	kpi.KindEnterpriseLead:     named(scale, "enterprise customers' lead over the best competitor", "集团客户领先程度"),
	kpi.KindChannelGap:         named(scale, "gap between service channels", "渠道满意度差距"),
	kpi.KindStoreSpread:        named(percent, "spread between stores", "营业厅满意度离散度"),
	kpi.KindConsistency:        named(scale, "service consistency", "服务一致性"),
}

// itemEN names the items of the default catalog in English (the catalog's names are Chinese).
var itemEN = map[string]string{
	"network": "network quality", "voice": "voice quality", "data": "mobile data", "tariff": "tariffs",
	"billing": "billing accuracy", "store": "store service", "hotline": "the 10086 hotline",
	"online": "online/app service", "brand": "brand image", "complaint": "complaint handling",
}

// textOf describes metric (a SPEC §4 name such as "item:network").
func (n *Notifier) textOf(metric string) metricText {
	kind, code, _ := strings.Cut(metric, ":")
	switch kpi.Kind(kind) {
	case kpi.KindItem, kpi.KindItemLead:
		zh, en := code, code
		if it, ok := n.items[code]; ok && it.Name != "" {
			zh = it.Name
		}
		if e, ok := itemEN[code]; ok {
			en = e
		}
		if kpi.Kind(kind) == kpi.KindItem {
			return named(scale, "satisfaction with "+en, zh+"满意度")
		}
		return named(scale, "lead on "+en, zh+"领先程度")
	}
	if t, ok := metricTexts[kpi.Kind(kind)]; ok {
		return t
	}
	return named(scale, metric, metric)
}

// num formats v with d decimals, never as "-0.0".
func num(v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == 0 {
		return strconv.FormatFloat(0, 'f', d, 64)
	}
	return s
}

// signed formats v with an explicit sign ("+4.9", "-2.3", "0.0").
func signed(v float64, d int) string {
	s := num(v, d)
	if v > 0 && s != num(0, d) {
		return "+" + s
	}
	return s
}

// qText formats a q-value: three decimals, or scientific below 0.001.
func qText(q float64) string {
	if q < 0.001 {
		return strconv.FormatFloat(q, 'e', 1, 64)
	}
	return strconv.FormatFloat(q, 'f', 3, 64)
}

// shareText is a share for people: "约0.4%" and "about 0.4%", "不到0.1%" and "under 0.1%".
func shareText(q float64) (zh, en string) {
	var p string
	switch {
	case q < 0.001:
		return "不到0.1%", "under 0.1%"
	case q < 0.1:
		p = num(100*q, 1) + "%"
	default:
		p = num(100*q, 0) + "%"
	}
	return "约" + p, "about " + p
}

// where names a branch for people: its ancestors' names and its own ("广东省深圳市南山区"), or its
// own name alone when an ancestor's is unknown, or its id; the whole company for ALL. The English
// form adds the id.
func (n *Notifier) where(branch string) (zh, en string) {
	if branch == schema.Root {
		return "全公司", "the whole company"
	}
	anc := schema.Ancestors(branch) // nearest first, ALL last
	var b strings.Builder
	for i := len(anc) - 2; i >= 0; i-- {
		name := n.cfg.Names[anc[i]]
		if name == "" {
			b.Reset()
			b.WriteString(n.cfg.Names[branch])
			break
		}
		b.WriteString(name)
	}
	if b.Len() == 0 {
		return branch, branch
	}
	return b.String(), b.String() + " (" + branch + ")"
}

// link is the dashboard view of branch, month and metric in lang (zh or en).
func (n *Notifier) link(branch string, m schema.Month, metric, lang string) string {
	if n.base == "" {
		return ""
	}
	q := url.Values{"branch": {branch}, "month": {m.String()}, "metric": {metric}, "lang": {lang}}
	return n.base + "#" + q.Encode()
}

// label and annotation keys.
const (
	LabelAlertname  = "alertname"
	LabelRule       = "rule"
	LabelSeverity   = "severity"
	LabelMetric     = "metric"
	LabelBranch     = "branch"
	LabelBranchName = "branch_name"
	LabelProvince   = "province"
	LabelCity       = "city"
	LabelMonth      = "month"
	LabelTeam       = "team"
)

// Alertname is the alertname label of an alert of rule: "Csat" and the rule in camel case
// (decline_streak → CsatDeclineStreak).
func Alertname(rule string) string {
	var b strings.Builder
	b.WriteString("Csat")
	for _, w := range strings.Split(rule, "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// labels are the routing and silencing labels of a: alertname, rule, severity, metric, branch,
// branch_name, province and city (the branch's ancestors at levels 1 and 2, or itself), month,
// and team="service" (the team label of deploy/prometheus's rules).
func (n *Notifier) labels(a kpi.Alert) map[string]string {
	l := map[string]string{
		LabelAlertname: Alertname(a.Rule), LabelRule: a.Rule, LabelSeverity: a.Severity,
		LabelMetric: a.Metric, LabelBranch: a.Branch, LabelMonth: a.Month.String(), LabelTeam: "service",
	}
	if name := n.cfg.Names[a.Branch]; name != "" {
		l[LabelBranchName] = name
	}
	for _, id := range schema.Ancestors(a.Branch) {
		switch schema.Level(id) {
		case 1:
			l[LabelProvince] = id
		case 2:
			l[LabelCity] = id
		}
	}
	return l
}

// annotations are the texts of a for people, in Chinese and English: summary_zh/summary_en (one
// line), description_zh/description_en (the months and values, the drop, z and q in words, the
// verdict), summary and description (the Chinese ones, for templates that read only those),
// dashboard_url (the Chinese dashboard view of the branch and metric; dashboard_url_en the
// English one), and the numbers as plain values: value, drop, z, q where the rule has them.
func (n *Notifier) annotations(a kpi.Alert) map[string]string {
	t := n.textOf(a.Metric)
	whereZH, whereEN := n.where(a.Branch)
	v := func(x float64) string { return num(x, t.digits) }
	var sumZH, sumEN, desZH, desEN string
	tagZH, tagEN := "【关注】", "[watch] "
	if a.Severity == kpi.SeveritySignificant {
		tagZH, tagEN = "【显著】", "[significant] "
	}
	switch a.Rule {
	case kpi.RuleDeclineStreak:
		sumZH = fmt.Sprintf("%s%s %s连续%d个月下降，累计下降%s%s", tagZH, whereZH, t.zh, a.Streak, v(a.Drop), t.diffZH)
		sumEN = fmt.Sprintf("%s%s of %s fell %d months in a row, by %s%s in all", tagEN, upper(t.en), whereEN, a.Streak, v(a.Drop), t.diffEN)
		vals := make([]string, len(a.Values))
		for i, x := range a.Values {
			vals[i] = a.Start.Add(i).String() + " " + v(x) + t.unitZH
		}
		desZH = fmt.Sprintf("%s，%s的%s自%s起连续%d个月下降：%s，累计下降%s%s。", a.Month, whereZH, t.zh, a.Start, a.Streak,
			strings.Join(vals, " → "), v(a.Drop), t.diffZH)
		for i, x := range a.Values {
			vals[i] = a.Start.Add(i).String() + " " + v(x) + t.unitEN
		}
		desEN = fmt.Sprintf("In %s the %s of %s had fallen %d months in a row since %s: %s, a drop of %s%s.",
			a.Month, t.en, whereEN, a.Streak, a.Start, strings.Join(vals, " → "), v(a.Drop), t.diffEN)
	case kpi.RuleDrift:
		sumZH = fmt.Sprintf("%s%s %s持续缓慢下滑，较基线下降%s%s", tagZH, whereZH, t.zh, v(a.Drop), t.diffZH)
		sumEN = fmt.Sprintf("%s%s of %s is sliding: %s%s below its baseline", tagEN, upper(t.en), whereEN, v(a.Drop), t.diffEN)
		desZH = fmt.Sprintf("%s，%s的%s为%s%s，比此前六个月的基线%s%s低%s%s；近%d个月的指数加权移动平均（EWMA）控制图已低于下控制限（%s，限值 -%s，以标准误为单位），说明这是持续的缓慢下滑，而不是单月波动。",
			a.Month, whereZH, t.zh, v(a.Value), t.unitZH, v(a.Baseline), t.unitZH, v(a.Drop), t.diffZH, a.Updates,
			num(a.EWMA, 2), num(a.Limit, 2))
		desEN = fmt.Sprintf("In %s the %s of %s is %s%s, %s%s below its baseline of %s%s (the six months before); the EWMA control chart of the last %d months is below its lower limit (%s against -%s, in standard errors): a sustained slide, not one month's noise.",
			a.Month, t.en, whereEN, v(a.Value), t.unitEN, v(a.Drop), t.diffEN, v(a.Baseline), t.unitEN, a.Updates,
			num(a.EWMA, 2), num(a.Limit, 2))
	case kpi.RuleBelowBase:
		gap, wordZH, wordEN, note := a.Base-a.Value, "低于", "below", ""
		if a.Value > a.Base { // only a lower-is-better value above its base is an alert
			gap, wordZH, wordEN, note = a.Value-a.Base, "高于", "above", "（越低越好）"
		}
		sumZH = fmt.Sprintf("%s%s %s为%s%s，%s基本目标%s%s", tagZH, whereZH, t.zh, v(a.Value), t.unitZH, wordZH, v(a.Base), t.unitZH)
		sumEN = fmt.Sprintf("%s%s of %s is %s%s, %s its base target %s%s", tagEN, upper(t.en), whereEN, v(a.Value), t.unitEN, wordEN, v(a.Base), t.unitEN)
		desZH = fmt.Sprintf("%s，%s的%s为%s%s，%s考核基本目标%s%s%s，差%s%s。", a.Month, whereZH, t.zh, v(a.Value), t.unitZH,
			wordZH, v(a.Base), t.unitZH, note, v(gap), t.diffZH)
		lower := ""
		if note != "" {
			lower = " (lower is better)"
		}
		desEN = fmt.Sprintf("In %s the %s of %s is %s%s, %s the scorecard's base target of %s%s%s by %s%s.", a.Month, t.en, whereEN,
			v(a.Value), t.unitEN, wordEN, v(a.Base), t.unitEN, lower, v(gap), t.diffEN)
	case kpi.RuleLeadLost:
		sumZH = fmt.Sprintf("%s%s 失去领先：领先程度由%s降为%s", tagZH, whereZH, signed(a.Previous, 1), signed(a.Value, 1))
		sumEN = fmt.Sprintf("%s%s lost its lead over the best competitor: %s, was %s", tagEN, whereEN, signed(a.Value, 1), signed(a.Previous, 1))
		desZH = fmt.Sprintf("%s，%s的领先程度（本网综合满意度减最强竞争对手的）由上月的%s分降为%s分，下降%s分：已被竞争对手反超。",
			a.Month, whereZH, signed(a.Previous, 1), signed(a.Value, 1), num(a.Previous-a.Value, 1))
		desEN = fmt.Sprintf("In %s the lead of %s (own CSI minus the best competitor's) went from %s last month to %s points, a fall of %s: a competitor is now ahead.",
			a.Month, whereEN, signed(a.Previous, 1), signed(a.Value, 1), num(a.Previous-a.Value, 1))
	default:
		sumZH = fmt.Sprintf("%s%s %s：%s", tagZH, whereZH, t.zh, a.Rule)
		sumEN = fmt.Sprintf("%s%s of %s: %s", tagEN, upper(t.en), whereEN, a.Rule)
		desZH, desEN = sumZH+"。", sumEN+"."
	}
	if a.Rule == kpi.RuleDeclineStreak && a.Z != nil {
		z := *a.Z
		if z >= 1.96 {
			desZH += fmt.Sprintf("降幅是其抽样误差（标准误）的%s倍，超出了抽样波动能解释的范围（1.96倍）。", num(z, 1))
			desEN += fmt.Sprintf(" The drop is %s times its sampling error (standard error): more than sampling noise explains (1.96).", num(z, 1))
		} else {
			desZH += fmt.Sprintf("降幅只是其抽样误差（标准误）的%s倍，抽样波动也可能造成这样的下降（1.96倍以上才算超出）。", num(z, 1))
			desEN += fmt.Sprintf(" The drop is only %s times its sampling error (standard error): sampling noise could cause it (1.96 would not be).", num(z, 1))
		}
	}
	if a.Q != nil {
		q := *a.Q
		zh, en := shareText(q)
		desZH += fmt.Sprintf("q = %s：本月同类告警中与此同样强或更强的，预计%s是抽样噪声造成的误报。", qText(q), zh)
		desEN += fmt.Sprintf(" q = %s: of this month's alerts of this kind at least this strong, %s are expected to be false alarms from sampling noise.", qText(q), en)
	}
	if a.Severity == kpi.SeveritySignificant {
		desZH += "判定：显著——不是抽样噪声，请排查原因。"
		desEN += " Verdict: significant — not sampling noise; look for the cause."
	} else {
		desZH += "判定：关注——可能只是抽样噪声，请留意下月数据。"
		desEN += " Verdict: watch — possibly sampling noise; keep an eye on next month."
	}
	linkZH, linkEN := n.link(a.Branch, a.Month, a.Metric, "zh"), n.link(a.Branch, a.Month, a.Metric, "en")
	if linkZH != "" {
		desZH += "查看：" + linkZH
		desEN += " Dashboard: " + linkEN
	}
	out := map[string]string{
		"summary_zh": sumZH, "summary_en": sumEN, "description_zh": desZH, "description_en": desEN,
		"summary": sumZH, "description": desZH,
	}
	if linkZH != "" {
		out["dashboard_url"], out["dashboard_url_en"] = linkZH, linkEN
	}
	switch a.Rule {
	case kpi.RuleDeclineStreak, kpi.RuleDrift, kpi.RuleLeadLost:
		out["drop"] = v(a.Drop)
	}
	if a.Rule != kpi.RuleDeclineStreak {
		out["value"] = v(a.Value)
	} else if len(a.Values) > 0 {
		out["value"] = v(a.Values[len(a.Values)-1])
	}
	if a.Z != nil && !math.IsNaN(*a.Z) {
		out["z"] = num(*a.Z, 2)
	}
	if a.Q != nil {
		out["q"] = qText(*a.Q)
	}
	return out
}

// upper capitalizes the first letter of s.
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
