package ingest

// WithBeforeSend runs f before each INSERT into a raw table with the rows' event ids; an error
// it returns counts as ClickHouse's answer (a test seam for content errors and outages).
func WithBeforeSend(f func(table string, eventIDs []string) error) Option {
	return func(o *options) { o.beforeSend = f }
}
