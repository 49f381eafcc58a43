package vendorimport_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/survey-2026-10.xlsx")

const xlsxFixture = "testdata/survey-2026-10.xlsx"

// xlsxRows is the content of the XLSX fixture below its title and header rows. A time.Time
// becomes an Excel date cell.
var xlsxRows = [][]any{
	{"南京", "玄武区", "移动", 0.85, time.Date(2026, 10, 9, 10, 30, 0, 0, time.UTC), 9, 9, 8, 7, 9, 9, 9},
	{"南京", "玄武区", "电信", 1.1, time.Date(2026, 10, 9, 11, 0, 0, 0, time.UTC), 8, 8, 8, 8, 8, "不清楚", 8},
	{"南京", "秦淮区", "移动", 1.05, time.Date(2026, 10, 10, 15, 20, 0, 0, time.UTC), 8, 7, 8, 6, 8, 9, 8},
	{"南京", "", "联通", 1.3, time.Date(2026, 10, 11, 9, 0, 0, 0, time.UTC), 7, 7, 7, 8, 6, 7, 6},
	{"南京", "秦淮区", "", 1, time.Date(2026, 10, 12, 9, 0, 0, 0, time.UTC), 8, 8, 8, 8, 8, 8, 8},       // row 7: no carrier
	{"南京", "秦淮区", "移动", 1, time.Date(2026, 10, 12, 9, 30, 0, 0, time.UTC), "很好", 8, 8, 8, 8, 8, 8}, // row 8: unknown score text
	{"南京", "玄武区", "移动", 1, "上周二", 9, 9, 9, 9, 9, 9, 9},                                             // row 9: not a date
	{"南京", "玄武区", "移动", 0.95, time.Date(2026, 10, 13, 14, 0, 0, 0, time.UTC), 10, 10, 9, 8, 9, 10, 9},
}

var xlsxHeader = []any{"地市", "区县", "运营商", "样本权重", "调查日期", "网络质量", "通话质量", "移动上网", "资费套餐", "营业厅服务", "品牌形象", "总体评价"}

// writeXLSXFixture writes the fixture the way a vendor's Excel export looks: a title row, the
// header, data rows, dates as date cells.
func writeXLSXFixture(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "10月明细"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := f.SetCellValue(sheet, "A1", "2026年10月 客户满意度第三方测评 样本明细（南京）"); err != nil {
		return err
	}
	if err := f.SetSheetRow(sheet, "A2", &xlsxHeader); err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	if err != nil {
		return err
	}
	for i, r := range xlsxRows {
		cell := fmt.Sprintf("A%d", i+3)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("E%d", i+3), fmt.Sprintf("E%d", i+3), dateStyle); err != nil {
			return err
		}
	}
	// A second sheet the mapping does not read.
	if _, err := f.NewSheet("说明"); err != nil {
		return err
	}
	if err := f.SetCellValue("说明", "A1", "评分为1-10分"); err != nil {
		return err
	}
	return f.SaveAs(path)
}

func TestXLSXFixtureUpToDate(t *testing.T) {
	if *update {
		if err := writeXLSXFixture(xlsxFixture); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(xlsxFixture); err != nil {
		t.Fatalf("%v (run go test -run TestXLSXFixtureUpToDate -update)", err)
	}
}
