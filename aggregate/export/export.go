// Package export turns the read side's results (comparisons, league tables, alerts,
// scorecards) into flat tables and writes them as CSV or XLSX. The dashboard's download links
// (/api/v1/compare?format=csv …) and the CLI's --csv/--xlsx flags use the same tables, so a
// file from either has the same columns.
//
// A table's header is bilingual ("排名 rank"); numbers are written unrounded (XLSX cells are
// numeric); an absent number is an empty cell. CSV starts with a UTF-8 byte-order mark so that
// Excel opens Chinese names correctly.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
)

// Table is one sheet: a name (the XLSX sheet and the download's file name), a header and rows.
// A cell is a string, a float64, an int or nil (empty).
type Table struct {
	Name   string
	Header []string
	Rows   [][]any
}

// Names returns the display name of a branch id ("" when unknown).
type Names func(id string) string

func (n Names) of(id string) string {
	if n == nil {
		return ""
	}
	return n(id)
}

func fnum(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Compare is the table of a comparison (and of a league table of branches): one row per child
// in rank order.
func Compare(c aggregate.Comparison, names Names) Table {
	t := Table{
		Name:   fmt.Sprintf("compare-%s-%s-%s", c.Parent, c.Metric, c.Month),
		Header: []string{"排名 rank", "单位代码 branch", "单位名称 name", "指标 metric", "月份 month", "数值 value", "误差95 moe95", "样本 n", "可报告 reportable", "环比 change"},
	}
	for _, r := range c.Children {
		var n any
		if r.N != nil {
			n = int(*r.N)
		}
		t.Rows = append(t.Rows, []any{r.Rank, r.Branch, names.of(r.Branch), c.Metric, c.Month.String(),
			fnum(r.Value), fnum(r.MOE95), n, yesNo(r.Reportable), fnum(r.Change)})
	}
	return t
}

// Alerts is the table of an alert list: one row per alert with the fields of its rule.
func Alerts(a aggregate.AlertList, names Names) Table {
	t := Table{
		Name: "alerts-" + a.Month.String(),
		Header: []string{"规则 rule", "级别 severity", "单位代码 branch", "单位名称 name", "指标 metric", "月份 month",
			"数值 value", "对照 reference", "降幅 drop", "连降月数 streak", "起始月 start", "序列 values", "z", "p", "q"},
	}
	for _, x := range a.Alerts {
		row := []any{x.Rule, x.Severity, x.Branch, names.of(x.Branch), x.Metric, x.Month.String()}
		var value, ref, drop, streak, start, values any
		switch x.Rule {
		case kpi.RuleDeclineStreak:
			if len(x.Values) > 0 {
				value = x.Values[len(x.Values)-1]
				ref = x.Values[0]
			}
			drop, streak, start = x.Drop, x.Streak, x.Start.String()
			s := ""
			for i, v := range x.Values {
				if i > 0 {
					s += " → "
				}
				s += strconv.FormatFloat(v, 'f', 2, 64)
			}
			values = s
		case kpi.RuleBelowBase:
			value, ref = x.Value, x.Base
		case kpi.RuleLeadLost:
			value, ref, drop = x.Value, x.Previous, x.Drop
		case kpi.RuleDrift:
			value, ref, drop = x.Value, x.Baseline, x.Drop
		}
		row = append(row, value, ref, drop, streak, start, values, fnum(x.Z), fnum(x.P), fnum(x.Q))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Scorecard is the table of a scorecard: one row per component and a total row.
func Scorecard(r kpi.ScorecardResult, names Names) Table {
	t := Table{
		Name: fmt.Sprintf("scorecard-%s-%s", r.Branch, r.Period),
		Header: []string{"单位代码 branch", "单位名称 name", "考核期 period", "考核项 component", "考核项名称 component name", "方向 direction",
			"保底 floor", "基本 base", "挑战 challenge", "数值 value", "得分 points", "满分 max", "缺失 missing"},
	}
	for _, c := range r.Components {
		t.Rows = append(t.Rows, []any{r.Branch, names.of(r.Branch), r.Period, c.Metric, c.Name, string(c.Direction),
			c.Floor, c.Base, c.Challenge, fnum(c.Value), c.Points, c.PointsMax, yesNo(c.Missing)})
	}
	t.Rows = append(t.Rows, []any{r.Branch, names.of(r.Branch), r.Period, "合计 total", nil, nil, nil, nil, nil, nil, r.Total, r.Max, nil})
	return t
}

// League is the table of a league table: one row per branch in rank order with its points, the
// points of every component and the components with a missing month.
func League(l aggregate.League, names Names) Table {
	t := Table{
		Name:   fmt.Sprintf("rank-%s-L%d-%s", l.Parent, l.Level, l.Period),
		Header: []string{"排名 rank", "单位代码 branch", "单位名称 name", "考核期 period", "排名依据 by", "得分 points", "满分 max"},
	}
	if len(l.Branches) > 0 {
		for _, c := range l.Branches[0].Scorecard.Components {
			t.Header = append(t.Header, c.Metric)
		}
	}
	t.Header = append(t.Header, "缺失 missing")
	for _, b := range l.Branches {
		row := []any{b.Rank, b.Branch, names.of(b.Branch), l.Period, l.By, b.Points, l.Max}
		for _, c := range b.Scorecard.Components {
			row = append(row, c.Points)
		}
		missing := ""
		for i, m := range b.Missing {
			if i > 0 {
				missing += ","
			}
			missing += m
		}
		t.Rows = append(t.Rows, append(row, missing))
	}
	return t
}

// UnitLeague is the table of a league table of front-line units: one row per unit in table
// order; an unranked unit has no rank, and ranked_by says whether a unit was ranked by its own
// value or, unreportable, by its smoothed value.
func UnitLeague(l aggregate.UnitLeague, names Names) Table {
	t := Table{
		Name: fmt.Sprintf("rank-%s-%s-%s", l.Unit, strings.ReplaceAll(l.Parent, ":", "-"), l.Period),
		Header: []string{"排名 rank", "单元 unit", "类型 kind", "单位代码 branch", "单位名称 name", "营业厅 store", "考核期 period", "指标 metric",
			"数值 value", "误差95 moe95", "样本 n", "可报告 reportable", "平滑值 smoothed", "排名依据 ranked_by"},
	}
	for _, r := range l.Units {
		var rank any
		if r.Rank != nil {
			rank = *r.Rank
		}
		t.Rows = append(t.Rows, []any{rank, r.Unit, l.Unit, r.Branch, names.of(r.Branch), r.Store, l.Period, l.Metric,
			fnum(r.Value), fnum(r.MOE95), int(r.N), yesNo(r.Reportable), fnum(r.Smoothed), r.RankedBy})
	}
	return t
}

// Of returns the table of a read-side result: a comparison, a league table (of branches or
// of front-line units), an alert list or a scorecard; ok is false for any other value.
func Of(v any, names Names) (t Table, ok bool) {
	switch x := v.(type) {
	case aggregate.Comparison:
		return Compare(x, names), true
	case aggregate.League:
		return League(x, names), true
	case aggregate.UnitLeague:
		return UnitLeague(x, names), true
	case aggregate.AlertList:
		return Alerts(x, names), true
	case kpi.ScorecardResult:
		return Scorecard(x, names), true
	}
	return Table{}, false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func cellString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

// WriteCSV writes t as CSV (RFC 4180) after a UTF-8 byte-order mark.
func (t Table) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	rec := make([]string, len(t.Header))
	for _, row := range t.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = cellString(row[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// sheetName is t.Name cut to Excel's 31 characters without the characters it forbids.
func sheetName(name string) string {
	out := []rune{}
	for _, r := range name {
		switch r {
		case ':', '\\', '/', '?', '*', '[', ']':
			r = '_'
		}
		out = append(out, r)
		if len(out) == 31 {
			break
		}
	}
	if len(out) == 0 {
		return "Sheet1"
	}
	return string(out)
}

// WriteXLSX writes t as a one-sheet XLSX workbook: a bold, frozen header, numbers as numbers.
func (t Table) WriteXLSX(w io.Writer) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	sheet := sheetName(t.Name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	head := make([]any, len(t.Header))
	for i, h := range t.Header {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for i, row := range t.Rows {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// Write writes t in format "csv" or "xlsx".
func (t Table) Write(w io.Writer, format string) error {
	switch format {
	case "csv":
		return t.WriteCSV(w)
	case "xlsx":
		return t.WriteXLSX(w)
	}
	return fmt.Errorf("format %q: want csv or xlsx", format)
}

// ContentType returns the media type of format "csv" or "xlsx".
func ContentType(format string) string {
	if format == "xlsx" {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}
