package synth

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/csat-dev/csat/schema"
)

// Config says what to generate. The zero value is usable: every zero field takes its default.
// Two runs with equal Seed, Months, EndMonth, Scale and Volume emit byte-identical streams.
type Config struct {
	// Seed makes the stream deterministic; it also goes into every event id, so the streams of two
	// seeds never share an event. Default 0 (the CLI's default is 1).
	Seed int64
	// Months is how many months to generate, ending at EndMonth. Default 6.
	Months int
	// EndMonth is the last generated month. Default (zero): the last full month before Now in
	// Asia/Shanghai. Nothing generated occurs after the end of EndMonth.
	EndMonth schema.Month
	// Now is only used to find the default EndMonth. Default: time.Now().
	Now time.Time
	// Scale sets the size of the hierarchy: 1 ≈ 3 provinces, 9 cities, 25 counties. Default 1.
	Scale float64
	// Volume multiplies the subscriber bases and so the volumes of hotline and store ratings,
	// complaints and churn (not the survey samples). Default 1 (a county of 15 000–45 000
	// subscribers, a few hundred ratings and churned customers a month).
	Volume float64
	// Rate throttles Run to at most this many events per second; 0 = unthrottled. Generate ignores it.
	Rate float64
	// Topics names the topics events are emitted to. Default schema.DefaultTopics().
	Topics schema.Topics
}

// Validate reports a config the generator cannot honour.
func (c Config) Validate() error {
	switch {
	case c.Months < 0 || c.Months > 120:
		return fmt.Errorf("months %d: want 1–120 (0 for the default 6)", c.Months)
	case c.EndMonth != 0 && (!c.EndMonth.Valid() || c.EndMonth.Year() < 2001):
		return fmt.Errorf("end month %v: want a month after 2000", c.EndMonth)
	case c.Scale < 0 || c.Scale > 10 || math.IsNaN(c.Scale):
		return fmt.Errorf("scale %v: want > 0 and ≤ 10 (0 for the default 1)", c.Scale)
	case c.Volume < 0 || c.Volume > 1000 || math.IsNaN(c.Volume):
		return fmt.Errorf("volume %v: want > 0 and ≤ 1000 (0 for the default 1)", c.Volume)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("rate %v: want ≥ 0 events/s", c.Rate)
	}
	t := c.withDefaults().Topics
	for _, s := range t.Inputs() {
		if s == "" {
			return errors.New("topics: every input topic needs a name")
		}
	}
	return nil
}

// tz is the +08:00 offset every generated occurred_at carries (Asia/Shanghai has no DST).
var tz = time.FixedZone("CST", 8*3600)

func (c Config) withDefaults() Config {
	if c.Months == 0 {
		c.Months = 6
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.Volume == 0 {
		c.Volume = 1
	}
	if c.Topics == (schema.Topics{}) {
		c.Topics = schema.DefaultTopics()
	}
	if c.EndMonth == 0 {
		now := c.Now
		if now.IsZero() {
			now = time.Now()
		}
		c.EndMonth = schema.MonthOf(now, tz).Prev()
	}
	return c
}

// FirstMonth is the first generated month.
func (c Config) FirstMonth() schema.Month {
	c = c.withDefaults()
	return c.EndMonth.Add(1 - c.Months)
}

// LastMonth is the last generated month (EndMonth, or its default).
func (c Config) LastMonth() schema.Month { return c.withDefaults().EndMonth }
