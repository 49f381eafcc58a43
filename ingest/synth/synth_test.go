package synth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/schema"
)

const end = schema.Month(202610)

type msg struct {
	topic      string
	key, value []byte
}

func generate(t testing.TB, cfg synth.Config) ([]msg, synth.Summary) {
	t.Helper()
	var out []msg
	sum, err := synth.Generate(cfg, func(topic string, key, value []byte) error {
		out = append(out, msg{topic, key, value})
		return nil
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out, sum
}

func digest(ms []msg) string {
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00", m.topic, m.key, len(m.value))
		h.Write(m.value)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := synth.Config{Seed: 7, EndMonth: end}
	a, _ := generate(t, cfg)
	b, _ := generate(t, cfg)
	if da, db := digest(a), digest(b); da != db {
		t.Fatalf("same seed, different streams: %s vs %s", da, db)
	}
	// Now only matters for the default end month.
	cfg.Now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c, _ := generate(t, cfg)
	if digest(a) != digest(c) {
		t.Fatal("a fixed EndMonth must not depend on Now")
	}
	d, _ := generate(t, synth.Config{Seed: 8, EndMonth: end})
	if digest(a) == digest(d) {
		t.Fatal("seeds 7 and 8 gave the same stream")
	}
	ids := map[string]bool{}
	for _, m := range a {
		ids[eventID(t, m.value)] = true
	}
	for _, m := range d {
		if ids[eventID(t, m.value)] {
			t.Fatalf("seeds 7 and 8 share event id %s", eventID(t, m.value))
		}
	}
}

func eventID(t testing.TB, v []byte) string {
	var e struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(v, &e); err != nil {
		t.Fatalf("unmarshal %s: %v", v, err)
	}
	return e.EventID
}

func TestDefaultEndMonth(t *testing.T) {
	tests := []struct {
		now  time.Time
		want schema.Month
	}{
		{time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC), 202610},
		// 2026-11-30 17:00 UTC is already December 1st in Shanghai.
		{time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC), 202611},
		{time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), 202612},
	}
	for _, tt := range tests {
		cfg := synth.Config{Now: tt.now}
		if got := cfg.LastMonth(); got != tt.want {
			t.Errorf("LastMonth at %v = %v, want %v", tt.now, got, tt.want)
		}
		if got, want := cfg.FirstMonth(), tt.want.Add(-5); got != want {
			t.Errorf("FirstMonth at %v = %v, want %v", tt.now, got, want)
		}
	}
}

