package stat_test

import (
	"math"
	"testing"
)

// near reports whether got is within tol of want (absolute), or both are NaN.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol
}

func checkNear(t testing.TB, name string, got, want, tol float64) {
	t.Helper()
	if !near(got, want, tol) {
		t.Errorf("%s = %.10g, want %.10g (±%g)", name, got, want, tol)
	}
}
