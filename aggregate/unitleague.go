package aggregate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// UnitLeague is a league table of front-line units (排名, SPEC §5.2): the units of one kind
// under a parent ranked by one metric of their card over a period.
type UnitLeague struct {
	Unit   string `json:"unit"`   // the kind: store, staff, agent or manager
	Parent string `json:"parent"` // ALL, a branch id, or store:<id> (the staff of a store)
	Period string `json:"period"`
	Metric string `json:"metric"`
	// LowerIsBetter: the table ranks ascending (waits, handling times, complaints, churn).
	LowerIsBetter bool            `json:"lower_is_better"`
	Units         []UnitLeagueRow `json:"units"`
}

// Ranking modes of a UnitLeagueRow.
const (
	RankedByValue    = "value"    // a reportable value (or a count, which needs no sample)
	RankedBySmoothed = "smoothed" // an unreportable proportion, ranked by its smoothed value
	RankedByNone     = "none"     // not ranked: no value, or unreportable with nothing smoothed
)

// UnitLeagueRow is one unit of a UnitLeague. Rank is 1 for the best; it is null for a unit
// that is not ranked (RankedBy "none"): a unit with no value, listed last, or with an
// unreportable value that has no smoothed estimate (a mean or a manager's CSI), listed before
// those. An unreportable proportion is ranked by its smoothed value (RankedBy "smoothed"),
// Reportable false: it is never shown as simply the worst.
type UnitLeagueRow struct {
	Rank   *int   `json:"rank"`
	Unit   string `json:"unit"`
	Branch string `json:"branch"` // the unit's placement over the period
	Store  string `json:"store"`  // staff: their store; "" otherwise
	// Value, MOE95, N and Reportable are the metric's as on the card. For counts (net_score,
	// complaints, churned) and inspection means, which need no sample, N is the unit's ratings,
	// for context, and Reportable is true when a value exists.
	Value      *float64     `json:"value"`
	MOE95      *float64     `json:"moe95"`
	N          uint64       `json:"n"`
	Reportable bool         `json:"reportable"`
	Smoothed   *float64     `json:"smoothed"`
	RankedBy   string       `json:"ranked_by"`
	Card       kpi.UnitCard `json:"card"`
}

// unitRow is what a metric reads of one unit.
type unitRow struct {
	card kpi.UnitCard
}

// unitMetric is a metric a unit league ranks by.
type unitMetric struct {
	kinds         []string // the unit kinds that have it
	lowerIsBetter bool
	value         func(unitRow) kpi.Value
}

// unitMetrics are the metrics of a unit league: the front-line card's (SPEC §5.2).
var unitMetrics = map[string]unitMetric{
	"satisfaction": {kinds: []string{kpi.UnitStore, kpi.UnitStaff, kpi.UnitAgent},
		value: func(r unitRow) kpi.Value { return r.card.Satisfaction }},
	"net_score": {kinds: []string{kpi.UnitStore, kpi.UnitStaff, kpi.UnitAgent},
		value: func(r unitRow) kpi.Value { return countValue(float64(r.card.NetScore), r.card.Ratings) }},
	"avg_wait": {kinds: []string{kpi.UnitStore, kpi.UnitStaff, kpi.UnitAgent}, lowerIsBetter: true,
		value: func(r unitRow) kpi.Value { return r.card.AvgWait }},
	"complaints": {kinds: kpi.UnitKinds(), lowerIsBetter: true,
		value: func(r unitRow) kpi.Value { return countValue(float64(r.card.Complaints), r.card.Ratings) }},
	"inspection.province": {kinds: []string{kpi.UnitStore, kpi.UnitStaff},
		value: func(r unitRow) kpi.Value {
			return inspectionValue(r.card, func(i *kpi.Inspections) *float64 { return i.Province })
		}},
	"inspection.city": {kinds: []string{kpi.UnitStore, kpi.UnitStaff},
		value: func(r unitRow) kpi.Value {
			return inspectionValue(r.card, func(i *kpi.Inspections) *float64 { return i.City })
		}},
	"fcr": {kinds: []string{kpi.UnitAgent},
		value: func(r unitRow) kpi.Value { return deref(r.card.FCR) }},
	"sl20": {kinds: []string{kpi.UnitAgent},
		value: func(r unitRow) kpi.Value { return deref(r.card.SL20) }},
	"avg_handle": {kinds: []string{kpi.UnitAgent}, lowerIsBetter: true,
		value: func(r unitRow) kpi.Value { return deref(r.card.AvgHandle) }},
	"csi": {kinds: []string{kpi.UnitManager},
		value: func(r unitRow) kpi.Value { return deref(r.card.CSI) }},
	"churned": {kinds: []string{kpi.UnitManager}, lowerIsBetter: true,
		value: func(r unitRow) kpi.Value {
			if r.card.Churned == nil {
				return kpi.Value{}
			}
			return countValue(float64(*r.card.Churned), r.card.Ratings)
		}},
}

