package approx

import "testing"

func TestDiff(t *testing.T) {
	type card struct {
		Unit string
		CSI  *float64
	}
	f := func(v float64) *float64 { return &v }
	a := []card{{"M1", f(77.77777777777777)}, {"M2", nil}}
	if d := Diff(a, []card{{"M1", f(77.77777777777779)}, {"M2", nil}}); d != "" {
		t.Errorf("floats a last bit apart: %s", d)
	}
	for _, b := range [][]card{{{"M1", f(77.8)}, {"M2", nil}}, {{"M1", f(77.77777777777777)}, {"M2", f(0)}}, {{"M1", f(77.77777777777777)}}} {
		if Diff(a, b) == "" {
			t.Errorf("%+v and %+v: no difference found", a, b)
		}
	}
}
