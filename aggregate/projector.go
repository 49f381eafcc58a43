package aggregate

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/store"
)

// Family is a projection family: a group of raw tables recomputed together into one projection
// table. The storage contract (schema/store) says which tables and which projection table.
type Family = store.Family

// The projection families (docs/design/overview.md, "Projections").
const (
	FamilySurvey     = store.FamilySurvey
	FamilyWindow     = store.FamilyWindow
	FamilyComplaints = store.FamilyComplaints
	FamilyChurn      = store.FamilyChurn
	FamilyBase       = store.FamilyBase
	// FamilyFrontline (version 2) holds per-unit statistics: stores, staff, agents, managers.
	FamilyFrontline = store.FamilyFrontline
	// FamilyDrivers (extension, docs/extensions.md) is recomputed with FamilySurvey, from the
	// same rows: ingest never marks it; every recompute of survey for a month recomputes it.
	FamilyDrivers = store.FamilyDrivers
)

// Families lists every family ingest marks, in recompute order.
func Families() []Family { return store.Families() }

// sourceTables names the raw tables whose rows of a month make family f's projection of that
// month (survey_voids apply to every month, so they are not counted among a month's source
// rows).
func sourceTables(f Family) []string {
	var out []string
	for _, t := range f.RawTables() {
		if !t.Retraction() {
			out = append(out, t.Name())
		}
	}
	return out
}

// ProjectorConfig configures a Projector.
type ProjectorConfig struct {
	// Database qualifies every table name; empty means the connection's default database.
	Database string
	// Catalog is the survey item catalog: its codes and weights W_k go into the composite y.
	Catalog schema.Catalog
	// SLAHours is CSAT_COMPLAINT_SLA_HOURS: a complaint closed within it meets the SLA.
	SLAHours float64
	// Frontline is CSAT_FRONTLINE: recompute the front-line projection (kpi_frontline, SPEC
	// §5.2). Off, its dirty marks are left for a later csat rebuild with it on: it is the most
	// costly family (a refresh of the ingest benchmark's month 0.4 s without it, 2.6 s with it)
	// and nothing reads it yet but Engine.UnitCard and Engine.Units.
	Frontline bool
	// FullEvery is CSAT_PROJECT_FULL_EVERY: a refresh folds into the committed version what the
	// rows added since changed (an incremental recompute, bases.go) while the last recompute of
	// the month from the raw rows in that version's chain started less than FullEvery ago; then
	// it recomputes the month from the raw rows again. 0: every recompute is a full one.
	FullEvery time.Duration
}

// computes reports whether the projector recomputes family f.
func (c ProjectorConfig) computes(f Family) bool {
	return f != FamilyFrontline || c.Frontline
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the configuration.
func (c ProjectorConfig) Validate() error {
	var errs []error
	if c.Database != "" && !identRE.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("database %q is not an identifier", c.Database))
	}
	if err := c.Catalog.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("catalog: %w", err))
	}
	if !(c.SLAHours > 0) {
		errs = append(errs, fmt.Errorf("CSAT_COMPLAINT_SLA_HOURS %v: want > 0", c.SLAHours))
	}
	return errors.Join(errs...)
}

// Projector recomputes the projections. Its methods are safe for concurrent use; within one
// Projector recomputes run one at a time. Several projectors (several processes) may run at once:
// each recompute writes its own version and readers take the greatest committed one.
type Projector struct {
	conn driver.Conn
	cfg  ProjectorConfig
	gen  sqlGen
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex  // serialises Refresh and Rebuild
	seen     seenFilters // the event ids seen per raw table and month, of incremental refreshes (fresh.go)
	threads  int         // the server's max_threads once read (guarded by mu; 0: not yet)
	commitMu sync.Mutex  // serialises the bookkeeping inserts (see insertRow)

	recomputes  *prometheus.CounterVec
	incremental *prometheus.CounterVec
	seenBuilds  prometheus.Counter
	duration    *prometheus.HistogramVec
	stale       prometheus.Gauge
}

