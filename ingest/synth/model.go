package synth

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/csat-dev/csat/schema"
)

// The survey model, on the raw 1–10 scale: an answer is round(mean + respondent + noise), clamped.

// items is the default catalog's item codes of SPEC §1, in catalog order (a test checks them
// against schema.DefaultCatalog).
var items = [nItems]string{"network", "voice", "data", "tariff", "billing", "store", "hotline", "online", "brand", "complaint"}

const nItems = 10

var (
	// itemMean is the own carrier's mean answer per item before rounding and clamping to 1–10:
	// a company CSI around 81, tariffs and complaint handling the short planks.
	itemMean = [nItems]float64{8.6, 8.8, 8.3, 7.6, 8.1, 8.7, 8.6, 8.2, 8.9, 7.4}
	// answerRate is the share of respondents who answer each item (not everyone called the hotline
	// or had a complaint handled).
	answerRate = [nItems]float64{0.98, 0.98, 0.95, 0.97, 0.93, 0.80, 0.70, 0.75, 0.96, 0.35}
	// carrierOffset is each competitor's offset from the own carrier, in general and per item
	// (competitors are a bit lower, but better on tariffs).
	carrierGeneral = map[string]float64{"cmcc": 0, "ctcc": -0.38, "cucc": -0.55}
	carrierItem    = map[string][nItems]float64{
		"ctcc": {0, 0, -0.1, 0.25, 0, -0.1, 0, 0, 0, 0},
		"cucc": {-0.15, 0, 0, 0.3, 0, 0, 0, 0, -0.1, 0},
	}
	// seasonGeneral is a small effect of single calendar months: the Spring Festival dip in
	// February, the summer peak in August, promotions in November. Each is one month's blip, never
	// a run of falls, so seasonality alone starts no decline streak.
	// They are small (a fraction of a point) so that at company level, where the sampling error is
	// smallest, a dip month is likely but not certain to fall.
	seasonGeneral = [13]float64{2: -0.02, 8: -0.015, 11: 0.01}
	// seasonNetwork adds congestion to network and data in the holiday and summer peaks.
	seasonNetwork = [13]float64{2: -0.03, 8: -0.04}
)

const (
	sdRespondent = 0.85 // respondent's general mood, shared by all their answers
	sdAnswer     = 0.95 // item-level noise
	sdCityEffect = 0.12
	sdCounty     = 0.15
	sdItemEffect = 0.08
)

// rng returns a generator seeded from the config seed and the labels, so each part of the stream
// (a branch's month of surveys, of hotline ratings, ...) is independent of generation order.
func (g *gen) rng(labels ...string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatInt(g.cfg.Seed, 10)))
	for _, l := range labels {
		h.Write([]byte{0})
		h.Write([]byte(l))
	}
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// effect is a branch's persistent deviation for one carrier: general plus per item. A county
// inherits its city's effect and adds its own. A competitor shares the own carrier's effect (the
// same market, the same towers and shops nearby) plus a small deviation of its own, so a city's
// lead over it varies by a point or two around its average.
type effect struct {
	general float64
	item    [nItems]float64
}

func (g *gen) effect(branch, carrier string) effect {
	key := branch + "/" + carrier
	if e, ok := g.effects[key]; ok {
		return e
	}
	r := g.rng("effect", branch, carrier)
	var e effect
	switch {
	case carrier != OwnCarrier:
		e = g.effect(branch, OwnCarrier)
		e.general += r.NormFloat64() * 0.05
		for k := range e.item {
			e.item[k] += r.NormFloat64() * 0.05
		}
	default:
		sd := sdCityEffect
		if schema.Level(branch) >= 3 {
			e = g.effect(schema.Parent(branch), carrier)
			sd = sdCounty
		}
		e.general += r.NormFloat64() * sd
		for k := range e.item {
			e.item[k] += r.NormFloat64() * sdItemEffect
		}
	}
	g.effects[key] = e
	return e
}

// mean is the expected raw answer for item k of a respondent of carrier c in unit (a county, or a
// city for direct responses) and month m, planted stories included.
func (g *gen) mean(unit, carrier string, k int, m schema.Month) float64 {
	e := g.effect(unit, carrier)
	v := itemMean[k] + carrierGeneral[carrier] + carrierItem[carrier][k] + e.general + e.item[k] +
		seasonGeneral[m.Mon()]
	if items[k] == "network" || items[k] == "data" {
		v += seasonNetwork[m.Mon()]
	}
	sp := g.plan
	step := monthsBetween(sp.last.Add(-3), m) // 1, 2, 3 in the three story months
	if step < 0 || step > 3 {
		step = 0
	}
	if carrier == OwnCarrier {
		if sp.decline != "" && schema.InSubtree(unit, sp.decline) && items[k] == StoryDeclineItem {
			v -= 0.7 * float64(step)
		}
		if sp.noise != "" && unit == sp.noise {
			v -= 0.13 * float64(step)
		}
	}
	if carrier == RivalCarrier && sp.leadLost != "" && schema.InSubtree(unit, sp.leadLost) {
		// The rival is close (a lead of about 2.4 points) and overtakes in the last month, by about
		// 3 points: the rival improves, our scores stay where they were.
		v += 0.16 - e.general + g.effect(unit, OwnCarrier).general
		if m == sp.last {
			v += 0.5
		}
	}
	return v
}

func monthsBetween(a, b schema.Month) int {
	return (b.Year()*12 + b.Mon()) - (a.Year()*12 + a.Mon())
}

func clampAnswer(v float64) int8 {
	x := math.Round(v)
	if x < 1 {
		x = 1
	}
	if x > 10 {
		x = 10
	}
	return int8(x)
}

// poisson draws a Poisson variate (normal approximation above 60).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 60 {
		v := math.Round(lambda + r.NormFloat64()*math.Sqrt(lambda))
		if v < 0 {
			return 0
		}
		return int(v)
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// pick returns one of choices with the given weights.
func pick(r *rand.Rand, choices []string, weights []float64) string {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	u := r.Float64() * total
	for i, w := range weights {
		if u < w {
			return choices[i]
		}
		u -= w
	}
	return choices[len(choices)-1]
}
