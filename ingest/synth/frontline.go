package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/csat-dev/csat/schema"
)

// The front line (SPEC §5.1–5.2): stores, their staff, hotline agents and customer managers.
//
// Units and their ids:
//   - stores: 2–4 per county, "<county>-S01" …; staff: staffPerStore per store, "<store>-E01" …;
//   - hotline agents: 20–39 per city (the city's call centre), "<city>-A001" …, taking the calls
//     of every county of the city (a call's branch_id is the caller's county);
//   - customer managers: enterpriseManagers per city, "CM-<city>-1" … (survey.go, churn).
//
// Every month, per store:
//   - inspection: the city publishes a patrol (组巡) and a mystery-shopping (暗访) result, the
//     province one result, patrol and mystery in turn month by month (the seed's 省公司/市公司当月
//     公布的组巡或暗访成绩). Patrol scores about 90, mystery about 86, each store a persistent
//     effect of ±2; a mystery visit names the clerk served (70 %).
//   - score_reported for the store team's components assessed elsewhere (StoreComponents) and
//     for each staff member (StaffComponents), reported on the last evening of the month; about 3 %
//     of the stores' new-customer sales figures are restated two hours later (the later one wins).
//     Each customer manager's business result (ManagerComponents).
//   - adjustment (典型事件加减分): a store about 4 % of its months (a letter of praise +2, a failed
//     safety check −3), a staff member about 1 % (+1 / −2); two entered in error and retracted by
//     an adjustment_void, one void after its adjustment, one before.
//
// complaint_opened names units: of those lodged at a store 80 % name the store of the county and
// 60 % of these a staff member; 40 % of those lodged with the hotline name an agent of the city.
// A churned high-tier customer names a customer manager 30 % of the time.

// staffPerStore is the number of staff of every store.
const staffPerStore = 8

// Component codes of score_reported (SPEC §5.1: [a-z0-9_]{1,32}), those of the shipped front-line
// schemes (aggregate/kpi/presets/frontline/default.yaml): the store team's parts the seed
// assesses outside the rating system (销售指标 40: awareness, new customers, devices, campaigns;
// 内部管理 20: safety, reports, exam; 内控管理 10; 运营管理 10), a staff member's personal parts
// (sales, exam, attendance) and a customer manager's business results.
var (
	StoreComponents = []string{"sales_awareness", "sales_new_customers", "sales_devices", "sales_campaigns",
		"safety", "reports", "exam", "internal_control", "operations"}
	StaffComponents   = []string{"sales", "exam", "attendance"}
	ManagerComponents = []string{"business"}
)

// componentModel is a component's mean and standard deviation (0–100).
var componentModel = map[string][2]float64{
	"sales_awareness": {80, 7}, "sales_new_customers": {76, 9}, "sales_devices": {74, 9}, "sales_campaigns": {79, 8},
	"safety": {93, 4}, "reports": {88, 5}, "exam": {85, 8}, "internal_control": {92, 4}, "operations": {85, 6},
	"sales": {78, 8}, "attendance": {97, 2.5}, "business": {90, 5},
}

func storeID(county string, n int) string { return fmt.Sprintf("%s-S%02d", county, n) }
func staffID(store string, n int) string  { return fmt.Sprintf("%s-E%02d", store, n) }
func agentID(city string, n int) string   { return fmt.Sprintf("%s-A%03d", city, n) }
func managerID(city string, n int) string { return fmt.Sprintf("CM-%s-%d", city, n) }

// windowEff is a county's persistent window parameters: the shares of satisfied hotline and
// store ratings, the mean hotline wait and the number of stores.
type windowEff struct {
	pHotline, pStore, waitMean float64
	stores                     int
}

func (g *gen) windowEffect(county string) windowEff {
	eff := g.rng("window-effect", county)
	var w windowEff
	w.pHotline = math.Min(0.985, 0.935+eff.NormFloat64()*0.012)
	w.pStore = math.Min(0.99, 0.955+eff.NormFloat64()*0.01)
	w.waitMean = 18 + 10*eff.Float64()
	w.stores = 2 + eff.IntN(3)
	return w
}

// agents is the number of hotline agents of a city.
func (g *gen) agents(city string) int { return 20 + g.rng("agents", city).IntN(20) }

