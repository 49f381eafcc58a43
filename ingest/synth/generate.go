package synth

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/csat-dev/csat/schema"
)

// Emit receives one generated message: its topic, key (the branch id) and JSON value. The slices
// are the callee's to keep. An error stops the generation and is returned by Generate.
type Emit func(topic string, key, value []byte) error

// Summary describes a generated stream.
type Summary struct {
	First, Last schema.Month
	Branches    int            // provinces, cities and counties
	Messages    int            // messages emitted, resent duplicates included
	Events      map[string]int // distinct events by type
	Resent      int            // messages that repeat an earlier event (same event_id, same bytes)
	Voids       int            // survey_void events (also in Events)
	Retries     int            // survey waves drawn again to hold the planted stories and guards
	Unmet       []string       // stories or guards that could not be held (normally empty)
}

// maxAttempts bounds the redraws of one city's survey wave.
const maxAttempts = 500

type gen struct {
	cfg     Config
	tree    *tree
	plan    storyPlan
	fl      frontlinePlan
	months  []schema.Month
	end     time.Time // end of the last month: nothing occurs later
	emit    Emit
	sum     Summary
	effects map[string]effect
	hist    map[string]*history
	// whist is each branch's window satisfaction so far, leadHist its lead (n = 0 when null).
	whist    map[string][]val
	leadHist map[string][]val
	// noisePath holds the noise story county's own-carrier interviews of the story months.
	noisePath map[schema.Month][]response
}

// Generate emits the stream for cfg: month by month, the subscriber snapshots, the survey waves
// (with their voids), the hotline and store ratings, then per county the complaints (closed ones
// right after they open) and churn. It holds one month of survey waves and window ratings in
// memory (a few tens of thousands of events at Scale 10). A few events are emitted
// twice (a producer's resend) and some voids come before the response they retract, so the
// exactly-once paths of ingest are exercised.
func Generate(cfg Config, emit Emit) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	cfg = cfg.withDefaults()
	g := &gen{cfg: cfg, tree: buildTree(cfg.Scale), emit: emit,
		effects: map[string]effect{}, hist: map[string]*history{}}
	g.plan = planStories(cfg, g.tree)
	g.fl = g.planFrontline()
	g.months = schema.Months(cfg.FirstMonth(), cfg.EndMonth)
	last := cfg.EndMonth
	g.end = time.Date(last.Year(), time.Month(last.Mon()), 1, 0, 0, 0, 0, tz).AddDate(0, 1, 0).Add(-time.Second)
	g.sum = Summary{First: g.months[0], Last: last, Events: map[string]int{}}
	g.sum.Branches = len(g.tree.names)
	g.whist, g.leadHist = map[string][]val{}, map[string][]val{}
	for id := range g.tree.names {
		g.hist[id] = &history{}
	}
	g.hist[schema.Root] = &history{}
	for mi, m := range g.months {
		if g.plan.noise != "" && mi == 0 {
			g.planNoisePath()
		}
		for _, city := range g.tree.cities {
			for _, county := range g.tree.counties[city.ID] {
				if err := g.subscriberBase(county, mi, m); err != nil {
					return g.sum, err
				}
			}
		}
		if err := g.surveyMonth(mi, m); err != nil {
			return g.sum, err
		}
		if err := g.windowMonth(mi, m); err != nil {
			return g.sum, err
		}
		for _, city := range g.tree.cities {
			for _, county := range g.tree.counties[city.ID] {
				if err := g.complaints(city, county, mi, m); err != nil {
					return g.sum, err
				}
				if err := g.churn(city, county, mi, m); err != nil {
					return g.sum, err
				}
			}
		}
		if err := g.frontlineMonth(m); err != nil {
			return g.sum, err
		}
	}
	return g.sum, nil
}

