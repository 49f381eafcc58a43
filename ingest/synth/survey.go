package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/csat-dev/csat/schema"
)

// response is one generated survey interview before it is encoded.
type response struct {
	unit, carrier string
	seq           int
	at            time.Time
	wave          bool // carries an explicit wave
	weight        float64
	segment       string
	overall       int8
	items         [nItems]int8 // 0: not answered
	void          bool         // retracted by a survey_void
	voidFirst     bool         // the void is emitted before the response
	voidAt        time.Time
	resend        bool // emitted twice
}

// sampleSize is the number of interviews of carrier c in unit for one wave: dozens per county,
// fewer for competitors, and a direct sample per city whose respondents the vendor did not place in
// a county.
func (g *gen) sampleSize(r *rand.Rand, unit, carrier string) int {
	direct := schema.Level(unit) == 2
	switch {
	case carrier == OwnCarrier && unit == g.plan.noise:
		return 32 + r.IntN(4)
	case carrier == OwnCarrier && direct:
		return 20 + r.IntN(21)
	case carrier == OwnCarrier:
		return 36 + r.IntN(25)
	case direct:
		return 8 + r.IntN(8)
	case carrier == RivalCarrier:
		return 14 + r.IntN(9)
	default:
		return 12 + r.IntN(9)
	}
}

var (
	segments       = []string{"high", "mid", "low"}
	segmentShare   = []float64{0.15, 0.35, 0.50}
	segmentWeights = map[string]float64{"high": 0.6, "mid": 0.9, "low": 1.25, "": 1}
)

// surveyWave generates one city's wave (its counties' and its direct interviews, all carriers) for
// month m; attempt selects an independent draw. The noise story's county keeps the own-carrier
// interviews of its story path (noiseWave) in the story months.
func (g *gen) surveyWave(city Branch, m schema.Month, attempt int) []response {
	r := g.rng("survey", city.ID, m.String(), strconv.Itoa(attempt))
	units := append([]string(nil), branchIDs(g.tree.counties[city.ID])...)
	units = append(units, city.ID)
	var out []response
	for _, u := range units {
		for _, c := range Carriers() {
			n := g.sampleSize(r, u, c)
			if fixed, ok := g.noisePath[m]; ok && u == g.plan.noise && c == OwnCarrier {
				out = append(out, fixed...)
				continue
			}
			out = append(out, g.interviews(r, u, c, m, n)...)
		}
	}
	return out
}

// interviews generates n interviews of carrier c's customers in unit for wave m.
func (g *gen) interviews(r *rand.Rand, u, c string, m schema.Month, n int) []response {
	start := monthStart(m)
	days := int(start.AddDate(0, 1, 0).Sub(start).Hours() / 24)
	var mean [nItems]float64
	for k := range mean {
		mean[k] = g.mean(u, c, k, m)
	}
	out := make([]response, 0, n)
	for i := 0; i < n; i++ {
		resp := response{unit: u, carrier: c, seq: i + 1}
		day := r.IntN(days - 1) // fieldwork ends a day before month end
		resp.at = start.AddDate(0, 0, day).Add(time.Duration(9*3600+r.IntN(12*3600)) * time.Second)
		resp.wave = r.Float64() < 0.85
		if r.Float64() < 0.9 {
			resp.segment = pick(r, segments, segmentShare)
		}
		resp.weight = math.Round(segmentWeights[resp.segment]*(0.85+0.3*r.Float64())*1000) / 1000
		mood := r.NormFloat64() * sdRespondent
		sum, cnt := 0.0, 0
		for k := range mean {
			if r.Float64() < answerRate[k] {
				resp.items[k] = clampAnswer(mean[k] + mood + r.NormFloat64()*sdAnswer)
			}
			sum += mean[k]
			cnt++
		}
		if r.Float64() < 0.95 {
			resp.overall = clampAnswer(sum/float64(cnt) + mood + r.NormFloat64()*0.7)
		}
		if !hasAnswer(resp.items) && resp.overall == 0 {
			resp.overall = clampAnswer(sum/float64(cnt) + mood)
		}
		// A few interviews fail the vendor's quality control and are voided later; never in the
		// small-sample story county, whose n is tuned.
		if u != g.plan.noise && r.Float64() < 0.006 {
			resp.void = true
			resp.voidFirst = r.Float64() < 0.5
			resp.voidAt = resp.at.Add(time.Duration(2*86400+r.IntN(8*86400)) * time.Second)
			if resp.voidAt.After(g.end) {
				resp.voidAt = g.end
			}
		}
		resp.resend = r.Float64() < 0.003
		out = append(out, resp)
	}
	return out
}