// countValue is a count (or an inspection mean) as a league value: it needs no sample, so it
// is reportable; n is the unit's ratings.
func countValue(v float64, ratings uint64) kpi.Value {
	return kpi.Value{Value: &v, N: ratings, Reportable: true}
}

func inspectionValue(c kpi.UnitCard, get func(*kpi.Inspections) *float64) kpi.Value {
	if c.Inspection == nil || get(c.Inspection) == nil {
		return kpi.Value{N: c.Ratings}
	}
	return countValue(*get(c.Inspection), c.Ratings)
}

func deref(v *kpi.Value) kpi.Value {
	if v == nil {
		return kpi.Value{}
	}
	return *v
}

// UnitMetrics lists the metrics a league of kind ranks by, sorted, and its default.
func UnitMetrics(kind string) (names []string, def string) {
	for name, m := range unitMetrics {
		if slices.Contains(m.kinds, kind) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, defaultUnitMetric(kind)
}

// defaultUnitMetric is the metric a league of kind ranks by when none is named.
func defaultUnitMetric(kind string) string {
	if kind == kpi.UnitManager {
		return "csi"
	}
	return "satisfaction"
}

// StoreParent is the prefix of a staff league's parent that names a store ("store:S123").
const StoreParent = "store:"

// UnitLeague ranks the units of kind under parent over period (YYYY-MM, YYYY-Qn, YYYY-H1,
// YYYY-H2 or YYYY) by metric ("" = satisfaction; managers: csi), best first, lower-is-better
// metrics ascending (SPEC §5.2, §5.5). parent is ALL or a branch id (stores, agents and
// managers placed in its subtree; staff of the stores placed there), or store:<id> for the
// staff of one store. A reportable value ranks by itself, an unreportable proportion by its
// smoothed value (RankedBy "smoothed"); ties go to the smaller unit id. Units that cannot be
// ranked follow, unreportable ones before those without a value, each by unit id.
func (e *Engine) UnitLeague(ctx context.Context, kind, parent, period, metric string) (UnitLeague, error) {
	if err := checkUnit(kind, "x"); err != nil {
		return UnitLeague{}, err
	}
	if metric == "" {
		metric = defaultUnitMetric(kind)
	}
	m, ok := unitMetrics[metric]
	if !ok || !slices.Contains(m.kinds, kind) {
		names, _ := UnitMetrics(kind)
		return UnitLeague{}, &ParamError{Param: "metric", Msg: fmt.Sprintf("%q is not a metric of a %s (want one of %s)", metric, kind, strings.Join(names, ", "))}
	}
	cards, err := e.leagueUnits(ctx, kind, parent, period)
	if err != nil {
		return UnitLeague{}, err
	}
	rows := make([]UnitLeagueRow, len(cards))
	for i, c := range cards {
		rows[i] = leagueRow(c, m.value(unitRow{card: c}))
	}
	rankUnits(rows, m.lowerIsBetter)
	return UnitLeague{Unit: kind, Parent: parent, Period: period, Metric: metric, LowerIsBetter: m.lowerIsBetter, Units: rows}, nil
}

// leagueUnits returns the cards a league of kind under parent ranks.
func (e *Engine) leagueUnits(ctx context.Context, kind, parent, period string) ([]kpi.UnitCard, error) {
	if store, ok := strings.CutPrefix(parent, StoreParent); ok {
		if kind != kpi.UnitStaff {
			return nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%s: only staff have a store as parent (the parent of a %s is ALL or a branch id)", parent, kind)}
		}
		if !schema.ValidUnitID(store) {
			return nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q is not a store id ([A-Za-z0-9_.:-]{1,64})", store)}
		}
		return e.Units(ctx, kind, store, period)
	}
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		if kind == kpi.UnitStaff && !schema.ValidBranchID(parent) {
			return nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q: want ALL, a branch id or store:<id> (the staff of one store)", parent)}
		}
		return nil, err
	}
	if kind != kpi.UnitStaff {
		return e.Units(ctx, kind, parent, period)
	}
	return e.staffUnder(ctx, parent, period)
}

