package vendorimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/csat-dev/csat/schema"
)

// Sink is where Run publishes; *publish.Publisher is one. Run calls Flush once at the end.
type Sink interface {
	Publish(ctx context.Context, topic string, key, value []byte) error
	Flush(ctx context.Context) error
}

// Config is one csat import run.
type Config struct {
	File    string // the vendor's CSV or XLSX file
	Mapping string // the YAML mapping file
	// Strict refuses the whole file — publishes nothing — when any row is bad.
	Strict bool
	// DryRun converts and reports without publishing.
	DryRun bool
	// Catalog is the item catalog; zero means schema.DefaultCatalog().
	Catalog schema.Catalog
	// Topics names the topics; the events go to Topics.Survey. Zero means schema.DefaultTopics().
	Topics schema.Topics
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Report is what Run did.
type Report struct {
	File      string     `json:"file"`
	Format    string     `json:"format"`          // csv or xlsx
	Sheet     string     `json:"sheet,omitempty"` // xlsx only
	Digest    string     `json:"sha256"`          // of the file's bytes
	Rows      int        `json:"rows"`            // data rows read
	Events    int        `json:"good"`            // good rows
	Bad       []RowError `json:"bad"`             // bad rows, in file order
	Published int        `json:"published"`       // events published (0 when refused or a dry run)
	Refused   bool       `json:"refused"`         // Strict and some row was bad
	Topic     string     `json:"topic"`
}

// ErrRefused is returned (wrapped) by Run when Strict refuses a file with bad rows.
var ErrRefused = errors.New("file refused: it has bad rows and --strict is set")

// Run converts cfg.File with cfg.Mapping and publishes the events to the survey topic, keyed by
// branch id, then flushes sink. It writes a report for people to out (nil: none): counts, every
// bad row with its number and reason, what was published. Bad rows are skipped, unless Strict,
// which refuses the file (nothing published, ErrRefused). Importing the same file again publishes
// the same event ids, which csat counts once.
func Run(ctx context.Context, cfg Config, sink Sink, out io.Writer) (Report, error) {
	if out == nil {
		out = io.Discard
	}
	rep := Report{File: cfg.File, Bad: []RowError{}}
	opts := Options{Catalog: cfg.Catalog, Topics: cfg.Topics, Now: cfg.Now}.withDefaults()
	rep.Topic = opts.Topics.Survey
	m, err := LoadMapping(cfg.Mapping, opts.Catalog)
	if err != nil {
		return rep, err
	}
	// The file is streamed: events go to the sink as their rows are read. With Strict, a first
	// pass only checks the rows, so that nothing is published from a file with a bad row.
	publishing := !cfg.DryRun && !cfg.Strict
	now := opts.Now() // one clock for both passes
	opts.Now = func() time.Time { return now }
	firstID, handed := "", 0
	publishFn := func(ev Event) error {
		if firstID == "" {
			firstID = ev.ID
		}
		if err := sink.Publish(ctx, rep.Topic, []byte(ev.Branch), ev.Value); err != nil {
			return fmt.Errorf("publish row %d: %w", ev.Row, err)
		}
		handed++
		return nil
	}
	good := 0
	countFn := func(Event) error { good++; return nil }
	fn := countFn
	if publishing {
		fn = func(ev Event) error { good++; return publishFn(ev) }
	}
	res, err := ConvertFile(cfg.File, m, opts, fn)
	if res != nil {
		rep.Format, rep.Sheet, rep.Digest = res.Format, res.Sheet, res.Digest
		rep.Rows, rep.Events = res.Rows, good
		if res.Bad != nil {
			rep.Bad = res.Bad
		}
	}
	if err != nil {
		return rep, fmt.Errorf("%s: %w", cfg.File, err)
	}

	where := cfg.File
	if res.Sheet != "" {
		where += " (sheet " + res.Sheet + ")"
	}
	fmt.Fprintf(out, "%s: %d rows, %d good, %d bad\n", where, res.Rows, good, len(res.Bad))
	for _, b := range res.Bad {
		fmt.Fprintf(out, "  %s\n", b)
	}
	switch {
	case len(res.Bad) > 0 && cfg.Strict:
		rep.Refused = true
		fmt.Fprintln(out, "refused: --strict and bad rows; nothing published")
		return rep, fmt.Errorf("%s: %d bad rows: %w", cfg.File, len(res.Bad), ErrRefused)
	case cfg.DryRun:
		fmt.Fprintf(out, "dry run: %d events not published\n", good)
		return rep, nil
	case !publishing: // Strict, and every row is good: the second pass publishes
		if _, err := ConvertFile(cfg.File, m, opts, publishFn); err != nil {
			return rep, fmt.Errorf("%s: %w", cfg.File, err)
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := sink.Flush(fctx); err != nil {
		return rep, fmt.Errorf("flush: %w", err)
	}
	rep.Published = handed
	if rep.Published > 0 {
		fmt.Fprintf(out, "published %d survey_response events to %s (event ids %s …)\n",
			rep.Published, rep.Topic, firstID)
	}
	return rep, nil
}
