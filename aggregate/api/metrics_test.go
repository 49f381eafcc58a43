package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/csat-dev/csat/aggregate/api"
)

// serve runs s.Serve on a random local port until the test ends; it returns the base URL.
func serve(t *testing.T, s *api.Server, scheme string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return scheme + "://" + ln.Addr().String()
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := api.DefaultConfig()
	s, err := api.New(cfg, newFakeReader(), slog.New(slog.DiscardHandler), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, s, "http")
	var text string
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(text, "csat_kpi_month ") {
		if time.Now().After(deadline) {
			t.Fatalf("no KPI gauges after 10s:\n%s", text)
		}
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text = string(b)
	}
	resp, err := http.Get(base + "/metrics") // counts the scrapes before it
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text = string(b)
	for _, want := range []string{
		`csat_kpi_csi{branch="GD-GZ"}`, `csat_kpi_csi{branch="ALL"}`, `csat_kpi_csi{branch="GD"}`,
		`csat_kpi_window_satisfaction{branch="GD-SZ"}`, `csat_kpi_complaint_rate{branch="BJ"}`,
		`csat_kpi_lead{branch="GD-GZ"} 1.`, `csat_kpi_csi_moe95{branch="GD-GZ"} 2.`, `csat_kpi_csi_responses{branch="GD-GZ"} 412`,
		`csat_alert_active{branch="GD-GZ",metric="csi",rule="decline_streak",severity="significant"} 1`,
		`csat_alert_active{branch="GD-SZ",metric="lead",rule="lead_lost",severity="watch"} 1`,
		`csat_http_requests_total{code="200",handler="metrics"}`,
		"csat_kpi_refresh_timestamp_seconds ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Level 2 (the default): no county gauges.
	if strings.Contains(text, `branch="GD-GZ-TH"`) {
		t.Error("/metrics has a county (level 3) series at CSAT_METRICS_BRANCH_LEVEL=2")
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

func TestMetricsBranchLevelBoundsSeries(t *testing.T) {
	for _, tt := range []struct {
		level    int
		branches int // fixture branches at levels ≤ level
	}{{0, 1}, {1, 3}, {2, 6}, {3, 8}} {
		reg := prometheus.NewRegistry()
		cfg := api.DefaultConfig()
		cfg.MetricsBranchLevel = tt.level
		s, err := api.New(cfg, newFakeReader(), nil, reg, nil)
		if err != nil {
			t.Fatal(err)
		}
		base := serve(t, s, "http")
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := testutil.GatherAndCount(reg, "csat_kpi_complaint_rate")
			if err != nil {
				t.Fatal(err)
			}
			if n == tt.branches {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("level %d: %d complaint-rate series, want %d (%s)", tt.level, n, tt.branches, base)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	cfg := api.DefaultConfig()
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	s, err := api.New(cfg, newFakeReader(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, s, "https")
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HTTPS healthz: %d", resp.StatusCode)
	}
	plain, err := http.Get(strings.Replace(base, "https", "http", 1) + "/healthz")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on a TLS server")
		}
	}
}

func TestRunReportsListenErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := api.DefaultConfig()
	cfg.Addr = ln.Addr().String() // taken
	s, err := api.New(cfg, newFakeReader(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "CSAT_HTTP_ADDR") {
		t.Errorf("Run on a taken port: %v", err)
	}
}

func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	err = errors.Join(
		os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600),
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
