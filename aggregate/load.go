package aggregate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// selector chooses the branches a load returns.
type selector struct {
	kind selKind
	id   string // the branch, the parent, or the subtree's root
}

type selKind int

const (
	selBranch   selKind = iota // one branch
	selChildren                // the children of id (parent_id = id)
	selSubtree                 // id and every descendant, at every level
)

// where is the SQL condition on branch_id (and parent_id) of the kpi_* tables with parent_id.
func (s selector) where() string {
	switch s.kind {
	case selChildren:
		return "parent_id = " + quote(s.id)
	case selSubtree:
		return subtreeCond(s.id)
	}
	return "branch_id = " + quote(s.id)
}

// baseRoot is the subtree whose snapshots are needed to resolve the bases of the selection.
func (s selector) baseRoot() string { return s.id }

func (s selector) selects(branch string) bool {
	switch s.kind {
	case selChildren:
		return schema.Parent(branch) == s.id
	case selSubtree:
		return schema.InSubtree(branch, s.id)
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
func (e *Engine) committed(ctx context.Context, months []schema.Month) (map[familyMonth]uint64, error) {
	ms := make([]string, len(months))
	for i, m := range months {
		ms[i] = fmt.Sprint(uint32(m))
	}
	q := fmt.Sprintf("SELECT family, month, max(version) FROM kpi_versions WHERE month IN (%s) GROUP BY family, month",
		strings.Join(ms, ", "))
	rows, err := e.conn.Query(ctx, q)
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
// fetch). The projector drops a version's partitions right after it commits the next one, so a
// read that raced with a commit could see an empty (family, month): load re-reads the committed
// versions after fetching and fetches again when any of them changed.
func (e *Engine) load(ctx context.Context, sel selector, months []schema.Month) (monthData, error) {
	vers, err := e.committed(ctx, months)
	if err != nil {
		return nil, err
	}
	for range loadAttempts {
		md, err := e.fetch(ctx, sel, months, vers)
		if err != nil {
			return nil, err
		}
		after, err := e.committed(ctx, months)
		if err != nil {
			return nil, err
		}
		if maps.Equal(vers, after) {
			return md, nil
		}
		vers = after
	}
	return nil, errVersionsChanged
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
// with the five families queried concurrently. Bases are resolved with the base rule (own
// snapshot, else the sum of the children's bases) from the snapshots of the selection's subtree.
func (e *Engine) fetch(ctx context.Context, sel selector, months []schema.Month, vers map[familyMonth]uint64) (monthData, error) {
	var (
		survey     []surveyRow
		window     []windowRow
		complaints []complaintsRow
		churn      []churnRow
		snaps      []baseRow
	)
	g, gctx := errgroup.WithContext(ctx)
	if vf, ok := versionFilter(vers, FamilySurvey, months); ok {
		g.Go(func() (err error) {
			survey, err = e.loadSurvey(gctx, vf+" AND "+sel.where())
			return err
		})
	}
	if vf, ok := versionFilter(vers, FamilyWindow, months); ok {
		g.Go(func() (err error) {
			window, err = e.loadWindow(gctx, vf+" AND "+sel.where())
			return err
		})
	}
	if vf, ok := versionFilter(vers, FamilyComplaints, months); ok {
		g.Go(func() (err error) {
			complaints, err = e.loadComplaints(gctx, vf+" AND "+sel.where())
			return err
		})
	}
	if vf, ok := versionFilter(vers, FamilyChurn, months); ok {
		g.Go(func() (err error) {
			churn, err = e.loadChurn(gctx, vf+" AND "+sel.where())
			return err
		})
	}
	if vf, ok := versionFilter(vers, FamilyBase, months); ok {
		g.Go(func() (err error) {
			snaps, err = e.loadBase(gctx, vf+" AND "+subtreeCond(sel.baseRoot()))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	md := make(monthData, len(months))
	for _, r := range survey {
		d := md.get(r.month, r.branch)
		if d.Survey == nil {
			d.Survey = make(kpi.SurveyStats)
		}
		items := d.Survey[r.carrier]
		if items == nil {
			items = make(map[string]kpi.Moments)
			d.Survey[r.carrier] = items
		}
		items[r.item] = r.m
	}
	for _, r := range window {
		md.get(r.month, r.branch).Window = r.w
	}
	for _, r := range complaints {
		md.get(r.month, r.branch).Complaints = r.c
	}
	for _, r := range churn {
		md.get(r.month, r.branch).Churn = r.c
	}
	byMonth := make(map[schema.Month]map[string]kpi.Snapshot)
	for _, r := range snaps {
		s := byMonth[r.month]
		if s == nil {
			s = make(map[string]kpi.Snapshot)
			byMonth[r.month] = s
		}
		s[r.branch] = r.s
	}
	for m, s := range byMonth {
		for b, base := range resolveBases(s) {
			if sel.selects(b) {
				md.get(m, b).Base = base
			}
		}
	}
	return md, nil
}

type surveyRow struct {
	month         schema.Month
	branch        string
	carrier, item string
	m             kpi.Moments
}

func (e *Engine) loadSurvey(ctx context.Context, where string) ([]surveyRow, error) {
	q := "SELECT month, branch_id, carrier, item, n, sw, sw2, swx, swx2 FROM kpi_survey WHERE " + where
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_survey: %w", err)
	}
	defer rows.Close()
	var out []surveyRow
	for rows.Next() {
		var (
			r  surveyRow
			mo uint32
		)
		if err := rows.Scan(&mo, &r.branch, &r.carrier, &r.item, &r.m.N, &r.m.SW, &r.m.SW2, &r.m.SWX, &r.m.SWX2); err != nil {
			return nil, fmt.Errorf("load kpi_survey: %w", err)
		}
		r.month = schema.Month(mo)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_survey: %w", err)
	}
	return out, nil
}

type windowRow struct {
	month  schema.Month
	branch string
	w      kpi.Window
}

func (e *Engine) loadWindow(ctx context.Context, where string) ([]windowRow, error) {
	q := `SELECT month, branch_id, hotline_n, hotline_satisfied, hotline_resolved, hotline_wait_sum,
  hotline_sl20, store_n, store_satisfied, store_wait_sum FROM kpi_window WHERE ` + where
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_window: %w", err)
	}
	defer rows.Close()
	var out []windowRow
	for rows.Next() {
		var (
			r  windowRow
			mo uint32
			w  = &r.w
		)
		if err := rows.Scan(&mo, &r.branch, &w.HotlineN, &w.HotlineSatisfied, &w.HotlineResolved, &w.HotlineWaitSum,
			&w.HotlineSL20, &w.StoreN, &w.StoreSatisfied, &w.StoreWaitSum); err != nil {
			return nil, fmt.Errorf("load kpi_window: %w", err)
		}
		r.month = schema.Month(mo)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_window: %w", err)
	}
	return out, nil
}

type complaintsRow struct {
	month  schema.Month
	branch string
	c      kpi.Complaints
}

func (e *Engine) loadComplaints(ctx context.Context, where string) ([]complaintsRow, error) {
	q := `SELECT month, branch_id, opened, escalated, closed, closed_within_sla, resolution_hours_sum,
  callback_n, callback_satisfied FROM kpi_complaints WHERE ` + where
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_complaints: %w", err)
	}
	defer rows.Close()
	var out []complaintsRow
	for rows.Next() {
		var (
			r  complaintsRow
			mo uint32
			c  = &r.c
		)
		if err := rows.Scan(&mo, &r.branch, &c.Opened, &c.Escalated, &c.Closed, &c.ClosedWithinSLA,
			&c.ResolutionHoursSum, &c.CallbackN, &c.CallbackSatisfied); err != nil {
			return nil, fmt.Errorf("load kpi_complaints: %w", err)
		}
		r.month = schema.Month(mo)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_complaints: %w", err)
	}
	return out, nil
}

type churnRow struct {
	month  schema.Month
	branch string
	c      kpi.ChurnCounts
}

func (e *Engine) loadChurn(ctx context.Context, where string) ([]churnRow, error) {
	q := "SELECT month, branch_id, churned, churned_high, churned_mid, churned_low FROM kpi_churn WHERE " + where
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_churn: %w", err)
	}
	defer rows.Close()
	var out []churnRow
	for rows.Next() {
		var (
			r  churnRow
			mo uint32
		)
		if err := rows.Scan(&mo, &r.branch, &r.c.Churned, &r.c.High, &r.c.Mid, &r.c.Low); err != nil {
			return nil, fmt.Errorf("load kpi_churn: %w", err)
		}
		r.month = schema.Month(mo)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_churn: %w", err)
	}
	return out, nil
}

type baseRow struct {
	month  schema.Month
	branch string
	s      kpi.Snapshot
}

func (e *Engine) loadBase(ctx context.Context, where string) ([]baseRow, error) {
	q := "SELECT month, branch_id, subscribers, has_tiers, tier_high, tier_mid, tier_low FROM kpi_base WHERE " + where
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load kpi_base: %w", err)
	}
	defer rows.Close()
	var out []baseRow
	for rows.Next() {
		var (
			r       baseRow
			mo      uint32
			hasT    uint8
			h, m, l uint64
		)
		if err := rows.Scan(&mo, &r.branch, &r.s.Subscribers, &hasT, &h, &m, &l); err != nil {
			return nil, fmt.Errorf("load kpi_base: %w", err)
		}
		if hasT != 0 {
			r.s.Tiers = &kpi.Tiers{High: h, Mid: m, Low: l}
		}
		r.month = schema.Month(mo)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load kpi_base: %w", err)
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
