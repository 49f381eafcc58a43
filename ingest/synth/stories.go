package synth

import (
	"fmt"

	"github.com/csat-dev/csat/schema"
)

// The carriers the generator interviews. OwnCarrier is csat's default CSAT_OWN_CARRIER.
const (
	OwnCarrier = "cmcc"
	// RivalCarrier is the competitor that overtakes the lead_lost story's city.
	RivalCarrier = "ctcc"
)

// Carriers lists the carriers of the survey, own carrier first.
func Carriers() []string { return []string{OwnCarrier, RivalCarrier, "cucc"} }

// MinSample is the reportable sample size the stories are tuned for (CSAT_MIN_SAMPLE's default).
const MinSample = 30

// The planted stories, and the guarantees the generator enforces on the realized data (it
// regenerates a city's survey wave until they hold; see Summary.Unmet for the rare miss).
const (
	// StoryDecline: the own carrier's StoryDeclineItem score of one city falls in each of the last
	// three months by StoryDeclineStep on average (0–100 scale); realized, every one of the three
	// falls is ≥ StoryDeclineMinFall points on a few hundred responses, so the decline_streak alert
	// at the last month is significant (z ≥ 1.96; typically z ≈ 7). The month before the streak
	// is not below its predecessor, so the streak is exactly 3 long.
	StoryDecline        = "decline_significant"
	StoryDeclineItem    = "network"
	StoryDeclineStep    = 0.7 * 100 / 9 // ≈ 7.8 points a month before rounding and clamping
	StoryDeclineMinFall = 4.0

	// StoryNoise: one county's own-carrier CSI, on 32–35 responses a month, falls in each of the
	// last three months (each fall ≥ StoryNoiseMinFall) by StoryNoiseStep on average, a total drop
	// of at least StoryNoiseMinDrop; realized z of the streak < StoryNoiseMaxZ, so the alert is
	// a watch, not significant: a fall sampling noise explains.
	StoryNoise        = "decline_watch"
	StoryNoiseStep    = 0.13 * 100 / 9 // ≈ 1.4 points a month
	StoryNoiseMinFall = 0.3
	StoryNoiseMinDrop = 2.5
	StoryNoiseMaxZ    = 1.8

	// StoryLeadLost: in one city the rival (RivalCarrier) is close — an own lead of about 2.4
	// points — and in the last month improves by about 5 points while our scores stay put. The
	// realized lead over the best competitor is ≥ StoryLeadMargin in the month before the last
	// (and not below the month before that) and ≤ −StoryLeadMargin in the last month, with the
	// rival as best competitor (lead_lost). Every other branch's lead, at every level, is
	// ≥ StoryLeadMargin in every month, and no lead falls three months in a row.
	StoryLeadLost   = "lead_lost"
	StoryLeadMargin = 1.0
)

// Story is one planted story: where and when the read side must find it.
type Story struct {
	Name     string       // StoryDecline, StoryNoise or StoryLeadLost
	Rule     string       // the alert rule of SPEC §3.11 that finds it: decline_streak or lead_lost
	Branch   string       // the branch id
	Metric   string       // csi, item:<code> or lead
	Severity string       // significant or watch (decline_streak); "" for lead_lost (it depends on the lead's moe)
	Start    schema.Month // decline_streak: the month before the first fall; lead_lost: the month before
	Month    schema.Month // the month the alert fires: the last generated month
	Carrier  string       // the carrier whose values move (own), or for lead_lost the competitor who overtakes
	Summary  string       // one line for people
}

type storyPlan struct {
	decline, noise, leadLost string // branch ids; "" when the range is too short for the story
	last                     schema.Month
}

// Stories returns the stories planted for cfg. Decline stories need at least 4 months (a start
// month and three falls), the lead_lost story at least 2; shorter ranges plant fewer stories.
// At the default Scale the branches are GD-SZ (深圳, network falls), ZJ-HZ-XH (杭州西湖区, a
// small-sample CSI fall) and JS-NJ (南京, overtaken by ctcc).
func Stories(cfg Config) []Story {
	cfg = cfg.withDefaults()
	p := planStories(cfg, buildTree(cfg.Scale))
	var out []Story
	last := p.last
	if p.decline != "" {
		out = append(out, Story{Name: StoryDecline, Rule: "decline_streak", Branch: p.decline,
			Metric: "item:" + StoryDeclineItem, Severity: "significant", Start: last.Add(-3), Month: last,
			Carrier: OwnCarrier,
			Summary: fmt.Sprintf("%s: %s score falls three months in a row, ≥ %.0f points each month, significant",
				p.decline, StoryDeclineItem, StoryDeclineMinFall)})
	}
	if p.noise != "" {
		out = append(out, Story{Name: StoryNoise, Rule: "decline_streak", Branch: p.noise, Metric: "csi",
			Severity: "watch", Start: last.Add(-3), Month: last, Carrier: OwnCarrier,
			Summary: fmt.Sprintf("%s: CSI on 32–35 responses falls three months in a row by ≥ %.1f points, z < %.1f: watch",
				p.noise, StoryNoiseMinDrop, StoryNoiseMaxZ)})
	}
	if p.leadLost != "" {
		out = append(out, Story{Name: StoryLeadLost, Rule: "lead_lost", Branch: p.leadLost, Metric: "lead",
			Start: last.Prev(), Month: last, Carrier: RivalCarrier,
			Summary: fmt.Sprintf("%s: lead over %s ≥ +%.1f in %v, ≤ −%.1f in %v", p.leadLost, RivalCarrier,
				StoryLeadMargin, last.Prev(), StoryLeadMargin, last)})
	}
	return out
}

// planStories picks the story branches: GD-SZ, ZJ-HZ-XH and JS-NJ when the hierarchy has them,
// else three distinct cities of it.
func planStories(cfg Config, t *tree) storyPlan {
	p := storyPlan{last: cfg.EndMonth}
	has := func(id string) bool { _, ok := t.names[id]; return ok }
	pick := func(prefer string, avoid ...string) string {
		if has(prefer) {
			return prefer
		}
	next:
		for i := len(t.cities) - 1; i >= 0; i-- {
			id := t.cities[i].ID
			for _, a := range avoid {
				if id == a || schema.InSubtree(a, id) {
					continue next
				}
			}
			return id
		}
		return ""
	}
	decline := pick("GD-SZ")
	lead := pick("JS-NJ", decline)
	noise := "ZJ-HZ-XH"
	if !has(noise) {
		if city := pick("", decline, lead); city != "" {
			noise = t.counties[city][0].ID
		}
	}
	if cfg.Months >= 4 {
		p.decline, p.noise = decline, noise
	}
	if cfg.Months >= 2 {
		p.leadLost = lead
	}
	return p
}
