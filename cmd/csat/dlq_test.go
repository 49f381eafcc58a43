package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDLQUsage: bad invocations of csat dlq end with exit status 2 and say why, before any
// connection is made.
func TestDLQUsage(t *testing.T) {
	env := []string{"CSAT_KAFKA_BROKERS=127.0.0.1:1"} // nothing listens: a connection would fail otherwise
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"dlq"}, "want list or replay"},
		{[]string{"dlq", "frob"}, `unknown subcommand "frob"`},
		{[]string{"dlq", "replay"}, "replay needs --reason"},
		{[]string{"dlq", "list", "--reason", "nope"}, `--reason "nope": not a reason code`},
		{[]string{"dlq", "list", "--dry-run"}, "--dry-run and --force are for replay"},
		{[]string{"dlq", "list", "--per", "week"}, `--per "week": want day or hour`},
		{[]string{"dlq", "replay", "--reason", "unknown_item", "--per", "day"}, "--per is for list"},
		{[]string{"dlq", "list", "--since", "yesterday"}, `--since: time "yesterday"`},
		{[]string{"dlq", "list", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb, env)
			if code != 2 || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tt.want)
			}
		})
	}
}
