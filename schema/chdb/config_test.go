package chdb_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/csat-dev/csat/schema/chdb"
)

func parse(t *testing.T, environ map[string]string) chdb.Config {
	t.Helper()
	var cfg chdb.Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		t.Fatalf("parse %v: %v", environ, err)
	}
	return cfg
}

func TestConfigDefaults(t *testing.T) {
	cfg := parse(t, map[string]string{})
	want := chdb.Config{
		Addr:         []string{"127.0.0.1:9000"},
		Database:     "csat",
		User:         "default",
		DialTimeout:  5 * time.Second,
		MaxOpenConns: 8,
	}
	if !slices.Equal(cfg.Addr, want.Addr) || cfg.Database != want.Database || cfg.User != want.User ||
		cfg.Password != "" || cfg.TLS || cfg.TLSCAFile != "" || cfg.TLSInsecureSkipVerify ||
		cfg.DialTimeout != want.DialTimeout || cfg.MaxOpenConns != want.MaxOpenConns || cfg.Cluster != "" ||
		cfg.Compression != "auto" {
		t.Errorf("defaults = %+v, want %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
}

// TestCompressed: auto compresses unless every address is a loopback one; lz4 and none decide.
func TestCompressed(t *testing.T) {
	for _, c := range []struct {
		mode string
		addr []string
		want bool
	}{
		{"auto", []string{"127.0.0.1:9000"}, false},
		{"", []string{"localhost:9000", "[::1]:9000", "127.0.0.2:9000"}, false},
		{"auto", []string{"127.0.0.1:9000", "10.0.0.5:9000"}, true},
		{"auto", []string{"ch.example.com:9000"}, true},
		{"lz4", []string{"127.0.0.1:9000"}, true},
		{"none", []string{"10.0.0.5:9000"}, false},
	} {
		if got := (chdb.Config{Addr: c.addr, Compression: c.mode}).Compressed(); got != c.want {
			t.Errorf("%q %v: Compressed() = %v, want %v", c.mode, c.addr, got, c.want)
		}
	}
	if err := parse(t, map[string]string{"CSAT_CLICKHOUSE_COMPRESSION": "zstd"}).Validate(); err == nil || !strings.Contains(err.Error(), "CSAT_CLICKHOUSE_COMPRESSION") {
		t.Errorf("zstd: %v, want an error naming CSAT_CLICKHOUSE_COMPRESSION", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		edit    func(*chdb.Config) // after parsing, for values the environment cannot express
		wantErr []string           // substrings of the error; none: valid
	}{
		{name: "defaults", environ: map[string]string{}},
		{name: "several addresses", environ: map[string]string{"CSAT_CLICKHOUSE_ADDR": "ch1:9000,ch2:9000,[::1]:9440"}},
		{name: "tls with ca", environ: map[string]string{"CSAT_CLICKHOUSE_TLS": "true", "CSAT_CLICKHOUSE_TLS_CA_FILE": "/etc/ca.pem"}},
		{name: "tls insecure", environ: map[string]string{"CSAT_CLICKHOUSE_TLS": "true", "CSAT_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY": "true"}},
		{name: "cluster", environ: map[string]string{"CSAT_CLICKHOUSE_CLUSTER": "csat_cluster"}},
		{
			name:    "address without port",
			environ: map[string]string{"CSAT_CLICKHOUSE_ADDR": "x"},
			wantErr: []string{`CSAT_CLICKHOUSE_ADDR: "x" is not host:port`},
		},
		{
			name:    "address with bad port",
			environ: map[string]string{"CSAT_CLICKHOUSE_ADDR": "ch:http"},
			wantErr: []string{`CSAT_CLICKHOUSE_ADDR: "ch:http" is not host:port`},
		},
		{
			name:    "address without host",
			environ: map[string]string{"CSAT_CLICKHOUSE_ADDR": ":9000"},
			wantErr: []string{`CSAT_CLICKHOUSE_ADDR: ":9000" is not host:port`},
		},
		{
			name:    "one bad address of two",
			environ: map[string]string{"CSAT_CLICKHOUSE_ADDR": "ch1:9000,ch2:99999"},
			wantErr: []string{`CSAT_CLICKHOUSE_ADDR: "ch2:99999" is not host:port`},
		},
		{
			name:    "database not an identifier",
			environ: map[string]string{"CSAT_CLICKHOUSE_DATABASE": "csat-prod"},
			wantErr: []string{`CSAT_CLICKHOUSE_DATABASE: "csat-prod" is not an identifier`},
		},
		{
			name:    "empty user", // an empty variable means the default: set it directly
			environ: map[string]string{},
			edit:    func(c *chdb.Config) { c.User = "" },
			wantErr: []string{"CSAT_CLICKHOUSE_USER: empty"},
		},
		{
			name:    "ca file without tls",
			environ: map[string]string{"CSAT_CLICKHOUSE_TLS_CA_FILE": "/etc/ca.pem"},
			wantErr: []string{"CSAT_CLICKHOUSE_TLS_CA_FILE: set but CSAT_CLICKHOUSE_TLS is false"},
		},
		{
			name:    "skip verify without tls",
			environ: map[string]string{"CSAT_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY": "true"},
			wantErr: []string{"CSAT_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY: set but CSAT_CLICKHOUSE_TLS is false"},
		},
		{
			name:    "zero dial timeout",
			environ: map[string]string{"CSAT_CLICKHOUSE_DIAL_TIMEOUT": "0s"},
			wantErr: []string{"CSAT_CLICKHOUSE_DIAL_TIMEOUT: 0s is not positive"},
		},
		{
			name:    "zero connections",
			environ: map[string]string{"CSAT_CLICKHOUSE_MAX_OPEN_CONNS": "0"},
			wantErr: []string{"CSAT_CLICKHOUSE_MAX_OPEN_CONNS: 0 is less than 1"},
		},
		{
			name:    "cluster not an identifier",
			environ: map[string]string{"CSAT_CLICKHOUSE_CLUSTER": "a b"},
			wantErr: []string{`CSAT_CLICKHOUSE_CLUSTER: "a b" is not an identifier`},
		},
		{
			name:    "no address",
			environ: map[string]string{},
			edit:    func(c *chdb.Config) { c.Addr = nil },
			wantErr: []string{"CSAT_CLICKHOUSE_ADDR: empty"},
		},
		{
			name: "every error at once",
			environ: map[string]string{
				"CSAT_CLICKHOUSE_ADDR":           "x",
				"CSAT_CLICKHOUSE_DATABASE":       "1db",
				"CSAT_CLICKHOUSE_MAX_OPEN_CONNS": "-1",
			},
			wantErr: []string{"CSAT_CLICKHOUSE_ADDR", "CSAT_CLICKHOUSE_DATABASE", "CSAT_CLICKHOUSE_MAX_OPEN_CONNS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, tt.environ)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigRedactsPassword(t *testing.T) {
	cfg := parse(t, map[string]string{"CSAT_CLICKHOUSE_PASSWORD": "hunter2"})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "clickhouse", cfg)
	for name, out := range map[string]string{
		"slog":  buf.String(),
		"%v":    fmt.Sprintf("%v", cfg),
		"%+v":   fmt.Sprintf("%+v", cfg),
		"%s":    fmt.Sprintf("%s", cfg),
		"slice": fmt.Sprint([]chdb.Config{cfg}),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s output shows the password: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not say the password is redacted: %s", name, out)
		}
	}
	if !strings.Contains(buf.String(), `"database":"csat"`) {
		t.Errorf("slog output lacks the database: %s", buf.String())
	}
}
