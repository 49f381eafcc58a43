package schema

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestCivil checks the calendar arithmetic against the time package: occurred_at parsed by
// parseRFC3339 against time.Date, and monthOf with an arena (cached zone offsets) against
// t.In(loc).Date() without one, over random instants of years 0–9999 and every day around
// the DST changes of New York and the 1986–1991 summer time of Shanghai.
func TestCivil(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []string{"Asia/Shanghai", "America/New_York", "UTC", "Australia/Lord_Howe"}
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		d := &Decoder{loc: loc}
		a := &Arena{}
		check := func(u time.Time) {
			t.Helper()
			want, _ := d.monthOf(u, nil), 0
			if got := d.monthOf(u, a); got != want {
				t.Fatalf("%s: monthOf(%s) = %d with an arena, %d without", name, u.Format(time.RFC3339), got, want)
			}
		}
		for range 20000 {
			check(time.Unix(r.Int64N(253402300800+62135596800)-62135596800, 0).UTC())
		}
		// Every hour of 1985-1992 and 2024-2027 in turn: the cached bounds are crossed at each
		// transition, and at month ends.
		for _, span := range [][2]int{{1985, 1992}, {2024, 2027}} {
			for u := time.Date(span[0], 1, 1, 0, 0, 0, 0, time.UTC); u.Year() < span[1]; u = u.Add(time.Hour) {
				check(u)
			}
		}
	}
	for range 50000 {
		y, m, dd := r.IntN(10000), 1+r.IntN(12), 1+r.IntN(28)
		if r.IntN(4) == 0 {
			dd = daysIn(y, m)
		}
		h, mi, s, ns := r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9)
		oh, om := r.IntN(24), r.IntN(60)
		sign := "+"
		off := oh*3600 + om*60
		if r.IntN(2) == 0 {
			sign, off = "-", -off
		}
		str := time.Date(y, time.Month(m), dd, h, mi, s, ns, time.UTC).Format("2006-01-02T15:04:05.000000000") +
			sign + time.Date(2000, 1, 1, oh, om, 0, 0, time.UTC).Format("15:04")
		want := time.Date(y, time.Month(m), dd, h, mi, s, ns, time.UTC).Add(-time.Duration(off) * time.Second)
		got, ok := parseRFC3339([]byte(str))
		if !ok || got != want {
			t.Fatalf("parseRFC3339(%s) = %v, %v; want %v", str, got, ok, want)
		}
	}
}
