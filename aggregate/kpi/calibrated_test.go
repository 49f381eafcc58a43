package kpi_test

import (
	"math"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
)

// TestCalibrate checks q-values and severities of a small alert set by hand. Family
// (2026-10, decline_streak) has p = 0.01, 0.04, 0.03 (m = 3): sorted 0.01, 0.03, 0.04 give
// p·m/rank = 0.03, 0.045, 0.04, and the running minimum from the top gives q = 0.03, 0.04, 0.04
// (in input order 0.03, 0.04, 0.04). With FDR 0.05 and a minimum drop of 3 the third (drop 2)
// stays watch. The lead_lost family of the same month has one alert: q = p = 0.2 → watch. The
// decline_streak of another month is its own family: q = p = 0.04. A below_base alert keeps its
// severity, an alert without p gets q null and watch.
func TestCalibrate(t *testing.T) {
	oct, sep := mustMonth(t, "2026-10"), mustMonth(t, "2026-09")
	alerts := []kpi.Alert{
		{Rule: kpi.RuleDeclineStreak, Branch: "A", Month: oct, P: fp(0.01), Drop: 5, Severity: kpi.SeverityWatch},
		{Rule: kpi.RuleDeclineStreak, Branch: "B", Month: oct, P: fp(0.04), Drop: 5, Severity: kpi.SeverityWatch},
		{Rule: kpi.RuleDeclineStreak, Branch: "C", Month: oct, P: fp(0.03), Drop: 2, Severity: kpi.SeveritySignificant},
		{Rule: kpi.RuleLeadLost, Branch: "A", Month: oct, P: fp(0.2), Drop: 6, Severity: kpi.SeveritySignificant},
		{Rule: kpi.RuleDeclineStreak, Branch: "A", Month: sep, P: fp(0.04), Drop: 4},
		{Rule: kpi.RuleBelowBase, Branch: "A", Month: oct, Severity: kpi.SeveritySignificant},
		{Rule: kpi.RuleDrift, Branch: "D", Month: oct, Drop: 9, Severity: kpi.SeveritySignificant},
	}
	kpi.Calibrate(kpi.DefaultConfig(), alerts)
	want := []struct {
		q   *float64
		sev string
	}{
		{fp(0.03), kpi.SeveritySignificant},
		{fp(0.04), kpi.SeveritySignificant},
		{fp(0.04), kpi.SeverityWatch},
		{fp(0.2), kpi.SeverityWatch},
		{fp(0.04), kpi.SeveritySignificant},
		{nil, kpi.SeveritySignificant},
		{nil, kpi.SeverityWatch},
	}
	for i, w := range want {
		checkF(t, alerts[i].Rule+" "+alerts[i].Branch+" q", alerts[i].Q, w.q)
		if alerts[i].Severity != w.sev {
			t.Errorf("%d %s %s: severity %s, want %s", i, alerts[i].Rule, alerts[i].Branch, alerts[i].Severity, w.sev)
		}
	}
	// A stricter FDR makes q = 0.04 watch.
	cfg := kpi.DefaultConfig()
	cfg.AlertFDR = 0.035
	kpi.Calibrate(cfg, alerts)
	if alerts[0].Severity != kpi.SeveritySignificant || alerts[1].Severity != kpi.SeverityWatch {
		t.Errorf("FDR 0.035: severities %s, %s; want significant, watch", alerts[0].Severity, alerts[1].Severity)
	}
}

// TestAlertPValues checks the p-values that Alerts attaches: decline_streak's is
// stat.StreakPValue of its z (selection-aware, not 1 − Φ(z)); lead_lost's is Φ(lead/SE).
func TestAlertPValues(t *testing.T) {
	oct := mustMonth(t, "2026-10")
	// Own 90 (not a fall into the start), then 86, 85, 84, 82, 77 over ctcc 80: a streak of 4
	// preceded by a reportable month that did not fall into the start.
	as := kpi.Alerts(kpi.DefaultConfig(), alertCat, nil, "GD-GZ", oct, series(t, 80, 85, 86, 85, 84, 82, 77))
	var csi, lost *kpi.Alert
	for i := range as {
		switch {
		case as[i].Rule == kpi.RuleDeclineStreak && as[i].Metric == "csi":
			csi = &as[i]
		case as[i].Rule == kpi.RuleLeadLost:
			lost = &as[i]
		}
	}
	if csi == nil || lost == nil {
		t.Fatalf("alerts %+v: want a csi decline_streak and a lead_lost", as)
	}
	// z = 9 / √(1 + 1); p is the streak p-value of 4 falls, preceded.
	checkF(t, "csi z", csi.Z, fp(9/math.Sqrt2))
	checkF(t, "csi p", csi.P, fp(stat.StreakPValue(9/math.Sqrt2, 4, true)))
	if csi.Q != nil {
		t.Errorf("q before Calibrate = %v, want null", *csi.Q)
	}
	// lead −3 with SE √2: p = P(Z ≥ 3/√2).
	checkF(t, "lead_lost p", lost.P, fp(stat.PValueOneSided(3/math.Sqrt2)))
	checkF(t, "lead_lost drop", &lost.Drop, fp(5))
}

// TestDriftAlerts: six baseline months at 80 (SE 1), then 79, 78, …, 74: a slide of one point a
// month that the EWMA chart flags at the sixth month; a flat series does not fire.
func TestDriftAlerts(t *testing.T) {
	oct := mustMonth(t, "2026-10")
	vals := []float64{80, 80, 80, 80, 80, 80, 79, 78, 77, 76, 75, 74}
	cards := series(t, 60, vals...)
	pts := kpi.PointsOf(kpi.DefaultConfig(), alertCat, cards)
	as := kpi.DriftAlerts(kpi.DefaultConfig(), alertCat, "GD-GZ", oct, pts)
	var csi *kpi.Alert
	for i := range as {
		if as[i].Metric == "csi" {
			csi = &as[i]
		}
	}
	if csi == nil {
		t.Fatalf("no csi drift alert in %+v", as)
	}
	ses := make([]float64, len(vals))
	for i := range ses {
		ses[i] = 1
	}
	r := stat.EWMADrift(vals, ses, 0.2, 3)
	if !r.Signal {
		t.Fatalf("stat.EWMADrift does not signal: %+v", r)
	}
	checkF(t, "baseline", &csi.Baseline, fp(80))
	checkF(t, "drop", &csi.Drop, fp(6))
	checkF(t, "value", &csi.Value, fp(74))
	checkF(t, "ewma", &csi.EWMA, fp(r.Stat))
	checkF(t, "p", csi.P, fp(r.P))
	if csi.Updates != 6 {
		t.Errorf("months = %d, want 6", csi.Updates)
	}
	flat := kpi.PointsOf(kpi.DefaultConfig(), alertCat, series(t, 60, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80))
	if as := kpi.DriftAlerts(kpi.DefaultConfig(), alertCat, "GD-GZ", oct, flat); len(as) != 0 {
		t.Errorf("flat series: %d drift alerts, want 0", len(as))
	}
}
