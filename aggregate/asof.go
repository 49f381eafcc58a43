package aggregate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// AsOf returns a view of the engine that answers every read as of moment t: from the events
// ingested up to t only (raw rows with ingested_at ≤ t, at one-second resolution), computed
// directly from the raw tables with the projector's own SQL (sqlGen) as subqueries, instead of
// from the projections. Late survey waves, voids and restated snapshots ingested after t are
// not seen. It is much slower than the live path (it reads the raw rows of every month it
// needs); its Card, Alerts and Scorecard results are cached while no row ingested up to t
// arrives (asOfCached), and a t before EarliestAsOf or before the first ingested row is
// refused with a *ParamError. The known-branch check still uses the current hierarchy: a branch
// first named after t is known but has no data. A zero t returns e itself.
func (e *Engine) AsOf(t time.Time) *Engine {
	if t.IsZero() {
		return e
	}
	v := *e
	v.asOf = t
	return &v
}

// AsOfReference is AsOf computing every read from the raw rows, never from a kept base: the
// path fast as-of reads are checked against (and the one they took before bases existed).
func (e *Engine) AsOfReference(t time.Time) *Engine {
	v := e.AsOf(t)
	if v == e {
		return e
	}
	v.asOfRef = true
	return v
}

// AsOfTime returns the moment of an AsOf view (zero for the live engine).
func (e *Engine) AsOfTime() time.Time { return e.asOf }

// fetchAsOf reads the statistics of the selected branches for months as of e.asOf: the
// corrected families from the kept base nearest to the moment plus an exact correction
// (asoffast.go), the bases of the branches from the raw rows. A base that is a recent version
// is checked to be still there after the read; when a recompute dropped it meanwhile the read
// starts again (at most loadAttempts times).
func (l *loader) fetchAsOf(ctx context.Context, sel selector, months []schema.Month) (monthData, error) {
	g := newSQLGen("", l.cat, l.cfg.ComplaintSLAHours, l.asOf)
	root := sel.id
	if sel.kind == selList {
		root = commonAncestor(sel.list)
	}
	for range loadAttempts {
		bases, err := l.asOfBases(ctx, correctedFamilies, months)
		if err != nil {
			return nil, err
		}
		// Each family's SQL first asks which events differ from its bases: concurrently, and only
		// for the families fetchFrom reads for sel (a small-area read needs the survey only).
		var fams []Family
		for _, f := range []Family{FamilySurvey, FamilyWindow, FamilyComplaints, FamilyChurn, FamilyBase} {
			if sel.reads(f) {
				fams = append(fams, f)
			}
		}
		froms := make([]string, len(fams))
		eg, ectx := errgroup.WithContext(ctx)
		for i, f := range fams {
			eg.Go(func() (err error) {
				if corrected(f) {
					froms[i], err = l.asOfSource(ectx, f, months, bases, sel.where(), root)
				} else {
					froms[i], err = g.unionSQL(f, months)
				}
				return err
			})
		}
		if err := eg.Wait(); err != nil {
			return nil, err
		}
		src := func(f Family) (string, string, bool) {
			for i, ff := range fams {
				if ff == f {
					return froms[i], "", froms[i] != ""
				}
			}
			return "", "", false
		}
		// The corrections list the events they re-evaluate (up to maxInlineEvents per raw
		// table, in each scan of it): a company-wide read can exceed the server's default
		// max_query_size (256 KiB), a parser limit only (asOfQueryContext).
		md, err := l.fetchFrom(asOfQueryContext(ctx), sel, months, src)
		if err != nil {
			return nil, err
		}
		ok, err := l.stillThere(ctx, bases)
		if err != nil {
			return nil, err
		}
		if ok {
			return md, nil
		}
	}
	return nil, errVersionsChanged
}

// unionSQL is a subquery of family f's statistics for every month of months ("" for none).
func (g sqlGen) unionSQL(f Family, months []schema.Month) (string, error) {
	parts := make([]string, 0, len(months))
	for _, m := range months {
		q, err := g.selectSQL(f, m, 0)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
	}
	return unionSubquery(parts), nil
}

// asOfQueryContext is ctx for the queries of fast as-of reads: max_query_size 64 MiB.
func asOfQueryContext(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": 64 << 20}))
}

// commonAncestor is the deepest branch whose subtree holds every branch of list (ALL for an
// empty list): the events a read of list's branches sums are all in its subtree.
func commonAncestor(list map[string]bool) string {
	a := ""
	for b := range list {
		if a == "" {
			a = b
			continue
		}
		for a != schema.Root && b != a && !strings.HasPrefix(b, a+"-") {
			a = schema.Parent(a)
		}
	}
	if a == "" {
		return schema.Root
	}
	return a
}

// unionSubquery is the parenthesised UNION ALL of parts ("" for none).
func unionSubquery(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, "\nUNION ALL\n") + ")"
}

// diffEventLimit caps the events listed by ScorecardDiff (the counts cover them all).
const diffEventLimit = 50

