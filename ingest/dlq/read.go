// Package dlq reads the dead-letter topic back, for operators: List counts the dead letters by
// reason and source topic within a time window, and Replay republishes the original payloads of
// the ones an operator names (after a fix: a new item code in the catalog, a corrected producer)
// to their original topics with their original keys.
//
// Reading never joins a consumer group: it fetches every partition of the dead-letter topic with
// explicit offsets, from the log start up to the end offset (high watermark) it found when it
// started, and stops there. Ingest's group and its committed offsets are not touched, and dead
// letters written while it reads are left for the next run.
//
// Replay is exactly once in effect, not in storage: a replayed event keeps its event_id, which
// the read side counts once (SPEC §2.1), so replaying the same dead letters twice adds rows to
// the raw tables but never counts an event twice. Before publishing, Replay decodes each payload
// with the current decoder (catalog, topics, clock): a payload that would still be rejected is
// reported with its new reason and not published, unless Force. A payload that was cut when it
// was dead-lettered (payload_truncated) is never published: it is not the original message.
package dlq

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest"
)

// Letter is one dead letter as read back from the dead-letter topic, with where it lies there.
type Letter struct {
	ingest.DeadLetter
	DLQPartition int   `json:"dlq_partition"`
	DLQOffset    int64 `json:"dlq_offset"`
}

// Value returns the original message bytes (the payload decoded from base64 when it was
// stored so).
func (l *Letter) Value() ([]byte, error) { return decodeBytes(l.Payload, l.PayloadEncoding, "payload") }

// MessageKey returns the original message key, nil when it had none.
func (l *Letter) MessageKey() ([]byte, error) {
	if l.Key == nil {
		return nil, nil
	}
	return decodeBytes(*l.Key, l.KeyEncoding, "key")
}

func decodeBytes(s, enc, what string) ([]byte, error) {
	switch enc {
	case "":
		return []byte(s), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%s: bad base64: %w", what, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: unknown encoding %q", what, enc)
}

// Position is a message's place in a topic.
type Position struct {
	Partition int   `json:"partition"`
	Offset    int64 `json:"offset"`
}

// Unreadable is a message of the dead-letter topic that is not a dead letter csat wrote.
type Unreadable struct {
	Position
	Err string `json:"error"`
}

// Source is what List and Replay read dead letters from; *Reader is one.
type Source interface {
	// Name names the source in reports: the dead-letter topic.
	Name() string
	// Read calls fn with every dead letter, and returns the messages that are not dead letters.
	Read(ctx context.Context, fn func(*Letter) error) ([]Unreadable, error)
}

var _ Source = (*Reader)(nil)

// Reader reads the dead-letter topic without a consumer group.
type Reader struct {
	Client *kafka.Client // its Addr and Transport (TLS, SASL) reach the brokers
	Topic  string        // the dead-letter topic (CSAT_TOPIC_DLQ)
	// MaxBytes bounds one fetch response. Default 8 MiB; a dead letter can be ~1.2 MiB.
	MaxBytes int64
}

// Name returns the topic's name.
func (r *Reader) Name() string { return r.Topic }

// ErrNoTopic is returned (wrapped) when the dead-letter topic does not exist.
var ErrNoTopic = errors.New("topic does not exist")

// Read calls fn with every dead letter in the topic, partition by partition in offset order, up
// to each partition's end offset as of the call, and returns the messages it could not read as
// dead letters. An error of fn stops the read and is returned.
func (r *Reader) Read(ctx context.Context, fn func(*Letter) error) ([]Unreadable, error) {
	ranges, err := r.ranges(ctx)
	if err != nil {
		return nil, err
	}
	maxBytes := r.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 8 << 20
	}
	var bad []Unreadable
	for _, pr := range ranges {
		off := pr.first
		for stalls := 0; off < pr.end; {
			res, err := r.Client.Fetch(ctx, &kafka.FetchRequest{Topic: r.Topic, Partition: pr.partition,
				Offset: off, MinBytes: 1, MaxBytes: maxBytes, MaxWait: 500 * time.Millisecond})
			if err == nil && res.Error != nil {
				err = res.Error
			}
			if err != nil {
				return bad, fmt.Errorf("fetch %s/%d at offset %d: %w", r.Topic, pr.partition, off, err)
			}
			next, berr, err := readRecords(res.Records, pr.partition, off, pr.end, fn)
			bad = append(bad, berr...)
			if err != nil {
				return bad, err
			}
			if next == off {
				// Nothing at off (a gap left by compaction or a transaction marker): move on to
				// where the log starts, or give up after a few empty answers.
				if res.LogStartOffset > off {
					next = res.LogStartOffset
				} else if stalls++; stalls > 3 {
					return bad, fmt.Errorf("read %s/%d: no message at offset %d below the end offset %d", r.Topic, pr.partition, off, pr.end)
				}
			}
			off = next
		}
	}
	return bad, nil
}

