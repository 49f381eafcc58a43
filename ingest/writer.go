package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/store"
)

// contentCodes are ClickHouse errors caused by the rows themselves: no retry of the same rows
// can succeed, so ingest bisects the batch and dead-letters the offending rows.
var contentCodes = map[int32]bool{
	6:   true, // CANNOT_PARSE_TEXT
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	38:  true, // CANNOT_PARSE_DATE
	41:  true, // CANNOT_PARSE_DATETIME
	53:  true, // TYPE_MISMATCH
	69:  true, // ARGUMENT_OUT_OF_BOUND
	70:  true, // CANNOT_CONVERT_TYPE
	72:  true, // CANNOT_PARSE_NUMBER
	117: true, // INCORRECT_DATA
	131: true, // TOO_LARGE_STRING_SIZE
	190: true, // SIZES_OF_ARRAYS_DOESNT_MATCH
	321: true, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
}

// contentError wraps a failure to convert a row's values on the client side (the driver's
// column Append): also the rows' fault.
type contentError struct{ err error }

func (e *contentError) Error() string { return e.err.Error() }
func (e *contentError) Unwrap() error { return e.err }

func isContentError(err error) bool {
	var ce *contentError
	if errors.As(err, &ce) {
		return true
	}
	code, ok := chdb.ErrorCode(err)
	return ok && contentCodes[code]
}

func errorCode(err error) string {
	if code, ok := chdb.ErrorCode(err); ok {
		return strconv.Itoa(int(code))
	}
	return "none"
}

// noteWriteError records a failed ClickHouse or Kafka write for readiness, metrics and logs.
func (in *Ingester) noteWriteError(op string, err error) {
	in.m.retries.WithLabelValues(op, errorCode(err)).Inc()
	in.setState(func() { in.writeErr = err })
	in.log.Warn("write failed, retrying", "op", op, "err", err)
}

// A batch is made durable and its offsets committed in this order: dead letters to the topic,
// then to rejected_events; rows to each raw table (tables in parallel) — writeRows —; kpi_dirty
// marks; the synchronous offset commit — finishEpoch. Every step is retried with backoff until
// it succeeds; each half returns an error only when ctx ends first, and then the batch is not
// committed. The generation's writer overlaps a batch's finishEpoch with the next batch's
// writeRows (generation.go).