func TestItemsAreTheDefaultCatalog(t *testing.T) {
	ms, _ := generate(t, synth.Config{Seed: 1, EndMonth: end, Months: 1, Scale: 0.1})
	known := map[string]bool{}
	for _, it := range schema.DefaultCatalog().Items {
		known[it.Code] = true
	}
	seen := map[string]bool{}
	for _, m := range ms {
		var v struct {
			Items map[string]int `json:"items"`
		}
		if err := json.Unmarshal(m.value, &v); err != nil {
			t.Fatal(err)
		}
		for code := range v.Items {
			seen[code] = true
		}
	}
	for code := range known {
		if !seen[code] {
			t.Errorf("item %s never answered", code)
		}
	}
	for code := range seen {
		if !known[code] {
			t.Errorf("item %s not in the default catalog", code)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  synth.Config
		ok   bool
	}{
		{"zero", synth.Config{}, true},
		{"negative months", synth.Config{Months: -1}, false},
		{"huge scale", synth.Config{Scale: 11}, false},
		{"negative rate", synth.Config{Rate: -1}, false},
		{"bad end month", synth.Config{EndMonth: 202613}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestHierarchy(t *testing.T) {
	tests := []struct {
		scale                       float64
		provinces, cities, counties int
	}{
		{0, 3, 9, 25},
		{1, 3, 9, 25},
		{0.1, 1, 3, 6},
		{2, 6, 18, 50},
		{10, 8, 27, 103},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scale), func(t *testing.T) {
			bs := synth.Hierarchy(synth.Config{Scale: tt.scale})
			count := map[int]int{}
			seen := map[string]bool{}
			for _, b := range bs {
				if !schema.ValidBranchID(b.ID) || schema.Level(b.ID) != b.Level {
					t.Errorf("branch %+v: bad id or level", b)
				}
				if b.Name == "" || b.NameEN == "" {
					t.Errorf("branch %s has no name", b.ID)
				}
				if seen[b.ID] {
					t.Errorf("branch %s twice", b.ID)
				}
				if b.Level > 1 && !seen[schema.Parent(b.ID)] {
					t.Errorf("branch %s listed before its parent", b.ID)
				}
				seen[b.ID] = true
				count[b.Level]++
			}
			if count[1] != tt.provinces || count[2] != tt.cities || count[3] != tt.counties {
				t.Errorf("got %d/%d/%d provinces/cities/counties, want %d/%d/%d",
					count[1], count[2], count[3], tt.provinces, tt.cities, tt.counties)
			}
		})
	}
	names := map[string]string{}
	for _, b := range synth.Hierarchy(synth.Config{}) {
		names[b.ID] = b.Name
	}
	for id, want := range map[string]string{"GD": "广东省", "GD-GZ": "广州市", "GD-GZ-TH": "天河区", "GD-SZ-NS": "南山区", "ZJ-HZ-XH": "西湖区"} {
		if names[id] != want {
			t.Errorf("name of %s = %q, want %q", id, names[id], want)
		}
	}
}

// decoded is the stream after the schema decoder, as ingest sees it.
type decoded struct {
	events  []schema.Event
	byID    map[string][]byte
	resent  int
	voids   map[string]bool // target event ids
	subtree map[string]bool
}

func decodeAll(t *testing.T, cfg synth.Config, ms []msg) decoded {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	last := cfg.LastMonth()
	endOfRange := time.Date(last.Year(), time.Month(last.Mon())+1, 1, 0, 0, 0, 0, loc)
	dec := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), loc,
		schema.WithClock(func() time.Time { return endOfRange }))
	d := decoded{byID: map[string][]byte{}, voids: map[string]bool{}}
	first := cfg.FirstMonth()
	for i, m := range ms {
		ev, err := dec.Decode(m.topic, m.value)
		if err != nil {
			t.Fatalf("message %d on %s does not decode: %v\n%s", i, m.topic, err, m.value)
		}
		env := ev.Env()
		if string(m.key) != env.BranchID {
			t.Errorf("message %d: key %q, branch %q", i, m.key, env.BranchID)
		}
		if len(m.value) > 64<<10 {
			t.Errorf("message %d: %d bytes", i, len(m.value))
		}
		if !bytes.Contains(m.value, []byte(`+08:00"`)) || !bytes.Contains(m.value, []byte(`"schema_version":1,`)) {
			t.Errorf("message %d: want +08:00 offset and schema_version 1: %s", i, m.value)
		}
		if !env.OccurredAt.Before(endOfRange) || env.Month < first || env.Month > last {
			t.Errorf("message %d: occurred_at %v, month %v outside %v..%v", i, env.OccurredAt, env.Month, first, last)
		}
		if prev, dup := d.byID[env.EventID]; dup {
			if !bytes.Equal(prev, m.value) {
				t.Errorf("event id %s reused for different bytes", env.EventID)
			}
			d.resent++
			continue
		}
		d.byID[env.EventID] = m.value
		if v, ok := ev.(*schema.SurveyVoid); ok {
			d.voids[v.TargetEventID] = true
		}
		d.events = append(d.events, ev)
	}
	return d
}

