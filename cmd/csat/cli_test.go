package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// runCLI runs csat with args and environ; it returns the exit code, stdout and stderr.
func runCLI(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut, environ)
	return code, out.String(), errOut.String()
}

func TestEveryCommandHasAnExample(t *testing.T) {
	for name := range commands {
		if examples[name] == "" {
			t.Errorf("csat %s has no example", name)
			continue
		}
		code, out, _ := runCLI(t, nil, "help", name)
		if code != 0 || !strings.Contains(out, "Example:\n  ") || !strings.Contains(out[strings.Index(out, "Example:"):], "csat "+name) {
			t.Errorf("csat help %s: %d, no example in:\n%s", name, code, out)
		}
	}
	for name := range examples {
		if commands[name] == nil {
			t.Errorf("example of %q, which is no command", name)
		}
	}
}

func TestTrendHelpListsItemCodes(t *testing.T) {
	_, out, _ := runCLI(t, nil, "help", "trend")
	for _, it := range schema.DefaultCatalog().Items {
		if !strings.Contains(out, it.Code) || !strings.Contains(out, it.Name) {
			t.Errorf("csat trend -h lacks item %s %s", it.Code, it.Name)
		}
	}
	if !strings.Contains(out, "last 13 months") {
		t.Errorf("csat trend -h does not say its default range")
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct{ typed, want string }{
		{"kpii", `did you mean "kpi"`},
		{"alert", `did you mean "alerts"`},
		{"scorcard", `did you mean "scorecard"`},
		{"branchs", `did you mean "branches"`},
		{"serv", `did you mean "serve"`},
		{"xyzzy", ""},
	} {
		code, _, stderr := runCLI(t, nil, tc.typed)
		if code != 2 {
			t.Errorf("csat %s: exit %d, want 2", tc.typed, code)
		}
		if tc.want == "" && strings.Contains(stderr, "did you mean") {
			t.Errorf("csat %s: %q suggests something for nonsense", tc.typed, stderr)
		}
		if tc.want != "" && !strings.Contains(stderr, tc.want) {
			t.Errorf("csat %s: %q, want %q", tc.typed, stderr, tc.want)
		}
	}
}

func TestResolveBranch(t *testing.T) {
	bs := []branchInfo{{"GD", "广东省"}, {"GD-GZ", "广州市"}, {"GD-GZ-TH", "天河区"}, {"GD-SZ", "深圳市"}, {"BJ", ""}}
	for _, tc := range []struct{ in, want, err string }{
		{"GD-GZ", "GD-GZ", ""},
		{"ALL", "ALL", ""},
		{"gd-gz", "GD-GZ", ""},
		{"广州市", "GD-GZ", ""},
		{"天河", "GD-GZ-TH", ""},
		{"深圳", "GD-SZ", ""},
		{"广", "", "names 2 branches: GD 广东省, GD-GZ 广州市"},
		{"上海", "", "no branch has that id or name"},
	} {
		got, err := resolveBranch(bs, "branch", tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error with %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := resolveBranch([]branchInfo{{"GD", ""}}, "parent", "广东"); err == nil || !strings.Contains(err.Error(), "CSAT_BRANCH_NAMES_FILE") {
		t.Errorf("a name without a names file: %v, want the hint", err)
	}
	if got := matchBranches(bs, "gd-g"); len(got) != 2 {
		t.Errorf("match gd-g: %v, want GD-GZ and GD-GZ-TH", got)
	}
}

func TestLastCompleteQuarter(t *testing.T) {
	for m, want := range map[schema.Month]string{202609: "2026-Q3", 202610: "2026-Q3", 202611: "2026-Q3", 202612: "2026-Q4", 202601: "2025-Q4", 202603: "2026-Q1"} {
		if got := lastCompleteQuarter(m); got != want {
			t.Errorf("lastCompleteQuarter(%s) = %s, want %s", m, got, want)
		}
	}
}

func TestEmptyReason(t *testing.T) {
	a := &app{names: map[string]string{"GD": "广东省"}}
	one := 1.0
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"empty card", kpi.Card{Branch: "GD", Month: 202610}, "no data for GD 广东省 in 2026-10"},
		{"card with complaints", kpi.Card{Branch: "GD", Month: 202610, Complaints: kpi.ComplaintsCard{Opened: 1}}, ""},
		{"no alerts", aggregate.AlertList{Month: 202610}, "no alerts in 2026-10"},
		{"no children", aggregate.Comparison{Parent: "GD", Month: 202610, Metric: "csi"}, "GD 广东省 has no sub-branches"},
		{"trend of nulls", aggregate.Trend{Branch: "GD", Metric: "csi", From: 202601, To: 202610, Points: []aggregate.TrendPoint{{Month: 202601}}}, "no value of csi"},
		{"trend with a value", aggregate.Trend{Points: []aggregate.TrendPoint{{Month: 202601, MetricValue: kpi.MetricValue{Value: &one}}}}, ""},
		{"no match", branchMatches{Query: "上海", Known: 3}, `no branch id starts with "上海"`},
	} {
		if got := a.emptyReason(tc.v); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestAlertTextPolarity: a missed base target reads with the metric's direction.
func TestAlertTextPolarity(t *testing.T) {
	var buf bytes.Buffer
	printAlerts(&buf, []kpi.Alert{
		{Rule: kpi.RuleBelowBase, Branch: "GD-SZ", Metric: "complaint_rate", Severity: kpi.SeverityWatch, Value: 4.35, Base: 3},
		{Rule: kpi.RuleBelowBase, Branch: "GD-GZ", Metric: "csi", Severity: kpi.SeverityWatch, Value: 79.2, Base: 80},
	}, nil, 0)
	for _, want := range []string{"4.35 > base 3.00 (lower is better)", "79.20 < base 80.00"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("alerts lack %q:\n%s", want, buf.String())
		}
	}
}
