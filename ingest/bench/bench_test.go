package bench_test

import (
	"context"
	"github.com/caarlos0/env/v11"
	"log/slog"
	"math"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/bench"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestRun runs a small benchmark (CSAT_BENCH_EVENTS events, default 20,000) to check that every
// phase works; figures at this size mean little.
func TestRun(t *testing.T) {
	chcfg := chtest.Config(t)
	chtest.Skip(t, chcfg)
	brokers := kafkatest.Need(t)
	n := 20000
	if v := os.Getenv("CSAT_BENCH_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	// The test stands in for cmd/csat: the CSAT_* environment tunes ingest (batch sizes, memory).
	var icfg ingest.Config
	if err := env.Parse(&icfg); err != nil {
		t.Fatal(err)
	}
	icfg.Brokers = brokers
	cfg := bench.Config{Events: n, Ingest: icfg, ClickHouse: chcfg, Rounds: 2, SkipEngine: os.Getenv("CSAT_BENCH_ENGINE") == "0"}
	// Phase (c) needs ClickHouse's Kafka table engine, a part of the server program: it is tested
	// on 18.16 only, because make test's current release (chdb-core's embedded engine) refuses
	// Kafka tables ("Shutdown was called").
	if v := chtest.ServerVersion(t, chcfg); !cfg.SkipEngine && !strings.HasPrefix(v, "18.") {
		t.Logf("phase (c), ClickHouse's Kafka engine, is not run on ClickHouse %s: it is tested on 18.16 only", v)
		cfg.SkipEngine = true
	}
	if os.Getenv("CSAT_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if path := os.Getenv("CSAT_BENCH_CPUPROFILE"); path != "" {
		cfg.AroundIngest = func() func() {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				t.Fatal(err)
			}
			return func() {
				pprof.StopCPUProfile()
				if err := f.Close(); err != nil {
					t.Error(err)
				}
			}
		}
	}
	if path := os.Getenv("CSAT_BENCH_HEAPPROFILE"); path != "" {
		cfg.AroundIngest = func() func() {
			tm := time.AfterFunc(2500*time.Millisecond, func() {
				f, err := os.Create(path)
				if err != nil {
					return
				}
				defer f.Close()
				_ = pprof.Lookup("heap").WriteTo(f, 0)
			})
			return func() { tm.Stop() }
		}
	}
	res, err := bench.Measure(context.Background(), cfg, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rounds) != 2 {
		t.Fatalf("%d rounds, want 2", len(res.Rounds))
	}
	for i, r := range append(res.Rounds, res) {
		if r.Ingest <= 0 || r.KafkaRead <= 0 || r.CHInsert <= 0 || r.LimitRatio <= 0 {
			t.Errorf("missing figures (%d): %+v", i, r)
		}
		if !cfg.SkipEngine && (r.Engine <= 0 || r.EngineRatio <= 0) {
			t.Errorf("missing Kafka engine figures (%d): %+v", i, r)
		}
	}
	// The summary is the median of two rounds: their mean.
	if want := (res.Rounds[0].Ingest + res.Rounds[1].Ingest) / 2; math.Abs(res.Ingest-want) > 1e-6*want {
		t.Errorf("median (b) %.1f, want %.1f", res.Ingest, want)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
