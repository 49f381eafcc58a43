package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
)

// linkedKafkaGo is the kafka-go version whose (*Batch).readMessage and errShortRead
// batchread.go links to, and was checked against (TestBufReader).
const linkedKafkaGo = "v0.4.51"

// TestLinkedKafkaGo fails when go.mod moves kafka-go: batchReadMessage's signature and meaning
// are kafka-go internals that must be checked again (read batchread.go, run TestBufReader) before
// linkedKafkaGo is raised.
func TestLinkedKafkaGo(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/segmentio/kafka-go " + linkedKafkaGo
	for _, line := range strings.Split(string(mod), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "github.com/segmentio/kafka-go ") || strings.Contains(line, "segmentio/kafka-go =>") {
			if line != want {
				t.Fatalf("go.mod has %q: batchread.go was checked against %s", line, linkedKafkaGo)
			}
			return
		}
	}
	t.Fatal("kafka-go is not in go.mod")
}

// TestBufReader reads the same fetch responses with kafka-go's Batch.ReadMessage and with
// bufReader and checks that they give the same messages: offsets, keys and values (nil when
// null or empty, as kafka-go's), timestamps, high-water marks, and the same end (io.EOF) —
// over record batches of every compression codec, null, empty and 200 KiB values, headers,
// responses cut short by MaxBytes, and a read starting inside a compressed batch. On the
// in-process broker, and on the real one when it is there (CI).
func TestBufReader(t *testing.T) {
	t.Run("kfake", func(t *testing.T) {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		testBufReader(t, c.ListenAddrs(), false)
	})
	t.Run("kafka", func(t *testing.T) {
		testBufReader(t, kafkatest.Need(t), true)
	})
}

func testBufReader(t *testing.T, brokers []string, create bool) {
	ctx := context.Background()
	topic := traffic.Unique("csat-bufreader")
	if create {
		if err := traffic.Create(ctx, brokers, 1, topic); err != nil {
			t.Fatal(err)
		}
		defer traffic.Delete(ctx, brokers, topic)
	}
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, BatchSize: 50, BatchTimeout: time.Millisecond,
		AllowAutoTopicCreation: true, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	at := time.Date(2026, 11, 27, 8, 0, 0, 123e6, time.UTC)
	n := 0
	for _, codec := range []compress.Compression{0, compress.Gzip, compress.Snappy, compress.Lz4, compress.Zstd} {
		w.Compression = kafka.Compression(codec)
		var msgs []kafka.Message
		for i := range 40 {
			m := kafka.Message{Value: fmt.Appendf(nil, `{"n":%d,"codec":%d}`, n, codec)}
			switch i % 5 {
			case 0:
				m.Key = []byte(fmt.Sprintf("key-%d", n))
			case 1:
				m.Key = []byte{}
				m.Value = nil
			case 2:
				m.Value = []byte{}
				m.Headers = []kafka.Header{{Key: "h", Value: []byte("v")}}
			case 3:
				m.Value = bytes.Repeat([]byte("x"), 200<<10)
			}
			m.Time = at.Add(time.Duration(n) * time.Millisecond)
			msgs = append(msgs, m)
			n++
		}
		var err error
		for try := 0; try < 50; try++ { // kfake creates the topic on the first write
			if err = w.WriteMessages(ctx, msgs...); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, start := range []int64{0, 47, 163} { // 47 and 163 lie inside compressed batches
		for _, maxBytes := range []int{64 << 10, 1 << 20, 8 << 20} {
			a := readBoth(t, brokers[0], topic, start, maxBytes, false)
			b := readBoth(t, brokers[0], topic, start, maxBytes, true)
			if len(a) != len(b) || len(a) != n-int(start) {
				t.Fatalf("start %d, max %d: %d messages with ReadMessage, %d with bufReader, want %d", start, maxBytes, len(a), len(b), n-int(start))
			}
			for i := range a {
				x, y := a[i], b[i]
				if x.Offset != y.Offset || !x.Time.Equal(y.Time) || x.Time.Location() != y.Time.Location() ||
					x.HighWaterMark != y.HighWaterMark || x.Topic != y.Topic || x.Partition != y.Partition ||
					!bytes.Equal(x.Key, y.Key) || (x.Key == nil) != (y.Key == nil) ||
					!bytes.Equal(x.Value, y.Value) || (x.Value == nil) != (y.Value == nil) {
					t.Fatalf("start %d, max %d, message %d: ReadMessage %s, bufReader %s", start, maxBytes, i, show(x), show(y))
				}
				if x.Offset != start+int64(i) {
					t.Fatalf("message %d has offset %d, want %d", i, x.Offset, start+int64(i))
				}
			}
		}
	}
}

func show(m kafka.Message) string {
	v := string(m.Value)
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("{offset %d time %s hwm %d key %q (nil %v) value %q (nil %v)}", m.Offset, m.Time, m.HighWaterMark, m.Key, m.Key == nil, v, m.Value == nil)
}

// readBoth reads the partition from start to its end, fetch after fetch of at most maxBytes,
// with kafka-go's ReadMessage or with a bufReader (copying what it returns).
func readBoth(t *testing.T, broker, topic string, start int64, maxBytes int, buffered bool) []kafka.Message {
	t.Helper()
	conn, err := kafka.DialLeader(context.Background(), "tcp", broker, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, end, err := conn.ReadOffsets()
	if err != nil {
		t.Fatal(err)
	}
	br := newBufReader()
	var out []kafka.Message
	for off := start; off < end; {
		if _, err := conn.Seek(off, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		b := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: maxBytes, MaxWait: 100 * time.Millisecond})
		for {
			var m kafka.Message
			var err error
			if buffered {
				if m, err = br.next(b, topic, 0, off); err == nil {
					m.Key, m.Value = clone(m.Key), clone(m.Value)
				}
			} else {
				m, err = b.ReadMessage()
				m.Headers = nil
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("read at %d (buffered %v): %v", off, buffered, err)
				}
				break
			}
			out = append(out, m)
			off = m.Offset + 1
		}
		_ = b.Close()
	}
	return out
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}