// rawTypes maps each raw table to the event type its rows hold (survey_voids apart).
var rawTypes = func() (out []struct{ table, typ string }) {
	for _, t := range store.RawTables() {
		if !t.Retraction() {
			out = append(out, struct{ table, typ string }{t.Name(), t.Type().String()})
		}
	}
	return out
}()

// ScorecardDiff is what changed in a branch's scorecard for a period between two moments A < B
// (extension, docs/extensions.md): each component as of A and as of B, and the events
// ingested in (A, B] that can have changed it.
type ScorecardDiff struct {
	Branch string    `json:"branch"`
	Period string    `json:"period"`
	A      time.Time `json:"a"`
	B      time.Time `json:"b"`
	TotalA float64   `json:"total_a"`
	TotalB float64   `json:"total_b"`
	// DataChange is the change of the total that the data made (B's data under A's targets
	// minus A); TargetChange the rest, made by target versions issued in (A, B].
	DataChange   float64         `json:"data_change"`
	TargetChange float64         `json:"target_change"`
	Components   []ComponentDiff `json:"components"`
	// Events are the first diffEventLimit (50) events, by ingestion time then id; Counts
	// counts all of them by type; Truncated is true when Events does not list them all.
	Events    []ChangedEvent `json:"events"`
	Counts    map[string]int `json:"counts"`
	Truncated bool           `json:"truncated"`
}

// ComponentDiff is one scorecard component as of A and as of B.
type ComponentDiff struct {
	Metric   string   `json:"metric"`
	ValueA   *float64 `json:"value_a"`
	ValueB   *float64 `json:"value_b"`
	PointsA  float64  `json:"points_a"`
	PointsB  float64  `json:"points_b"`
	MissingA bool     `json:"missing_a"`
	MissingB bool     `json:"missing_b"`
	// DataChange and TargetChange split PointsB − PointsA as ScorecardDiff's totals do;
	// TargetsA and TargetsB are the targets of the period's last month as known at A and B, and
	// TargetsChanged is set when any month's targets differ between them.
	DataChange     float64     `json:"data_change"`
	TargetChange   float64     `json:"target_change"`
	TargetsA       kpi.Targets `json:"targets_a"`
	TargetsB       kpi.Targets `json:"targets_b"`
	TargetsChanged bool        `json:"targets_changed"`
}

// monthTargets returns the targets month j of a component was scored with.
func monthTargets(c kpi.ComponentResult, j int) kpi.Targets {
	if t := c.Months[j].Targets; t != nil {
		return *t
	}
	return kpi.Targets{Base: c.Base, Challenge: c.Challenge, Floor: c.Floor}
}

// ChangedEvent is an event first ingested in (A, B]. Month is the month it counts in (for a
// survey_void, its target response's month); Target is a void's target response.
type ChangedEvent struct {
	EventID    string       `json:"event_id"`
	Type       string       `json:"type"`
	Branch     string       `json:"branch"`
	Month      schema.Month `json:"month"`
	IngestedAt time.Time    `json:"ingested_at"`
	Target     string       `json:"target_event_id,omitempty"`
}

