package kpi

import (
	"errors"
	"fmt"
	"regexp"
)

// Config holds the KPI settings of SPEC §3. Only cmd/csat calls env.Parse on it.
type Config struct {
	// OwnCarrier is the carrier that is "us"; every other carrier is a competitor. Default cmcc.
	OwnCarrier string `env:"CSAT_OWN_CARRIER" envDefault:"cmcc"`
	// MinSample is the smallest n (responses or ratings) of a reportable value. Default 30.
	MinSample uint64 `env:"CSAT_MIN_SAMPLE" envDefault:"30"`
	// ShortPlankK is the number of short planks (items) listed. Default 3.
	ShortPlankK int `env:"CSAT_SHORT_PLANK_K" envDefault:"3"`
	// ComplaintSLAHours is the resolution time (hours) within which a closed complaint meets the
	// SLA. It is applied by the projector when it builds Complaints.ClosedWithinSLA. Default 48.
	ComplaintSLAHours float64 `env:"CSAT_COMPLAINT_SLA_HOURS" envDefault:"48"`
	// AlertDeclineMonths is the streak of monthly falls (months) that fires decline_streak.
	// Default 3.
	AlertDeclineMonths int `env:"CSAT_ALERT_DECLINE_MONTHS" envDefault:"3"`
	// ScorecardFile is the path of the scorecard YAML file; empty means the embedded default
	// (default_scorecard.yaml). Default empty.
	ScorecardFile string `env:"CSAT_SCORECARD_FILE"`
}

// DefaultConfig returns the defaults of every field, as env.Parse would with an empty
// environment.
func DefaultConfig() Config {
	return Config{OwnCarrier: "cmcc", MinSample: 30, ShortPlankK: 3, ComplaintSLAHours: 48, AlertDeclineMonths: 3}
}

var carrierRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// Validate checks every field and names the environment variable of the first bad one.
func (c Config) Validate() error {
	var errs []error
	if !carrierRE.MatchString(c.OwnCarrier) {
		errs = append(errs, fmt.Errorf("CSAT_OWN_CARRIER %q: want 1–32 characters of [a-z0-9_]", c.OwnCarrier))
	}
	if c.MinSample < 1 {
		errs = append(errs, fmt.Errorf("CSAT_MIN_SAMPLE %d: want at least 1", c.MinSample))
	}
	if c.ShortPlankK < 1 {
		errs = append(errs, fmt.Errorf("CSAT_SHORT_PLANK_K %d: want at least 1", c.ShortPlankK))
	}
	if !(c.ComplaintSLAHours > 0) {
		errs = append(errs, fmt.Errorf("CSAT_COMPLAINT_SLA_HOURS %v: want a number of hours > 0", c.ComplaintSLAHours))
	}
	if c.AlertDeclineMonths < 1 {
		errs = append(errs, fmt.Errorf("CSAT_ALERT_DECLINE_MONTHS %d: want at least 1", c.AlertDeclineMonths))
	}
	return errors.Join(errs...)
}
