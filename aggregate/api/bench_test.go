package api_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkKPIParallel measures the HTTP side of /api/v1/kpi (routing, auth, JSON encoding)
// over the fake reader, with 100 concurrent clients per CPU-bound goroutine slot: the API's own
// share of the p95 target (engine time excluded).
func BenchmarkKPIParallel(b *testing.B) {
	ts, _, tok := newServer(b, map[string]string{"hq": "ALL"})
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 200
	b.SetParallelism(100)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/kpi?branch=GD-GZ&month=2026-10", nil)
			req.Header.Set("Authorization", "Bearer "+tok["hq"])
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
