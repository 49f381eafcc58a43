package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/csat-dev/csat/aggregate/api"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // a variable name, or "" for valid
	}{
		{"defaults", nil, ""},
		{"tls pair", map[string]string{"CSAT_HTTP_TLS_CERT_FILE": "c.pem", "CSAT_HTTP_TLS_KEY_FILE": "k.pem"}, ""},
		{"tls cert only", map[string]string{"CSAT_HTTP_TLS_CERT_FILE": "c.pem"}, "CSAT_HTTP_TLS_CERT_FILE"},
		{"level 5", map[string]string{"CSAT_METRICS_BRANCH_LEVEL": "5"}, "CSAT_METRICS_BRANCH_LEVEL"},
		{"level -1", map[string]string{"CSAT_METRICS_BRANCH_LEVEL": "-1"}, "CSAT_METRICS_BRANCH_LEVEL"},
		{"refresh too fast", map[string]string{"CSAT_METRICS_REFRESH": "10ms"}, "CSAT_METRICS_REFRESH"},
		{"request timeout too short", map[string]string{"CSAT_API_REQUEST_TIMEOUT": "100ms"}, "CSAT_API_REQUEST_TIMEOUT"},
		{"no as_of slot", map[string]string{"CSAT_API_ASOF_CONCURRENCY": "0"}, "CSAT_API_ASOF_CONCURRENCY"},
		{"per caller above total", map[string]string{"CSAT_API_ASOF_CONCURRENCY": "2", "CSAT_API_ASOF_PER_CALLER": "3"}, "CSAT_API_ASOF_PER_CALLER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg api.Config
			if err := env.ParseWithOptions(&cfg, env.Options{Environment: tt.env}); err != nil {
				t.Fatalf("parse: %v", err)
			}
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate: %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
	var cfg api.Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if d := api.DefaultConfig(); cfg.MetricsBranchLevel != d.MetricsBranchLevel || cfg.MetricsRefresh != d.MetricsRefresh || d.MetricsRefresh != 60*time.Second ||
		cfg.RequestTimeout != d.RequestTimeout || cfg.AsOfConcurrency != d.AsOfConcurrency || cfg.AsOfPerCaller != d.AsOfPerCaller {
		t.Errorf("env defaults %+v differ from DefaultConfig %+v", cfg, d)
	}
}
