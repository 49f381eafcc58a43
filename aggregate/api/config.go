package api

import (
	"errors"
	"fmt"
	"time"
)

// Config is the HTTP read side's configuration. Only cmd/csat parses it from the environment;
// Addr comes from CSAT_HTTP_ADDR, which cmd/csat owns, and Location from CSAT_TIMEZONE.
type Config struct {
	// Addr is the listen address, host:port. Set by cmd/csat from CSAT_HTTP_ADDR.
	Addr string `env:"-"`
	// Location is the reporting time zone: it decides the "current month" of the KPI gauges.
	// Set by cmd/csat from CSAT_TIMEZONE; nil means UTC.
	Location *time.Location `env:"-"`

	// TokensFile is the YAML list of API tokens ({name, sha256, scope}). Empty (the default)
	// leaves the API open; the server logs that once at start.
	TokensFile string `env:"CSAT_API_TOKENS_FILE"`
	// TLSCertFile and TLSKeyFile are PEM files; with both set the server speaks HTTPS only.
	// Default empty (plain HTTP).
	TLSCertFile string `env:"CSAT_HTTP_TLS_CERT_FILE"`
	TLSKeyFile  string `env:"CSAT_HTTP_TLS_KEY_FILE"`
	// MetricsBranchLevel is the deepest branch level with KPI gauges on /metrics: 0 only ALL,
	// 1 provinces, 2 cities (the default), 3 counties, 4 everything. Label cardinality is
	// bounded by the branches at levels ≤ this: at most 13 csat_kpi_* series per branch, and
	// csat_alert_active at most one per (branch, metric, rule), i.e. about 14 watched metrics
	// × 3 rules per branch in the worst case and a handful in practice. With a national
	// hierarchy (31 provinces, ~370 cities) level 2 is ~400 branches, ≤ ~5,200 KPI series;
	// level 3 (~3,400 branches) would be ~44,000 and is not recommended.
	MetricsBranchLevel int `env:"CSAT_METRICS_BRANCH_LEVEL" envDefault:"2"`
	// MetricsRefresh is how often the KPI gauges are recomputed from the Reader (a Go duration).
	// Default 60s; at least 1s.
	MetricsRefresh time.Duration `env:"CSAT_METRICS_REFRESH" envDefault:"60s"`
	// WarmMonths is the number of latest months (the latest month with projections, and the
	// ones before it) whose every card serve keeps computed in memory, so that a card request
	// is answered without ClickHouse computing it; 0 turns it off. Default 2.
	WarmMonths int `env:"CSAT_API_WARM_MONTHS" envDefault:"2"`
	// WarmInterval is how often the warm months are checked against the committed projections
	// (one small query) and recomputed when a recompute changed them (about 1 s of CPU per month
	// at the national scale). Default 10s; at least 1s.
	WarmInterval time.Duration `env:"CSAT_API_WARM_INTERVAL" envDefault:"10s"`
	// RequestTimeout bounds one API request (a Go duration): a read not done by then is
	// answered 503 with Retry-After, whether or not ClickHouse has answered. Default 30s; at
	// least 1s.
	RequestTimeout time.Duration `env:"CSAT_API_REQUEST_TIMEOUT" envDefault:"30s"`
	// AsOfConcurrency is the number of as_of requests (kpi, alerts, scorecard) computed at
	// once, all callers together; more wait for a slot until the request timeout, then get
	// 503. Default 2; at least 1.
	AsOfConcurrency int `env:"CSAT_API_ASOF_CONCURRENCY" envDefault:"2"`
	// AsOfPerCaller is the number of as_of requests one caller (a token; on an open API a
	// client address) may have running at once; one more is answered 429 with Retry-After at
	// once. Default 1; at least 1, at most AsOfConcurrency.
	AsOfPerCaller int `env:"CSAT_API_ASOF_PER_CALLER" envDefault:"1"`
	// ShutdownTimeout bounds the graceful shutdown of in-flight requests. Default 10s.
	ShutdownTimeout time.Duration `env:"-"`
}

// maxWarmMonths is the largest CSAT_API_WARM_MONTHS (aggregate keeps at most four warm months).
const maxWarmMonths = 4

// DefaultConfig returns the defaults, as env.Parse gives them with an empty environment, with
// Addr 127.0.0.1:8080.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", MetricsBranchLevel: 2, MetricsRefresh: 60 * time.Second, WarmMonths: 2,
		WarmInterval: 10 * time.Second, RequestTimeout: 30 * time.Second, AsOfConcurrency: 2, AsOfPerCaller: 1,
		ShutdownTimeout: 10 * time.Second}
}

// Validate checks every field and names the environment variable of each bad one.
func (c Config) Validate() error {
	var errs []error
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("CSAT_HTTP_TLS_CERT_FILE and CSAT_HTTP_TLS_KEY_FILE: set both or neither"))
	}
	if c.MetricsBranchLevel < 0 || c.MetricsBranchLevel > 4 {
		errs = append(errs, fmt.Errorf("CSAT_METRICS_BRANCH_LEVEL %d: want 0 (ALL) to 4 (every level)", c.MetricsBranchLevel))
	}
	if c.MetricsRefresh < time.Second {
		errs = append(errs, fmt.Errorf("CSAT_METRICS_REFRESH %s: want at least 1s", c.MetricsRefresh))
	}
	if c.WarmMonths < 0 || c.WarmMonths > maxWarmMonths {
		errs = append(errs, fmt.Errorf("CSAT_API_WARM_MONTHS %d: want 0 (off) to %d", c.WarmMonths, maxWarmMonths))
	}
	if c.WarmInterval < time.Second {
		errs = append(errs, fmt.Errorf("CSAT_API_WARM_INTERVAL %s: want at least 1s", c.WarmInterval))
	}
	if c.RequestTimeout < time.Second {
		errs = append(errs, fmt.Errorf("CSAT_API_REQUEST_TIMEOUT %s: want at least 1s", c.RequestTimeout))
	}
	if c.AsOfConcurrency < 1 {
		errs = append(errs, fmt.Errorf("CSAT_API_ASOF_CONCURRENCY %d: want at least 1", c.AsOfConcurrency))
	}
	if c.AsOfPerCaller < 1 || c.AsOfPerCaller > max(c.AsOfConcurrency, 1) {
		errs = append(errs, fmt.Errorf("CSAT_API_ASOF_PER_CALLER %d: want 1 to CSAT_API_ASOF_CONCURRENCY (%d)", c.AsOfPerCaller, c.AsOfConcurrency))
	}
	return errors.Join(errs...)
}
