package dlq_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest/dlq"
	"github.com/csat-dev/csat/ingest/publish"
	"github.com/csat-dev/csat/schema"
)

// Replay the dead letters rejected for an unknown item in the last week, once the catalog
// knows the item, after a dry run.
func Example() {
	ctx := context.Background()
	r := &dlq.Reader{Client: &kafka.Client{Addr: kafka.TCP("127.0.0.1:9092")}, Topic: "csat.dlq"}
	cat, err := schema.LoadCatalog("catalog.yaml") // the catalog with the new item
	if err != nil {
		fmt.Println(err)
		return
	}
	dec := schema.NewDecoder(cat, schema.DefaultTopics(), nil)
	opts := dlq.ReplayOptions{Filter: dlq.Filter{
		Reasons: []schema.Reason{schema.ReasonUnknownItem},
		Since:   time.Now().Add(-7 * 24 * time.Hour),
	}, DryRun: true}
	rep, err := dlq.Replay(ctx, r, dec, nil, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = rep.WriteText(os.Stdout)
	if rep.StillFailing > 0 {
		return // look at rep.Items first
	}
	p, err := publish.New(publish.Config{Brokers: []string{"127.0.0.1:9092"}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	opts.DryRun = false
	rep, err = dlq.Replay(ctx, r, dec, p, opts)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("replayed", rep.Replayed)
}