func TestEventsDecode(t *testing.T) {
	cfg := synth.Config{Seed: 1, EndMonth: end}
	ms, sum := generate(t, cfg)
	d := decodeAll(t, cfg, ms)
	if d.resent != sum.Resent || d.resent == 0 {
		t.Errorf("resent: decoded %d, summary %d; want equal and > 0", d.resent, sum.Resent)
	}
	if len(d.voids) != sum.Voids || sum.Voids == 0 {
		t.Errorf("voids: decoded %d, summary %d; want equal and > 0", len(d.voids), sum.Voids)
	}
	if sum.Messages != len(ms) || len(sum.Unmet) != 0 {
		t.Errorf("summary %+v for %d messages", sum, len(ms))
	}
	count := map[schema.Type]int{}
	opened := map[string]time.Time{}
	for _, ev := range d.events {
		env := ev.Env()
		count[env.Type]++
		switch e := ev.(type) {
		case *schema.ComplaintOpened:
			opened[e.ComplaintID] = e.OccurredAt
		case *schema.ComplaintClosed:
			at, ok := opened[e.ComplaintID]
			if !ok || e.OccurredAt.Before(at) {
				t.Errorf("complaint %s closed at %v, opened %v (%v)", e.ComplaintID, e.OccurredAt, at, ok)
			}
			if got := e.OccurredAt.Sub(at).Hours(); math.Abs(got-e.ResolutionHours) > 0.01 {
				t.Errorf("complaint %s: resolution %v h, but closed %v h after opening", e.ComplaintID, e.ResolutionHours, got)
			}
		}
	}
	for _, ty := range schema.Types() {
		if count[ty] == 0 {
			t.Errorf("no %s events", ty)
		}
		if count[ty] != sum.Events[ty.String()] {
			t.Errorf("%s: decoded %d, summary %d", ty, count[ty], sum.Events[ty.String()])
		}
	}
	for id := range d.voids {
		if _, ok := d.byID[id]; !ok {
			t.Errorf("void of unknown response %s", id)
		}
	}
	t.Logf("%d messages, %d events: %v", len(ms), len(d.events), sum.Events)
}

// surveyAgg is an independent implementation of SPEC §3.2–3.3 over decoded responses.
type surveyAgg struct {
	n                  int
	sw, swx, swx2, sw2 float64
}

func (a *surveyAgg) add(w, x float64) {
	a.n++
	a.sw += w
	a.swx += w * x
	a.swx2 += w * x * x
	a.sw2 += w * w
}

type value struct {
	v, se float64
	n     int
}

func (a surveyAgg) value() value {
	m := a.swx / a.sw
	s2 := math.Max(a.swx2/a.sw-m*m, 0)
	return value{m, math.Sqrt(s2 / (a.sw * a.sw / a.sw2)), a.n}
}

type cell struct {
	items map[string]*surveyAgg
	comp  surveyAgg
}

func (c *cell) csi() value {
	sum, k := 0.0, 0
	for _, a := range c.items {
		sum += a.value().v
		k++
	}
	v := c.comp.value()
	v.v = sum / float64(k)
	return v
}

type cellKey struct {
	branch, carrier string
	month           schema.Month
}

// aggregate computes every (branch at every level, carrier, month) cell: voided responses out,
// each event id once.
func aggregate(d decoded) map[cellKey]*cell {
	out := map[cellKey]*cell{}
	for _, ev := range d.events {
		r, ok := ev.(*schema.SurveyResponse)
		if !ok || d.voids[r.EventID] {
			continue
		}
		for _, b := range schema.Ancestors(r.BranchID) {
			k := cellKey{b, r.Carrier, r.Wave}
			c := out[k]
			if c == nil {
				c = &cell{items: map[string]*surveyAgg{}}
				out[k] = c
			}
			sum := 0.0
			for _, it := range r.Items {
				x := float64(it.Score-1) * 100 / 9
				a := c.items[it.Code]
				if a == nil {
					a = &surveyAgg{}
					c.items[it.Code] = a
				}
				a.add(r.Weight, x)
				sum += x
			}
			if len(r.Items) > 0 {
				c.comp.add(r.Weight, sum/float64(len(r.Items)))
			}
		}
	}
	return out
}

func (c *cell) metric(name string) value {
	if name == "csi" {
		return c.csi()
	}
	a := c.items[strings.TrimPrefix(name, "item:")]
	if a == nil {
		return value{}
	}
	return a.value()
}

