package kpi_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

const tol = 1e-9

// eq returns the moments of n responses of weight 1 with the given mean and (population) sd:
// Σw = Σw² = n, Σw·x = n·mean, Σw·x² = n·(sd² + mean²); so S = mean, s = sd, n_eff = n and
// SE = sd / √n.
func eq(n uint64, mean, sd float64) kpi.Moments {
	f := float64(n)
	return kpi.Moments{N: n, SW: f, SW2: f, SWX: f * mean, SWX2: f * (sd*sd + mean*mean)}
}

// wx is one response: an answer x on 0–100 and its weight w.
type wx struct{ x, w float64 }

// moments sums responses into Moments.
func moments(rs ...wx) kpi.Moments {
	var m kpi.Moments
	for _, r := range rs {
		m = m.Add(kpi.Moments{N: 1, SW: r.w, SW2: r.w * r.w, SWX: r.w * r.x, SWX2: r.w * r.x * r.x})
	}
	return m
}

func fp(v float64) *float64 { return &v }

func sp(s string) *string { return &s }

func fmtp[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// checkF fails unless got and want are both nil or within tol of each other.
func checkF(t testing.TB, what string, got, want *float64) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && math.Abs(*got-*want) > tol*math.Max(1, math.Abs(*want))) {
		t.Errorf("%s = %s, want %s", what, fmtp(got), fmtp(want))
	}
}

// testCatalog is five items a–e; weights as given (1 when omitted), a and b key items.
func testCatalog(weights ...float64) schema.Catalog {
	var c schema.Catalog
	for i, code := range []string{"a", "b", "c", "d", "e"} {
		w := 1.0
		if i < len(weights) {
			w = weights[i]
		}
		c.Items = append(c.Items, schema.Item{Code: code, Name: code, Weight: w, Key: i < 2})
	}
	return c
}

func mustMonth(t testing.TB, s string) schema.Month {
	t.Helper()
	m, err := schema.ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