// writeRows is the first half of writing a batch: its dead letters, then its rows.
func (in *Ingester) writeRows(ctx context.Context, g *genState, e *epoch) error {
	in.m.batchBytes.Observe(float64(e.bytes))
	if err := in.writeDeadLetters(ctx, g, e.dead); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, numTables)
	oldest := make([]time.Time, numTables)
	for id := range numTables {
		if e.dups[id] > 0 {
			in.m.duplicates.WithLabelValues(tables[id].name).Add(float64(e.dups[id]))
		}
		if e.nrows[id] == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[id] = in.insertRows(ctx, g, id, e.rowsBy[id]); errs[id] == nil {
				acked := time.Now()
				for _, rs := range e.rowsBy[id] {
					for i := range rs {
						in.m.endToEnd.Observe(acked.Sub(rs[i].ts).Seconds())
						if oldest[id].IsZero() || rs[i].ts.Before(oldest[id]) {
							oldest[id] = rs[i].ts
						}
					}
					putRecords(id, rs) // written: the events go to the collector, the slice back to the pool
				}
				e.rowsBy[id] = nil
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	e.acked = time.Now()
	for _, t := range oldest {
		if !t.IsZero() && (e.oldest.IsZero() || t.Before(e.oldest)) {
			e.oldest = t
		}
	}
	return nil
}

// finishEpoch is the second half of writing a batch, once writeRows returned: the batch's dirty
// marks, then its offset commit. start is when writeRows began (for the debug log).
func (in *Ingester) finishEpoch(ctx context.Context, g *genState, e *epoch, start time.Time) error {
	acked := e.acked
	if err := in.markDirty(ctx, e); err != nil {
		return err
	}
	in.setState(func() { in.writeErr = nil })
	if e.rows() > 0 {
		in.m.lastInsert.Set(float64(acked.UnixNano()) / 1e9)
		in.projectAfter(e.oldest)
	}
	in.commit(g, e)
	in.log.Debug("batch written", "rows", e.rows(), "messages", e.msgs, "dead_letters", len(e.dead),
		"bytes", e.bytes, "duration", time.Since(start), "inserts", acked.Sub(start), "writer_idle", e.writerIdle,
		"queued", start.Sub(e.sealed), "fill", e.sealed.Sub(e.started))
	return nil
}

// commit commits the batch's offsets synchronously in the batch's generation. A failed commit
// is retried a few times and then left: the rows are in ClickHouse, and whoever reads the
// partitions next drops them as duplicates (DESIGN.md).
func (in *Ingester) commit(g *genState, e *epoch) {
	offs := map[string]map[int]int64{}
	for k, p := range e.offsets {
		if offs[k.topic] == nil {
			offs[k.topic] = map[int]int64{}
		}
		offs[k.topic][k.partition] = p.next
	}
	var err error
	for attempt := range 3 {
		if err = g.gen.CommitOffsets(offs); err == nil {
			break
		}
		in.m.commitErrors.Inc()
		in.log.Warn("commit offsets", "generation", g.gen.ID, "attempt", attempt+1, "err", err)
		if errors.Is(err, kafka.RebalanceInProgress) || errors.Is(err, kafka.IllegalGeneration) ||
			errors.Is(err, kafka.UnknownMemberId) {
			break // this generation can no longer commit
		}
		time.Sleep(in.cfg.RetryMin)
	}
	if err != nil {
		return
	}
	in.m.commits.Inc()
	now := time.Now()
	for k, p := range e.offsets {
		part := strconv.Itoa(k.partition)
		lag := max(p.hwm-p.next, 0)
		in.m.lagMessages.WithLabelValues(k.topic, part).Set(float64(lag))
		secs := 0.0
		if lag > 0 {
			secs = now.Sub(p.lastTS).Seconds()
		}
		in.m.lagSeconds.WithLabelValues(k.topic, part).Set(secs)
	}
}

// writeDeadLetters writes the dead letters not yet in rejected_events to the dead-letter topic
// and then to rejected_events.
func (in *Ingester) writeDeadLetters(ctx context.Context, g *genState, dls []*DeadLetter) error {
	dls = slices.DeleteFunc(slices.Clone(dls), func(d *DeadLetter) bool {
		return g.isRejected(offKey{d.Topic, d.Partition, d.Offset})
	})
	if len(dls) == 0 {
		return nil
	}
	if err := in.publishDeadLetters(ctx, dls); err != nil {
		return err
	}
	if err := in.insertRejected(ctx, dls); err != nil {
		return err
	}
	for _, d := range dls {
		g.addRejected(offKey{d.Topic, d.Partition, d.Offset})
		in.m.deadLetters.WithLabelValues(string(d.Reason)).Inc()
	}
	return nil
}

// publishDeadLetters writes dls to the dead-letter topic (acks=all), retrying the messages that
// failed until all are written or ctx ends.
func (in *Ingester) publishDeadLetters(ctx context.Context, dls []*DeadLetter) error {
	msgs := make([]kafka.Message, 0, len(dls))
	for _, d := range dls {
		v, err := d.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode dead letter %s/%d@%d: %w", d.Topic, d.Partition, d.Offset, err)
		}
		msgs = append(msgs, kafka.Message{Key: d.messageKey(), Value: v, Time: d.RejectedAt})
	}
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		wctx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
		err := in.dlq.WriteMessages(wctx, msgs...)
		cancel()
		if err == nil {
			return nil
		}
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(msgs) {
			var failed []kafka.Message
			for i, e := range werrs {
				if e != nil {
					failed = append(failed, msgs[i])
				}
			}
			msgs = failed
		}
		in.noteWriteError("dead_letter_topic", err)
		if !bo.wait(ctx) {
			return fmt.Errorf("write dead letters to %s: %w", in.topics.DLQ, ctx.Err())
		}
	}
}

// insertRejected inserts dls into rejected_events. A retry after an ambiguous failure first
// drops the rows that the failed attempt did write.
func (in *Ingester) insertRejected(ctx context.Context, dls []*DeadLetter) error {
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		t0 := time.Now()
		err := in.send(ctx, rejectedTable, rejectedInsert, rejectedColumns(dls, time.Now().UTC().Truncate(time.Second)))
		if err == nil {
			in.m.insertLatency.WithLabelValues(rejectedTable).Observe(time.Since(t0).Seconds())
			in.m.batchRows.WithLabelValues(rejectedTable).Observe(float64(len(dls)))
			in.m.inserted.WithLabelValues(rejectedTable).Add(float64(len(dls)))
			return nil
		}
		in.noteWriteError("insert_"+rejectedTable, err)
		var present map[offKey]struct{}
		for {
			if !bo.wait(ctx) {
				return fmt.Errorf("insert %d rows into %s: %w", len(dls), rejectedTable, ctx.Err())
			}
			if present, err = in.queryOffsets(ctx, rejectedQuery(dls)); err == nil {
				break
			}
			in.noteWriteError("load_rejected", err)
		}
		dls = slices.DeleteFunc(dls, func(d *DeadLetter) bool {
			_, ok := present[offKey{d.Topic, d.Partition, d.Offset}]
			return ok
		})
		if len(dls) == 0 {
			return nil
		}
	}
}

