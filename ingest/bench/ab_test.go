package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestAB loads once and alternates ingest drains of two configurations (CSAT_AB=1).
func TestAB(t *testing.T) {
	if os.Getenv("CSAT_AB") != "1" {
		t.Skip("set CSAT_AB=1")
	}
	chcfg := chtest.Config(t)
	brokers := kafkatest.Need(t)
	ctx := context.Background()
	n := 500000
	tp := traffic.UniqueTopics("csat-ab")
	all := append(tp.Inputs(), tp.DLQ)
	if err := traffic.Create(ctx, brokers, 12, all...); err != nil {
		t.Fatal(err)
	}
	defer traffic.Delete(ctx, brokers, all...)
	if err := load(ctx, brokers, tp, n); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	dec := schema.NewDecoder(schema.DefaultCatalog(), tp, loc)
	cfgA := ingest.DefaultConfig()
	cfgA.Brokers = brokers
	cfgB := cfgA
	if v, _ := strconv.Atoi(os.Getenv("CSAT_AB_BYTES")); v > 0 {
		cfgB.BatchBytes = v
	}
	if v, _ := strconv.Atoi(os.Getenv("CSAT_AB_ROWS")); v > 0 {
		cfgB.BatchRows = v
	}
	if v, _ := strconv.ParseInt(os.Getenv("CSAT_AB_MEM"), 10, 64); v > 0 {
		cfgB.MemoryLimit = v
	}
	for round := range 3 {
		for name, cfg := range map[string]ingest.Config{"A": cfgA, "B": cfgB} {
			conn, _, drop, err := database(ctx, chcfg, "ab", true)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Group = traffic.Unique("ab")
			in, err := ingest.New(cfg, dec, tp, conn, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			resetPeakRSS()
			t0 := time.Now()
			if err := in.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			el := time.Since(t0)
			t.Logf("round %d %s: %.0f events/s, peak RSS %d MiB", round, name, float64(n)/el.Seconds(), peakRSS()>>20)
			conn.Close()
			drop()
			time.Sleep(3 * time.Second) // let merges of the dropped database stop
		}
	}
}
