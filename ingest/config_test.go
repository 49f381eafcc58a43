package ingest_test

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	envparse "github.com/caarlos0/env/v11"

	"github.com/csat-dev/csat/ingest"
)

func parse(t *testing.T, environ map[string]string) ingest.Config {
	t.Helper()
	var cfg ingest.Config
	if err := envparse.ParseWithOptions(&cfg, envparse.Options{Environment: environ}); err != nil {
		t.Fatalf("parse %v: %v", environ, err)
	}
	return cfg
}

func TestConfigDefaults(t *testing.T) {
	got := parse(t, map[string]string{})
	if want := ingest.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults from the environment\n got %+v\nwant %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		wantErr string // a variable name the error must name; "" for valid
	}{
		{"valid SCRAM", map[string]string{"CSAT_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "CSAT_KAFKA_SASL_USER": "u", "CSAT_KAFKA_SASL_PASSWORD": "p"}, ""},
		{"valid brokers", map[string]string{"CSAT_KAFKA_BROKERS": "k1:9092,k2:9093"}, ""},
		{"bad broker", map[string]string{"CSAT_KAFKA_BROKERS": "k1"}, "CSAT_KAFKA_BROKERS"},
		{"empty group", map[string]string{"CSAT_KAFKA_GROUP": " "}, "CSAT_KAFKA_GROUP"},
		{"unknown mechanism", map[string]string{"CSAT_KAFKA_SASL_MECHANISM": "GSSAPI"}, "CSAT_KAFKA_SASL_MECHANISM"},
		{"mechanism without user", map[string]string{"CSAT_KAFKA_SASL_MECHANISM": "PLAIN"}, "CSAT_KAFKA_SASL_USER"},
		{"user without mechanism", map[string]string{"CSAT_KAFKA_SASL_USER": "u"}, "CSAT_KAFKA_SASL_MECHANISM"},
		{"CA without TLS", map[string]string{"CSAT_KAFKA_TLS_CA_FILE": "/ca.pem"}, "CSAT_KAFKA_TLS_CA_FILE"},
		{"zero rows", map[string]string{"CSAT_BATCH_ROWS": "0"}, "CSAT_BATCH_ROWS"},
		{"zero bytes", map[string]string{"CSAT_BATCH_BYTES": "0"}, "CSAT_BATCH_BYTES"},
		{"zero interval", map[string]string{"CSAT_BATCH_INTERVAL": "0s"}, "CSAT_BATCH_INTERVAL"},
		{"retry max below min", map[string]string{"CSAT_RETRY_MIN": "2s", "CSAT_RETRY_MAX": "1s"}, "CSAT_RETRY_MAX"},
		{"zero grace", map[string]string{"CSAT_SHUTDOWN_GRACE": "0s"}, "CSAT_SHUTDOWN_GRACE"},
		{"zero project interval", map[string]string{"CSAT_PROJECT_INTERVAL": "0s"}, "CSAT_PROJECT_INTERVAL"},
		{"negative project debounce", map[string]string{"CSAT_PROJECT_DEBOUNCE": "-1s"}, "CSAT_PROJECT_DEBOUNCE"},
		{"short session", map[string]string{"CSAT_KAFKA_SESSION_TIMEOUT": "10ms"}, "CSAT_KAFKA_SESSION_TIMEOUT"},
		{"tiny memory limit", map[string]string{"CSAT_INGEST_MEMORY_LIMIT": "1000"}, "CSAT_INGEST_MEMORY_LIMIT"},
		{"memory limit off", map[string]string{"CSAT_INGEST_MEMORY_LIMIT": "0"}, ""},
		{"tiny dead-letter payload", map[string]string{"CSAT_DLQ_MAX_PAYLOAD": "10"}, "CSAT_DLQ_MAX_PAYLOAD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := parse(t, tc.environ).Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestConfigRedactsPassword(t *testing.T) {
	cfg := ingest.DefaultConfig()
	cfg.SASLMechanism, cfg.SASLUser, cfg.SASLPassword = "PLAIN", "u", "hunter2"
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "config", cfg)
	for _, s := range []string{b.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password shown: %s", s)
		}
	}
}
