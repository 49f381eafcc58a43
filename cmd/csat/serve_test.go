package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/csat-dev/csat/aggregate/bench"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// syncBuffer is a bytes.Buffer safe for the logger's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeShutsDownCleanly runs `csat serve` on a small data set, with its Warmer keeping the
// latest month warm and a card of an older month queuing an on-demand warm-up, then cancels
// its context (what SIGINT/SIGTERM do): serve returns 0, and no goroutine it started is left.
func TestServeShutsDownCleanly(t *testing.T) {
	conn, cfg := chtest.New(t)
	ctx := context.Background()
	bcfg := bench.DefaultConfig()
	bcfg.Scale, bcfg.Months = 0.001, 3
	bcfg.LastMonth = schema.MonthOf(time.Now(), time.UTC).Prev()
	var out bytes.Buffer
	if err := bench.Load(ctx, conn, bcfg, &out); err != nil {
		t.Fatalf("bench.Load: %v\n%s", err, out.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	environ := []string{
		"CSAT_CLICKHOUSE_ADDR=" + cfg.Addr[0], "CSAT_CLICKHOUSE_DATABASE=" + cfg.Database,
		"CSAT_HTTP_ADDR=" + addr, "CSAT_API_WARM_MONTHS=1", "CSAT_API_WARM_INTERVAL=1s",
		"CSAT_METRICS_REFRESH=1s", "CSAT_LOG_LEVEL=debug",
	}

	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(sctx, []string{"serve"}, nil, &stdout, &stderr, environ) }()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	getOK := func(path string) {
		t.Helper()
		for end := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			resp, err := client.Get("http://" + addr + path)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			if time.Now().After(end) {
				t.Fatalf("GET %s: %v\n%s", path, err, stderr.String())
			}
		}
	}
	getOK("/healthz")
	getOK("/api/v1/kpi?branch=ALL&month=" + bcfg.LastMonth.String())
	getOK("/api/v1/kpi?branch=ALL&month=" + bcfg.LastMonth.Prev().String()) // not warm: queues a warm-up
	getOK("/metrics")
	// The warm-ups must be under way or done when serve is cancelled; on a loaded machine the
	// first one can take seconds.
	for end := time.Now().Add(60 * time.Second); !strings.Contains(stderr.String(), "warm cards computed") && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("serve exited %d\n%s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not return 30 s after its context was cancelled\n%s", stderr.String())
	}
	client.CloseIdleConnections()
	if !strings.Contains(stderr.String(), "warm cards computed") {
		t.Errorf("no warm-up logged:\n%s", stderr.String())
	}
}
