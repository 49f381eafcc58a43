package ingest

import (
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"slices"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// reserveMin is the fewest rows for which a String column is sized before its rows are
// appended.
const reserveMin = 256

// reserveStrings sizes col, a new String column of a batch, for the rows of vs before they are
// appended. Appending grows the column's byte buffer and its offsets one string at a time; at
// the growth factor Go uses for large slices, a 50,000-row column reallocates and copies about
// thirty times, and that garbage was the largest share of ingest's allocations (685 MB of
// 1.8 GB per million events), with the collection and page faults it causes.
//
// clickhouse-go has no call to reserve capacity. When the driver's column.String is laid out as
// this build expects (checked once with reflect: strColOffset), both buffers of its
// proto.ColStr are sized directly. Otherwise col decodes len(vs) rows — one string as long as
// all of vs together, then empty ones — from a reader that makes them up, and is reset:
// decoding sizes both buffers in one step and Reset keeps them, but it reads a length per row
// and zeroes the bytes twice (8 % of ingest's CPU; the direct way costs the allocation only).
// It is an error if col is not empty afterwards (rows would be inserted that were never sent),
// which would only happen with a driver whose Reset does not empty a column.
func reserveStrings(col column.Interface, vs []string) error {
	s, ok := col.(*column.String)
	if !ok || len(vs) < reserveMin || s.Rows() != 0 {
		return nil
	}
	total := 0
	for _, v := range vs {
		total += len(v)
	}
	if c := colStr(s); c != nil {
		growColStr(c, total, len(vs))
		return nil
	}
	return reserveByDecode(s, vs, total)
}

// strColOffset is the offset of the proto.ColStr inside column.String, or -1 when the field
// is not there with that type (another driver version): reserveStrings then decodes.
var strColOffset = func() int {
	f, ok := reflect.TypeFor[column.String]().FieldByName("col")
	if !ok || f.Type != reflect.TypeFor[proto.ColStr]() {
		return -1
	}
	return int(f.Offset)
}()

// colStr returns the proto.ColStr that holds s's rows, nil if strColOffset is unknown.
func colStr(s *column.String) *proto.ColStr {
	if strColOffset < 0 {
		return nil
	}
	return (*proto.ColStr)(unsafe.Add(unsafe.Pointer(s), strColOffset))
}

// growColStr makes room in the empty c for rows strings of bytes bytes in all.
func growColStr(c *proto.ColStr, bytes, rows int) {
	c.Buf = slices.Grow(c.Buf[:0], bytes)
	c.Pos = slices.Grow(c.Pos[:0], rows)
}

// reserveByDecode is reserveStrings without access to the column's buffers.
func reserveByDecode(s *column.String, vs []string, total int) error {
	if total < 128 { // DecodeColumn would size a short first string for every row
		return nil
	}
	r := &blankColumn{zeros: total + len(vs) - 1}
	r.head = binary.AppendUvarint(r.buf[:0], uint64(total))
	if err := s.Decode(proto.NewReader(r), len(vs)); err != nil {
		return fmt.Errorf("reserve %d rows: %w", len(vs), err)
	}
	s.Reset()
	if n := s.Rows(); n != 0 {
		return fmt.Errorf("reserve %d rows: the column keeps %d rows after Reset", len(vs), n)
	}
	return nil
}

// blankColumn is the native encoding of a String column whose first string is zeros-(rows-1)
// zero bytes long and whose other strings are empty: the first string's length (head), then
// zeros zero bytes (the first string, then one zero length per other string).
type blankColumn struct {
	buf   [binary.MaxVarintLen64]byte
	head  []byte
	zeros int
}

func (r *blankColumn) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if r.zeros == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.zeros)
	clear(p[:n])
	r.zeros -= n
	return n, nil
}