// staffUnder returns the cards of the staff of the stores placed under branch (ALL: every
// store) over period, smoothed toward their own store's staff.
func (e *Engine) staffUnder(ctx context.Context, branch, period string) ([]kpi.UnitCard, error) {
	months, err := periodMonths(period)
	if err != nil {
		return nil, err
	}
	cond := "kind = 'staff' AND store_id != ''"
	stores := map[string]bool{}
	if branch != schema.Root {
		sc, err := e.Units(ctx, kpi.UnitStore, branch, period)
		if err != nil {
			return nil, err
		}
		if len(sc) == 0 {
			return []kpi.UnitCard{}, nil
		}
		ids := make([]string, len(sc))
		for i, c := range sc {
			stores[c.Unit] = true
			ids[i] = quote(c.Unit)
		}
		cond = fmt.Sprintf("kind = 'staff' AND store_id IN (%s)", strings.Join(ids, ", "))
	}
	stats, err := e.units(ctx, months, cond)
	if err != nil {
		return nil, err
	}
	// A staff member whose pooled store is elsewhere is not under branch.
	kept := stats[:0]
	for _, u := range stats {
		if u.Store != "" && (branch == schema.Root || stores[u.Store]) {
			kept = append(kept, u)
		}
	}
	return e.unitCards(kept, period), nil
}

// leagueRow is the row of card ranked by v (before ranking).
func leagueRow(c kpi.UnitCard, v kpi.Value) UnitLeagueRow {
	r := UnitLeagueRow{Unit: c.Unit, Branch: c.Branch, Store: c.Store, Value: v.Value, MOE95: v.MOE95, N: v.N,
		Reportable: v.Reportable, RankedBy: RankedByNone, Card: c}
	if v.Smoothed != nil {
		r.Smoothed = v.Smoothed.Value
	}
	switch {
	case v.Value == nil:
	case v.Reportable:
		r.RankedBy = RankedByValue
	case r.Smoothed != nil:
		r.RankedBy = RankedBySmoothed
	}
	return r
}

// rankUnits orders rows and numbers the ranked ones: by the value they are ranked by (best
// first: descending, or ascending when lowerIsBetter), ties by unit id; then the unranked
// rows with a value (unreportable, nothing smoothed), then those without one, each by unit id.
func rankUnits(rows []UnitLeagueRow, lowerIsBetter bool) {
	class := func(r UnitLeagueRow) int {
		switch {
		case r.RankedBy != RankedByNone:
			return 0
		case r.Value != nil:
			return 1
		}
		return 2
	}
	key := func(r UnitLeagueRow) float64 {
		if r.RankedBy == RankedBySmoothed {
			return *r.Smoothed
		}
		return *r.Value
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ca, cb := class(a), class(b); ca != cb {
			return ca < cb
		}
		if class(a) == 0 {
			if ka, kb := key(a), key(b); ka != kb {
				if lowerIsBetter {
					return ka < kb
				}
				return ka > kb
			}
		}
		return a.Unit < b.Unit
	})
	for i := range rows {
		if rows[i].RankedBy != RankedByNone {
			rank := i + 1
			rows[i].Rank = &rank
		}
	}
}

// UnitTrend returns one unit's card for each of the 12 months ending at the last month of
// period (as UnitCard for each month: placed by that month, smoothed toward that month's
// peers), oldest first.
func (e *Engine) UnitTrend(ctx context.Context, kind, id, period string) ([]kpi.UnitCard, error) {
	if err := checkUnit(kind, id); err != nil {
		return nil, err
	}
	months, err := periodMonths(period)
	if err != nil {
		return nil, err
	}
	last := months[len(months)-1]
	out := make([]kpi.UnitCard, 0, 12)
	for m := last.Add(-11); m <= last; m = m.Add(1) {
		c, err := e.UnitCard(ctx, kind, id, m.String())
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
