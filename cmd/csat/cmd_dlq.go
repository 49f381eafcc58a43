package main

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest/dlq"
	"github.com/csat-dev/csat/ingest/publish"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "dlq",
		args:    "list|replay [--reason R,...] [--topic T] [--since T] [--until T] [--per day|hour] [--dry-run] [--force] [--json]",
		summary: "count the dead letters, and replay the ones a fix has made good to their topics",
		details: `csat dlq list counts the dead letters of CSAT_TOPIC_DLQ by reason and source topic, with the
first and last rejection time and the latest detail of each group; --per day (or hour) splits
the counts by UTC day (hour) of rejection.

csat dlq replay --reason R republishes the original payloads (and keys) of the selected dead
letters to their original topics, after a fix (a new item code in the catalog, a corrected
producer). Each payload is first checked with the current decoder: one that would still be
rejected is reported with its new reason and not published (unless --force); a payload cut when
it was dead-lettered is never published. Event ids are kept, so the read side counts a replayed
event once however often it is replayed. --dry-run reports what would be replayed and publishes
nothing. Exit status 1 when some selected dead letter still fails or cannot be replayed
(truncated, undecodable).

Both read the topic from its start up to its end as of the start, without a consumer group:
ingest's group is not disturbed. Times (--since, --until, on rejected_at) are RFC 3339,
YYYY-MM-DD (UTC) or a duration before now (36h, 7d).`,
		anyArgs: true,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			reasons := fs.String("reason", "", "only these reasons (comma-separated); replay requires it")
			topic := fs.String("topic", "", "only dead letters from this source topic")
			since := fs.String("since", "", "only dead letters rejected at or after this time")
			until := fs.String("until", "", "only dead letters rejected before this time")
			per := fs.String("per", "", "list: split the counts by day or hour of rejection (UTC)")
			dry := fs.Bool("dry-run", false, "replay: validate and report, publish nothing")
			force := fs.Bool("force", false, "replay: publish payloads the decoder still rejects too")
			asJSON := fs.Bool("json", false, "print the summary or report as JSON")
			return func(ctx context.Context) error {
				if fs.NArg() == 0 {
					return usagef("want list or replay")
				}
				sub := fs.Arg(0)
				// Flags may come after the subcommand too.
				if err := fs.Parse(fs.Args()[1:]); err != nil {
					return usagef("%v", err)
				}
				if fs.NArg() > 0 {
					return usagef("unexpected argument %q", fs.Arg(0))
				}
				f, err := dlqFilter(*reasons, *topic, *since, *until, time.Now())
				if err != nil {
					return err
				}
				tr, err := a.cfg.Ingest.KafkaTransport()
				if err != nil {
					return err
				}
				r := &dlq.Reader{Topic: a.cfg.Schema.Topics.DLQ,
					Client: &kafka.Client{Addr: kafka.TCP(a.cfg.Ingest.Brokers...), Transport: tr, Timeout: 30 * time.Second}}
				switch sub {
				case "list":
					if *dry || *force {
						return usagef("--dry-run and --force are for replay")
					}
					if !dlq.Per(*per).Valid() {
						return usagef("--per %q: want day or hour", *per)
					}
					s, err := dlq.List(ctx, r, f, dlq.Per(*per))
					if err != nil {
						return err
					}
					if *asJSON {
						return writeJSON(a.stdout, s)
					}
					return s.WriteText(a.stdout)
				case "replay":
					if *per != "" {
						return usagef("--per is for list")
					}
					if len(f.Reasons) == 0 {
						return usagef("replay needs --reason (see csat dlq list)")
					}
					return runReplay(ctx, a, r, dlq.ReplayOptions{Filter: f, DryRun: *dry, Force: *force}, *asJSON)
				}
				return usagef("unknown subcommand %q: want list or replay", sub)
			}
		},
	})
}

func dlqFilter(reasons, topic, since, until string, now time.Time) (dlq.Filter, error) {
	f := dlq.Filter{Topic: topic}
	for _, r := range strings.Split(reasons, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !schema.Reason(r).Valid() {
			return f, usagef("--reason %q: not a reason code (%s)", r, reasonList())
		}
		f.Reasons = append(f.Reasons, schema.Reason(r))
	}
	var err error
	if since != "" {
		if f.Since, err = dlq.ParseTime(since, now); err != nil {
			return f, usagef("--since: %v", err)
		}
	}
	if until != "" {
		if f.Until, err = dlq.ParseTime(until, now); err != nil {
			return f, usagef("--until: %v", err)
		}
	}
	return f, nil
}

func reasonList() string {
	var s []string
	for _, r := range schema.Reasons() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func runReplay(ctx context.Context, a *app, r *dlq.Reader, opts dlq.ReplayOptions, asJSON bool) error {
	dec, _, err := a.cfg.decoder()
	if err != nil {
		return err
	}
	var sink dlq.Sink
	var p *publish.Publisher
	if !opts.DryRun {
		if p, err = newPublisher(a); err != nil {
			return err
		}
		sink = p
	}
	rep, err := dlq.Replay(ctx, r, dec, sink, opts)
	if p != nil {
		err = closePublisher(p, err)
	}
	var werr error
	if asJSON {
		werr = writeJSON(a.stdout, rep)
	} else {
		werr = rep.WriteText(a.stdout)
	}
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if rep.StillFailing > 0 || rep.Undecodable > 0 || rep.Truncated > 0 {
		return exitCode(1)
	}
	return nil
}

var _ dlq.Sink = (*publish.Publisher)(nil)
var _ dlq.Validator = (*schema.Decoder)(nil)
