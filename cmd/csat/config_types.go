package main

import (
	"fmt"
	"net"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// config is every CSAT_* setting; each package owns its part.
type config struct {
	Log logConfig
	// HTTPAddr is where the HTTP server (API, dashboard, /metrics, /healthz, /readyz) listens,
	// host:port. Default 127.0.0.1:8080.
	HTTPAddr   string `env:"CSAT_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	Schema     schema.Config
	ClickHouse chdb.Config
	Ingest     ingest.Config
	KPI        kpi.Config
}

func (c *config) validate() error {
	if err := c.Log.validate(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("CSAT_HTTP_ADDR: %q is not host:port", c.HTTPAddr)
	}
	for _, v := range []interface{ Validate() error }{c.Schema, c.ClickHouse, c.Ingest, c.KPI} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// decoder builds the event decoder from the configuration (catalog file, time zone, topics).
func (c *config) decoder() (*schema.Decoder, schema.Catalog, error) {
	cat := schema.DefaultCatalog()
	if c.Schema.CatalogFile != "" {
		var err error
		if cat, err = schema.LoadCatalog(c.Schema.CatalogFile); err != nil {
			return nil, cat, fmt.Errorf("CSAT_CATALOG_FILE: %w", err)
		}
	}
	loc, err := time.LoadLocation(c.Schema.TimeZone)
	if err != nil {
		return nil, cat, fmt.Errorf("CSAT_TIMEZONE: %w", err)
	}
	return schema.NewDecoder(cat, c.Schema.Topics, loc), cat, nil
}
