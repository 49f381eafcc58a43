package aggregate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestDedupCopies: every event_id counts once, with the values of its copy at the smallest
// (kafka_partition, kafka_offset), when a message was inserted twice (the same topic, partition
// and offset), resent at another offset with other values, or when another topic holds a
// different event at the same partition and offset.
func TestDedupCopies(t *testing.T) {
	t.Run("listed", func(t *testing.T) { testDedupCopies(t) })
	t.Run("subquery", func(t *testing.T) {
		defer aggregate.SetMaxListedDups(0)() // more repeated hashes than a view lists
		testDedupCopies(t)
	})
}

func testDedupCopies(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	cols := colsSurvey + ", kafka_topic"
	r := func(id string, w float64, part int32, off int64, topic string) []any {
		return append(resp(id, "GD-GZ-TH", oct, "cmcc", w, 10, net, []uint8{10}, part, off), topic)
	}
	insert(t, conn, "survey_responses", cols, r("r1", 2, 0, 5, "s"), r("r1", 7, 1, 2, "s"))
	insert(t, conn, "survey_responses", cols, r("r1", 2, 0, 5, "s"))                        // the same message again
	insert(t, conn, "survey_responses", cols, r("r2", 3, 0, 5, "s2"))                       // another topic, same coordinates
	insert(t, conn, "survey_responses", cols, r("r3", 5, 2, 9, "s"), r("r3", 5, 2, 9, "s")) // twice in one insert
	insert(t, conn, "hotline_feedback", colsHotTopic, hotAt("h1", 5, 0, 3), hotAt("h1", 1, 2, 1))
	insert(t, conn, "hotline_feedback", colsHotTopic, hotAt("h1", 5, 0, 3))
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, conn)
	// The projections (rows read through views), and an as-of read (no views: the repeated
	// hashes come from a subquery).
	for name, e := range map[string]*aggregate.Engine{"projections": e, "as of now": e.AsOf(time.Now().Add(time.Hour))} {
		md, err := e.MonthData(ctx, "GD-GZ-TH", oct)
		if err != nil {
			t.Fatal(err)
		}
		got := md.Survey["cmcc"]["network"]
		if got.N != 3 || got.SW != 2+3+5 || got.SW2 != 4+9+25 {
			t.Errorf("%s: survey network moments %+v: want n 3 (r1 once, r2, r3 once), Σw 10 (r1's copy at partition 0), Σw² 38", name, got)
		}
		if md.Window.HotlineN != 1 || md.Window.HotlineSatisfied != 1 {
			t.Errorf("%s: hotline %+v: want one rating, the satisfied copy at partition 0", name, md.Window)
		}
	}
}

// colsHotTopic and hotAt: a hotline rating of GD-GZ-TH (resolved, 10 s wait) at a partition
// and offset of topic "h".
const colsHotTopic = colsHot + ", kafka_topic"

func hotAt(id string, rating uint8, part int32, off int64) []any {
	row := hot(id, "GD-GZ-TH", oct, rating, 1, 10, off)
	row[6] = part
	return append(row, "h")
}

// TestViewBoundsRows: a recompute reads only the rows present when its views were taken. A
// copy inserted afterwards is not among the view's repeated hashes; were it read, its event
// would count twice.
func TestViewBoundsRows(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	insert(t, conn, "hotline_feedback", colsHotTopic, hotAt("h1", 5, 0, 1), hotAt("h2", 4, 0, 2))
	q, err := newProjector(conn).ViewSelect(ctx, aggregate.FamilyWindow, oct)
	if err != nil {
		t.Fatal(err)
	}
	// After the views: a copy of h1 with another rating, and a new event.
	insert(t, conn, "hotline_feedback", colsHotTopic, hotAt("h1", 1, 1, 0), hotAt("h3", 5, 0, 3))
	var n, satisfied uint64
	if err := conn.QueryRow(ctx, "SELECT hotline_n, hotline_satisfied FROM ("+q+") WHERE branch_id = 'GD-GZ-TH'").Scan(&n, &satisfied); err != nil {
		t.Fatal(err)
	}
	if n != 2 || satisfied != 2 {
		t.Errorf("hotline n %d, satisfied %d: want 2 and 2 (h1 and h2 as they were when the views were taken)", n, satisfied)
	}
	// A projector run now reads them all: h1 once (its copy at partition 0), h2, h3.
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	md, err := newEngine(t, conn).MonthData(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if md.Window.HotlineN != 3 || md.Window.HotlineSatisfied != 3 {
		t.Errorf("after a refresh: hotline %+v: want 3 ratings, 3 satisfied", md.Window)
	}
}

// TestDedupManyCopies: a month with tens of thousands of resent events (every one of 20,000
// responses and ratings sent twice) recomputes, each event counted once — the repeated hashes
// a view lists must not make the query too big for the server (18.16 refuses an AST of more
// than 50,000 elements, and every hash of a tuple literal was one).
func TestDedupManyCopies(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	const n = 20000
	var rs, hs [][]any
	for copyAt := range 2 {
		for i := range n {
			id := fmt.Sprintf("e%05d", i)
			off := int64(copyAt*n + i)
			rs = append(rs, resp(id, "GD-GZ-TH", oct, "cmcc", 1, 10, net, []uint8{10}, 0, off))
			hs = append(hs, hot(id, "GD-GZ-TH", oct, 5, 1, 10, off))
		}
	}
	insert(t, conn, "survey_responses", colsSurvey, rs...)
	insert(t, conn, "hotline_feedback", colsHot, hs...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct}, aggregate.DirtyMark{Family: aggregate.FamilyWindow, Month: oct})
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	md, err := newEngine(t, conn).MonthData(ctx, "GD-GZ-TH", oct)
	if err != nil {
		t.Fatal(err)
	}
	if got := md.Survey["cmcc"]["network"].N; got != n {
		t.Errorf("survey network n %d, want %d", got, n)
	}
	if md.Window.HotlineN != n {
		t.Errorf("hotline n %d, want %d", md.Window.HotlineN, n)
	}
}
