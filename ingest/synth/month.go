package synth

import (
	"fmt"

	"github.com/csat-dev/csat/schema"
)

// A month is drawn in two levels. Each city's survey wave (and window batch) is drawn until the
// city and its counties pass their checks (the planted stories, the guards). Then the provinces
// and the company, which pool several cities, are checked; a failing province has its cities
// drawn again, a failing company all cities, until everything holds or maxRounds is spent. Only
// then is the month emitted, so one month of survey waves is held in memory.

// maxRounds bounds the redraws of a month for the provinces and the company.
const maxRounds = 200

// uppers lists the province ids and ALL: the branches made of several cities.
func (g *gen) uppers() []string {
	return append(branchIDs(g.tree.provinces), schema.Root)
}

// citiesOf returns the cities under an upper branch.
func (g *gen) citiesOf(up string) []Branch {
	var out []Branch
	for _, c := range g.tree.cities {
		if schema.InSubtree(c.ID, up) {
			out = append(out, c)
		}
	}
	return out
}

// redrawUntil redraws the cities failing(up) names until no upper branch fails; draw redraws one
// city. It returns the last failure ("" when all hold).
func (g *gen) redrawUntil(fail func() (string, string), draw func(Branch)) string {
	for round := 0; ; round++ {
		up, why := fail()
		if why == "" || round == maxRounds {
			return why
		}
		g.sum.Retries++
		for _, c := range g.citiesOf(up) {
			draw(c)
		}
	}
}

// surveyMonth draws, checks, records and emits every city's survey wave of month m.
func (g *gen) surveyMonth(mi int, m schema.Month) error {
	waves := map[string][]response{}
	next := map[string]int{} // next attempt number per city
	draw := func(city Branch) {
		var why string
		for i := 0; i < maxAttempts; i++ {
			waves[city.ID] = g.surveyWave(city, m, next[city.ID])
			next[city.ID]++
			if why = g.acceptWave(city, mi, waves[city.ID]); why == "" {
				break
			}
			if debugHook != nil {
				debugHook(city.ID, m.String(), why)
			}
			g.sum.Retries++
		}
		if why != "" {
			g.sum.Unmet = append(g.sum.Unmet, fmt.Sprintf("%s %v: %s", city.ID, m, why))
		}
	}
	for _, c := range g.tree.cities {
		draw(c)
	}
	upperStats := func(up string) map[string]*carrierStats {
		st := map[string]*carrierStats{}
		for _, c := range Carriers() {
			st[c] = &carrierStats{}
		}
		for _, city := range g.citiesOf(up) {
			for c, s := range waveStats(waves[city.ID], city.ID) {
				st[c].merge(s)
			}
		}
		return st
	}
	why := g.redrawUntil(func() (string, string) {
		for _, up := range g.uppers() {
			if why := g.acceptUpper(up, m, upperStats(up)); why != "" {
				return up, why
			}
		}
		return "", ""
	}, draw)
	if why != "" {
		g.sum.Unmet = append(g.sum.Unmet, fmt.Sprintf("%v: %s", m, why))
	}
	for _, city := range g.tree.cities {
		g.recordWave(city, waves[city.ID])
	}
	for _, up := range g.uppers() {
		st := upperStats(up)
		l, _, _ := lead(st)
		g.leadHist[up] = append(g.leadHist[up], l)
		own := st[OwnCarrier]
		h := g.hist[up]
		for k := 0; k <= nItems; k++ {
			h[k] = append(h[k], own.metric(k))
		}
	}
	for _, city := range g.tree.cities {
		if err := g.emitWave(m, waves[city.ID]); err != nil {
			return err
		}
	}
	return nil
}

// acceptUpper checks a province or the company: no unplanted decline streak (see guard), and its
// lead stays ≥ StoryLeadMargin (the lead_lost story stays in its city) and does not fall three
// months in a row.
func (g *gen) acceptUpper(up string, m schema.Month, st map[string]*carrierStats) string {
	h := g.hist[up]
	for k := 0; k <= nItems; k++ {
		metric := "csi"
		if k < nItems {
			metric = "item:" + items[k]
		}
		if g.exempt(up, metric) {
			continue
		}
		if why := guard(up, metric, append(h[k][:len(h[k]):len(h[k])], st[OwnCarrier].metric(k))); why != "" {
			return why
		}
	}
	l, _, ok := lead(st)
	if ok && l.v < StoryLeadMargin {
		return fmt.Sprintf("unplanted lead %.2f at %s %v", l.v, up, m)
	}
	return g.leadGuard(up, l)
}

// windowMonth draws, checks, records and emits the hotline and store ratings of month m. The
// window satisfaction has no story: no branch may show a decline streak of it.
func (g *gen) windowMonth(mi int, m schema.Month) error {
	batches := map[string][][]windowMsg{}
	next := map[string]int{}
	draw := func(city Branch) {
		counties := g.tree.counties[city.ID]
		var why string
		for i := 0; i < maxAttempts; i++ {
			var batch [][]windowMsg
			for _, c := range counties {
				batch = append(batch, g.windowCounty(city, c, m, next[city.ID]))
			}
			next[city.ID]++
			batches[city.ID] = batch
			why = ""
			for _, b := range append(counties, city) {
				if why = g.windowGuard(b.ID, windowRatios(city, counties, batch)[b.ID]); why != "" {
					break
				}
			}
			if why == "" {
				break
			}
			g.sum.Retries++
		}
		if why != "" {
			g.sum.Unmet = append(g.sum.Unmet, fmt.Sprintf("%s %v: %s", city.ID, m, why))
		}
	}
	for _, c := range g.tree.cities {
		draw(c)
	}
	ratios := func() map[string]ratio {
		out := map[string]ratio{}
		for _, city := range g.tree.cities {
			for b, r := range windowRatios(city, g.tree.counties[city.ID], batches[city.ID]) {
				out[b] = r
			}
			for _, up := range []string{province(city.ID), schema.Root} {
				r, c := out[up], out[city.ID]
				out[up] = ratio{r.sat + c.sat, r.n + c.n}
			}
		}
		return out
	}
	why := g.redrawUntil(func() (string, string) {
		rs := ratios()
		for _, up := range g.uppers() {
			if why := g.windowGuard(up, rs[up]); why != "" {
				return up, why
			}
		}
		return "", ""
	}, draw)
	if why != "" {
		g.sum.Unmet = append(g.sum.Unmet, fmt.Sprintf("%v: %s", m, why))
	}
	for b, r := range ratios() {
		g.whist[b] = append(g.whist[b], r.val())
	}
	for _, city := range g.tree.cities {
		for _, msgs := range batches[city.ID] {
			for _, w := range msgs {
				if err := g.send(w.t, w.branch, w.v, w.resend); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

var debugHook func(city, m, why string)
