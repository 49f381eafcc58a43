package ingest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// reserveMin is the fewest rows for which a String column is sized before its rows are
// appended.
const reserveMin = 256

// reserveStrings sizes col, a new String column of a batch, for rows strings of size bytes in
// all, before they are appended. Appending grows the column's byte buffer and its offsets one
// string at a time; at the growth factor Go uses for large slices, a 50,000-row column
// reallocates and copies about thirty times, and that garbage was the largest share of ingest's
// allocations (685 MB of 1.8 GB per million events), with the collection and page faults it
// causes.
//
// clickhouse-go has no call to reserve capacity, and its column keeps its buffers unexported.
// Through its public methods only, col decodes rows rows — one string size bytes long, then
// empty ones — from a reader that makes them up, and is reset: decoding sizes both buffers in
// one step and Reset keeps them. It reads a length per row (~10 ns), which costs less than
// the reallocations it saves (ingest/DESIGN.md, "String columns"). It is an error if col is not
// empty afterwards (rows would be inserted that were never sent), which would only happen with
// a driver whose Reset does not empty a column. Columns of other types, columns that hold rows
// and small ones are left alone.
func reserveStrings(col column.Interface, rows, size int) error {
	s, ok := col.(*column.String)
	if !ok || rows < reserveMin || s.Rows() != 0 || size < 128 { // below 128 bytes, DecodeColumn sizes a short first string for every row
		return nil
	}
	r := blankReaders.Get().(*blankReader)
	defer blankReaders.Put(r)
	r.reset(size, rows)
	if err := s.Decode(proto.NewReader(r.br), rows); err != nil {
		return fmt.Errorf("reserve %d rows: %w", rows, err)
	}
	s.Reset()
	if n := s.Rows(); n != 0 {
		return fmt.Errorf("reserve %d rows: the column keeps %d rows after Reset", rows, n)
	}
	return nil
}

// chReaderSize is the buffer size of ch-go's proto.NewReader: given a *bufio.Reader at least
// this large, it reads through it instead of allocating one (bufio.NewReaderSize), so each
// reservation does not allocate 128 KiB.
const chReaderSize = 128 << 10

// blankReader is a reusable blankColumn with its read buffer.
type blankReader struct {
	col blankColumn
	br  *bufio.Reader
}

var blankReaders = sync.Pool{New: func() any {
	r := &blankReader{}
	r.br = bufio.NewReaderSize(&r.col, chReaderSize)
	return r
}}

// reset makes r read the native encoding of a String column of rows strings, the first size
// bytes long and the others empty.
func (r *blankReader) reset(size, rows int) {
	r.col.zeros = size + rows - 1
	r.col.head = binary.AppendUvarint(r.col.buf[:0], uint64(size))
	r.br.Reset(&r.col)
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