// The planted front-line stories (FrontlineStories), in the last three months of the range.
const (
	// StoryMystery: one store's mystery-shopping results collapse. In story month s (1, 2, 3) its
	// city-published mystery score is set so that the mean of the city's two inspections of it is
	// its usual level − StoryMysteryStep·s (so ≈ 24 points down in the last month, the mystery
	// score itself about 40); the province's mystery visits fall by 15 points a step. Every other
	// store's city patrol score is at least 75 and its mystery score at least 72, so in the last
	// month the store is the lowest of all stores by city inspection.
	StoryMystery     = "mystery_collapse"
	StoryMysteryStep = 8.0

	// StoryClerk: one clerk draws complaints. In each story month every complaint of the clerk's
	// county about service or marketing, and every one lodged at a store, names the clerk (and
	// their store), at least StoryClerkMin a month; the county is the one of its city with the
	// most complaints expected.
	StoryClerk    = "clerk_complaints"
	StoryClerkMin = 2

	// StorySlowAgent: one hotline agent's waits grow: × (1 + 1.5·s) in story month s (× 5.5 in
	// the last month, an average wait of about two minutes where the city's agents average 20–30
	// seconds). The ratings do not change.
	StorySlowAgent = "agent_waits"
)

// FrontlineStory is one planted front-line story: the unit and what a league table of its
// parent finds in the story months.
type FrontlineStory struct {
	Name   string // StoryMystery, StoryClerk or StorySlowAgent
	Kind   string // the unit kind: store, staff or agent
	Unit   string // the unit id
	Store  string // staff: their store
	County string // store and staff: the county of their store (the unit's branch, SPEC §5.5)
	City   string // the city above
	// Metric is the card value that singles the unit out, and Lowest whether the unit has the
	// lowest (else the highest) of its parent's units: inspection.city (lowest), complaints,
	// avg_wait.
	Metric       string
	Lowest       bool
	Start, Month schema.Month // the first and the last story month
	Summary      string
}

type frontlinePlan struct {
	store, storeCounty, storeCity  string
	clerk, clerkStore, clerkCounty string
	clerkCity, agent, agentCity    string
	voidStore, voidStaff           string
	last                           schema.Month
}

// step is the story step of month m: 1, 2, 3 in the last three months, else 0.
func (p frontlinePlan) step(m schema.Month) int {
	if s := monthsBetween(p.last.Add(-3), m); s >= 1 && s <= 3 {
		return s
	}
	return 0
}

// planFrontline picks the story units: a store of GD-GZ, a clerk of ZJ-NB and an agent of JS-SZ
// when the hierarchy has these cities, else of its first cities not used yet.
func (g *gen) planFrontline() frontlinePlan {
	t := g.tree
	used := map[string]bool{}
	city := func(prefer string) Branch {
		if b, ok := t.names[prefer]; ok && !used[prefer] {
			used[prefer] = true
			return b
		}
		for _, c := range t.cities {
			if !used[c.ID] {
				used[c.ID] = true
				return c
			}
		}
		return t.cities[0]
	}
	p := frontlinePlan{last: g.cfg.EndMonth}
	sc := city("GD-GZ")
	p.storeCity, p.storeCounty = sc.ID, t.counties[sc.ID][0].ID
	p.store = storeID(p.storeCounty, 1)
	cc := city("ZJ-NB")
	best := -1.0
	for _, c := range t.counties[cc.ID] {
		if l := g.complaintLambda(c.ID, 0); l > best {
			best, p.clerkCounty = l, c.ID
		}
	}
	p.clerkCity, p.clerkStore = cc.ID, storeID(p.clerkCounty, 1)
	p.clerk = staffID(p.clerkStore, 3)
	ac := city("JS-SZ")
	p.agentCity, p.agent = ac.ID, agentID(ac.ID, 7)
	// The adjustments entered in error: a store and a staff member of the store story's county.
	p.voidStore = storeID(p.storeCounty, 2)
	p.voidStaff = staffID(p.voidStore, 1)
	return p
}

