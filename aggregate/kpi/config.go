package kpi

import (
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/csat-dev/csat/schema"
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
	// Scorecard names the scorecard: a preset of the seed's table 1 (2001 … 2007, see
	// Presets) or a path of a YAML file; empty means CSAT_SCORECARD_FILE, else the 2007 default.
	// Default empty.
	Scorecard string `env:"CSAT_SCORECARD"`
	// PlankAlpha is α of the composite short plank (SPEC §5.4): the weight of an area's own
	// score against the mean of its key sub-items. Only catalogs with areas use it. Default 0.5.
	PlankAlpha float64 `env:"CSAT_PLANK_ALPHA" envDefault:"0.5"`
	// ChannelItems are the catalog items of the service channels whose score gap is the
	// channel_gap of SPEC §5.3 (comma-separated; empty: no channel gap). Default
	// store,hotline,online.
	ChannelItems []string `env:"CSAT_CHANNEL_ITEMS" envDefault:"store,hotline,online" envSeparator:","`

	// Frontline recomputes the front-line projection (kpi_frontline: stores, staff, agents,
	// managers, SPEC §5.2). Turning it on later needs csat rebuild. Default false.
	Frontline bool `env:"CSAT_FRONTLINE" envDefault:"false"`
	// FrontlineSchemes names the front-line schemes (stores, staff, agents, managers; SPEC
	// §5.2): a preset (FrontlinePresetNames) or the path of a YAML file. Default empty: the
	// preset "default" (the seed's schemes, docs/design/frontline-schemes.md).
	FrontlineSchemes string `env:"CSAT_FRONTLINE_SCHEMES"`
	// Roster is the path of the roster, a YAML map of staff id to role (值班长 duty_manager,
	// 营业员 clerk, or another role of the schemes). Default empty: every staff member is a
	// clerk (the schemes' default_role).
	Roster string `env:"CSAT_ROSTER"`

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
		PlankAlpha: 0.5, ChannelItems: []string{"store", "hotline", "online"},
		AlertFDR: 0.05, AlertMinDrop: 3, DriftLambda: 0.2, DriftLimit: 3, DriverMonths: 6, DriverLevel: 1}
}

// channel reports whether code is one of the channel items.
func (c Config) channel(code string) bool {
	for _, ch := range c.ChannelItems {
		if ch == code {
			return true
		}
	}
	return false
}

// CheckCatalog checks the settings that name catalog items against cat: every channel item
// must be in it.
func (c Config) CheckCatalog(cat schema.Catalog) error {
	for _, ch := range c.ChannelItems {
		if !cat.Has(ch) {
			return fmt.Errorf("CSAT_CHANNEL_ITEMS: item %q is not in the catalog (list the catalog's channel items, or set it empty)", ch)
		}
	}
	return nil
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
	if !(c.PlankAlpha >= 0 && c.PlankAlpha <= 1) {
		errs = append(errs, fmt.Errorf("CSAT_PLANK_ALPHA %v: want 0 ≤ α ≤ 1", c.PlankAlpha))
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
