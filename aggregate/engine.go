package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/singleflight"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// Engine answers the read operations of SPEC §4 from the committed projections. It reads
// tables of the connection's default database. It is safe for concurrent use.
//
// An Engine is three parts (aggregate/DESIGN.md, "Who owns what"): its loader reads committed
// projections (or, as of a moment, the raw tables) and holds the known hierarchy; the Engine
// computes cards, trends, comparisons, alerts and scorecards from what the loader read and
// caches the results; a Warmer (NewWarmer), when one is attached, keeps every card of the
// latest months computed and owns the goroutines that do it. The Engine itself starts no
// goroutine that outlives a call.
type Engine struct {
	loader // reads the projections (or the raw tables as of a moment)

	sc *kpi.Scorecard

	// schemes and roster score front-line units (WithFrontline); nil schemes: the default preset.
	schemes *kpi.FrontlineSchemes
	roster  kpi.Roster

	st *engineState // shared by an engine and its AsOf views

	// nocache makes Card and Compare compute every time (see Uncached).
	nocache bool
	// targetsAt, when set, is the moment whose issued scorecard targets the scorecards use
	// instead of the view's own moment (ScorecardDiff: B's data under A's targets).
	targetsAt time.Time
}

// targetsMoment is the moment whose issued targets the scorecards use: targetsAt, else the
// view's as-of moment (zero for the live engine: every target version).
func (e *Engine) targetsMoment() time.Time {
	if !e.targetsAt.IsZero() {
		return e.targetsAt
	}
	return e.asOf
}

// engineState is the mutable state of an Engine, shared with its AsOf views: its result
// caches, and the Warmer attached to it.
type engineState struct {
	flight   singleflight.Group // one computation per cache key at a time
	cmu      sync.Mutex
	cards    map[string]kpi.Card   // computed cards by branch, month and committed versions (live path only)
	compares map[string]Comparison // comparisons likewise

	amu    sync.Mutex
	alerts map[schema.Month]cachedAlerts // company-wide evaluations by month (live path only)
	points map[schema.Month]cachedPoints // alert points by month (live path only)

	asOf asOfCache // results of AsOf views (see asOfCached)

	warmer atomic.Pointer[Warmer] // the warm sets Card answers from (NewWarmer); nil: none

	liveCards atomic.Uint64 // live cards computed alone (not from a cache or a warm set)
}

// NewEngine returns an engine. sc may be nil: scorecards, the metric "score" and below_base
// alerts then report an error or nothing. A nil logger discards.
func NewEngine(conn driver.Conn, cfg kpi.Config, cat schema.Catalog, sc *kpi.Scorecard, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{loader: newLoader(conn, cfg, cat, logger.With("component", "engine")), sc: sc, st: &engineState{}}
}

// Cold returns an engine over the same connection and configuration with empty caches and no
// warm sets: what a newly started process has. Benchmarks use it to time first calls.
func (e *Engine) Cold() *Engine {
	c := *e
	c.loader = newLoader(e.conn, e.cfg, e.cat, e.log)
	c.now = e.now
	c.st = &engineState{}
	return &c
}

// Uncached returns a view of e whose Card and Compare neither read nor fill the result caches
// and warm sets (the known hierarchy and the versions lookups stay shared): benchmarks use it to
// time the computation a request for a card nobody asked for yet costs.
func (e *Engine) Uncached() *Engine {
	c := *e
	c.nocache = true
	return &c
}

// Branch is one node of the known hierarchy.
type Branch struct {
	ID     string `json:"id"`
	Parent string `json:"parent"` // "" for ALL
	Level  int    `json:"level"`  // 0 for ALL, 1 province, 2 city, 3 county, 4 below
}

// rawBranchTables are the raw tables whose branch ids make the known hierarchy.
var rawBranchTables = func() (out []string) {
	for _, t := range store.RawTables() {
		out = append(out, t.Name())
	}
	return out
}()

