package main

import (
	"fmt"
	"net"

	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/aggregate/notify/dingtalk"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// config is every CSAT_* setting; each package owns its part.
type config struct {
	Log logConfig
	// HTTPAddr is where the HTTP server (API, dashboard, /metrics, /healthz, /readyz) listens,
	// host:port. Default 127.0.0.1:8080.
	HTTPAddr string `env:"CSAT_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// BranchNamesFile is a YAML map of branch id to display name (e.g. GD-GZ: 广州) for the API
	// and dashboard. Default: none (ids only).
	BranchNamesFile string `env:"CSAT_BRANCH_NAMES_FILE"`
	Schema          schema.Config
	ClickHouse      chdb.Config
	Ingest          ingest.Config
	KPI             kpi.Config
	API             api.Config
	Notify          notify.Config
	DingTalk        dingtalk.Config
}

func (c *config) validate() error {
	if err := c.Log.validate(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("CSAT_HTTP_ADDR: %q is not host:port", c.HTTPAddr)
	}
	for _, v := range []interface{ Validate() error }{c.Schema, c.ClickHouse, c.Ingest, c.KPI, c.API, c.Notify, c.DingTalk} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// decoder builds the event decoder from the configuration (catalog file, time zone, topics).
func (c *config) decoder() (*schema.Decoder, schema.Catalog, error) {
	cat, err := c.Schema.Catalog()
	if err != nil {
		return nil, cat, err
	}
	if err := c.KPI.CheckCatalog(cat); err != nil {
		return nil, cat, err
	}
	loc, err := c.Schema.Location()
	if err != nil {
		return nil, cat, err
	}
	return schema.NewDecoder(cat, c.Schema.Topics, loc), cat, nil
}

// scorecard loads the scorecard CSAT_SCORECARD or CSAT_SCORECARD_FILE names, or the built-in
// 2007 scheme when neither is set.
func (c *config) scorecard(cat schema.Catalog) (*kpi.Scorecard, error) {
	return kpi.OpenScorecard(c.KPI, cat)
}

// frontline loads the front-line schemes CSAT_FRONTLINE_SCHEMES names (default: the shipped
// preset) and the roster CSAT_ROSTER names (default: none).
func (c *config) frontline(cat schema.Catalog) (*kpi.FrontlineSchemes, kpi.Roster, error) {
	fs, err := kpi.OpenFrontlineSchemes(c.KPI, cat)
	if err != nil {
		return nil, nil, err
	}
	r, err := kpi.LoadRoster(c.KPI.Roster, fs)
	if err != nil {
		return nil, nil, fmt.Errorf("CSAT_ROSTER: %w", err)
	}
	return fs, r, nil
}
