package vendorimport

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// table is a file's header and a stream of its data rows, with the row numbers a spreadsheet
// program shows.
type table struct {
	format string // csv or xlsx
	sheet  string // xlsx only
	header []string
	rows   rowSource
}

// rowSource yields a file's rows in order. next returns ok false at the end; an error is a file
// that cannot be read on (a row that cannot be parsed is a row with bad set, not an error).
type rowSource interface {
	next() (r row, ok bool, err error)
	close() error
}

type row struct {
	num   int // 1-based row (XLSX) or line (CSV) number
	cells []string
	bad   string // why the row could not be parsed (CSV quoting); cells is then nil
}

func (r row) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func (r row) blank() bool {
	if r.bad != "" {
		return false
	}
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// fileFormat decides the format from the mapping or the file name's extension.
func fileFormat(name string, m Mapping) (string, error) {
	if format := strings.ToLower(m.Format); format != "" {
		return format, nil
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		return "xlsx", nil
	case ".csv", ".txt", "":
		return "csv", nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from the extension; set format: csv or xlsx", name)
}

// openTable opens the file (size bytes read through ra) according to m — format, sheet,
// encoding, header row — and reads up to its header row. path, when not empty, is the file on
// disk (excelize then reads the archive from it instead of from memory).
func openTable(ra io.ReaderAt, size int64, path, name string, m Mapping) (*table, error) {
	format, err := fileFormat(name, m)
	if err != nil {
		return nil, err
	}
	t := &table{format: format}
	if format == "xlsx" {
		t.sheet, t.rows, err = openXLSX(ra, size, path, m.Sheet)
	} else {
		t.rows, err = openCSV(io.NewSectionReader(ra, 0, size), m)
	}
	if err != nil {
		return nil, err
	}
	headerRow := max(m.HeaderRow, 1)
	for k := 1; k <= headerRow; k++ {
		r, ok, err := t.rows.next()
		switch {
		case err != nil:
			t.rows.close()
			return nil, err
		case !ok && format == "xlsx":
			t.rows.close()
			return nil, fmt.Errorf("sheet %q has no header row %d", t.sheet, headerRow)
		case !ok:
			t.rows.close()
			return nil, fmt.Errorf("csv has no header row %d", headerRow)
		case r.bad != "" && k == headerRow:
			t.rows.close()
			return nil, fmt.Errorf("header row (line %d): %s", r.num, r.bad)
		case k == headerRow:
			t.header = r.cells
		}
	}
	return t, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// csvRows reads CSV records one at a time.
type csvRows struct {
	cr    *csv.Reader
	check bool // check that the cells are UTF-8 (no transcoding)
}

func openCSV(r io.Reader, m Mapping) (rowSource, error) {
	switch strings.ToLower(m.Encoding) {
	case "gbk":
		r = transform.NewReader(r, simplifiedchinese.GBK.NewDecoder())
	case "gb18030":
		r = transform.NewReader(r, simplifiedchinese.GB18030.NewDecoder())
	default:
		br := bufio.NewReader(r)
		if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
			_, _ = br.Discard(len(utf8BOM))
		}
		cr := newCSVReader(br, m)
		return &csvRows{cr: cr, check: true}, nil
	}
	return &csvRows{cr: newCSVReader(r, m)}, nil
}

// newCSVReader reads RFC 4180 quoting strictly: with lazy quotes, one quote left open would
// swallow every following line into one field (one bad row) without a word.
func newCSVReader(r io.Reader, m Mapping) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	if m.Delimiter != "" {
		cr.Comma, _ = utf8.DecodeRuneInString(m.Delimiter)
	}
	return cr
}

func (c *csvRows) next() (row, bool, error) {
	cells, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return row{}, false, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return row{num: pe.StartLine, bad: quoteProblem(pe)}, true, nil
	}
	if err != nil {
		return row{}, false, fmt.Errorf("read csv: %w", err)
	}
	line, _ := c.cr.FieldPos(0)
	if c.check {
		for _, s := range cells {
			if !utf8.ValidString(s) {
				return row{}, false, fmt.Errorf("csv line %d is not valid UTF-8: set encoding: gbk in the mapping if the vendor uses GBK", line)
			}
		}
	}
	return row{num: line, cells: cells}, true, nil
}

func (c *csvRows) close() error { return nil }

// quoteProblem words a CSV parse error for the vendor's file: where the quote opened, where
// reading gave up, and what was lost.
func quoteProblem(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("line %d, column %d: a \" inside a field that does not start with one (quote the whole field and double the \": \"a \"\"b\"\" c\")",
			pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine:
		return fmt.Sprintf("a quoted field opened on line %d is not closed by a \" before a delimiter or the end of a line; lines %d–%d were read as this one bad row (at line %d, column %d)",
			pe.StartLine, pe.StartLine, pe.Line, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("line %d, column %d: a quoted field is not closed by a \" before a delimiter or the end of the line", pe.Line, pe.Column)
	}
	return fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
}

// xlsxRows streams a sheet's rows with excelize's row iterator.
type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
}

// openXLSX checks the archive, then opens the sheet (default the first) for reading row by row.
func openXLSX(ra io.ReaderAt, size int64, path, sheet string) (string, rowSource, error) {
	if err := checkArchive(ra, size); err != nil {
		return "", nil, err
	}
	var f *excelize.File
	var err error
	if path != "" {
		f, err = excelize.OpenFile(path)
	} else {
		f, err = excelize.OpenReader(io.NewSectionReader(ra, 0, size))
	}
	if err != nil {
		return "", nil, fmt.Errorf("open xlsx: %w", err)
	}
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			f.Close()
			return "", nil, errors.New("xlsx has no sheets")
		}
		sheet = sheets[0]
	}
	if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		f.Close()
		return "", nil, fmt.Errorf("xlsx has no sheet %s (sheets: %s)", clipQuote(sheet), clipList(sheets))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return "", nil, fmt.Errorf("read sheet %s: %w", clipQuote(sheet), err)
	}
	return sheet, &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) next() (row, bool, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return row{}, false, fmt.Errorf("read sheet: %w", err)
		}
		return row{}, false, nil
	}
	x.n++
	// Raw values: dates come as Excel serial numbers, not in the cell's display format.
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return row{}, false, fmt.Errorf("read sheet row %d: %w", x.n, err)
	}
	return row{num: x.n, cells: cells}, true, nil
}

func (x *xlsxRows) close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkArchive reads every member of the XLSX (a zip archive) to its end, so that a damaged
// member — a bad CRC-32, a broken deflate stream — refuses the file instead of importing fewer
// rows than it holds. It uses constant memory.
func checkArchive(ra io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("xlsx is not a readable zip archive (%w): re-export it from the spreadsheet program", err)
	}
	buf := make([]byte, 32<<10)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err == nil {
			_, err = io.CopyBuffer(io.Discard, rc, buf)
			if cerr := rc.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Errorf("xlsx archive is damaged: member %s: %w; refusing the file (re-export it from the spreadsheet program)", clipQuote(zf.Name), err)
		}
	}
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

// maxEcho is the most bytes of a file's value that an error quotes.
const maxEcho = 64

// clipQuote quotes a value from the file for an error, cut to maxEcho bytes (on a character
// boundary) with a marker saying how long it was: a 1 MB bad cell must not come back whole.
func clipQuote(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// clipList quotes up to 20 values with clipQuote, joined with commas.
func clipList(vs []string) string {
	const most = 20
	var b strings.Builder
	for i, v := range vs {
		if i == most {
			fmt.Fprintf(&b, ", … (%d more)", len(vs)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(clipQuote(v))
	}
	return b.String()
}