// planNoisePath draws, once, the own-carrier interviews of the noise story's county for the
// story months — the month before the start (when generated), the start month and the three falls
// — as one path, until the path is the story: n of 30–35 each month, the start not below the
// month before it, each later month's CSI at least StoryNoiseMinFall below the previous, a total
// drop ≥ StoryNoiseMinDrop and a z below StoryNoiseMaxZ. Drawing the path as a whole keeps an
// early lucky month from making the later ones impossible.
func (g *gen) planNoisePath() {
	first := max(g.plan.last.Add(-4), g.months[0])
	var path map[schema.Month][]response
	var why string
	for attempt := 0; attempt < maxAttempts*4; attempt++ {
		r := g.rng("noise-path", g.plan.noise, strconv.Itoa(attempt))
		path = map[schema.Month][]response{}
		var vals []val
		for m := first; m <= g.plan.last; m = m.Add(1) {
			path[m] = g.interviews(r, g.plan.noise, OwnCarrier, m, 32+r.IntN(4))
			st := carrierStats{}
			for i := range path[m] {
				st.add(&path[m][i])
			}
			vals = append(vals, st.metric(nItems))
		}
		if why = noisePathCheck(vals); why == "" {
			break
		}
		g.sum.Retries++
	}
	if why != "" {
		g.sum.Unmet = append(g.sum.Unmet, fmt.Sprintf("%s %v: %s", g.plan.noise, first, why))
	}
	g.noisePath = path
}

// noisePathCheck checks the CSI of the noise story's path: vals ends with the start month and the
// three falls, and may begin with the month before the start.
func noisePathCheck(vals []val) string {
	for _, v := range vals {
		if v.n < MinSample || v.n > 35 {
			return fmt.Sprintf("story noise: n=%d", v.n)
		}
	}
	if len(vals) == 5 {
		if vals[1].v < vals[0].v {
			return "story noise: start month falls"
		}
		vals = vals[1:]
	}
	for i := 1; i < len(vals); i++ {
		if !(vals[i].v <= vals[i-1].v-StoryNoiseMinFall) {
			return fmt.Sprintf("story noise: fall %.2f at step %d", vals[i-1].v-vals[i].v, i)
		}
	}
	s, e := vals[0], vals[len(vals)-1]
	if drop, z := s.v-e.v, (s.v-e.v)/math.Hypot(s.se, e.se); drop < StoryNoiseMinDrop || z >= StoryNoiseMaxZ {
		return fmt.Sprintf("story noise: drop %.2f z %.2f", drop, z)
	}
	return ""
}

func hasAnswer(it [nItems]int8) bool {
	for _, x := range it {
		if x > 0 {
			return true
		}
	}
	return false
}

func branchIDs(bs []Branch) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

// acc accumulates the weighted sums of SPEC §3.2.
type acc struct {
	n                  int
	sw, swx, swx2, sw2 float64
}

func (a *acc) add(w, x float64) {
	a.n++
	a.sw += w
	a.swx += w * x
	a.swx2 += w * x * x
	a.sw2 += w * w
}

func (a acc) mean() float64 { return a.swx / a.sw }

func (a acc) se() float64 {
	if a.n < 2 {
		return math.NaN()
	}
	m := a.mean()
	s2 := math.Max(a.swx2/a.sw-m*m, 0)
	neff := a.sw * a.sw / a.sw2
	return math.Sqrt(s2 / neff)
}

func (a *acc) merge(o acc) {
	a.n += o.n
	a.sw += o.sw
	a.swx += o.swx
	a.swx2 += o.swx2
	a.sw2 += o.sw2
}

// val is one KPI value with its standard error and sample size; n = 0 means absent.
type val struct {
	v, se float64
	n     int
}

func (v val) reportable() bool { return v.n >= MinSample }

// carrierStats are one carrier's item and composite accumulators over a set of responses.
type carrierStats struct {
	items [nItems]acc
	csi   acc
}

