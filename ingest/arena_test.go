package ingest

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"

	"github.com/csat-dev/csat/schema"
)

// TestColumnsArenaReuse checks that columns built from a reused arena equal freshly allocated
// ones — nothing of the previous INSERT's rows shows through — and that the arena's slices are
// in fact reused.
func TestColumnsArenaReuse(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	env := func(id string) schema.Envelope {
		return schema.Envelope{EventID: id, BranchID: "GD-SZ", Month: 202611, OccurredAt: at.Add(-time.Hour)}
	}
	yes := true
	first := [][]record{
		{
			{ev: &schema.SurveyResponse{Envelope: env("a"), Carrier: "cmcc", Weight: 2, Overall: 9,
				Items: []schema.ItemScore{{Code: "network", Score: 7}, {Code: "billing", Score: 9}, {Code: "hall", Score: 3}}},
				topic: "s", partition: 3, offset: 10, ts: at},
			{ev: &schema.SurveyResponse{Envelope: env("b"), Carrier: "cucc", Weight: 1,
				Items: []schema.ItemScore{{Code: "network", Score: 1}}}, topic: "s", partition: 3, offset: 11, ts: at},
		},
		{{ev: &schema.SurveyResponse{Envelope: env("c"), Carrier: "ctcc", Weight: 3, Segment: "vip", Overall: 4,
			Items: []schema.ItemScore{{Code: "billing", Score: 10}, {Code: "hall", Score: 5}}}, topic: "s", partition: 4, offset: 2, ts: at}},
	}
	// Fewer rows, fewer items and empty fields where the first INSERT had values.
	second := [][]record{{
		{ev: &schema.SurveyResponse{Envelope: env("d"), Carrier: "cmcc", Weight: 1,
			Items: []schema.ItemScore{{Code: "hall", Score: 2}}}, topic: "s", partition: 1, offset: 5, ts: at},
		{ev: &schema.SurveyResponse{Envelope: env("e"), Carrier: "cmcc", Weight: 1}, topic: "s", partition: 1, offset: 6, ts: at},
	}}
	a := &colArena{}
	got1 := materialize(columns(a, tSurveyResponses, first, at))
	if want := materialize(columns(nil, tSurveyResponses, first, at)); !reflect.DeepEqual(got1, want) {
		t.Fatalf("first INSERT's columns differ from fresh ones:\n got %v\nwant %v", got1, want)
	}
	codes := got1[8].([][]string)
	if want := [][]string{{"network", "billing", "hall"}, {"network"}, {"billing", "hall"}}; !reflect.DeepEqual(codes, want) {
		t.Fatalf("item codes %v, want %v", codes, want)
	}
	if ids := got1[0].([]string); !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
		t.Fatalf("event ids %v", ids)
	}
	months := got1[2].([]uint32)
	a.reset()
	if months[0] != 0 || codes[0] != nil {
		t.Errorf("reset left rows in the arena: %d, %v", months[0], codes[0])
	}
	got2 := materialize(columns(a, tSurveyResponses, second, at))
	if want := materialize(columns(nil, tSurveyResponses, second, at)); !reflect.DeepEqual(got2, want) {
		t.Fatalf("columns from a reused arena differ from fresh ones:\n got %v\nwant %v", got2, want)
	}
	if &got2[2].([]uint32)[0] != &months[0] {
		t.Errorf("the arena allocated a new month column instead of reusing the first one")
	}
	// A warm arena allocates only the []any and the boxed slice headers, not the columns.
	many := make([]record, 1000)
	for i := range many {
		many[i] = record{ev: &schema.HotlineFeedback{Envelope: env("m"), AgentID: "a"}, topic: "h", offset: int64(i), ts: at}
	}
	warm := &colArena{}
	columns(warm, tHotline, [][]record{many}, at)
	fresh := allocBytes(func() { columns(nil, tHotline, [][]record{many}, at) })
	reused := allocBytes(func() { warm.reset(); columns(warm, tHotline, [][]record{many}, at) })
	if reused > 2048 || fresh < 50_000 {
		t.Errorf("1,000 hotline rows: a warm arena allocated %d bytes, a fresh one %d; want ≤ 2,048 and ≥ 50,000", reused, fresh)
	}

	// Another table's rows through the same kind of arena: hotline, with a closed complaint's
	// -1 default for satisfied next to a set one.
	h := [][]record{{{ev: &schema.HotlineFeedback{Envelope: env("h"), AgentID: "a1", Rating: 5, Resolved: true, WaitSeconds: 12}, topic: "h", offset: 1, ts: at}}}
	ha := &colArena{}
	if got, want := materialize(columns(ha, tHotline, h, at)), materialize(columns(nil, tHotline, h, at)); !reflect.DeepEqual(got, want) {
		t.Fatalf("hotline: %v, want %v", got, want)
	}
	c := [][]record{{{ev: &schema.ComplaintClosed{Envelope: env("x"), ComplaintID: "c1"}}, {ev: &schema.ComplaintClosed{Envelope: env("y"), ComplaintID: "c2", Satisfied: &yes}}}}
	ca := &colArena{}
	columns(ca, tComplaintsClosed, c, at)
	ca.reset()
	sat := columns(ca, tComplaintsClosed, c, at)[6].([]int8)
	if !reflect.DeepEqual(sat, []int8{-1, 1}) {
		t.Errorf("satisfied = %v, want [-1 1]", sat)
	}
	if occ := got2[3].([]int64); occ[0] != at.Add(-time.Hour).Unix() {
		t.Errorf("occurred_at = %d, want %d (Unix seconds)", occ[0], at.Add(-time.Hour).Unix())
	}
}

