package ingest

import (
	"sync"
	"time"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// tableID names one raw table of the storage contract (schema/store).
type tableID = store.RawTable

const (
	tSurveyResponses  = store.SurveyResponses
	tSurveyVoids      = store.SurveyVoids
	tHotline          = store.HotlineFeedback
	tStore            = store.StoreFeedback
	tComplaintsOpened = store.ComplaintsOpened
	tComplaintsClosed = store.ComplaintsClosed
	tChurn            = store.ChurnEvents
	tBases            = store.SubscriberBases
	tInspections      = store.Inspections
	tScores           = store.ScoresReported
	tAdjustments      = store.Adjustments
	tAdjustmentVoids  = store.AdjustmentVoids
	numTables         = store.NumRawTables
)

// tableSpec is what ingest reads of a raw table's contract: its name, the projection families
// its rows make dirty (none for a table read as it is), and its columns in the order columns()
// returns them, with its INSERT.
type tableSpec struct {
	name     string
	families []store.Family
	cols     []string
	insert   string
}

// tables is the storage contract's raw tables, indexed by tableID.
var tables = func() (out [numTables]tableSpec) {
	for _, id := range store.RawTables() {
		out[id] = tableSpec{name: id.Name(), families: id.Families(), cols: id.Columns(), insert: id.Insert()}
	}
	return out
}()

const (
	rejectedTable  = store.RejectedTable
	rejectedInsert = store.RejectedInsert
)

// tableOf returns the raw table of an event type; ok is false for an unknown type.
func tableOf(t schema.Type) (tableID, bool) { return store.TableOf(t) }

// tablesOfTopic lists the raw tables a topic feeds.
func tablesOfTopic(topics schema.Topics, topic string) []tableID {
	var out []tableID
	for _, t := range schema.Types() {
		if topics.For(t) == topic {
			id, _ := tableOf(t)
			out = append(out, id)
		}
	}
	return out
}

// record is one accepted event with the Kafka coordinates it came from.
type record struct {
	ev        schema.Event
	topic     string
	partition int32
	offset    int64
	ts        time.Time // the Kafka message timestamp
}

// recordPools hold the row slices of written chunks, per table (a table's chunks have similar
// sizes: one pool for all would hand a 1,024-row slice to a table that gets ten rows a chunk).
// A backlog filled ~500 new slices per million events, growing each by doubling from 64: a
// sixth of ingest's allocated bytes, and slices of pointers the collector scans.
var recordPools [numTables]sync.Pool

// getRecords returns an empty row slice for table id, from its pool when it has one.
func getRecords(id tableID) []record {
	if p, ok := recordPools[id].Get().(*[]record); ok {
		return (*p)[:0]
	}
	return nil
}

// putRecords gives rs back to table id's pool once nothing refers to its rows any more. It is
// cleared first: a pooled slice holds no events, and every slice handed out is zeroed.
func putRecords(id tableID, rs []record) {
	if cap(rs) == 0 || cap(rs) > 4*chunkMax {
		return
	}
	clear(rs)
	rs = rs[:0]
	recordPools[id].Put(&rs)
}

// columns returns the columns of recs for table id, in tables[id].cols order, all rows
// carrying ingestedAt: String columns as strCols, the others as slices taken from a (nil:
// freshly allocated). DateTime columns are Unix seconds
// (clickhouse-go takes []int64 as seconds). Events of another type than the table's are a
// programming error and are written with zero values rather than panicking.
func columns(a *colArena, id tableID, segs [][]record, ingestedAt time.Time) []any {
	if a == nil {
		a = &colArena{}
	}
	n := 0
	for _, rs := range segs {
		n += len(rs)
	}
	each := func(f func(i int, r *record)) {
		i := 0
		for _, rs := range segs {
			for j := range rs {
				f(i, &rs[j])
				i++
			}
		}
	}
	str, u8, u32, u64, i64 := a.str.get, a.u8.get, a.u32.get, a.u64.get, a.i64.get
	// String columns are strCols: their values are read from the events when the column is
	// appended, with no []string in between.
	sc := func(get func(r *record) string) strCol { return strCol{segs: segs, n: n, get: get} }
	month, occurred := u32(n), i64(n)
	part, off, kts, ing := a.i32.get(n), i64(n), i64(n), i64(n)
	at := ingestedAt.Unix()
	each(func(i int, r *record) {
		env := r.ev.Env()
		month[i], occurred[i] = uint32(env.Month), env.OccurredAt.Unix()
		part[i], off[i], kts[i], ing[i] = r.partition, r.offset, r.ts.Unix(), at
	})
	head := []any{sc(getEventID), sc(getBranchID), month, occurred}
	tail := []any{sc(getTopic), part, off, kts, ing}
	var mid []any
	switch id {
	case tSurveyResponses:
		weight, overall := a.f64.get(n), u8(n)
		codes, scores := a.strs.get(n), a.u8s.get(n)
		items := 0
		each(func(_ int, r *record) {
			if e, ok := r.ev.(*schema.SurveyResponse); ok {
				items += len(e.Items)
			}
		})
		flatC, flatS := str(items), u8(items)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.SurveyResponse); ok {
				weight[i], overall[i] = e.Weight, e.Overall
				c, s := flatC[:len(e.Items):len(e.Items)], flatS[:len(e.Items):len(e.Items)]
				flatC, flatS = flatC[len(e.Items):], flatS[len(e.Items):]
				for j, it := range e.Items {
					c[j], s[j] = it.Code, it.Score
				}
				codes[i], scores[i] = c, s
			} else {
				codes[i], scores[i] = []string{}, []uint8{}
			}
		})
		mid = []any{sc(evStr(func(e *schema.SurveyResponse) string { return e.Carrier })), weight,
			sc(evStr(func(e *schema.SurveyResponse) string { return e.Segment })), overall, codes, scores,
			sc(evStr(func(e *schema.SurveyResponse) string { return e.CustomerType })),
			sc(evStr(func(e *schema.SurveyResponse) string { return e.ManagerID })),
			sc(evStr(func(e *schema.SurveyResponse) string { return e.StoreID }))}
	case tSurveyVoids:
		mid = []any{sc(evStr(func(e *schema.SurveyVoid) string { return e.TargetEventID })),
			sc(evStr(func(e *schema.SurveyVoid) string { return e.Reason }))}
	case tHotline:
		rating, resolved, wait, handle := u8(n), u8(n), u32(n), u32(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.HotlineFeedback); ok {
				rating[i], resolved[i], wait[i], handle[i] = e.Rating, b2u(e.Resolved), e.WaitSeconds, e.HandleSeconds
			}
		})
		mid = []any{sc(evStr(func(e *schema.HotlineFeedback) string { return e.AgentID })), rating, resolved, wait, handle}
	case tStore:
		rating, wait := u8(n), u32(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.StoreFeedback); ok {
				rating[i], wait[i] = e.Rating, e.WaitSeconds
			}
		})
		mid = []any{sc(evStr(func(e *schema.StoreFeedback) string { return e.StoreID })),
			sc(evStr(func(e *schema.StoreFeedback) string { return e.StaffID })), rating, wait,
			sc(evStr(func(e *schema.StoreFeedback) string { return e.Business }))}
	case tComplaintsOpened:
		esc := u8(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.ComplaintOpened); ok {
				esc[i] = b2u(e.Escalated)
			}
		})
		mid = []any{sc(evStr(func(e *schema.ComplaintOpened) string { return e.ComplaintID })),
			sc(evStr(func(e *schema.ComplaintOpened) string { return e.Category })),
			sc(evStr(func(e *schema.ComplaintOpened) string { return e.Channel })), esc,
			sc(evStr(func(e *schema.ComplaintOpened) string { return e.StoreID })),
			sc(evStr(func(e *schema.ComplaintOpened) string { return e.StaffID })),
			sc(evStr(func(e *schema.ComplaintOpened) string { return e.AgentID })),
			sc(evStr(func(e *schema.ComplaintOpened) string { return e.ManagerID }))}
	case tComplaintsClosed:
		hours, sat := a.f64.get(n), a.i8.get(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.ComplaintClosed); ok {
				hours[i], sat[i] = e.ResolutionHours, -1
				if e.Satisfied != nil {
					sat[i] = int8(b2u(*e.Satisfied))
				}
			}
		})
		mid = []any{sc(evStr(func(e *schema.ComplaintClosed) string { return e.ComplaintID })), hours, sat}
	case tChurn:
		tenure := u32(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.Churn); ok {
				tenure[i] = e.TenureMonths
			}
		})
		mid = []any{sc(evStr(func(e *schema.Churn) string { return e.CustomerRef })),
			sc(evStr(func(e *schema.Churn) string { return e.Tier })),
			sc(evStr(func(e *schema.Churn) string { return e.Reason })), tenure,
			sc(evStr(func(e *schema.Churn) string { return e.ToCarrier })),
			sc(evStr(func(e *schema.Churn) string { return e.ManagerID }))}
	case tBases:
		subs, has, hi, mi, lo := u64(n), u8(n), u64(n), u64(n), u64(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.SubscriberBase); ok {
				subs[i] = e.Subscribers
				if e.Tiers != nil {
					has[i], hi[i], mi[i], lo[i] = 1, e.Tiers.High, e.Tiers.Mid, e.Tiers.Low
				}
			}
		})
		mid = []any{subs, has, hi, mi, lo}
	case tInspections:
		score := a.f64.get(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.Inspection); ok {
				score[i] = e.Score
			}
		})
		mid = []any{sc(evStr(func(e *schema.Inspection) string { return e.StoreID })),
			sc(evStr(func(e *schema.Inspection) string { return e.Kind })),
			sc(evStr(func(e *schema.Inspection) string { return e.PublishedBy })), score,
			sc(evStr(func(e *schema.Inspection) string { return e.StaffID }))}
	case tScores:
		value := a.f64.get(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.ScoreReported); ok {
				value[i] = e.Value
			}
		})
		mid = []any{sc(evStr(func(e *schema.ScoreReported) string { return e.Subject.Kind })),
			sc(evStr(func(e *schema.ScoreReported) string { return e.Subject.ID })),
			sc(evStr(func(e *schema.ScoreReported) string { return e.Component })), value}
	case tAdjustments:
		points := a.f64.get(n)
		each(func(i int, r *record) {
			if e, ok := r.ev.(*schema.Adjustment); ok {
				points[i] = e.Points
			}
		})
		mid = []any{sc(evStr(func(e *schema.Adjustment) string { return e.Subject.Kind })),
			sc(evStr(func(e *schema.Adjustment) string { return e.Subject.ID })), points,
			sc(evStr(func(e *schema.Adjustment) string { return e.Reason })),
			sc(evStr(func(e *schema.Adjustment) string { return e.Ref }))}
	case tAdjustmentVoids:
		mid = []any{sc(evStr(func(e *schema.AdjustmentVoid) string { return e.TargetEventID })),
			sc(evStr(func(e *schema.AdjustmentVoid) string { return e.Reason }))}
	}
	out := make([]any, 0, len(head)+len(mid)+len(tail))
	out = append(out, head...)
	out = append(out, mid...)
	return append(out, tail...)
}

