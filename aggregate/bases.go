package aggregate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// Bases of fast as-of reads (kpi_bases, aggregate/DESIGN.md "As of a moment"). A base is a
// projection version whose raw rows are exactly known: a live version (the rows up to its
// views' offsets, bounds) or a checkpoint (of those, the rows ingested up to as_of). The projector keeps,
// besides the committed version and the one before it, every checkpoint and the last committed
// version of every past UTC day (retainedVersions): an as-of read at t starts from the kept base
// nearest to t.

// correctedFamilies are the families an as-of read corrects from a base; the others (base:
// snapshots, a tiny table; the front line: not read as of a moment) are computed from the raw
// rows.
var correctedFamilies = []Family{FamilySurvey, FamilyDrivers, FamilyWindow, FamilyComplaints, FamilyChurn}

func corrected(f Family) bool {
	for _, c := range correctedFamilies {
		if c == f {
			return true
		}
	}
	return false
}

// viewBounds is the JSON of a live version's views: table → topic → highest offset per partition.
type viewBounds map[string]map[string][]int64

func boundsOf(views map[string]*rawView) viewBounds {
	out := viewBounds{}
	for t, v := range views {
		if v != nil {
			out[t] = v.bounds
		}
	}
	return out
}

// views returns the rawViews of b: its offsets, with the repeated hashes left to a subquery.
func (b viewBounds) views() map[string]*rawView {
	out := map[string]*rawView{}
	for t, tb := range b {
		out[t] = &rawView{bounds: tb, manyDups: true}
	}
	return out
}

// writeBase records version v of (f, m) as a base: a live version's views (asOf zero) or a
// checkpoint as of asOf. Written before the version is committed (a live one) or once its rows
// are in (a checkpoint): a base row names only complete versions.
func (p *Projector) writeBase(ctx context.Context, f Family, m schema.Month, v uint64, asOf time.Time, views map[string]*rawView) error {
	if !corrected(f) {
		return nil
	}
	bb, err := json.Marshal(boundsOf(views))
	if err != nil {
		return fmt.Errorf("base %s %s version %d: %w", f, m, v, err)
	}
	bounds := string(bb)
	if asOf.IsZero() {
		asOf = time.Unix(0, 0)
	}
	b, err := p.conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s (family, month, version, as_of, bounds, created_at)", p.table(store.BasesTable)))
	if err != nil {
		return fmt.Errorf("base %s %s version %d: %w", f, m, v, err)
	}
	if err := b.Append(string(f), uint32(m), v, asOf, bounds, p.now()); err != nil {
		_ = b.Abort() // the Append error is the one that matters
		return fmt.Errorf("base %s %s version %d: %w", f, m, v, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("base %s %s version %d: %w", f, m, v, err)
	}
	return nil
}

// Checkpoint computes the projections of month m as of at (the raw rows ingested up to at, as
// an as-of read sees them) into new versions kept as bases of fast as-of reads (never committed:
// live reads do not see them). A deployment that ran through a period keeps one live version a
// day; Checkpoint backfills that history (after an upgrade, or for a benchmark's loaded data),
// or adds finer points. Checkpoints stay until the month's projections are dropped.
func (p *Projector) Checkpoint(ctx context.Context, m schema.Month, at time.Time) error {
	if !m.Valid() {
		return fmt.Errorf("checkpoint: month %d is not a month", uint32(m))
	}
	if at.Before(EarliestAsOf) || at.After(p.now()) {
		return fmt.Errorf("checkpoint %s as of %s: want a moment from %s to now", m, at.UTC().Format(time.RFC3339), EarliestAsOf.Format(time.RFC3339))
	}
	at = at.Truncate(time.Second)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range correctedFamilies {
		// The rows ingested up to at that are there now: a batch stamped before at can land
		// later (ingest keeps a batch's stamp across its retries), so the checkpoint's rows are
		// also bounded by views, like a live version's, and a read corrects for the rest.
		views, err := p.views(ctx, f, m)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		gen := p.gen.withViews(views)
		gen.asOf = at
		v := uint64(p.now().UnixNano())
		q, err := gen.insertSQL(f, m, v)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if err := p.conn.Exec(recomputeSettings(ctx), q); err != nil {
			return fmt.Errorf("checkpoint %s %s as of %s: %w", f, m, at.UTC().Format(time.RFC3339), err)
		}
		if err := p.writeBase(ctx, f, m, v, at, views); err != nil {
			return err
		}
	}
	return nil
}

// retainedVersions returns the versions of (f, m) dropOlder keeps besides the newest: the
// checkpoints, and the last committed version of every UTC day before today (by the version's
// clock: a version is the UnixNano of its recompute's start).
func (p *Projector) retainedVersions(ctx context.Context, f Family, m schema.Month) (map[uint64]bool, error) {
	keep := map[uint64]bool{}
	if !corrected(f) {
		return keep, nil
	}
	today := p.now().UTC().Truncate(24 * time.Hour)
	q := fmt.Sprintf(`SELECT version FROM %[1]s WHERE family = %[3]s AND month = %[4]d AND as_of > toDateTime(0)
UNION ALL
SELECT max(version) FROM %[2]s WHERE family = %[3]s AND month = %[4]d AND version < %[5]d
  GROUP BY intDiv(version, %[6]d)`,
		p.table(store.BasesTable), p.table(store.VersionsTable), quote(string(f)), uint32(m), today.UnixNano(), int64(24*time.Hour))
	rows, err := p.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("retained versions of %s %s: %w", f, m, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("retained versions of %s %s: %w", f, m, err)
		}
		keep[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retained versions of %s %s: %w", f, m, err)
	}
	return keep, nil
}


