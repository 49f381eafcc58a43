package aggregate

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestStampPrune checks stampPrune's bounds against hand-computed ones. The committed version's
// view (all) holds partition 0 of topic "t" up to offset 10, its rows ingested from second 100
// to 200, and partition 1 up to offset 20, ingested from 150 to 300. A row ingested at t is in
// the rows as of t.
func TestStampPrune(t *testing.T) {
	sec := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	view := func(offs []int64, stamps []int64) *rawView {
		v := &rawView{bounds: map[string][]int64{"t": offs}}
		if stamps != nil {
			v.stamps = map[string][]int64{"t": stamps}
		}
		return v
	}
	one := view([]int64{10}, []int64{100, 200})
	two := view([]int64{10, 20}, []int64{100, 200, 150, 300})
	for _, c := range []struct {
		name     string
		base     *rawView
		baseAsOf int64 // 0: a live version
		all      *rawView
		t        int64
		ok       bool
		diff     [2]int64 // zero: nothing can differ
	}{
		{"the committed version as base, t after every row", one, 0, one, 250, true, [2]int64{}},
		{"the committed version, t at the last row", one, 0, one, 200, true, [2]int64{}},
		{"the committed version, t a second before the last row", one, 0, one, 199, true, [2]int64{200, 200}},
		{"the committed version, t inside: the rows after t", one, 0, one, 150, true, [2]int64{151, 200}},
		{"the committed version, t before every row", one, 0, one, 50, true, [2]int64{100, 200}},
		{"two partitions, t inside the second only", two, 0, two, 250, true, [2]int64{251, 300}},
		{"a base behind the committed version, t after every row: its missing rows", view([]int64{5}, nil), 0, one, 250, true, [2]int64{100, 200}},
		{"a base behind in one partition", view([]int64{10, 15}, nil), 0, two, 400, true, [2]int64{150, 300}},
		{"a base without the table: every row up to t", nil, 0, one, 160, true, [2]int64{100, 200}},
		{"a base behind, t before every row: only the base's rows after t", view([]int64{5}, nil), 0, one, 50, true, [2]int64{100, 200}},
		{"a checkpoint at 120, t at 180: its view's rows from 121 to 180", one, 120, one, 180, true, [2]int64{121, 180}},
		{"a checkpoint at 180, t at 120: its rows from 121 to 180", one, 180, one, 120, true, [2]int64{121, 180}},
		{"a checkpoint at t", one, 150, one, 150, true, [2]int64{}},
		{"a checkpoint after every row, t after every row", one, 250, one, 260, true, [2]int64{}},
		{"a checkpoint behind in offsets, at 120, t at 110", view([]int64{5}, nil), 120, one, 110, true, [2]int64{100, 120}},
		{"no stamps recorded", one, 0, view([]int64{10}, nil), 150, false, [2]int64{}},
		{"a stamp missing for a partition with rows", one, 0, view([]int64{10, 20}, []int64{100, 200}), 150, false, [2]int64{}},
		{"no committed view", one, 0, nil, 150, false, [2]int64{}},
	} {
		var asOf time.Time
		if c.baseAsOf != 0 {
			asOf = sec(c.baseAsOf)
		}
		p, ok := stampPrune(c.base, asOf, c.all, sec(c.t))
		if ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.month != stampCond(100, map[bool]int64{true: 300, false: 200}[c.all == two]) {
			t.Errorf("%s: month bound %q", c.name, p.month)
		}
		want := pruning{month: p.month}
		if c.diff != [2]int64{} {
			want.diff, want.differ = stampCond(c.diff[0], c.diff[1]), true
		}
		if p != want {
			t.Errorf("%s: got diff %q (differ %v), want %q (differ %v)", c.name, p.diff, p.differ, want.diff, want.differ)
		}
	}
	// Voids none of which concern the month in one partition (an empty range, voidStamps): only
	// the other partition bounds the read.
	vs := view([]int64{10, 20}, []int64{1, 0, 150, 300})
	if p, ok := stampPrune(vs, time.Time{}, vs, sec(250)); !ok || p.diff != stampCond(251, 300) || p.month != stampCond(150, 300) {
		t.Errorf("voids of the month in one partition: %+v, %v", p, ok)
	}
	if p, ok := stampPrune(vs, time.Time{}, view([]int64{10, 20}, []int64{1, 0, 1, 0}), sec(250)); !ok || p.differ || p.month != " AND 0" {
		t.Errorf("no void of the month: %+v, %v", p, ok)
	}
	// A month without a row: nothing to read, nothing differs.
	p, ok := stampPrune(one, time.Time{}, view([]int64{-1}, []int64{-1, -1}), sec(150))
	if !ok || p.differ || p.month != " AND 0" {
		t.Errorf("a month without rows: %+v, %v", p, ok)
	}
}

// TestViewBoundsStamps checks that a base's JSON keeps its views' stamps, and that one written
// before stamps were recorded reads back with none (no pruning).
func TestViewBoundsStamps(t *testing.T) {
	in := map[string]*rawView{
		"hotline_feedback": {bounds: map[string][]int64{"hot": {4, -1, 9}}, stamps: map[string][]int64{"hot": {10, 20, -1, -1, 15, 30}}},
		"survey_voids":     {bounds: map[string][]int64{"void": {2}}},
	}
	b, err := json.Marshal(boundsOf(in))
	if err != nil {
		t.Fatal(err)
	}
	var vb viewBounds
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	out := vb.views()
	if len(out) != 2 {
		t.Fatalf("views %v: want the two tables", out)
	}
	for name, v := range in {
		if !reflect.DeepEqual(out[name].bounds, v.bounds) || !reflect.DeepEqual(out[name].stamps, v.stamps) {
			t.Errorf("%s: got %v %v, want %v %v", name, out[name].bounds, out[name].stamps, v.bounds, v.stamps)
		}
	}
	var old viewBounds
	if err := json.Unmarshal([]byte(`{"churn_events":{"churn":[7,8]}}`), &old); err != nil {
		t.Fatal(err)
	}
	if v := old.views()["churn_events"]; v == nil || v.stamps != nil || !reflect.DeepEqual(v.bounds["churn"], []int64{7, 8}) {
		t.Errorf("a base from before stamps: %+v", v)
	}
}