// Branches returns the known hierarchy: every branch id named by a row of a raw table, with
// all its ancestors, ALL included, sorted by id. It scans the branch_id column of every raw
// table (seconds at the national scale); request validation uses a cheaper cache (checkBranch).
func (e *Engine) Branches(ctx context.Context) ([]Branch, error) {
	parts := make([]string, len(rawBranchTables))
	for i, t := range rawBranchTables {
		parts[i] = "SELECT DISTINCT branch_id FROM " + t
	}
	known, err := e.queryBranches(ctx, "SELECT DISTINCT branch_id FROM ("+joinUnion(parts)+")")
	if err != nil {
		return nil, err
	}
	out := make([]Branch, 0, len(known))
	for id := range known {
		out = append(out, Branch{ID: id, Parent: schema.Parent(id), Level: schema.Level(id)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// queryBranches runs q, which returns branch ids, and returns them with all their ancestors.
func (l *loader) queryBranches(ctx context.Context, q string) (map[string]bool, error) {
	rows, err := l.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	defer rows.Close()
	known := map[string]bool{schema.Root: true}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list branches: %w", err)
		}
		if !schema.ValidBranchID(id) {
			continue
		}
		for _, a := range schema.Ancestors(id) {
			if known[a] {
				break
			}
			known[a] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	return known, nil
}

// knownTTL is how long the cached hierarchy of checkBranch and Compare is used.
const knownTTL = time.Minute

// knownSet returns the branches present in the projections (every level is there), cached for
// knownTTL: a few thousand distinct ids, read in milliseconds, where scanning the raw tables
// takes seconds. A branch whose events are not projected yet is not in it; checkBranch then asks
// the raw tables.
func (l *loader) knownSet(ctx context.Context) (map[string]bool, error) {
	l.ls.bmu.Lock()
	known, at := l.ls.known, l.ls.knownAt
	l.ls.bmu.Unlock()
	if known != nil && l.now().Sub(at) <= knownTTL {
		return known, nil
	}
	var parts []string
	for _, f := range Families() {
		parts = append(parts, "SELECT DISTINCT branch_id FROM "+f.Table())
	}
	// When the cached set expires under load, one query reloads it for every waiting request.
	known, err := sharedDo(ctx, &l.ls.flight, "known-branches", func(ctx context.Context) (map[string]bool, error) {
		return l.queryBranches(ctx, "SELECT DISTINCT branch_id FROM ("+joinUnion(parts)+")")
	})
	if err != nil {
		return nil, err
	}
	l.ls.bmu.Lock()
	l.ls.known, l.ls.knownAt = known, l.now()
	l.ls.bmu.Unlock()
	return known, nil
}

// maxRawSeen bounds loaderState.rawSeen (branches found in the raw tables before the known set
// listed them); it starts again when full.
const maxRawSeen = 100000

// rawKnows reports whether a raw table has a row of branch id or of a branch below it.
func (l *loader) rawKnows(ctx context.Context, id string) (bool, error) {
	l.ls.rawLookups.Add(1)
	parts := make([]string, len(rawBranchTables))
	for i, t := range rawBranchTables {
		parts[i] = fmt.Sprintf("SELECT toUInt8(1) AS x FROM %s WHERE %s LIMIT 1", t, subtreeCond(id))
	}
	var n uint64
	if err := l.conn.QueryRow(ctx, "SELECT count() FROM ("+joinUnion(parts)+")").Scan(&n); err != nil {
		return false, fmt.Errorf("look up branch %s: %w", id, err)
	}
	return n > 0, nil
}

// checkBranch validates a branch parameter: a well-formed id (or ALL) that is known, i.e. named
// by an event or an ancestor of a branch named by one.
func (l *loader) checkBranch(ctx context.Context, param, id string) error {
	if id != schema.Root && !schema.ValidBranchID(id) {
		return &ParamError{Param: param, Msg: fmt.Sprintf("%q is not a branch id (1–4 segments of [A-Z0-9]{1,16} joined by '-', or ALL)", id)}
	}
	known, err := l.knownSet(ctx)
	if err != nil {
		return err
	}
	if known[id] {
		return nil
	}
	l.ls.bmu.Lock()
	seen := l.ls.rawSeen[id]
	l.ls.bmu.Unlock()
	if seen {
		return nil
	}
	// A branch whose first events are not projected yet (a new store, a marker) is asked of the
	// raw tables — a scan of each — once, however many requests name it meanwhile.
	ok, err := sharedDo(ctx, &l.ls.flight, "raw-knows|"+id, func(ctx context.Context) (bool, error) {
		return l.rawKnows(ctx, id)
	})
	if err != nil {
		return err
	}
	if !ok {
		return &ParamError{Param: param, Msg: fmt.Sprintf("%q: no event names it or a branch below it", id), Err: ErrUnknownBranch}
	}
	l.ls.bmu.Lock()
	if l.ls.rawSeen == nil || len(l.ls.rawSeen) >= maxRawSeen {
		l.ls.rawSeen = map[string]bool{}
	}
	l.ls.rawSeen[id] = true
	l.ls.bmu.Unlock()
	return nil
}

func checkMonth(param string, m schema.Month) error {
	if !m.Valid() {
		return &ParamError{Param: param, Msg: fmt.Sprintf("%d is not a month (YYYY-MM)", uint32(m))}
	}
	return nil
}

// MonthData returns the statistics of branch (its whole subtree) for month m; the zero
// MonthData when nothing is projected for it.
func (e *Engine) MonthData(ctx context.Context, branch string, m schema.Month) (kpi.MonthData, error) {
	if err := e.checkBranch(ctx, "branch", branch); err != nil {
		return kpi.MonthData{}, err
	}
	if err := checkMonth("month", m); err != nil {
		return kpi.MonthData{}, err
	}
	md, err := e.load(ctx, selector{kind: selBranch, id: branch}, []schema.Month{m})
	if err != nil {
		return kpi.MonthData{}, err
	}
	return md.lookup(m, branch), nil
}

// ChildrenData returns the statistics of every child of parent that has any for month m.
func (e *Engine) ChildrenData(ctx context.Context, parent string, m schema.Month) (map[string]kpi.MonthData, error) {
	if err := e.checkBranch(ctx, "parent", parent); err != nil {
		return nil, err
	}
	if err := checkMonth("month", m); err != nil {
		return nil, err
	}
	md, err := e.load(ctx, selector{kind: selChildren, id: parent}, []schema.Month{m})
	if err != nil {
		return nil, err
	}
	return flatten(md[m]), nil
}

// SubtreeData returns the statistics of root and every branch below it, at every level, that
// has any for month m; AllData is SubtreeData of ALL.
func (e *Engine) SubtreeData(ctx context.Context, root string, m schema.Month) (map[string]kpi.MonthData, error) {
	if err := e.checkBranch(ctx, "branch", root); err != nil {
		return nil, err
	}
	if err := checkMonth("month", m); err != nil {
		return nil, err
	}
	md, err := e.load(ctx, selector{kind: selSubtree, id: root}, []schema.Month{m})
	if err != nil {
		return nil, err
	}
	return flatten(md[m]), nil
}

// AllData returns the statistics of every branch at every level for month m.
func (e *Engine) AllData(ctx context.Context, m schema.Month) (map[string]kpi.MonthData, error) {
	return e.SubtreeData(ctx, schema.Root, m)
}

func flatten(bm map[string]*kpi.MonthData) map[string]kpi.MonthData {
	out := make(map[string]kpi.MonthData, len(bm))
	for b, d := range bm {
		out[b] = *d
	}
	return out
}

var errNoScorecard = errors.New("no scorecard configured")
