package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/schema"
)

// end is the last month of the generated stream.
const end = schema.Month(202610)

// decoded is the generated stream after the schema decoder, as ingest sees it: each event id
// once, and the target ids of the survey voids.
type decoded struct {
	events []schema.Event
	voids  map[string]bool
}

// generate runs the generator of cfg and decodes its stream (ingest/synth's own tests check
// the messages themselves).
func generate(t *testing.T, cfg synth.Config) decoded {
	t.Helper()
	last := cfg.LastMonth()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	endOfRange := time.Date(last.Year(), time.Month(last.Mon())+1, 1, 0, 0, 0, 0, loc)
	dec := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), loc,
		schema.WithClock(func() time.Time { return endOfRange }))
	d := decoded{voids: map[string]bool{}}
	seen := map[string]bool{}
	_, err = synth.Generate(cfg, func(topic string, _, value []byte) error {
		ev, err := dec.Decode(topic, value)
		if err != nil {
			return fmt.Errorf("a generated message on %s does not decode: %w\n%s", topic, err, value)
		}
		if id := ev.Env().EventID; !seen[id] {
			seen[id] = true
			if v, ok := ev.(*schema.SurveyVoid); ok {
				d.voids[v.TargetEventID] = true
			}
			d.events = append(d.events, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return d
}

// monthData builds kpi.MonthData for every branch (every level, ALL included) and month from the
// decoded stream, as the projections do: voided responses out, each event id once.
func monthData(t *testing.T, d decoded) map[string]map[schema.Month]*kpi.MonthData {
	t.Helper()
	cfg := kpi.DefaultConfig()
	out := map[string]map[schema.Month]*kpi.MonthData{}
	get := func(b string, m schema.Month) *kpi.MonthData {
		if out[b] == nil {
			out[b] = map[schema.Month]*kpi.MonthData{}
		}
		md := out[b][m]
		if md == nil {
			md = &kpi.MonthData{Survey: kpi.SurveyStats{}}
			out[b][m] = md
		}
		return md
	}
	moment := func(w, x float64) kpi.Moments {
		return kpi.Moments{N: 1, SW: w, SW2: w * w, SWX: w * x, SWX2: w * x * x}
	}
	type snap struct {
		at time.Time
		id string
		s  kpi.Snapshot
	}
	snaps := map[schema.Month]map[string]snap{}
	for _, ev := range d.events {
		env := ev.Env()
		for _, b := range schema.Ancestors(env.BranchID) {
			md := get(b, env.Month)
			switch e := ev.(type) {
			case *schema.SurveyResponse:
				if d.voids[e.EventID] {
					continue
				}
				stats := md.Survey[e.Carrier]
				if stats == nil {
					stats = map[string]kpi.Moments{}
					md.Survey[e.Carrier] = stats
				}
				sum := 0.0
				for _, it := range e.Items {
					x := float64(it.Score-1) * 100 / 9
					stats[it.Code] = stats[it.Code].Add(moment(e.Weight, x))
					sum += x
				}
				if len(e.Items) > 0 {
					stats[kpi.ItemCSI] = stats[kpi.ItemCSI].Add(moment(e.Weight, sum/float64(len(e.Items))))
				}
				if e.Overall > 0 {
					stats[kpi.ItemOverall] = stats[kpi.ItemOverall].Add(moment(e.Weight, float64(e.Overall-1)*100/9))
				}
			case *schema.HotlineFeedback:
				w := kpi.Window{HotlineN: 1, HotlineWaitSum: uint64(e.WaitSeconds)}
				if e.Rating >= 4 {
					w.HotlineSatisfied = 1
				}
				if e.Resolved {
					w.HotlineResolved = 1
				}
				if e.WaitSeconds <= 20 {
					w.HotlineSL20 = 1
				}
				md.Window = md.Window.Add(w)
			case *schema.StoreFeedback:
				w := kpi.Window{StoreN: 1, StoreWaitSum: uint64(e.WaitSeconds)}
				if e.Rating >= 4 {
					w.StoreSatisfied = 1
				}
				md.Window = md.Window.Add(w)
			case *schema.ComplaintOpened:
				c := kpi.Complaints{Opened: 1}
				if e.Escalated {
					c.Escalated = 1
				}
				md.Complaints = md.Complaints.Add(c)
			case *schema.ComplaintClosed:
				c := kpi.Complaints{Closed: 1, ResolutionHoursSum: e.ResolutionHours}
				if e.ResolutionHours <= cfg.ComplaintSLAHours {
					c.ClosedWithinSLA = 1
				}
				if e.Satisfied != nil {
					c.CallbackN = 1
					if *e.Satisfied {
						c.CallbackSatisfied = 1
					}
				}
				md.Complaints = md.Complaints.Add(c)
			case *schema.Churn:
				c := kpi.ChurnCounts{Churned: 1}
				switch e.Tier {
				case "high":
					c.High = 1
				case "mid":
					c.Mid = 1
				case "low":
					c.Low = 1
				}
				md.Churn = md.Churn.Add(c)
			}
		}
		if e, ok := ev.(*schema.SubscriberBase); ok {
			if snaps[e.Month] == nil {
				snaps[e.Month] = map[string]snap{}
			}
			cur, seen := snaps[e.Month][e.BranchID]
			if !seen || e.OccurredAt.After(cur.at) || (e.OccurredAt.Equal(cur.at) && e.EventID > cur.id) {
				s := kpi.Snapshot{Subscribers: e.Subscribers}
				if e.Tiers != nil {
					s.Tiers = &kpi.Tiers{High: e.Tiers.High, Mid: e.Tiers.Mid, Low: e.Tiers.Low}
				}
				snaps[e.Month][e.BranchID] = snap{e.OccurredAt, e.EventID, s}
			}
		}
	}
	for m, byBranch := range snaps {
		plain := map[string]kpi.Snapshot{}
		for b, s := range byBranch {
			plain[b] = s.s
		}
		for b, base := range kpi.ResolveBases(plain) {
			get(b, m).Base = base
		}
	}
	return out
}

// TestStoriesThroughKPI runs ingest/synth's generated stream through the KPI math of
// aggregate/kpi (cards, alerts with the default scorecard) and checks that the last month's
// alerts show the planted stories and no unplanted decline streak or lost lead.
func TestStoriesThroughKPI(t *testing.T) {
	cfg := synth.Config{Seed: 1, EndMonth: end}
	data := monthData(t, generate(t, cfg))
	kcfg, cat := kpi.DefaultConfig(), schema.DefaultCatalog()
	sc, err := kpi.DefaultScorecard(cat)
	if err != nil {
		t.Fatal(err)
	}
	first := cfg.FirstMonth()
	var alerts []kpi.Alert
	for b, byMonth := range data {
		var series []*kpi.Card
		for m := first; m <= end; m = m.Add(1) {
			cur, prev := byMonth[m], byMonth[m.Prev()]
			if cur == nil {
				series = append(series, nil)
				continue
			}
			if prev == nil {
				prev = &kpi.MonthData{}
			}
			c := kpi.ComputeCard(kcfg, cat, b, m, *cur, *prev)
			series = append(series, &c)
		}
		alerts = append(alerts, kpi.Alerts(kcfg, cat, sc, b, end, series)...)
	}
	count := map[string]int{}
	var lines []string
	for _, a := range alerts {
		count[a.Rule+"/"+a.Severity]++
		if a.Rule == kpi.RuleBelowBase {
			count[a.Metric]++
		}
		if a.Rule != kpi.RuleBelowBase {
			j, _ := json.Marshal(a)
			lines = append(lines, string(j))
		}
	}
	sort.Strings(lines)
	t.Logf("alerts at %v: %v\n%s", end, count, strings.Join(lines, "\n"))

	find := func(s synth.Story) *kpi.Alert {
		for i, a := range alerts {
			if a.Rule == s.Rule && a.Branch == s.Branch && a.Metric == s.Metric {
				return &alerts[i]
			}
		}
		return nil
	}
	for _, s := range synth.Stories(cfg) {
		a := find(s)
		switch {
		case a == nil:
			t.Errorf("story %s: no %s alert for %s %s", s.Name, s.Rule, s.Branch, s.Metric)
		case s.Rule == kpi.RuleDeclineStreak && (a.Severity != s.Severity || a.Start != s.Start || a.Streak != 3):
			t.Errorf("story %s: alert %+v, want severity %s from %v", s.Name, *a, s.Severity, s.Start)
		case s.Rule == kpi.RuleLeadLost && !(a.Previous >= synth.StoryLeadMargin && a.Value <= -synth.StoryLeadMargin):
			t.Errorf("story %s: alert %+v", s.Name, *a)
		}
	}
	// The network story reaches the city's counties: at least one county has a significant fall
	// of the item, also with the calibrated severity that csat serves and pushes to Alertmanager
	// (what a county's manager receives).
	cal := slices.Clone(alerts)
	kpi.Calibrate(kcfg, cal)
	counties := 0
	for _, s := range synth.Stories(cfg) {
		for _, a := range cal {
			if s.Name == synth.StoryDecline && a.Rule == kpi.RuleDeclineStreak && a.Metric == s.Metric &&
				schema.Level(a.Branch) == 3 && schema.InSubtree(a.Branch, s.Branch) && a.Severity == kpi.SeveritySignificant {
				counties++
			}
		}
	}
	if counties == 0 {
		t.Error("no county of the decline story's city has a significant decline_streak after calibration")
	}
	stories := synth.Stories(cfg)
	for _, a := range alerts {
		planted := false
		for _, s := range stories {
			switch {
			case a.Rule != s.Rule:
			case s.Name == synth.StoryDecline:
				planted = a.Metric == s.Metric && (schema.InSubtree(a.Branch, s.Branch) || schema.InSubtree(s.Branch, a.Branch)) ||
					a.Metric == "csi" && schema.InSubtree(a.Branch, s.Branch)
			case s.Name == synth.StoryNoise:
				planted = schema.InSubtree(a.Branch, s.Branch)
			case s.Name == synth.StoryLeadLost:
				planted = a.Branch == s.Branch
			}
			if planted {
				break
			}
		}
		switch {
		case planted || a.Rule == kpi.RuleBelowBase:
		case a.Rule == kpi.RuleLeadLost:
			t.Errorf("unplanted lead_lost: %+v", a)
		case a.Rule == kpi.RuleDeclineStreak && (a.Severity == kpi.SeveritySignificant || a.Metric == "csi" ||
			a.Metric == "window_satisfaction"):
			t.Errorf("unplanted decline_streak: %+v", a)
		}
	}
}