// The wire form of SPEC §2: the envelope, then the type's fields.
type envelope struct {
	EventID       string `json:"event_id"`
	Type          string `json:"type"`
	SchemaVersion int    `json:"schema_version"`
	OccurredAt    string `json:"occurred_at"`
	BranchID      string `json:"branch_id"`
}

func (g *gen) env(id string, t schema.Type, at time.Time, branch string) envelope {
	return envelope{EventID: fmt.Sprintf("syn%d-%s", g.cfg.Seed, id), Type: t.String(),
		SchemaVersion: schema.SchemaVersion, OccurredAt: at.In(tz).Format(time.RFC3339), BranchID: branch}
}

// send encodes v and emits it to the topic of type t; resend emits it a second time.
func (g *gen) send(t schema.Type, branch string, v any, resend bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t, err)
	}
	topic := g.cfg.Topics.For(t)
	g.sum.Events[t.String()]++
	for i := 0; i < 1 || (resend && i < 2); i++ {
		value := b
		if i > 0 {
			value = append([]byte(nil), b...)
			g.sum.Resent++
		}
		g.sum.Messages++
		if err := g.emit(topic, []byte(branch), value); err != nil {
			return fmt.Errorf("emit %s to %s: %w", t, topic, err)
		}
	}
	return nil
}

func monthKey(m schema.Month) string { return strconv.Itoa(int(m)) }

func monthStart(m schema.Month) time.Time {
	return time.Date(m.Year(), time.Month(m.Mon()), 1, 0, 0, 0, 0, tz)
}

// randomTime is a uniformly random second of month m.
func randomTime(r *rand.Rand, m schema.Month) time.Time {
	s := monthStart(m)
	secs := int(s.AddDate(0, 1, 0).Sub(s).Seconds())
	return s.Add(time.Duration(r.IntN(secs)) * time.Second)
}

type surveyResponseJSON struct {
	envelope
	Carrier      string         `json:"carrier"`
	Wave         string         `json:"wave,omitempty"`
	Weight       float64        `json:"weight"`
	Segment      string         `json:"segment,omitempty"`
	Overall      int            `json:"overall,omitempty"`
	Items        map[string]int `json:"items,omitempty"`
	CustomerType string         `json:"customer_type,omitempty"`
	ManagerID    string         `json:"manager_id,omitempty"`
}

// enterpriseShare is the share of interviews with enterprise customers (集团客户); each names
// one of enterpriseManagers customer managers of its city.
const (
	enterpriseShare    = 0.30
	enterpriseManagers = 4
)

// customer marks an interview as an enterprise customer's, with its customer manager, from a
// draw of its own (the rest of the stream does not change with it).
func (g *gen) customer(ev *surveyResponseJSON, unit string) {
	r := g.rng("customer", ev.EventID)
	if r.Float64() >= enterpriseShare {
		return
	}
	city := unit
	if schema.Level(unit) > 2 {
		city = schema.Parent(unit)
	}
	ev.CustomerType = schema.CustomerEnterprise
	ev.ManagerID = managerID(city, 1+r.IntN(enterpriseManagers))
}

type surveyVoidJSON struct {
	envelope
	TargetEventID string `json:"target_event_id"`
	Reason        string `json:"reason"`
}

var voidReasons = []string{"质检未通过：访问时长过短", "质检未通过：录音缺失", "quality control: duplicate respondent"}

