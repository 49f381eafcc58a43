package vendorimport_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/csat-dev/csat/ingest/vendorimport"
)

// bigRow is row i of the large files: the XLSX fixture's columns, varied values.
func bigRow(i int) []any {
	carriers := []string{"移动", "电信", "联通"}
	counties := []string{"玄武区", "秦淮区", ""}
	at := time.Date(2026, 10, 1+i%28, 8+i%10, i%60, 0, 0, time.UTC)
	return []any{"南京", counties[i%3], carriers[(i/3)%3], 0.5 + float64(i%100)/100, at,
		1 + i%10, 1 + (i/2)%10, 1 + (i/3)%10, 1 + (i/5)%10, 1 + (i/7)%10, 1 + (i/11)%10, 1 + (i/13)%10}
}

// writeBigXLSX writes rows data rows below a title and the header, as the fixture.
func writeBigXLSX(tb testing.TB, path string, rows int) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "10月明细"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		tb.Fatal(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		tb.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"2026年10月 客户满意度第三方测评 样本明细"}); err != nil {
		tb.Fatal(err)
	}
	if err := sw.SetRow("A2", xlsxHeader); err != nil {
		tb.Fatal(err)
	}
	for i := range rows {
		if err := sw.SetRow(fmt.Sprintf("A%d", i+3), bigRow(i)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
}

// writeBigCSV writes the same rows as CSV with the XLSX mapping's header in row 2.
func writeBigCSV(tb testing.TB, path string, rows int) {
	tb.Helper()
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(out)
	rec := make([]string, len(xlsxHeader))
	_ = w.Write([]string{"2026年10月 客户满意度第三方测评 样本明细"})
	for i, h := range xlsxHeader {
		rec[i] = h.(string)
	}
	_ = w.Write(rec)
	for i := range rows {
		for j, v := range bigRow(i) {
			if t, ok := v.(time.Time); ok {
				v = t.Format("2006-01-02 15:04:05")
			}
			rec[j] = fmt.Sprint(v)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkImport runs csat import --dry-run over 250,000-row files (XLSX ~10 MB) and reports
// the peak heap in use (sampled every millisecond) beside the bytes allocated.
func BenchmarkImport(b *testing.B) {
	dir := b.TempDir()
	xlsx, csvPath := filepath.Join(dir, "big.xlsx"), filepath.Join(dir, "big.csv")
	writeBigXLSX(b, xlsx, 250000)
	writeBigCSV(b, csvPath, 250000)
	for _, f := range []struct{ name, file, mapping string }{
		{"xlsx", xlsx, "testdata/mapping-xlsx.yaml"},
		{"csv", csvPath, "testdata/mapping-bigcsv.yaml"},
	} {
		b.Run(f.name, func(b *testing.B) {
			st, err := os.Stat(f.file)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size())
			b.ReportAllocs()
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			for b.Loop() {
				rep, err := vendorimport.Run(context.Background(), vendorimport.Config{File: f.file, Mapping: f.mapping,
					DryRun: true, Now: clock}, nil, nil)
				if err != nil || rep.Rows != 250000 || rep.Events == 0 {
					b.Fatalf("Run: %v, %+v", err, rep)
				}
			}
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
