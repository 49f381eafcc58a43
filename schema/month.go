package schema

import (
	"fmt"
	"time"
)

// Month is a calendar month stored as YYYYMM (e.g. 202610), the form ClickHouse's toYYYYMM uses.
// The zero Month is "no month".
type Month uint32

// ParseMonth parses "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	y, m := 0, 0
	for i, c := range s {
		switch {
		case i == 4:
			continue
		case c < '0' || c > '9':
			return 0, fmt.Errorf("month %q: want YYYY-MM", s)
		case i < 4:
			y = y*10 + int(c-'0')
		default:
			m = m*10 + int(c-'0')
		}
	}
	if y < 1 || m < 1 || m > 12 {
		return 0, fmt.Errorf("month %q: want YYYY-MM with month 01-12", s)
	}
	return Month(y*100 + m), nil
}

// MonthOf is the month of t in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	t = t.In(loc)
	return Month(t.Year()*100 + int(t.Month()))
}

// Year returns the year.
func (m Month) Year() int { return int(m) / 100 }

// Mon returns the month of the year, 1–12.
func (m Month) Mon() int { return int(m) % 100 }

// Add returns the month n months after m (n may be negative).
func (m Month) Add(n int) Month {
	idx := m.Year()*12 + m.Mon() - 1 + n
	return Month((idx/12)*100 + idx%12 + 1)
}

// Prev is m.Add(-1).
func (m Month) Prev() Month { return m.Add(-1) }

// Valid reports whether m is a real month.
func (m Month) Valid() bool { return m.Year() >= 1 && m.Mon() >= 1 && m.Mon() <= 12 }

// String formats m as "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), m.Mon()) }

// MarshalText implements encoding.TextMarshaler ("YYYY-MM").
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Months lists the months from a to b inclusive (empty when a > b).
func Months(a, b Month) []Month {
	var out []Month
	for m := a; m <= b; m = m.Add(1) {
		out = append(out, m)
	}
	return out
}
