package kpi

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema"
)

// presets are the schemes of the seed's table 1, one file per year; 2007 is the default.
//
//go:embed presets/*.yaml
var presets embed.FS

// DefaultPreset is the preset DefaultScorecard loads.
const DefaultPreset = "2007"

// scorecardPresets are the presets of Preset.
var scorecardPresets = presetDir{fs: presets, dir: "presets", unknown: ErrUnknownPreset}

// PresetNames lists the presets in order (2001 … 2007).
func PresetNames() []string { return scorecardPresets.names() }

// Preset parses the preset of that name (a year of the seed's table 1), validated against cat.
func Preset(name string, cat schema.Catalog) (*Scorecard, error) {
	b, err := scorecardPresets.read(name)
	if err != nil {
		return nil, err
	}
	sc, err := ParseScorecard(b, cat)
	if err != nil {
		return nil, fmt.Errorf("preset %s: %w", name, err)
	}
	return sc, nil
}

// ErrUnknownPreset is returned by Preset for a name that is no preset.
var ErrUnknownPreset = errors.New("unknown scorecard preset")

// OpenScorecard returns the scorecard the configuration names: CSAT_SCORECARD (a preset name,
// else a file path), else CSAT_SCORECARD_FILE, else the default preset. Errors name the setting.
func OpenScorecard(cfg Config, cat schema.Catalog) (*Scorecard, error) {
	switch {
	case cfg.Scorecard != "" && cfg.ScorecardFile != "":
		return nil, errors.New("CSAT_SCORECARD and CSAT_SCORECARD_FILE are both set: set one")
	case cfg.Scorecard != "":
		if scorecardPresets.has(cfg.Scorecard) {
			sc, err := Preset(cfg.Scorecard, cat)
			if err != nil {
				return nil, fmt.Errorf("CSAT_SCORECARD: %w", err)
			}
			return sc, nil
		}
		if _, err := os.Stat(cfg.Scorecard); err != nil {
			return nil, fmt.Errorf("CSAT_SCORECARD %q: neither a preset (%s) nor a readable file: %w", cfg.Scorecard, strings.Join(PresetNames(), ", "), err)
		}
		sc, err := LoadScorecard(cfg.Scorecard, cat)
		if err != nil {
			return nil, fmt.Errorf("CSAT_SCORECARD: %w", err)
		}
		return sc, nil
	case cfg.ScorecardFile != "":
		sc, err := LoadScorecard(cfg.ScorecardFile, cat)
		if err != nil {
			return nil, fmt.Errorf("CSAT_SCORECARD_FILE: %w", err)
		}
		return sc, nil
	}
	return DefaultScorecard(cat)
}

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

// Mode is how a component earns its points.
type Mode string

// Modes of a scorecard component.
const (
	// Attain scores the value against the targets (SPEC §3.10); the default.
	Attain Mode = "attain"
	// ImproveOrAttain scores the better of attainment and improvement over the same months a
	// year earlier (综合满意度改善/达标, SPEC §5.4–5.5).
	ImproveOrAttain Mode = "improve_or_attain"
)

// Component is one scorecard line. Overrides holds complete per-branch targets (a partial
// override in the file is completed from the component's own targets at load time). Versions
// are the targets of later periods (SPEC §5.4: "from: YYYY-MM"), in order of From; each is
// complete (what a version omits is inherited from the one before).
type Component struct {
	Metric    Metric
	Name      string // the scheme's own words for the component (e.g. 综合满意度改善/达标); optional
	Group     string // the part of the scheme it belongs to (e.g. 客户满意度); optional
	Points    float64
	Direction Direction
	BaseShare float64 // β
	Mode      Mode
	Targets   Targets
	Overrides map[string]Targets
	// Improve are the targets of the improvement Δ (ImproveOrAttain only): improve_base,
	// improve_challenge and improve_floor, in the metric's units, in the component's direction.
	Improve  Targets
	Versions []TargetVersion
}

