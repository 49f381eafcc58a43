package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"

	"github.com/csat-dev/csat/schema"
)

func parseConfig(t *testing.T, environ map[string]string) schema.Config {
	t.Helper()
	var c schema.Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

func TestConfigDefaults(t *testing.T) {
	c := parseConfig(t, map[string]string{})
	if c != schema.DefaultConfig() {
		t.Errorf("parsed defaults %+v, want DefaultConfig() %+v", c, schema.DefaultConfig())
	}
	if c.Topics != schema.DefaultTopics() {
		t.Errorf("topics %+v, want %+v", c.Topics, schema.DefaultTopics())
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	loc, err := c.Location()
	if err != nil || loc.String() != "Asia/Shanghai" {
		t.Errorf("Location() = %v, %v", loc, err)
	}
	cat, err := c.Catalog()
	if err != nil || len(cat.Items) != 10 {
		t.Errorf("Catalog() = %d items, %v", len(cat.Items), err)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	c := parseConfig(t, map[string]string{
		"CSAT_TOPIC_HOTLINE": "prod.hotline",
		"CSAT_CATALOG_FILE":  filepath.Join("testdata", "catalog.yaml"),
		"CSAT_TIMEZONE":      "UTC",
	})
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Hotline != "prod.hotline" || c.Survey != "csat.survey" {
		t.Errorf("topics %+v", c.Topics)
	}
	if cat, _ := c.Catalog(); !cat.Has("fiveg") {
		t.Error("catalog file not used")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("items: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ map[string]string
		want    string
	}{
		{"unknown zone", map[string]string{"CSAT_TIMEZONE": "Mars/Base"}, `CSAT_TIMEZONE: unknown time zone "Mars/Base"`},
		{"missing catalog", map[string]string{"CSAT_CATALOG_FILE": "/nonexistent/catalog.yaml"}, "CSAT_CATALOG_FILE: read catalog"},
		{"invalid catalog", map[string]string{"CSAT_CATALOG_FILE": bad}, "CSAT_CATALOG_FILE: catalog " + bad + ": no items"},
		{"bad topic", map[string]string{"CSAT_TOPIC_SURVEY": "csat survey"}, `CSAT_TOPIC_SURVEY: invalid topic name "csat survey"`},
		{"dlq is an input", map[string]string{"CSAT_TOPIC_DLQ": "csat.store"}, "CSAT_TOPIC_DLQ: \"csat.store\" is also CSAT_TOPIC_STORE"},
		{"bad assessment topic", map[string]string{"CSAT_TOPIC_ASSESSMENT": "csat/assessment"}, `CSAT_TOPIC_ASSESSMENT: invalid topic name "csat/assessment"`},
		{"dlq is the assessment topic", map[string]string{"CSAT_TOPIC_DLQ": "csat.assessment"}, "CSAT_TOPIC_DLQ: \"csat.assessment\" is also CSAT_TOPIC_ASSESSMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseConfig(t, tt.environ).Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// An empty variable means its default to env.Parse, so empty values only come from code.
	c := schema.DefaultConfig()
	c.TimeZone, c.Churn = "", ""
	err := c.Validate()
	for _, want := range []string{"CSAT_TIMEZONE: empty", "CSAT_TOPIC_CHURN: empty topic name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
}
