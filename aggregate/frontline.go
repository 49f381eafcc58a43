package aggregate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// frontlineColumns are the columns of kpi_frontline a read scans, in scanUnit order.
const frontlineColumns = "kind, unit_id, branch_id, placed_at, placed_by, store_id, n, satisfied, dissatisfied, wait_sum, " +
	"resolved, sl20, handle_sum, complaints, churned, insp_province_n, insp_province_sum, insp_city_n, insp_city_sum, " +
	"survey_n, sw, sw2, swy, swy2"

// checkUnit checks a unit kind and id.
func checkUnit(kind, id string) error {
	if !slices.Contains(kpi.UnitKinds(), kind) {
		return &ParamError{Param: "unit", Msg: fmt.Sprintf("%q is not a unit kind (want one of %s)", kind, strings.Join(kpi.UnitKinds(), ", "))}
	}
	if !schema.ValidUnitID(id) {
		return &ParamError{Param: kind, Msg: fmt.Sprintf("%q is not a unit id ([A-Za-z0-9_.:-]{1,64})", id)}
	}
	return nil
}

// units reads the kpi_frontline rows of the months at their committed versions whose unit
// matches cond (a condition on kind, unit_id, branch_id, store_id), and pools each unit's rows
// over the months (kpi.UnitStats.Add: counts add, the latest placement wins). For a unit cond
// selects in any month, every month's row is pooled. Sorted by kind, then unit id.
func (e *Engine) units(ctx context.Context, months []schema.Month, cond string) ([]kpi.UnitStats, error) {
	rows, err := e.unitRows(ctx, months, cond)
	if err != nil {
		return nil, err
	}
	return poolUnits(rows), nil
}

// poolUnits pools rows (sorted by kind, unit id and month) per unit.
func poolUnits(rows []unitMonth) []kpi.UnitStats {
	var out []kpi.UnitStats
	for _, r := range rows {
		u := r.stats
		if n := len(out); n > 0 && out[n-1].Kind == u.Kind && out[n-1].ID == u.ID {
			out[n-1] = out[n-1].Add(u)
		} else {
			out = append(out, u)
		}
	}
	return out
}

// unitMonth is one kpi_frontline row: a unit's statistics of one month.
type unitMonth struct {
	month schema.Month
	stats kpi.UnitStats
}

// unitRows reads the kpi_frontline rows of the months at their committed versions of the
// units cond selects in any of them, sorted by kind, unit id and month.
func (e *Engine) unitRows(ctx context.Context, months []schema.Month, cond string) ([]unitMonth, error) {
	return e.unitRowsSelected(ctx, months, months, cond)
}

