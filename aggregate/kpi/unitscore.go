package kpi

import (
	"fmt"
	"sort"
	"strings"

	"github.com/csat-dev/csat/schema"
)

// UnitScore is one unit's score under its front-line scheme for a period (SPEC §5.2, §5.5):
// the parts and components with their values and points, the total, the adjustments named for
// the unit in the period and the total after them. Warnings carry the scheme's normalisations.
type UnitScore struct {
	Kind   string `json:"kind"`
	Unit   string `json:"unit"`
	Period string `json:"period"`
	// Branch is the unit's placement for the period; Store a staff member's store.
	Branch string `json:"branch"`
	Store  string `json:"store,omitempty"`
	Scheme string `json:"scheme"`
	Role   string `json:"role"` // staff: their role (roster, else the default); "" otherwise
	// Total = Σ part points; Max = the scheme's points.
	Total float64     `json:"total"`
	Max   float64     `json:"max"`
	Parts []PartScore `json:"parts"`
	// Adjustments (典型事件加减分) naming the unit with a period in the period's months, not
	// voided, in order of period and event id; AdjustedTotal = Total + Σ their points.
	Adjustments   []Adjustment `json:"adjustments"`
	AdjustedTotal float64      `json:"adjusted_total"`
	Warnings      []string     `json:"warnings"`
}

// PartScore is one part of a UnitScore: Weight is its (normalised) points out of the scheme's.
type PartScore struct {
	Name       string           `json:"name"`
	Title      string           `json:"title,omitempty"`
	Weight     float64          `json:"weight"`
	Points     float64          `json:"points"`
	Components []ComponentScore `json:"components"`
}

// ComponentScore is one component of a PartScore. Value is the value scored (the weight-
// averaged value of the months that have one; a smoothed value where one stood in for an
// unreportable one); null when no month has one. Max is its normalised points. Flagged is
// true when any month was missing (scored 0) or scored by a smoothed value; Reason says which.
type ComponentScore struct {
	Component string   `json:"component"`
	Title     string   `json:"title,omitempty"`
	Value     *float64 `json:"value"`
	Points    float64  `json:"points"`
	Max       float64  `json:"max"`
	Flagged   bool     `json:"flagged"`
	Reason    string   `json:"reason"`
}

// Adjustment is one adjustment event (典型事件加减分, SPEC §5.1) as a score lists it.
type Adjustment struct {
	EventID string       `json:"event_id"`
	Period  schema.Month `json:"period"`
	Points  float64      `json:"points"`
	Reason  string       `json:"reason"`
	Ref     string       `json:"ref"`
}

// SchemeInput is what a scheme scores for one unit over one period.
type SchemeInput struct {
	Kind, Unit, Role string
	Branch, Store    string
	Period           Period
	// Months holds the unit's data of each month of the period (a month absent: no data).
	Months map[schema.Month]SchemeMonth
	// TeamScore is team:score, a staff member's store's total after its adjustments over the
	// period; nil when unknown.
	TeamScore *float64
	// Adjustments are the unit's adjustments in the period (not voided, each once).
	Adjustments []Adjustment
}

// SchemeMonth is one month of a SchemeInput.
type SchemeMonth struct {
	// Card is the unit's card of the month, its proportions smoothed among its parent's units.
	Card *UnitCard
	// Team is a staff member's store's card of the month (team:<metric>).
	Team *UnitCard
	// Branch is the card of the unit's branch for the month (team:<metric> of stores, agents
	// and managers).
	Branch *Card
	// Scores are the unit's score_reported values of the month by component (the latest
	// occurred_at of each, SPEC §5.1).
	Scores map[string]float64
}

// monthValue is one component's value in one month: ok when it scores; shown is the value to
// show; flag says why it was flagged ("" when not).
type monthValue struct {
	v     float64
	ok    bool
	shown *float64
	flag  string
}

// unitValue reads front-line metric m of card c: a rating- or survey-based value that is not
// reportable scores its smoothed value when it has one (flagged), else it is missing.
func unitValue(c *UnitCard, m string) monthValue {
	if c == nil {
		return monthValue{flag: "missing"}
	}
	count := func(n uint64) monthValue { v := float64(n); return monthValue{v: v, ok: true, shown: &v} }
	val := func(v *Value) monthValue {
		if v == nil || v.Value == nil {
			return monthValue{flag: "missing"}
		}
		if v.Reportable {
			return monthValue{v: *v.Value, ok: true, shown: v.Value}
		}
		if v.Smoothed != nil && v.Smoothed.Value != nil {
			return monthValue{v: *v.Smoothed.Value, ok: true, shown: v.Smoothed.Value,
				flag: fmt.Sprintf("unreportable (n %d): scored by its smoothed value", v.N)}
		}
		return monthValue{flag: fmt.Sprintf("unreportable (n %d), no smoothed value: scored 0", v.N)}
	}
	plain := func(v *float64) monthValue {
		if v == nil {
			return monthValue{flag: "missing"}
		}
		return monthValue{v: *v, ok: true, shown: v}
	}
	switch m {
	case "ratings":
		return count(c.Ratings)
	case "satisfaction":
		return val(&c.Satisfaction)
	case "net_score":
		v := float64(c.NetScore)
		return monthValue{v: v, ok: true, shown: &v}
	case "avg_wait":
		return val(&c.AvgWait)
	case "complaints":
		return count(c.Complaints)
	case "inspection.province", "inspection.city":
		if c.Inspection == nil {
			return monthValue{flag: "missing"}
		}
		if m == "inspection.province" {
			return plain(c.Inspection.Province)
		}
		return plain(c.Inspection.City)
	case "fcr":
		return val(c.FCR)
	case "sl20":
		return val(c.SL20)
	case "avg_handle":
		return val(c.AvgHandle)
	case "csi":
		return val(c.CSI)
	case "churned":
		if c.Churned == nil {
			return monthValue{flag: "missing"}
		}
		return count(*c.Churned)
	}
	return monthValue{flag: "missing"}
}

