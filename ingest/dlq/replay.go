package dlq

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/csat-dev/csat/schema"
)

// Sink is where Replay publishes; *publish.Publisher is one. Replay calls Flush once at the end.
type Sink interface {
	Publish(ctx context.Context, topic string, key, value []byte) error
	Flush(ctx context.Context) error
}

// Validator re-checks a payload as ingest would; *schema.Decoder is one.
type Validator interface {
	Decode(topic string, value []byte) (schema.Event, error)
}

// ReplayOptions selects what Replay republishes and how.
type ReplayOptions struct {
	Filter
	// DryRun reads and re-validates, publishes nothing, and reports what it would do.
	DryRun bool
	// Force publishes payloads the current decoder still rejects (they become dead letters
	// again). Truncated payloads are never published.
	Force bool
}

// Outcome is what Replay did with one dead letter.
type Outcome string

const (
	Replayed     Outcome = "replayed"      // published (a dry run: would be)
	Forced       Outcome = "forced"        // still rejected, published because of Force
	StillFailing Outcome = "still_failing" // still rejected: not published
	Truncated    Outcome = "truncated"     // the payload was cut when dead-lettered: not published
	Undecodable  Outcome = "undecodable"   // the stored payload or key cannot be decoded
	Duplicate    Outcome = "duplicate"     // its event (or source message) was already chosen in this run
)

// Item is one dead letter Replay did not simply republish, or republished by force.
type Item struct {
	Topic     string        `json:"topic"` // the original topic
	Partition int           `json:"partition"`
	Offset    int64         `json:"offset"`
	DLQ       Position      `json:"dlq"`
	Reason    schema.Reason `json:"reason"`               // why it was dead-lettered
	Outcome   Outcome       `json:"outcome"`              // what Replay did
	NewReason schema.Reason `json:"new_reason,omitempty"` // why the current decoder rejects it
	Detail    string        `json:"detail,omitempty"`     // the current decoder's words, or the error
}

// Count is a number of dead letters of one reason and original topic.
type Count struct {
	Reason schema.Reason `json:"reason"`
	Topic  string        `json:"topic"`
	Count  int           `json:"count"`
}

// Report is what Replay did.
type Report struct {
	DLQTopic     string       `json:"dlq_topic"`
	DryRun       bool         `json:"dry_run"`
	Read         int          `json:"read"`          // dead letters read
	Matched      int          `json:"matched"`       // selected by the filter
	Replayed     int          `json:"replayed"`      // published (dry run: would be), Forced included
	Forced       int          `json:"forced"`        // of Replayed, still rejected by the decoder
	StillFailing int          `json:"still_failing"` // rejected by the current decoder, not published
	Truncated    int          `json:"truncated"`
	Undecodable  int          `json:"undecodable"`
	Duplicates   int          `json:"duplicates"`
	ByTopic      []Count      `json:"replayed_by"` // Replayed by original reason and topic
	Items        []Item       `json:"items"`       // every dead letter not simply replayed
	Unreadable   []Unreadable `json:"unreadable"`
}

// Replay reads the dead-letter topic (up to its end as of the start), and republishes the
// payload and key of every dead letter that opts selects and dec now accepts to its original
// topic. The same event (by event_id) or source message is published once per run. Publish
// errors stop the run; the report says what was published before.
func Replay(ctx context.Context, r Source, dec Validator, sink Sink, opts ReplayOptions) (Report, error) {
	rep := Report{DLQTopic: r.Name(), DryRun: opts.DryRun, ByTopic: []Count{}, Items: []Item{}, Unreadable: []Unreadable{}}
	if sink == nil && !opts.DryRun {
		return rep, errors.New("dlq replay: no sink")
	}
	type source struct {
		topic     string
		partition int
		offset    int64
	}
	seenSource := map[source]bool{}
	seenEvent := map[string]bool{} // topic + "\x00" + event_id
	counts := map[Count]int{}
	bad, err := r.Read(ctx, func(l *Letter) error {
		rep.Read++
		if !opts.Match(l) {
			return nil
		}
		rep.Matched++
		item := Item{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset,
			DLQ: Position{l.DLQPartition, l.DLQOffset}, Reason: l.Reason}
		skip := func(o Outcome, detail string) error {
			item.Outcome, item.Detail = o, detail
			rep.Items = append(rep.Items, item)
			return nil
		}
		src := source{l.Topic, l.Partition, l.Offset}
		if seenSource[src] {
			rep.Duplicates++
			return skip(Duplicate, "the same source message was dead-lettered twice")
		}
		seenSource[src] = true
		if l.PayloadTruncated {
			rep.Truncated++
			return skip(Truncated, "the payload was cut to CSAT_DLQ_MAX_PAYLOAD when dead-lettered")
		}
		value, err := l.Value()
		if err != nil {
			rep.Undecodable++
			return skip(Undecodable, err.Error())
		}
		key, err := l.MessageKey()
		if err != nil {
			rep.Undecodable++
			return skip(Undecodable, err.Error())
		}
		ev, derr := dec.Decode(l.Topic, value)
		if derr != nil {
			var rej *schema.Rejection
			if errors.As(derr, &rej) {
				item.NewReason = rej.Reason
			}
			if !opts.Force {
				rep.StillFailing++
				return skip(StillFailing, derr.Error())
			}
			item.Outcome, item.Detail = Forced, derr.Error()
			rep.Items = append(rep.Items, item)
			rep.Forced++
		} else {
			ek := l.Topic + "\x00" + ev.Env().EventID
			if seenEvent[ek] {
				rep.Duplicates++
				return skip(Duplicate, "event "+strconv.Quote(ev.Env().EventID)+" was already chosen in this run")
			}
			seenEvent[ek] = true
		}
		if !opts.DryRun {
			if err := sink.Publish(ctx, l.Topic, key, value); err != nil {
				return fmt.Errorf("publish dead letter %s/%d@%d to %s: %w", r.Name(), l.DLQPartition, l.DLQOffset, l.Topic, err)
			}
		}
		rep.Replayed++
		counts[Count{Reason: l.Reason, Topic: l.Topic}]++
		return nil
	})
	rep.Unreadable = append(rep.Unreadable, bad...)
	for c, n := range counts {
		c.Count = n
		rep.ByTopic = append(rep.ByTopic, c)
	}
	slices.SortFunc(rep.ByTopic, func(a, b Count) int {
		return cmp.Or(cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Topic, b.Topic))
	})
	if !opts.DryRun {
		// Flush what was published, even after an error: it is on its way and the report
		// counts it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if ferr := sink.Flush(fctx); ferr != nil && err == nil {
			err = fmt.Errorf("flush replayed messages: %w", ferr)
		}
	}
	return rep, err
}
