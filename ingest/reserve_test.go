package ingest

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

func TestReserveStrings(t *testing.T) {
	vs := make([]string, 5000)
	total := 0
	for i := range vs {
		vs[i] = fmt.Sprintf("event-%d-%s", i, "x"[:i%2])
		total += len(vs[i])
	}
	vs[17] = "" // empty strings keep their place
	total -= len("event-17-x")

	plain := &column.String{}
	if _, err := plain.Append(vs); err != nil {
		t.Fatal(err)
	}

	// Reserving allocates the column's two buffers and ch-go's small reader state, not a read
	// buffer each time (128 KiB: the pooled one is reused). The least of three reservations,
	// since a pool may lose its reader to a collection.
	var sized *column.String
	least := uint64(1 << 62)
	for range 3 {
		sized = &column.String{}
		var err error
		_, b := allocs(func() { err = reserveStrings(sized, len(vs), total) })
		if err != nil {
			t.Fatalf("reserve: %v", err)
		}
		least = min(least, b)
	}
	if limit := uint64(total + 16*len(vs) + 16<<10); least > limit {
		t.Errorf("reserving allocated %d bytes, want at most %d", least, limit)
	}
	if n := sized.Rows(); n != 0 {
		t.Fatalf("reserved column has %d rows, want 0", n)
	}
	// Appending to the reserved column allocates only what the driver allocates per call (the
	// nulls slice, the boxed argument): the bytes and the offsets fit. The same Append to a
	// fresh column reallocates them dozens of times.
	if n := mallocs(t, func() { _, _ = sized.Append(vs) }); n > 3 {
		t.Errorf("Append after reserving allocated %d times, want at most 3", n)
	}
	if n := mallocs(t, func() { _, _ = (&column.String{}).Append(vs) }); n < 10 {
		t.Errorf("Append to a fresh column allocated %d times: the comparison above proves nothing", n)
	}

	if sized.Rows() != len(vs) {
		t.Fatalf("rows = %d, want %d", sized.Rows(), len(vs))
	}
	var x, y proto.Buffer
	plain.Encode(&x)
	sized.Encode(&y)
	if !bytes.Equal(x.Buf, y.Buf) {
		t.Errorf("the reserved column encodes differently from a plainly appended one")
	}
}

// mallocs counts the heap allocations f makes.
func mallocs(t *testing.T, f func()) uint64 {
	t.Helper()
	n, _ := allocs(f)
	return n
}

// allocs is the number of heap allocations f makes and the bytes they total.
func allocs(f func()) (n, bytes uint64) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.Mallocs - m0.Mallocs, m1.TotalAlloc - m0.TotalAlloc
}

func TestReserveStringsSkips(t *testing.T) {
	few := []string{"a", "b"}
	col := &column.String{}
	if err := reserveStrings(col, len(few), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := col.Append(few); err != nil {
		t.Fatal(err)
	}
	// A column that already holds rows is left alone.
	if err := reserveStrings(col, 1000, 10000); err != nil {
		t.Fatal(err)
	}
	if col.Rows() != 2 || col.Row(0, false) != "a" {
		t.Errorf("reserveStrings changed a column that held rows: %d rows", col.Rows())
	}
	// So is a column of another type.
	u := &column.UInt32{}
	if err := reserveStrings(u, 1000, 10000); err != nil || u.Rows() != 0 {
		t.Errorf("reserveStrings on a UInt32 column: %v, %d rows", err, u.Rows())
	}
}

// BenchmarkStringColumn fills a 50,000-row String column of 20–28-byte values as an INSERT does:
// sized by reserveStrings, then appended in strChunk-value chunks (plain: appended with no
// sizing).
func BenchmarkStringColumn(b *testing.B) {
	vs := make([]string, 50000)
	total := 0
	for i := range vs {
		vs[i] = fmt.Sprintf("evt-%016x-%0*d", i*7919, i%9, 0)
		total += len(vs[i])
	}
	for _, sized := range []bool{true, false} {
		name := "plain"
		if sized {
			name = "sized"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				col := &column.String{}
				if sized {
					if err := reserveStrings(col, len(vs), total); err != nil {
						b.Fatal(err)
					}
				}
				for i := 0; i < len(vs); i += strChunk {
					if _, err := col.Append(vs[i:min(i+strChunk, len(vs))]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