// TargetVersion is the targets in force from a month on. Issued, when set, is the moment they
// were issued: a scorecard as of an earlier moment does not know them yet (a restatement of a
// past period's targets then shows in a diff of two moments as a target change, apart from the
// data's).
type TargetVersion struct {
	From      schema.Month
	Issued    time.Time
	Targets   Targets
	Overrides map[string]Targets
	Improve   Targets
}

// version returns the targets in force in month m as known at moment at (zero: every version,
// issued or not): the last version whose From ≤ m and that was issued by at, else the
// component's own.
func (c Component) version(m schema.Month, at time.Time) TargetVersion {
	v := TargetVersion{Targets: c.Targets, Overrides: c.Overrides, Improve: c.Improve}
	for _, tv := range c.Versions {
		if tv.From > m {
			break
		}
		if !at.IsZero() && !tv.Issued.IsZero() && tv.Issued.After(at) {
			continue
		}
		v = tv
	}
	return v
}

// TargetsFor returns the targets that apply to branch under the component's own (first)
// targets; TargetsAt applies the versions too.
func (c Component) TargetsFor(branch string) Targets {
	return pick(branch, c.Targets, c.Overrides)
}

// TargetsAt returns the targets that apply to branch in month m: of the version in force in m,
// those of the nearest ancestor-or-self of branch (branch, its parent, …, schema.Root) that has
// an override, else the version's own.
func (c Component) TargetsAt(branch string, m schema.Month) Targets {
	return c.TargetsAsOf(branch, m, time.Time{})
}

// TargetsAsOf is TargetsAt with the versions issued by moment at only (zero: all).
func (c Component) TargetsAsOf(branch string, m schema.Month, at time.Time) Targets {
	v := c.version(m, at)
	return pick(branch, v.Targets, v.Overrides)
}

func pick(branch string, t Targets, overrides map[string]Targets) Targets {
	for _, a := range schema.Ancestors(branch) {
		if o, ok := overrides[a]; ok {
			return o
		}
	}
	return t
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
	Name       string // the scheme's title (e.g. 2007); optional
	Components []Component
	Periods    map[string]Period // configured periods by name
	// QuarterWeights weights the three months of a YYYY-Qn period that is not configured
	// (nil: equal weights); the seed's 2006 scheme weights several months.
	QuarterWeights []float64
}

// scorecardFile is the YAML form; see presets/2007.yaml for its documentation.
type scorecardFile struct {
	Name           string                       `yaml:"name"`
	BaseShare      *float64                     `yaml:"base_share"`
	Components     []componentFile              `yaml:"components"`
	Periods        map[string][]periodMonthFile `yaml:"periods"`
	QuarterWeights []float64                    `yaml:"quarter_weights"`
}

type componentFile struct {
	Metric       string  `yaml:"metric"`
	Name         string  `yaml:"name"`
	Group        string  `yaml:"group"`
	Points       float64 `yaml:"points"`
	Direction    string  `yaml:"direction"`
	Mode         string  `yaml:"mode"`
	targetFields `yaml:",inline"`
	BaseShare    *float64               `yaml:"base_share"`
	Overrides    map[string]targetsFile `yaml:"overrides"`
	Targets      []versionFile          `yaml:"targets"`
	line         int
}

// targetFields are the targets a component and each of its target entries may give.
type targetFields struct {
	Base             *float64 `yaml:"base"`
	Challenge        *float64 `yaml:"challenge"`
	Floor            *float64 `yaml:"floor"`
	ImproveBase      *float64 `yaml:"improve_base"`
	ImproveChallenge *float64 `yaml:"improve_challenge"`
	ImproveFloor     *float64 `yaml:"improve_floor"`
}

