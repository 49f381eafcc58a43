package kpi

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema"
)

//go:embed default_scorecard.yaml
var defaultScorecard []byte

// DefaultBaseShare is β of SPEC §3.10 when the file does not set base_share.
const DefaultBaseShare = 0.6

// Direction says whether a higher or a lower value is better.
type Direction string

// Directions of a scorecard component.
const (
	Higher Direction = "higher"
	Lower  Direction = "lower"
)

// Targets are a component's targets: Base (基本目标), Challenge (挑战目标) and Floor. For
// Higher, Floor ≤ Base ≤ Challenge; for Lower, Challenge ≤ Base ≤ Floor.
type Targets struct {
	Base      float64
	Challenge float64
	Floor     float64
}

// Component is one scorecard line. Overrides holds complete per-branch targets (a partial
// override in the file is completed from the component's own targets at load time).
type Component struct {
	Metric    Metric
	Points    float64
	Direction Direction
	BaseShare float64 // β
	Targets   Targets
	Overrides map[string]Targets
}

// TargetsFor returns the targets that apply to branch: those of the nearest ancestor-or-self
// of branch (branch, its parent, …, schema.Root) that has an override, else the component's.
func (c Component) TargetsFor(branch string) Targets {
	for _, a := range schema.Ancestors(branch) {
		if t, ok := c.Overrides[a]; ok {
			return t
		}
	}
	return c.Targets
}

// Points is the points function of SPEC §3.10 for one value v with β = baseShare. For Higher:
// v ≥ challenge → points; base ≤ v < challenge → points × (β + (1−β)(v−base)/(challenge−base));
// floor ≤ v < base → points × β × (v−floor)/(base−floor); v < floor → 0. Lower mirrors it
// (v ≤ challenge → points; …; v > floor → 0).
func Points(v, points, baseShare float64, dir Direction, t Targets) float64 {
	if dir == Lower {
		// Mirror: negate everything and score as higher-is-better.
		v, t = -v, Targets{Base: -t.Base, Challenge: -t.Challenge, Floor: -t.Floor}
	}
	switch {
	case v >= t.Challenge:
		return points
	case v >= t.Base:
		return points * (baseShare + (1-baseShare)*(v-t.Base)/(t.Challenge-t.Base))
	case v >= t.Floor:
		return points * baseShare * (v - t.Floor) / (t.Base - t.Floor)
	default:
		return 0
	}
}

// Period is an assessment period: months with weights (SPEC §3.10).
type Period struct {
	Name   string
	Months []PeriodMonth
}

// PeriodMonth is one month of a period and its weight (> 0).
type PeriodMonth struct {
	Month  schema.Month `json:"month"`
	Weight float64      `json:"weight"`
}

// Scorecard is a parsed, validated scorecard file. It is read-only after loading.
type Scorecard struct {
	Components []Component
	Periods    map[string]Period // configured periods by name
}

// scorecardFile is the YAML form; see default_scorecard.yaml for its documentation.
type scorecardFile struct {
	BaseShare  *float64                     `yaml:"base_share"`
	Components []componentFile              `yaml:"components"`
	Periods    map[string][]periodMonthFile `yaml:"periods"`
}

type componentFile struct {
	Metric    string                 `yaml:"metric"`
	Points    float64                `yaml:"points"`
	Direction string                 `yaml:"direction"`
	Base      *float64               `yaml:"base"`
	Challenge *float64               `yaml:"challenge"`
	Floor     *float64               `yaml:"floor"`
	BaseShare *float64               `yaml:"base_share"`
	Overrides map[string]targetsFile `yaml:"overrides"`
}

type targetsFile struct {
	Base      *float64 `yaml:"base"`
	Challenge *float64 `yaml:"challenge"`
	Floor     *float64 `yaml:"floor"`
}

type periodMonthFile struct {
	Month  string   `yaml:"month"`
	Weight *float64 `yaml:"weight"`
}

// DefaultScorecard returns the embedded default_scorecard.yaml (SPEC §3.10's 2007 scheme),
// validated against cat.
func DefaultScorecard(cat schema.Catalog) (*Scorecard, error) {
	sc, err := ParseScorecard(defaultScorecard, cat)
	if err != nil {
		return nil, fmt.Errorf("default scorecard: %w", err)
	}
	return sc, nil
}

// LoadScorecard reads and parses a scorecard file; an empty path means DefaultScorecard.
func LoadScorecard(path string, cat schema.Catalog) (*Scorecard, error) {
	if path == "" {
		return DefaultScorecard(cat)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scorecard: %w", err)
	}
	sc, err := ParseScorecard(b, cat)
	if err != nil {
		return nil, fmt.Errorf("scorecard %s: %w", path, err)
	}
	return sc, nil
}