// emitWave emits a city's accepted survey wave with its voids and resends.
func (g *gen) emitWave(m schema.Month, wave []response) error {
	for i := range wave {
		r := &wave[i]
		id := fmt.Sprintf("sr-%s-%s-%s-%04d", r.unit, monthKey(m), r.carrier, r.seq)
		ev := surveyResponseJSON{envelope: g.env(id, schema.TypeSurveyResponse, r.at, r.unit),
			Carrier: r.carrier, Weight: r.weight, Segment: r.segment, Overall: int(r.overall)}
		if r.wave {
			ev.Wave = m.String()
		}
		g.customer(&ev, r.unit)
		for k, x := range r.items {
			if x > 0 {
				if ev.Items == nil {
					ev.Items = map[string]int{}
				}
				ev.Items[items[k]] = int(x)
			}
		}
		var void *surveyVoidJSON
		if r.void {
			void = &surveyVoidJSON{envelope: g.env("sv-"+id[3:], schema.TypeSurveyVoid, r.voidAt, r.unit),
				TargetEventID: ev.EventID, Reason: voidReasons[r.seq%len(voidReasons)]}
			g.sum.Voids++
		}
		if void != nil && r.voidFirst {
			if err := g.send(schema.TypeSurveyVoid, r.unit, void, false); err != nil {
				return err
			}
		}
		if err := g.send(schema.TypeSurveyResponse, r.unit, ev, r.resend); err != nil {
			return err
		}
		if void != nil && !r.voidFirst {
			if err := g.send(schema.TypeSurveyVoid, r.unit, void, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// county base: persistent size and tier mix, drifting slowly.
type base struct {
	subscribers    float64
	high, mid, low float64
}

func (g *gen) base(county string, mi int) base {
	r := g.rng("base", county)
	size := (15000 + 30000*r.Float64()) * g.cfg.Volume
	hi := 0.09 + 0.03*r.Float64()
	mid := 0.28 + 0.06*r.Float64()
	growth := 0.001 + 0.003*r.Float64()
	rm := g.rng("base", county, strconv.Itoa(mi))
	s := math.Round(size * (1 + growth*float64(mi) + rm.NormFloat64()*0.001))
	b := base{subscribers: s, high: math.Round(s * hi), mid: math.Round(s * mid)}
	b.low = s - b.high - b.mid
	return b
}

type subscriberBaseJSON struct {
	envelope
	Month       string `json:"month"`
	Subscribers int64  `json:"subscribers"`
	Tiers       *tiers `json:"tiers,omitempty"`
}

type tiers struct {
	High int64 `json:"high"`
	Mid  int64 `json:"mid"`
	Low  int64 `json:"low"`
}

// subscriberBase emits the county's month-end snapshot; a few are restated half an hour later
// (the later snapshot wins), so "latest occurred_at wins" is exercised.
func (g *gen) subscriberBase(county Branch, mi int, m schema.Month) error {
	b := g.base(county.ID, mi)
	at := monthStart(m).AddDate(0, 1, 0).Add(-time.Hour)
	r := g.rng("restate", county.ID, monthKey(m))
	restate := r.Float64() < 0.08
	ev := subscriberBaseJSON{envelope: g.env("sb-"+county.ID+"-"+monthKey(m), schema.TypeSubscriberBase, at, county.ID),
		Month: m.String(), Subscribers: int64(b.subscribers),
		Tiers: &tiers{High: int64(b.high), Mid: int64(b.mid), Low: int64(b.low)}}
	if restate {
		// The first snapshot was off; the restatement carries the true figures.
		first := ev
		first.Subscribers = int64(b.subscribers * 1.02)
		first.Tiers = &tiers{High: int64(b.high), Mid: int64(b.mid), Low: int64(b.low)}
		if err := g.send(schema.TypeSubscriberBase, county.ID, first, false); err != nil {
			return err
		}
		ev.envelope = g.env("sb-"+county.ID+"-"+monthKey(m)+"-r2", schema.TypeSubscriberBase, at.Add(30*time.Minute), county.ID)
	}
	return g.send(schema.TypeSubscriberBase, county.ID, ev, false)
}

type hotlineJSON struct {
	envelope
	AgentID       string `json:"agent_id"`
	Rating        int    `json:"rating"`
	Resolved      bool   `json:"resolved"`
	WaitSeconds   int    `json:"wait_seconds"`
	HandleSeconds int    `json:"handle_seconds"`
}

type storeJSON struct {
	envelope
	StoreID     string `json:"store_id"`
	StaffID     string `json:"staff_id,omitempty"`
	Rating      int    `json:"rating"`
	WaitSeconds int    `json:"wait_seconds"`
	Business    string `json:"business,omitempty"`
}

var businesses = []string{"开户", "缴费", "换卡", "套餐变更", "宽带办理", "终端销售", "业务咨询"}

// rating draws a 1–5 rating with share pHigh of 4s and 5s.
func rating(r *rand.Rand, pHigh float64) int {
	if r.Float64() < pHigh {
		if r.Float64() < 0.75 {
			return 5
		}
		return 4
	}
	return int(pick(r, []string{"3", "2", "1"}, []float64{0.5, 0.2, 0.3})[0] - '0')
}

// windowMsg is one generated hotline or store rating, not yet emitted.
type windowMsg struct {
	t         schema.Type
	branch    string
	v         any
	resend    bool
	satisfied bool // rating ≥ 4
}

// windowCounty generates the county's hotline (post-call) and store (counter device) ratings for
// month m; attempt selects an independent draw.
func (g *gen) windowCounty(city, county Branch, m schema.Month, attempt int) []windowMsg {
	we := g.windowEffect(county.ID)
	pHotline, pStore, waitMean, nStores := we.pHotline, we.pStore, we.waitMean, we.stores
	agents := g.agents(city.ID)
	slow := g.slowAgent(city.ID, m) // the long-waits story: this agent's waits × factor

	var out []windowMsg
	b := g.base(county.ID, g.monthIndex(m))
	r := g.rng("hotline", county.ID, monthKey(m), strconv.Itoa(attempt))
	n := poisson(r, b.subscribers*0.008)
	for i := 1; i <= n; i++ {
		rt := rating(r, pHotline)
		resolved := r.Float64() < 0.9
		if rt <= 3 {
			resolved = r.Float64() < 0.45
		}
		// The draws in the order they always had: time, agent, wait, handling.
		env := g.env(fmt.Sprintf("hl-%s-%s-%05d", county.ID, monthKey(m), i), schema.TypeHotlineFeedback, randomTime(r, m), county.ID)
		agent := agentID(city.ID, 1+r.IntN(agents))
		wait := r.ExpFloat64() * waitMean
		if agent == slow.id {
			wait *= slow.factor
		}
		ev := hotlineJSON{envelope: env, AgentID: agent, Rating: rt, Resolved: resolved,
			WaitSeconds:   int(math.Min(900, wait)),
			HandleSeconds: int(math.Exp(math.Log(200) + r.NormFloat64()*0.5))}
		out = append(out, windowMsg{schema.TypeHotlineFeedback, county.ID, ev, r.Float64() < 0.002, rt >= 4})
	}
	r = g.rng("store", county.ID, monthKey(m), strconv.Itoa(attempt))
	n = poisson(r, b.subscribers*0.005)
	for i := 1; i <= n; i++ {
		store := storeID(county.ID, 1+r.IntN(nStores))
		rt := rating(r, pStore)
		ev := storeJSON{envelope: g.env(fmt.Sprintf("st-%s-%s-%05d", county.ID, monthKey(m), i),
			schema.TypeStoreFeedback, randomTime(r, m), county.ID),
			StoreID: store, Rating: rt, WaitSeconds: int(math.Min(3600, r.ExpFloat64()*300))}
		if r.Float64() < 0.8 {
			ev.StaffID = staffID(store, 1+r.IntN(staffPerStore))
		}
		if r.Float64() < 0.9 {
			ev.Business = businesses[r.IntN(len(businesses))]
		}
		out = append(out, windowMsg{schema.TypeStoreFeedback, county.ID, ev, r.Float64() < 0.002, rt >= 4})
	}
	return out
}

// ratio is a count of satisfied ratings out of n.
type ratio struct{ sat, n int }

func (r ratio) val() val {
	if r.n == 0 {
		return val{}
	}
	p := float64(r.sat) / float64(r.n)
	return val{v: 100 * p, se: 100 * math.Sqrt(p*(1-p)/float64(r.n)), n: r.n}
}

// windowRatios sums the batch per county and for the city.
func windowRatios(city Branch, counties []Branch, batch [][]windowMsg) map[string]ratio {
	out := map[string]ratio{}
	for i, msgs := range batch {
		var r ratio
		for _, w := range msgs {
			r.n++
			if w.satisfied {
				r.sat++
			}
		}
		out[counties[i].ID] = r
		c := out[city.ID]
		out[city.ID] = ratio{c.sat + r.sat, c.n + r.n}
	}
	return out
}

// windowGuard rejects any decline streak of a branch's window satisfaction: it has no story.
func (g *gen) windowGuard(b string, r ratio) string {
	h := g.whist[b]
	if n, z := streak(append(h[:len(h):len(h)], r.val())); n >= 3 {
		return fmt.Sprintf("unplanted window decline streak %s z=%.2f", b, z)
	}
	return ""
}

func (g *gen) monthIndex(m schema.Month) int { return monthsBetween(g.months[0], m) }

type complaintOpenedJSON struct {
	envelope
	ComplaintID string `json:"complaint_id"`
	Category    string `json:"category"`
	Channel     string `json:"channel"`
	Escalated   bool   `json:"escalated"`
	// Version 2 attribution (SPEC §5.1): the units the complaint names.
	StoreID string `json:"store_id,omitempty"`
	StaffID string `json:"staff_id,omitempty"`
	AgentID string `json:"agent_id,omitempty"`
}

type complaintClosedJSON struct {
	envelope
	ComplaintID     string  `json:"complaint_id"`
	ResolutionHours float64 `json:"resolution_hours"`
	Satisfied       *bool   `json:"satisfied,omitempty"`
}

var (
	categories     = []string{"network", "billing", "tariff", "service", "marketing", "other"}
	categoryShare  = []float64{0.25, 0.20, 0.15, 0.20, 0.12, 0.08}
	channels       = []string{"hotline", "store", "online", "regulator", "other"}
	channelShare   = []float64{0.55, 0.15, 0.20, 0.05, 0.05}
	complaintRate  = 2.2 / 10000 // complaints a month per subscriber (万投比 2.2), × the county's factor 0.6–1.6
	slaMedianHours = 30.0
)

// complaints emits the county's complaints opened in month m; each one that is resolved before
// the end of the generated range is closed right after (its close counts in the month it occurs).
func (g *gen) complaints(city, county Branch, mi int, m schema.Month) error {
	b := g.base(county.ID, mi)
	r := g.rng("complaints", county.ID, monthKey(m))
	share := categoryShare
	lambda := b.subscribers * complaintRate * (0.6 + g.rng("complaint-factor", county.ID).Float64())
	if g.plan.decline != "" && schema.InSubtree(county.ID, g.plan.decline) {
		// The network trouble of the decline story brings network complaints.
		if step := monthsBetween(g.plan.last.Add(-3), m); step >= 1 && step <= 3 {
			share = append([]float64{0.25 * (1 + 0.5*float64(step))}, categoryShare[1:]...)
			lambda *= 1 + 0.15*float64(step)
		}
	}
	n := poisson(r, lambda)
	opened := make([]complaintOpenedJSON, 0, n)
	closed := make([]*complaintClosedJSON, 0, n)
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("CP%d-%s-%s-%04d", g.cfg.Seed, county.ID, monthKey(m), i)
		at := randomTime(r, m)
		ch := pick(r, channels, channelShare)
		ev := complaintOpenedJSON{envelope: g.env("co-"+id, schema.TypeComplaintOpened, at, county.ID),
			ComplaintID: id, Category: pick(r, categories, share), Channel: ch,
			Escalated: ch == "regulator" || r.Float64() < 0.02}
		opened = append(opened, ev)
		hours := math.Round(math.Exp(math.Log(slaMedianHours)+r.NormFloat64()*0.8)*10) / 10
		if ev.Escalated {
			hours *= 1.5
		}
		closedAt := at.Add(time.Duration(hours * float64(time.Hour)))
		if closedAt.After(g.end) {
			closed = append(closed, nil) // still open at the end of the range
			continue
		}
		cl := complaintClosedJSON{envelope: g.env("cc-"+id, schema.TypeComplaintClosed, closedAt, county.ID),
			ComplaintID: id, ResolutionHours: hours}
		if r.Float64() < 0.75 {
			sat := r.Float64() < 0.85
			cl.Satisfied = &sat
		}
		closed = append(closed, &cl)
	}
	g.attribute(city, county, m, opened)
	for i := range opened {
		if err := g.send(schema.TypeComplaintOpened, county.ID, opened[i], false); err != nil {
			return err
		}
		if closed[i] != nil {
			if err := g.send(schema.TypeComplaintClosed, county.ID, closed[i], false); err != nil {
				return err
			}
		}
	}
	return nil
}

type churnJSON struct {
	envelope
	CustomerRef  string `json:"customer_ref"`
	Tier         string `json:"tier"`
	Reason       string `json:"reason"`
	TenureMonths int    `json:"tenure_months"`
	ToCarrier    string `json:"to_carrier,omitempty"`
	ManagerID    string `json:"manager_id,omitempty"`
}

var (
	churnReasons = []string{"price", "network", "service", "competitor_offer", "relocation", "other"}
	reasonShare  = []float64{0.30, 0.15, 0.10, 0.20, 0.15, 0.10}
	// tierRate is the monthly churn rate per tier, before the county's factor (0.75–1.35): around
	// the default scorecard's targets (high-value churn 0.6–1.0%, mid/high retention 97–98.5%).
	tierRate = map[string]float64{"high": 0.008, "mid": 0.015, "low": 0.022}
)

// churn emits the county's churned customers of month m, by tier. In the lead_lost story's city
// the rival's offers take more customers in the last two months.
func (g *gen) churn(city, county Branch, mi int, m schema.Month) error {
	b := g.base(county.ID, mi)
	r := g.rng("churn", county.ID, monthKey(m))
	rival := g.plan.leadLost != "" && schema.InSubtree(county.ID, g.plan.leadLost) && monthsBetween(m, g.plan.last) <= 1
	seq := 0
	for _, tier := range []string{"high", "mid", "low"} {
		size := map[string]float64{"high": b.high, "mid": b.mid, "low": b.low}[tier]
		rate := tierRate[tier] * (0.75 + 0.6*g.rng("churn-factor", county.ID).Float64())
		if rival {
			rate *= 1.25
		}
		n := poisson(r, size*rate)
		for i := 0; i < n; i++ {
			seq++
			reason := pick(r, churnReasons, reasonShare)
			if rival && r.Float64() < 0.3 {
				reason = "competitor_offer"
			}
			ev := churnJSON{envelope: g.env(fmt.Sprintf("ch-%s-%s-%05d", county.ID, monthKey(m), seq),
				schema.TypeChurn, randomTime(r, m), county.ID),
				CustomerRef: fmt.Sprintf("cust-%016x", r.Uint64()), Tier: tier, Reason: reason,
				TenureMonths: int(r.ExpFloat64() * 40)}
			if reason != "relocation" && r.Float64() < 0.7 {
				ev.ToCarrier = pick(r, []string{RivalCarrier, "cucc", "cbn"}, []float64{0.45, 0.45, 0.1})
				if rival && reason == "competitor_offer" {
					ev.ToCarrier = RivalCarrier
				}
			}
			g.churnManager(&ev, city.ID)
			if err := g.send(schema.TypeChurn, county.ID, ev, r.Float64() < 0.002); err != nil {
				return err
			}
		}
	}
	return nil
}
