package vendorimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// table is a file's header and data rows, with the row numbers a spreadsheet program shows.
type table struct {
	format string // csv or xlsx
	sheet  string // xlsx only
	header []string
	rows   []row
}

type row struct {
	num   int // 1-based row (XLSX) or line (CSV) number
	cells []string
}

func (r row) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func (r row) blank() bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// readTable reads the file's rows according to m: format, sheet, encoding, header row.
func readTable(data []byte, name string, m Mapping) (*table, error) {
	format := strings.ToLower(m.Format)
	if format == "" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".xlsx", ".xlsm":
			format = "xlsx"
		case ".csv", ".txt", "":
			format = "csv"
		default:
			return nil, fmt.Errorf("%s: cannot tell the format from the extension; set format: csv or xlsx", name)
		}
	}
	var (
		t   *table
		err error
	)
	if format == "xlsx" {
		t, err = readXLSX(data, m.Sheet)
	} else {
		t, err = readCSV(data, m)
	}
	if err != nil {
		return nil, err
	}
	t.format = format
	return t, nil
}

func readCSV(data []byte, m Mapping) (*table, error) {
	var r io.Reader = bytes.NewReader(data)
	switch strings.ToLower(m.Encoding) {
	case "gbk":
		r = transform.NewReader(r, simplifiedchinese.GBK.NewDecoder())
	case "gb18030":
		r = transform.NewReader(r, simplifiedchinese.GB18030.NewDecoder())
	default:
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			return nil, errors.New("csv is not valid UTF-8: set encoding: gbk in the mapping if the vendor uses GBK")
		}
		r = bytes.NewReader(data)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if m.Delimiter != "" {
		cr.Comma, _ = utf8.DecodeRuneInString(m.Delimiter)
	}
	headerRow := max(m.HeaderRow, 1)
	t := &table{}
	for rec := 1; ; rec++ {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		switch {
		case rec < headerRow:
		case rec == headerRow:
			t.header = cells
		default:
			t.rows = append(t.rows, row{num: line, cells: cells})
		}
	}
	if t.header == nil {
		return nil, fmt.Errorf("csv has no header row %d", headerRow)
	}
	return t, nil
}

func readXLSX(data []byte, sheet string) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("open xlsx: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			return nil, errors.New("xlsx has no sheets")
		}
		sheet = sheets[0]
	}
	if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return nil, fmt.Errorf("xlsx has no sheet %q (sheets: %s)", sheet, strings.Join(sheets, ", "))
	}
	// Raw values: dates come as Excel serial numbers, not in the cell's display format.
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	return &table{sheet: sheet, rows: toRows(rows)}, nil
}

func toRows(rows [][]string) []row {
	out := make([]row, len(rows))
	for i, r := range rows {
		out[i] = row{num: i + 1, cells: r}
	}
	return out
}

// splitHeader takes the header row out of an XLSX table's rows.
func (t *table) splitHeader(headerRow int) error {
	if t.format != "xlsx" {
		return nil
	}
	headerRow = max(headerRow, 1)
	if len(t.rows) < headerRow {
		return fmt.Errorf("sheet %q has no header row %d", t.sheet, headerRow)
	}
	t.header = t.rows[headerRow-1].cells
	t.rows = t.rows[headerRow:]
	return nil
}

// columnIndex maps each header text (trimmed, BOM and zero-width spaces removed) to its column.
func (t *table) columnIndex() map[string]int {
	idx := map[string]int{}
	for i, h := range t.header {
		h = cleanHeader(h)
		if _, dup := idx[h]; !dup && h != "" {
			idx[h] = i
		}
	}
	return idx
}

func cleanHeader(h string) string {
	h = strings.ReplaceAll(h, "\ufeff", "")
	h = strings.ReplaceAll(h, "\u200b", "")
	return strings.TrimSpace(h)
}
