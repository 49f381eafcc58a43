package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema"
)

// writeBranchNames writes names to p as a CSAT_BRANCH_NAMES_FILE (a YAML map of id to name,
// sorted by id).
func writeBranchNames(p string, names map[string]string) error {
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var node yaml.Node
	node.Kind = yaml.MappingNode
	for _, id := range ids {
		node.Content = append(node.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: id},
			&yaml.Node{Kind: yaml.ScalarNode, Value: names[id]})
	}
	b, err := yaml.Marshal(&node)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("write branch names: %w", err)
	}
	return nil
}

// printDemoEnv prints the environment that points the CLI at the demo's data, and a first
// command to try. live says that the data lives only while the demo runs (its private server).
func printDemoEnv(w io.Writer, a *app, namesFile string, month schema.Month, live bool) {
	fmt.Fprintln(w, "\n▸ to use the CLI on this data, in another terminal:")
	env := []string{
		"CSAT_CLICKHOUSE_ADDR=" + strings.Join(a.cfg.ClickHouse.Addr, ","),
		"CSAT_CLICKHOUSE_DATABASE=" + a.cfg.ClickHouse.Database,
	}
	if namesFile != "" {
		env = append(env, "CSAT_BRANCH_NAMES_FILE="+namesFile)
	}
	fmt.Fprintf(w, "  export %s\n", strings.Join(env, " "))
	fmt.Fprintf(w, "  csat branches 广州\n  csat kpi --branch GD-GZ --month %s\n  csat alerts --month %s\n", month, month)
	if live {
		fmt.Fprintln(w, "  (the private ClickHouse server stops with the demo: keep it running, or give --state to keep the data)")
	}
}
