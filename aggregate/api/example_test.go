package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/csat-dev/csat/aggregate/api"
)

// A bad parameter is a 400 naming it.
func ExampleNew() {
	srv, err := api.New(api.DefaultConfig(), newFakeReader(), nil, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/api/v1/kpi?branch=GD-GZ&month=2026-13")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output: 400 {"error":"month \"2026-13\": want YYYY-MM","param":"month"}
}

// NewToken is what `csat token new --name N --scope B` prints: the token, shown once, and the
// entry for the tokens file, which holds only its hash.
func ExampleNewToken() {
	token, entry, err := api.NewToken("gd-sz service desk", "GD-SZ")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(token, "csat_"), len(entry.SHA256), entry.Scope)
	// Output: true 64 GD-SZ
}

// TestServeStopsItsGoroutines: after its context is cancelled, Serve returns and leaves no
// goroutine behind (the HTTP server and the gauge refresher are both stopped).
func TestServeStopsItsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := api.New(api.DefaultConfig(), newFakeReader(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	client.CloseIdleConnections()
}
