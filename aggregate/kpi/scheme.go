package kpi

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema"
)

// Front-line schemes (SPEC §5.2, §5.5): how a store, a staff member, a hotline agent or a
// customer manager is scored. A scheme has parts (e.g. team 20 + personal 80), each part has
// components; a component is a front-line metric of the unit, score:<component> (a
// score_reported value), team:<metric> (the unit's store's value for staff, its branch's for
// stores, agents and managers) or team:score (a staff member's store's total after its
// adjustments). docs/design/frontline-schemes.md documents the file and the shipped defaults.

// frontlinePresets are the shipped front-line scheme files.
//
//go:embed presets/frontline/*.yaml
var frontlinePresets embed.FS

// DefaultFrontlinePreset is the preset used when CSAT_FRONTLINE_SCHEMES is empty.
const DefaultFrontlinePreset = "default"

// DefaultRole is a staff member's role when the roster does not name one (营业员).
const DefaultRole = "clerk"

// frontlineDir are the presets of FrontlinePreset.
var frontlineDir = presetDir{fs: frontlinePresets, dir: "presets/frontline", unknown: ErrUnknownFrontlinePreset}

// ErrUnknownFrontlinePreset is returned by FrontlinePreset for a name that is no preset.
var ErrUnknownFrontlinePreset = errors.New("unknown front-line scheme preset")

// FrontlinePresetNames lists the shipped front-line scheme presets.
func FrontlinePresetNames() []string { return frontlineDir.names() }

// FrontlinePreset parses the shipped front-line scheme file of that name.
func FrontlinePreset(name string, cat schema.Catalog) (*FrontlineSchemes, error) {
	b, err := frontlineDir.read(name)
	if err != nil {
		return nil, err
	}
	fs, err := ParseFrontlineSchemes(b, cat)
	if err != nil {
		return nil, fmt.Errorf("front-line preset %s: %w", name, err)
	}
	return fs, nil
}

// OpenFrontlineSchemes returns the schemes CSAT_FRONTLINE_SCHEMES names (a preset name, else a
// file path; empty: the default preset). Errors name the setting.
func OpenFrontlineSchemes(cfg Config, cat schema.Catalog) (*FrontlineSchemes, error) {
	name := cfg.FrontlineSchemes
	if name == "" {
		name = DefaultFrontlinePreset
	}
	if frontlineDir.has(name) {
		fs, err := FrontlinePreset(name, cat)
		if err != nil {
			return nil, fmt.Errorf("CSAT_FRONTLINE_SCHEMES: %w", err)
		}
		return fs, nil
	}
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("CSAT_FRONTLINE_SCHEMES %q: neither a preset (%s) nor a readable file: %w", name, strings.Join(FrontlinePresetNames(), ", "), err)
	}
	fs, err := LoadFrontlineSchemes(name, cat)
	if err != nil {
		return nil, fmt.Errorf("CSAT_FRONTLINE_SCHEMES: %w", err)
	}
	return fs, nil
}

// FrontlineSchemes is a parsed, validated front-line scheme file: the schemes of every unit
// kind and staff role. It is read-only after loading.
type FrontlineSchemes struct {
	Schemes []*Scheme
	// DefaultRole is the role of a staff member the roster does not name (default clerk, 营业员).
	DefaultRole string
	// Periods are the named periods of the file (as a scorecard's).
	Periods map[string]Period
	roles   map[string]string // role or alias → role
}

// For returns the scheme of a unit kind (and, for staff, a role; "" means DefaultRole).
func (fs *FrontlineSchemes) For(kind, role string) (*Scheme, error) {
	if kind == UnitStaff && role == "" {
		role = fs.DefaultRole
	}
	for _, s := range fs.Schemes {
		if s.Unit == kind && (kind != UnitStaff || s.Role == role) {
			return s, nil
		}
	}
	if kind == UnitStaff {
		return nil, fmt.Errorf("%w for staff of role %q", ErrNoScheme, role)
	}
	return nil, fmt.Errorf("%w for unit kind %q", ErrNoScheme, kind)
}

