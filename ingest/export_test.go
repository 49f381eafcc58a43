package ingest

import (
	"context"
	"net"
)

// WithBeforeSend runs f before each INSERT into a raw table with the rows' event ids; an error
// it returns counts as ClickHouse's answer (a test seam for content errors and outages).
func WithBeforeSend(f func(table string, eventIDs []string) error) Option {
	return func(o *options) { o.beforeSend = f }
}

// WithKafkaDial makes every connection to Kafka go through dial.
func WithKafkaDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.kafkaDial = dial }
}
