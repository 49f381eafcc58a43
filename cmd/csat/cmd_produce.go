package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/csat-dev/csat/ingest/publish"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/ingest/vendorimport"
	"github.com/csat-dev/csat/schema"
)

// newPublisher builds a Kafka publisher with the configured brokers, TLS and SASL.
func newPublisher(a *app) (*publish.Publisher, error) {
	tr, err := a.cfg.Ingest.KafkaTransport()
	if err != nil {
		return nil, err
	}
	return publish.New(publish.Config{Brokers: a.cfg.Ingest.Brokers, Transport: tr}, a.log)
}

// closePublisher flushes and closes p, keeping the first error.
func closePublisher(p *publish.Publisher, err error) error {
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// endMonthFlag defines --end-month, the last month to generate (YYYY-MM); *m stays zero, the
// last full month, when it is not given.
func endMonthFlag(fs *flag.FlagSet, m *schema.Month) {
	fs.Func("end-month", "last month, YYYY-MM (default: the last full month)", func(s string) error {
		v, err := schema.ParseMonth(s)
		*m = v
		return err
	})
}

func init() {
	register(&command{
		name:    "gen",
		args:    "[--seed S] [--months N] [--end-month YYYY-MM] [--scale X] [--volume X] [--rate R]",
		summary: "publish a realistic synthetic data set to Kafka (the demo's generator)",
		details: `Generates provinces, cities and counties with Chinese names, three carriers, monthly survey
waves (dozens of interviews per county, hundreds per city) with seasonality and branch effects,
hotline and store ratings, complaints opened and closed, churn by tier, subscriber bases, a few
voids and resent duplicates; the front line (stores, staff, hotline agents, customer managers;
store inspections, score_reported components, adjustments and two adjustment voids; complaints
naming stores, staff and agents); and six planted stories in the last months: a city whose
network score falls significantly three months in a row (GD-SZ), a county whose small-sample fall
is only 'watch' (ZJ-HZ-XH), a city overtaken by a competitor (JS-NJ), a store whose mystery
shopping collapses (GD-GZ-TH-S01), a clerk drawing complaints (in ZJ-NB) and a hotline agent with
long waits (JS-SZ-A007). Deterministic by --seed.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			cfg := synth.Config{}
			fs.Int64Var(&cfg.Seed, "seed", 1, "random seed (same seed, same events)")
			fs.IntVar(&cfg.Months, "months", 6, "months to generate")
			endMonthFlag(fs, &cfg.EndMonth)
			fs.Float64Var(&cfg.Scale, "scale", 1, "size of the hierarchy (1 ≈ 3 provinces, 9 cities, 25 counties)")
			fs.Float64Var(&cfg.Volume, "volume", 1, "multiplier of ratings, complaints and churn volumes")
			fs.Float64Var(&cfg.Rate, "rate", 0, "at most this many events per second (0: as fast as Kafka takes them)")
			return func(ctx context.Context) error {
				cfg.Topics = a.cfg.Schema.Topics
				if err := cfg.Validate(); err != nil {
					return usagef("%v", err)
				}
				p, err := newPublisher(a)
				if err != nil {
					return err
				}
				_, err = synth.Run(ctx, cfg, p, a.stdout)
				return closePublisher(p, err)
			}
		},
	})
	register(&command{
		name:    "publish",
		args:    "--topic T < events.ndjson",
		summary: "publish NDJSON lines from stdin to a Kafka topic as they are (backfills)",
		details: `Each line becomes one message, unchanged but for a UTF-8 byte order mark at its start, which is
dropped; its key is the line's branch_id when it has one.
csat ingest validates them: bad lines become dead letters, nothing is lost.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			topic := fs.String("topic", "", "the Kafka topic")
			return func(ctx context.Context) error {
				if *topic == "" {
					return usagef("--topic is required")
				}
				p, err := newPublisher(a)
				if err != nil {
					return err
				}
				n, err := publish.PublishNDJSON(ctx, a.stdin, *topic, p)
				err = closePublisher(p, err)
				fmt.Fprintf(a.stdout, "published %d messages to %s\n", n, *topic)
				return err
			}
		},
	})
	register(&command{
		name:    "import",
		args:    "--mapping FILE [--strict] [--dry-run] [--json] FILE.csv|FILE.xlsx",
		summary: "turn a survey vendor's CSV or XLSX file into survey_response events on Kafka",
		details: `The mapping file (YAML; ingest/vendorimport/testdata/mapping.yaml is a documented example)
names the columns for branch, carrier, wave, weight, overall and each item, and translates values
(e.g. carrier 中国移动 → cmcc). Event ids are stable (the vendor's interview id, or the file's
digest and row number), so importing a file again changes nothing. Bad rows are reported with
their row number and reason; --strict publishes nothing when any row is bad. Exit status 1 when
any row is bad.`,
		anyArgs: true,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			mapping := fs.String("mapping", "", "the YAML mapping file")
			strict := fs.Bool("strict", false, "refuse the whole file when any row is bad")
			dry := fs.Bool("dry-run", false, "convert and report, publish nothing")
			asJSON := fs.Bool("json", false, "print the report as JSON")
			return func(ctx context.Context) error {
				if fs.NArg() != 1 {
					return usagef("want exactly one vendor file")
				}
				if *mapping == "" {
					return usagef("--mapping is required")
				}
				cat, err := a.cfg.Schema.Catalog()
				if err != nil {
					return err
				}
				cfg := vendorimport.Config{File: fs.Arg(0), Mapping: *mapping, Strict: *strict, DryRun: *dry,
					Catalog: cat, Topics: a.cfg.Schema.Topics}
				var sink vendorimport.Sink
				var p *publish.Publisher
				if !*dry {
					if p, err = newPublisher(a); err != nil {
						return err
					}
					sink = p
				}
				out := a.stdout
				if *asJSON {
					out = nil
				}
				rep, err := vendorimport.Run(ctx, cfg, sink, out)
				if p != nil {
					err = closePublisher(p, err)
				}
				if *asJSON {
					if jerr := writeJSON(a.stdout, rep); jerr != nil && err == nil {
						err = jerr
					}
				}
				if err != nil {
					if errors.Is(err, vendorimport.ErrRefused) {
						if !*asJSON {
							fmt.Fprintln(a.stderr, err)
						}
						return exitCode(1)
					}
					return err
				}
				if len(rep.Bad) > 0 {
					return exitCode(1)
				}
				return nil
			}
		},
	})
}
