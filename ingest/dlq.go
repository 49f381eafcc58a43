package ingest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/csat-dev/csat/schema"
)

// DeadLetter is a rejected message as SPEC §2.3 writes it to the dead-letter topic:
// {reason, detail, topic, partition, offset, key, payload, payload_encoding?, rejected_at}.
// Payload and Key hold the original bytes as a string when they are valid UTF-8, else base64
// with PayloadEncoding (KeyEncoding) "base64". A payload longer than CSAT_DLQ_MAX_PAYLOAD is cut
// to that many bytes (before encoding) and PayloadTruncated is set.
type DeadLetter struct {
	Reason           schema.Reason `json:"reason"`
	Detail           string        `json:"detail"`
	Topic            string        `json:"topic"`
	Partition        int           `json:"partition"`
	Offset           int64         `json:"offset"`
	Key              *string       `json:"key"` // null when the message had no key
	KeyEncoding      string        `json:"key_encoding,omitempty"`
	Payload          string        `json:"payload"`
	PayloadEncoding  string        `json:"payload_encoding,omitempty"`
	PayloadTruncated bool          `json:"payload_truncated,omitempty"`
	RejectedAt       time.Time     `json:"rejected_at"`

	kafkaTime time.Time // the source message's timestamp, for the rejected_events table
}

// newDeadLetter builds the dead letter of one message.
func newDeadLetter(reason schema.Reason, detail, topic string, partition int, offset int64,
	key, value []byte, kafkaTime, rejectedAt time.Time, maxPayload int) *DeadLetter {
	dl := &DeadLetter{Reason: reason, Detail: detail, Topic: topic, Partition: partition, Offset: offset,
		RejectedAt: rejectedAt.UTC().Truncate(time.Millisecond), kafkaTime: kafkaTime}
	if key != nil {
		k, enc := encodeBytes(key)
		dl.Key, dl.KeyEncoding = &k, enc
	}
	if len(value) > maxPayload {
		value = value[:maxPayload]
		dl.PayloadTruncated = true
		// A cut may split a UTF-8 sequence: back off to a boundary so valid text stays text.
		for i := 0; i < utf8.UTFMax && len(value) > 0 && !utf8.Valid(value); i++ {
			value = value[:len(value)-1]
		}
	}
	dl.Payload, dl.PayloadEncoding = encodeBytes(value)
	return dl
}

func encodeBytes(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// MarshalJSON is the wire form of the dead-letter topic. HTML characters are not escaped, so a
// payload reads as it was sent.
func (d *DeadLetter) MarshalJSON() ([]byte, error) {
	type wire DeadLetter // no methods: no recursion
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode((*wire)(d)); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// messageKey is the dead letter's Kafka key: "topic/partition", so the dead letters of one
// source partition keep their order in the dead-letter topic.
func (d *DeadLetter) messageKey() []byte {
	return []byte(d.Topic + "/" + strconv.Itoa(d.Partition))
}

// rejectedColumns returns the rejected_events column slices for dls.
func rejectedColumns(dls []*DeadLetter, ingestedAt time.Time) []any {
	n := len(dls)
	reason, detail, topic := make([]string, n), make([]string, n), make([]string, n)
	part, off := make([]int32, n), make([]int64, n)
	key, payload, enc := make([]string, n), make([]string, n), make([]string, n)
	kts, rej, ing := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	for i, d := range dls {
		reason[i], detail[i], topic[i] = string(d.Reason), d.Detail, d.Topic
		part[i], off[i] = int32(d.Partition), d.Offset
		if d.Key != nil {
			key[i] = *d.Key
		}
		payload[i], enc[i] = d.Payload, d.PayloadEncoding
		kts[i], rej[i], ing[i] = d.kafkaTime, d.RejectedAt, ingestedAt
	}
	return []any{reason, detail, topic, part, off, key, payload, enc, kts, rej, ing}
}