// ErrNoScheme is returned by For when the schemes score no unit of that kind (or role).
var ErrNoScheme = errors.New("no front-line scheme")

// Period resolves a period name as a scorecard does (SPEC §3.10, §5.5): a period named in the
// file, else YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2 or YYYY.
func (fs *FrontlineSchemes) Period(name string) (Period, error) {
	return (&Scorecard{Periods: fs.Periods}).Period(name)
}

// Role resolves a role as a roster writes it (a role, or an alias such as 值班长) to the role.
func (fs *FrontlineSchemes) Role(s string) (string, bool) {
	r, ok := fs.roles[s]
	return r, ok
}

// Scheme is one front-line scheme: the unit kind it scores (and for staff the role), its total
// points and its parts. Points are normalised at load (SPEC §5.5): Warnings says where.
type Scheme struct {
	Name     string
	Title    string // the seed's words (e.g. 营业员绩效); optional
	Unit     string // store, staff, agent or manager
	Role     string // staff only
	Points   float64
	Parts    []SchemePart
	Warnings []string
}

// SchemePart is one part of a scheme (e.g. 团队绩效 20) with its normalised points.
type SchemePart struct {
	Name       string
	Title      string
	Points     float64
	Components []SchemeComponent
}

// Source is where a scheme component's value comes from.
type Source int

// Sources of a scheme component.
const (
	SourceUnit      Source = iota // a front-line metric of the unit itself
	SourceScore                   // score:<component>, from score_reported
	SourceTeam                    // team:<metric>: the store's (staff) or the branch's value
	SourceTeamScore               // team:score: the store's total after its adjustments
)

// Scale is a linear scale: points × clamp((v − Min)/(Max − Min), 0, 1), mirrored for
// lower-is-better (points × clamp((Max − v)/(Max − Min), 0, 1)).
type Scale struct {
	Min float64 `yaml:"min"`
	Max float64 `yaml:"max"`
}

// SchemeComponent is one scored line: Component as written in the file, its Source and
// Metric (the metric or score component name without the prefix), normalised Points, and
// either Targets (SPEC §3.10 with BaseShare) or a Scale.
type SchemeComponent struct {
	Component string
	Title     string
	Source    Source
	Metric    string
	branch    Metric // SourceTeam of stores, agents and managers: the branch metric
	Points    float64
	Direction Direction
	Targets   *Targets
	BaseShare float64
	Scale     *Scale
}

// unitMetrics are the front-line metrics of each unit kind a scheme may name (SPEC §5.2).
var unitMetrics = map[string][]string{
	UnitStore:   {"ratings", "satisfaction", "net_score", "avg_wait", "complaints", "inspection.province", "inspection.city"},
	UnitStaff:   {"ratings", "satisfaction", "net_score", "avg_wait", "complaints", "inspection.province", "inspection.city"},
	UnitAgent:   {"ratings", "satisfaction", "net_score", "avg_wait", "fcr", "sl20", "avg_handle", "complaints"},
	UnitManager: {"csi", "complaints", "churned"},
}

// UnitMetrics lists the front-line metrics of a unit kind (nil for an unknown kind).
func UnitMetrics(kind string) []string { return unitMetrics[kind] }

// unitLowerIsBetter are the front-line metrics where less is better.
func unitLowerIsBetter(m string) bool {
	switch m {
	case "avg_wait", "avg_handle", "complaints", "churned":
		return true
	}
	return false
}

var scoreComponentRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// File form.
type schemesFile struct {
	DefaultRole string                       `yaml:"default_role"`
	Schemes     []schemeFile                 `yaml:"schemes"`
	Periods     map[string][]periodMonthFile `yaml:"periods"`
}

type schemeFile struct {
	Name    string     `yaml:"name"`
	Title   string     `yaml:"title"`
	Unit    string     `yaml:"unit"`
	Role    string     `yaml:"role"`
	Aliases []string   `yaml:"aliases"`
	Points  *float64   `yaml:"points"`
	Parts   []partFile `yaml:"parts"`
}

