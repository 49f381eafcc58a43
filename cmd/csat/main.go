// Command csat is the event-sourced customer-satisfaction pipeline: one binary with subcommands
// that ingest events from Kafka into ClickHouse, compute the KPIs, and serve them.
//
// main is wiring only: it parses the configuration, builds the logger and the metrics registry,
// runs one subcommand and exits with its code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // CSAT_TIMEZONE must load on images without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