func leadOf(cells map[cellKey]*cell, b string, m schema.Month) (float64, string, bool) {
	own := cells[cellKey{b, synth.OwnCarrier, m}]
	if own == nil || own.csi().n < synth.MinSample {
		return 0, "", false
	}
	best, bestV := "", math.Inf(-1)
	for _, c := range synth.Carriers()[1:] {
		if cc := cells[cellKey{b, c, m}]; cc != nil && cc.csi().n >= synth.MinSample && cc.csi().v > bestV {
			best, bestV = c, cc.csi().v
		}
	}
	if best == "" {
		return 0, "", false
	}
	return own.csi().v - bestV, best, true
}

// streakAt is SPEC §3.11's decline streak of (branch, metric) at month m, with its z.
func streakAt(cells map[cellKey]*cell, b, metric string, first, m schema.Month) (int, float64) {
	val := func(mm schema.Month) (value, bool) {
		c := cells[cellKey{b, synth.OwnCarrier, mm}]
		if c == nil {
			return value{}, false
		}
		v := c.metric(metric)
		return v, v.n >= synth.MinSample
	}
	k := 0
	for mm := m; mm > first; mm = mm.Prev() {
		cur, ok1 := val(mm)
		prev, ok2 := val(mm.Prev())
		if !ok1 || !ok2 || !(cur.v < prev.v) {
			break
		}
		k++
	}
	if k == 0 {
		return 0, 0
	}
	s, _ := val(m.Add(-k))
	e, _ := val(m)
	return k, (s.v - e.v) / math.Hypot(s.se, e.se)
}

func TestPlantedStories(t *testing.T) {
	var cfgs []synth.Config
	for _, seed := range []int64{1, 2, 3, 4, 5, 42} {
		cfgs = append(cfgs, synth.Config{Seed: seed, EndMonth: end})
	}
	cfgs = append(cfgs, synth.Config{Seed: 1, Scale: 0.5, EndMonth: end}, synth.Config{Seed: 2, Months: 4, EndMonth: 202703})
	for _, cfg := range cfgs {
		t.Run(fmt.Sprintf("seed%d-scale%g-months%d", cfg.Seed, cfg.Scale, cfg.Months), func(t *testing.T) {
			end := cfg.LastMonth()
			ms, sum := generate(t, cfg)
			t.Logf("%d waves redrawn, unmet: %v", sum.Retries, sum.Unmet)
			d := decodeAll(t, cfg, ms)
			cells := aggregate(d)
			first := cfg.FirstMonth()
			stories := synth.Stories(cfg)
			if len(stories) != 3 {
				t.Fatalf("got %d stories, want 3", len(stories))
			}
			for _, s := range stories {
				if s.Month != end {
					t.Errorf("%s fires in %v, want %v", s.Name, s.Month, end)
				}
				switch s.Rule {
				case "decline_streak":
					k, z := streakAt(cells, s.Branch, s.Metric, first, end)
					var vals []string
					for m := s.Start; m <= end; m = m.Add(1) {
						v := cells[cellKey{s.Branch, synth.OwnCarrier, m}].metric(s.Metric)
						vals = append(vals, fmt.Sprintf("%v %.2f±%.2f n=%d", m, v.v, 1.96*v.se, v.n))
						if s.Name == synth.StoryDecline && m > s.Start {
							prev := cells[cellKey{s.Branch, synth.OwnCarrier, m.Prev()}].metric(s.Metric)
							if prev.v-v.v < synth.StoryDeclineMinFall {
								t.Errorf("%s: fall in %v is %.2f", s.Name, m, prev.v-v.v)
							}
						}
						if s.Name == synth.StoryNoise && (v.n < synth.MinSample || v.n > 35) {
							t.Errorf("%s: n=%d in %v, want 30–35", s.Name, v.n, m)
						}
						if s.Name == synth.StoryDecline && v.n < 100 {
							t.Errorf("%s: n=%d in %v, want hundreds", s.Name, v.n, m)
						}
					}
					t.Logf("%s %s %s: streak %d z %.2f: %s", s.Name, s.Branch, s.Metric, k, z, strings.Join(vals, ", "))
					if k != 3 {
						t.Errorf("%s: streak %d at %v, want 3", s.Name, k, end)
					}
					if sig := z >= 1.96; sig != (s.Severity == "significant") {
						t.Errorf("%s: z = %.2f, want severity %s", s.Name, z, s.Severity)
					}
				case "lead_lost":
					prev, _, okPrev := leadOf(cells, s.Branch, end.Prev())
					cur, best, okCur := leadOf(cells, s.Branch, end)
					t.Logf("%s %s: lead %.2f in %v, %.2f (%s) in %v", s.Name, s.Branch, prev, end.Prev(), cur, best, end)
					if !okPrev || !okCur || prev < 0 || cur >= 0 || best != s.Carrier {
						t.Errorf("%s: lead %.2f (%v) then %.2f (%v, best %s)", s.Name, prev, okPrev, cur, okCur, best)
					}
				default:
					t.Errorf("unknown rule %s", s.Rule)
				}
			}
			reportUnplanted(t, cfg, cells, stories)
			checkWindow(t, cfg, d)
		})
	}
}