// NewProjector returns a projector over conn. A nil logger discards, a nil registerer registers
// nothing. cfg is checked by Refresh and Rebuild, which return its error.
func NewProjector(conn driver.Conn, cfg ProjectorConfig, logger *slog.Logger, reg prometheus.Registerer) *Projector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := promauto.With(reg)
	p := &Projector{
		conn: conn,
		cfg:  cfg,
		gen:  newSQLGen(cfg.Database, cfg.Catalog, cfg.SLAHours, time.Time{}),
		log:  logger.With("component", "projector"),
		now:  time.Now,
		recomputes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "csat_aggregate_recomputes_total",
			Help: "Recomputes of one (family, month) projection, by family and result (ok, error).",
		}, []string{"family", "result"}),
		incremental: f.NewCounterVec(prometheus.CounterOpts{
			Name: "csat_aggregate_incremental_recomputes_total",
			Help: "Recomputes that folded the rows added since the committed version into it instead of rescanning the month, by family.",
		}, []string{"family"}),
		seenBuilds: f.NewCounter(prometheus.CounterOpts{
			Name: "csat_aggregate_seen_filter_builds_total",
			Help: "Filters of the event ids of a raw table's month built from its rows by incremental refreshes (once per month and family, again after another process committed or the month outgrew it).",
		}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "csat_aggregate_recompute_duration_seconds",
			Help:    "Duration of one (family, month) recompute, by family.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 10),
		}, []string{"family"}),
		stale: f.NewGauge(prometheus.GaugeOpts{
			Name: "csat_aggregate_stale_projections",
			Help: "Stale (family, month) projections found by the last refresh.",
		}),
	}
	return p
}

func (p *Projector) table(name string) string {
	return qualify(p.cfg.Database, name)
}

func qualify(db, name string) string {
	if db == "" {
		return name
	}
	return db + "." + name
}

type familyMonth struct {
	family Family
	month  schema.Month
}

