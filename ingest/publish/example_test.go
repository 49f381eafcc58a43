package publish_test

import (
	"context"
	"fmt"
	"os"

	"github.com/csat-dev/csat/ingest/publish"
)

// What csat publish --topic csat.survey < backfill.ndjson does.
func ExamplePublishNDJSON() {
	p, err := publish.New(publish.Config{Brokers: []string{"127.0.0.1:9092"}}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	n, err := publish.PublishNDJSON(context.Background(), os.Stdin, "csat.survey", p)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	fmt.Printf("published %d messages (err: %v)\n", n, err)
}
