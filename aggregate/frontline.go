package aggregate

import (
	"context"
	"fmt"
	"slices"
	"sort"
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

// frontlineVersion returns the committed version of kpi_frontline for m (ok false: none).
func (e *Engine) frontlineVersion(ctx context.Context, m schema.Month) (uint64, bool, error) {
	vers, err := e.committed(ctx, []schema.Month{m})
	if err != nil {
		return 0, false, err
	}
	v, ok := vers[familyMonth{FamilyFrontline, m}]
	return v, ok, nil
}

// units reads the kpi_frontline rows of month m at its committed version matching cond.
func (e *Engine) units(ctx context.Context, m schema.Month, cond string) ([]kpi.UnitStats, error) {
	v, ok, err := e.frontlineVersion(ctx, m)
	if err != nil || !ok {
		return nil, err
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE month = %d AND version = %d AND %s ORDER BY kind, unit_id",
		frontlineColumns, FamilyFrontline.Table(), uint32(m), v, cond)
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", FamilyFrontline.Table(), err)
	}
	defer rows.Close()
	var out []kpi.UnitStats
	for rows.Next() {
		var u kpi.UnitStats
		if err := rows.Scan(&u.Kind, &u.ID, &u.Branch, &u.PlacedAt, &u.PlacedBy, &u.Store, &u.N, &u.Satisfied, &u.Dissatisfied,
			&u.WaitSum, &u.Resolved, &u.SL20, &u.HandleSum, &u.Complaints, &u.Churned, &u.InspProvinceN, &u.InspProvinceSum,
			&u.InspCityN, &u.InspCitySum, &u.Survey.N, &u.Survey.SW, &u.Survey.SW2, &u.Survey.SWX, &u.Survey.SWX2); err != nil {
			return nil, fmt.Errorf("read %s: %w", FamilyFrontline.Table(), err)
		}
		if u.Branch == "" {
			u.PlacedAt = time.Time{}
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", FamilyFrontline.Table(), err)
	}
	return out, nil
}

// placeBefore fills the placement of a unit that has no placing event in month m with its
// latest placement before m (SPEC §5.5), from every earlier month's committed kpi_frontline.
func (e *Engine) placeBefore(ctx context.Context, u *kpi.UnitStats, m schema.Month) error {
	q := fmt.Sprintf(`SELECT argMax(branch_id, tuple(placed_at, placed_by)), argMax(store_id, tuple(placed_at, placed_by)),
  max(placed_at), argMax(placed_by, tuple(placed_at, placed_by)), count()
FROM %s WHERE kind = %s AND unit_id = %s AND branch_id != '' AND month < %d
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
// month m (SPEC §5.2): its values with n, margins and reportable, and for stores, staff and
// agents the smoothed proportions toward their parent's units (staff: their store's staff;
// stores and agents: their branch's). A unit without a row in m gets a card with n 0; its
// placement is its latest before m.
func (e *Engine) UnitCard(ctx context.Context, kind, id string, m schema.Month) (kpi.UnitCard, error) {
	if err := checkUnit(kind, id); err != nil {
		return kpi.UnitCard{}, err
	}
	if !m.Valid() {
		return kpi.UnitCard{}, &ParamError{Param: "month", Msg: fmt.Sprintf("%d is not a month", uint32(m))}
	}
	rows, err := e.units(ctx, m, fmt.Sprintf("kind = %s AND unit_id = %s", quote(kind), quote(id)))
	if err != nil {
		return kpi.UnitCard{}, err
	}
	u := kpi.UnitStats{Kind: kind, ID: id}
	if len(rows) == 1 {
		u = rows[0]
	}
	if u.Branch == "" {
		if err := e.placeBefore(ctx, &u, m); err != nil {
			return kpi.UnitCard{}, err
		}
	}
	var peers []kpi.UnitStats
	switch {
	case kind == kpi.UnitStaff && u.Store != "":
		peers, err = e.units(ctx, m, fmt.Sprintf("kind = 'staff' AND store_id = %s", quote(u.Store)))
	case (kind == kpi.UnitStore || kind == kpi.UnitAgent) && u.Branch != "":
		peers, err = e.units(ctx, m, fmt.Sprintf("kind = %s AND branch_id = %s", quote(kind), quote(u.Branch)))
	}
	if err != nil {
		return kpi.UnitCard{}, err
	}
	// The unit itself among its peers (it is there unless it was placed before m).
	i := slices.IndexFunc(peers, func(p kpi.UnitStats) bool { return p.ID == id })
	if i < 0 {
		peers, i = append(peers, u), len(peers)
	}
	cards := make([]kpi.UnitCard, len(peers))
	for j, p := range peers {
		cards[j] = kpi.ComputeUnitCard(p, m.String(), e.cfg.MinSample)
	}
	kpi.SmoothUnits(peers, cards)
	return cards[i], nil
}

// Units returns the cards of the units of one kind under parent for month m, sorted by unit
// id: stores, agents and managers placed in m at parent or a branch below it (parent "ALL":
// all of them), or the staff of store parent (kind staff). Smoothed values are toward each
// unit's own parent (as UnitCard). The input of league tables; a unit without a placing event
// in m is not listed.
func (e *Engine) Units(ctx context.Context, kind, parent string, m schema.Month) ([]kpi.UnitCard, error) {
	if err := checkUnit(kind, "x"); err != nil {
		return nil, err
	}
	if !m.Valid() {
		return nil, &ParamError{Param: "month", Msg: fmt.Sprintf("%d is not a month", uint32(m))}
	}
	var cond string
	switch {
	case kind == kpi.UnitStaff:
		if !schema.ValidUnitID(parent) {
			return nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q is not a store id", parent)}
		}
		cond = "kind = 'staff' AND store_id = " + quote(parent)
	case parent == schema.Root:
		cond = fmt.Sprintf("kind = %s AND branch_id != ''", quote(kind))
	case schema.ValidBranchID(parent):
		cond = fmt.Sprintf("kind = %s AND (branch_id = %s OR startsWith(branch_id, %s))", quote(kind), quote(parent), quote(parent+"-"))
	default:
		return nil, &ParamError{Param: "parent", Msg: fmt.Sprintf("%q is not a branch id", parent)}
	}
	stats, err := e.units(ctx, m, cond)
	if err != nil {
		return nil, err
	}
	cards := make([]kpi.UnitCard, len(stats))
	for i, u := range stats {
		cards[i] = kpi.ComputeUnitCard(u, m.String(), e.cfg.MinSample)
	}
	kpi.SmoothUnits(stats, cards)
	sort.SliceStable(cards, func(i, j int) bool { return cards[i].Unit < cards[j].Unit })
	return cards, nil
}
