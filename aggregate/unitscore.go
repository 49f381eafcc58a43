package aggregate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// WithFrontline returns a view of e that scores front-line units (UnitScore, UnitScores) with
// the schemes fs and the staff roles of roster r. Without it, e scores with the default preset
// (kpi.DefaultFrontlinePreset) and every staff member has the schemes' default role.
func (e *Engine) WithFrontline(fs *kpi.FrontlineSchemes, r kpi.Roster) *Engine {
	v := *e
	v.schemes, v.roster = fs, r
	return &v
}

// frontline returns the engine's front-line schemes.
func (e *Engine) frontline() (*kpi.FrontlineSchemes, error) {
	if e.schemes != nil {
		return e.schemes, nil
	}
	return kpi.FrontlinePreset(kpi.DefaultFrontlinePreset, e.cat)
}

// scoreRequest is what one UnitScore or UnitScores call scores.
type scoreRequest struct {
	fs     *kpi.FrontlineSchemes
	p      kpi.Period
	months []schema.Month
}

func (e *Engine) scoreRequest(period string) (scoreRequest, error) {
	fs, err := e.frontline()
	if err != nil {
		return scoreRequest{}, err
	}
	p, err := fs.Period(period)
	if err != nil {
		return scoreRequest{}, &ParamError{Param: "period", Msg: err.Error()}
	}
	r := scoreRequest{fs: fs, p: p}
	for _, pm := range p.Months {
		r.months = append(r.months, pm.Month)
	}
	return r, nil
}

// UnitScore returns one unit's score under its front-line scheme (SPEC §5.2, §5.5) for a
// period (YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2, YYYY or a period the schemes file names): the
// scheme of its kind (staff: of their role in the roster), its parts and components with values,
// points and flags, and the adjustments naming it in the period. Each month is scored on the
// unit's card of that month, its proportions smoothed among the units of its parent in that
// month (UnitCard's rule); a staff member's team values are their store's (the store of the
// period) and team:score is that store's adjusted total; a store's, agent's or manager's team
// values are their branch's card. When the schemes score no unit of that kind (or role), the
// error wraps kpi.ErrNoScheme.
func (e *Engine) UnitScore(ctx context.Context, kind, id, period string) (kpi.UnitScore, error) {
	if err := checkUnit(kind, id); err != nil {
		return kpi.UnitScore{}, err
	}
	req, err := e.scoreRequest(period)
	if err != nil {
		return kpi.UnitScore{}, err
	}
	// The unit's rows and those of the units that share a parent with it in any month of the
	// period (the smoothing of its proportions), in one read.
	parentCol := "branch_id"
	if kind == kpi.UnitStaff {
		parentCol = "store_id"
	}
	cond := fmt.Sprintf("kind = %s AND (unit_id = %s OR %s IN (SELECT %s FROM %s WHERE kind = %s AND unit_id = %s AND %s != '' AND month IN (%s)))",
		quote(kind), quote(id), parentCol, parentCol, FamilyFrontline.Table(), quote(kind), quote(id), parentCol, monthList(req.months))
	rows, err := e.unitRows(ctx, req.months, cond)
	if err != nil {
		return kpi.UnitScore{}, err
	}
	var target kpi.UnitStats
	for _, u := range poolUnits(rows) {
		if u.ID == id {
			target = u
		}
	}
	if target.ID == "" {
		target = kpi.UnitStats{Kind: kind, ID: id}
	}
	if target.Branch == "" {
		if err := e.placeBefore(ctx, &target, req.months[0]); err != nil {
			return kpi.UnitScore{}, err
		}
	}
	out, err := e.scoreUnits(ctx, req, []kpi.UnitStats{target}, rows)
	if err != nil {
		return kpi.UnitScore{}, err
	}
	return out[0], nil
}

// UnitScores returns the scores (as UnitScore) of the units of one kind under parent for a
// period, sorted by unit id: stores, agents and managers placed at parent or a branch below
// it (ALL: all of them), or the staff of store parent (kind staff) — the units Units lists.
// The input of a league table by total. It reads with a fixed number of queries whatever the
// number of units.
func (e *Engine) UnitScores(ctx context.Context, kind, parent, period string) ([]kpi.UnitScore, error) {
	if err := checkUnit(kind, "x"); err != nil {
		return nil, err
	}
	req, err := e.scoreRequest(period)
	if err != nil {
		return nil, err
	}
	cond, under, err := unitsUnder(kind, parent)
	if err != nil {
		return nil, err
	}
	return e.scoresWhere(ctx, req, cond, under)
}

