package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

func init() {
	register(&command{
		name:    "migrate",
		summary: "create the ClickHouse database and apply the missing schema migrations",
		details: `Applies the numbered migrations embedded in the binary (schema/migrations) that the
database does not have yet, and records them in the schema_migrations table. Safe to run twice and
from several processes at once.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			return func(ctx context.Context) error {
				applied, err := migrate(ctx, a)
				if err != nil {
					return err
				}
				if len(applied) == 0 {
					fmt.Fprintf(a.stdout, "database %s is up to date\n", a.cfg.ClickHouse.Database)
					return nil
				}
				fmt.Fprintf(a.stdout, "applied to %s: %s\n", a.cfg.ClickHouse.Database, strings.Join(applied, ", "))
				return nil
			}
		},
	})
	register(&command{
		name:    "validate",
		args:    "[--topic T] < events.ndjson",
		summary: "check NDJSON events against the event contract, one JSON verdict per line",
		details: `Reads one event per line on standard input and prints one JSON line per input line:
  {"line":N,"ok":true,"type":"…","event_id":"…"}
  {"line":N,"ok":false,"reason":"<code>","detail":"…"}
Without --topic, each event is checked as if it came on the topic of its own type.
Exit status: 0 when every line is a valid event, 1 when any is not.`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			topic := fs.String("topic", "", "the Kafka topic the events are taken to come from (default: each event's own)")
			return func(ctx context.Context) error {
				dec, _, err := a.cfg.decoder()
				if err != nil {
					return err
				}
				err = schema.ValidateStream(a.stdin, a.stdout, dec, *topic)
				if errors.Is(err, schema.ErrRejectedLines) {
					return exitCode(1) // the verdicts say which lines
				}
				return err
			}
		},
	})
}

// migrate applies the schema migrations with the configured ClickHouse.
func migrate(ctx context.Context, a *app) ([]string, error) {
	conn, err := chdb.Open(ctx, a.cfg.ClickHouse, chdb.WithoutDatabase())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return chdb.Migrate(ctx, conn, a.cfg.ClickHouse, a.log)
}
