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
// Through its public methods only, col decodes a made-up column of rows strings that ends right
// after the first string's length (size), and is reset. Decoding sizes the offsets for rows
// rows before it reads anything and the byte buffer for the first string as soon as it has its
// length; the read of that string's bytes then fails (the input ends), which is the point: no
// byte is copied and no further length is read, so sizing costs the same whatever the number of
// rows (reading the other rows' lengths cost ~10 ns a row, 8–11 % of ingest's CPU: ingest/
// DESIGN.md, "String columns"). Reset then empties the column and keeps both buffers. The
// decode error is expected and dropped; it is an error if col is not empty after Reset (rows
// would be inserted that were never sent), which would only happen with a driver whose Reset
// does not empty a column. A driver that decoded differently would only size less (the tests
// count the allocations of an Append after sizing). Columns of other types, columns that hold
// rows and small ones are left alone.
func reserveStrings(col column.Interface, rows, size int) error {
	s, ok := col.(*column.String)
	if !ok || rows < reserveMin || s.Rows() != 0 || size < 128 { // below 128 bytes, DecodeColumn sizes a short first string for every row
		return nil
	}
	r := blankReaders.Get().(*blankReader)
	defer blankReaders.Put(r)
	r.reset(size)
	_ = s.Decode(proto.NewReader(r.br), rows) // fails after sizing: the input ends after one length
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

// blankReader is a reusable lengthOnly with its read buffer.
type blankReader struct {
	col lengthOnly
	br  *bufio.Reader
}

var blankReaders = sync.Pool{New: func() any {
	r := &blankReader{}
	r.br = bufio.NewReaderSize(&r.col, chReaderSize)
	return r
}}

// reset makes r read the start of a String column whose first string is size bytes long: its
// length, and nothing after it.
func (r *blankReader) reset(size int) {
	r.col.head = binary.AppendUvarint(r.col.buf[:0], uint64(size))
	r.br.Reset(&r.col)
}

// lengthOnly reads head, then io.EOF.
type lengthOnly struct {
	buf  [binary.MaxVarintLen64]byte
	head []byte
}

func (r *lengthOnly) Read(p []byte) (int, error) {
	if len(r.head) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.head)
	r.head = r.head[n:]
	return n, nil
}
