package aggregate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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

// viewBounds is the JSON of a live version's views: table → topic → highest offset per
// partition; and, under the key table+stampsSuffix, topic → the first and last ingested_at of
// the view's rows per partition (rawView.stamps; absent in bases recorded before them).
type viewBounds map[string]map[string][]int64

// stampsSuffix marks the entries of viewBounds that hold a table's stamps ('#' is in no table's
// name).
const stampsSuffix = "#stamps"

func boundsOf(views map[string]*rawView) viewBounds {
	out := viewBounds{}
	for t, v := range views {
		if v != nil {
			out[t] = v.bounds
			if v.stamps != nil {
				out[t+stampsSuffix] = v.stamps
			}
		}
	}
	return out
}

// views returns the rawViews of b: its offsets and stamps, with the repeated hashes left to a
// subquery.
func (b viewBounds) views() map[string]*rawView {
	out := map[string]*rawView{}
	for t, tb := range b {
		if !strings.HasSuffix(t, stampsSuffix) {
			out[t] = &rawView{bounds: tb, stamps: b[t+stampsSuffix], manyDups: true}
		}
	}
	return out
}

// writeBase records version v of (f, m) as a base: a live version's views (asOf zero) or a
// checkpoint as of asOf. Written before the version is committed (a live one) or once its rows
// are in (a checkpoint): a base row names only complete versions.
func (p *Projector) writeBase(ctx context.Context, f Family, m schema.Month, v, full uint64, asOf time.Time, views map[string]*rawView) error {
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
	err = p.insertRow(ctx, fmt.Sprintf("INSERT INTO %s (%s)", p.table(store.BasesTable), store.BasesColumns),
		string(f), uint32(m), v, asOf, bounds, full, p.now())
	if err != nil {
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
		views, err := p.views(ctx, f, m, true)
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
		if err := p.writeBase(ctx, f, m, v, v, at, views); err != nil {
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

// fullRecompute is the context key that makes every recompute a full one (Rebuild).
type fullRecompute struct{}

// incrementalBase returns the views of version prev of (f, m), and the version of the last full
// recompute in its chain, when a recompute of (f, m) can fold the rows added since into prev
// (nil: recompute the month from the raw rows): f is corrected, prev is committed with its views
// recorded, and that full recompute started less than FullEvery ago.
func (p *Projector) incrementalBase(ctx context.Context, f Family, m schema.Month, prev uint64) (map[string]*rawView, uint64) {
	if prev == 0 || p.cfg.FullEvery <= 0 || !corrected(f) || ctx.Value(fullRecompute{}) != nil {
		return nil, 0
	}
	var (
		bounds string
		full   uint64
	)
	q := fmt.Sprintf("SELECT bounds, full FROM %s WHERE family = %s AND month = %d AND version = %d AND as_of = toDateTime(0) LIMIT 1",
		p.table(store.BasesTable), quote(string(f)), uint32(m), prev)
	if err := p.conn.QueryRow(ctx, q).Scan(&bounds, &full); err != nil {
		return nil, 0 // none recorded (a version from before bases), or unreadable: a full recompute
	}
	if full == 0 || p.now().Sub(time.Unix(0, int64(full))) >= p.cfg.FullEvery {
		return nil, 0
	}
	var vb viewBounds
	if err := json.Unmarshal([]byte(bounds), &vb); err != nil {
		return nil, 0
	}
	return vb.views(), full
}

// CheckpointDays makes a checkpoint of month m (0: every month) at every midnight (UTC) between
// the first and the last ingestion of its rows that has none yet, and returns how many it made:
// the history a deployment that ran through those days keeps (the last version of each day),
// for data loaded at once or projected before bases were recorded.
func (p *Projector) CheckpointDays(ctx context.Context, m schema.Month) (int, error) {
	months := []schema.Month{m}
	if m == 0 {
		var err error
		if months, err = p.allMonths(ctx); err != nil {
			return 0, err
		}
	}
	made := 0
	for _, mo := range months {
		var parts []string
		for _, f := range correctedFamilies {
			for _, t := range sourceTables(f) {
				parts = append(parts, fmt.Sprintf("SELECT min(ingested_at) AS lo, max(ingested_at) AS hi FROM %s WHERE month = %d", p.table(t), uint32(mo)))
			}
		}
		var lo, hi time.Time
		q := "SELECT min(lo), max(hi) FROM (" + joinUnion(parts) + ") WHERE hi > toDateTime(0)"
		if err := p.conn.QueryRow(ctx, q).Scan(&lo, &hi); err != nil {
			return made, fmt.Errorf("checkpoint days of %s: %w", mo, err)
		}
		have := map[int64]bool{}
		q = fmt.Sprintf("SELECT DISTINCT toUInt32(as_of) FROM %s WHERE month = %d AND as_of > toDateTime(0)", p.table(store.BasesTable), uint32(mo))
		if err := p.scanRows(ctx, q, func(rows driver.Rows) error {
			var s uint32
			if err := rows.Scan(&s); err != nil {
				return err
			}
			have[int64(s)] = true
			return nil
		}); err != nil {
			return made, fmt.Errorf("checkpoint days of %s: %w", mo, err)
		}
		if lo.Unix() <= 0 {
			continue // no rows ingested with a time
		}
		for d := lo.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour); !d.After(hi) && !d.After(p.now()); d = d.Add(24 * time.Hour) {
			if have[d.Unix()] {
				continue
			}
			if err := p.Checkpoint(ctx, mo, d); err != nil {
				return made, err
			}
			made++
		}
	}
	return made, nil
}
