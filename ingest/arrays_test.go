package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

func newColumn(t *testing.T, typ string) column.Interface {
	t.Helper()
	c, err := column.Type(typ).Column("c", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAppendArrays fills Array(String) and Array(UInt8) columns by decoding and checks that they
// encode byte for byte as the driver's own Append makes them: empty arrays, empty strings, a
// string longer than 127 bytes (a two-byte length) and non-ASCII text included.
func TestAppendArrays(t *testing.T) {
	codes := make([][]string, 300)
	scores := make([][]uint8, 300)
	for i := range codes {
		for j := range i % 12 {
			codes[i] = append(codes[i], fmt.Sprintf("item-%d", j))
			scores[i] = append(scores[i], uint8(1+(i+j)%10))
		}
	}
	codes[5] = []string{""}
	codes[6] = []string{strings.Repeat("长", 100), "x"}
	codes[7] = []string{}
	for _, c := range []struct {
		typ string
		v   any
	}{{"Array(String)", codes}, {"Array(UInt8)", scores}} {
		t.Run(c.typ, func(t *testing.T) {
			plain := newColumn(t, c.typ)
			if _, err := plain.Append(c.v); err != nil {
				t.Fatal(err)
			}
			fast := newColumn(t, c.typ)
			done, err := appendArrays(fast, c.v)
			if err != nil || !done {
				t.Fatalf("appendArrays: done %v, err %v", done, err)
			}
			if fast.Rows() != 300 || plain.Rows() != 300 {
				t.Fatalf("rows: %d decoded, %d appended, want 300", fast.Rows(), plain.Rows())
			}
			var a, b proto.Buffer
			plain.Encode(&a)
			fast.Encode(&b)
			if !bytes.Equal(a.Buf, b.Buf) {
				t.Errorf("the decoded column encodes differently from an appended one (%d vs %d bytes)", len(b.Buf), len(a.Buf))
			}
			// A column that already has rows is left to the driver (decoded offsets would not
			// continue its own).
			if done, _ := appendArrays(fast, c.v); done {
				t.Error("appendArrays filled a column that had rows")
			}
		})
	}
	if done, _ := appendArrays(newColumn(t, "Array(String)"), codes[:10]); done {
		t.Error("appendArrays filled a column from fewer than arrayMin rows")
	}
	if done, _ := appendArrays(newColumn(t, "Array(UInt8)"), codes); done {
		t.Error("appendArrays filled an Array(UInt8) column from [][]string")
	}
}
