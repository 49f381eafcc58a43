package ingest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/schema/store"
)

// partState is one partition owned in the current generation.
type partState struct {
	topic     string
	partition int
	committed int64 // the group's committed offset, or kafka.FirstOffset when none
	start     int64 // the first offset the reader fetches
	end       int64 // the end offset (next offset to be written) when the generation began
	tables    []tableID
	hw        [numTables]int64 // per table: the greatest offset ClickHouse holds (-1: none)
	// reachedEnd is set by the partition's fetcher (drain) when it handed over the message at
	// end-1; read by the generation after the fetchers returned.
	reachedEnd bool
}

// genState is what the goroutines of one generation share. Fetchers read parts (each its own)
// without locking; rejected is shared by the writer's table goroutines under rejMu.
type genState struct {
	gen   *kafka.Generation
	parts []*partState
	rejMu sync.Mutex
	// rejected holds the (topic, partition, offset) of dead letters already in rejected_events
	// at or after the committed offsets, and those written since.
	rejected map[offKey]struct{}
}

type offKey struct {
	topic     string
	partition int
	offset    int64
}

func (g *genState) isRejected(k offKey) bool {
	g.rejMu.Lock()
	defer g.rejMu.Unlock()
	_, ok := g.rejected[k]
	return ok
}

func (g *genState) addRejected(k offKey) {
	g.rejMu.Lock()
	g.rejected[k] = struct{}{}
	g.rejMu.Unlock()
}

// generation runs the pipeline for one generation: fetchers → batcher → writer (this
// goroutine). It returns when the generation ends (gctx), ctx ends, or, when draining, every
// partition is caught up — in all cases after flushing and committing what was fetched, within
// a bounded time. drained reports that every assigned partition is caught up.
func (in *Ingester) generation(ctx, gctx context.Context, gen *kafka.Generation, drain bool) (drained bool, err error) {
	parts := in.assigned(gen)
	in.log.Info("partitions assigned", "generation", gen.ID, "member", gen.MemberID, "partitions", len(parts))
	in.trackOwned(parts)

	// stopCtx stops fetching: the generation ended (rebalance, group closed) or ctx ended.
	stopCtx, stop := context.WithCancel(gctx)
	defer stop()
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-stopCtx.Done():
		}
	}()
	// wctx bounds the writer: it outlives stopCtx for at most the flush budget, so the final
	// batch is written and committed before this generation lets kafka-go rejoin.
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	go func() {
		select {
		case <-stopCtx.Done():
		case <-wctx.Done():
			return
		}
		budget := in.cfg.RebalanceTimeout * 2 / 3
		if ctx.Err() != nil {
			budget = in.cfg.ShutdownGrace - min(5*time.Second, in.cfg.ShutdownGrace/5)
		}
		t := time.AfterFunc(budget, wcancel)
		<-wctx.Done()
		t.Stop()
	}()

	if len(parts) == 0 {
		if drain {
			return true, nil
		}
		<-stopCtx.Done()
		return false, nil
	}
	if err := in.prepare(stopCtx, parts); err != nil {
		return false, nil // the generation ended before it could start; nothing was fetched
	}
	g := &genState{gen: gen, parts: parts}
	if g.rejected, err = in.loadRejected(stopCtx, parts); err != nil {
		return false, nil
	}

	chunks := make(chan *chunk, 8)
	epochs := make(chan *epoch)
	writerDone := make(chan struct{})
	var fetchers sync.WaitGroup
	active := 0
	for _, p := range parts {
		if drain && in.caughtUp(p) {
			continue
		}
		active++
		fetchers.Add(1)
		go func() {
			defer fetchers.Done()
			in.fetch(stopCtx, p, drain, chunks, stop)
		}()
	}
	go func() {
		fetchers.Wait()
		close(chunks)
	}()
	var batcher sync.WaitGroup
	batcher.Add(1)
	go func() {
		defer batcher.Done()
		in.batch(chunks, epochs, writerDone)
	}()

	// The writer overlaps one batch's dirty marks and offset commit (finishEpoch) with the next
	// batch's rows (writeRows): ClickHouse inserts while the marks are written and the offsets
	// committed, which otherwise left it idle ~9 ms a batch. The order that exactly-once rests
	// on holds per batch — rows, then marks, then commit — and commits stay in batch order: a
	// batch's finishEpoch starts only after the previous one's returned. Nothing is left running
	// when the generation returns.
	complete := true
	idleFrom := time.Now()
	var prev chan error // the previous batch's finishEpoch
	waitPrev := func() error {
		if prev == nil {
			return nil
		}
		err := <-prev
		prev = nil
		return err
	}
	abandon := func(e *epoch, err error) {
		complete = false
		in.log.Warn("batch abandoned: flush budget exhausted; it will be redelivered", "err", err, "rows", e.rows(), "messages", e.msgs)
	}
	var last *epoch
	for e := range epochs {
		e.writerIdle = time.Since(idleFrom)
		start := time.Now()
		err := in.writeRows(wctx, g, e)
		if perr := waitPrev(); perr != nil {
			abandon(last, perr)
			break
		}
		idleFrom = time.Now()
		if err != nil {
			abandon(e, err)
			break
		}
		done := make(chan error, 1)
		prev, last = done, e
		go func() { done <- in.finishEpoch(wctx, g, e, start) }()
	}
	if err := waitPrev(); err != nil {
		abandon(last, err)
	}
	close(writerDone)
	stop()
	batcher.Wait()
	fetchers.Wait()
	if !drain || !complete {
		return false, nil
	}
	// Every handed-over message is written and committed: the partitions that reached their
	// end are caught up for good.
	for _, p := range parts {
		if p.reachedEnd {
			in.setCaughtUp(p)
		}
	}
	for _, p := range parts {
		if !in.caughtUp(p) {
			return false, nil
		}
	}
	return true, nil
}