func (s *carrierStats) add(r *response) {
	sum, cnt := 0.0, 0
	for k, x := range r.items {
		if x > 0 {
			xp := float64(x-1) * 100 / 9
			s.items[k].add(r.weight, xp)
			sum += xp
			cnt++
		}
	}
	if cnt > 0 {
		s.csi.add(r.weight, sum/float64(cnt))
	}
}

func (s *carrierStats) merge(o *carrierStats) {
	if o == nil {
		return
	}
	for k := range s.items {
		s.items[k].merge(o.items[k])
	}
	s.csi.merge(o.csi)
}

// metric returns item k's value, or the CSI for k == nItems.
func (s *carrierStats) metric(k int) val {
	if k < nItems {
		a := s.items[k]
		if a.n == 0 {
			return val{}
		}
		return val{a.mean(), a.se(), a.n}
	}
	sum, cnt := 0.0, 0
	for _, a := range s.items {
		if a.n > 0 {
			sum += a.mean()
			cnt++
		}
	}
	if cnt == 0 {
		return val{}
	}
	return val{sum / float64(cnt), s.csi.se(), s.csi.n}
}

// waveStats aggregates a wave's non-voided responses for branch (its whole subtree), per carrier.
func waveStats(wave []response, branch string) map[string]*carrierStats {
	out := map[string]*carrierStats{}
	for i := range wave {
		r := &wave[i]
		if r.void || !schema.InSubtree(r.unit, branch) {
			continue
		}
		s := out[r.carrier]
		if s == nil {
			s = &carrierStats{}
			out[r.carrier] = s
		}
		s.add(r)
	}
	return out
}

// lead is SPEC §3.5's lead of the own CSI over the best reportable competitor, with its SE
// (moe95 / 1.96); ok is false when it is null.
func lead(st map[string]*carrierStats) (v val, best string, ok bool) {
	own := st[OwnCarrier]
	if own == nil {
		return val{}, "", false
	}
	o := own.metric(nItems)
	if !o.reportable() {
		return val{}, "", false
	}
	var b val
	for _, c := range Carriers()[1:] {
		s := st[c]
		if s == nil {
			continue
		}
		if cv := s.metric(nItems); cv.reportable() && (best == "" || cv.v > b.v) {
			b, best = cv, c
		}
	}
	if best == "" {
		return val{}, "", false
	}
	return val{v: o.v - b.v, se: math.Hypot(o.se, b.se), n: MinSample}, best, true
}

// streak is SPEC §3.11's decline streak ending at the last value, and its z.
func streak(vals []val) (k int, z float64) {
	m := len(vals) - 1
	for i := m; i > 0; i-- {
		if !vals[i].reportable() || !vals[i-1].reportable() || !(vals[i].v < vals[i-1].v) {
			break
		}
		k++
	}
	if k == 0 {
		return 0, 0
	}
	s, e := vals[m-k], vals[m]
	return k, (s.v - e.v) / math.Hypot(s.se, e.se)
}

// history is a branch's own-carrier values so far: items then CSI, one val per generated month.
type history [nItems + 1][]val

// acceptWave checks a candidate wave of city at month index mi against the planted stories and
// the guards, and returns why it is rejected ("" when accepted).
func (g *gen) acceptWave(city Branch, mi int, wave []response) string {
	m := g.months[mi]
	sp := g.plan
	last := sp.last
	branches := append(branchIDs(g.tree.counties[city.ID]), city.ID)
	for _, b := range branches {
		st := waveStats(wave, b)
		own := st[OwnCarrier]
		if own == nil {
			own = &carrierStats{}
		}
		h := g.hist[b]
		for k := 0; k <= nItems; k++ {
			vals := append(h[k][:len(h[k]):len(h[k])], own.metric(k))
			metric := "csi"
			if k < nItems {
				metric = "item:" + items[k]
			}
			if why := g.storyCheck(b, metric, m, vals); why != "" {
				return why
			}
			if g.exempt(b, metric) {
				continue
			}
			if why := guard(b, metric, vals); why != "" {
				return why
			}
		}
		lv, best, ok := lead(st)
		if why := g.leadGuard(b, lv); why != "" {
			return why
		}
		if b != city.ID {
			continue
		}
		l := lv.v
		switch {
		case b == sp.leadLost && m == last:
			if !ok || l > -StoryLeadMargin || best != RivalCarrier {
				return fmt.Sprintf("story lead_lost: lead %.2f (%s, %v) in %v", l, best, ok, m)
			}
		case b == sp.leadLost && m == last.Prev():
			// Not a fall either, so the lead's fall in the last month starts no decline streak.
			h := g.leadHist[b]
			if !ok || l < StoryLeadMargin || len(h) > 0 && h[len(h)-1].reportable() && l < h[len(h)-1].v {
				return fmt.Sprintf("story lead_lost: lead %.2f (%v) in %v", l, ok, m)
			}
		case ok && l < StoryLeadMargin:
			return fmt.Sprintf("unplanted lead %.2f at %s %v", l, b, m)
		}
	}
	return ""
}

