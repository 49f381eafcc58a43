package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/csat-dev/csat/aggregate"
)

// trendView is one small chart of the report.
type trendView struct {
	Title, Latest, Note string
	SVG                 template.HTML
}

// Chart geometry, in SVG user units (the chart scales to its box).
const (
	chartW, chartH = 320.0, 130.0
	padL, padR     = 34.0, 8.0
	padT, padB     = 10.0, 22.0
)

// trendOf draws tr: the reportable values joined by a line (broken where a month has no value
// or too few responses: such a month is not joined as if it were real), the unreportable
// values as hollow grey points, the first and last month under the axis.
func trendOf(tr aggregate.Trend) trendView {
	v := trendView{Title: MetricName(tr.Metric)}
	d := digits(tr.Metric)
	if lowerIsBetter(tr.Metric) {
		v.Note = "越低越好"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range tr.Points {
		if p.Value != nil {
			lo, hi = math.Min(lo, *p.Value), math.Max(hi, *p.Value)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH, template.HTMLEscapeString(v.Title))
	if math.IsInf(lo, 1) {
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="empty">无数据</text></svg>`, chartW/2, chartH/2)
		v.Latest = "—"
		v.SVG = template.HTML(b.String())
		return v
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.1
	lo, hi = lo-pad, hi+pad
	n := len(tr.Points)
	x := func(i int) float64 {
		if n == 1 {
			return padL + (chartW-padL-padR)/2
		}
		return padL + float64(i)*(chartW-padL-padR)/float64(n-1)
	}
	y := func(val float64) float64 { return padT + (hi-val)/(hi-lo)*(chartH-padT-padB) }
	// Axis: the low and high ends, and the baseline.
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, padL, chartH-padB, chartW-padR, chartH-padB)
	fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f">%s</text>`, padL-4, y(hi-pad)+3, num(hi-pad, d))
	fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f">%s</text>`, padL-4, y(lo+pad)+3, num(lo+pad, d))
	fmt.Fprintf(&b, `<text class="month" x="%.1f" y="%.1f">%s</text>`, x(0), chartH-6, tr.Points[0].Month)
	fmt.Fprintf(&b, `<text class="month end" x="%.1f" y="%.1f">%s</text>`, x(n-1), chartH-6, tr.Points[n-1].Month)
	// The line, in runs of consecutive reportable months.
	var run []string
	flush := func() {
		if len(run) > 1 {
			fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(run, " "))
		}
		run = run[:0]
	}
	for i, p := range tr.Points {
		if p.Value != nil && p.Reportable {
			run = append(run, fmt.Sprintf("%.1f,%.1f", x(i), y(*p.Value)))
		} else {
			flush()
		}
	}
	flush()
	for i, p := range tr.Points {
		if p.Value == nil {
			continue
		}
		cls := "dot"
		if !p.Reportable {
			cls = "dot grey"
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="2.6"><title>%s %s</title></circle>`, cls, x(i), y(*p.Value), p.Month, num(*p.Value, d))
	}
	b.WriteString(`</svg>`)
	v.SVG = template.HTML(b.String()) // built from numbers and escaped text only
	last := tr.Points[n-1]
	v.Latest = numP(last.Value, d)
	if last.Value != nil && !last.Reportable {
		v.Latest += "（样本不足）"
	}
	return v
}