// colArena holds the column slices of one table's INSERTs so that the next INSERT reuses them:
// clickhouse-go copies what Append is given, so once an INSERT is sent its slices are free.
// Without it a backlog allocated ~160 MB of column slices per million events.
type colArena struct {
	str  arena[string]
	u8   arena[uint8]
	i8   arena[int8]
	u32  arena[uint32]
	i32  arena[int32]
	i64  arena[int64]
	u64  arena[uint64]
	f64  arena[float64]
	strs arena[[]string]
	u8s  arena[[]uint8]
}

// reset makes every slice handed out since the last reset free for reuse (and drops what they
// refer to).
func (a *colArena) reset() {
	a.str.reset()
	a.u8.reset()
	a.i8.reset()
	a.u32.reset()
	a.i32.reset()
	a.i64.reset()
	a.u64.reset()
	a.f64.reset()
	a.strs.reset()
	a.u8s.reset()
}

// colArenas are the arenas of each table's writer (the tables of an epoch are inserted in
// parallel; an arena is used by one INSERT at a time).
var colArenas [numTables]sync.Pool

// getArena returns an arena for an INSERT into table id: a pooled one, or a new one.
func getArena(id tableID) *colArena {
	if a, ok := colArenas[id].Get().(*colArena); ok {
		return a
	}
	return &colArena{}
}

