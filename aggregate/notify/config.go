package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/csat-dev/csat/schema"
)

// Config is the push path's configuration. Only cmd/csat parses it from the environment; the
// fields tagged env:"-" are set by cmd/csat from other settings.
type Config struct {
	// AlertmanagerURLs are the base URLs of the Alertmanagers to push to (comma-separated, e.g.
	// http://alertmanager-0:9093,http://alertmanager-1:9093; every alert goes to each of them, as
	// Prometheus does with an Alertmanager cluster). A user:password in a URL is sent as basic
	// authentication and never logged. Default empty: no push.
	AlertmanagerURLs []string `env:"CSAT_ALERTMANAGER_URL" envSeparator:","`
	// ExternalURL is the dashboard's address as recipients reach it (e.g.
	// https://csat.example.com/); alerts link to the dashboard view of their branch and metric
	// under it. Default empty: cmd/csat uses http://CSAT_HTTP_ADDR/.
	ExternalURL string `env:"CSAT_EXTERNAL_URL"`
	// Interval is how often the alerts are computed and every active one is sent again (a Go
	// duration). An alert pushed is valid for EndsAfter intervals, so Alertmanager resolves it by
	// itself when csat stops sending it. Default 1m; at least 1s.
	Interval time.Duration `env:"CSAT_NOTIFY_INTERVAL" envDefault:"1m"`
	// Months is the number of latest months whose alerts are pushed: the latest month with data
	// (see CurrentMonth) and the Months−1 before it. Default 1; at most 12.
	Months int `env:"CSAT_NOTIFY_MONTHS" envDefault:"1"`
	// CurrentMonth lets the current, unfinished month (in CSAT_TIMEZONE) be the latest month
	// pushed. Default false: the latest month is the last complete one, so that the first events
	// of a new month do not resolve last month's alerts and replace them by alerts computed from
	// a few days of data.
	CurrentMonth bool `env:"CSAT_NOTIFY_CURRENT_MONTH" envDefault:"false"`
	// Timeout bounds one POST to one Alertmanager. Default 10s; at least 100ms.
	Timeout time.Duration `env:"CSAT_ALERTMANAGER_TIMEOUT" envDefault:"10s"`

	// Location is the reporting time zone (CSAT_TIMEZONE): it decides the current month. Set by
	// cmd/csat; nil means UTC.
	Location *time.Location `env:"-"`
	// Catalog gives the survey items' Chinese names. Set by cmd/csat; empty: the default catalog.
	Catalog schema.Catalog `env:"-"`
	// Names maps branch ids to display names (CSAT_BRANCH_NAMES_FILE). Set by cmd/csat.
	Names map[string]string `env:"-"`
}

// EndsAfter is the number of intervals an alert stays valid after it was last sent.
const EndsAfter = 4

// maxMonths is the largest CSAT_NOTIFY_MONTHS.
const maxMonths = 12

// Enabled reports whether any Alertmanager is configured.
func (c Config) Enabled() bool { return len(c.AlertmanagerURLs) > 0 }

// Validate checks every field and names the environment variable of each bad one.
func (c Config) Validate() error {
	var errs []error
	for _, u := range c.AlertmanagerURLs {
		if err := checkURL(u); err != nil {
			errs = append(errs, fmt.Errorf("CSAT_ALERTMANAGER_URL: %w", err))
		}
	}
	if c.ExternalURL != "" {
		if err := checkURL(c.ExternalURL); err != nil {
			errs = append(errs, fmt.Errorf("CSAT_EXTERNAL_URL: %w", err))
		}
	}
	if c.Interval < time.Second {
		errs = append(errs, fmt.Errorf("CSAT_NOTIFY_INTERVAL %s: want at least 1s", c.Interval))
	}
	if c.Months < 1 || c.Months > maxMonths {
		errs = append(errs, fmt.Errorf("CSAT_NOTIFY_MONTHS %d: want 1 to %d", c.Months, maxMonths))
	}
	if c.Timeout < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("CSAT_ALERTMANAGER_TIMEOUT %s: want at least 100ms", c.Timeout))
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute http(s) URL with a host and no fragment.
func checkURL(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q: %w", redact(s), err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL with a host", redact(s))
	}
	if u.Fragment != "" {
		return fmt.Errorf("%q: want no #fragment", redact(s))
	}
	return nil
}

// redact returns s with the password of its user information, if any, replaced.
func redact(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// LogValue implements slog.LogValuer: the configuration without passwords.
func (c Config) LogValue() slog.Value {
	urls := make([]string, len(c.AlertmanagerURLs))
	for i, u := range c.AlertmanagerURLs {
		urls[i] = redact(u)
	}
	return slog.GroupValue(slog.Any("alertmanager_urls", urls), slog.String("external_url", c.ExternalURL),
		slog.Duration("interval", c.Interval), slog.Int("months", c.Months), slog.Bool("current_month", c.CurrentMonth))
}