// reportUnplanted checks that no branch shows a significant decline streak, a CSI decline streak or
// a negative lead that is not planted, and logs the watch streaks of items (sampling noise).
func reportUnplanted(t *testing.T, cfg synth.Config, cells map[cellKey]*cell, stories []synth.Story) {
	t.Helper()
	first := cfg.FirstMonth()
	planted := func(b, metric string) bool {
		for _, s := range stories {
			if s.Name == synth.StoryDecline {
				// The fall shows in the city's counties and ancestors too, and moves the city's CSI.
				if schema.InSubtree(b, s.Branch) && (metric == s.Metric || metric == "csi") ||
					schema.InSubtree(s.Branch, b) && metric == s.Metric {
					return true
				}
			} else if schema.InSubtree(b, s.Branch) {
				return true
			}
		}
		return false
	}
	branches := []string{schema.Root}
	for _, b := range synth.Hierarchy(cfg) {
		branches = append(branches, b.ID)
	}
	metrics := []string{"csi"}
	for _, it := range schema.DefaultCatalog().Items {
		metrics = append(metrics, "item:"+it.Code)
	}
	var watch, upper []string
	for _, b := range branches {
		for m := first; m <= cfg.LastMonth(); m = m.Add(1) {
			for _, metric := range metrics {
				k, z := streakAt(cells, b, metric, first, m)
				if k < 3 {
					continue
				}
				desc := fmt.Sprintf("%s %s %v z=%.2f", b, metric, m, z)
				switch {
				case metric == "csi" && !planted(b, metric):
					t.Errorf("unplanted CSI decline streak: %s", desc)
				case z < 1.96:
					watch = append(watch, desc)
				case schema.Level(b) <= 1 && planted(b, metric):
					upper = append(upper, desc)
				case !planted(b, metric):
					t.Errorf("unplanted significant decline streak: %s", desc)
				}
			}
			if l, _, ok := leadOf(cells, b, m); ok && l < 0 && !planted(b, "lead") {
				t.Errorf("unplanted negative lead %s %v: %.2f", b, m, l)
			}
		}
	}
	sort.Strings(watch)
	t.Logf("watch streaks (noise, expected): %d; planted story at province/company level: %v", len(watch), upper)
}

