package dlq

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// ParseTime reads a time bound of a filter: RFC 3339, a date (YYYY-MM-DD, midnight UTC) or a
// duration before now ("36h", "90m"; days as "7d").
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == d {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339, YYYY-MM-DD or a duration before now (36h, 7d)", s)
}

const stamp = "2006-01-02 15:04:05Z"

// WriteText prints the summary as a table for people.
func (s Summary) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d dead letters read, %d selected\n", s.Topic, s.Read, s.Matched)
	if len(s.Groups) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		windows := s.Groups[0].Window != ""
		if windows {
			fmt.Fprint(tw, "WINDOW\t")
		}
		fmt.Fprintln(tw, "REASON\tTOPIC\tCOUNT\tTRUNCATED\tFIRST\tLAST\tLATEST DETAIL")
		for _, g := range s.Groups {
			if windows {
				fmt.Fprintf(tw, "%s\t", g.Window)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", g.Reason, g.Topic, g.Count, g.Truncated,
				g.First.UTC().Format(stamp), g.Last.UTC().Format(stamp), clip(g.Example, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	writeUnreadable(w, s.Unreadable)
	return nil
}

// WriteText prints the report for people: the counts, then every dead letter not simply
// replayed, with why.
func (r Report) WriteText(w io.Writer) error {
	verb := "replayed"
	if r.DryRun {
		verb = "would replay (dry run)"
	}
	fmt.Fprintf(w, "%s: %d dead letters read, %d selected; %s %d", r.DLQTopic, r.Read, r.Matched, verb, r.Replayed)
	if r.Forced > 0 {
		fmt.Fprintf(w, " (%d forced though still rejected)", r.Forced)
	}
	fmt.Fprintf(w, "; still failing %d, truncated %d, undecodable %d, duplicates %d\n",
		r.StillFailing, r.Truncated, r.Undecodable, r.Duplicates)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(r.ByTopic) > 0 {
		fmt.Fprintln(tw, "REASON\tTOPIC\tREPLAYED")
		for _, c := range r.ByTopic {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", c.Reason, c.Topic, c.Count)
		}
		fmt.Fprintln(tw)
	}
	if len(r.Items) > 0 {
		fmt.Fprintln(tw, "OUTCOME\tSOURCE\tDLQ\tREASON\tNOW")
		for _, it := range r.Items {
			fmt.Fprintf(tw, "%s\t%s/%d@%d\t%d@%d\t%s\t%s\n", it.Outcome, it.Topic, it.Partition, it.Offset,
				it.DLQ.Partition, it.DLQ.Offset, it.Reason, clip(it.Detail, 100))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeUnreadable(w, r.Unreadable)
	return nil
}

func writeUnreadable(w io.Writer, us []Unreadable) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintf(w, "not dead letters (%d messages of the topic):\n", len(us))
	for _, u := range us {
		fmt.Fprintf(w, "  %d@%d: %s\n", u.Partition, u.Offset, clip(u.Err, 100))
	}
}

// clip cuts s to n runes, marking the cut.
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
