package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// loader reads the committed projections (or, as of a moment, the raw tables) into
// monthData, and knows the hierarchy. It is the loading part of an Engine (embedded in it):
// everything that talks to ClickHouse to read statistics goes through it. Its state (the
// known hierarchy, the shared versions lookups) is shared by the copies an AsOf view makes.
type loader struct {
	conn driver.Conn
	cfg  kpi.Config
	cat  schema.Catalog
	log  *slog.Logger
	now  func() time.Time

	// asOf, when not zero, makes every read compute from the raw events ingested up to it
	// instead of the projections (see Engine.AsOf).
	asOf time.Time
	// asOfRef makes an as-of read compute every family from the raw rows (the reference path),
	// never from a base (asoffast.go).
	asOfRef bool

	ls *loaderState
}

// loaderState is the mutable state of a loader.
type loaderState struct {
	flight singleflight.Group // one versions or hierarchy query per key at a time

	bmu     sync.Mutex
	known   map[string]bool // branches in the projections (see knownSet)
	knownAt time.Time
	// rawSeen holds the branches rawKnows found in the raw tables, not yet in known: a branch
	// never stops being named (raw tables are only appended to), so it is asked once.
	rawSeen    map[string]bool
	rawLookups atomic.Uint64 // rawKnows queries run (tests)

	// partsLocal is 1 when every raw table is a MergeTree table of the connection's
	// database (its parts are in system.parts), 2 when not (cluster mode: Distributed
	// tables), 0 before rowsIngestedBy has looked.
	partsLocal atomic.Int32
}

func newLoader(conn driver.Conn, cfg kpi.Config, cat schema.Catalog, logger *slog.Logger) loader {
	return loader{conn: conn, cfg: cfg, cat: cat, log: logger, now: time.Now, ls: &loaderState{}}
}

// selector chooses the branches a load returns.
type selector struct {
	kind selKind
	id   string          // the branch, the parent, or the subtree's root
	list map[string]bool // selList: the branches
	// surveyOnly loads the survey family only (small-area estimates need nothing else).
	surveyOnly bool
	// points loads what alert points (kpi.Card.AlertPoint of kpi.DeclineMetrics) read: the
	// survey's moments without the enterprise ones and the window family's branch totals
	// without its stores; no complaints, churn or bases. A branch with none of these is then
	// missing, where a full load gives it a point with no reportable value: alerts treat the
	// two alike (a gap), and the small-area estimates skip a child without a value.
	points bool
}

// reads reports whether a load with s reads family f.
func (s selector) reads(f Family) bool {
	switch f {
	case FamilySurvey:
		return true
	case FamilyWindow:
		return !s.surveyOnly
	case FamilyBase:
		return !s.surveyOnly && !s.points && s.kind != selList
	}
	return !s.surveyOnly && !s.points // complaints, churn
}

// rows is the condition a load with s puts on the rows of family f besides the branches ("" for
// none): for points, the survey's moments without the enterprise ones, the window's branch
// totals.
func (s selector) rows(f Family) string {
	switch {
	case !s.points:
		return ""
	case f == FamilySurvey:
		return "item NOT LIKE " + quote(kpi.EnterprisePrefix+"%")
	case f == FamilyWindow:
		return "store_id = ''"
	}
	return ""
}

type selKind int

const (
	selBranch   selKind = iota // one branch
	selChildren                // the children of id (parent_id = id)
	selSubtree                 // id and every descendant, at every level
	selList                    // the branches of list, without their bases (see fetch)
	selFamily                  // id and its children (a parent and the siblings below it)
)

