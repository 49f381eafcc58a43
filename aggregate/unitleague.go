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
	// Score is the unit's scheme score (metric total only): its parts, components, flags and
	// adjustments.
	Score *kpi.UnitScore `json:"score,omitempty"`
}

// unitRow is what a metric reads of one unit: its card, and its scheme score when the league
// ranks by total.
type unitRow struct {
	card  kpi.UnitCard
	score *kpi.UnitScore
}

// unitMetric is a metric a unit league ranks by.
type unitMetric struct {
	kinds         []string // the unit kinds that have it
	lowerIsBetter bool
	value         func(unitRow) kpi.Value
	// scored: a scheme score, ranked by its value whatever its flags (the scheme has already
	// scored each unreportable value by its smoothed value, SPEC §5.5).
	scored bool
}

// metricTotal ranks by the scheme score (SPEC §5.2): the total after adjustments.
const metricTotal = "total"

// unitMetrics are the metrics of a unit league: the front-line card's (SPEC §5.2) and the
// scheme total.
var unitMetrics = map[string]unitMetric{
	metricTotal: {kinds: kpi.UnitKinds(), scored: true, value: totalValue},
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

// totalValue is a unit's scheme total after its adjustments: reportable when no component is
// flagged (missing, or scored by a smoothed value); n is the unit's ratings.
func totalValue(r unitRow) kpi.Value {
	if r.score == nil {
		return kpi.Value{N: r.card.Ratings}
	}
	v := countValue(r.score.AdjustedTotal, r.card.Ratings)
	for _, p := range r.score.Parts {
		for _, c := range p.Components {
			v.Reportable = v.Reportable && !c.Flagged
		}
	}
	return v
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

// UnitMetrics lists the metrics a league of kind ranks by, sorted.
func UnitMetrics(kind string) []string {
	var names []string
	for name, m := range unitMetrics {
		if slices.Contains(m.kinds, kind) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// checkScheme returns a parameter error when no front-line scheme scores kind (staff: of the
// default role).
func (e *Engine) checkScheme(kind string) error {
	fs, err := e.frontline()
	if err != nil {
		return err
	}
	if _, err := fs.For(kind, ""); err != nil {
		return &ParamError{Param: "metric", Msg: fmt.Sprintf("total: %v (CSAT_FRONTLINE_SCHEMES)", err), Err: err}
	}
	return nil
}

// defaultUnitMetric is the metric a league of kind under parent ranks by when none is named:
// the scheme total when a front-line scheme scores the kind (staff: of the default role), else
// satisfaction (managers: csi).
func (e *Engine) defaultUnitMetric(kind string) string {
	if e.checkScheme(kind) == nil {
		return metricTotal
	}
	if kind == kpi.UnitManager {
		return "csi"
	}
	return "satisfaction"
}

// StoreParent is the prefix of a staff league's parent that names a store ("store:S123").
const StoreParent = "store:"

// UnitLeague ranks the units of kind under parent over period (YYYY-MM, YYYY-Qn, YYYY-H1,
// YYYY-H2 or YYYY) by metric, best first, lower-is-better metrics ascending (SPEC §5.2, §5.5).
// metric "" is the scheme total (after adjustments) when a front-line scheme scores the kind,
// else satisfaction (managers: csi); ranked by total, each row carries its score. parent is ALL or a branch id (stores, agents and
// managers placed in its subtree; staff of the stores placed there), or store:<id> for the
// staff of one store. A reportable value ranks by itself, an unreportable proportion by its
// smoothed value (RankedBy "smoothed"); ties go to the smaller unit id. Units that cannot be
// ranked follow, unreportable ones before those without a value, each by unit id.
func (e *Engine) UnitLeague(ctx context.Context, kind, parent, period, metric string) (UnitLeague, error) {
	if err := checkUnit(kind, "x"); err != nil {
		return UnitLeague{}, err
	}
	if metric == "" {
		metric = e.defaultUnitMetric(kind)
	}
	m, ok := unitMetrics[metric]
	if !ok || !slices.Contains(m.kinds, kind) {
		return UnitLeague{}, &ParamError{Param: "metric", Msg: fmt.Sprintf("%q is not a metric of a %s (want one of %s)", metric, kind, strings.Join(UnitMetrics(kind), ", "))}
	}
	if m.scored {
		if err := e.checkScheme(kind); err != nil {
			return UnitLeague{}, err
		}
	}
	sel, err := e.leagueSelection(ctx, kind, parent)
	if err != nil {
		return UnitLeague{}, err
	}
	cards, err := e.leagueCards(ctx, sel, period)
	if err != nil {
		return UnitLeague{}, err
	}
	var scores map[string]*kpi.UnitScore
	if m.scored {
		if scores, err = e.leagueScores(ctx, sel, period); err != nil {
			return UnitLeague{}, err
		}
	}
	rows := make([]UnitLeagueRow, len(cards))
	for i, c := range cards {
		rows[i] = leagueRow(c, m.value(unitRow{card: c, score: scores[c.Unit]}), m.scored)
		rows[i].Score = scores[c.Unit]
	}
	rankUnits(rows, m.lowerIsBetter)
	return UnitLeague{Unit: kind, Parent: parent, Period: period, Metric: metric, LowerIsBetter: m.lowerIsBetter, Units: rows}, nil
}

// leagueSel is the units a league ranks: a condition on kpi_frontline rows and the test of a
// unit's pooled placement (unitsUnder's pair), except for the staff of a branch, whose stores
// are resolved per period (stores set).
type leagueSel struct {
	kind, parent string // parent: ALL, a branch id, or a store id (store set) for staff
	store        bool   // staff of store parent
	staffOf      bool   // staff of the stores under branch parent
}

// leagueSelection checks parent for a league of kind.
func (e *Engine) leagueSelection(ctx context.Context, kind, parent string) (leagueSel, error) {
	if store, ok := strings.CutPrefix(parent, StoreParent); ok {
		if kind != kpi.UnitStaff {
			return leagueSel{}, &ParamError{Param: "parent", Msg: fmt.Sprintf("%s: only staff have a store as parent (the parent of a %s is ALL or a branch id)", parent, kind)}
		}
		if !schema.ValidUnitID(store) {
			return leagueSel{}, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q is not a store id ([A-Za-z0-9_.:-]{1,64})", store)}
		}
		return leagueSel{kind: kind, parent: store, store: true}, nil
	}
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		if kind == kpi.UnitStaff && !schema.ValidBranchID(parent) {
			return leagueSel{}, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q: want ALL, a branch id or store:<id> (the staff of one store)", parent)}
		}
		return leagueSel{}, err
	}
	return leagueSel{kind: kind, parent: parent, staffOf: kind == kpi.UnitStaff}, nil
}

// where returns the selection's condition and placement test for period: for the staff of a
// branch, the staff of the stores placed under it over period (ALL: of every store).
func (e *Engine) where(ctx context.Context, sel leagueSel, period string) (cond string, under func(kpi.UnitStats) bool, err error) {
	switch {
	case sel.store:
		return unitsUnder(kpi.UnitStaff, sel.parent)
	case !sel.staffOf:
		return unitsUnder(sel.kind, sel.parent)
	case sel.parent == schema.Root:
		return "kind = 'staff' AND store_id != ''", func(u kpi.UnitStats) bool { return u.Store != "" }, nil
	}
	sc, err := e.Units(ctx, kpi.UnitStore, sel.parent, period)
	if err != nil {
		return "", nil, err
	}
	stores := map[string]bool{}
	ids := make([]string, len(sc))
	for i, c := range sc {
		stores[c.Unit] = true
		ids[i] = c.Unit
	}
	if len(ids) == 0 {
		return "0", func(kpi.UnitStats) bool { return false }, nil
	}
	// A staff member whose pooled store is elsewhere is not under the branch.
	return "kind = 'staff' AND store_id IN (" + stringList(ids) + ")", func(u kpi.UnitStats) bool { return stores[u.Store] }, nil
}

// leagueCards returns the cards of the units of sel over period, smoothed toward their
// parents' units, sorted by unit id.
func (e *Engine) leagueCards(ctx context.Context, sel leagueSel, period string) ([]kpi.UnitCard, error) {
	months, err := periodMonths(period)
	if err != nil {
		return nil, err
	}
	cond, under, err := e.where(ctx, sel, period)
	if err != nil {
		return nil, err
	}
	stats, err := e.units(ctx, months, cond)
	if err != nil {
		return nil, err
	}
	// A unit placed under parent in one month of the period and elsewhere later is not under it.
	stats = slices.DeleteFunc(stats, func(u kpi.UnitStats) bool { return !under(u) })
	cards := make([]kpi.UnitCard, len(stats))
	for i, u := range stats {
		cards[i] = kpi.ComputeUnitCard(u, period, e.cfg.MinSample)
	}
	kpi.SmoothUnits(stats, cards)
	sort.SliceStable(cards, func(i, j int) bool { return cards[i].Unit < cards[j].Unit })
	return cards, nil
}

// leagueScores returns the scheme scores of the units of sel over period, by unit id.
func (e *Engine) leagueScores(ctx context.Context, sel leagueSel, period string) (map[string]*kpi.UnitScore, error) {
	req, err := e.scoreRequest(period)
	if err != nil {
		return nil, err
	}
	cond, under, err := e.where(ctx, sel, period)
	if err != nil {
		return nil, err
	}
	ss, err := e.scoresWhere(ctx, req, cond, under)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*kpi.UnitScore, len(ss))
	for i := range ss {
		out[ss[i].Unit] = &ss[i]
	}
	return out, nil
}

// leagueRow is the row of card ranked by v (before ranking); a scored value (a scheme total)
// is ranked by itself, reportable or not.
func leagueRow(c kpi.UnitCard, v kpi.Value, scored bool) UnitLeagueRow {
	r := UnitLeagueRow{Unit: c.Unit, Branch: c.Branch, Store: c.Store, Value: v.Value, MOE95: v.MOE95, N: v.N,
		Reportable: v.Reportable, RankedBy: RankedByNone, Card: c}
	if v.Smoothed != nil {
		r.Smoothed = v.Smoothed.Value
	}
	switch {
	case v.Value == nil:
	case v.Reportable || scored:
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