func (in *Ingester) assigned(gen *kafka.Generation) []*partState {
	var parts []*partState
	for topic, as := range gen.Assignments {
		tabs := tablesOfTopic(in.topics, topic)
		for _, a := range as {
			p := &partState{topic: topic, partition: a.ID, committed: a.Offset, tables: tabs}
			for i := range p.hw {
				p.hw[i] = -1
			}
			parts = append(parts, p)
		}
	}
	slices.SortFunc(parts, func(a, b *partState) int {
		if c := strings.Compare(a.topic, b.topic); c != 0 {
			return c
		}
		return a.partition - b.partition
	})
	return parts
}

// trackOwned deletes the lag series of partitions no longer owned.
func (in *Ingester) trackOwned(parts []*partState) {
	now := map[tpKey]struct{}{}
	for _, p := range parts {
		now[tpKey{p.topic, p.partition}] = struct{}{}
	}
	in.state.Lock()
	defer in.state.Unlock()
	for k := range in.owned {
		if _, ok := now[k]; !ok {
			in.m.lagMessages.DeleteLabelValues(k.topic, strconv.Itoa(k.partition))
			in.m.lagSeconds.DeleteLabelValues(k.topic, strconv.Itoa(k.partition))
		}
	}
	in.owned = now
}

func (in *Ingester) caughtUp(p *partState) bool {
	in.state.Lock()
	defer in.state.Unlock()
	return in.drainDone[tpKey{p.topic, p.partition}]
}

func (in *Ingester) setCaughtUp(p *partState) {
	in.state.Lock()
	in.drainDone[tpKey{p.topic, p.partition}] = true
	in.state.Unlock()
}

// prepare reads the partitions' first and end offsets from Kafka and the high-water marks of
// their tables from ClickHouse, retrying until it succeeds or ctx ends.
func (in *Ingester) prepare(ctx context.Context, parts []*partState) error {
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		err := in.listOffsets(ctx, parts)
		if err == nil {
			break
		}
		in.m.retries.WithLabelValues("list_offsets", "none").Inc()
		in.log.Warn("list partition offsets", "err", err)
		if !bo.wait(ctx) {
			return ctx.Err()
		}
	}
	bo.reset()
	for {
		err := in.loadHighWater(ctx, parts)
		if err == nil {
			in.setState(func() { in.writeErr = nil })
			return nil
		}
		in.noteWriteError("load_high_water", err)
		if !bo.wait(ctx) {
			return ctx.Err()
		}
	}
}

func (in *Ingester) listOffsets(ctx context.Context, parts []*partState) error {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[p.topic] = append(req.Topics[p.topic], kafka.FirstOffsetOf(p.partition), kafka.LastOffsetOf(p.partition))
	}
	res, err := in.client.ListOffsets(ctx, req)
	if err != nil {
		return fmt.Errorf("list offsets: %w", err)
	}
	first, last := map[tpKey]int64{}, map[tpKey]int64{}
	for topic, ps := range res.Topics {
		for _, po := range ps {
			if po.Error != nil {
				return fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
			}
			k := tpKey{topic, po.Partition}
			if po.FirstOffset >= 0 {
				first[k] = po.FirstOffset
			}
			if po.LastOffset >= 0 {
				last[k] = po.LastOffset
			}
		}
	}
	in.state.Lock()
	defer in.state.Unlock()
	for _, p := range parts {
		k := tpKey{p.topic, p.partition}
		f, ok1 := first[k]
		l, ok2 := last[k]
		if !ok1 || !ok2 {
			return fmt.Errorf("list offsets of %s/%d: no answer", p.topic, p.partition)
		}
		p.start = p.committed
		if p.start < f { // never committed (FirstOffset), or committed before the log start
			p.start = f
		}
		if e, ok := in.drainEnd[k]; ok {
			p.end = e
		} else {
			p.end = l
			in.drainEnd[k] = l
		}
		if p.start >= p.end {
			in.drainDone[k] = true
		}
		lag := max(l-p.start, 0)
		in.m.lagMessages.WithLabelValues(p.topic, strconv.Itoa(p.partition)).Set(float64(lag))
		if lag == 0 {
			in.m.lagSeconds.WithLabelValues(p.topic, strconv.Itoa(p.partition)).Set(0)
		}
	}
	return nil
}

