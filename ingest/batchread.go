package ingest

import (
	"bufio"
	"io"
	"slices"
	"time"
	_ "unsafe" // go:linkname

	"github.com/segmentio/kafka-go"
)

// batchReadMessage is kafka-go's (*Batch).readMessage: what Batch.ReadMessage calls for each
// message, with functions that read the key and the value from the response.
//
//go:linkname batchReadMessage github.com/segmentio/kafka-go.(*Batch).readMessage
func batchReadMessage(b *kafka.Batch, key, val func(*bufio.Reader, int, int) (int, error)) (offset, timestamp int64, headers []kafka.Header, err error)

// errShortRead is kafka-go's error for a message cut short by the end of the response.
//
//go:linkname errShortRead github.com/segmentio/kafka-go.errShortRead
var errShortRead error

// bufReader reads the messages of kafka-go Batches into two buffers it reuses.
type bufReader struct {
	key, val []byte // the last message's, nil when empty or null (as kafka-go's)
	kbuf     []byte
	vbuf     []byte
	readKey  func(*bufio.Reader, int, int) (int, error)
	readVal  func(*bufio.Reader, int, int) (int, error)
}

func newBufReader() *bufReader {
	r := &bufReader{}
	r.readKey = func(rd *bufio.Reader, size, n int) (int, error) { return readInto(&r.key, &r.kbuf, rd, size, n) }
	r.readVal = func(rd *bufio.Reader, size, n int) (int, error) { return readInto(&r.val, &r.vbuf, rd, size, n) }
	return r
}

// readInto is kafka-go's readNewBytes into *buf: n bytes (none when n ≤ 0, nil then), at most
// size, errShortRead when the response ends before them.
func readInto(out, buf *[]byte, rd *bufio.Reader, size, n int) (int, error) {
	if n <= 0 {
		*out = nil
		return size, nil
	}
	short := n > size
	if short {
		n = size
	}
	*buf = slices.Grow((*buf)[:0], n)[:n]
	k, err := io.ReadFull(rd, *buf)
	*out = (*buf)[:k]
	size -= k
	if err == nil && short {
		err = errShortRead
	}
	return size, err
}

// next reads the next message of batch at or after offset from (a response may begin before
// the offset asked for). Its Key and Value are the reader's buffers: valid until the next call.
func (r *bufReader) next(batch *kafka.Batch, topic string, partition int, from int64) (kafka.Message, error) {
	for {
		off, ts, _, err := batchReadMessage(batch, r.readKey, r.readVal)
		if err != nil {
			return kafka.Message{}, err
		}
		if off < from {
			continue
		}
		m := kafka.Message{Topic: topic, Partition: partition, Offset: off, HighWaterMark: batch.HighWaterMark(),
			Key: r.key, Value: r.val}
		if ts > 0 {
			m.Time = time.Unix(ts/1000, (ts%1000)*int64(time.Millisecond)).UTC()
		}
		return m, nil
	}
}
