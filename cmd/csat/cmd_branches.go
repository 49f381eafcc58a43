package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
)

// branchRow is one line of csat branches (its JSON with --json).
type branchRow struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Parent string `json:"parent"`
	Level  int    `json:"level"`
}

// branchMatches is the result of csat branches.
type branchMatches struct {
	Query    string      `json:"query,omitempty"`
	Known    int         `json:"known"`
	Branches []branchRow `json:"branches"`
}

func init() {
	register(&command{
		name:    "branches",
		args:    "[QUERY] [--json]",
		summary: "list the known branches with their names; search by id or Chinese name",
		details: `Lists the branches named by any event, with the names of CSAT_BRANCH_NAMES_FILE (a YAML map of
id to name; csat demo writes one and prints it). With QUERY, only the branches whose id starts
with QUERY (any case) or whose name contains it. Every read command takes a name where it takes
a branch id: --branch 广州 is --branch GD-GZ when one branch's name is or contains 广州.`,
		anyArgs: true,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context) error {
				if fs.NArg() > 1 {
					return usagef("one query at most, got %d", fs.NArg())
				}
				q := fs.Arg(0)
				return readOp(ctx, a, *asJSON, func(ctx context.Context, eng *aggregate.Engine, _ schema.Catalog) (any, func(io.Writer) error, error) {
					bs, err := knownBranches(ctx, eng, a.names)
					if err != nil {
						return nil, nil, err
					}
					res := branchMatches{Query: q, Known: len(bs), Branches: []branchRow{}}
					shown := bs
					if q != "" {
						shown = matchBranches(bs, q)
					}
					for _, b := range shown {
						res.Branches = append(res.Branches, branchRow{ID: b.ID, Name: b.Name, Parent: schema.Parent(b.ID), Level: schema.Level(b.ID)})
					}
					return res, func(w io.Writer) error {
						tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
						fmt.Fprintln(tw, "id\tlevel\tparent\tname")
						for _, b := range res.Branches {
							fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", b.ID, b.Level, b.Parent, b.Name)
						}
						return tw.Flush()
					}, nil
				})
			}
		},
	})
}