// leadGuard rejects any decline streak of the lead (lead_lost is a story; a lead falling three
// months in a row is not).
func (g *gen) leadGuard(b string, l val) string {
	h := g.leadHist[b]
	if n, z := streak(append(h[:len(h):len(h)], l)); n >= 3 {
		return fmt.Sprintf("unplanted lead decline streak %s z=%.2f", b, z)
	}
	return ""
}

// guard rejects an unplanted decline streak: any significant one, and for the CSI any at all, so
// that the planted stories stand out; sampling noise still gives items a few watch streaks.
func guard(b, metric string, vals []val) string {
	n, z := streak(vals)
	if n >= 3 && (z >= 1.96 || metric == "csi") {
		return fmt.Sprintf("unplanted decline streak %s %s z=%.2f", b, metric, z)
	}
	return ""
}

// exempt reports whether the guard leaves (branch, metric) alone because a story moves it: the
// declining item in the decline story's city, its counties and its ancestors, and the CSI in the
// city and its counties; every metric of the noise story's county.
func (g *gen) exempt(b, metric string) bool {
	sp := g.plan
	switch {
	case sp.decline != "" && schema.InSubtree(b, sp.decline):
		return metric == "csi" || metric == "item:"+StoryDeclineItem
	case sp.decline != "" && schema.InSubtree(sp.decline, b):
		return metric == "item:"+StoryDeclineItem
	case sp.noise != "" && b == sp.noise:
		return true
	}
	return false
}

// storyCheck checks the decline story on vals (ending at month m) for branch b: its start month
// is not a fall, then three falls of at least StoryDeclineMinFall. (The noise story is held by
// its path, planNoisePath.)
func (g *gen) storyCheck(b, metric string, m schema.Month, vals []val) string {
	sp := g.plan
	step := monthsBetween(sp.last.Add(-3), m)
	if step < 0 || step > 3 || b != sp.decline || metric != "item:"+StoryDeclineItem {
		return ""
	}
	cur := vals[len(vals)-1]
	if !cur.reportable() {
		return fmt.Sprintf("story %s %s: n=%d in %v", b, metric, cur.n, m)
	}
	if step == 0 {
		// The streak must start here: not a fall from the month before.
		if len(vals) >= 2 && vals[len(vals)-2].reportable() && cur.v < vals[len(vals)-2].v {
			return fmt.Sprintf("story %s %s: start month %v falls", b, metric, m)
		}
		return ""
	}
	if prev := vals[len(vals)-2]; !(cur.v <= prev.v-StoryDeclineMinFall) {
		return fmt.Sprintf("story %s %s: fall %.2f < %.2f in %v", b, metric, prev.v-cur.v, StoryDeclineMinFall, m)
	}
	return ""
}

// recordWave appends the accepted wave's own values to the histories of city and its counties.
func (g *gen) recordWave(city Branch, wave []response) {
	for _, b := range append(branchIDs(g.tree.counties[city.ID]), city.ID) {
		st := waveStats(wave, b)
		l, _, _ := lead(st)
		g.leadHist[b] = append(g.leadHist[b], l)
		own := st[OwnCarrier]
		if own == nil {
			own = &carrierStats{}
		}
		h := g.hist[b]
		if h == nil {
			h = &history{}
			g.hist[b] = h
		}
		for k := 0; k <= nItems; k++ {
			h[k] = append(h[k], own.metric(k))
		}
	}
}
