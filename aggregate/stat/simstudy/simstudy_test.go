package simstudy_test

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate/stat/simstudy"
)

func small(seed uint64) simstudy.Config {
	cfg := simstudy.DefaultConfig()
	cfg.Seed, cfg.Series, cfg.Months = seed, 80, 8
	cfg.CityN = [2]int{150, 170}
	cfg.EWMA.Baseline = 4
	return cfg
}

// TestDeterministic: the same seed gives the same figures and the same table; another seed
// other figures.
func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	ra, err := simstudy.Run(small(7), &a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := simstudy.Run(small(7), &b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ra, rb) || a.String() != b.String() {
		t.Fatalf("same seed, different results:\n%s\n%s", a.String(), b.String())
	}
	rc, err := simstudy.Run(small(8), &c)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(ra, rc) {
		t.Error("seeds 7 and 8 gave the same figures")
	}
	for _, want := range []string{"plain", "recommended", "month", "total", "power"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, a.String())
		}
	}
	// Shape: a rule cannot fire before it has its months; counts are within the series.
	for _, r := range simstudy.Rules() {
		fa := ra.FalseAlerts[r]
		if len(fa) != 8 {
			t.Fatalf("%s: %d months", r, len(fa))
		}
		for m, v := range fa {
			if v > 80 || (m < 3 && v != -1) {
				t.Errorf("%s month %d: %d", r, m+1, v)
			}
		}
		if p := ra.Power[r]; p < 0 || p > 1 {
			t.Errorf("%s power %v", r, p)
		}
	}
	if ra.Falling != 40 || ra.FallingSparse != 4 {
		t.Errorf("falling %d, sparse %d; want 40 and 4", ra.Falling, ra.FallingSparse)
	}
}

func TestValidate(t *testing.T) {
	if err := simstudy.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*simstudy.Config){
		"series":      func(c *simstudy.Config) { c.Series = 1 },
		"months":      func(c *simstudy.Config) { c.Months = 3 },
		"sizes":       func(c *simstudy.Config) { c.CityN = [2]int{10, 5} },
		"fall months": func(c *simstudy.Config) { c.FallMonths = 12 },
		"fdr":         func(c *simstudy.Config) { c.Calibration.FDR = 0 },
		"lambda":      func(c *simstudy.Config) { c.EWMA.Lambda = 1.5 },
		"share":       func(c *simstudy.Config) { c.SparseShare = 0 },
	} {
		cfg := simstudy.DefaultConfig()
		mod(&cfg)
		if _, err := simstudy.Run(cfg, &bytes.Buffer{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// ExampleRun prints the study at its default design (1,500 series × 12 months, a few seconds;
// the figures are in the package documentation). It has no Output comment, so go test only
// compiles it.
func ExampleRun() {
	res, err := simstudy.Run(simstudy.DefaultConfig(), os.Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("power of the recommended rule: %.0f%%\n", 100*res.Power[simstudy.Recommended])
}