type partFile struct {
	Name       string           `yaml:"name"`
	Title      string           `yaml:"title"`
	Points     *float64         `yaml:"points"`
	Weight     *float64         `yaml:"weight"`
	Components []schemeCompFile `yaml:"components"`
}

type schemeCompFile struct {
	Metric    string   `yaml:"metric"`
	Title     string   `yaml:"title"`
	Points    *float64 `yaml:"points"`
	Weight    *float64 `yaml:"weight"`
	Direction string   `yaml:"direction"`
	Scale     *Scale   `yaml:"scale"`
	Base      *float64 `yaml:"base"`
	Challenge *float64 `yaml:"challenge"`
	Floor     *float64 `yaml:"floor"`
	BaseShare *float64 `yaml:"base_share"`
}

// LoadFrontlineSchemes reads and parses a front-line scheme file.
func LoadFrontlineSchemes(path string, cat schema.Catalog) (*FrontlineSchemes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read front-line schemes: %w", err)
	}
	fs, err := ParseFrontlineSchemes(b, cat)
	if err != nil {
		return nil, fmt.Errorf("front-line schemes %s: %w", path, err)
	}
	return fs, nil
}

// ParseFrontlineSchemes parses and validates a front-line scheme file (format:
// presets/frontline/default.yaml). Branch metrics of team:<metric> are checked against cat.
// Errors name the scheme, part and component, and the field.
func ParseFrontlineSchemes(data []byte, cat schema.Catalog) (*FrontlineSchemes, error) {
	var f schemesFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("parse front-line schemes: %w", err)
	}
	if len(f.Schemes) == 0 {
		return nil, errors.New("schemes: none")
	}
	fs := &FrontlineSchemes{DefaultRole: f.DefaultRole, Periods: map[string]Period{}, roles: map[string]string{}}
	if fs.DefaultRole == "" {
		fs.DefaultRole = DefaultRole
	}
	names := map[string]bool{}
	keys := map[string]string{}
	aliasOf := map[string]string{}
	for i, sf := range f.Schemes {
		s, err := sf.scheme(cat)
		if err != nil {
			if sf.Name != "" {
				return nil, fmt.Errorf("scheme %q: %w", sf.Name, err)
			}
			return nil, fmt.Errorf("scheme %d: %w", i+1, err)
		}
		if names[s.Name] {
			return nil, fmt.Errorf("scheme %q: name listed twice", s.Name)
		}
		names[s.Name] = true
		key := s.Unit + "/" + s.Role
		if other, ok := keys[key]; ok {
			if s.Unit == UnitStaff {
				return nil, fmt.Errorf("scheme %q: role %q: already the role of scheme %q", s.Name, s.Role, other)
			}
			return nil, fmt.Errorf("scheme %q: unit %s: already scored by scheme %q", s.Name, s.Unit, other)
		}
		keys[key] = s.Name
		if s.Unit == UnitStaff {
			fs.roles[s.Role] = s.Role
			for _, a := range sf.Aliases {
				if prev, ok := aliasOf[a]; ok && prev != s.Role {
					return nil, fmt.Errorf("scheme %q: alias %q: already an alias of role %q", s.Name, a, prev)
				}
				aliasOf[a] = s.Role
			}
		}
		fs.Schemes = append(fs.Schemes, s)
	}
	for a, r := range aliasOf {
		if _, ok := fs.roles[a]; ok && a != r {
			return nil, fmt.Errorf("alias %q of role %q is another scheme's role", a, r)
		}
		fs.roles[a] = r
	}
	if _, err := fs.For(UnitStaff, ""); err != nil && len(fs.roles) > 0 {
		return nil, fmt.Errorf("default_role %q: no staff scheme has that role", fs.DefaultRole)
	}
	for name, pms := range f.Periods {
		p, err := parsePeriod(name, pms)
		if err != nil {
			return nil, fmt.Errorf("period %q: %w", name, err)
		}
		fs.Periods[name] = p
	}
	return fs, nil
}

var schemeNameRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (sf schemeFile) scheme(cat schema.Catalog) (*Scheme, error) {
	if !schemeNameRE.MatchString(sf.Name) {
		return nil, fmt.Errorf("name %q: want 1–32 characters of [a-z0-9_]", sf.Name)
	}
	if unitMetrics[sf.Unit] == nil {
		return nil, fmt.Errorf("unit %q: want one of %s", sf.Unit, strings.Join(UnitKinds(), ", "))
	}
	s := &Scheme{Name: sf.Name, Title: sf.Title, Unit: sf.Unit, Role: sf.Role, Points: 100}
	switch {
	case sf.Unit == UnitStaff && !schemeNameRE.MatchString(sf.Role):
		return nil, fmt.Errorf("role %q: a staff scheme names its role (1–32 characters of [a-z0-9_])", sf.Role)
	case sf.Unit != UnitStaff && (sf.Role != "" || len(sf.Aliases) > 0):
		return nil, fmt.Errorf("role %q: only staff schemes have roles", sf.Role)
	}
	if sf.Points != nil {
		if !(*sf.Points > 0) || math.IsInf(*sf.Points, 0) {
			return nil, fmt.Errorf("points %v: want a number > 0", *sf.Points)
		}
		s.Points = *sf.Points
	}
	if len(sf.Parts) == 0 {
		return nil, errors.New("parts: none")
	}
	declared := make([]weighting, len(sf.Parts))
	for i, pf := range sf.Parts {
		declared[i] = weighting{name: fmt.Sprintf("part %d (%s)", i+1, pf.Name), points: pf.Points, weight: pf.Weight}
	}
	partPoints, warn, err := normalise(s.Points, declared)
	if err != nil {
		return nil, err
	}
	if warn != "" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("scheme %s: the parts' %s", s.Name, warn))
	}
	seen := map[string]bool{}
	for i, pf := range sf.Parts {
		if pf.Name == "" {
			return nil, fmt.Errorf("part %d: name: empty", i+1)
		}
		if seen[pf.Name] {
			return nil, fmt.Errorf("part %q: name listed twice", pf.Name)
		}
		seen[pf.Name] = true
		p := SchemePart{Name: pf.Name, Title: pf.Title, Points: partPoints[i]}
		if len(pf.Components) == 0 {
			return nil, fmt.Errorf("part %q: components: none", pf.Name)
		}
		// The components share the part's declared points (what the file says), then scale to
		// its normalised points: 10 of a declared 30 in a part scaled to 27.27 is 9.09.
		parent := partPoints[i]
		if pf.Points != nil {
			parent = *pf.Points
		}
		cdecl := make([]weighting, len(pf.Components))
		for j, cf := range pf.Components {
			cdecl[j] = weighting{name: fmt.Sprintf("component %d (%s)", j+1, cf.Metric), points: cf.Points, weight: cf.Weight}
		}
		cpoints, warn, err := normalise(parent, cdecl)
		if err != nil {
			return nil, fmt.Errorf("part %q: %w", pf.Name, err)
		}
		if warn != "" {
			s.Warnings = append(s.Warnings, fmt.Sprintf("scheme %s, part %s: the components' %s", s.Name, pf.Name, warn))
		}
		cseen := map[string]bool{}
		for j, cf := range pf.Components {
			c, err := cf.component(s.Unit, cat)
			if err != nil {
				return nil, fmt.Errorf("part %q, component %d (%s): %w", pf.Name, j+1, cf.Metric, err)
			}
			if cseen[c.Component] {
				return nil, fmt.Errorf("part %q, component %d (%s): listed twice", pf.Name, j+1, cf.Metric)
			}
			cseen[c.Component] = true
			c.Points = cpoints[j] * partPoints[i] / parent
			p.Components = append(p.Components, c)
		}
		s.Parts = append(s.Parts, p)
	}
	return s, nil
}

// weighting is the declared share of one child: points (absolute, in the parent's points) or
// weight (relative to its siblings').
type weighting struct {
	name           string // for errors: "part 1 (team)"
	points, weight *float64
}

