package export_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/export"
	"github.com/csat-dev/csat/aggregate/kpi"
)

func names(id string) string {
	return map[string]string{"GD-GZ": "广州市", "GD-SZ": "深圳市"}[id]
}

func TestAlertsTable(t *testing.T) {
	z, q := 2.5, 0.003
	l := aggregate.AlertList{Month: 202610, Alerts: []kpi.Alert{
		{Rule: kpi.RuleDeclineStreak, Branch: "GD-GZ", Metric: "csi", Month: 202610, Severity: kpi.SeveritySignificant, Streak: 3, Start: 202607, Values: []float64{81.9, 80.6, 79.5, 78.4}, Drop: 3.5, Z: &z, Q: &q},
		{Rule: kpi.RuleBelowBase, Branch: "GD-SZ", Metric: "complaint_rate", Month: 202610, Severity: kpi.SeverityWatch, Value: 4.35, Base: 3},
	}}
	var buf bytes.Buffer
	if err := export.Alerts(l, names).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff规则 rule,级别 severity,单位代码 branch,单位名称 name,指标 metric,月份 month,数值 value,对照 reference,降幅 drop,连降月数 streak,起始月 start,序列 values,z,p,q\n" +
		"decline_streak,significant,GD-GZ,广州市,csi,2026-10,78.4,81.9,3.5,3,2026-07,81.90 → 80.60 → 79.50 → 78.40,2.5,,0.003\n" +
		"below_base,watch,GD-SZ,深圳市,complaint_rate,2026-10,4.35,3,,,,,,,\n"
	if buf.String() != want {
		t.Errorf("alerts CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestLeagueAndXLSX(t *testing.T) {
	l := aggregate.League{Parent: "GD", Level: 2, Period: "2026-Q3", By: "total", Max: 31, Branches: []aggregate.LeagueBranch{
		{Rank: 1, Branch: "GD-SZ", Points: 24.5, Scorecard: kpi.ScorecardResult{Components: []kpi.ComponentResult{{Metric: "csi", Points: 6.5}, {Metric: "lead", Points: 3}}}},
		{Rank: 2, Branch: "GD-GZ", Points: 20.25, Missing: []string{"lead"}, Scorecard: kpi.ScorecardResult{Components: []kpi.ComponentResult{{Metric: "csi", Points: 5.25}, {Metric: "lead", Points: 0}}}},
	}}
	tb := export.League(l, names)
	if got := strings.Join(tb.Header, "|"); got != "排名 rank|单位代码 branch|单位名称 name|考核期 period|排名依据 by|得分 points|满分 max|csi|lead|缺失 missing" {
		t.Errorf("league header %s", got)
	}
	var buf bytes.Buffer
	if err := tb.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	for cell, want := range map[string]string{"A1": "排名 rank", "C3": "广州市", "F3": "20.25", "I3": "0", "J3": "lead", "H2": "6.5"} {
		if got, err := f.GetCellValue(sheet, cell); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", cell, got, err, want)
		}
	}
	// Numbers are numeric cells, not text.
	if typ, err := f.GetCellType(sheet, "F3"); err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
		t.Errorf("F3 type %v (%v), want a number", typ, err)
	}
	if v, _ := f.GetCellValue(sheet, "F3", excelize.Options{RawCellValue: true}); v != "20.25" {
		t.Errorf("F3 raw %q", v)
	}
}

func TestUnitLeagueTable(t *testing.T) {
	r1, v1, m1, v2, s2 := 1, 90.0, 18.6, 0.0, 38.8
	l := aggregate.UnitLeague{Unit: "staff", Parent: "store:S1", Period: "2026-10", Metric: "satisfaction", Units: []aggregate.UnitLeagueRow{
		{Rank: &r1, Unit: "E1", Branch: "GD-SZ", Store: "S1", Value: &v1, MOE95: &m1, N: 10, Reportable: true, RankedBy: aggregate.RankedByValue},
		{Unit: "E2", Branch: "GD-SZ", Store: "S1", Value: &v2, N: 2, Smoothed: &s2, RankedBy: aggregate.RankedByNone},
	}}
	var buf bytes.Buffer
	tb := export.UnitLeague(l, names)
	if err := tb.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff排名 rank,单元 unit,类型 kind,单位代码 branch,单位名称 name,营业厅 store,考核期 period,指标 metric,数值 value,误差95 moe95,样本 n,可报告 reportable,平滑值 smoothed,排名依据 ranked_by\n" +
		"1,E1,staff,GD-SZ,深圳市,S1,2026-10,satisfaction,90,18.6,10,yes,,value\n" +
		",E2,staff,GD-SZ,深圳市,S1,2026-10,satisfaction,0,,2,no,38.8,none\n"
	if buf.String() != want || tb.Name != "rank-staff-store-S1-2026-10" {
		t.Errorf("unit league CSV %s:\n%s\nwant:\n%s", tb.Name, buf.String(), want)
	}
}
