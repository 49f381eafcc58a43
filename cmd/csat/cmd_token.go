package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/schema"
)

func init() {
	register(&command{
		name:    "token",
		args:    "new --name N --scope B",
		summary: "make an API token whose scope is a branch's subtree",
		details: `csat token new prints a new random token (give it to its user; it is not stored) and the
entry to append to the YAML file named by CSAT_API_TOKENS_FILE, which keeps only the token's
SHA-256. A token scoped to GD-SZ reads GD-SZ and its descendants, nothing else; scope ALL reads
everything, including /metrics.`,
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
				scope := sub.String("scope", "", "branch id whose subtree the token may read (ALL: everything)")
				if err := sub.Parse(args[1:]); err != nil {
					return usagef("%v", err)
				}
				if *name == "" || *scope == "" {
					return usagef("--name and --scope are required")
				}
				if *scope != schema.Root && !schema.ValidBranchID(*scope) {
					return usagef("--scope: %q is not a branch id (e.g. GD-SZ) or ALL", *scope)
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