// ParseScorecard parses and validates a scorecard file (format: default_scorecard.yaml). Item
// metrics must name items of cat. Errors name the offending component or period.
func ParseScorecard(data []byte, cat schema.Catalog) (*Scorecard, error) {
	var f scorecardFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse scorecard: %w", err)
	}
	beta := DefaultBaseShare
	if f.BaseShare != nil {
		beta = *f.BaseShare
		if !(beta >= 0 && beta <= 1) {
			return nil, fmt.Errorf("base_share %v: want 0 ≤ base_share ≤ 1", beta)
		}
	}
	if len(f.Components) == 0 {
		return nil, errors.New("no components")
	}
	sc := &Scorecard{Periods: map[string]Period{}}
	seen := map[string]bool{}
	for i, cf := range f.Components {
		c, err := cf.component(cat, beta)
		if err != nil {
			return nil, fmt.Errorf("component %d (%s): %w", i+1, cf.Metric, err)
		}
		if seen[c.Metric.String()] {
			return nil, fmt.Errorf("component %d (%s): metric listed twice", i+1, cf.Metric)
		}
		seen[c.Metric.String()] = true
		sc.Components = append(sc.Components, c)
	}
	for name, pms := range f.Periods {
		p, err := parsePeriod(name, pms)
		if err != nil {
			return nil, fmt.Errorf("period %q: %w", name, err)
		}
		sc.Periods[name] = p
	}
	return sc, nil
}

func (cf componentFile) component(cat schema.Catalog, beta float64) (Component, error) {
	m, err := ParseMetric(cf.Metric, cat)
	if err != nil {
		return Component{}, err
	}
	if m.Kind == KindScore {
		return Component{}, errors.New("score cannot be a component of itself")
	}
	c := Component{Metric: m, Points: cf.Points, Direction: Direction(cf.Direction), BaseShare: beta}
	if !(c.Points > 0) || math.IsInf(c.Points, 0) {
		return Component{}, fmt.Errorf("points %v: want a number > 0", cf.Points)
	}
	if c.Direction != Higher && c.Direction != Lower {
		return Component{}, fmt.Errorf("direction %q: want higher or lower", cf.Direction)
	}
	if cf.BaseShare != nil {
		c.BaseShare = *cf.BaseShare
		if !(c.BaseShare >= 0 && c.BaseShare <= 1) {
			return Component{}, fmt.Errorf("base_share %v: want 0 ≤ base_share ≤ 1", *cf.BaseShare)
		}
	}
	if cf.Base == nil || cf.Challenge == nil || cf.Floor == nil {
		return Component{}, errors.New("base, challenge and floor are required")
	}
	c.Targets = Targets{Base: *cf.Base, Challenge: *cf.Challenge, Floor: *cf.Floor}
	if err := c.Direction.check(c.Targets); err != nil {
		return Component{}, err
	}
	for branch, o := range cf.Overrides {
		if branch != schema.Root && !schema.ValidBranchID(branch) {
			return Component{}, fmt.Errorf("override %q: not a branch id", branch)
		}
		t := c.Targets
		if o.Base != nil {
			t.Base = *o.Base
		}
		if o.Challenge != nil {
			t.Challenge = *o.Challenge
		}
		if o.Floor != nil {
			t.Floor = *o.Floor
		}
		if err := c.Direction.check(t); err != nil {
			return Component{}, fmt.Errorf("override %s: %w", branch, err)
		}
		if c.Overrides == nil {
			c.Overrides = map[string]Targets{}
		}
		c.Overrides[branch] = t
	}
	return c, nil
}

func (d Direction) check(t Targets) error {
	for _, v := range []float64{t.Base, t.Challenge, t.Floor} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("targets base %v, challenge %v, floor %v: want finite numbers", t.Base, t.Challenge, t.Floor)
		}
	}
	if d == Higher && !(t.Floor <= t.Base && t.Base <= t.Challenge) {
		return fmt.Errorf("base %v, challenge %v, floor %v: higher is better, want floor ≤ base ≤ challenge", t.Base, t.Challenge, t.Floor)
	}
	if d == Lower && !(t.Challenge <= t.Base && t.Base <= t.Floor) {
		return fmt.Errorf("base %v, challenge %v, floor %v: lower is better, want challenge ≤ base ≤ floor", t.Base, t.Challenge, t.Floor)
	}
	return nil
}

func parsePeriod(name string, pms []periodMonthFile) (Period, error) {
	if name == "" {
		return Period{}, errors.New("empty name")
	}
	if len(pms) == 0 {
		return Period{}, errors.New("no months")
	}
	p := Period{Name: name}
	seen := map[schema.Month]bool{}
	for _, pm := range pms {
		m, err := schema.ParseMonth(pm.Month)
		if err != nil {
			return Period{}, err
		}
		if seen[m] {
			return Period{}, fmt.Errorf("month %s listed twice", m)
		}
		seen[m] = true
		if pm.Weight == nil || !(*pm.Weight > 0) || math.IsInf(*pm.Weight, 0) {
			return Period{}, fmt.Errorf("month %s: want a weight > 0", m)
		}
		p.Months = append(p.Months, PeriodMonth{Month: m, Weight: *pm.Weight})
	}
	return p, nil
}

