// Package amtest runs a real Alertmanager for tests: Debian's prometheus-alertmanager (or an
// alertmanager binary on PATH), on a free loopback port with a configuration of the test's, in a
// temporary folder, stopped when the test ends. Without the binary the test skips, unless CI=true
// or CSAT_E2E=1, where it fails. It also gives a webhook receiver that collects Alertmanager's
// notifications, and Source, a notify.Source that serves the alerts a test sets.
package amtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate/notify"
)

// startTimeout bounds the wait for the Alertmanager to be ready.
const startTimeout = 30 * time.Second

// Required reports whether a missing Alertmanager fails the test (CI=true or CSAT_E2E=1).
func Required() bool { return os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" }

// Binary returns the path of the Alertmanager binary, or skips (fails when Required) t.
func Binary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if Required() {
		t.Fatal("amtest: no prometheus-alertmanager on PATH (scripts/test-deps.sh installs it)")
	}
	t.Skip("amtest: no prometheus-alertmanager on PATH (scripts/test-deps.sh installs it); skipping")
	return ""
}

// Server is a running Alertmanager.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:40123
	log *bytes.Buffer
}

// Start runs an Alertmanager with config (alertmanager.yml's text) and files (name → content,
// e.g. templates, written beside the configuration; the configuration may name them by relative
// path) and waits until it is ready. It is stopped, and its folder removed, when t ends; its log
// is printed when t failed.
func Start(t testing.TB, config string, files map[string]string) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), log: &bytes.Buffer{}}
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--cluster.listen-address=", // no gossip: a single instance
		"--log.level=debug")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // a killed test leaves no Alertmanager
	var mu sync.Mutex
	cmd.Stdout = lockedWriter{&mu, s.log}
	cmd.Stderr = lockedWriter{&mu, s.log}
	if err := cmd.Start(); err != nil {
		t.Fatalf("amtest: start %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("alertmanager log:\n%s", s.log.String())
			mu.Unlock()
		}
	})
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-done:
			done <- err
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("amtest: alertmanager exited: %v\n%s", err, s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("amtest: alertmanager not ready after %s", startTimeout)
		}
	}
}

// Alerts returns the alerts the Alertmanager holds (GET /api/v2/alerts), active and not.
func (s *Server) Alerts(t testing.TB) []notify.WebhookAlert {
	t.Helper()
	resp, err := http.Get(s.URL + "/api/v2/alerts")
	if err != nil {
		t.Fatalf("amtest: get alerts: %v", err)
	}
	defer resp.Body.Close()
	var out []notify.WebhookAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("amtest: decode alerts: %v", err)
	}
	return out
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// Webhook is an HTTP server that collects the notifications of Alertmanager's webhook receiver.
type Webhook struct {
	URL string // where Alertmanager posts
	ch  chan notify.WebhookMessage
}

// NewWebhook starts a webhook receiver, closed when t ends.
func NewWebhook(t testing.TB) *Webhook {
	t.Helper()
	w := &Webhook{ch: make(chan notify.WebhookMessage, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m notify.WebhookMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case w.ch <- m:
		default: // a test that stopped reading
		}
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

// Next returns the next notification, or fails t after timeout.
func (w *Webhook) Next(t testing.TB, timeout time.Duration) notify.WebhookMessage {
	t.Helper()
	m, err := w.Wait(context.Background(), timeout)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Wait returns the next notification, or an error after timeout.
func (w *Webhook) Wait(ctx context.Context, timeout time.Duration) (notify.WebhookMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case m := <-w.ch:
		return m, nil
	case <-ctx.Done():
		return notify.WebhookMessage{}, fmt.Errorf("amtest: no notification within %s", timeout)
	}
}
