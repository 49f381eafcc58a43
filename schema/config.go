package schema

import (
	"errors"
	"fmt"
	"time"
)

// Config is the schema part of csat's configuration: topic names, the item catalog and the
// reporting time zone. Only cmd/csat parses it from the environment (caarlos0/env); Validate
// runs before anything is built.
type Config struct {
	// Topics are the Kafka topic names; each CSAT_TOPIC_* variable defaults to the SPEC §2 name
	// (csat.survey, csat.hotline, …, csat.dlq).
	Topics

	// CatalogFile is the path of a YAML item catalog (see LoadCatalog and
	// schema/testdata/catalog.yaml). Default: empty, meaning the ten items of SPEC §1.
	CatalogFile string `env:"CSAT_CATALOG_FILE"`

	// TimeZone is the IANA name of the reporting time zone, in which an event's month is the
	// month of its occurred_at. Default: Asia/Shanghai.
	TimeZone string `env:"CSAT_TIMEZONE" envDefault:"Asia/Shanghai"`
}

// DefaultConfig returns the configuration with every default applied, as env.Parse would with
// an empty environment.
func DefaultConfig() Config {
	return Config{Topics: DefaultTopics(), TimeZone: "Asia/Shanghai"}
}

// Validate checks every field and names the offending variable in its error. It loads the time
// zone and the catalog file, so it also catches a missing tzdata or an unreadable file.
func (c Config) Validate() error {
	var errs []error
	topics := []struct{ env, v string }{
		{"CSAT_TOPIC_SURVEY", c.Survey}, {"CSAT_TOPIC_HOTLINE", c.Hotline},
		{"CSAT_TOPIC_STORE", c.Store}, {"CSAT_TOPIC_COMPLAINT", c.Complaint},
		{"CSAT_TOPIC_CHURN", c.Churn}, {"CSAT_TOPIC_REFERENCE", c.Reference},
		{"CSAT_TOPIC_ASSESSMENT", c.Assessment}, {"CSAT_TOPIC_DLQ", c.DLQ},
	}
	for _, t := range topics {
		if err := validTopic(t.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.env, err))
		}
	}
	for _, t := range topics[:len(topics)-1] {
		if t.v != "" && t.v == c.DLQ {
			errs = append(errs, fmt.Errorf("CSAT_TOPIC_DLQ: %q is also %s; dead letters must not go to an input topic", c.DLQ, t.env))
		}
	}
	if _, err := c.Location(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.Catalog(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Location loads the reporting time zone.
func (c Config) Location() (*time.Location, error) {
	if c.TimeZone == "" {
		return nil, errors.New("CSAT_TIMEZONE: empty; want an IANA time zone name such as Asia/Shanghai")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("CSAT_TIMEZONE: unknown time zone %q: %w", c.TimeZone, err)
	}
	return loc, nil
}

// Catalog returns the catalog of CatalogFile, or DefaultCatalog when it is empty.
func (c Config) Catalog() (Catalog, error) {
	if c.CatalogFile == "" {
		return DefaultCatalog(), nil
	}
	cat, err := LoadCatalog(c.CatalogFile)
	if err != nil {
		return Catalog{}, fmt.Errorf("CSAT_CATALOG_FILE: %w", err)
	}
	return cat, nil
}

// validTopic checks a Kafka topic name: 1–249 characters of [a-zA-Z0-9._-], not "." or "..".
func validTopic(s string) error {
	if s == "" {
		return errors.New("empty topic name")
	}
	if len(s) > 249 || s == "." || s == ".." {
		return fmt.Errorf("invalid topic name %q", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("invalid topic name %q: want [a-zA-Z0-9._-]", s)
		}
	}
	return nil
}
