package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// benchAPI loads a running csat serve with concurrent clients and prints latency percentiles
// per endpoint.
func benchAPI(ctx context.Context, a *app, fs *flag.FlagSet, args []string) error {
	base := fs.String("url", "http://"+a.cfg.HTTPAddr, "the server's base URL")
	clients := fs.Int("clients", 100, "concurrent clients")
	dur := fs.Duration("duration", 20*time.Second, "how long each endpoint is loaded")
	month := fs.String("month", "", "the month asked for, YYYY-MM (required)")
	token := fs.String("token", "", "bearer token, when the server requires one")
	cold := fs.String("cold-month", "", "also ask for random branches of this month, YYYY-MM: one serve does not keep warm, so every card is computed on request")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *month == "" {
		return usagef("--month is required")
	}
	// The branches to ask for: every known one, at random (served from the warm set when the
	// month is one of the latest CSAT_API_WARM_MONTHS, else computed per request), and one branch
	// asked by every client (the card cache).
	var branches struct {
		Branches []struct {
			ID    string `json:"id"`
			Level int    `json:"level"`
		} `json:"branches"`
	}
	if err := getJSON(ctx, *base+"/api/v1/branches", *token, &branches); err != nil {
		return err
	}
	var ids []string
	for _, b := range branches.Branches {
		ids = append(ids, b.ID)
	}
	if len(ids) == 0 {
		return fmt.Errorf("the server knows no branch")
	}
	cases := []struct {
		name string
		url  func(r *rand.Rand) string
	}{
		{"kpi (random branch)", func(r *rand.Rand) string {
			return fmt.Sprintf("%s/api/v1/kpi?branch=%s&month=%s", *base, ids[r.IntN(len(ids))], *month)
		}},
		{"kpi (one branch)", func(*rand.Rand) string {
			return fmt.Sprintf("%s/api/v1/kpi?branch=%s&month=%s", *base, ids[len(ids)/2], *month)
		}},
		{"compare 31 provinces", func(*rand.Rand) string {
			return fmt.Sprintf("%s/api/v1/compare?parent=ALL&month=%s&metric=csi", *base, *month)
		}},
	}
	if *cold != "" {
		cases = append(cases, struct {
			name string
			url  func(r *rand.Rand) string
		}{"kpi (random, " + *cold + ")", func(r *rand.Rand) string {
			return fmt.Sprintf("%s/api/v1/kpi?branch=%s&month=%s", *base, ids[r.IntN(len(ids))], *cold)
		}})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}, Timeout: time.Minute}
	fmt.Fprintf(a.stdout, "%d clients, %s per endpoint, %d branches\n", *clients, *dur, len(ids))
	fmt.Fprintf(a.stdout, "%-24s %8s %10s %10s %10s %8s\n", "endpoint", "requests", "p50", "p95", "p99", "errors")
	for _, c := range cases {
		var mu sync.Mutex
		var lat []time.Duration
		errs := 0
		end := time.Now().Add(*dur)
		var wg sync.WaitGroup
		for i := range *clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(i), 1))
				for time.Now().Before(end) && ctx.Err() == nil {
					t0 := time.Now()
					err := get(ctx, client, c.url(r), *token)
					d := time.Since(t0)
					mu.Lock()
					if err != nil {
						errs++
					} else {
						lat = append(lat, d)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		q := func(p float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
		}
		fmt.Fprintf(a.stdout, "%-24s %8d %10s %10s %10s %8d\n", c.name, len(lat), q(0.5), q(0.95), q(0.99), errs)
	}
	return nil
}

func get(ctx context.Context, c *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func getJSON(ctx context.Context, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
