package synth

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"
)

// Sink is where Run sends messages; *publish.Publisher is one. Publish may buffer; Run calls
// Flush once at the end.
type Sink interface {
	Publish(ctx context.Context, topic string, key, value []byte) error
	Flush(ctx context.Context) error
}

// Run generates the stream for cfg into sink, at most cfg.Rate events a second when Rate > 0,
// writing progress lines (one per generated month) and a final summary to out (nil: none). It
// stops early with ctx's error when ctx is cancelled. It does not close sink.
func Run(ctx context.Context, cfg Config, sink Sink, out io.Writer) (Summary, error) {
	if out == nil {
		out = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return Summary{}, fmt.Errorf("generator config: %w", err)
	}
	c := cfg.withDefaults()
	fmt.Fprintf(out, "generating %d months %v..%v, seed %d, scale %g: %d branches\n",
		c.Months, c.FirstMonth(), c.EndMonth, c.Seed, c.Scale, len(Hierarchy(c)))
	start := time.Now()
	sent := 0
	lastMonth := ""
	sum, err := Generate(c, func(topic string, key, value []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.Rate > 0 {
			// Pace against the start time, so the average rate holds without drift.
			due := start.Add(time.Duration(float64(sent) / c.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			}
		}
		if topic == c.Topics.Reference {
			if m := monthOfValue(value); m != "" && m != lastMonth {
				if lastMonth != "" {
					fmt.Fprintf(out, "  %s done: %d messages, %s\n", lastMonth, sent, time.Since(start).Round(time.Millisecond))
				}
				lastMonth = m
			}
		}
		sent++
		return sink.Publish(ctx, topic, key, value)
	})
	if err != nil {
		return sum, fmt.Errorf("generate: %w", err)
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := sink.Flush(fctx); err != nil {
		return sum, fmt.Errorf("flush: %w", err)
	}
	fmt.Fprintf(out, "  %s done: %d messages, %s\n", lastMonth, sent, time.Since(start).Round(time.Millisecond))
	WriteSummary(out, sum)
	return sum, nil
}

// monthOfValue returns the "month" field of a subscriber_base value, cheaply ("" if none).
func monthOfValue(v []byte) string {
	const key = `"month":"`
	for i := 0; i+len(key)+7 <= len(v); i++ {
		if string(v[i:i+len(key)]) == key {
			return string(v[i+len(key) : i+len(key)+7])
		}
	}
	return ""
}

// WriteSummary prints a summary for people.
func WriteSummary(w io.Writer, s Summary) {
	fmt.Fprintf(w, "generated %v..%v: %d branches, %d messages (%d resent duplicates, %d voids)\n",
		s.First, s.Last, s.Branches, s.Messages, s.Resent, s.Voids)
	types := make([]string, 0, len(s.Events))
	for t := range s.Events {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(w, "  %-18s %8d\n", t, s.Events[t])
	}
	for _, u := range s.Unmet {
		fmt.Fprintf(w, "  warning: could not hold %s\n", u)
	}
}
