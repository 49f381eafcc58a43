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
	// The direct way must be the one in use with the driver in go.mod: if an upgrade moves
	// column.String's buffers, this fails and the fallback's cost comes back unnoticed otherwise.
	if strColOffset < 0 {
		t.Fatal("column.String has no proto.ColStr field named col: reserveStrings falls back to decoding")
	}
	t.Run("direct", func(t *testing.T) { testReserve(t, reserveStrings) })
	t.Run("decode", func(t *testing.T) {
		testReserve(t, func(col column.Interface, vs []string) error {
			total := 0
			for _, v := range vs {
				total += len(v)
			}
			return reserveByDecode(col.(*column.String), vs, total)
		})
	})
}

func testReserve(t *testing.T, reserve func(column.Interface, []string) error) {
	vs := make([]string, 5000)
	for i := range vs {
		vs[i] = fmt.Sprintf("event-%d-%s", i, "x"[:i%2])
	}
	vs[17] = "" // empty strings keep their place

	plain := &column.String{}
	if _, err := plain.Append(vs); err != nil {
		t.Fatal(err)
	}

	sized := &column.String{}
	if err := reserve(sized, vs); err != nil {
		t.Fatalf("reserve: %v", err)
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
	var a, b proto.Buffer
	plain.Encode(&a)
	sized.Encode(&b)
	if !bytes.Equal(a.Buf, b.Buf) {
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
	if err := reserveStrings(col, few); err != nil {
		t.Fatal(err)
	}
	if _, err := col.Append(few); err != nil {
		t.Fatal(err)
	}
	// A column that already holds rows is left alone.
	many := make([]string, 1000)
	for i := range many {
		many[i] = "0123456789"
	}
	if err := reserveStrings(col, many); err != nil {
		t.Fatal(err)
	}
	if col.Rows() != 2 || col.Row(0, false) != "a" {
		t.Errorf("reserveStrings changed a column that held rows: %d rows", col.Rows())
	}
}