// putArena resets a (the INSERT that used it was sent or abandoned) and pools it.
func putArena(id tableID, a *colArena) {
	a.reset()
	colArenas[id].Put(a)
}

// arena hands out zeroed slices of T and takes them all back at once.
type arena[T any] struct {
	bufs [][]T
	used int
}

// get returns a zeroed slice of n elements, reusing a buffer given back by reset when one is
// large enough.
func (a *arena[T]) get(n int) []T {
	if a.used == len(a.bufs) {
		a.bufs = append(a.bufs, nil)
	}
	b := a.bufs[a.used]
	if cap(b) < n {
		b = make([]T, n)
	} else {
		b = b[:n] // zero: reset cleared it, and a fresh buffer is zero
	}
	a.bufs[a.used] = b
	a.used++
	return b
}

// reset clears the slices handed out (so that no event stays reachable and get's slices are
// zero) and makes them available again.
func (a *arena[T]) reset() {
	for i := range a.used {
		clear(a.bufs[i])
	}
	a.used = 0
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// strCol is a String column of columns(): the values are read from the rows' events when the
// column is appended (appendTo), without a []string of the whole column in between: that slice
// cost a write per row and column, and ~14 MB of pooled pointer slices that every collection
// scanned.
type strCol struct {
	segs [][]record
	n    int
	get  func(r *record) string
}

// each calls f with every row's value, in order.
func (c strCol) each(f func(string)) {
	for _, rs := range c.segs {
		for i := range rs {
			f(c.get(&rs[i]))
		}
	}
}

// strings returns the column's values as a slice (tests).
func (c strCol) strings() []string {
	out := make([]string, 0, c.n)
	c.each(func(v string) { out = append(out, v) })
	return out
}

// size is the total length of the column's values.
func (c strCol) size() int {
	total := 0
	c.each(func(v string) { total += len(v) })
	return total
}

// strChunk is how many values of a strCol go to the driver in one Append.
const strChunk = 1024

var strChunks = sync.Pool{New: func() any { s := make([]string, 0, strChunk); return &s }}

// appendTo appends the column's values to col, a batch's column, strChunk values at a time
// from a pooled slice (clickhouse-go takes String values as slices only).
func (c strCol) appendTo(col interface{ Append(any) error }) error {
	p := strChunks.Get().(*[]string)
	chunk := (*p)[:0]
	var err error
	c.each(func(v string) {
		chunk = append(chunk, v)
		if len(chunk) == strChunk {
			if err == nil {
				err = col.Append(chunk)
			}
			chunk = chunk[:0]
		}
	})
	if len(chunk) > 0 && err == nil {
		err = col.Append(chunk)
	}
	clear(chunk[:cap(chunk)]) // a pooled slice refers to no event
	*p = chunk[:0]
	strChunks.Put(p)
	return err
}

func getEventID(r *record) string  { return r.ev.Env().EventID }
func getBranchID(r *record) string { return r.ev.Env().BranchID }
func getTopic(r *record) string    { return r.topic }

// evStr reads a string field of events of type E (rows of another type read as "").
func evStr[E schema.Event](f func(E) string) func(*record) string {
	return func(r *record) string {
		if e, ok := r.ev.(E); ok {
			return f(e)
		}
		return ""
	}
}