// checkWindow computes the window satisfaction (SPEC §3.7) of every branch and month and checks
// that it shows no decline streak: it has no planted story.
func checkWindow(t *testing.T, cfg synth.Config, d decoded) {
	t.Helper()
	type key struct {
		b string
		m schema.Month
	}
	n, sat := map[key]int{}, map[key]int{}
	for _, ev := range d.events {
		var rating uint8
		switch e := ev.(type) {
		case *schema.HotlineFeedback:
			rating = e.Rating
		case *schema.StoreFeedback:
			rating = e.Rating
		default:
			continue
		}
		for _, b := range schema.Ancestors(ev.Env().BranchID) {
			k := key{b, ev.Env().Month}
			n[k]++
			if rating >= 4 {
				sat[k]++
			}
		}
	}
	p := func(k key) float64 { return float64(sat[k]) / float64(n[k]) }
	branches := []string{schema.Root}
	for _, b := range synth.Hierarchy(cfg) {
		branches = append(branches, b.ID)
	}
	for _, b := range branches {
		for m := cfg.FirstMonth(); m <= cfg.LastMonth(); m = m.Add(1) {
			if n[key{b, m}] < 100 {
				t.Errorf("window %s %v: %d ratings, want ≥ 100", b, m, n[key{b, m}])
			}
			k := 0
			for mm := m; mm > cfg.FirstMonth() && p(key{b, mm}) < p(key{b, mm.Prev()}); mm = mm.Prev() {
				k++
			}
			if k >= 3 {
				t.Errorf("window satisfaction of %s falls %d months in a row to %v", b, k, m)
			}
		}
	}
}

func TestEnterpriseInterviews(t *testing.T) {
	ms, _ := generate(t, synth.Config{Seed: 1, EndMonth: end, Months: 1, Scale: 0.1})
	var all, ent int
	for _, m := range ms {
		var v struct {
			Type         string `json:"type"`
			BranchID     string `json:"branch_id"`
			CustomerType string `json:"customer_type"`
			ManagerID    string `json:"manager_id"`
		}
		if err := json.Unmarshal(m.value, &v); err != nil {
			t.Fatal(err)
		}
		if v.Type != "survey_response" {
			continue
		}
		all++
		switch v.CustomerType {
		case "":
			if v.ManagerID != "" {
				t.Errorf("a consumer interview names manager %q", v.ManagerID)
			}
		case "enterprise":
			ent++
			city := strings.Join(strings.Split(v.BranchID, "-")[:2], "-")
			if !strings.HasPrefix(v.ManagerID, "CM-"+city+"-") {
				t.Errorf("enterprise interview of %s names manager %q, want one of its city's", v.BranchID, v.ManagerID)
			}
		default:
			t.Errorf("customer_type %q", v.CustomerType)
		}
	}
	if share := float64(ent) / float64(all); all == 0 || share < 0.26 || share > 0.34 {
		t.Errorf("%d of %d interviews are enterprise (%.3f), want about 30 %%", ent, all, share)
	}
}