// Evaluate scores in under scheme s. Unit metrics and team:<metric> are scored month by month
// and combined as Σw·points/Σw over the period's months (a month without a value scores 0);
// score:<component> is scored once on its value for the period, the weight-averaged value of
// the months that have one (SPEC §5.5), and team:score once on the store's total for the
// period. Adjustments are added after the total, unweighted.
func (s *Scheme) Evaluate(in SchemeInput) UnitScore {
	r := UnitScore{Kind: in.Kind, Unit: in.Unit, Period: in.Period.Name, Branch: in.Branch, Store: in.Store,
		Scheme: s.Name, Role: in.Role, Max: s.Points, Parts: []PartScore{}, Adjustments: []Adjustment{},
		Warnings: append([]string{}, s.Warnings...)}
	for _, p := range s.Parts {
		ps := PartScore{Name: p.Name, Title: p.Title, Weight: p.Points, Components: []ComponentScore{}}
		for _, c := range p.Components {
			cs := c.evaluate(in)
			ps.Points += cs.Points
			ps.Components = append(ps.Components, cs)
		}
		r.Total += ps.Points
		r.Parts = append(r.Parts, ps)
	}
	adj := append([]Adjustment{}, in.Adjustments...)
	sort.SliceStable(adj, func(i, j int) bool {
		if adj[i].Period != adj[j].Period {
			return adj[i].Period < adj[j].Period
		}
		return adj[i].EventID < adj[j].EventID
	})
	r.AdjustedTotal = r.Total
	for _, a := range adj {
		r.Adjustments = append(r.Adjustments, a)
		r.AdjustedTotal += a.Points
	}
	return r
}

func (c SchemeComponent) evaluate(in SchemeInput) ComponentScore {
	cs := ComponentScore{Component: c.Component, Title: c.Title, Max: c.Points}
	switch c.Source {
	case SourceScore:
		var sw, swv float64
		for _, pm := range in.Period.Months {
			if v, ok := in.Months[pm.Month].Scores[c.Metric]; ok {
				sw += pm.Weight
				swv += pm.Weight * v
			}
		}
		if sw == 0 {
			cs.Flagged, cs.Reason = true, "missing: no score_reported in the period"
			return cs
		}
		cs.Value = ptr(swv / sw)
		cs.Points = c.Score(*cs.Value)
		return cs
	case SourceTeamScore:
		if in.TeamScore == nil {
			cs.Flagged, cs.Reason = true, "missing: no store score"
			return cs
		}
		cs.Value = ptr(*in.TeamScore)
		cs.Points = c.Score(*cs.Value)
		return cs
	}
	var sw, swp, swv, swvW float64
	var reasons []string
	seen := map[string]bool{}
	for _, pm := range in.Period.Months {
		mv := c.monthValue(in.Months[pm.Month])
		sw += pm.Weight
		if mv.ok {
			swp += pm.Weight * c.Score(mv.v)
			swv += pm.Weight * mv.v
			swvW += pm.Weight
		}
		if mv.flag != "" {
			cs.Flagged = true
			reason := mv.flag
			if len(in.Period.Months) > 1 {
				reason = pm.Month.String() + ": " + reason
			}
			if !seen[reason] {
				seen[reason] = true
				reasons = append(reasons, reason)
			}
		}
	}
	if sw > 0 {
		cs.Points = swp / sw
	}
	if swvW > 0 {
		cs.Value = ptr(swv / swvW)
	}
	cs.Reason = strings.Join(reasons, "; ")
	return cs
}

func (c SchemeComponent) monthValue(m SchemeMonth) monthValue {
	switch {
	case c.Source == SourceUnit:
		return unitValue(m.Card, c.Metric)
	case c.Source == SourceTeam && c.branch.Kind == "":
		mv := unitValue(m.Team, c.Metric)
		if m.Team == nil {
			mv.flag = "missing: no store"
		}
		return mv
	case c.Source == SourceTeam:
		shown, v, ok := scoringValue(m.Branch, c.branch)
		switch {
		case ok:
			return monthValue{v: v, ok: true, shown: shown}
		case shown != nil:
			return monthValue{shown: shown, flag: "the branch's value is unreportable: scored 0"}
		}
		return monthValue{flag: "missing"}
	}
	return monthValue{flag: "missing"}
}