// Period resolves an assessment period name: a period configured in the file, else
// "YYYY-Qn" (its three months, equal weights), "YYYY-MM" (that month alone) or "YYYY" (its
// twelve months, equal weights).
func (sc *Scorecard) Period(name string) (Period, error) {
	if p, ok := sc.Periods[name]; ok {
		return p, nil
	}
	equal := func(first schema.Month, n int) Period {
		p := Period{Name: name}
		for i := range n {
			p.Months = append(p.Months, PeriodMonth{Month: first.Add(i), Weight: 1})
		}
		return p
	}
	if m, err := schema.ParseMonth(name); err == nil {
		return equal(m, 1), nil
	}
	if y, q, ok := strings.Cut(name, "-Q"); ok && len(y) == 4 && len(q) == 1 && q[0] >= '1' && q[0] <= '4' {
		if first, err := schema.ParseMonth(fmt.Sprintf("%s-%02d", y, 3*int(q[0]-'1')+1)); err == nil {
			return equal(first, 3), nil
		}
	}
	if len(name) == 4 {
		if yr, err := strconv.Atoi(name); err == nil && yr >= 1 {
			return equal(schema.Month(yr*100+1), 12), nil
		}
	}
	return Period{}, fmt.Errorf("period %q: not configured, and not YYYY-MM, YYYY-Qn or YYYY", name)
}

// ScorecardResult is the scorecard of one branch and period (SPEC §4 "scorecard").
type ScorecardResult struct {
	Branch     string            `json:"branch"`
	Period     string            `json:"period"`
	Components []ComponentResult `json:"components"`
	Total      float64           `json:"total"` // Σ component points
	Max        float64           `json:"max"`   // Σ points_max
}

// ComponentResult is one component of a ScorecardResult. Targets are those that apply to the
// branch (after overrides). Points = Σ weight·points / Σ weight over the period's months (a
// missing month scores 0 and still counts its weight); Value is the weight-averaged value over
// the months that are not missing (null when all are); Missing is true when any month is.
type ComponentResult struct {
	Metric    string        `json:"metric"`
	PointsMax float64       `json:"points_max"`
	Direction Direction     `json:"direction"`
	Base      float64       `json:"base"`
	Challenge float64       `json:"challenge"`
	Floor     float64       `json:"floor"`
	Value     *float64      `json:"value"`
	Points    float64       `json:"points"`
	Missing   bool          `json:"missing"`
	Months    []MonthResult `json:"months"`
}

// MonthResult is one month of a component: its value, points and weight in the period.
// Missing is true when the value is null or not reportable (it then scores 0; Value is still
// shown when there is one).
type MonthResult struct {
	Month   schema.Month `json:"month"`
	Weight  float64      `json:"weight"`
	Value   *float64     `json:"value"`
	Points  float64      `json:"points"`
	Missing bool         `json:"missing"`
}

// Evaluate scores branch over period p. cards holds the branch's card of each month (a month
// without a card scores 0 and is missing).
func (sc *Scorecard) Evaluate(branch string, p Period, cards map[schema.Month]*Card) ScorecardResult {
	r := ScorecardResult{Branch: branch, Period: p.Name, Components: []ComponentResult{}}
	for _, c := range sc.Components {
		t := c.TargetsFor(branch)
		cr := ComponentResult{
			Metric: c.Metric.String(), PointsMax: c.Points, Direction: c.Direction,
			Base: t.Base, Challenge: t.Challenge, Floor: t.Floor, Months: []MonthResult{},
		}
		var sw, swp, swv, swvW float64
		for _, pm := range p.Months {
			mr := MonthResult{Month: pm.Month, Weight: pm.Weight, Missing: true}
			if card := cards[pm.Month]; card != nil {
				// With CSAT_SMOOTHED_ALERTS the survey metrics of cities and counties are
				// their smoothed values (extension, docs/extensions.md).
				mv := card.ScoringMetric(Config{SmoothedAlerts: card.scoreSmoothed}, c.Metric)
				mr.Value = mv.Value
				if mv.Value != nil && mv.Reportable {
					mr.Missing = false
					mr.Points = Points(*mv.Value, c.Points, c.BaseShare, c.Direction, t)
					swv += pm.Weight * *mv.Value
					swvW += pm.Weight
				}
			}
			cr.Missing = cr.Missing || mr.Missing
			sw += pm.Weight
			swp += pm.Weight * mr.Points
			cr.Months = append(cr.Months, mr)
		}
		if sw > 0 {
			cr.Points = swp / sw
		} else {
			cr.Missing = true
		}
		if swvW > 0 {
			cr.Value = ptr(swv / swvW)
		}
		r.Components = append(r.Components, cr)
		r.Total += cr.Points
		r.Max += c.Points
	}
	return r
}

// MonthScore is the metric "score" for one card: the scorecard total of the single-month
// period of card.Month, with the card's branch's targets. It is always reportable.
func (sc *Scorecard) MonthScore(card *Card) MetricValue {
	p := Period{Name: card.Month.String(), Months: []PeriodMonth{{Month: card.Month, Weight: 1}}}
	r := sc.Evaluate(card.Branch, p, map[schema.Month]*Card{card.Month: card})
	return MetricValue{Value: ptr(r.Total), Reportable: true}
}
