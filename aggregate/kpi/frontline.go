package kpi

import (
	"math"
	"sort"
	"time"
)

// Unit kinds of the front line (SPEC §5.2). Unit ids are company-wide (§5.5).
const (
	UnitStore   = "store"
	UnitStaff   = "staff"
	UnitAgent   = "agent"
	UnitManager = "manager"
)

// UnitKinds lists the unit kinds.
func UnitKinds() []string { return []string{UnitStore, UnitStaff, UnitAgent, UnitManager} }

// UnitStats are one unit's additive statistics for one month (kpi_frontline): counts over the
// events that name it, and its placement.
type UnitStats struct {
	Kind, ID string
	// Branch is the unit's placement (SPEC §5.5): the branch_id of its latest placing event in
	// the month, else of its latest before ("" when it has none); PlacedAt and PlacedBy are that
	// event's occurred_at and event_id. Store is a staff member's store by the same rule.
	Branch   string
	PlacedAt time.Time
	PlacedBy string
	Store    string
	// Ratings (store_feedback for stores and staff, hotline_feedback for agents): n, rating ≥ 4,
	// rating ≤ 2, Σ wait_seconds; agents also resolved, wait ≤ 20 s and Σ handle_seconds.
	N, Satisfied, Dissatisfied, WaitSum uint64
	Resolved, SL20, HandleSum           uint64
	// Complaints opened naming the unit; churn events naming a customer manager.
	Complaints, Churned uint64
	// Inspections per publisher: count and Σ score.
	InspProvinceN   uint64
	InspProvinceSum float64
	InspCityN       uint64
	InspCitySum     float64
	// Survey holds the moments of the per-response composite y (SPEC §3.3) over the not-voided
	// interviews naming a customer manager that answered a catalog item.
	Survey Moments
}

// Add returns the statistics of u and o pooled (a period of several months, §5.5): counts and
// sums add; the placement is the later one's.
func (u UnitStats) Add(o UnitStats) UnitStats {
	out := u
	if o.Branch != "" && (u.Branch == "" || o.PlacedAt.After(u.PlacedAt) || o.PlacedAt.Equal(u.PlacedAt) && o.PlacedBy > u.PlacedBy) {
		out.Branch, out.PlacedAt, out.PlacedBy, out.Store = o.Branch, o.PlacedAt, o.PlacedBy, o.Store
	}
	out.N += o.N
	out.Satisfied += o.Satisfied
	out.Dissatisfied += o.Dissatisfied
	out.WaitSum += o.WaitSum
	out.Resolved += o.Resolved
	out.SL20 += o.SL20
	out.HandleSum += o.HandleSum
	out.Complaints += o.Complaints
	out.Churned += o.Churned
	out.InspProvinceN += o.InspProvinceN
	out.InspProvinceSum += o.InspProvinceSum
	out.InspCityN += o.InspCityN
	out.InspCitySum += o.InspCitySum
	out.Survey = out.Survey.Add(o.Survey)
	return out
}

// Inspections are the mean inspection scores of a unit per publisher (SPEC §5.2), null when
// no inspection of that publisher falls in the period (§5.5: patrol and mystery pooled).
type Inspections struct {
	Province *float64 `json:"province"`
	City     *float64 `json:"city"`
}

// UnitCard is one unit's front-line values for one period (SPEC §5.2). Rating- and
// survey-based values are Values (value, moe95, n, reportable); proportions of ratings carry
// a smoothed value toward their parent's pooled value (SmoothProportions) when the card was
// computed with its parent's units.
type UnitCard struct {
	Kind   string `json:"kind"`
	Unit   string `json:"unit"`
	Period string `json:"period"`
	Branch string `json:"branch"`          // placement; "" when unknown
	Store  string `json:"store,omitempty"` // staff: their store
	// Ratings is n; NetScore = #(rating ≥ 4) − #(rating ≤ 2) (the seed's 顾客满意加1分、
	// 不满意减1分, our mapping).
	Ratings      uint64 `json:"ratings"`
	Satisfaction Value  `json:"satisfaction"`
	NetScore     int64  `json:"net_score"`
	AvgWait      Value  `json:"avg_wait"`
	// Agents only (nil otherwise).
	FCR       *Value `json:"fcr,omitempty"`
	SL20      *Value `json:"sl20,omitempty"`
	AvgHandle *Value `json:"avg_handle,omitempty"`
	// Stores and staff only.
	Inspection *Inspections `json:"inspection,omitempty"`
	Complaints uint64       `json:"complaints"`
	// Managers only.
	CSI     *Value  `json:"csi,omitempty"`
	Churned *uint64 `json:"churned,omitempty"`
}

// ProportionValue is a share of n ratings on the 0–100 scale (SPEC §3.7): 100·k/n with
// moe95 = 1.96 × 100·√(p(1−p)/n) (null when n < 2), reportable from minSample ratings.
func ProportionValue(k, n, minSample uint64) Value {
	p, se := proportion(k, n)
	v := Value{Value: p, N: n, Reportable: p != nil && n >= minSample}
	if se != nil {
		v.MOE95 = ptr(z95 * *se)
	}
	return v
}

// meanValue is a mean over n ratings (a waiting or handling time): no margin without the
// squares, reportable from minSample ratings.
func meanValue(sum, n, minSample uint64) Value {
	v := Value{N: n}
	if n > 0 {
		v.Value = ptr(float64(sum) / float64(n))
		v.Reportable = n >= minSample
	}
	return v
}