// TestFrontlineStories recomputes, from the decoded stream, what the league tables of SPEC §5.2
// rank by (city inspection mean per store, complaints per staff member, average wait per agent)
// and checks that each planted story's unit is the extreme of its parent in the last month, and
// of its city over the story months; and that the rest of the front line is as documented.
func TestFrontlineStories(t *testing.T) {
	cfg := synth.Config{Seed: 1, EndMonth: end, Months: 5}
	ms, _ := generate(t, cfg)
	d := decodeAll(t, cfg, ms)
	stories := synth.FrontlineStories(cfg)
	if len(stories) != 3 {
		t.Fatalf("%d front-line stories, want 3", len(stories))
	}
	type sum struct{ n, total float64 }
	cityInsp := map[schema.Month]map[string]*sum{} // month → store → city inspections
	waits := map[schema.Month]map[string]*sum{}    // month → agent → waits
	complaints := map[schema.Month]map[string]int{}
	staffStore := map[string]string{}
	add := func(mm map[schema.Month]map[string]*sum, m schema.Month, k string, v float64) {
		if mm[m] == nil {
			mm[m] = map[string]*sum{}
		}
		if mm[m][k] == nil {
			mm[m][k] = &sum{}
		}
		mm[m][k].n++
		mm[m][k].total += v
	}
	scores := map[string]int{}
	adjustments, voided := map[string]bool{}, map[string]bool{}
	for _, ev := range d.events {
		m := ev.Env().Month
		switch e := ev.(type) {
		case *schema.Inspection:
			if e.PublishedBy == schema.PublisherCity {
				add(cityInsp, m, e.StoreID, e.Score)
			}
			if !strings.HasPrefix(e.StoreID, e.BranchID+"-S") {
				t.Errorf("inspection of %s under %s", e.StoreID, e.BranchID)
			}
		case *schema.HotlineFeedback:
			add(waits, m, e.AgentID, float64(e.WaitSeconds))
		case *schema.StoreFeedback:
			if e.StaffID != "" {
				staffStore[e.StaffID] = e.StoreID
			}
		case *schema.ComplaintOpened:
			if complaints[m] == nil {
				complaints[m] = map[string]int{}
			}
			if e.StaffID != "" {
				complaints[m][e.StaffID]++
				if !strings.HasPrefix(e.StaffID, e.StoreID+"-E") {
					t.Errorf("complaint %s names staff %s of another store than %s", e.ComplaintID, e.StaffID, e.StoreID)
				}
			}
		case *schema.ScoreReported:
			scores[e.Subject.Kind+"/"+e.Component]++
		case *schema.Adjustment:
			adjustments[e.EventID] = true
			if e.Reason == "" || math.Abs(e.Points) > 100 {
				t.Errorf("adjustment %+v", e)
			}
		case *schema.AdjustmentVoid:
			voided[e.TargetEventID] = true
		}
	}
	var want []string
	for kind, cs := range map[string][]string{"store": synth.StoreComponents, "staff": synth.StaffComponents, "manager": synth.ManagerComponents} {
		for _, c := range cs {
			want = append(want, kind+"/"+c)
		}
	}
	for _, k := range want {
		if scores[k] == 0 {
			t.Errorf("no score_reported %s", k)
		}
	}
	if len(voided) != 2 {
		t.Errorf("%d adjustments voided, want 2", len(voided))
	}
	for id := range voided {
		if !adjustments[id] {
			t.Errorf("adjustment_void of %s, which is not generated", id)
		}
	}
	mean := func(s *sum) float64 { return s.total / s.n }
	under := func(unit, parent string) bool { return strings.HasPrefix(unit, parent+"-") }
	for _, s := range stories {
		for m := s.Start; m <= s.Month; m = m.Add(1) {
			switch s.Name {
			case synth.StoryMystery:
				mine := mean(cityInsp[m][s.Unit])
				prev := mean(cityInsp[m.Prev()][s.Unit])
				if mine >= prev-synth.StoryMysteryStep/2 {
					t.Errorf("%v: %s's city inspection %.1f, the month before %.1f: no fall", m, s.Unit, mine, prev)
				}
				if m == s.Month {
					for store, v := range cityInsp[m] {
						if store != s.Unit && mean(v) <= mine {
							t.Errorf("%v: store %s's city inspection %.1f ≤ the planted store's %.1f", m, store, mean(v), mine)
						}
					}
				}
			case synth.StoryClerk:
				mine := complaints[m][s.Unit]
				if mine < synth.StoryClerkMin {
					t.Errorf("%v: %d complaints name %s, want ≥ %d", m, mine, s.Unit, synth.StoryClerkMin)
				}
				for staff, n := range complaints[m] {
					if staff != s.Unit && under(staff, s.City) && n >= mine {
						t.Errorf("%v: %s has %d complaints, the planted clerk %d", m, staff, n, mine)
					}
				}
				if staffStore[s.Unit] != s.Store {
					t.Errorf("%s rated at store %q, want %s", s.Unit, staffStore[s.Unit], s.Store)
				}
			case synth.StorySlowAgent:
				mine := mean(waits[m][s.Unit])
				for agent, w := range waits[m] {
					// Longer than every other agent of the city; in the last month, twice as long.
					limit := mine
					if m == s.Month {
						limit = mine / 2
					}
					if agent != s.Unit && under(agent, s.City) && mean(w) >= limit {
						t.Errorf("%v: agent %s waits %.0f s, the planted agent %.0f s", m, agent, mean(w), mine)
					}
				}
			}
		}
		t.Log(s.Summary)
	}
	// The story's month before its start is ordinary: the store's inspection around 88.
	if s := stories[0]; mean(cityInsp[s.Start.Prev()][s.Unit]) < 75 {
		t.Errorf("%s before the story: %.1f", s.Unit, mean(cityInsp[s.Start.Prev()][s.Unit]))
	}
}