// scoresWhere scores the units whose rows cond selects and whose pooled placement passes under.
func (e *Engine) scoresWhere(ctx context.Context, req scoreRequest, cond string, under func(kpi.UnitStats) bool) ([]kpi.UnitScore, error) {
	rows, err := e.unitRows(ctx, req.months, cond)
	if err != nil {
		return nil, err
	}
	targets := slices.DeleteFunc(poolUnits(rows), func(u kpi.UnitStats) bool { return !under(u) })
	return e.scoreUnits(ctx, req, targets, rows)
}

// scoreUnits scores targets (pooled over the period, placed) from rows, the per-month rows of
// the targets and of their parents' other units.
func (e *Engine) scoreUnits(ctx context.Context, req scoreRequest, targets []kpi.UnitStats, rows []unitMonth) ([]kpi.UnitScore, error) {
	if len(targets) == 0 {
		return []kpi.UnitScore{}, nil
	}
	kind := targets[0].Kind
	cards := e.unitMonthCards(rows)
	subjects := map[string][]string{kind: unitIDs(targets)}

	// Staff: their stores' cards, scores and adjusted totals (team:<metric>, team:score).
	var storeIDs []string
	if kind == kpi.UnitStaff {
		for _, u := range targets {
			if u.Store != "" && !slices.Contains(storeIDs, u.Store) {
				storeIDs = append(storeIDs, u.Store)
			}
		}
		if len(storeIDs) > 0 {
			subjects[kpi.UnitStore] = storeIDs
		}
	}
	// The stores' rows (with their branches' other stores, for smoothing), the reported scores
	// and the adjustments are independent reads: run them together.
	var (
		srows       []unitMonth
		scores      map[string]map[schema.Month]map[string]float64
		adjustments map[string][]kpi.Adjustment
	)
	g, gctx := errgroup.WithContext(ctx)
	if len(storeIDs) > 0 {
		g.Go(func() (err error) {
			in := stringList(storeIDs)
			srows, err = e.unitRows(gctx, req.months, fmt.Sprintf(
				"kind = 'store' AND (unit_id IN (%s) OR branch_id IN (SELECT branch_id FROM %s WHERE kind = 'store' AND unit_id IN (%s) AND branch_id != '' AND month IN (%s)))",
				in, FamilyFrontline.Table(), in, monthList(req.months)))
			return err
		})
	}
	g.Go(func() (err error) {
		scores, err = e.reportedScores(gctx, req.months, subjects)
		return err
	})
	g.Go(func() (err error) {
		adjustments, err = e.unitAdjustments(gctx, req.months, subjects)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	storeCards := e.unitMonthCards(srows)
	var stores []kpi.UnitStats
	for _, s := range poolUnits(srows) {
		if slices.Contains(storeIDs, s.ID) {
			stores = append(stores, s)
		}
	}
	for _, id := range storeIDs {
		if !slices.ContainsFunc(stores, func(s kpi.UnitStats) bool { return s.ID == id }) {
			stores = append(stores, kpi.UnitStats{Kind: kpi.UnitStore, ID: id})
		}
	}
	var storeScores map[string]kpi.UnitScore
	if len(stores) > 0 {
		scheme, err := req.fs.For(kpi.UnitStore, "")
		if err != nil {
			return nil, err
		}
		branchCards, err := e.teamBranchCards(ctx, scheme, stores, req.months)
		if err != nil {
			return nil, err
		}
		storeScores = map[string]kpi.UnitScore{}
		for _, s := range stores {
			in := e.schemeInput(req, s, "", storeCards, scores, adjustments, branchCards)
			storeScores[s.ID] = scheme.Evaluate(in)
		}
	}

	// Stores, agents and managers: one scheme, whose team:<metric> reads their branches' cards.
	var branchCards map[string]map[schema.Month]*kpi.Card
	if kind != kpi.UnitStaff {
		scheme, err := req.fs.For(kind, "")
		if err != nil {
			return nil, err
		}
		if branchCards, err = e.teamBranchCards(ctx, scheme, targets, req.months); err != nil {
			return nil, err
		}
	}
	out := make([]kpi.UnitScore, 0, len(targets))
	for _, u := range targets {
		role := ""
		if kind == kpi.UnitStaff {
			role = e.roster.Role(u.ID, req.fs)
		}
		scheme, err := req.fs.For(kind, role)
		if err != nil {
			return nil, err
		}
		in := e.schemeInput(req, u, role, cards, scores, adjustments, branchCards)
		if kind == kpi.UnitStaff && u.Store != "" {
			if ss, ok := storeScores[u.Store]; ok {
				in.TeamScore = &ss.AdjustedTotal
			}
			for m, sm := range in.Months {
				if c := storeCards[unitKey(kpi.UnitStore, u.Store)][m]; c != nil {
					sm.Team = c
				} else {
					sm.Team = e.emptyCard(kpi.UnitStore, u.Store, m)
				}
				in.Months[m] = sm
			}
		}
		out = append(out, scheme.Evaluate(in))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out, nil
}

// schemeInput assembles the input of one unit's scheme.
func (e *Engine) schemeInput(req scoreRequest, u kpi.UnitStats, role string, cards map[string]map[schema.Month]*kpi.UnitCard,
	scores map[string]map[schema.Month]map[string]float64, adjustments map[string][]kpi.Adjustment,
	branchCards map[string]map[schema.Month]*kpi.Card) kpi.SchemeInput {
	key := unitKey(u.Kind, u.ID)
	in := kpi.SchemeInput{Kind: u.Kind, Unit: u.ID, Role: role, Branch: u.Branch, Store: u.Store, Period: req.p,
		Months: map[schema.Month]kpi.SchemeMonth{}, Adjustments: adjustments[key]}
	for _, m := range req.months {
		sm := kpi.SchemeMonth{Card: cards[key][m], Scores: scores[key][m]}
		if sm.Card == nil {
			sm.Card = e.emptyCard(u.Kind, u.ID, m)
		}
		if bc := branchCards[u.Branch]; bc != nil {
			sm.Branch = bc[m]
		}
		in.Months[m] = sm
	}
	return in
}

// emptyCard is the card of a unit without events in month m: counts 0, values null.
func (e *Engine) emptyCard(kind, id string, m schema.Month) *kpi.UnitCard {
	c := kpi.ComputeUnitCard(kpi.UnitStats{Kind: kind, ID: id}, m.String(), e.cfg.MinSample)
	return &c
}

// unitMonthCards computes the card of every row, each month's proportions smoothed among the
// units with the same parent in that month; by unit (kind NUL id), then month.
func (e *Engine) unitMonthCards(rows []unitMonth) map[string]map[schema.Month]*kpi.UnitCard {
	byMonth := map[schema.Month][]kpi.UnitStats{}
	for _, r := range rows {
		byMonth[r.month] = append(byMonth[r.month], r.stats)
	}
	out := map[string]map[schema.Month]*kpi.UnitCard{}
	for m, stats := range byMonth {
		cards := make([]kpi.UnitCard, len(stats))
		for i, u := range stats {
			cards[i] = kpi.ComputeUnitCard(u, m.String(), e.cfg.MinSample)
		}
		kpi.SmoothUnits(stats, cards)
		for i, u := range stats {
			key := unitKey(u.Kind, u.ID)
			if out[key] == nil {
				out[key] = map[schema.Month]*kpi.UnitCard{}
			}
			out[key][m] = &cards[i]
		}
	}
	return out
}

// teamBranchCards reads the cards of the units' branches for the months when scheme has a
// team:<metric> component that names a branch metric; nil otherwise.
func (e *Engine) teamBranchCards(ctx context.Context, scheme *kpi.Scheme, units []kpi.UnitStats, months []schema.Month) (map[string]map[schema.Month]*kpi.Card, error) {
	need := false
	for _, p := range scheme.Parts {
		for _, c := range p.Components {
			need = need || c.Source == kpi.SourceTeam
		}
	}
	if !need {
		return nil, nil
	}
	out := map[string]map[schema.Month]*kpi.Card{}
	for _, u := range units {
		if u.Branch == "" || out[u.Branch] != nil {
			continue
		}
		out[u.Branch] = map[schema.Month]*kpi.Card{}
		for _, m := range months {
			c, err := e.Card(ctx, u.Branch, m)
			if err != nil {
				return nil, fmt.Errorf("team card of %s %s: %w", u.Kind, u.ID, err)
			}
			out[u.Branch][m] = &c
		}
	}
	return out, nil
}

// subjectCond is the condition on subject_kind and subject_id selecting the units of subjects
// (kind → ids).
func subjectCond(subjects map[string][]string) string {
	kinds := make([]string, 0, len(subjects))
	for k := range subjects {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("(subject_kind = %s AND subject_id IN (%s))", quote(k), stringList(subjects[k]))
	}
	return strings.Join(parts, " OR ")
}

// reportedScores reads the score_reported values of the subjects in the months: for each
// (subject, component, month) the value of the latest occurred_at, ties the greater event_id
// (SPEC §5.1). By unit (kind NUL id), month and component.
func (e *Engine) reportedScores(ctx context.Context, months []schema.Month, subjects map[string][]string) (map[string]map[schema.Month]map[string]float64, error) {
	t := store.ScoresReported.Name()
	q := fmt.Sprintf(`SELECT subject_kind, subject_id, component, month, argMax(value, tuple(occurred_at, event_id))
FROM %s WHERE month IN (%s) AND (%s) GROUP BY subject_kind, subject_id, component, month`, t, monthList(months), subjectCond(subjects))
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	defer rows.Close()
	out := map[string]map[schema.Month]map[string]float64{}
	for rows.Next() {
		var (
			kind, id, comp string
			m              uint32
			v              float64
		)
		if err := rows.Scan(&kind, &id, &comp, &m, &v); err != nil {
			return nil, fmt.Errorf("read %s: %w", t, err)
		}
		key := unitKey(kind, id)
		if out[key] == nil {
			out[key] = map[schema.Month]map[string]float64{}
		}
		if out[key][schema.Month(m)] == nil {
			out[key][schema.Month(m)] = map[string]float64{}
		}
		out[key][schema.Month(m)][comp] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return out, nil
}

// unitAdjustments reads the adjustments of the subjects with a period among the months, each
// event_id once, without those an adjustment_void names (whichever arrived first: nothing is
// precomputed). By unit (kind NUL id).
func (e *Engine) unitAdjustments(ctx context.Context, months []schema.Month, subjects map[string][]string) (map[string][]kpi.Adjustment, error) {
	t := store.Adjustments.Name()
	q := fmt.Sprintf(`SELECT event_id, any(subject_kind), any(subject_id), any(month), any(points), any(reason), any(ref)
FROM %s WHERE month IN (%s) AND (%s) AND event_id NOT IN (SELECT target_event_id FROM %s)
GROUP BY event_id ORDER BY event_id`, t, monthList(months), subjectCond(subjects), store.AdjustmentVoids.Name())
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	defer rows.Close()
	out := map[string][]kpi.Adjustment{}
	for rows.Next() {
		var (
			a        kpi.Adjustment
			kind, id string
			m        uint32
		)
		if err := rows.Scan(&a.EventID, &kind, &id, &m, &a.Points, &a.Reason, &a.Ref); err != nil {
			return nil, fmt.Errorf("read %s: %w", t, err)
		}
		a.Period = schema.Month(m)
		out[unitKey(kind, id)] = append(out[unitKey(kind, id)], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return out, nil
}

// unitKey is the key of a unit in the maps of this file: kind NUL id.
func unitKey(kind, id string) string { return kind + "\x00" + id }

func unitIDs(us []kpi.UnitStats) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// stringList is ids as a list of SQL string literals.
func stringList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = quote(id)
	}
	return strings.Join(q, ", ")
}

// monthList is months as a list of SQL integers.
func monthList(months []schema.Month) string {
	q := make([]string, len(months))
	for i, m := range months {
		q[i] = fmt.Sprint(uint32(m))
	}
	return strings.Join(q, ", ")
}