// unitRowsSelected reads the kpi_frontline rows of the months at their committed versions of
// the units cond selects in any of the months sel (a subset of months), sorted by kind, unit id
// and month.
func (e *Engine) unitRowsSelected(ctx context.Context, months, sel []schema.Month, cond string) ([]unitMonth, error) {
	vers, err := e.committed(ctx, months)
	if err != nil {
		return nil, err
	}
	vf, ok := versionFilter(vers, FamilyFrontline, months)
	if !ok {
		return nil, nil
	}
	vs, ok := versionFilter(vers, FamilyFrontline, sel)
	if !ok {
		return nil, nil
	}
	t := FamilyFrontline.Table()
	// A unit has one row per month: over one month the rows cond selects are all its rows,
	// read in one pass instead of a second pass over the month for the IN. cond is a PREWHERE:
	// its few narrow columns are read first, the two dozen others only where it holds
	// (ClickHouse 18.16 does not move a condition on a sorting-key column there itself: a
	// staff member's row was read whole from every staff row of the month, 4× the CPU).
	q := fmt.Sprintf(`SELECT month, %s FROM %s PREWHERE %s WHERE %s ORDER BY kind, unit_id, month`, frontlineColumns, t, cond, vf)
	if len(months) > 1 {
		q = fmt.Sprintf(`SELECT month, %s FROM %s PREWHERE (kind, unit_id) IN (SELECT kind, unit_id FROM %s PREWHERE %s WHERE %s) WHERE %s
ORDER BY kind, unit_id, month`, frontlineColumns, t, t, cond, vs, vf)
	}
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	defer rows.Close()
	var out []unitMonth
	for rows.Next() {
		var (
			m uint32
			u kpi.UnitStats
		)
		if err := rows.Scan(&m, &u.Kind, &u.ID, &u.Branch, &u.PlacedAt, &u.PlacedBy, &u.Store, &u.N, &u.Satisfied, &u.Dissatisfied,
			&u.WaitSum, &u.Resolved, &u.SL20, &u.HandleSum, &u.Complaints, &u.Churned, &u.InspProvinceN, &u.InspProvinceSum,
			&u.InspCityN, &u.InspCitySum, &u.Survey.N, &u.Survey.SW, &u.Survey.SW2, &u.Survey.SWX, &u.Survey.SWX2); err != nil {
			return nil, fmt.Errorf("read %s: %w", t, err)
		}
		if u.Branch == "" {
			u.PlacedAt = time.Time{}
		}
		out = append(out, unitMonth{month: schema.Month(m), stats: u})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return out, nil
}

// periodMonths resolves a period name as scorecards do (YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2,
// YYYY; SPEC §5.5): its months, pooled with equal standing (counts add, rates pool).
func periodMonths(period string) ([]schema.Month, error) {
	p, err := (&kpi.Scorecard{}).Period(period)
	if err != nil {
		return nil, &ParamError{Param: "period", Msg: err.Error()}
	}
	out := make([]schema.Month, len(p.Months))
	for i, pm := range p.Months {
		out[i] = pm.Month
	}
	return out, nil
}

// placeBefore fills the placement of a unit that has no placing event in month m with its
// latest placement before m (SPEC §5.5), from every earlier month's committed kpi_frontline.
func (e *Engine) placeBefore(ctx context.Context, u *kpi.UnitStats, m schema.Month) error {
	q := fmt.Sprintf(`SELECT argMax(branch_id, tuple(placed_at, placed_by)), argMax(store_id, tuple(placed_at, placed_by)),
  max(placed_at), argMax(placed_by, tuple(placed_at, placed_by)), count()
FROM %s PREWHERE kind = %s AND unit_id = %s WHERE branch_id != '' AND month < %d
  AND (month, version) IN (SELECT month, max(version) FROM kpi_versions WHERE family = %s AND month < %d GROUP BY month)`,
		FamilyFrontline.Table(), quote(u.Kind), quote(u.ID), uint32(m), quote(string(FamilyFrontline)), uint32(m))
	var (
		branch, storeID, by string
		at                  time.Time
		n                   uint64
	)
	if err := e.conn.QueryRow(ctx, q).Scan(&branch, &storeID, &at, &by, &n); err != nil {
		return fmt.Errorf("placement of %s %s before %s: %w", u.Kind, u.ID, m, err)
	}
	if n > 0 {
		u.Branch, u.Store, u.PlacedAt, u.PlacedBy = branch, storeID, at, by
	}
	return nil
}

// UnitCard returns the front-line card of one unit (kind store, staff, agent or manager) for
// a period (YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2 or YYYY; SPEC §5.2, §5.5): counts summed over
// its months, rates and means pooled, with n, margins and reportable, and for stores, staff and
// agents the smoothed proportions toward their parent's units (staff: their store's staff;
// stores and agents: their branch's). The unit is placed by its latest placing event in the
// period, else by its latest before; a unit without events in the period gets a card with n 0.
func (e *Engine) UnitCard(ctx context.Context, kind, id, period string) (kpi.UnitCard, error) {
	if err := checkUnit(kind, id); err != nil {
		return kpi.UnitCard{}, err
	}
	months, err := periodMonths(period)
	if err != nil {
		return kpi.UnitCard{}, err
	}
	rows, err := e.units(ctx, months, fmt.Sprintf("kind = %s AND unit_id = %s", quote(kind), quote(id)))
	if err != nil {
		return kpi.UnitCard{}, err
	}
	u := kpi.UnitStats{Kind: kind, ID: id}
	if len(rows) == 1 {
		u = rows[0]
	}
	if u.Branch == "" {
		if err := e.placeBefore(ctx, &u, months[0]); err != nil {
			return kpi.UnitCard{}, err
		}
	}
	var peers []kpi.UnitStats
	switch {
	case kind == kpi.UnitStaff && u.Store != "":
		peers, err = e.units(ctx, months, fmt.Sprintf("kind = 'staff' AND store_id = %s", quote(u.Store)))
	case (kind == kpi.UnitStore || kind == kpi.UnitAgent) && u.Branch != "":
		peers, err = e.units(ctx, months, fmt.Sprintf("kind = %s AND branch_id = %s", quote(kind), quote(u.Branch)))
	}
	if err != nil {
		return kpi.UnitCard{}, err
	}
	// The peers are the units whose pooled placement is the unit's parent, the unit among them.
	peers = slices.DeleteFunc(peers, func(p kpi.UnitStats) bool { return p.ID == id || !sameParent(p, u) })
	peers = append(peers, u)
	cards := make([]kpi.UnitCard, len(peers))
	for j, p := range peers {
		cards[j] = kpi.ComputeUnitCard(p, period, e.cfg.MinSample)
	}
	kpi.SmoothUnits(peers, cards)
	return cards[len(cards)-1], nil
}

// sameParent reports whether units a and b (of one kind) have the same parent: the store for
// staff, the branch otherwise.
func sameParent(a, b kpi.UnitStats) bool {
	if a.Kind == kpi.UnitStaff {
		return a.Store == b.Store
	}
	return a.Branch == b.Branch
}

// Units returns the cards of the units of one kind under parent for a period (as UnitCard),
// sorted by unit id: stores, agents and managers placed at parent or a branch below it
// (parent "ALL": all of them), or the staff of store parent (kind staff). Smoothed values are
// toward each unit's own parent. The input of league tables; a unit without a placing event in
// the period is not listed.
func (e *Engine) Units(ctx context.Context, kind, parent, period string) ([]kpi.UnitCard, error) {
	if err := checkUnit(kind, "x"); err != nil {
		return nil, err
	}
	return e.leagueCards(ctx, leagueSel{kind: kind, parent: parent, store: kind == kpi.UnitStaff}, period)
}

// unitsUnder returns the condition on kpi_frontline rows selecting the units of kind under
// parent (staff: of store parent; else placed at branch parent or below it, ALL: anywhere), and
// the test a unit's pooled placement must pass to be under parent.
func unitsUnder(kind, parent string) (cond string, under func(kpi.UnitStats) bool, err error) {
	switch {
	case kind == kpi.UnitStaff:
		if !schema.ValidUnitID(parent) {
			return "", nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q is not a store id", parent)}
		}
		return "kind = 'staff' AND store_id = " + quote(parent), func(u kpi.UnitStats) bool { return u.Store == parent }, nil
	case parent == schema.Root:
		return fmt.Sprintf("kind = %s AND branch_id != ''", quote(kind)), func(u kpi.UnitStats) bool { return u.Branch != "" }, nil
	case schema.ValidBranchID(parent):
		return fmt.Sprintf("kind = %s AND (branch_id = %s OR startsWith(branch_id, %s))", quote(kind), quote(parent), quote(parent+"-")),
			func(u kpi.UnitStats) bool { return u.Branch == parent || strings.HasPrefix(u.Branch, parent+"-") }, nil
	}
	return "", nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q is not a branch id", parent)}
}
