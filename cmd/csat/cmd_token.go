package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/csat-dev/csat/aggregate/api"
)

func init() {
	register(&command{
		name:    "token",
		args:    "new --name N --scope B|B/store:S",
		summary: "make an API token whose scope is a branch's subtree or one store",
		details: `csat token new prints a new random token (give it to its user; it is not stored) and the
entry to append to the YAML file named by CSAT_API_TOKENS_FILE, which keeps only the token's
SHA-256. A token scoped to GD-SZ reads GD-SZ and its descendants, nothing else; scope ALL reads
everything, including /metrics. A token scoped to a store of a branch, GD-SZ-NS/store:S123,
reads that branch's own card, trend, alerts and scorecard, the store's card and its staff (for
the periods in which the store belongs to GD-SZ-NS), and no comparison or ranking of other
units.`,
		anyArgs: true,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			return func(ctx context.Context) error {
				args := fs.Args()
				if len(args) == 0 || args[0] != "new" {
					return usagef("want: csat token new --name N --scope B")
				}
				sub := flag.NewFlagSet("csat token new", flag.ContinueOnError)
				sub.SetOutput(a.stderr)
				name := sub.String("name", "", "who or what the token is for")
				scope := sub.String("scope", "", "branch id whose subtree the token may read (ALL: everything), or <branch>/store:<id>")
				if err := sub.Parse(args[1:]); err != nil {
					return usagef("%v", err)
				}
				if *name == "" || *scope == "" {
					return usagef("--name and --scope are required")
				}
				if _, err := api.ParseScope(*scope); err != nil {
					return usagef("--scope: %v", err)
				}
				tok, entry, err := api.NewToken(*name, *scope)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "token: %s\n\n# append to the file named by CSAT_API_TOKENS_FILE:\n%s", tok, entry.YAML())
				return nil
			}
		},
	})
}
