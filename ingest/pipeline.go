package ingest

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

const (
	// chunkMax is the most messages a fetcher hands over at once. The 72 fetchers' open chunks
	// are live heap that every collection marks: at 2048 they were ~40 of ~106 MB; 1024 cut
	// ingest's CPU 8 % and drains 6 % (two interleaved runs of three drains; 512 was no better).
	chunkMax    = 1024
	chunkWindow = 20 * time.Millisecond // longest a fetched message waits in a fetcher
)

// mark is a (family, month) of kpi_dirty.
type mark = store.Mark

// chunk is a run of consecutive messages of one partition, decoded and filtered by its fetcher.
type chunk struct {
	topic     string
	partition int
	rows      [numTables][]record
	dead      []*DeadLetter
	marks     []mark   // months touched by rows dropped as duplicates
	voids     []string // target ids of survey_voids dropped as duplicates
	dups      [numTables]int
	bytes     int
	msgs      int
	last      int64     // offset of the last message
	lastTS    time.Time // its timestamp
	hwm       int64     // the partition's high-water mark seen with it
}

// fetch reads one partition from its start offset and hands decoded chunks to out until ctx
// ends or, when draining, the partition reaches its end offset. It owns its reader.
//
// A chunk is handed over when it holds chunkMax messages, or when a fetch response is used up
// and either the partition is caught up (the next fetch waits for new messages) or the chunk's
// first message waited chunkWindow: during a backlog chunks stay large, and a caught-up
// partition's messages are passed on as soon as they arrive.
//
// A fetch error other than ctx's calls abort, which ends the whole generation: the pipeline
// flushes and commits what it has, and the next generation starts with fresh readers.
func (in *Ingester) fetch(ctx context.Context, p *partState, drain bool, out chan<- *chunk, abort func()) {
	consumed := in.m.consumed.WithLabelValues(p.topic)
	r := newPartReader(ctx, in, p.topic, p.partition, p.start)
	defer r.close()
	c := &chunk{topic: p.topic, partition: p.partition}
	// The fetcher's events are carved from its own arena (when the decoder can), which also
	// holds the time occurred_at is checked against: read once per fetch response and after
	// every wait for the batcher, so it is never behind by more than the decoding of one response.
	arena := &schema.Arena{Now: time.Now()}
	var first time.Time // when c's first message was read
	send := func() bool {
		if c.msgs == 0 {
			return true
		}
		consumed.Add(float64(c.msgs))
		select {
		case out <- c:
			c = &chunk{topic: p.topic, partition: p.partition}
			r.extend(ctx)
			arena.Now = time.Now()
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		m, err := r.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return // what was not handed over is not committed: it is fetched again later
			}
			if errors.Is(err, errFetched) {
				arena.Now = time.Now()
				if drain && r.offset >= p.end {
					if send() {
						p.reachedEnd = true
					}
					return
				}
				if r.offset >= r.hwm || time.Since(first) >= chunkWindow {
					if !send() {
						return
					}
				}
				continue
			}
			in.log.Warn("fetch failed; restarting the generation", "topic", p.topic, "partition", p.partition, "err", err)
			send()
			abort()
			return
		}
		if c.msgs == 0 {
			first = time.Now()
		}
		in.add(c, p, &m, arena)
		if c.msgs >= chunkMax && !send() {
			return
		}
		if drain && m.Offset+1 >= p.end {
			if send() {
				p.reachedEnd = true
			}
			return
		}
	}
}

// add decodes m into c: a row of its table, a duplicate already in ClickHouse, or a dead letter.
func (in *Ingester) add(c *chunk, p *partState, m *kafka.Message, a *schema.Arena) {
	c.msgs++
	c.bytes += len(m.Value)
	c.last, c.lastTS, c.hwm = m.Offset, m.Time, m.HighWaterMark
	var ev schema.Event
	var err error
	if in.decIn != nil {
		ev, err = in.decIn.DecodeIn(a, m.Topic, m.Value)
	} else {
		ev, err = in.dec.Decode(m.Topic, m.Value)
	}
	if err != nil {
		reason, detail := schema.ReasonInvalidField, err.Error()
		if rej := schema.AsRejection(err); rej != nil {
			reason, detail = rej.Reason, rej.Detail
		}
		c.dead = append(c.dead, newDeadLetter(reason, detail, m.Topic, m.Partition, m.Offset, m.Key, m.Value,
			m.Time, time.Now(), in.cfg.DLQMaxPayload))
		return
	}
	id, ok := tableOf(ev.Env().Type)
	if !ok {
		c.dead = append(c.dead, newDeadLetter(schema.ReasonUnknownType, "decoder returned an event of unknown type",
			m.Topic, m.Partition, m.Offset, m.Key, m.Value, m.Time, time.Now(), in.cfg.DLQMaxPayload))
		return
	}
	if m.Offset <= p.hw[id] {
		c.dups[id]++
		if v, ok := ev.(*schema.SurveyVoid); ok {
			c.voids = append(c.voids, v.TargetEventID)
		} else {
			for _, f := range tables[id].families {
				c.marks = append(c.marks, mark{Family: f, Month: ev.Env().Month})
			}
		}
		return
	}
	rs := c.rows[id]
	if rs == nil {
		rs = getRecords(id)
	}
	if len(rs) == cap(rs) { // double from 64 (to chunkMax): append's 1.25× steps past 256 copy 2.4× the rows
		rs = slices.Grow(rs, max(cap(rs), 64))
	}
	c.rows[id] = append(rs, record{ev: ev, topic: m.Topic, partition: int32(m.Partition), offset: m.Offset, ts: m.Time})
}