// normalise gives each child its points out of parent: children with points keep them when
// they sum to parent, else all are scaled by parent/Σpoints and warn says so (SPEC §5.5);
// children with weights get parent × w/Σw (weights are relative: no warning). Siblings use one
// or the other.
func normalise(parent float64, children []weighting) (out []float64, warn string, err error) {
	byPoints, byWeight := 0, 0
	var sum float64
	for _, c := range children {
		switch {
		case c.points != nil && c.weight != nil:
			return nil, "", fmt.Errorf("%s: give points or weight, not both", c.name)
		case c.points != nil:
			byPoints++
			if !(*c.points > 0) || math.IsInf(*c.points, 0) {
				return nil, "", fmt.Errorf("%s: points %v: want a number > 0", c.name, *c.points)
			}
			sum += *c.points
		case c.weight != nil:
			byWeight++
			if !(*c.weight > 0) || math.IsInf(*c.weight, 0) {
				return nil, "", fmt.Errorf("%s: weight %v: want a number > 0", c.name, *c.weight)
			}
			sum += *c.weight
		default:
			return nil, "", fmt.Errorf("%s: points or weight: missing", c.name)
		}
	}
	if byPoints > 0 && byWeight > 0 {
		return nil, "", errors.New("siblings mix points and weight: use one")
	}
	out = make([]float64, len(children))
	for i, c := range children {
		v := c.weight
		if v == nil {
			v = c.points
		}
		out[i] = parent * *v / sum
	}
	if byPoints > 0 && math.Abs(sum-parent) > 1e-9*math.Max(1, parent) {
		warn = fmt.Sprintf("points sum to %s, not %s: scaled by %s/%s",
			fmtNum(sum), fmtNum(parent), fmtNum(parent), fmtNum(sum))
	}
	return out, warn, nil
}