// readRecords passes the records of one fetch response from offset off (below end) to fn and
// returns the offset to fetch next.
func readRecords(rr kafka.RecordReader, partition int, off, end int64, fn func(*Letter) error) (int64, []Unreadable, error) {
	var bad []Unreadable
	for {
		rec, err := rr.ReadRecord()
		if errors.Is(err, io.EOF) {
			return off, bad, nil
		}
		if err != nil {
			return off, bad, fmt.Errorf("read records of partition %d: %w", partition, err)
		}
		if rec.Offset < off {
			continue // a batch can start before the offset asked for
		}
		if rec.Offset >= end {
			return end, bad, nil
		}
		off = rec.Offset + 1
		var value []byte
		if rec.Value != nil {
			if value, err = io.ReadAll(rec.Value); err != nil {
				return off, bad, fmt.Errorf("read record %d/%d: %w", partition, rec.Offset, err)
			}
		}
		l := &Letter{DLQPartition: partition, DLQOffset: rec.Offset}
		if err := json.Unmarshal(value, &l.DeadLetter); err != nil || l.Reason == "" || l.Topic == "" {
			why := "not a dead letter: no reason or topic"
			if err != nil {
				why = "not a dead letter: " + err.Error()
			}
			bad = append(bad, Unreadable{Position{partition, rec.Offset}, why})
			continue
		}
		if err := fn(l); err != nil {
			return off, bad, err
		}
	}
}

type partRange struct {
	partition  int
	first, end int64
}

// ranges returns the offsets to read of every partition: from the log start to the end offset.
func (r *Reader) ranges(ctx context.Context) ([]partRange, error) {
	meta, err := r.Client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{r.Topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", r.Topic, err)
	}
	if len(meta.Topics) != 1 {
		return nil, fmt.Errorf("metadata of %s: %d topics in the answer", r.Topic, len(meta.Topics))
	}
	tp := meta.Topics[0]
	if errors.Is(tp.Error, kafka.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("dead-letter topic %s: %w", r.Topic, ErrNoTopic)
	}
	if tp.Error != nil {
		return nil, fmt.Errorf("metadata of %s: %w", r.Topic, tp.Error)
	}
	// Two requests: a broker may refuse one partition twice in one request.
	first, err := r.offsets(ctx, tp.Partitions, kafka.FirstOffsetOf)
	if err != nil {
		return nil, err
	}
	end, err := r.offsets(ctx, tp.Partitions, kafka.LastOffsetOf)
	if err != nil {
		return nil, err
	}
	out := make([]partRange, 0, len(tp.Partitions))
	for _, p := range tp.Partitions {
		out = append(out, partRange{partition: p.ID, first: first[p.ID], end: end[p.ID]})
	}
	slices.SortFunc(out, func(a, b partRange) int { return a.partition - b.partition })
	return out, nil
}

func (r *Reader) offsets(ctx context.Context, parts []kafka.Partition, which func(int) kafka.OffsetRequest) (map[int]int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[r.Topic] = append(req.Topics[r.Topic], which(p.ID))
	}
	res, err := r.Client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", r.Topic, err)
	}
	out := map[int]int64{}
	for _, p := range res.Topics[r.Topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("list offsets of %s/%d: %w", r.Topic, p.Partition, p.Error)
		}
		out[p.Partition] = max(p.FirstOffset, p.LastOffset)
	}
	for _, p := range parts {
		if _, ok := out[p.ID]; !ok {
			return nil, fmt.Errorf("list offsets of %s: no answer for partition %d", r.Topic, p.ID)
		}
	}
	return out, nil
}