// allocBytes is the heap bytes f allocates.
func allocBytes(f func()) uint64 {
	_, b := allocs(f)
	return b
}

// TestRecordPool checks that a row slice given back is cleared (no event stays reachable) and
// handed out again empty for its own table.
func TestRecordPool(t *testing.T) {
	rs := make([]record, 0, 64)
	rs = append(rs, record{ev: &schema.HotlineFeedback{}, topic: "h", offset: 7})
	putRecords(tHotline, rs)
	if rs[:1][0].ev != nil || rs[:1][0].topic != "" {
		t.Fatalf("putRecords left the row in the slice: %+v", rs[:1][0])
	}
	got := getRecords(tHotline)
	if len(got) != 0 {
		t.Fatalf("getRecords returned %d rows, want 0", len(got))
	}
	if got != nil && cap(got) != 64 {
		t.Errorf("pooled slice has capacity %d, want 64", cap(got))
	}
	if other := getRecords(tChurn); cap(other) == 64 && got == nil {
		t.Errorf("another table's pool handed out the hotline slice")
	}
}

// TestArenaPool checks that an arena given back is reset (no event stays reachable through it)
// and that the pool always hands out an arena.
func TestArenaPool(t *testing.T) {
	a := getArena(tStore)
	if a == nil {
		t.Fatal("getArena returned nil")
	}
	env := schema.Envelope{EventID: "s1", BranchID: "GD", Month: 202611}
	months := columns(a, tStore, [][]record{{{ev: &schema.StoreFeedback{Envelope: env, StoreID: "x"}}}}, time.Now())[2].([]uint32)
	putArena(tStore, a)
	if months[0] != 0 || a.u32.used != 0 {
		t.Fatalf("putArena did not reset the arena: %d, %d slices in use", months[0], a.u32.used)
	}
	if b := getArena(tStore); b == nil || b.u32.used != 0 {
		t.Fatalf("getArena after putArena: %+v", b)
	}
}

// appender is a column as a batch's column appends to it.
type appender struct{ col column.Interface }

func (a appender) Append(v any) error {
	_, err := a.col.Append(v)
	return err
}

// materialize returns cols with every strCol as the []string of its values.
func materialize(cols []any) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		if sc, ok := c.(strCol); ok {
			c = sc.strings()
		}
		out[i] = c
	}
	return out
}

// TestStrColAppend checks that a String column filled from the events (strCol: reserved, then
// appended in chunks) encodes byte for byte as the driver's Append of the same values, for
// every table's string columns, and that the values are the events' (empty for rows of another
// type).
func TestStrColAppend(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	var rows []record
	const nrows = 2*strChunk + 452 // two full chunks and a part
	for i := range nrows {
		env := schema.Envelope{EventID: fmt.Sprintf("ev-%d", i), BranchID: "GD-SZ", Month: 202611, OccurredAt: at}
		var ev schema.Event = &schema.StoreFeedback{Envelope: env, StoreID: fmt.Sprintf("S%d", i%7), Business: strings.Repeat("长", i%5)}
		if i%100 == 3 {
			ev = &schema.HotlineFeedback{Envelope: env, AgentID: "A"} // another type: its store fields are ""
		}
		rows = append(rows, record{ev: ev, topic: "csat.store", offset: int64(i), ts: at})
	}
	segs := [][]record{rows[:300], rows[300:]}
	cols := columns(nil, tStore, segs, at)
	n := 0
	for i, c := range cols {
		sc, ok := c.(strCol)
		if !ok {
			continue
		}
		n++
		vs := sc.strings()
		if len(vs) != nrows {
			t.Fatalf("column %d: %d values", i, len(vs))
		}
		plain := &column.String{}
		if _, err := plain.Append(vs); err != nil {
			t.Fatal(err)
		}
		chunked := &column.String{}
		if err := reserveStrings(chunked, sc.n, sc.size()); err != nil {
			t.Fatal(err)
		}
		if err := sc.appendTo(appender{chunked}); err != nil {
			t.Fatal(err)
		}
		var a, b proto.Buffer
		plain.Encode(&a)
		chunked.Encode(&b)
		if !bytes.Equal(a.Buf, b.Buf) || chunked.Rows() != nrows {
			t.Errorf("column %d (%s): the chunked column (%d rows) encodes differently from an appended one", i, tables[tStore].cols[i], chunked.Rows())
		}
	}
	if n != 6 { // event_id, branch_id, store_id, staff_id, business, kafka_topic
		t.Fatalf("%d string columns, want 6", n)
	}
	vs := cols[4].(strCol).strings()
	if vs[3] != "" || vs[4] != "S4" || vs[0] != "S0" {
		t.Errorf("store_id values %q…", vs[:5])
	}
	if ids := cols[0].(strCol).strings(); ids[nrows-1] != fmt.Sprintf("ev-%d", nrows-1) {
		t.Errorf("last event id %q", ids[nrows-1])
	}
}