// versionFile is one entry of a component's targets: the targets in force from a month on.
type versionFile struct {
	From         string `yaml:"from"`
	Issued       string `yaml:"issued"`
	targetFields `yaml:",inline"`
	Overrides    map[string]targetsFile `yaml:"overrides"`
	line         int
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

// DefaultScorecard returns the default preset, presets/2007.yaml (SPEC §5.4's 2007 scheme as
// the seed writes it), validated against cat.
func DefaultScorecard(cat schema.Catalog) (*Scorecard, error) {
	sc, err := Preset(DefaultPreset, cat)
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

// ParseScorecard parses and validates a scorecard file. Item
// metrics must name items of cat (format: presets/2007.yaml). Errors name the line and the offending component, target
// version or period.
func ParseScorecard(data []byte, cat schema.Catalog) (*Scorecard, error) {
	var f scorecardFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("parse scorecard: %w", err)
	}
	f.lines(data)
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
	sc := &Scorecard{Name: f.Name, Periods: map[string]Period{}}
	if f.QuarterWeights != nil {
		if len(f.QuarterWeights) != 3 {
			return nil, fmt.Errorf("quarter_weights %v: want three weights, one per month of a quarter", f.QuarterWeights)
		}
		for _, w := range f.QuarterWeights {
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("quarter_weights %v: want weights > 0", f.QuarterWeights)
			}
		}
		sc.QuarterWeights = f.QuarterWeights
	}
	seen := map[string]bool{}
	for i, cf := range f.Components {
		where := fmt.Sprintf("component %d (%s)", i+1, cf.Metric)
		if cf.line > 0 {
			where = fmt.Sprintf("line %d: %s", cf.line, where)
		}
		c, err := cf.component(cat, beta)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if seen[c.Metric.String()] {
			return nil, fmt.Errorf("%s: metric listed twice", where)
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

// lines records the line of each component and target version from a second pass over the
// document's nodes (the first pass has already checked its form).
func (f *scorecardFile) lines(data []byte) {
	var nodes struct {
		Components []yaml.Node `yaml:"components"`
	}
	if yaml.Unmarshal(data, &nodes) != nil || len(nodes.Components) != len(f.Components) {
		return
	}
	for i, n := range nodes.Components {
		f.Components[i].line = n.Line
		var c struct {
			Targets []yaml.Node `yaml:"targets"`
		}
		if n.Decode(&c) == nil && len(c.Targets) == len(f.Components[i].Targets) {
			for j, tn := range c.Targets {
				f.Components[i].Targets[j].line = tn.Line
			}
		}
	}
}

func (cf componentFile) component(cat schema.Catalog, beta float64) (Component, error) {
	m, err := ParseMetric(cf.Metric, cat)
	if err != nil {
		return Component{}, err
	}
	if m.Kind == KindScore {
		return Component{}, errors.New("score cannot be a component of itself")
	}
	c := Component{Metric: m, Name: cf.Name, Group: cf.Group, Points: cf.Points, Direction: Direction(cf.Direction),
		BaseShare: beta, Mode: Mode(cf.Mode)}
	if !(c.Points > 0) || math.IsInf(c.Points, 0) {
		return Component{}, fmt.Errorf("points %v: want a number > 0", cf.Points)
	}
	if cf.Direction == "" {
		// The metric's polarity decides when the file does not.
		c.Direction = Higher
		if m.Kind.LowerIsBetter() {
			c.Direction = Lower
		}
	}
	if c.Direction != Higher && c.Direction != Lower {
		return Component{}, fmt.Errorf("direction %q: want higher or lower", cf.Direction)
	}
	switch c.Mode {
	case "":
		c.Mode = Attain
	case Attain, ImproveOrAttain:
	default:
		return Component{}, fmt.Errorf("mode %q: want attain or improve_or_attain", cf.Mode)
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
	if c.Overrides, err = c.overrides(c.Targets, nil, cf.Overrides); err != nil {
		return Component{}, err
	}
	hasImprove := cf.ImproveBase != nil || cf.ImproveChallenge != nil || cf.ImproveFloor != nil
	if c.Mode == ImproveOrAttain {
		if cf.ImproveBase == nil || cf.ImproveChallenge == nil {
			return Component{}, errors.New("mode improve_or_attain: improve_base and improve_challenge are required")
		}
		c.Improve = Targets{Base: *cf.ImproveBase, Challenge: *cf.ImproveChallenge}
		if cf.ImproveFloor != nil {
			c.Improve.Floor = *cf.ImproveFloor
		}
		if err := c.Direction.check(c.Improve); err != nil {
			return Component{}, fmt.Errorf("improvement targets: %w", err)
		}
	} else if hasImprove {
		return Component{}, errors.New("improve_base, improve_challenge and improve_floor need mode: improve_or_attain")
	}
	prev := TargetVersion{Targets: c.Targets, Overrides: c.Overrides, Improve: c.Improve}
	for i, vf := range cf.Targets {
		where := fmt.Sprintf("targets %d (from %s)", i+1, vf.From)
		if vf.line > 0 {
			where = fmt.Sprintf("line %d: %s", vf.line, where)
		}
		v, err := c.targetVersion(prev, vf)
		if err != nil {
			return Component{}, fmt.Errorf("%s: %w", where, err)
		}
		if n := len(c.Versions); n > 0 {
			last := c.Versions[n-1]
			switch {
			case v.From < last.From:
				return Component{}, fmt.Errorf("%s: from %s is before the previous entry's %s: list targets in order of from", where, v.From, last.From)
			case v.From == last.From && !(v.Issued.After(last.Issued) && !last.Issued.IsZero()):
				return Component{}, fmt.Errorf("%s: from %s again: a restatement of the same month's targets needs an issued moment after the previous entry's", where, v.From)
			}
		}
		c.Versions = append(c.Versions, v)
		prev = v
	}
	return c, nil
}

// targetVersion completes one targets entry from the version before it.
func (c Component) targetVersion(prev TargetVersion, vf versionFile) (TargetVersion, error) {
	from, err := schema.ParseMonth(vf.From)
	if err != nil {
		return TargetVersion{}, fmt.Errorf("from: %w", err)
	}
	v := TargetVersion{From: from, Targets: prev.Targets, Improve: prev.Improve}
	if vf.Issued != "" {
		if v.Issued, err = parseIssued(vf.Issued); err != nil {
			return TargetVersion{}, err
		}
	}
	set := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	set(&v.Targets.Base, vf.Base)
	set(&v.Targets.Challenge, vf.Challenge)
	set(&v.Targets.Floor, vf.Floor)
	if err := c.Direction.check(v.Targets); err != nil {
		return TargetVersion{}, err
	}
	if (vf.ImproveBase != nil || vf.ImproveChallenge != nil || vf.ImproveFloor != nil) && c.Mode != ImproveOrAttain {
		return TargetVersion{}, errors.New("improve targets need mode: improve_or_attain")
	}
	set(&v.Improve.Base, vf.ImproveBase)
	set(&v.Improve.Challenge, vf.ImproveChallenge)
	set(&v.Improve.Floor, vf.ImproveFloor)
	if c.Mode == ImproveOrAttain {
		if err := c.Direction.check(v.Improve); err != nil {
			return TargetVersion{}, fmt.Errorf("improvement targets: %w", err)
		}
	}
	// A version without overrides keeps the overrides in force before it; one with overrides
	// replaces them, each completed from the version's own targets.
	v.Overrides = prev.Overrides
	if vf.Overrides != nil {
		if v.Overrides, err = c.overrides(v.Targets, nil, vf.Overrides); err != nil {
			return TargetVersion{}, err
		}
	}
	return v, nil
}

// parseIssued reads an issued moment: RFC 3339, or a date YYYY-MM-DD (its start, UTC).
func parseIssued(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("issued %q: want YYYY-MM-DD or an RFC 3339 time", s)
}

// overrides completes the per-branch overrides of the file from targets t.
func (c Component) overrides(t Targets, into map[string]Targets, of map[string]targetsFile) (map[string]Targets, error) {
	for branch, o := range of {
		if branch != schema.Root && !schema.ValidBranchID(branch) {
			return nil, fmt.Errorf("override %q: not a branch id", branch)
		}
		ot := t
		if o.Base != nil {
			ot.Base = *o.Base
		}
		if o.Challenge != nil {
			ot.Challenge = *o.Challenge
		}
		if o.Floor != nil {
			ot.Floor = *o.Floor
		}
		if err := c.Direction.check(ot); err != nil {
			return nil, fmt.Errorf("override %s: %w", branch, err)
		}
		if into == nil {
			into = map[string]Targets{}
		}
		into[branch] = ot
	}
	return into, nil
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
// "YYYY-Qn" (its three months, at the file's quarter_weights, else equal weights), "YYYY-MM"
// (that month alone), "YYYY-H1" / "YYYY-H2" (six months, equal weights) or "YYYY" (its twelve
// months, equal weights); "P-to-YYYY-MM" is any of these up to that month (a period to date).
func (sc *Scorecard) Period(name string) (Period, error) {
	if p, ok := sc.Periods[name]; ok {
		return p, nil
	}
	if base, last, ok := strings.Cut(name, toDateSep); ok {
		return sc.periodToDate(name, base, last)
	}
	weighted := func(first schema.Month, n int, weights []float64) Period {
		p := Period{Name: name}
		for i := range n {
			w := 1.0
			if weights != nil {
				w = weights[i]
			}
			p.Months = append(p.Months, PeriodMonth{Month: first.Add(i), Weight: w})
		}
		return p
	}
	if m, err := schema.ParseMonth(name); err == nil {
		return weighted(m, 1, nil), nil
	}
	if y, q, ok := strings.Cut(name, "-Q"); ok && len(y) == 4 && len(q) == 1 && q[0] >= '1' && q[0] <= '4' {
		if first, err := schema.ParseMonth(fmt.Sprintf("%s-%02d", y, 3*int(q[0]-'1')+1)); err == nil {
			return weighted(first, 3, sc.QuarterWeights), nil
		}
	}
	if y, h, ok := strings.Cut(name, "-H"); ok && len(y) == 4 && (h == "1" || h == "2") {
		if first, err := schema.ParseMonth(fmt.Sprintf("%s-%02d", y, 6*int(h[0]-'1')+1)); err == nil {
			return weighted(first, 6, nil), nil
		}
	}
	if len(name) == 4 {
		if yr, err := strconv.Atoi(name); err == nil && yr >= 1 {
			return weighted(schema.Month(yr*100+1), 12, nil), nil
		}
	}
	return Period{}, fmt.Errorf("period %q: not configured, and not YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2 or YYYY", name)
}

// Months returns the months whose cards Evaluate reads for period p: p's months and, when a
// component scores improvement, the same months a year earlier.
func (sc *Scorecard) Months(p Period) []schema.Month {
	var out []schema.Month
	for _, pm := range p.Months {
		out = append(out, pm.Month)
	}
	for _, c := range sc.Components {
		if c.Mode == ImproveOrAttain {
			for _, pm := range p.Months {
				out = append(out, pm.Month.Add(-12))
			}
			break
		}
	}
	return out
}

// ScorecardResult is the scorecard of one branch and period (SPEC §4 "scorecard").
type ScorecardResult struct {
	Branch     string            `json:"branch"`
	Period     string            `json:"period"`
	Scheme     string            `json:"scheme,omitempty"` // the scorecard's name (e.g. 2007)
	Components []ComponentResult `json:"components"`
	Total      float64           `json:"total"` // Σ component points
	Max        float64           `json:"max"`   // Σ points_max
	// Groups sums the components by their group, in the order groups first appear; omitted
	// when no component names a group.
	Groups []GroupResult `json:"groups,omitempty"`
}

// GroupResult is the points of one group of components (e.g. 客户满意度 20).
type GroupResult struct {
	Name   string  `json:"name"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
}

// ComponentResult is one component of a ScorecardResult. Targets are those that apply to the
// branch (after overrides) in the period's last month; a month under other targets (a target
// version that changed inside the period) lists its own. Points = Σ weight·points / Σ weight
// over the period's months (a missing month scores 0 and still counts its weight); Value is the
// weight-averaged value over the months that are not missing (null when all are); Missing is
// true when any month is.
//
// A component of mode improve_or_attain also scores Improvement, Δ = Σw(v_m − v_{m−12}) / Σw
// over the months reportable in both years (null when none is: 0 improvement points), against
// the improvement targets; its Points is the larger of AttainPoints and ImprovePoints (ties:
// attainment) and EarnedBy says which.
type ComponentResult struct {
	Metric    string        `json:"metric"`
	Name      string        `json:"name,omitempty"`
	Group     string        `json:"group,omitempty"`
	PointsMax float64       `json:"points_max"`
	Direction Direction     `json:"direction"`
	Base      float64       `json:"base"`
	Challenge float64       `json:"challenge"`
	Floor     float64       `json:"floor"`
	Value     *float64      `json:"value"`
	Points    float64       `json:"points"`
	Missing   bool          `json:"missing"`
	Months    []MonthResult `json:"months"`

	Mode             Mode     `json:"mode,omitempty"`      // improve_or_attain only
	EarnedBy         string   `json:"earned_by,omitempty"` // "attain" or "improve"
	AttainPoints     *float64 `json:"attain_points,omitempty"`
	ImprovePoints    *float64 `json:"improve_points,omitempty"`
	Improvement      *float64 `json:"improvement,omitempty"` // Δ; absent when null
	ImproveBase      *float64 `json:"improve_base,omitempty"`
	ImproveChallenge *float64 `json:"improve_challenge,omitempty"`
	ImproveFloor     *float64 `json:"improve_floor,omitempty"`
}

// MonthResult is one month of a component: its value, points and weight in the period.
// Missing is true when the value is null or not reportable (it then scores 0; Value is still
// shown when there is one). Targets is set when the month's targets differ from the
// component's (a target version changed inside the period). YearEarlier is the value of the
// same month a year earlier (improve_or_attain only; absent when null or not reportable).
type MonthResult struct {
	Month       schema.Month `json:"month"`
	Weight      float64      `json:"weight"`
	Value       *float64     `json:"value"`
	Points      float64      `json:"points"`
	Missing     bool         `json:"missing"`
	Targets     *Targets     `json:"targets,omitempty"`
	YearEarlier *float64     `json:"year_earlier,omitempty"`
}

// MarshalJSON writes Targets as {base, challenge, floor}.
func (t Targets) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"base":%s,"challenge":%s,"floor":%s}`,
		strconv.FormatFloat(t.Base, 'g', -1, 64), strconv.FormatFloat(t.Challenge, 'g', -1, 64),
		strconv.FormatFloat(t.Floor, 'g', -1, 64))), nil
}

// scoringValue is the value a component scores in one card: reportable values only.
func scoringValue(card *Card, m Metric) (shown *float64, v float64, ok bool) {
	if card == nil {
		return nil, 0, false
	}
	// With CSAT_SMOOTHED_ALERTS the survey metrics of cities and counties are their smoothed
	// values (extension, docs/extensions.md).
	mv := card.ScoringMetric(Config{SmoothedAlerts: card.scoreSmoothed}, m)
	if mv.Value == nil || !mv.Reportable {
		return mv.Value, 0, false
	}
	return mv.Value, *mv.Value, true
}

// Evaluate scores branch over period p. cards holds the branch's card of each month (a month
// without a card scores 0 and is missing), and for improve_or_attain components the cards of
// the same months a year earlier (see Months).
func (sc *Scorecard) Evaluate(branch string, p Period, cards map[schema.Month]*Card) ScorecardResult {
	return sc.EvaluateAsOf(branch, p, cards, time.Time{})
}

// EvaluateAsOf is Evaluate with the targets issued by moment at (zero: all; see TargetVersion).
func (sc *Scorecard) EvaluateAsOf(branch string, p Period, cards map[schema.Month]*Card, at time.Time) ScorecardResult {
	r := ScorecardResult{Branch: branch, Period: p.Name, Scheme: sc.Name, Components: []ComponentResult{}}
	groups := map[string]int{}
	for _, c := range sc.Components {
		cr := sc.evaluate(c, branch, p, cards, at)
		r.Components = append(r.Components, cr)
		r.Total += cr.Points
		r.Max += c.Points
		if c.Group != "" {
			i, ok := groups[c.Group]
			if !ok {
				i = len(r.Groups)
				groups[c.Group] = i
				r.Groups = append(r.Groups, GroupResult{Name: c.Group})
			}
			r.Groups[i].Points += cr.Points
			r.Groups[i].Max += c.Points
		}
	}
	return r
}

func (sc *Scorecard) evaluate(c Component, branch string, p Period, cards map[schema.Month]*Card, at time.Time) ComponentResult {
	var last schema.Month
	for _, pm := range p.Months {
		last = max(last, pm.Month)
	}
	t := c.TargetsAsOf(branch, last, at)
	cr := ComponentResult{
		Metric: c.Metric.String(), Name: c.Name, Group: c.Group, PointsMax: c.Points, Direction: c.Direction,
		Base: t.Base, Challenge: t.Challenge, Floor: t.Floor, Months: []MonthResult{},
	}
	var sw, swp, swv, swvW float64
	var swd, swdW float64 // improvement: Σw·(v_m − v_{m−12}) and Σw over months reportable in both years
	for _, pm := range p.Months {
		mt := c.TargetsAsOf(branch, pm.Month, at)
		mr := MonthResult{Month: pm.Month, Weight: pm.Weight, Missing: true}
		if mt != t {
			mr.Targets = &mt
		}
		shown, v, ok := scoringValue(cards[pm.Month], c.Metric)
		mr.Value = shown
		if ok {
			mr.Missing = false
			mr.Points = Points(v, c.Points, c.BaseShare, c.Direction, mt)
			swv += pm.Weight * v
			swvW += pm.Weight
		}
		if c.Mode == ImproveOrAttain {
			if _, pv, pok := scoringValue(cards[pm.Month.Add(-12)], c.Metric); pok {
				mr.YearEarlier = ptr(pv)
				if ok {
					swd += pm.Weight * (v - pv)
					swdW += pm.Weight
				}
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
	if c.Mode == ImproveOrAttain {
		it := c.version(last, at).Improve
		cr.Mode, cr.EarnedBy = c.Mode, "attain"
		cr.ImproveBase, cr.ImproveChallenge, cr.ImproveFloor = ptr(it.Base), ptr(it.Challenge), ptr(it.Floor)
		attain, improve := cr.Points, 0.0
		if swdW > 0 {
			cr.Improvement = ptr(swd / swdW)
			improve = Points(*cr.Improvement, c.Points, c.BaseShare, c.Direction, it)
		}
		cr.AttainPoints, cr.ImprovePoints = ptr(attain), ptr(improve)
		if improve > attain {
			cr.Points, cr.EarnedBy = improve, "improve"
		}
	}
	return cr
}

// MonthScore is the metric "score" for one card: the scorecard total of the single-month
// period of card.Month, with the card's branch's targets. yearEarlier is the card of the same
// month a year earlier, which improve_or_attain components compare with (nil when unknown: they
// then score attainment only). It is always reportable.
func (sc *Scorecard) MonthScore(card, yearEarlier *Card) MetricValue {
	p := Period{Name: card.Month.String(), Months: []PeriodMonth{{Month: card.Month, Weight: 1}}}
	cards := map[schema.Month]*Card{card.Month: card}
	if yearEarlier != nil {
		cards[card.Month.Add(-12)] = yearEarlier
	}
	r := sc.Evaluate(card.Branch, p, cards)
	return MetricValue{Value: ptr(r.Total), Reportable: true}
}

// ImprovesOverYear reports whether any component compares with the year before (MonthScore
// then wants the year-earlier card).
func (sc *Scorecard) ImprovesOverYear() bool {
	for _, c := range sc.Components {
		if c.Mode == ImproveOrAttain {
			return true
		}
	}
	return false
}