func fmtNum(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

func (cf schemeCompFile) component(unit string, cat schema.Catalog) (SchemeComponent, error) {
	c := SchemeComponent{Component: cf.Metric, Title: cf.Title, BaseShare: DefaultBaseShare}
	lower := false
	switch name := cf.Metric; {
	case name == "":
		return c, errors.New("metric: empty")
	case strings.HasPrefix(name, "score:"):
		c.Source, c.Metric = SourceScore, strings.TrimPrefix(name, "score:")
		if !scoreComponentRE.MatchString(c.Metric) {
			return c, fmt.Errorf("metric %q: a score_reported component is 1–32 characters of [a-z0-9_]", name)
		}
	case name == "team:score":
		if unit != UnitStaff {
			return c, fmt.Errorf("metric %q: the store's total is a team score for staff only", name)
		}
		c.Source, c.Metric = SourceTeamScore, "score"
	case strings.HasPrefix(name, "team:"):
		c.Source, c.Metric = SourceTeam, strings.TrimPrefix(name, "team:")
		if unit == UnitStaff {
			if !slicesContains(unitMetrics[UnitStore], c.Metric) {
				return c, fmt.Errorf("metric %q: %q is not a store metric (want one of %s, or team:score)", name, c.Metric, strings.Join(unitMetrics[UnitStore], ", "))
			}
			lower = unitLowerIsBetter(c.Metric)
			break
		}
		m, err := ParseMetric(c.Metric, cat)
		if err != nil {
			return c, fmt.Errorf("metric %q: a %s scheme's team values are its branch's (a metric of SPEC §4): %w", name, unit, err)
		}
		if m.Kind == KindScore {
			return c, fmt.Errorf("metric %q: the branch's scorecard total is not a front-line team value", name)
		}
		c.branch, lower = m, m.Kind.LowerIsBetter()
	default:
		if !slicesContains(unitMetrics[unit], name) {
			return c, fmt.Errorf("metric %q: not a %s metric (want one of %s, score:<component>, team:<metric>)", name, unit, strings.Join(unitMetrics[unit], ", "))
		}
		c.Source, c.Metric = SourceUnit, name
		lower = unitLowerIsBetter(name)
	}
	switch cf.Direction {
	case "":
		c.Direction = Higher
		if lower {
			c.Direction = Lower
		}
	case string(Higher), string(Lower):
		c.Direction = Direction(cf.Direction)
	default:
		return c, fmt.Errorf("direction %q: want higher or lower", cf.Direction)
	}
	hasTargets := cf.Base != nil || cf.Challenge != nil || cf.Floor != nil
	switch {
	case cf.Scale != nil && hasTargets:
		return c, errors.New("scale and targets (base, challenge, floor): give one")
	case cf.Scale != nil:
		if !(cf.Scale.Min < cf.Scale.Max) || math.IsInf(cf.Scale.Min, 0) || math.IsInf(cf.Scale.Max, 0) {
			return c, fmt.Errorf("scale {min: %v, max: %v}: want finite min < max", cf.Scale.Min, cf.Scale.Max)
		}
		c.Scale = cf.Scale
		if cf.BaseShare != nil {
			return c, errors.New("base_share: only with targets")
		}
	case hasTargets:
		if cf.Base == nil || cf.Challenge == nil || cf.Floor == nil {
			return c, errors.New("targets: base, challenge and floor are required together")
		}
		t := Targets{Base: *cf.Base, Challenge: *cf.Challenge, Floor: *cf.Floor}
		if err := c.Direction.check(t); err != nil {
			return c, err
		}
		c.Targets = &t
		if cf.BaseShare != nil {
			if !(*cf.BaseShare >= 0 && *cf.BaseShare <= 1) {
				return c, fmt.Errorf("base_share %v: want 0 ≤ base_share ≤ 1", *cf.BaseShare)
			}
			c.BaseShare = *cf.BaseShare
		}
	default:
		return c, errors.New("scale or targets (base, challenge, floor): missing")
	}
	return c, nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Score returns the points of value v: by the scale, else by the targets (SPEC §3.10).
func (c SchemeComponent) Score(v float64) float64 {
	if c.Scale != nil {
		f := (v - c.Scale.Min) / (c.Scale.Max - c.Scale.Min)
		if c.Direction == Lower {
			f = (c.Scale.Max - v) / (c.Scale.Max - c.Scale.Min)
		}
		return c.Points * math.Min(1, math.Max(0, f))
	}
	return Points(v, c.Points, c.BaseShare, c.Direction, *c.Targets)
}

// Roster maps staff ids to their roles (值班长 / 营业员; SPEC §5.5: no event carries a role).
type Roster map[string]string

// LoadRoster reads a roster file: a YAML map of staff id to role, each role a staff scheme's
// role or alias of fs (e.g. "E1: 值班长"). An empty path is an empty roster.
func LoadRoster(path string, fs *FrontlineSchemes) (Roster, error) {
	if path == "" {
		return Roster{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	r, err := ParseRoster(b, fs)
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", path, err)
	}
	return r, nil
}

// ParseRoster parses a roster (see LoadRoster); roles are resolved to the schemes' roles.
func ParseRoster(data []byte, fs *FrontlineSchemes) (Roster, error) {
	var raw map[string]string
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse roster: want a YAML map of staff id to role: %w", err)
	}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	r := Roster{}
	for _, id := range ids {
		if !schema.ValidUnitID(id) {
			return nil, fmt.Errorf("staff id %q: want [A-Za-z0-9_.:-]{1,64}", id)
		}
		role, ok := fs.Role(raw[id])
		if !ok {
			known := make([]string, 0, len(fs.roles))
			for k := range fs.roles {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("staff %s: role %q: not a role of the front-line schemes (%s)", id, raw[id], strings.Join(known, ", "))
		}
		r[id] = role
	}
	return r, nil
}

// Role returns the role of staff member id: the roster's, else fs's default role.
func (r Roster) Role(id string, fs *FrontlineSchemes) string {
	if role, ok := r[id]; ok {
		return role
	}
	return fs.DefaultRole
}
