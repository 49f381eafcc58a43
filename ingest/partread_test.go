package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
)

// TestPartReaderMessages reads a partition with partReader and checks every message against
// what was produced: each offset once and in order from the one asked for, keys and values
// (nil when null or empty, as kafka-go reports both), timestamps, high-water marks — over
// record batches of every compression codec, null, empty and 200 KiB values, headers,
// responses limited by MaxBytes (read on from the next offset), and reads starting inside
// a compressed batch (whose earlier records the broker sends too). On the in-process broker,
// and on the real one when it is there (CI).
func TestPartReaderMessages(t *testing.T) {
	t.Run("kfake", func(t *testing.T) {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		testPartReaderMessages(t, c.ListenAddrs(), false)
	})
	t.Run("kafka", func(t *testing.T) {
		testPartReaderMessages(t, kafkatest.Need(t), true)
	})
}

func testPartReaderMessages(t *testing.T, brokers []string, create bool) {
	ctx := context.Background()
	topic := traffic.Unique("csat-partread")
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
	var want []kafka.Message // as partReader should return them, offset i at index i
	for _, codec := range []compress.Compression{0, compress.Gzip, compress.Snappy, compress.Lz4, compress.Zstd} {
		w.Compression = kafka.Compression(codec)
		var msgs []kafka.Message
		for i := range 40 {
			n := len(want)
			m := kafka.Message{Value: fmt.Appendf(nil, `{"n":%d,"codec":%d}`, n, codec)}
			switch i % 5 {
			case 0:
				m.Key = []byte(fmt.Sprintf("key-%d", n))
			case 1:
				m.Key = []byte{} // empty key, null value
				m.Value = nil
			case 2:
				m.Value = []byte{}
				m.Headers = []kafka.Header{{Key: "h", Value: []byte("v")}}
			case 3:
				m.Value = bytes.Repeat([]byte("x"), 200<<10)
			}
			m.Time = at.Add(time.Duration(n) * time.Millisecond)
			msgs = append(msgs, m)
			want = append(want, kafka.Message{Topic: topic, Offset: int64(n), Time: m.Time, Key: nilIfEmpty(m.Key), Value: nilIfEmpty(m.Value)})
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
	end := int64(len(want))
	in := testIngester(t)
	in.cfg.Brokers = brokers
	in.dialer = &kafka.Dialer{Timeout: 10 * time.Second}
	for _, start := range []int64{0, 47, 163} { // 47 and 163 lie inside compressed batches
		for _, maxBytes := range []int{64 << 10, 1 << 20, 8 << 20} {
			got, responses := readPart(t, in, topic, start, end, maxBytes)
			if len(got) != int(end-start) {
				t.Fatalf("start %d, max %d: %d messages, want %d", start, maxBytes, len(got), end-start)
			}
			for i, m := range got {
				x := want[start+int64(i)]
				if m.Offset != x.Offset || !m.Time.Equal(x.Time) || m.Time.Location() != time.UTC ||
					m.HighWaterMark != end || m.Topic != topic || m.Partition != 0 ||
					!bytes.Equal(m.Key, x.Key) || (m.Key == nil) != (x.Key == nil) ||
					!bytes.Equal(m.Value, x.Value) || (m.Value == nil) != (x.Value == nil) {
					t.Fatalf("start %d, max %d, message %d: got %s, want %s", start, maxBytes, i, show(m), show(x))
				}
			}
			// From the start, 64 KiB responses cannot hold the partition (its first record batch
			// alone is 1.6 MB): the reader went on from where each response ended.
			if start == 0 && maxBytes == 64<<10 && responses < 2 {
				t.Errorf("start %d, max %d: %d responses, want the partition read in several", start, maxBytes, responses)
			}
		}
	}
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func show(m kafka.Message) string {
	v := string(m.Value)
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("{offset %d time %s hwm %d key %q (nil %v) value %q (nil %v)}", m.Offset, m.Time, m.HighWaterMark, m.Key, m.Key == nil, v, m.Value == nil)
}

// readPart reads topic's partition 0 from start up to end with a partReader whose fetch
// responses hold at most maxBytes, and returns the messages and the number of fetch responses it read from.
func readPart(t *testing.T, in *Ingester, topic string, start, end int64, maxBytes int) ([]kafka.Message, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := newPartReader(ctx, in, topic, 0, start)
	defer r.close()
	r.maxBytes = maxBytes
	var out []kafka.Message
	responses := 1
	for r.offset < end {
		m, err := r.next(ctx)
		switch {
		case errors.Is(err, errFetched):
			responses++
			continue
		case err != nil:
			t.Fatalf("read at %d: %v", r.offset, err)
		}
		out = append(out, m)
	}
	return out, responses
}