// progress is how far a batch reaches in one partition.
type progress struct {
	next   int64     // the offset to commit: last + 1
	lastTS time.Time // the last message's timestamp
	hwm    int64     // the partition's high-water mark as last seen
}

// epoch is one batch: every row, dead letter and dirty mark of a run of chunks, written
// together and committed as one. It belongs to the batcher until sent, then to the writer.
type epoch struct {
	rowsBy     [numTables][][]record // the chunks' row slices, not copied
	nrows      [numTables]int
	dead       []*DeadLetter
	marks      map[mark]struct{}
	voids      []string // target ids of every survey_void in the batch, duplicates included
	dups       [numTables]int
	offsets    map[tpKey]progress
	bytes      int
	msgs       int
	started    time.Time
	sealed     time.Time     // when the batcher handed it over
	acked      time.Time     // when its last row was written (writeRows)
	oldest     time.Time     // the earliest Kafka timestamp of its rows (writeRows; zero: none)
	writerIdle time.Duration // how long the writer waited for it (debug log)
}

func newEpoch() *epoch {
	return &epoch{marks: map[mark]struct{}{}, offsets: map[tpKey]progress{}}
}

func (e *epoch) rows() int {
	n := 0
	for _, r := range e.nrows {
		n += r
	}
	return n
}

// add merges a chunk; it reports whether a table reached maxRows rows.
func (e *epoch) add(c *chunk, maxRows int) bool {
	if e.msgs == 0 {
		e.started = time.Now()
	}
	full := false
	for id := range numTables {
		rs := c.rows[id]
		if len(rs) == 0 {
			continue
		}
		e.rowsBy[id] = append(e.rowsBy[id], rs)
		e.nrows[id] += len(rs)
		if e.nrows[id] >= maxRows {
			full = true
		}
		fams := tables[id].families
		var last schema.Month
		for i := range rs {
			if tableID(id) == tSurveyVoids {
				if v, ok := rs[i].ev.(*schema.SurveyVoid); ok {
					e.voids = append(e.voids, v.TargetEventID)
				}
				continue
			}
			if mo := rs[i].ev.Env().Month; mo != last {
				for _, f := range fams {
					e.marks[mark{Family: f, Month: mo}] = struct{}{}
				}
				last = mo
			}
		}
	}
	for id := range numTables {
		e.dups[id] += c.dups[id]
	}
	for _, mk := range c.marks {
		e.marks[mk] = struct{}{}
	}
	e.voids = append(e.voids, c.voids...)
	e.dead = append(e.dead, c.dead...)
	e.bytes += c.bytes
	e.msgs += c.msgs
	e.offsets[tpKey{c.topic, c.partition}] = progress{next: c.last + 1, lastTS: c.lastTS, hwm: c.hwm}
	return full
}

// batch merges chunks into epochs and hands each to the writer when a table holds BatchRows
// rows, the batch holds BatchBytes bytes, or BatchInterval passed since its first message. It
// closes epochs when chunks is closed (after handing over the last batch) and returns early
// when the writer gave up (writerDone).
func (in *Ingester) batch(chunks <-chan *chunk, epochs chan<- *epoch, writerDone <-chan struct{}) {
	defer close(epochs)
	e := newEpoch()
	tick := time.NewTicker(max(in.cfg.BatchInterval/4, 5*time.Millisecond))
	defer tick.Stop()
	hand := func() bool {
		if e.msgs == 0 {
			return true
		}
		e.sealed = time.Now()
		select {
		case epochs <- e:
			e = newEpoch()
			return true
		case <-writerDone:
			return false
		}
	}
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				hand()
				return
			}
			full := e.add(c, in.cfg.BatchRows)
			if (full || e.bytes >= in.cfg.BatchBytes) && !hand() {
				return
			}
		case <-tick.C:
			if e.msgs > 0 && time.Since(e.started) >= in.cfg.BatchInterval && !hand() {
				return
			}
		case <-writerDone:
			return
		}
	}
}
