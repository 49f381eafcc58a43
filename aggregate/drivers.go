package aggregate

import (
	"context"
	"fmt"
	"slices"

	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// driverBranch is the ancestor-or-self of branch at level (CSAT_DRIVER_LEVEL) whose responses
// give the importance of branch's card: branch itself when it is at that level or above.
func driverBranch(branch string, level int) string {
	for _, a := range schema.Ancestors(branch) {
		if schema.Level(a) <= level {
			return a
		}
	}
	return schema.Root
}

// driverMoments sums the own carrier's cross moments of branch over months, in month order (so
// that the sum is the same float as allDriverMoments'), at the committed versions vers (or as of
// e.asOf). Rows computed with another item catalog (their items differ
// from the configured codes) are skipped: `csat rebuild` recomputes them.
func (l *loader) driverMoments(ctx context.Context, branch string, months []schema.Month, vers map[familyMonth]uint64) (sum stat.CrossMoments, err error) {
	codes := l.cat.Codes()
	sum = stat.NewCrossMoments(len(codes))
	var src, where string
	if l.asOf.IsZero() {
		vf, ok := versionFilter(vers, FamilyDrivers, months)
		if !ok {
			return sum, nil
		}
		src, where = FamilyDrivers.Table(), vf+" AND "
	} else {
		bases, err := l.asOfBases(ctx, []Family{FamilyDrivers}, months)
		if err != nil {
			return sum, err
		}
		u, err := l.asOfSource(ctx, FamilyDrivers, months, bases, "branch_id = "+quote(branch), branch)
		if err != nil {
			return sum, err
		}
		if u == "" {
			return sum, nil
		}
		src = u
		defer func() {
			if ok, cerr := l.stillThere(ctx, bases); err == nil && (cerr != nil || !ok) {
				err = errVersionsChanged
				if cerr != nil {
					err = cerr
				}
			}
		}()
	}
	q := fmt.Sprintf("SELECT items, n, sw, swx, swxx, swy, swxy, swy2 FROM %s WHERE %sbranch_id = %s AND carrier = %s ORDER BY month",
		src, where, quote(branch), quote(l.cfg.OwnCarrier))
	qctx := ctx
	if !l.asOf.IsZero() {
		qctx = asOfQueryContext(ctx)
	}
	rows, err := l.conn.Query(qctx, q)
	if err != nil {
		return sum, fmt.Errorf("load kpi_drivers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			items []string
			c     stat.CrossMoments
		)
		if err := rows.Scan(&items, &c.N, &c.SW, &c.SWX, &c.SWXX, &c.SWY, &c.SWXY, &c.SWY2); err != nil {
			return sum, fmt.Errorf("load kpi_drivers: %w", err)
		}
		if !slices.Equal(items, codes) {
			continue
		}
		if sum, err = sum.Add(c); err != nil {
			return sum, fmt.Errorf("load kpi_drivers: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("load kpi_drivers: %w", err)
	}
	return sum, nil
}
