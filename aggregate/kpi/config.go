package kpi

import (
	"errors"
	"fmt"
	"math"
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

	// Extensions of SPEC (docs/extensions.md).

	// SmoothedAlerts makes decline_streak, drift, below_base and the scorecard use the
	// small-area (smoothed) value and margin of csi, overall and item:<code> of cities and
	// counties instead of the direct ones. Default false.
	SmoothedAlerts bool `env:"CSAT_SMOOTHED_ALERTS" envDefault:"false"`
	// AlertFDR is the false discovery rate of calibrated alerts: decline_streak, lead_lost and
	// drift are significant only when their Benjamini–Hochberg q-value is at most this. Default 0.05.
	AlertFDR float64 `env:"CSAT_ALERT_FDR" envDefault:"0.05"`
	// AlertMinDrop is the smallest cumulative drop (points) of a significant calibrated alert.
	// Default 3.
	AlertMinDrop float64 `env:"CSAT_ALERT_MIN_DROP" envDefault:"3"`
	// DriftLambda is λ of the EWMA drift chart (weight of the newest month, 0 < λ ≤ 1). Default 0.2.
	DriftLambda float64 `env:"CSAT_DRIFT_LAMBDA" envDefault:"0.2"`
	// DriftLimit is L of the drift chart: it signals when the EWMA falls below −L standard
	// deviations. Default 3.
	DriftLimit float64 `env:"CSAT_DRIFT_LIMIT" envDefault:"3"`
	// DriverMonths is the number of months (ending at the card's month) pooled for key-driver
	// importance. Default 6.
	DriverMonths int `env:"CSAT_DRIVER_MONTHS" envDefault:"6"`
	// DriverLevel is the branch level whose pooled responses give the importance of its
	// subtree's cards (0 ALL, 1 provinces); a deeper branch uses its ancestor at this level.
	// Default 1.
	DriverLevel int `env:"CSAT_DRIVER_LEVEL" envDefault:"1"`
}

// DefaultConfig returns the defaults of every field, as env.Parse would with an empty
// environment.
func DefaultConfig() Config {
	return Config{OwnCarrier: "cmcc", MinSample: 30, ShortPlankK: 3, ComplaintSLAHours: 48, AlertDeclineMonths: 3,
		AlertFDR: 0.05, AlertMinDrop: 3, DriftLambda: 0.2, DriftLimit: 3, DriverMonths: 6, DriverLevel: 1}
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
	if !(c.AlertFDR > 0 && c.AlertFDR < 1) {
		errs = append(errs, fmt.Errorf("CSAT_ALERT_FDR %v: want 0 < rate < 1", c.AlertFDR))
	}
	if !(c.AlertMinDrop >= 0) || math.IsInf(c.AlertMinDrop, 0) {
		errs = append(errs, fmt.Errorf("CSAT_ALERT_MIN_DROP %v: want points ≥ 0", c.AlertMinDrop))
	}
	if !(c.DriftLambda > 0 && c.DriftLambda <= 1) {
		errs = append(errs, fmt.Errorf("CSAT_DRIFT_LAMBDA %v: want 0 < λ ≤ 1", c.DriftLambda))
	}
	if !(c.DriftLimit > 0) || math.IsInf(c.DriftLimit, 0) {
		errs = append(errs, fmt.Errorf("CSAT_DRIFT_LIMIT %v: want a number of standard deviations > 0", c.DriftLimit))
	}
	if c.DriverMonths < 1 || c.DriverMonths > 24 {
		errs = append(errs, fmt.Errorf("CSAT_DRIVER_MONTHS %d: want 1 to 24", c.DriverMonths))
	}
	if c.DriverLevel < 0 || c.DriverLevel > 4 {
		errs = append(errs, fmt.Errorf("CSAT_DRIVER_LEVEL %d: want 0 (ALL) to 4", c.DriverLevel))
	}
	return errors.Join(errs...)
}
