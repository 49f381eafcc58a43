// Package publish writes messages to Kafka for the producers inside csat: the generator
// (csat gen, csat demo), the vendor file import (csat import) and the NDJSON backfill
// (csat publish).
//
// A Publisher buffers messages and writes them with one kafka-go Writer in batches
// (RequiredAcks all, partition by a hash of the key — the branch id — so one branch's events
// keep their order). Publish blocks while a full batch is written and returns its error; a
// message is durable only once Flush or Close has returned nil. It is not safe for concurrent
// use: one producer goroutine owns it.
package publish

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// Config configures a Publisher. The zero value (plus Brokers) is usable.
type Config struct {
	// Brokers lists the Kafka bootstrap brokers as host:port. Required.
	Brokers []string
	// Transport carries TLS and SASL (for example the one ingest.Config builds); nil means
	// kafka-go's default plaintext transport.
	Transport kafka.RoundTripper
	// BatchSize is the number of buffered messages that triggers a write. Default 1000.
	BatchSize int
	// FlushInterval is the longest a buffered message waits before the next Publish writes the
	// buffer, for slow (rate-limited) producers. Default 1s.
	FlushInterval time.Duration
	// WriteTimeout bounds one batch write. Default 30s.
	WriteTimeout time.Duration
	// MaxMessageBytes is the largest message the writer accepts; the broker's own limit
	// (message.max.bytes, 1 MiB by default) still applies. Default 8 MiB.
	MaxMessageBytes int
	// AllowAutoTopicCreation lets the broker create a missing topic. Default false: a missing
	// topic is an error.
	AllowAutoTopicCreation bool
}

// Validate reports a config a Publisher cannot run with.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("publish: no brokers (CSAT_KAFKA_BROKERS)")
	}
	for _, b := range c.Brokers {
		if b == "" {
			return errors.New("publish: empty broker address in CSAT_KAFKA_BROKERS")
		}
	}
	if c.BatchSize < 0 || c.FlushInterval < 0 || c.WriteTimeout < 0 || c.MaxMessageBytes < 0 {
		return errors.New("publish: negative batch size, interval, timeout or message size")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 8 << 20
	}
	return c
}

// Publisher writes messages to Kafka in batches.
type Publisher struct {
	cfg    Config
	w      *kafka.Writer
	log    *slog.Logger
	buf    []kafka.Message
	first  time.Time // when the oldest buffered message was published
	sent   int
	closed bool
}

// New returns a Publisher. It does not contact the brokers; the first write does.
func New(cfg Config, logger *slog.Logger) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchSize:              cfg.BatchSize,
		BatchBytes:             int64(cfg.MaxMessageBytes),
		BatchTimeout:           10 * time.Millisecond,
		WriteTimeout:           cfg.WriteTimeout,
		Transport:              cfg.Transport,
		AllowAutoTopicCreation: cfg.AllowAutoTopicCreation,
	}
	return &Publisher{cfg: cfg, w: w, log: logger.With("component", "publish"),
		buf: make([]kafka.Message, 0, cfg.BatchSize)}, nil
}

// ErrClosed is returned by Publish and Flush after Close.
var ErrClosed = errors.New("publish: publisher closed")

// Publish buffers one message (key may be nil: no key, round-robin partitioning). The slices
// must not be modified afterwards. When the buffer is full, or its oldest message has waited
// FlushInterval, Publish writes it and returns the write's error.
func (p *Publisher) Publish(ctx context.Context, topic string, key, value []byte) error {
	if p.closed {
		return ErrClosed
	}
	if len(p.buf) == 0 {
		p.first = time.Now()
	}
	p.buf = append(p.buf, kafka.Message{Topic: topic, Key: key, Value: value})
	if len(p.buf) >= p.cfg.BatchSize || time.Since(p.first) >= p.cfg.FlushInterval {
		return p.Flush(ctx)
	}
	return nil
}

// Flush writes every buffered message and waits for the brokers' acknowledgements. On error the
// messages stay buffered, so a later Flush retries them (Kafka may then hold some twice: event
// ids make that harmless).
func (p *Publisher) Flush(ctx context.Context) error {
	if p.closed {
		return ErrClosed
	}
	if len(p.buf) == 0 {
		return nil
	}
	if err := p.w.WriteMessages(ctx, p.buf...); err != nil {
		return fmt.Errorf("write %d messages to kafka: %w", len(p.buf), err)
	}
	p.sent += len(p.buf)
	p.buf = p.buf[:0]
	return nil
}

// Sent is the number of messages acknowledged so far.
func (p *Publisher) Sent() int { return p.sent }

// Close flushes what is buffered (under its own WriteTimeout, since the caller's context may be
// cancelled by then) and closes the writer. It is idempotent.
func (p *Publisher) Close() error {
	if p.closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.WriteTimeout)
	defer cancel()
	ferr := p.Flush(ctx)
	p.closed = true
	if ferr != nil {
		p.log.Warn("dropping unflushed messages on close", "rows", len(p.buf), "err", ferr)
	}
	cerr := p.w.Close()
	if ferr != nil {
		return ferr
	}
	if cerr != nil {
		return fmt.Errorf("close kafka writer: %w", cerr)
	}
	return nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// MaxLine is the longest NDJSON line PublishNDJSON reads (16 MiB).
const MaxLine = 16 << 20

// PublishNDJSON publishes each non-blank line of r, as-is (without its line ending and without a
// UTF-8 byte order mark at its start), to topic and flushes. A line that is a JSON object with a string branch_id gets it as key; any other
// line (an array, invalid JSON, a missing branch_id) is published with no key — csat's ingest,
// not this command, decides what is valid, and sends the bad ones to the dead-letter topic.
// Lines may be up to MaxLine bytes (the broker's message limit applies). It returns the number of
// messages acknowledged by Kafka, also on error.
func PublishNDJSON(ctx context.Context, r io.Reader, topic string, p *Publisher) (int, error) {
	if topic == "" {
		return 0, errors.New("publish: no topic")
	}
	start := p.Sent()
	br := bufio.NewReaderSize(r, 1<<20)
	for lineNo := 1; ; lineNo++ {
		line, more, err := readLine(br)
		if err != nil {
			return p.Sent() - start, fmt.Errorf("read line %d: %w", lineNo, err)
		}
		// A byte order mark (a file saved by a Windows editor, or files concatenated) is not
		// part of the event: the decoder would reject it as malformed_json.
		line = bytes.TrimPrefix(line, utf8BOM)
		if len(bytes.TrimSpace(line)) > 0 {
			if err := p.Publish(ctx, topic, branchKey(line), line); err != nil {
				return p.Sent() - start, fmt.Errorf("line %d: %w", lineNo, err)
			}
		}
		if !more {
			break
		}
		if err := ctx.Err(); err != nil {
			return p.Sent() - start, err
		}
	}
	err := p.Flush(ctx)
	return p.Sent() - start, err
}

// readLine returns the next line without its "\n" or "\r\n" (a fresh slice), and whether
// more input may follow it.
func readLine(br *bufio.Reader) (line []byte, more bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine+2 {
			return nil, false, fmt.Errorf("line longer than %d bytes", MaxLine)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return bytes.TrimSuffix(line, []byte("\r")), false, nil
		case err != nil:
			return nil, false, err
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), true, nil
	}
}

// branchKey returns the top-level string branch_id of a JSON object line, or nil.
func branchKey(line []byte) []byte {
	var v struct {
		BranchID *string `json:"branch_id"`
	}
	if err := json.Unmarshal(line, &v); err != nil || v.BranchID == nil || *v.BranchID == "" {
		return nil
	}
	return []byte(*v.BranchID)
}