// Refresh recomputes every stale (family, month): one with dirty marks and either no committed
// version or a mark at or after its committed version. It stops at the first error.
func (p *Projector) Refresh(ctx context.Context) error {
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("projector config: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	dirty, err := p.maxPerFamilyMonth(ctx, store.DirtyTable, "marked_at")
	if err != nil {
		return err
	}
	committed, err := p.maxPerFamilyMonth(ctx, store.VersionsTable, "version")
	if err != nil {
		return err
	}
	var stale []familyMonth
	for fm, marked := range dirty {
		if !fm.family.Valid() || !fm.month.Valid() {
			p.log.Warn("ignoring a kpi_dirty mark of an unknown family or an invalid month",
				"family", string(fm.family), "month", uint32(fm.month))
			continue
		}
		if v, ok := committed[fm]; (!ok || marked >= v) && p.cfg.computes(fm.family) {
			stale = append(stale, fm)
		}
	}
	refreshOrder(stale)
	p.stale.Set(float64(len(stale)))
	if err := p.recomputeAll(ctx, frontlineFirst(stale), committed); err != nil {
		return err
	}
	if len(stale) > 0 {
		p.log.Debug("projections refreshed", "rows", len(stale))
	}
	return nil
}

// Rebuild recomputes every family of month m from the raw tables, stale or not; m = 0 means every
// month present in a raw table or in kpi_versions (so a month whose raw rows are gone is emptied).
func (p *Projector) Rebuild(ctx context.Context, m schema.Month) error {
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("projector config: %w", err)
	}
	if m != 0 && !m.Valid() {
		return &ParamError{Param: "month", Msg: fmt.Sprintf("%d is not a month", uint32(m))}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	committed, err := p.maxPerFamilyMonth(ctx, store.VersionsTable, "version")
	if err != nil {
		return err
	}
	months := []schema.Month{m}
	if m == 0 {
		if months, err = p.allMonths(ctx); err != nil {
			return err
		}
	}
	var all []familyMonth
	for _, mo := range months {
		for _, f := range Families() {
			if p.cfg.computes(f) {
				all = append(all, familyMonth{f, mo})
			}
		}
	}
	if err := p.recomputeAll(context.WithValue(ctx, fullRecompute{}, true), frontlineFirst(all), committed); err != nil {
		return err
	}
	p.log.Info("projections rebuilt", "months", len(months))
	return nil
}

// allMonths lists the months present in any raw table or in kpi_versions, ascending.
func (p *Projector) allMonths(ctx context.Context) ([]schema.Month, error) {
	var parts []string
	for _, f := range Families() {
		for _, t := range sourceTables(f) {
			parts = append(parts, fmt.Sprintf("SELECT DISTINCT month FROM %s", p.table(t)))
		}
	}
	parts = append(parts, fmt.Sprintf("SELECT DISTINCT month FROM %s", p.table(store.VersionsTable)))
	q := "SELECT DISTINCT month FROM (" + joinUnion(parts) + ") ORDER BY month"
	rows, err := p.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list months: %w", err)
	}
	defer rows.Close()
	var out []schema.Month
	for rows.Next() {
		var mo uint32
		if err := rows.Scan(&mo); err != nil {
			return nil, fmt.Errorf("list months: %w", err)
		}
		if schema.Month(mo).Valid() {
			out = append(out, schema.Month(mo))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list months: %w", err)
	}
	return out, nil
}

func joinUnion(parts []string) string {
	s := ""
	for i, q := range parts {
		if i > 0 {
			s += " UNION ALL "
		}
		s += q
	}
	return s
}

// maxPerFamilyMonth reads max(col) per (family, month) of kpi_dirty or kpi_versions.
func (p *Projector) maxPerFamilyMonth(ctx context.Context, table, col string) (map[familyMonth]uint64, error) {
	return maxPerFamilyMonth(ctx, p.conn, p.table(table), col)
}

func maxPerFamilyMonth(ctx context.Context, conn driver.Conn, table, col string) (map[familyMonth]uint64, error) {
	q := fmt.Sprintf("SELECT family, month, max(%s) FROM %s GROUP BY family, month", col, table)
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
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
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		out[familyMonth{Family(f), schema.Month(mo)}] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return out, nil
}

// refreshOrder sorts the stale (family, month) pairs of a refresh: the newest month first — the
// live month managers watch; a past month's late events wait for it — then in Families() order:
// the costly survey (with drivers) and window first, so that the concurrent recomputes end
// together.
func refreshOrder(stale []familyMonth) {
	rank := map[Family]int{}
	for i, f := range Families() {
		rank[f] = i + 1
	}
	sort.Slice(stale, func(i, j int) bool {
		if stale[i].month != stale[j].month {
			return stale[i].month > stale[j].month
		}
		if a, b := rank[stale[i].family], rank[stale[j].family]; a != b {
			return a < b
		}
		return stale[i].family < stale[j].family
	})
}

// frontlineFirst moves list's first front-line recompute to the front, the others keeping
// their order. It is the costliest recompute (on the ingest benchmark's month as much as every
// other family together), and two months of one family never run at once: started first, it
// runs beside the other families instead of after them (a refresh of the benchmark's two
// months: its first month beside the rest, its second after the first, rather than both after
// the rest). Its other months stay where they were: started early, they would hold a
// concurrency slot while they wait for the first.
func frontlineFirst(list []familyMonth) []familyMonth {
	i := slices.IndexFunc(list, func(fm familyMonth) bool { return fm.family == FamilyFrontline })
	if i <= 0 {
		return list
	}
	out := make([]familyMonth, 0, len(list))
	out = append(out, list[i])
	out = append(out, list[:i]...)
	return append(out, list[i+1:]...)
}

// recomputeConcurrency is the number of recomputes run at once. Each is one INSERT … SELECT,
// which ClickHouse does not spread evenly over the cores (its dedup GROUP BY is parallel, its
// array joins and final aggregation less so): two at a time keep a 2-core server busy.
const recomputeConcurrency = 2

// recomputeAll recomputes every (family, month) of list, recomputeConcurrency at a time, in
// list order; the first error cancels the rest and is returned. Recomputes of different
// (family, month) pairs are independent: each writes and commits its own version.
//
// Two months of one family never run at once: on a cluster the projection tables are replicated
// with insert_quorum, and two quorum inserts into one table at once fail (code 286).
func (p *Projector) recomputeAll(ctx context.Context, list []familyMonth, committed map[familyMonth]uint64) error {
	if len(list) == 0 {
		return nil
	}
	// The server's threads are shared among the recomputes that run at once: with two of them
	// on a 2-core server each query runs on one thread, which cost ClickHouse 15 % less CPU
	// than two queries of two threads each contending for two cores (the hash GROUP BYs merge
	// per-thread tables; a refresh of the ingest benchmark's month took 0.39–0.45 s instead of
	// 0.47–0.52 s). A lone recompute keeps every thread.
	if ctx2, ok := p.withThreads(ctx, min(recomputeConcurrency, len(list))); ok {
		ctx = ctx2
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(recomputeConcurrency)
	locks := map[Family]*sync.Mutex{}
	for _, fm := range list {
		if locks[fm.family] == nil {
			locks[fm.family] = &sync.Mutex{}
		}
	}
	for _, fm := range list {
		g.Go(func() error {
			mu := locks[fm.family]
			mu.Lock()
			defer mu.Unlock()
			return p.recompute(gctx, fm.family, fm.month, committed[fm], nil)
		})
	}
	return g.Wait()
}

// withThreads returns ctx with max_threads set to the server's max_threads divided among n
// concurrent queries (at least 1). It reports false, and leaves the server's setting, when the
// server's value cannot be read. p.mu must be held.
func (p *Projector) withThreads(ctx context.Context, n int) (context.Context, bool) {
	if p.threads == 0 {
		var v string
		if err := p.conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'max_threads'").Scan(&v); err != nil {
			p.log.Debug("read max_threads; recomputes keep the server's setting", "err", err)
			return ctx, false
		}
		p.threads = serverThreads(v)
		if p.threads == 0 {
			return ctx, false
		}
	}
	t := max(1, p.threads/n)
	ctx = context.WithValue(ctx, ctxThreadsKey{}, t)
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_threads": t})), true
}

// ctxThreadsKey carries withThreads' max_threads to recomputeSettings (clickhouse-go's settings
// in a context cannot be read back, and WithSettings replaces them).
type ctxThreadsKey struct{}

// serverThreads parses system.settings' max_threads: "8" (ClickHouse 18.16) or "'auto(8)'"
// (newer servers). It returns 0 for anything else.
func serverThreads(v string) int {
	v = strings.TrimSuffix(strings.TrimPrefix(strings.Trim(v, "'"), "auto("), ")")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// recomputeSettings are ctx's query settings (max_threads from withThreads) plus max_query_size.
func recomputeSettings(ctx context.Context) context.Context {
	set := clickhouse.Settings{"max_query_size": recomputeQuerySize}
	if t, ok := ctx.Value(ctxThreadsKey{}).(int); ok {
		set["max_threads"] = t
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(set))
}

// recompute writes family f of month m under a new version, commits it in kpi_versions, then
// drops every older version's partition (month, version) of the family's table. A crash before
// the commit leaves an uncommitted partition that readers ignore and the next recompute drops.
//
// pinned (nil: none) hands the drivers recompute the survey recompute's version and views: both
// then count exactly the same rows. It is used only when that version is newer than prev; the
// views were taken after it, which is what makes the version cover them (see views).
func (p *Projector) recompute(ctx context.Context, f Family, m schema.Month, prev uint64, pinned *pinnedViews) (err error) {
	start := p.now()
	v := uint64(start.UnixNano())
	var views map[string]*rawView
	if pinned != nil && pinned.version > prev {
		v, views = pinned.version, pinned.views
	} else if v <= prev { // a clock that went back must not make the new version lose to the old one
		v = prev + 1
	}
	defer func() {
		result := "ok"
		if err != nil {
			result = "error"
		}
		p.recomputes.WithLabelValues(string(f), result).Inc()
		p.duration.WithLabelValues(string(f)).Observe(time.Since(start).Seconds())
	}()
	prevViews, prevFull := p.incrementalBase(ctx, f, m, prev)
	if views == nil {
		// An incremental recompute scans only the rows of the events it corrects: their
		// repeated hashes are found among those, not listed from the whole month.
		if views, err = p.views(ctx, f, m, prevViews == nil); err != nil {
			return err
		}
	}
	gen := p.gen.withViews(views)
	var q string
	full := v // the version of the last full recompute in this version's chain
	if prevViews != nil {
		base := newSQLGenFrom(gen, time.Time{}).withViews(prevViews)
		var ff *freshFold
		if ff, err = p.freshEvents(ctx, f, m, base, gen, prev); err != nil {
			return fmt.Errorf("recompute: %w", err)
		}
		if ff != nil {
			written := uint64(0) // the seen sets advance to v once v is committed
			defer func() { ff.release(written) }()
			defer func() {
				if err == nil {
					written = v
				}
			}()
			q, err = freshInsertSQL(gen, base, f, m, v, prev, ff)
		} else {
			q, err = p.incrementalInsertSQL(ctx, gen, f, m, v, prev, prevViews)
		}
		if err != nil {
			return fmt.Errorf("recompute: %w", err)
		}
		full = prevFull
		p.incremental.WithLabelValues(string(f)).Inc()
	} else if q, err = gen.insertSQL(f, m, v); err != nil {
		return fmt.Errorf("recompute: %w", err)
	}
	qctx := recomputeSettings(ctx)
	if err := p.conn.Exec(qctx, q); err != nil {
		return fmt.Errorf("recompute %s %s into %s: %w", f, m, f.Table(), err)
	}
	src, err := p.sourceRows(ctx, f, m, views)
	if err != nil {
		return err
	}
	if err := p.writeBase(ctx, f, m, v, full, time.Time{}, views); err != nil {
		return err
	}
	if err := p.commit(ctx, f, m, v, src); err != nil {
		return err
	}
	// The version committed before this one (prev) stays until the next recompute: a read that
	// started on it finishes on complete data (see Engine.readable).
	if err := p.dropOlder(ctx, f, m, prev); err != nil {
		return err
	}
	p.log.Debug("projection recomputed", "family", string(f), "month", m.String(), "version", v,
		"rows", src, "duration", time.Since(start))
	if f == FamilySurvey {
		// The key-driver moments come from the same responses: keep them in step — through the
		// same views, so that both versions count exactly the same rows.
		return p.recompute(ctx, FamilyDrivers, m, p.committedVersion(ctx, FamilyDrivers, m), &pinnedViews{v, views})
	}
	return nil
}

// pinnedViews are a recompute's version and the views it took after choosing it.
type pinnedViews struct {
	version uint64
	views   map[string]*rawView
}

// committedVersion returns the greatest committed version of (f, m), 0 when none or unknown
// (recompute then only guarantees a version ≥ its clock).
func (p *Projector) committedVersion(ctx context.Context, f Family, m schema.Month) uint64 {
	var v uint64
	q := fmt.Sprintf("SELECT max(version) FROM %s WHERE family = %s AND month = %d", p.table(store.VersionsTable), quote(string(f)), uint32(m))
	if err := p.conn.QueryRow(ctx, q).Scan(&v); err != nil {
		return 0
	}
	return v
}

// views takes, after the recompute's version, the rawView of each raw table of family f that
// its SELECT deduplicates, for month m.
func (p *Projector) views(ctx context.Context, f Family, m schema.Month, dups bool) (map[string]*rawView, error) {
	if f == FamilyBase { // a snapshot is its own deduplication (baseSQL)
		return nil, nil
	}
	views := map[string]*rawView{}
	for _, t := range sourceTables(f) {
		v, err := p.view(ctx, t, m, dups)
		if err != nil {
			return nil, fmt.Errorf("recompute %s %s: view of %s: %w", f, m, t, err)
		}
		views[t] = v
	}
	if f == FamilySurvey || f == FamilyDrivers {
		// The voids too are read as they are when the view is taken (a void inserted later
		// marks its response's month dirty again): the version's rows are then exactly known,
		// which a fast as-of read that starts from it needs (kpi_bases).
		v := &rawView{bounds: map[string][]int64{}}
		if err := p.scanRows(ctx, p.gen.voidsBoundsSQL(), v.addBound); err != nil {
			return nil, fmt.Errorf("recompute %s %s: view of %s: %w", f, m, store.SurveyVoids.Name(), err)
		}
		if err := p.voidStamps(ctx, v, m); err != nil {
			return nil, fmt.Errorf("recompute %s %s: view of %s: %w", f, m, store.SurveyVoids.Name(), err)
		}
		views[store.SurveyVoids.Name()] = v
	}
	return views, nil
}

// voidStamps narrows the stamps of v, a view of survey_voids, to the voids of month m's
// responses: per partition the first and last ingested_at of the voids whose target is a
// response of m now, and an empty range (1, 0) where there is none. A void of m's responses
// that lands later marks m dirty (ingest), so while m is clean these are the stamps of every
// void that can change m's statistics, and an as-of read of m need not search the voids
// ingested at other times (stampPrune). The voids present now may be more than the view's: a
// wider range, which only prunes less.
func (p *Projector) voidStamps(ctx context.Context, v *rawView, m schema.Month) error {
	v.stamps = map[string][]int64{}
	for topic, offs := range v.bounds {
		s := make([]int64, 2*len(offs))
		for i := range offs {
			s[2*i], s[2*i+1] = 1, 0
		}
		v.stamps[topic] = s
	}
	q := fmt.Sprintf("SELECT kafka_topic, kafka_partition, %s FROM %s WHERE target_event_id IN (SELECT event_id FROM %s WHERE month = %d) GROUP BY kafka_topic, kafka_partition",
		stampRange, p.table(store.SurveyVoids.Name()), p.table(store.SurveyResponses.Name()), uint32(m))
	return p.scanRows(ctx, q, func(rows driver.Rows) error {
		var (
			topic       string
			partition   int32
			first, last int64
		)
		if err := rows.Scan(&topic, &partition, &first, &last); err != nil {
			return err
		}
		s := v.stamps[topic]
		if partition < 0 || 2*int(partition)+1 >= len(s) {
			return nil // a void that landed after the view: beyond it, found by its offset
		}
		s[2*partition], s[2*partition+1] = first, last
		return nil
	})
}

// addBound adds a row (topic, partition, highest offset, rows, first and last ingested_at) of
// boundsSQL to v.
func (v *rawView) addBound(rows driver.Rows) error {
	var (
		topic       string
		partition   int32
		offset      int64
		n           uint64
		first, last int64
	)
	if err := rows.Scan(&topic, &partition, &offset, &n, &first, &last); err != nil {
		return err
	}
	if partition < 0 {
		return fmt.Errorf("kafka_partition %d of topic %q: want ≥ 0", partition, topic)
	}
	v.rows += n
	b := v.bounds[topic]
	for len(b) <= int(partition) {
		b = append(b, -1)
	}
	b[partition] = offset
	v.bounds[topic] = b
	if v.stamps == nil {
		v.stamps = map[string][]int64{}
	}
	s := v.stamps[topic]
	for len(s) <= 2*int(partition)+1 {
		s = append(s, -1)
	}
	s[2*partition], s[2*partition+1] = first, last
	v.stamps[topic] = s
	return nil
}

// view is two small queries: the highest offsets of table's rows of month m, then the repeated
// event_id hashes. The second reads the month's rows as they are by then, not bounded to the
// first's offsets: rows inserted in between can only add hashes (a superset of the view's
// repeated hashes, whose extra rows the exact path handles the same), and the bound costs a
// third of the scan (a string and an array lookup per row: 15–25 ms of 60–85 for the
// benchmark's 450,000 hotline ratings).
func (p *Projector) view(ctx context.Context, table string, m schema.Month, dups bool) (*rawView, error) {
	v := &rawView{bounds: map[string][]int64{}}
	if err := p.scanRows(ctx, p.gen.boundsSQL(table, m), v.addBound); err != nil {
		return nil, fmt.Errorf("offsets: %w", err)
	}
	if !dups {
		v.manyDups = true // repeated() finds them by a subquery over the rows a query reads
		return v, nil
	}
	q := p.gen.withViews(nil).repeatedSQL(table, m) + fmt.Sprintf(" ORDER BY h LIMIT %d", maxListedDups+1)
	err := p.scanRows(ctx, q, func(rows driver.Rows) error {
		var h uint64
		if err := rows.Scan(&h); err != nil {
			return err
		}
		v.dups = append(v.dups, h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("repeated event ids: %w", err)
	}
	if len(v.dups) > maxListedDups {
		v.dups, v.manyDups = nil, true
	}
	return v, nil
}

// scanRows runs q and calls each for every row.
func (p *Projector) scanRows(ctx context.Context, q string, each func(driver.Rows) error) error {
	return scanRows(ctx, p.conn, q, each)
}

// scanRows runs q on conn and calls each for every row.
func scanRows(ctx context.Context, conn driver.Conn, q string, each func(driver.Rows) error) error {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// sourceRows counts the raw rows (copies included) of family f in month m that the recompute
// read (through views), for kpi_versions.
func (p *Projector) sourceRows(ctx context.Context, f Family, m schema.Month, views map[string]*rawView) (uint64, error) {
	// A view counted its rows when it was taken: the rows at or below its bounds are exactly
	// the ones present then (the prefix property), so no scan is needed.
	var n uint64
	counted := true
	for _, t := range sourceTables(f) {
		v := views[t]
		if v == nil {
			counted = false
			break
		}
		n += v.rows
	}
	if counted {
		return n, nil
	}
	var parts []string
	for _, t := range sourceTables(f) {
		parts = append(parts, fmt.Sprintf("SELECT count() AS c FROM %s WHERE month = %d%s", p.table(t), uint32(m), views[t].cond()))
	}
	if err := p.conn.QueryRow(ctx, "SELECT toUInt64(sum(c)) FROM ("+joinUnion(parts)+")").Scan(&n); err != nil {
		return 0, fmt.Errorf("count source rows of %s %s: %w", f, m, err)
	}
	return n, nil
}

// commitAttempts bounds the retries of a bookkeeping insert that failed with a retryable server error.
const commitAttempts = 20

// commit records version v of (f, m) in kpi_versions (insertRow: serialised, retried).
func (p *Projector) commit(ctx context.Context, f Family, m schema.Month, v, src uint64) error {
	err := p.insertRow(ctx, fmt.Sprintf("INSERT INTO %s (family, month, version, computed_at, source_rows)", p.table(store.VersionsTable)),
		string(f), uint32(m), v, p.now(), src)
	if err != nil {
		return fmt.Errorf("commit %s %s version %d: %w", f, m, v, err)
	}
	return nil
}

// insertRow inserts one row into a bookkeeping table (kpi_versions, kpi_bases). The inserts of
// one projector are serialised: concurrent recomputes finish at the same moments, and on a
// cluster two quorum inserts into one replicated table at once fail ("Another quorum insert has
// been already started", code 286). An insert failing with a retryable error (that one
// included, when another process inserts, and "Quorum for previous write has not been satisfied
// yet" while a replica is down) is retried with backoff: it either wrote its row or nothing, and
// a row written twice is harmless (readers take max(version), or key by version).
func (p *Projector) insertRow(ctx context.Context, insert string, row ...any) error {
	p.commitMu.Lock()
	defer p.commitMu.Unlock()
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := p.insertRowOnce(ctx, insert, row...)
		if err == nil || !chdb.IsRetryable(err) || attempt == commitAttempts {
			return err
		}
		p.log.Debug("insert retried", "insert", insert, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func (p *Projector) insertRowOnce(ctx context.Context, insert string, row ...any) error {
	b, err := p.conn.PrepareBatch(ctx, insert)
	if err != nil {
		return err
	}
	if err := b.Append(row...); err != nil {
		_ = b.Abort() // the Append error is the one that matters
		return err
	}
	return b.Send()
}

// dropOlder drops the partitions of every version of (f, m) older than v, committed or not
// (nothing when v is 0), except the bases of as-of reads that are kept (retainedVersions).
func (p *Projector) dropOlder(ctx context.Context, f Family, m schema.Month, v uint64) error {
	t := p.table(f.Table())
	rows, err := p.conn.Query(ctx, fmt.Sprintf("SELECT DISTINCT version FROM %s WHERE month = %d AND version < %d", t, uint32(m), v))
	if err != nil {
		return fmt.Errorf("list old versions of %s %s: %w", t, m, err)
	}
	var old []uint64
	for rows.Next() {
		var ov uint64
		if err := rows.Scan(&ov); err != nil {
			rows.Close()
			return fmt.Errorf("list old versions of %s %s: %w", t, m, err)
		}
		old = append(old, ov)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list old versions of %s %s: %w", t, m, err)
	}
	keep, err := p.retainedVersions(ctx, f, m)
	if err != nil {
		return err
	}
	for _, ov := range old {
		if keep[ov] {
			continue // a base of as-of reads (bases.go)
		}
		// chdb.DropPartition: on a cluster, the drop goes to every shard's local table.
		if err := chdb.DropPartition(ctx, p.conn, t, fmt.Sprintf("tuple(%d, %d)", uint32(m), ov)); err != nil {
			return fmt.Errorf("drop %s partition (%d, %d): %w", t, uint32(m), ov, err)
		}
	}
	return nil
}