// loadHighWater reads max(kafka_offset) per (table, topic, partition) for the assigned
// partitions.
func (in *Ingester) loadHighWater(ctx context.Context, parts []*partState) error {
	byKey := map[tpKey]*partState{}
	topicSet := map[string]bool{}
	for _, p := range parts {
		byKey[tpKey{p.topic, p.partition}] = p
		topicSet[p.topic] = true
	}
	for id := range numTables {
		var topics []string
		for t := range topicSet {
			if slices.Contains(tablesOfTopic(in.topics, t), id) {
				topics = append(topics, t)
			}
		}
		if len(topics) == 0 {
			continue
		}
		hw, err := in.queryHighWater(ctx, id, topics, nil)
		if err != nil {
			return err
		}
		for k, off := range hw {
			if p, ok := byKey[k]; ok {
				p.hw[id] = off
			}
		}
	}
	return nil
}

// queryHighWater returns max(kafka_offset) per (topic, partition) of table id, restricted to
// topics and, when partitions is not nil, to those partitions.
func (in *Ingester) queryHighWater(ctx context.Context, id tableID, topics []string, partitions []int32) (map[tpKey]int64, error) {
	q := "SELECT kafka_topic, kafka_partition, max(kafka_offset) FROM " + tables[id].name +
		" WHERE kafka_topic IN (" + store.QuoteStrings(topics) + ")"
	if len(partitions) > 0 {
		ps := make([]string, len(partitions))
		for i, p := range partitions {
			ps[i] = strconv.Itoa(int(p))
		}
		q += " AND kafka_partition IN (" + strings.Join(ps, ", ") + ")"
	}
	q += " GROUP BY kafka_topic, kafka_partition"
	qctx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
	defer cancel()
	rows, err := in.conn.Query(qctx, q)
	if err != nil {
		return nil, fmt.Errorf("high-water marks of %s: %w", tables[id].name, err)
	}
	defer rows.Close()
	out := map[tpKey]int64{}
	for rows.Next() {
		var topic string
		var part int32
		var off int64
		if err := rows.Scan(&topic, &part, &off); err != nil {
			return nil, fmt.Errorf("high-water marks of %s: %w", tables[id].name, err)
		}
		out[tpKey{topic, int(part)}] = off
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("high-water marks of %s: %w", tables[id].name, err)
	}
	return out, nil
}

// loadRejected reads the dead letters already in rejected_events at or after the committed
// offsets of the assigned partitions, retrying until it succeeds or ctx ends.
func (in *Ingester) loadRejected(ctx context.Context, parts []*partState) (map[offKey]struct{}, error) {
	var conds []string
	for _, p := range parts {
		conds = append(conds, fmt.Sprintf("(kafka_topic = %s AND kafka_partition = %d AND kafka_offset >= %d)",
			store.QuoteString(p.topic), p.partition, max(p.start, 0)))
	}
	q := "SELECT kafka_topic, kafka_partition, kafka_offset FROM " + rejectedTable + " WHERE " + strings.Join(conds, " OR ")
	bo := newBackoff(in.cfg.RetryMin, in.cfg.RetryMax)
	for {
		out, err := in.queryOffsets(ctx, q)
		if err == nil {
			return out, nil
		}
		in.noteWriteError("load_rejected", err)
		if !bo.wait(ctx) {
			return nil, ctx.Err()
		}
	}
}

func (in *Ingester) queryOffsets(ctx context.Context, q string) (map[offKey]struct{}, error) {
	qctx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
	defer cancel()
	rows, err := in.conn.Query(qctx, q)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", rejectedTable, err)
	}
	defer rows.Close()
	out := map[offKey]struct{}{}
	for rows.Next() {
		var topic string
		var part int32
		var off int64
		if err := rows.Scan(&topic, &part, &off); err != nil {
			return nil, fmt.Errorf("query %s: %w", rejectedTable, err)
		}
		out[offKey{topic, int(part), off}] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query %s: %w", rejectedTable, err)
	}
	return out, nil
}