// ScorecardDiff evaluates the scorecard of branch for period as of a and as of b (a before b)
// and lists the events first ingested in (a, b] (a resend of an event already ingested by a is
// not listed) that belong to branch's subtree and to a month the scorecard reads — the period's
// months and the month before each (the short-plank improvement reads it) — and the
// survey_voids ingested then whose target is such a response.
func (e *Engine) ScorecardDiff(ctx context.Context, branch, period string, a, b time.Time) (ScorecardDiff, error) {
	if !a.Before(b) {
		return ScorecardDiff{}, &ParamError{Param: "diff", Msg: fmt.Sprintf("%s is not before %s", a.Format(time.RFC3339), b.Format(time.RFC3339))}
	}
	ra, err := e.AsOf(a).Scorecard(ctx, branch, period)
	if err != nil {
		return ScorecardDiff{}, err
	}
	rb, err := e.AsOf(b).Scorecard(ctx, branch, period)
	if err != nil {
		return ScorecardDiff{}, err
	}
	// B's data under A's targets separates what the data changed from what the targets changed
	// (a target version issued between A and B).
	bA := *e.AsOf(b)
	bA.targetsAt = a
	rba, err := bA.Scorecard(ctx, branch, period)
	if err != nil {
		return ScorecardDiff{}, err
	}
	d := ScorecardDiff{Branch: branch, Period: period, A: a, B: b, TotalA: ra.Total, TotalB: rb.Total,
		DataChange: rba.Total - ra.Total, TargetChange: rb.Total - rba.Total,
		Components: make([]ComponentDiff, len(ra.Components)), Events: []ChangedEvent{}, Counts: map[string]int{}}
	for i, c := range ra.Components {
		cb, cba := rb.Components[i], rba.Components[i]
		d.Components[i] = ComponentDiff{Metric: c.Metric, ValueA: c.Value, ValueB: cb.Value, PointsA: c.Points,
			PointsB: cb.Points, MissingA: c.Missing, MissingB: cb.Missing,
			DataChange: cba.Points - c.Points, TargetChange: cb.Points - cba.Points,
			TargetsA: kpi.Targets{Base: c.Base, Challenge: c.Challenge, Floor: c.Floor},
			TargetsB: kpi.Targets{Base: cb.Base, Challenge: cb.Challenge, Floor: cb.Floor}}
		for j := range cb.Months {
			if tb, ta := monthTargets(cb, j), monthTargets(cba, j); tb != ta {
				d.Components[i].TargetsChanged = true
			}
		}
	}
	p, _ := e.sc.Period(period) // Scorecard checked it
	set := map[schema.Month]bool{}
	for _, m := range e.sc.Months(p) { // a year earlier too, when a component scores improvement
		set[m], set[m.Prev()] = true, true
	}
	ms := make([]string, 0, len(set))
	for m := range set {
		ms = append(ms, fmt.Sprint(uint32(m)))
	}
	months := strings.Join(ms, ", ")
	in := ingestedCond(">", a) + " AND " + ingestedCond("<=", b)
	before := ingestedCond("<=", a)
	var parts []string
	for _, rt := range rawTypes {
		// Every copy of an event has the same branch and month, so the copies ingested before A
		// are found within the same subtree and months (a small set, not the whole history).
		scope := fmt.Sprintf("%s AND month IN (%s)", subtreeCond(branch), months)
		parts = append(parts, fmt.Sprintf(`SELECT event_id, %s AS type, any(branch_id) AS branch, any(month) AS m, min(ingested_at) AS at, '' AS target
  FROM %s WHERE %s AND %s AND event_id NOT IN (SELECT event_id FROM %s WHERE %s AND %s) GROUP BY event_id`,
			quote(rt.typ), rt.table, in, scope, rt.table, before, scope))
	}
	// The voids joined to their targets' months. ALL, not ANY: the right side is unique per key
	// already (GROUP BY), and releases since late 2019 keep one row per key on both sides of an
	// ANY INNER JOIN (unless any_join_distinct_right_table_keys = 1), which would drop voids
	// sharing a target. Current releases also want each
	// joined subquery named (AS v, AS r); see docs/design/clickhouse-compat.md.
	voids, responses := store.SurveyVoids, store.SurveyResponses
	parts = append(parts, fmt.Sprintf(`SELECT event_id, %[6]s AS type, any(branch_id) AS branch, any(tm) AS m, min(ingested_at) AS at, any(target_event_id) AS target
  FROM (SELECT event_id, branch_id, target_event_id, ingested_at FROM %[7]s WHERE %[1]s
        AND event_id NOT IN (SELECT event_id FROM %[7]s WHERE %[2]s AND target_event_id IN (%[3]s))) AS v
  ALL INNER JOIN (SELECT event_id AS target_event_id, any(month) AS tm FROM %[8]s
        WHERE %[4]s AND month IN (%[5]s) GROUP BY event_id) AS r USING target_event_id
  GROUP BY event_id`, in, before,
		fmt.Sprintf("SELECT event_id FROM %s WHERE %s AND month IN (%s)", responses.Name(), subtreeCond(branch), months),
		subtreeCond(branch), months, quote(voids.Type().String()), voids.Name(), responses.Name()))
	union := "(" + strings.Join(parts, "\nUNION ALL\n") + ")"
	rows, err := e.conn.Query(ctx, "SELECT type, toUInt64(count()) FROM "+union+" GROUP BY type")
	if err != nil {
		return ScorecardDiff{}, fmt.Errorf("count changed events: %w", err)
	}
	total := 0
	for rows.Next() {
		var (
			typ string
			n   uint64
		)
		if err := rows.Scan(&typ, &n); err != nil {
			rows.Close()
			return ScorecardDiff{}, fmt.Errorf("count changed events: %w", err)
		}
		d.Counts[typ] = int(n)
		total += int(n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ScorecardDiff{}, fmt.Errorf("count changed events: %w", err)
	}
	rows, err = e.conn.Query(ctx, fmt.Sprintf("SELECT event_id, type, branch, m, at, target FROM %s ORDER BY at, event_id LIMIT %d", union, diffEventLimit))
	if err != nil {
		return ScorecardDiff{}, fmt.Errorf("list changed events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ev ChangedEvent
			m  uint32
		)
		if err := rows.Scan(&ev.EventID, &ev.Type, &ev.Branch, &m, &ev.IngestedAt, &ev.Target); err != nil {
			return ScorecardDiff{}, fmt.Errorf("list changed events: %w", err)
		}
		ev.Month = schema.Month(m)
		ev.IngestedAt = ev.IngestedAt.UTC()
		d.Events = append(d.Events, ev)
	}
	if err := rows.Err(); err != nil {
		return ScorecardDiff{}, fmt.Errorf("list changed events: %w", err)
	}
	d.Truncated = total > len(d.Events)
	return d, nil
}