// FrontlineStories returns the front-line stories planted for cfg (three, whatever the range:
// with fewer than four months only the story months in range carry them).
func FrontlineStories(cfg Config) []FrontlineStory {
	cfg = cfg.withDefaults()
	g := &gen{cfg: cfg, tree: buildTree(cfg.Scale)}
	p := g.planFrontline()
	start := max(p.last.Add(-2), cfg.FirstMonth())
	return []FrontlineStory{
		{Name: StoryMystery, Kind: "store", Unit: p.store, County: p.storeCounty, City: p.storeCity,
			Metric: "inspection.city", Lowest: true, Start: start, Month: p.last,
			Summary: fmt.Sprintf("store %s: mystery shopping collapses, city inspection %.0f points down by %v, the lowest of its city's stores",
				p.store, 3*StoryMysteryStep, p.last)},
		{Name: StoryClerk, Kind: "staff", Unit: p.clerk, Store: p.clerkStore, County: p.clerkCounty, City: p.clerkCity,
			Metric: "complaints", Start: start, Month: p.last,
			Summary: fmt.Sprintf("clerk %s of store %s: the service complaints of %s name them, the most of their store's staff",
				p.clerk, p.clerkStore, p.clerkCounty)},
		{Name: StorySlowAgent, Kind: "agent", Unit: p.agent, City: p.agentCity,
			Metric: "avg_wait", Start: start, Month: p.last,
			Summary: fmt.Sprintf("hotline agent %s of %s: waits × 2.5, × 4, × 5.5, the longest average wait of the city's agents",
				p.agent, p.agentCity)},
	}
}

// slow is the long-waits story's agent in a city and month, and their wait factor.
type slow struct {
	id     string
	factor float64
}

func (g *gen) slowAgent(city string, m schema.Month) slow {
	s := g.fl.step(m)
	if city != g.fl.agentCity || s == 0 {
		return slow{}
	}
	return slow{id: g.fl.agent, factor: 1 + 1.5*float64(s)}
}

// complaintLambda is the expected number of complaints of a county in month index mi (before
// any story).
func (g *gen) complaintLambda(county string, mi int) float64 {
	return g.base(county, mi).subscribers * complaintRate * (0.6 + g.rng("complaint-factor", county).Float64())
}

// attribute names the units of a county's complaints of month m (a draw of its own per
// complaint, so nothing else in the stream moves), and plants the clerk story.
func (g *gen) attribute(city, county Branch, m schema.Month, evs []complaintOpenedJSON) {
	stores := g.windowEffect(county.ID).stores
	agents := g.agents(city.ID)
	for i := range evs {
		ev := &evs[i]
		r := g.rng("attribution", ev.EventID)
		switch ev.Channel {
		case "store":
			if r.Float64() < 0.8 {
				ev.StoreID = storeID(county.ID, 1+r.IntN(stores))
				if r.Float64() < 0.6 {
					ev.StaffID = staffID(ev.StoreID, 1+r.IntN(staffPerStore))
				}
			}
		case "hotline":
			if r.Float64() < 0.4 {
				ev.AgentID = agentID(city.ID, 1+r.IntN(agents))
			}
		}
	}
	p := g.fl
	if county.ID != p.clerkCounty || p.step(m) == 0 {
		return
	}
	named := 0
	name := func(ev *complaintOpenedJSON) {
		ev.StoreID, ev.StaffID, ev.AgentID = p.clerkStore, p.clerk, ""
		named++
	}
	for i := range evs {
		if ev := &evs[i]; ev.Category == "service" || ev.Category == "marketing" || ev.Channel == "store" {
			name(ev)
		}
	}
	for i := range evs {
		if ev := &evs[i]; named < StoryClerkMin && ev.StaffID != p.clerk {
			name(ev)
		}
	}
}

// churnManager names the customer manager of a churned high-tier customer, 30 % of the time.
func (g *gen) churnManager(ev *churnJSON, city string) {
	if ev.Tier != "high" {
		return
	}
	if r := g.rng("churn-manager", ev.EventID); r.Float64() < 0.3 {
		ev.ManagerID = managerID(city, 1+r.IntN(enterpriseManagers))
	}
}

type inspectionJSON struct {
	envelope
	StoreID     string  `json:"store_id"`
	Kind        string  `json:"kind"`
	PublishedBy string  `json:"published_by"`
	Score       float64 `json:"score"`
	StaffID     string  `json:"staff_id,omitempty"`
}

type scoreReportedJSON struct {
	envelope
	Subject   string  `json:"subject"`
	Component string  `json:"component"`
	Period    string  `json:"period"`
	Value     float64 `json:"value"`
}

type adjustmentJSON struct {
	envelope
	Subject string  `json:"subject"`
	Period  string  `json:"period"`
	Points  float64 `json:"points"`
	Reason  string  `json:"reason"`
	Ref     string  `json:"ref,omitempty"`
}

