package stat_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat"
)

func TestPValueOneSided(t *testing.T) {
	for _, c := range []struct{ z, want float64 }{
		{0, 0.5},
		{1.959963984540054, 0.025},
		{1.6448536269514722, 0.05},
		{-1.6448536269514722, 0.95},
		{3.090232306167813, 0.001},
		{math.Inf(1), 0},
		{math.NaN(), math.NaN()},
	} {
		checkNear(t, "PValueOneSided", stat.PValueOneSided(c.z), c.want, 1e-12)
	}
}

// TestBHWorkedExample is the example of Benjamini & Hochberg (1995, §4.3): 15 p-values from a
// study of myocardial infarction treatments. At q* = 0.05 the step-up procedure compares p₍ᵢ₎
// with 0.05·i/15: p₍₄₎ = 0.0095 ≤ 0.0133 is the largest that passes (p₍₅₎ = 0.0201 > 0.0167 …
// p₍₉₎ = 0.0459 > 0.03), so the first 4 are rejected, as the paper reports.
//
// Adjusted values by hand, p₍ᵢ₎·15/i, then the running minimum from the top:
//
//	i  p       p·15/i     q
//	1  0.0001  0.0015     0.0015
//	2  0.0004  0.003      0.003
//	3  0.0019  0.0095     0.0095
//	4  0.0095  0.035625   0.035625
//	5  0.0201  0.0603     0.0603
//	6  0.0278  0.0695     0.0638571 (= q₇)
//	7  0.0298  0.0638571  0.0638571
//	8  0.0344  0.0645     0.0645
//	9  0.0459  0.0765     0.0765
//	10 0.3240  0.486      0.486
//	11 0.4262  0.5811818  0.5811818
//	12 0.5719  0.714875   0.714875
//	13 0.6528  0.7532308  0.7532308
//	14 0.7590  0.8132143  0.8132143
//	15 1.0000  1          1
func TestBHWorkedExample(t *testing.T) {
	p := []float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
		0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000}
	want := []float64{0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0298 * 15 / 7, 0.0298 * 15 / 7,
		0.0645, 0.0765, 0.486, 0.4262 * 15 / 11, 0.714875, 0.6528 * 15 / 13, 0.7590 * 15 / 14, 1}
	// Shuffle to check that the order of the input is kept.
	perm := rand.New(rand.NewPCG(1, 2)).Perm(len(p))
	ps, ws := make([]float64, len(p)), make([]float64, len(p))
	for i, j := range perm {
		ps[i], ws[i] = p[j], want[j]
	}
	q := stat.BHQValues(ps)
	rejected := 0
	for i := range q {
		checkNear(t, "q", q[i], ws[i], 1e-12)
		if q[i] <= 0.05 {
			rejected++
			if ps[i] > 0.0095 {
				t.Errorf("p = %v rejected", ps[i])
			}
		}
	}
	if rejected != 4 {
		t.Errorf("rejected %d, want 4", rejected)
	}
}

func TestBHQValuesEdges(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		p      []float64
		family int
		want   []float64
	}{
		{"empty", nil, 0, []float64{}},
		{"one", []float64{0.03}, 0, []float64{0.03}},
		// Ties: p·m/i for i = 1, 2 is 0.02, 0.01 → both 0.01 (as R's p.adjust "BH").
		{"ties", []float64{0.01, 0.01}, 0, []float64{0.01, 0.01}},
		{"ties and more", []float64{0.04, 0.01, 0.04, 0.5}, 0, []float64{0.16 / 3, 0.04, 0.16 / 3, 0.5}},
		{"cap", []float64{0.9, 0.8}, 0, []float64{0.9, 0.9}},
		{"nan is no test", []float64{nan, 0.01, 0.02}, 0, []float64{nan, 0.02, 0.02}},
		// A family of 100 watched series of which 2 fired: q = p·100/i.
		{"family", []float64{0.0001, 0.004}, 100, []float64{0.01, 0.2}},
		{"family below count", []float64{0.01, 0.02}, 1, []float64{0.02, 0.02}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := stat.BHQValuesFamily(c.p, c.family)
			if len(q) != len(c.want) {
				t.Fatalf("len %d, want %d", len(q), len(c.want))
			}
			for i := range q {
				checkNear(t, "q", q[i], c.want[i], 1e-12)
			}
		})
	}
}

// TestBHProperties: q ≥ p, q ≤ 1, q is monotone in p, and adding untested hypotheses to the
// family never lowers a q.
func TestBHProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(40)
		p := make([]float64, n)
		for i := range p {
			p[i] = math.Pow(r.Float64(), 1+4*r.Float64())
			if r.IntN(5) == 0 && i > 0 {
				p[i] = p[i-1] // ties
			}
		}
		q := stat.BHQValues(p)
		qf := stat.BHQValuesFamily(p, n+r.IntN(100))
		for i := range p {
			if q[i] < p[i]-1e-15 || q[i] > 1 || qf[i] < q[i]-1e-15 {
				t.Fatalf("p %v q %v family %v", p[i], q[i], qf[i])
			}
			for j := range p {
				if p[i] < p[j] && q[i] > q[j]+1e-15 {
					t.Fatalf("not monotone: p %v < %v but q %v > %v", p[i], p[j], q[i], q[j])
				}
			}
		}
	}
}

func TestCalibrationApply(t *testing.T) {
	c := stat.DefaultCalibration()
	tests := []stat.Test{
		{P: 0.0001, Drop: 5},      // q = 0.0003: significant
		{P: 0.0002, Drop: 2.5},    // q = 0.0003 but a drop below 3 points
		{P: 0.04, Drop: 8},        // q = 0.04·3/3 = 0.04: significant
		{P: math.NaN(), Drop: 10}, // no p-value
	}
	got := c.Apply(tests, 0)
	want := []bool{true, false, true, false}
	for i := range got {
		if got[i].Significant != want[i] {
			t.Errorf("test %d: significant %v (q %v), want %v", i, got[i].Significant, got[i].Q, want[i])
		}
	}
	// In a family of 100 watched series: q = 0.01, 0.01, 1 (0.04·100/3 capped).
	if v := c.Apply(tests, 100); v[2].Significant || !v[0].Significant {
		t.Errorf("family 100: %+v", v)
	}
}
