package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// writeJSON prints v as indented JSON (numbers as Go formats them: not rounded).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// num formats an optional number with one decimal, "–" when absent.
func num(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f", *p)
}

// signed formats an optional number with a sign.
func signed(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%+.1f", *p)
}

// val formats a survey value as "82.1 ±1.2 n=412", with a trailing "*" when not reportable.
func val(v kpi.Value) string {
	if v.Value == nil {
		return fmt.Sprintf("– n=%d", v.N)
	}
	s := fmt.Sprintf("%.1f", *v.Value)
	if v.MOE95 != nil {
		s += fmt.Sprintf(" ±%.1f", *v.MOE95)
	}
	s += fmt.Sprintf(" n=%d", v.N)
	if !v.Reportable {
		s += " *"
	}
	return s
}

func leadText(l kpi.Lead) string {
	if l.Value == nil {
		return "–"
	}
	s := signed(l.Value)
	if l.MOE95 != nil {
		s += fmt.Sprintf(" ±%.1f", *l.MOE95)
	}
	if l.BestCompetitor != nil {
		s += " vs " + *l.BestCompetitor
	}
	if l.Significant {
		s += " (significant)"
	}
	return s
}

// printCard prints a KPI card as aligned tables.
func printCard(w io.Writer, c kpi.Card, cat schema.Catalog) error {
	fmt.Fprintf(w, "%s · %s\n\n", c.Branch, c.Month)
	comps := make([]string, 0, len(c.Survey.Competitors))
	for name := range c.Survey.Competitors {
		comps = append(comps, name)
	}
	sort.Strings(comps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"survey", c.Survey.Own.Carrier + " (own)"}
	header = append(header, comps...)
	header = append(header, "lead", "")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	row := func(name, label string, own kpi.Value, comp func(kpi.CarrierSurvey) kpi.Value, lead *kpi.Lead) {
		cells := []string{name, val(own)}
		for _, cn := range comps {
			cells = append(cells, val(comp(c.Survey.Competitors[cn])))
		}
		if lead != nil {
			cells = append(cells, leadText(*lead))
		} else {
			cells = append(cells, "")
		}
		cells = append(cells, label) // last: wide characters would misalign the columns after it
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("CSI", "综合满意度", c.Survey.Own.CSI, func(s kpi.CarrierSurvey) kpi.Value { return s.CSI }, &c.Survey.Lead)
	row("overall", "总体满意度", c.Survey.Own.Overall, func(s kpi.CarrierSurvey) kpi.Value { return s.Overall }, nil)
	for _, it := range cat.Items {
		code := it.Code
		l := c.Survey.ItemLeads[code]
		row(code, it.Name, c.Survey.Own.Items[code], func(s kpi.CarrierSurvey) kpi.Value { return s.Items[code] }, &l)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	sp := c.Survey.ShortPlanks
	fmt.Fprintf(w, "(* not reportable: n below CSAT_MIN_SAMPLE; margins are 95%%)\n\n")
	fmt.Fprintf(w, "short planks    absolute: %s   competitive: %s   index %s   improvement %s\n",
		list(sp.Absolute), list(sp.Competitive), num(sp.Index), signed(sp.Improvement))
	h, s := c.Window.Hotline, c.Window.Store
	fmt.Fprintf(w, "window service  satisfaction %s   hotline n=%d sat %s fcr %s avg wait %ss sl20 %s   store n=%d sat %s avg wait %ss\n",
		num(c.Window.Satisfaction), h.N, num(h.Satisfaction), num(h.FCR), num(h.AvgWait), num(h.SL20),
		s.N, num(s.Satisfaction), num(s.AvgWait))
	cp := c.Complaints
	fmt.Fprintf(w, "complaints      opened %d (%s per 10k)   escalated %d (%s per 1m)   closed %d   sla %s%%   mean %sh   callback sat %s%%\n",
		cp.Opened, num(cp.RatePer10k), cp.Escalated, num(cp.EscalatedPer1m), cp.Closed, num(cp.SLARate),
		num(cp.MeanResolutionHours), num(cp.CallbackSatisfaction))
	ch := c.Churn
	fmt.Fprintf(w, "churn           %d (high %d, mid %d, low %d)   rate %s%%   high-value %s%%   retention %s%%\n",
		ch.Churned, ch.ByTier.High, ch.ByTier.Mid, ch.ByTier.Low, num(ch.Rate), num(ch.HighValueRate), num(ch.RetentionRate))
	if c.Base == nil {
		fmt.Fprintln(w, "base            –")
	} else if c.Base.Tiers == nil {
		fmt.Fprintf(w, "base            %d subscribers\n", c.Base.Subscribers)
	} else {
		fmt.Fprintf(w, "base            %d subscribers (high %d, mid %d, low %d)\n", c.Base.Subscribers,
			c.Base.Tiers.High, c.Base.Tiers.Mid, c.Base.Tiers.Low)
	}
	return nil
}

func list(s []string) string {
	if len(s) == 0 {
		return "–"
	}
	return strings.Join(s, ", ")
}

// printAlerts prints alerts as an aligned table with their q-values and each rule's numbers
// (v1 fields and the extensions of docs/extensions.md), at most limit rows (0: all). names, when
// given, adds the branches' names.
func printAlerts(w io.Writer, alerts []kpi.Alert, names map[string]string, limit int) {
	if len(alerts) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  severity\trule\tbranch\tmetric\tq\tdetail")
	for i, al := range alerts {
		if limit > 0 && i == limit {
			fmt.Fprintf(tw, "  … %d more\t\t\t\t\t\n", len(alerts)-limit)
			break
		}
		var detail string
		switch al.Rule {
		case kpi.RuleDeclineStreak:
			vals := make([]string, len(al.Values))
			for j, v := range al.Values {
				vals[j] = fmt.Sprintf("%.1f", v)
			}
			detail = fmt.Sprintf("fell %d months from %s: %s (drop %.1f, z %s, p %s)", al.Streak, al.Start,
				strings.Join(vals, " → "), al.Drop, fixed(al.Z, 2), sci(al.P))
		case kpi.RuleBelowBase:
			// A lower-is-better metric misses its base from above.
			if kind, _, _ := strings.Cut(al.Metric, ":"); kpi.Kind(kind).LowerIsBetter() {
				detail = fmt.Sprintf("%.2f > base %.2f (lower is better)", al.Value, al.Base)
			} else {
				detail = fmt.Sprintf("%.2f < base %.2f", al.Value, al.Base)
			}
		case kpi.RuleLeadLost:
			detail = fmt.Sprintf("lead %+.1f, was %+.1f (p %s)", al.Value, al.Previous, sci(al.P))
		case kpi.RuleDrift:
			detail = fmt.Sprintf("%.1f vs baseline %.1f (drop %.1f, ewma %.2f below −%.2f over %d months, p %s)",
				al.Value, al.Baseline, al.Drop, al.EWMA, al.Limit, al.Updates, sci(al.P))
		}
		if n := names[al.Branch]; n != "" {
			detail = n + " · " + detail // last: wide characters would misalign the columns after them
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", al.Severity, al.Rule, al.Branch, al.Metric, sci(al.Q), detail)
	}
	_ = tw.Flush()
}
