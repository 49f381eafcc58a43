package bench

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/csat-dev/csat/schema"
)

// hierarchy is the generated national organisation: 31 provinces, ~370 cities, ~3,000 counties.
type hierarchy struct {
	provinces []string
	cities    []string
	counties  []string
	weight    []float64 // relative size of each county (events are drawn in proportion)
	cum       []float64 // cumulative weights for drawing
	mean      []float64 // each county's satisfaction level on the 1–10 scale
	slope     []float64 // each county's monthly drift of that level
}

func newHierarchy(r *rand.Rand) *hierarchy {
	h := &hierarchy{}
	for p := 1; p <= 31; p++ {
		prov := fmt.Sprintf("P%02d", p)
		h.provinces = append(h.provinces, prov)
		provSlope := (r.Float64() - 0.5) * 0.2
		nc := 8 + (p*7)%9 // 8–16 cities, ~12 on average
		for c := 1; c <= nc; c++ {
			city := fmt.Sprintf("%s-C%02d", prov, c)
			h.cities = append(h.cities, city)
			nd := 6 + (p+c)%5 // 6–10 counties, ~8 on average
			for d := 1; d <= nd; d++ {
				h.counties = append(h.counties, fmt.Sprintf("%s-D%02d", city, d))
				h.weight = append(h.weight, 0.3+r.ExpFloat64())
				h.mean = append(h.mean, 6.8+r.NormFloat64()*0.6)
				h.slope = append(h.slope, provSlope+(r.Float64()-0.5)*0.1)
			}
		}
	}
	var s float64
	for _, w := range h.weight {
		s += w
		h.cum = append(h.cum, s)
	}
	return h
}

// county draws a county index in proportion to the county weights.
func (h *hierarchy) county(r *rand.Rand) int {
	x := r.Float64() * h.cum[len(h.cum)-1]
	lo, hi := 0, len(h.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if h.cum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// score draws an answer on the 1–10 scale around the county's level in month index mi.
func (h *hierarchy) score(r *rand.Rand, county, mi int, offset float64) uint8 {
	x := h.mean[county] + h.slope[county]*float64(mi) + offset + r.NormFloat64()*1.8
	return uint8(math.Max(1, math.Min(10, math.Round(x))))
}

// rating draws a 1–5 rating.
func (h *hierarchy) rating(r *rand.Rand, county, mi int) uint8 {
	x := (h.mean[county]+h.slope[county]*float64(mi))/2 + r.NormFloat64()*1.1
	return uint8(math.Max(1, math.Min(5, math.Round(x))))
}

// month returns the schema month of month index mi (0 = the first month).
func (c Config) month(mi int) schema.Month {
	return c.LastMonth.Add(mi - c.Months + 1)
}
