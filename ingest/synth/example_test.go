package synth_test

import (
	"fmt"

	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/schema"
)

func ExampleGenerate() {
	cfg := synth.Config{Seed: 1, Months: 6, EndMonth: schema.Month(202610)}
	perTopic := map[string]int{}
	sum, err := synth.Generate(cfg, func(topic string, key, value []byte) error {
		perTopic[topic]++
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum.First, sum.Last, sum.Branches, "branches")
	fmt.Println(perTopic["csat.survey"] > 10000, sum.Unmet == nil)
	for _, s := range synth.Stories(cfg) {
		fmt.Println(s.Name, s.Branch, s.Metric, s.Start, s.Month)
	}
	// Output:
	// 2026-05 2026-10 37 branches
	// true true
	// decline_significant GD-SZ item:network 2026-07 2026-10
	// decline_watch ZJ-HZ-XH csi 2026-07 2026-10
	// lead_lost JS-NJ lead 2026-09 2026-10
}