// where is the SQL condition on branch_id (and parent_id) of the kpi_* tables with parent_id.
func (s selector) where() string {
	switch s.kind {
	case selChildren:
		return "parent_id = " + quote(s.id)
	case selFamily:
		return "(parent_id = " + quote(s.id) + " OR branch_id = " + quote(s.id) + ")"
	case selSubtree:
		return subtreeCond(s.id)
	case selList:
		ids := make([]string, 0, len(s.list))
		for id := range s.list {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return "branch_id IN (" + store.QuoteStrings(ids) + ")"
	}
	return "branch_id = " + quote(s.id)
}

func (s selector) selects(branch string) bool {
	switch s.kind {
	case selChildren:
		return schema.Parent(branch) == s.id
	case selFamily:
		return branch == s.id || schema.Parent(branch) == s.id
	case selSubtree:
		return schema.InSubtree(branch, s.id)
	case selList:
		return s.list[branch]
	}
	return branch == s.id
}

// subtreeCond is the SQL condition "branch_id is root or below it".
func subtreeCond(root string) string {
	if root == schema.Root {
		return "1"
	}
	// Branch ids are [A-Z0-9-]: no LIKE metacharacters.
	return fmt.Sprintf("(branch_id = %s OR branch_id LIKE %s)", quote(root), quote(root+"-%"))
}

// monthData is the loaded data: month → branch → statistics.
type monthData map[schema.Month]map[string]*kpi.MonthData

func (md monthData) get(m schema.Month, branch string) *kpi.MonthData {
	bm := md[m]
	if bm == nil {
		bm = make(map[string]*kpi.MonthData)
		md[m] = bm
	}
	d := bm[branch]
	if d == nil {
		d = &kpi.MonthData{}
		bm[branch] = d
	}
	return d
}

// lookup returns the data of (m, branch), or the zero MonthData when there is none.
func (md monthData) lookup(m schema.Month, branch string) kpi.MonthData {
	if d := md[m][branch]; d != nil {
		return *d
	}
	return kpi.MonthData{}
}

// committed returns the greatest committed version of every family for the given months.
func (l *loader) committed(ctx context.Context, months []schema.Month) (map[familyMonth]uint64, error) {
	ms := make([]string, len(months))
	for i, m := range months {
		ms[i] = fmt.Sprint(uint32(m))
	}
	q := fmt.Sprintf("SELECT family, month, max(version) FROM %s WHERE month IN (%s) GROUP BY family, month",
		store.VersionsTable, strings.Join(ms, ", "))
	// Concurrent requests that need the same versions share one query: under load every
	// request asks for them, and the connection pool is small. A request may so see the result of
	// a query that started just before it did — versions at most one query old.
	v, err := sharedDo(ctx, &l.ls.flight, q, func(ctx context.Context) (map[familyMonth]uint64, error) {
		return l.queryCommitted(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	return maps.Clone(v), nil
}

func (l *loader) queryCommitted(ctx context.Context, q string) (map[familyMonth]uint64, error) {
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read kpi_versions: %w", err)
	}
	defer rows.Close()
	out := make(map[familyMonth]uint64)
	for rows.Next() {
		var (
			f  string
			mo uint32
			v  uint64
		)
		if err := rows.Scan(&f, &mo, &v); err != nil {
			return nil, fmt.Errorf("read kpi_versions: %w", err)
		}
		out[familyMonth{Family(f), schema.Month(mo)}] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read kpi_versions: %w", err)
	}
	return out, nil
}

// loadAttempts bounds how often load re-reads when a recompute commits during a read.
const loadAttempts = 3

// errVersionsChanged is returned when projections kept changing during every attempt of a load.
var errVersionsChanged = errors.New("projections changed during every read attempt; retry")

// load reads the committed statistics of the selected branches for the given months (see
// fetch) at one set of committed versions (see readAt).
func (l *loader) load(ctx context.Context, sel selector, months []schema.Month) (monthData, error) {
	md, _, err := l.loadVersions(ctx, sel, months)
	return md, err
}

// loadVersions is load that also returns the committed versions the data comes from (nil for
// an AsOf engine, which reads the raw tables).
func (l *loader) loadVersions(ctx context.Context, sel selector, months []schema.Month) (monthData, map[familyMonth]uint64, error) {
	if !l.asOf.IsZero() {
		md, err := l.fetchAsOf(ctx, sel, months)
		return md, nil, err
	}
	vers, err := l.committed(ctx, months)
	if err != nil {
		return nil, nil, err
	}
	var md monthData
	vers, err = l.readAt(ctx, months, vers, func(vers map[familyMonth]uint64) (err error) {
		md, err = l.fetch(ctx, sel, months, vers)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return md, vers, nil
}

// readAt calls read with the committed versions vers of months, then re-reads the committed
// versions and, unless what read got is still complete (readable: a recompute committed twice
// meanwhile, so a version read may be dropped), calls read again with the new ones, at most
// loadAttempts times in all. It returns the versions of the read that counts.
func (l *loader) readAt(ctx context.Context, months []schema.Month, vers map[familyMonth]uint64,
	read func(vers map[familyMonth]uint64) error) (map[familyMonth]uint64, error) {
	for range loadAttempts {
		if err := read(vers); err != nil {
			return nil, err
		}
		after, err := l.committed(ctx, months)
		if err != nil {
			return nil, err
		}
		ok, err := l.readable(ctx, vers, after)
		if err != nil {
			return nil, err
		}
		if ok {
			return vers, nil
		}
		vers = after
	}
	return nil, errVersionsChanged
}

// readable reports whether data fetched at versions vers is complete, given the versions after
// committed once the fetch ended. A recompute drops only the versions older than the one it
// superseded, so a version stays readable until a second newer one is committed: the fetch is
// complete when, for every (family, month), at most one newer version was committed meanwhile
// (and none appeared for a (family, month) that had none).
func (l *loader) readable(ctx context.Context, vers, after map[familyMonth]uint64) (bool, error) {
	if maps.Equal(vers, after) {
		return true, nil
	}
	var conds []string
	for fm, a := range after {
		v, ok := vers[fm]
		if !ok {
			return false, nil // committed during the fetch: it read nothing of it
		}
		if a != v {
			conds = append(conds, fmt.Sprintf("(family = %s AND month = %d AND version > %d AND version < %d)",
				quote(string(fm.family)), uint32(fm.month), v, a))
		}
	}
	if len(conds) == 0 {
		return true, nil
	}
	var between uint64
	q := "SELECT count() FROM " + store.VersionsTable + " WHERE " + strings.Join(conds, " OR ")
	if err := l.conn.QueryRow(ctx, q).Scan(&between); err != nil {
		return false, fmt.Errorf("read kpi_versions: %w", err)
	}
	return between == 0, nil
}

// fetchAt reads the selected branches for months at versions vers, or as of e.asOf (vers nil).
func (l *loader) fetchAt(ctx context.Context, sel selector, months []schema.Month, vers map[familyMonth]uint64) (monthData, error) {
	if !l.asOf.IsZero() {
		return l.fetchAsOf(ctx, sel, months)
	}
	return l.fetch(ctx, sel, months, vers)
}

// versionFilter returns "(month, version) IN (...)" with month and version pre-filters for
// partition pruning, over the months of f that have a committed version; ok is false when none do.
func versionFilter(vers map[familyMonth]uint64, f Family, months []schema.Month) (string, bool) {
	var pairs, ms, vs []string
	for _, m := range months {
		v, ok := vers[familyMonth{f, m}]
		if !ok {
			continue
		}
		pairs = append(pairs, fmt.Sprintf("(%d, %d)", uint32(m), v))
		ms = append(ms, fmt.Sprint(uint32(m)))
		vs = append(vs, fmt.Sprint(v))
	}
	if len(pairs) == 0 {
		return "", false
	}
	return fmt.Sprintf("month IN (%s) AND version IN (%s) AND (month, version) IN (%s)",
		strings.Join(ms, ", "), strings.Join(vs, ", "), strings.Join(pairs, ", ")), true
}

// fetch reads the statistics of versions vers of the selected branches for the given months,
// with the five families queried concurrently, each building its own part of the result. Bases
// are resolved with the base rule (own snapshot, else the sum of the children's bases) from the
// snapshots of the selection's subtree; a selList load reads no bases.
func (l *loader) fetch(ctx context.Context, sel selector, months []schema.Month, vers map[familyMonth]uint64) (monthData, error) {
	src := func(f Family) (from, where string, ok bool) {
		vf, ok := versionFilter(vers, f, months)
		return f.Table(), vf, ok
	}
	return l.fetchFrom(ctx, sel, months, src)
}

// fetchFrom reads the five families of the selected branches; src gives each family's table
// (or subquery) and a condition on it (ok false: nothing to read).
func (l *loader) fetchFrom(ctx context.Context, sel selector, months []schema.Month, src func(Family) (from, where string, ok bool)) (monthData, error) {
	var (
		survey     map[monthBranch]kpi.SurveyStats
		window     map[monthBranch]kpi.Window
		stores     map[monthBranch]map[string]kpi.StoreRatings
		complaints map[monthBranch]kpi.Complaints
		churn      map[monthBranch]kpi.ChurnCounts
		bases      map[monthBranch]*kpi.Base
	)
	and := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + " AND " + b
	}
	g, gctx := errgroup.WithContext(ctx)
	// src's table (or subquery) and the condition on its rows of family f, when sel reads f.
	read := func(f Family) (from, where string, ok bool) {
		if !sel.reads(f) {
			return "", "", false
		}
		from, vf, ok := src(f)
		if r := sel.rows(f); r != "" {
			vf = and(vf, r)
		}
		return from, and(vf, sel.where()), ok
	}
	if from, where, ok := read(FamilySurvey); ok {
		g.Go(func() (err error) {
			survey, err = l.loadSurvey(gctx, from, where)
			return err
		})
	}
	if from, where, ok := read(FamilyWindow); ok {
		g.Go(func() (err error) {
			window, stores, err = l.loadWindow(gctx, from, where)
			return err
		})
	}
	if from, where, ok := read(FamilyComplaints); ok {
		g.Go(func() (err error) {
			complaints, err = l.loadComplaints(gctx, from, where)
			return err
		})
	}
	if from, where, ok := read(FamilyChurn); ok {
		g.Go(func() (err error) {
			churn, err = l.loadChurn(gctx, from, where)
			return err
		})
	}
	if from, vf, ok := src(FamilyBase); ok && sel.reads(FamilyBase) {
		g.Go(func() (err error) {
			bases, err = l.loadBases(gctx, from, and(vf, subtreeCond(sel.id)), sel)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	md := make(monthData, len(months))
	for k, v := range survey {
		md.get(k.month, k.branch).Survey = v
	}
	for k, v := range window {
		md.get(k.month, k.branch).Window = v
	}
	for k, v := range stores {
		md.get(k.month, k.branch).Stores = v
	}
	for k, v := range complaints {
		md.get(k.month, k.branch).Complaints = v
	}
	for k, v := range churn {
		md.get(k.month, k.branch).Churn = v
	}
	for k, v := range bases {
		md.get(k.month, k.branch).Base = v
	}
	return md, nil
}

type monthBranch struct {
	month  schema.Month
	branch string
}

// interner shares the copies of repeated strings (carriers, items) read from many rows.
type interner map[string]string

func (in interner) of(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

func (l *loader) loadSurvey(ctx context.Context, from, where string) (map[monthBranch]kpi.SurveyStats, error) {
	q := "SELECT month, branch_id, carrier, item, n, sw, sw2, swx, swx2 FROM " + from + " WHERE " + where
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_survey: %w", err)
	}
	defer rows.Close()
	out := make(map[monthBranch]kpi.SurveyStats)
	strs := interner{}
	var (
		k             monthBranch
		stats         kpi.SurveyStats
		mo            uint32
		branch        string
		carrier, item string
		m             kpi.Moments
	)
	for rows.Next() {
		if err := rows.Scan(&mo, &branch, &carrier, &item, &m.N, &m.SW, &m.SW2, &m.SWX, &m.SWX2); err != nil {
			return nil, fmt.Errorf("load kpi_survey: %w", err)
		}
		// Rows come in (branch, carrier, item) order within a part: keep the current stats.
		if stats == nil || k.month != schema.Month(mo) || k.branch != branch {
			k = monthBranch{schema.Month(mo), branch}
			if stats = out[k]; stats == nil {
				stats = make(kpi.SurveyStats, 4)
				out[k] = stats
			}
		}
		items := stats[carrier]
		if items == nil {
			items = make(map[string]kpi.Moments, len(l.cat.Items)+2)
			stats[strs.of(carrier)] = items
		}
		items[strs.of(item)] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_survey: %w", err)
	}
	return out, nil
}

// loadWindow reads kpi_window: each branch's totals (store_id ”) and the counter ratings of
// each store under it.
func (l *loader) loadWindow(ctx context.Context, from, where string) (map[monthBranch]kpi.Window, map[monthBranch]map[string]kpi.StoreRatings, error) {
	q := `SELECT month, branch_id, store_id, hotline_n, hotline_satisfied, hotline_resolved, hotline_wait_sum,
  hotline_sl20, store_n, store_satisfied, store_wait_sum, hotline_handle_sum FROM ` + from + ` WHERE ` + where
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("load kpi_window: %w", err)
	}
	defer rows.Close()
	out := make(map[monthBranch]kpi.Window)
	stores := make(map[monthBranch]map[string]kpi.StoreRatings)
	for rows.Next() {
		var (
			mo            uint32
			branch, store string
			w             kpi.Window
		)
		if err := rows.Scan(&mo, &branch, &store, &w.HotlineN, &w.HotlineSatisfied, &w.HotlineResolved, &w.HotlineWaitSum,
			&w.HotlineSL20, &w.StoreN, &w.StoreSatisfied, &w.StoreWaitSum, &w.HotlineHandleSum); err != nil {
			return nil, nil, fmt.Errorf("load kpi_window: %w", err)
		}
		k := monthBranch{schema.Month(mo), branch}
		if store == "" {
			out[k] = w
			continue
		}
		if stores[k] == nil {
			stores[k] = make(map[string]kpi.StoreRatings)
		}
		stores[k][store] = kpi.StoreRatings{N: w.StoreN, Satisfied: w.StoreSatisfied}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("load kpi_window: %w", err)
	}
	return out, stores, nil
}

func (l *loader) loadComplaints(ctx context.Context, from, where string) (map[monthBranch]kpi.Complaints, error) {
	q := `SELECT month, branch_id, opened, escalated, closed, closed_within_sla, resolution_hours_sum,
  callback_n, callback_satisfied FROM ` + from + ` WHERE ` + where
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_complaints: %w", err)
	}
	defer rows.Close()
	out := make(map[monthBranch]kpi.Complaints)
	for rows.Next() {
		var (
			mo     uint32
			branch string
			c      kpi.Complaints
		)
		if err := rows.Scan(&mo, &branch, &c.Opened, &c.Escalated, &c.Closed, &c.ClosedWithinSLA,
			&c.ResolutionHoursSum, &c.CallbackN, &c.CallbackSatisfied); err != nil {
			return nil, fmt.Errorf("load kpi_complaints: %w", err)
		}
		out[monthBranch{schema.Month(mo), branch}] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_complaints: %w", err)
	}
	return out, nil
}

func (l *loader) loadChurn(ctx context.Context, from, where string) (map[monthBranch]kpi.ChurnCounts, error) {
	q := "SELECT month, branch_id, churned, churned_high, churned_mid, churned_low FROM " + from + " WHERE " + where
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_churn: %w", err)
	}
	defer rows.Close()
	out := make(map[monthBranch]kpi.ChurnCounts)
	for rows.Next() {
		var (
			mo     uint32
			branch string
			c      kpi.ChurnCounts
		)
		if err := rows.Scan(&mo, &branch, &c.Churned, &c.High, &c.Mid, &c.Low); err != nil {
			return nil, fmt.Errorf("load kpi_churn: %w", err)
		}
		out[monthBranch{schema.Month(mo), branch}] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_churn: %w", err)
	}
	return out, nil
}

// loadBases reads the winning snapshots under the selection's root and resolves the base of
// every selected branch that has one.
func (l *loader) loadBases(ctx context.Context, from, where string, sel selector) (map[monthBranch]*kpi.Base, error) {
	q := "SELECT month, branch_id, subscribers, has_tiers, tier_high, tier_mid, tier_low FROM " + from + " WHERE " + where
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_base: %w", err)
	}
	defer rows.Close()
	byMonth := make(map[schema.Month]map[string]kpi.Snapshot)
	for rows.Next() {
		var (
			mo      uint32
			branch  string
			s       kpi.Snapshot
			hasT    uint8
			h, m, l uint64
		)
		if err := rows.Scan(&mo, &branch, &s.Subscribers, &hasT, &h, &m, &l); err != nil {
			return nil, fmt.Errorf("load kpi_base: %w", err)
		}
		if hasT != 0 {
			s.Tiers = &kpi.Tiers{High: h, Mid: m, Low: l}
		}
		snaps := byMonth[schema.Month(mo)]
		if snaps == nil {
			snaps = make(map[string]kpi.Snapshot)
			byMonth[schema.Month(mo)] = snaps
		}
		snaps[branch] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_base: %w", err)
	}
	out := make(map[monthBranch]*kpi.Base)
	for mo, snaps := range byMonth {
		if sel.kind == selBranch {
			// One branch needs no other branch's resolution.
			if b := resolveBases(snaps)[sel.id]; b != nil {
				out[monthBranch{mo, sel.id}] = b
			}
			continue
		}
		for b, base := range resolveBases(snaps) {
			if sel.selects(b) {
				out[monthBranch{mo, b}] = base
			}
		}
	}
	return out, nil
}

// resolveBases applies the base rule of SPEC §2.2 to every branch that has a base (each branch
// with a snapshot and its ancestors), bottom-up in one pass: the same result as
// kpi.ResolveBases (a test checks it), in time linear in the number of branches rather than
// quadratic, which matters for company-wide loads of ~3,400 snapshots.
func resolveBases(snaps map[string]kpi.Snapshot) map[string]*kpi.Base {
	out := make(map[string]*kpi.Base, 2*len(snaps))
	children := make(map[string][]string)
	nodes := make(map[string]bool, 2*len(snaps))
	for id := range snaps {
		for _, a := range schema.Ancestors(id) {
			if nodes[a] {
				break
			}
			nodes[a] = true
			if p := schema.Parent(a); p != "" {
				children[p] = append(children[p], a)
			}
		}
	}
	order := make([]string, 0, len(nodes))
	for id := range nodes {
		order = append(order, id)
	}
	// Deepest first, so every child is resolved before its parent.
	sort.Slice(order, func(i, j int) bool {
		li, lj := schema.Level(order[i]), schema.Level(order[j])
		if li != lj {
			return li > lj
		}
		return order[i] < order[j]
	})
	for _, id := range order {
		if s, ok := snaps[id]; ok {
			b := &kpi.Base{Subscribers: s.Subscribers}
			if s.Tiers != nil {
				t := *s.Tiers
				b.Tiers = &t
			}
			out[id] = b
			continue
		}
		var sum *kpi.Base
		tiersKnown := true
		for _, c := range children[id] {
			cb := out[c]
			if cb == nil {
				continue
			}
			if sum == nil {
				sum = &kpi.Base{Tiers: &kpi.Tiers{}}
			}
			sum.Subscribers += cb.Subscribers
			if cb.Tiers == nil {
				tiersKnown = false
				continue
			}
			sum.Tiers.High += cb.Tiers.High
			sum.Tiers.Mid += cb.Tiers.Mid
			sum.Tiers.Low += cb.Tiers.Low
		}
		if sum != nil && !tiersKnown {
			sum.Tiers = nil
		}
		if sum != nil {
			out[id] = sum
		}
	}
	return out
}