func rejectedQuery(dls []*DeadLetter) string {
	by := map[tpKey][]string{}
	for _, d := range dls {
		k := tpKey{d.Topic, d.Partition}
		by[k] = append(by[k], strconv.FormatInt(d.Offset, 10))
	}
	var conds []string
	for k, offs := range by {
		conds = append(conds, fmt.Sprintf("(kafka_topic = %s AND kafka_partition = %d AND kafka_offset IN (%s))",
			store.QuoteString(k.topic), k.partition, strings.Join(offs, ", ")))
	}
	return "SELECT kafka_topic, kafka_partition, kafka_offset FROM " + rejectedTable + " WHERE " + strings.Join(conds, " OR ")
}

// send runs one INSERT of cols (column slices in the order of the query's column list) with the
// attempt timeout.
func (in *Ingester) send(ctx context.Context, table, query string, cols []any) error {
	actx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
	defer cancel()
	b, err := in.conn.PrepareBatch(actx, query)
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	defer func() {
		if !b.IsSent() {
			_ = b.Abort() // the error that matters is returned below
		}
	}()
	bcols := b.Columns()
	for i, c := range cols {
		if sc, ok := c.(strCol); ok {
			if i < len(bcols) {
				if err := reserveStrings(bcols[i], sc.n, sc.size()); err != nil {
					return fmt.Errorf("insert into %s: column %d: %w", table, i, err)
				}
			}
			if err := sc.appendTo(b.Column(i)); err != nil {
				return &contentError{fmt.Errorf("append column %d of %s: %w", i, table, err)}
			}
			continue
		}
		if ss, ok := c.([]string); ok && i < len(bcols) {
			size := 0
			for _, s := range ss {
				size += len(s)
			}
			if err := reserveStrings(bcols[i], len(ss), size); err != nil {
				return fmt.Errorf("insert into %s: column %d: %w", table, i, err)
			}
		}
		if i < len(bcols) {
			done, err := appendArrays(bcols[i], c)
			if err != nil {
				return fmt.Errorf("insert into %s: column %d: %w", table, i, err)
			}
			if done {
				continue
			}
		}
		if err := b.Column(i).Append(c); err != nil {
			return &contentError{fmt.Errorf("append column %d of %s: %w", i, table, err)}
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// insertRows inserts the rows of segs (in order) into table id as one INSERT: one part, all
// rows sharing one ingested_at. On a content error it bisects and dead-letters the offending
// rows; on any other error it backs off, re-reads the table's high-water marks for these
// partitions (the failed attempt may have been written) and retries with the rows above them.
func (in *Ingester) insertRows(ctx context.Context, g *genState, id tableID, segs [][]record) error {
	t := tables[id]
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	// One ingested_at for every attempt: a retry of rows that a failed attempt did write is then
	// a byte-identical block, which replicated tables deduplicate (docs/design/cluster.md).
	ingestedAt := time.Now().UTC().Truncate(time.Second)
	for n := segsLen(segs); n > 0; n = segsLen(segs) {
		t0 := time.Now()
		var err error
		if in.opts.beforeSend != nil {
			var ids []string
			for _, rs := range segs {
				for i := range rs {
					ids = append(ids, rs[i].ev.Env().EventID)
				}
			}
			err = in.opts.beforeSend(t.name, ids)
		}
		if err == nil {
			a := getArena(id)
			err = in.send(ctx, t.name, t.insert, columns(a, id, segs, ingestedAt))
			putArena(id, a)
		}
		if err == nil {
			in.m.insertLatency.WithLabelValues(t.name).Observe(time.Since(t0).Seconds())
			in.m.batchRows.WithLabelValues(t.name).Observe(float64(n))
			in.m.inserted.WithLabelValues(t.name).Add(float64(n))
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("insert %d rows into %s: %w", n, t.name, ctx.Err())
		}
		if isContentError(err) {
			return in.bisect(ctx, g, id, slices.Concat(segs...), err)
		}
		in.noteWriteError("insert_"+t.name, err)
		// Retry only once the table's marks are read: the failed attempt may have been written.
		for {
			if !bo.wait(ctx) {
				return fmt.Errorf("insert %d rows into %s: %w", n, t.name, ctx.Err())
			}
			if segs, err = in.dropWritten(ctx, id, segs); err == nil {
				break
			}
			in.noteWriteError("load_high_water", err)
		}
	}
	return nil
}

func segsLen(segs [][]record) int {
	n := 0
	for _, rs := range segs {
		n += len(rs)
	}
	return n
}

// dropWritten removes from recs the rows ClickHouse already holds (offset ≤ the table's
// high-water mark of their partition): a failed INSERT may still have been written, and an
// INSERT of one block is all or nothing, so the rows above the marks are exactly the ones to
// retry.
func (in *Ingester) dropWritten(ctx context.Context, id tableID, segs [][]record) ([][]record, error) {
	topics := map[string]bool{}
	parts := map[int32]bool{}
	for _, rs := range segs {
		for i := range rs {
			topics[rs[i].topic] = true
			parts[rs[i].partition] = true
		}
	}
	hw, err := in.queryHighWater(ctx, id, keys(topics), keys(parts))
	if err != nil {
		return segs, err
	}
	n := segsLen(segs)
	out := make([][]record, 0, len(segs))
	for _, rs := range segs {
		rs = slices.DeleteFunc(slices.Clone(rs), func(r record) bool {
			off, ok := hw[tpKey{r.topic, int(r.partition)}]
			return ok && r.offset <= off
		})
		if len(rs) > 0 {
			out = append(out, rs)
		}
	}
	segs = out
	if d := n - segsLen(segs); d > 0 {
		in.m.duplicates.WithLabelValues(tables[id].name).Add(float64(d))
		in.log.Info("rows of a failed insert were written; dropped from the retry", "table", tables[id].name, "rows", d)
	}
	return segs, nil
}

func keys[K comparable](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// bisect splits recs whose INSERT failed because of their content: halves are inserted in
// order (keeping each partition's offsets a prefix), and a single failing row becomes a dead
// letter (reason invalid_field, the server's error as detail) before any later row is written.
func (in *Ingester) bisect(ctx context.Context, g *genState, id tableID, recs []record, cause error) error {
	if len(recs) == 1 {
		r := recs[0]
		in.log.Warn("row rejected by clickhouse", "table", tables[id].name, "topic", r.topic,
			"partition", r.partition, "offset", r.offset, "err", cause)
		// The batch keeps decoded events only; the original bytes are read again from Kafka.
		m, err := in.refetch(ctx, r.topic, int(r.partition), r.offset)
		if err != nil {
			return fmt.Errorf("read back rejected row %s/%d@%d: %w", r.topic, r.partition, r.offset, err)
		}
		dl := newDeadLetter(schema.ReasonInvalidField, "rejected by clickhouse: "+cause.Error(), r.topic,
			int(r.partition), r.offset, m.Key, m.Value, r.ts, time.Now(), in.cfg.DLQMaxPayload)
		return in.writeDeadLetters(ctx, g, []*DeadLetter{dl})
	}
	mid := len(recs) / 2
	if err := in.insertRows(ctx, g, id, [][]record{recs[:mid]}); err != nil {
		return err
	}
	return in.insertRows(ctx, g, id, [][]record{recs[mid:]})
}

// refetch reads the message at offset of one partition again, retrying until ctx ends.
func (in *Ingester) refetch(ctx context.Context, topic string, partition int, offset int64) (kafka.Message, error) {
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		m, err := in.readAt(ctx, topic, partition, offset)
		if err == nil {
			return m, nil
		}
		in.noteWriteError("refetch", err)
		if !bo.wait(ctx) {
			return kafka.Message{}, ctx.Err()
		}
	}
}

func (in *Ingester) readAt(ctx context.Context, topic string, partition int, offset int64) (kafka.Message, error) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: in.cfg.Brokers, Topic: topic, Partition: partition,
		Dialer: in.dialer, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		return kafka.Message{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
	defer cancel()
	m, err := r.FetchMessage(rctx)
	if err != nil {
		return kafka.Message{}, err
	}
	if m.Offset != offset {
		return kafka.Message{}, fmt.Errorf("read %s/%d@%d: got offset %d", topic, partition, offset, m.Offset)
	}
	return m, nil
}
