package aggregate

import (
	"context"
	"fmt"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// UnitAlertList is the JSON of `csat alerts --units`: {"month": M, "parent": P, "alerts": [...]}.
type UnitAlertList struct {
	Month  schema.Month    `json:"month"`
	Parent string          `json:"parent"`
	Alerts []kpi.UnitAlert `json:"alerts"`
}

// UnitAlerts evaluates the front-line unit rules (kpi.UnitStreaks, kpi.UnitOutliers) for month
// m over the stores, staff, agents and managers placed at parent or a branch below it in m
// (parent ALL: every placed unit), sorted by kpi.SortUnitAlerts. parent must be a known branch
// (as for Alerts).
//
// One read of kpi_frontline at the committed versions of months m−k … m (k =
// CSAT_ALERT_DECLINE_MONTHS): every month's row of each unit placed under parent in m. A unit's
// card of month i is its row of that month alone (no pooling); a month without a row is a card
// with n 0. unit_outlier compares each unit with the units of its kind placed at the same branch
// in m (for staff: the branch, not the store; see kpi.UnitOutliers).
func (e *Engine) UnitAlerts(ctx context.Context, parent string, m schema.Month) (UnitAlertList, error) {
	if err := e.checkBranch(ctx, "branch", parent); err != nil {
		return UnitAlertList{}, err
	}
	if err := checkMonth("month", m); err != nil {
		return UnitAlertList{}, err
	}
	under := "branch_id != ''"
	if parent != schema.Root {
		under = fmt.Sprintf("(branch_id = %s OR startsWith(branch_id, %s))", quote(parent), quote(parent+"-"))
	}
	out := UnitAlertList{Month: m, Parent: parent, Alerts: []kpi.UnitAlert{}}
	k := max(e.cfg.AlertDeclineMonths, 1)
	first := m.Add(-k)
	rows, err := e.unitMonths(ctx, schema.Months(first, m), m, under)
	if err != nil || len(rows) == 0 {
		return out, err
	}
	// Each unit's series of cards and the peer groups of month m.
	groups := map[string][]kpi.UnitCard{}
	var order []string
	for _, u := range rows {
		series := make([]kpi.UnitCard, k+1)
		for i := range series {
			mo := first.Add(i)
			st, ok := u[mo]
			if !ok {
				st = kpi.UnitStats{Kind: u[m].Kind, ID: u[m].ID, Branch: u[m].Branch, Store: u[m].Store}
			}
			series[i] = kpi.ComputeUnitCard(st, mo.String(), e.cfg.MinSample)
		}
		// Every card of the series is placed where the unit is in m.
		for i := range series {
			series[i].Branch = u[m].Branch
			if u[m].Kind == kpi.UnitStaff {
				series[i].Store = u[m].Store
			}
		}
		out.Alerts = append(out.Alerts, kpi.UnitStreaks(e.cfg, first, series)...)
		g := u[m].Kind + "\x00" + u[m].Branch
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], series[k])
	}
	for _, g := range order {
		out.Alerts = append(out.Alerts, kpi.UnitOutliers(e.cfg, m, groups[g])...)
	}
	kpi.SortUnitAlerts(out.Alerts)
	return out, nil
}

// unitMonths reads the kpi_frontline rows of months at their committed versions of the units
// whose row of month m matches cond (a condition on kind, unit_id, branch_id, store_id), each
// unit's rows by month, units in (kind, unit id) order. A unit is listed only with a row in m.
func (e *Engine) unitMonths(ctx context.Context, months []schema.Month, m schema.Month, cond string) ([]map[schema.Month]kpi.UnitStats, error) {
	rows, err := e.unitRowsSelected(ctx, months, []schema.Month{m}, cond)
	if err != nil {
		return nil, err
	}
	var out []map[schema.Month]kpi.UnitStats
	for i, r := range rows {
		if i == 0 || r.stats.Kind != rows[i-1].stats.Kind || r.stats.ID != rows[i-1].stats.ID {
			out = append(out, map[schema.Month]kpi.UnitStats{})
		}
		out[len(out)-1][r.month] = r.stats
	}
	// A unit whose row of m does not match cond (placed under parent only in another month)
	// cannot occur: the subquery selects by m's row. Drop units without a row of m anyway.
	kept := out[:0]
	for _, u := range out {
		if _, ok := u[m]; ok {
			kept = append(kept, u)
		}
	}
	return kept, nil
}
