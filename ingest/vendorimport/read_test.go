package vendorimport_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csat-dev/csat/ingest/vendorimport"
)

// rewriteZip copies the archive data, letting change alter each member's header and raw
// (compressed) bytes.
func rewriteZip(t *testing.T, data []byte, change func(h *zip.FileHeader, raw []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		h := f.FileHeader
		raw = change(&h, raw)
		w, err := zw.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestXLSXDamagedArchive: an XLSX whose sheet fails its CRC-32 (or whose compressed data is
// cut) is refused with an error naming the damaged member, never imported as fewer rows.
func TestXLSXDamagedArchive(t *testing.T) {
	data, err := os.ReadFile(xlsxFixture)
	if err != nil {
		t.Fatal(err)
	}
	m := mapping(t, "testdata/mapping-xlsx.yaml")
	const sheet = "xl/worksheets/sheet1.xml"
	tests := []struct {
		name   string
		change func(h *zip.FileHeader, raw []byte) []byte
	}{
		{"bad crc", func(h *zip.FileHeader, raw []byte) []byte {
			if h.Name == sheet {
				h.CRC32 ^= 0x5a5a
			}
			return raw
		}},
		{"cut deflate stream", func(h *zip.FileHeader, raw []byte) []byte {
			if h.Name == sheet {
				h.CompressedSize64 = uint64(len(raw) / 2)
				return raw[:len(raw)/2]
			}
			return raw
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := rewriteZip(t, data, tt.change)
			res, err := vendorimport.Convert(bad, "damaged.xlsx", m, vendorimport.Options{Now: clock})
			if err == nil {
				t.Fatalf("Convert accepted a damaged archive: %d rows, %d events", res.Rows, len(res.Events))
			}
			if !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), sheet) {
				t.Errorf("err = %v, want it to say the archive is damaged and name %s", err, sheet)
			}
			path := filepath.Join(t.TempDir(), "damaged.xlsx")
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := vendorimport.ConvertFile(path, m, vendorimport.Options{Now: clock}, func(vendorimport.Event) error { return nil }); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("ConvertFile: err = %v, want the archive refused", err)
			}
		})
	}
	// The rewrite itself keeps a sound archive sound.
	same := rewriteZip(t, data, func(_ *zip.FileHeader, raw []byte) []byte { return raw })
	if res, err := vendorimport.Convert(same, "same.xlsx", m, vendorimport.Options{Now: clock}); err != nil || res.Rows != 8 {
		t.Fatalf("rewritten sound archive: %v, %+v", err, res)
	}
}

const bigHeader = "2026年10月 样本明细\n地市,区县,运营商,样本权重,调查日期,网络质量,通话质量,移动上网,资费套餐,营业厅服务,品牌形象,总体评价\n"

func csvRow(county, carrier string) string {
	return "南京," + county + "," + carrier + ",1,2026-10-09 10:30:00,9,9,8,7,9,9,9\n"
}

// TestCSVQuotes: an unbalanced quote is one bad row that names the line where the quote opened
// and the lines it took; the lines after it are read as rows again. A bare quote is a bad row.
func TestCSVQuotes(t *testing.T) {
	m := mapping(t, "testdata/mapping-bigcsv.yaml")
	tests := []struct {
		name  string
		csv   string
		good  []int // lines of the good rows
		bad   int   // line of the bad row
		words []string
	}{
		{"closed by a later quote", bigHeader +
			csvRow("玄武区", "移动") + // line 3
			`南京,"玄武区,移动,1,2026-10-09 10:30:00,9,9,8,7,9,9,9` + "\n" + // line 4: the quote opens
			csvRow("秦淮区", "电信") + // line 5: swallowed
			csvRow(`"秦淮区"`, "电信") + // line 6: its quote ends the damage
			csvRow("玄武区", "联通"), // line 7
			[]int{3, 7}, 4, []string{"opened on line 4", "lines 4–6"}},
		{"never closed", bigHeader +
			csvRow("玄武区", "移动") +
			`南京,"玄武区,移动,1,2026-10-09 10:30:00,9,9,8,7,9,9,9` + "\n" +
			csvRow("秦淮区", "电信") + csvRow("秦淮区", "联通"),
			[]int{3}, 4, []string{"opened on line 4", "lines 4–6"}},
		{"bare quote", bigHeader + csvRow(`玄"武区`, "移动") + csvRow("玄武区", "联通"),
			[]int{4}, 3, []string{"line 3, column 11", `a " inside a field`}},
		{"quoted field across lines is fine", bigHeader + csvRow("玄武区", "\"移\n动\"") + csvRow("玄武区", "联通"),
			[]int{5}, 3, []string{`unknown carrier "移\n动"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := vendorimport.Convert([]byte(tt.csv), "q.csv", m, vendorimport.Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			var good []int
			for _, ev := range res.Events {
				good = append(good, ev.Row)
			}
			if fmt.Sprint(good) != fmt.Sprint(tt.good) {
				t.Errorf("good rows at lines %v, want %v", good, tt.good)
			}
			if len(res.Bad) != 1 || res.Bad[0].Row != tt.bad {
				t.Fatalf("bad rows %+v, want one at line %d", res.Bad, tt.bad)
			}
			for _, w := range tt.words {
				if !strings.Contains(res.Bad[0].Reason, w) {
					t.Errorf("reason %q lacks %q", res.Bad[0].Reason, w)
				}
			}
		})
	}
}

// TestBoundedEcho: a bad cell of 1 MB is quoted in the row error cut, with its length.
func TestBoundedEcho(t *testing.T) {
	m := mapping(t, "testdata/mapping-bigcsv.yaml")
	huge := strings.Repeat("移", 1<<20/3) // ~1 MB of 3-byte characters
	for _, col := range []struct{ name, csv string }{
		{"carrier", bigHeader + csvRow("玄武区", huge)},
		{"branch", bigHeader + csvRow(huge, "移动")},
		{"score", bigHeader + "南京,玄武区,移动,1,2026-10-09 10:30:00," + huge + ",9,8,7,9,9,9\n"},
		{"time", bigHeader + "南京,玄武区,移动,1," + huge + ",9,9,8,7,9,9,9\n"},
		{"weight", bigHeader + "南京,玄武区,移动," + huge + ",2026-10-09 10:30:00,9,9,8,7,9,9,9\n"},
	} {
		t.Run(col.name, func(t *testing.T) {
			res, err := vendorimport.Convert([]byte(col.csv), "big.csv", m, vendorimport.Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Bad) != 1 {
				t.Fatalf("bad rows %+v, want 1", res.Bad)
			}
			r := res.Bad[0].String()
			if len(r) > 300 || !strings.Contains(r, "… (") || !strings.Contains(r, " bytes)") || !strings.Contains(r, "移移移") {
				t.Errorf("row error (%d bytes) %.300q: want the value cut to a prefix with its length", len(r), r)
			}
		})
	}
}