type adjustmentVoidJSON struct {
	envelope
	TargetEventID string `json:"target_event_id"`
	Reason        string `json:"reason"`
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// reportTime is a time on the last evening of month m (18:00–20:00), when other systems
// report the month's components.
func reportTime(r *rand.Rand, m schema.Month) time.Time {
	return monthStart(m).AddDate(0, 1, 0).Add(-6*time.Hour + time.Duration(r.IntN(7200))*time.Second)
}

// frontlineMonth emits month m's inspections, reported scores and adjustments, city by city.
func (g *gen) frontlineMonth(m schema.Month) error {
	for _, city := range g.tree.cities {
		for _, county := range g.tree.counties[city.ID] {
			for s := 1; s <= g.windowEffect(county.ID).stores; s++ {
				if err := g.storeMonth(county.ID, storeID(county.ID, s), m); err != nil {
					return err
				}
			}
		}
		r := g.rng("manager-scores", city.ID, monthKey(m))
		for i := 1; i <= enterpriseManagers; i++ {
			if err := g.score(r, city.ID, "manager:"+managerID(city.ID, i), ManagerComponents, m, ""); err != nil {
				return err
			}
		}
	}
	return g.plantedAdjustments(m)
}

// storeMonth emits one store's inspections, scores and adjustments of month m.
func (g *gen) storeMonth(county, store string, m schema.Month) error {
	e := clampF(g.rng("store-effect", store).NormFloat64()*2, -5, 5)
	r := g.rng("inspections", store, monthKey(m))
	step := g.fl.step(m)
	planted := store == g.fl.store && step > 0
	send := func(seq, kind, by string, score float64, staff string) error {
		ev := inspectionJSON{envelope: g.env(fmt.Sprintf("in-%s-%s-%s", store, monthKey(m), seq), schema.TypeInspection, randomTime(r, m), county),
			StoreID: store, Kind: kind, PublishedBy: by, Score: round1(clampF(score, 0, 100))}
		if kind == schema.InspectionMystery && r.Float64() < 0.7 {
			ev.StaffID = staffID(store, 1+r.IntN(staffPerStore))
		}
		if staff != "" {
			ev.StaffID = staff
		}
		return g.send(schema.TypeInspection, county, ev, false)
	}
	patrol := clampF(90+e+r.NormFloat64()*3, 75, 100)
	mystery := clampF(86+e+r.NormFloat64()*4, 72, 100)
	if planted {
		// The city's two results average the store's usual level less the story's fall.
		mystery = 2*(88+e-StoryMysteryStep*float64(step)) - round1(patrol)
	}
	if err := send("cp", schema.InspectionPatrol, schema.PublisherCity, patrol, ""); err != nil {
		return err
	}
	if err := send("cm", schema.InspectionMystery, schema.PublisherCity, mystery, ""); err != nil {
		return err
	}
	kind, score := schema.InspectionPatrol, clampF(90+e+r.NormFloat64()*3, 75, 100)
	if m.Mon()%2 == 1 {
		kind, score = schema.InspectionMystery, clampF(86+e+r.NormFloat64()*4, 72, 100)
		if planted {
			score -= 15 * float64(step)
		}
	}
	if err := send("p", kind, schema.PublisherProvince, score, ""); err != nil {
		return err
	}

	rs := g.rng("store-scores", store, monthKey(m))
	if err := g.score(rs, county, "store:"+store, StoreComponents, m, "sales_new_customers"); err != nil {
		return err
	}
	for i := 1; i <= staffPerStore; i++ {
		if err := g.score(rs, county, "staff:"+staffID(store, i), StaffComponents, m, ""); err != nil {
			return err
		}
	}
	ra := g.rng("adjustments", store, monthKey(m))
	if x := ra.Float64(); x < 0.04 {
		adj := adjustmentJSON{Subject: "store:" + store, Period: m.String(), Points: 2, Reason: "客户表扬信（典型事件加分）",
			Ref: fmt.Sprintf("BY-%s-%s", store, monthKey(m))}
		if x < 0.015 {
			adj.Points, adj.Reason, adj.Ref = -3, "营业厅安全检查不合格（典型事件扣分）", fmt.Sprintf("AQ-%s-%s", store, monthKey(m))
		}
		adj.envelope = g.env(fmt.Sprintf("adj-%s-%s", store, monthKey(m)), schema.TypeAdjustment, randomTime(ra, m), county)
		if err := g.send(schema.TypeAdjustment, county, adj, false); err != nil {
			return err
		}
	}
	for i := 1; i <= staffPerStore; i++ {
		if x := ra.Float64(); x < 0.01 {
			staff := staffID(store, i)
			adj := adjustmentJSON{Subject: "staff:" + staff, Period: m.String(), Points: 1, Reason: "顾客书面表扬"}
			if x < 0.004 {
				adj.Points, adj.Reason = -2, "服务规范检查扣分"
			}
			adj.envelope = g.env(fmt.Sprintf("adj-%s-%s", staff, monthKey(m)), schema.TypeAdjustment, randomTime(ra, m), county)
			if err := g.send(schema.TypeAdjustment, county, adj, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// score emits one score_reported per component of subject for month m; restate names a
// component restated two hours later about 3 % of the time (the later value wins).
func (g *gen) score(r *rand.Rand, branch, subject string, components []string, m schema.Month, restate string) error {
	at := reportTime(r, m)
	for _, c := range components {
		mod := componentModel[c]
		ev := scoreReportedJSON{envelope: g.env(fmt.Sprintf("sc-%s-%s-%s", subject, monthKey(m), c), schema.TypeScoreReported, at, branch),
			Subject: subject, Component: c, Period: m.String(), Value: round1(clampF(mod[0]+r.NormFloat64()*mod[1], 0, 100))}
		if err := g.send(schema.TypeScoreReported, branch, ev, false); err != nil {
			return err
		}
		if c == restate && r.Float64() < 0.03 {
			ev.envelope = g.env(fmt.Sprintf("sc-%s-%s-%s-r2", subject, monthKey(m), c), schema.TypeScoreReported, at.Add(2*time.Hour), branch)
			ev.Value = round1(clampF(ev.Value+r.NormFloat64()*3, 0, 100))
			if err := g.send(schema.TypeScoreReported, branch, ev, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// plantedAdjustments emits the clerk story's adjustment in its last month, and the two
// adjustments entered in error with their voids: a store's in the month before the last (the
// void after it), a staff member's in the last month (the void before it).
func (g *gen) plantedAdjustments(m schema.Month) error {
	p := g.fl
	county := p.storeCounty
	r := g.rng("planted-adjustments", monthKey(m))
	send := func(t schema.Type, branch string, v any) error { return g.send(t, branch, v, false) }
	if m == p.last {
		adj := adjustmentJSON{envelope: g.env("adj-story-"+p.clerk+"-"+monthKey(m), schema.TypeAdjustment, randomTime(r, m), p.clerkCounty),
			Subject: "staff:" + p.clerk, Period: m.String(), Points: -5, Reason: "有效投诉：服务态度（典型事件扣分）",
			Ref: "TS-" + strconv.Itoa(int(m))}
		if err := send(schema.TypeAdjustment, p.clerkCounty, adj); err != nil {
			return err
		}
	}
	var kind, unit, reason string
	switch m {
	case p.last.Prev():
		kind, unit, reason = "store", p.voidStore, "示范营业厅评比加分"
	case p.last:
		kind, unit, reason = "staff", p.voidStaff, "服务之星评比加分"
	default:
		return nil
	}
	// Within the first 27 days, so that the void an hour later is in the month too.
	at := monthStart(m).Add(time.Duration(r.IntN(27*24*3600)) * time.Second)
	id := "err-" + unit + "-" + monthKey(m)
	adj := adjustmentJSON{envelope: g.env("adj-"+id, schema.TypeAdjustment, at, county),
		Subject: kind + ":" + unit, Period: m.String(), Points: 5, Reason: reason}
	void := adjustmentVoidJSON{envelope: g.env("adv-"+id, schema.TypeAdjustmentVoid, at.Add(time.Hour), county),
		TargetEventID: adj.EventID, Reason: "录入重复，撤销"}
	if m == p.last { // the void arrives first
		if err := send(schema.TypeAdjustmentVoid, county, void); err != nil {
			return err
		}
		return send(schema.TypeAdjustment, county, adj)
	}
	if err := send(schema.TypeAdjustment, county, adj); err != nil {
		return err
	}
	return send(schema.TypeAdjustmentVoid, county, void)
}
