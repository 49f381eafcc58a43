package dlq

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/csat-dev/csat/schema"
)

// Filter selects dead letters. The zero value selects all.
type Filter struct {
	Reasons []schema.Reason // any of these reasons; empty: all
	Topic   string          // this source topic; "": all
	Since   time.Time       // rejected at or after; zero: no bound
	Until   time.Time       // rejected before; zero: no bound
}

// Match reports whether l is selected.
func (f Filter) Match(l *Letter) bool {
	if len(f.Reasons) > 0 && !slices.Contains(f.Reasons, l.Reason) {
		return false
	}
	if f.Topic != "" && l.Topic != f.Topic {
		return false
	}
	if !f.Since.IsZero() && l.RejectedAt.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !l.RejectedAt.Before(f.Until) {
		return false
	}
	return true
}

// Group is the dead letters of one reason and source topic (and time window, with a Per).
type Group struct {
	Window    string        `json:"window,omitempty"` // UTC day (2026-12-07) or hour (2026-12-07T08), with a Per
	Reason    schema.Reason `json:"reason"`
	Topic     string        `json:"topic"`
	Count     int           `json:"count"`
	Truncated int           `json:"truncated"` // payloads cut when dead-lettered: not replayable
	First     time.Time     `json:"first"`     // earliest rejected_at
	Last      time.Time     `json:"last"`      // latest rejected_at
	Example   string        `json:"example"`   // the detail of the latest one
}

// Summary is what List found.
type Summary struct {
	Topic      string       `json:"dlq_topic"`
	Read       int          `json:"read"`    // dead letters read
	Matched    int          `json:"matched"` // of them, selected by the filter
	Groups     []Group      `json:"groups"`  // by count, then reason and topic
	Unreadable []Unreadable `json:"unreadable"`
}

// Per splits List's counts by time window of rejected_at (UTC).
type Per string

const (
	PerAll  Per = ""     // no split
	PerDay  Per = "day"  // one group per UTC day
	PerHour Per = "hour" // one group per UTC hour
)

// Valid reports whether p is one of the Per values.
func (p Per) Valid() bool { return p == PerAll || p == PerDay || p == PerHour }

func (p Per) window(t time.Time) string {
	switch p {
	case PerDay:
		return t.UTC().Format("2006-01-02")
	case PerHour:
		return t.UTC().Format("2006-01-02T15")
	}
	return ""
}

// List reads the whole dead-letter topic and counts the selected dead letters by reason and
// source topic, and by time window with per.
func List(ctx context.Context, r Source, f Filter, per Per) (Summary, error) {
	s := Summary{Topic: r.Name(), Groups: []Group{}, Unreadable: []Unreadable{}}
	type key struct {
		window string
		reason schema.Reason
		topic  string
	}
	groups := map[key]*Group{}
	bad, err := r.Read(ctx, func(l *Letter) error {
		s.Read++
		if !f.Match(l) {
			return nil
		}
		s.Matched++
		k := key{per.window(l.RejectedAt), l.Reason, l.Topic}
		g := groups[k]
		if g == nil {
			g = &Group{Window: k.window, Reason: l.Reason, Topic: l.Topic, First: l.RejectedAt, Last: l.RejectedAt}
			groups[k] = g
		}
		g.Count++
		if l.PayloadTruncated {
			g.Truncated++
		}
		if l.RejectedAt.Before(g.First) {
			g.First = l.RejectedAt
		}
		if !l.RejectedAt.Before(g.Last) {
			g.Last, g.Example = l.RejectedAt, l.Detail
		}
		return nil
	})
	s.Unreadable = append(s.Unreadable, bad...)
	if err != nil {
		return s, err
	}
	for _, g := range groups {
		s.Groups = append(s.Groups, *g)
	}
	slices.SortFunc(s.Groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(a.Window, b.Window), b.Count-a.Count, cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Topic, b.Topic))
	})
	return s, nil
}