// ComputeUnitCard computes the card of u for period (its label) with CSAT_MIN_SAMPLE
// minSample. Smoothed values are not set (see SmoothUnits).
func ComputeUnitCard(u UnitStats, period string, minSample uint64) UnitCard {
	c := UnitCard{Kind: u.Kind, Unit: u.ID, Period: period, Branch: u.Branch, Ratings: u.N,
		Satisfaction: ProportionValue(u.Satisfied, u.N, minSample),
		NetScore:     int64(u.Satisfied) - int64(u.Dissatisfied),
		AvgWait:      meanValue(u.WaitSum, u.N, minSample),
		Complaints:   u.Complaints}
	switch u.Kind {
	case UnitStaff:
		c.Store = u.Store
		c.Inspection = inspections(u)
	case UnitStore:
		c.Inspection = inspections(u)
	case UnitAgent:
		fcr, sl, h := ProportionValue(u.Resolved, u.N, minSample), ProportionValue(u.SL20, u.N, minSample), meanValue(u.HandleSum, u.N, minSample)
		c.FCR, c.SL20, c.AvgHandle = &fcr, &sl, &h
	case UnitManager:
		csi := ItemValue(u.Survey, minSample)
		churned := u.Churned
		c.CSI, c.Churned = &csi, &churned
	}
	return c
}

func inspections(u UnitStats) *Inspections {
	return &Inspections{Province: ratio(u.InspProvinceSum, float64(u.InspProvinceN), 1), City: ratio(u.InspCitySum, float64(u.InspCityN), 1)}
}

// Proportion is k successes of n ratings of one unit.
type Proportion struct{ K, N uint64 }

// EBShrinkage is the empirical-Bayes estimate of SPEC §5.5 over the J units of one parent with
// n_j > 0: p̄ = 100·Σk/Σn (the parent's pooled value), τ² = max(0, Σn_j(p_j − p̄)²/Σn_j −
// J·p̄(100 − p̄)/Σn_j), and per unit B = τ²/(τ² + p̄(100 − p̄)/n), smoothed = p̄ + B·(p − p̄).
type EBShrinkage struct {
	Mean float64 // p̄
	Tau2 float64 // τ²
	J    int     // units with n > 0
}

// NewEBShrinkage estimates p̄ and τ² over units; ok is false when no unit has a rating.
func NewEBShrinkage(units []Proportion) (s EBShrinkage, ok bool) {
	var sk, sn uint64
	for _, u := range units {
		if u.N > 0 {
			sk += u.K
			sn += u.N
			s.J++
		}
	}
	if sn == 0 {
		return s, false
	}
	N := float64(sn)
	s.Mean = 100 * float64(sk) / N
	var ss float64
	for _, u := range units {
		if u.N > 0 {
			d := 100*float64(u.K)/float64(u.N) - s.Mean
			ss += float64(u.N) * d * d
		}
	}
	s.Tau2 = math.Max(0, ss/N-float64(s.J)*s.Mean*(100-s.Mean)/N)
	return s, true
}

// Smooth returns the smoothed value of k of n: p̄ + B·(p − p̄); p̄ when n = 0. When p̄ is 0 or
// 100 every unit's p equals it, and so does the result.
func (s EBShrinkage) Smooth(k, n uint64) float64 {
	if n == 0 {
		return s.Mean
	}
	p := 100 * float64(k) / float64(n)
	v := s.Mean * (100 - s.Mean) / float64(n)
	if s.Tau2+v == 0 {
		return p
	}
	return s.Mean + s.Tau2/(s.Tau2+v)*(p-s.Mean)
}

// SmoothUnits sets the smoothed values of the cards' rating proportions (satisfaction; for
// agents also fcr and sl20), each unit toward the pooled value of the units of its parent:
// staff → their store, stores and agents → their branch (SPEC §5.5). stats and cards are
// parallel; a unit's parent group is the units of stats with the same parent. Managers are
// not smoothed.
func SmoothUnits(stats []UnitStats, cards []UnitCard) {
	parent := func(u UnitStats) (string, bool) {
		switch u.Kind {
		case UnitStaff:
			return u.Store, u.Store != ""
		case UnitStore, UnitAgent:
			return u.Branch, u.Branch != ""
		}
		return "", false
	}
	groups := map[string][]int{}
	for i, u := range stats {
		if p, ok := parent(u); ok {
			groups[u.Kind+"\x00"+p] = append(groups[u.Kind+"\x00"+p], i)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		idx := groups[k]
		smooth := func(get func(UnitStats) Proportion, set func(*UnitCard, *Smoothed)) {
			ps := make([]Proportion, len(idx))
			for j, i := range idx {
				ps[j] = get(stats[i])
			}
			eb, ok := NewEBShrinkage(ps)
			if !ok {
				return
			}
			for j, i := range idx {
				set(&cards[i], &Smoothed{Value: ptr(eb.Smooth(ps[j].K, ps[j].N))})
			}
		}
		smooth(func(u UnitStats) Proportion { return Proportion{u.Satisfied, u.N} },
			func(c *UnitCard, s *Smoothed) { c.Satisfaction.Smoothed = s })
		if stats[idx[0]].Kind == UnitAgent {
			smooth(func(u UnitStats) Proportion { return Proportion{u.Resolved, u.N} },
				func(c *UnitCard, s *Smoothed) { c.FCR.Smoothed = s })
			smooth(func(u UnitStats) Proportion { return Proportion{u.SL20, u.N} },
				func(c *UnitCard, s *Smoothed) { c.SL20.Smoothed = s })
		}
	}
}
