package aggregate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

func val(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = null, want %v", name, want)
		return
	}
	if !approx(*got, want) {
		t.Errorf("%s = %v, want %v", name, *got, want)
	}
}

// TestOperations runs the read operations over the fixture of TestProjectorFixture, with
// CSAT_MIN_SAMPLE = 1 so that the small samples are reportable.
// scorecardEngine is an engine with the default scorecard and a minimum sample of 1.
func scorecardEngine(t testing.TB, conn driver.Conn) *aggregate.Engine {
	t.Helper()
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	sc, err := kpi.DefaultScorecard(testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	return aggregate.NewEngine(conn, cfg, testCatalog(), sc, nil)
}

func TestOperations(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	p := newProjector(conn)
	phase1(t, conn)
	phase2(t, conn)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := scorecardEngine(t, conn)

	sNet := (2*rs(10) + 1*rs(4)) / 3 // county network: r1 (w 2), r2 (w 1)
	cityVoice := (2*rs(1) + 3*rs(7)) / 5
	countyCSI := (2*sNet + 1*rs(1)) / 3
	cityCSI := (2*sNet + 1*cityVoice) / 3
	ctccCSI := (2*rs(1) + 1*rs(10)) / 3

	t.Run("card", func(t *testing.T) {
		c, err := e.Card(ctx, "GD-GZ-TH", oct)
		if err != nil {
			t.Fatal(err)
		}
		val(t, "county csi", c.Survey.Own.CSI.Value, countyCSI)
		if c.Survey.Own.CSI.N != 2 {
			t.Errorf("county csi n = %d, want 2", c.Survey.Own.CSI.N)
		}
		// Small-area estimate (docs/extensions.md): the county's only sibling, GD-GZ-BY, has no
		// responses, so the variance between counties cannot be estimated and the county keeps
		// its direct value and margin.
		if sm := c.Survey.Own.CSI.Smoothed; sm == nil || sm.Value == nil || sm.MOE95 == nil {
			t.Errorf("county csi smoothed = %+v, want value and moe95", sm)
		} else {
			val(t, "county smoothed csi", sm.Value, countyCSI)
			val(t, "county smoothed moe95", sm.MOE95, *c.Survey.Own.CSI.MOE95)
		}
		if c.Survey.Own.Items["network"].Smoothed == nil {
			t.Errorf("county network has no smoothed value")
		}
		gd, err := e.Card(ctx, "GD", oct)
		if err != nil {
			t.Fatal(err)
		}
		if gd.Survey.Own.CSI.Smoothed != nil {
			t.Errorf("province csi smoothed = %+v, want none (provinces are not smoothed)", gd.Survey.Own.CSI.Smoothed)
		}
		c, err = e.Card(ctx, "GD-GZ", oct)
		if err != nil {
			t.Fatal(err)
		}
		val(t, "city csi", c.Survey.Own.CSI.Value, cityCSI)
		val(t, "city lead", c.Survey.Lead.Value, cityCSI-ctccCSI)
		if c.Survey.Lead.BestCompetitor == nil || *c.Survey.Lead.BestCompetitor != "ctcc" {
			t.Errorf("best competitor = %v, want ctcc", c.Survey.Lead.BestCompetitor)
		}
		val(t, "complaint rate", c.Complaints.RatePer10k, 2.0/2000*10000)
		val(t, "churn rate", c.Churn.Rate, 3.0/2000*100)
		val(t, "high value churn rate", c.Churn.HighValueRate, 1.0/200*100)
		val(t, "retention rate", c.Churn.RetentionRate, 100-100*2.0/700)
		val(t, "window satisfaction", c.Window.Satisfaction, 100*2.0/3)
		if c.Base == nil || c.Base.Subscribers != 2000 {
			t.Errorf("city base = %+v, want 2000 (the sum of its counties)", c.Base)
		}
	})

	t.Run("trend", func(t *testing.T) {
		tr, err := e.Trend(ctx, "GD", "csi", sep, oct)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Points) != 2 {
			t.Fatalf("%d points, want 2", len(tr.Points))
		}
		val(t, "2026-09", tr.Points[0].Value, 100) // only r7 (network = 10)
		val(t, "2026-10", tr.Points[1].Value, cityCSI)
	})

	t.Run("compare", func(t *testing.T) {
		c, err := e.Compare(ctx, "GD-GZ", oct, "csi")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Children) != 2 || c.Children[0].Branch != "GD-GZ-TH" || c.Children[1].Branch != "GD-GZ-BY" {
			t.Fatalf("children = %+v, want GD-GZ-TH then GD-GZ-BY (no value)", c.Children)
		}
		val(t, "GD-GZ-TH change", c.Children[0].Change, countyCSI-100)
		if c.Children[1].Value != nil || c.Children[1].Rank != 2 || c.Children[1].Change != nil {
			t.Errorf("GD-GZ-BY = %+v, want rank 2 without value or change", c.Children[1])
		}
	})

	t.Run("alerts", func(t *testing.T) {
		a, err := e.Alerts(ctx, "GD", oct)
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, al := range a.Alerts {
			if !strings.HasPrefix(al.Branch, "GD") {
				t.Errorf("alert outside the subtree: %+v", al)
			}
			found[al.Rule+" "+al.Branch+" "+al.Metric] = true
		}
		for _, w := range []string{"below_base GD-GZ csi", "below_base GD-GZ window_satisfaction", "below_base GD csi", "below_base GD-GZ-TH csi"} {
			if !found[w] {
				t.Errorf("no alert %q in %v", w, found)
			}
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), `{"month":"2026-10","alerts":[{`) {
			t.Errorf("JSON = %.80s…", b)
		}
	})

	t.Run("scorecard", func(t *testing.T) {
		r, err := e.Scorecard(ctx, "GD-GZ", "2026-Q4")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Components) != 6 {
			t.Fatalf("%d components, want 6 (the 2007 scheme)", len(r.Components))
		}
		if !r.Components[0].Missing { // November and December have no data
			t.Errorf("csi over 2026-Q4 not missing: %+v", r.Components[0])
		}
		rs, err := e.ChildScorecards(ctx, "ALL", "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Branch != "GD" {
			t.Errorf("ChildScorecards(ALL) = %d results, want GD only", len(rs))
		}
	})

	t.Run("league", func(t *testing.T) {
		l, err := e.League(ctx, "ALL", 3, "2026-10", "")
		if err != nil {
			t.Fatal(err)
		}
		// The counties under ALL: GD-GZ-TH and GD-GZ-BY, both 5 points (retention; BY has no
		// survey or window data): a tie goes to the smaller id.
		if len(l.Branches) != 2 || l.Branches[0].Branch != "GD-GZ-BY" || l.Branches[1].Branch != "GD-GZ-TH" ||
			l.Branches[0].Rank != 1 || l.Branches[1].Rank != 2 || len(l.Branches[0].Missing) != 5 || l.Max != 31 || l.By != "total" {
			t.Fatalf("league = %+v", l)
		}
		for _, b := range l.Branches {
			sc, err := e.Scorecard(ctx, b.Branch, "2026-10")
			if err != nil {
				t.Fatal(err)
			}
			if b.Points != sc.Total || b.Points != 5 {
				t.Errorf("%s: league points %v, scorecard total %v, want 5", b.Branch, b.Points, sc.Total)
			}
		}
		byCSI, err := e.League(ctx, "GD", 2, "2026-10", "csi")
		if err != nil {
			t.Fatal(err)
		}
		if len(byCSI.Branches) != 1 || byCSI.Branches[0].Points != byCSI.Branches[0].Scorecard.Components[0].Points || byCSI.Max != 8 {
			t.Errorf("league by csi = %+v", byCSI)
		}
		var pe *aggregate.ParamError
		if _, err := e.League(ctx, "GD-GZ", 2, "2026-10", ""); !errors.As(err, &pe) || pe.Param != "level" {
			t.Errorf("level not below the parent: %v", err)
		}
		if _, err := e.League(ctx, "ALL", 2, "2026-10", "complaint_rate"); !errors.As(err, &pe) || pe.Param != "metric" {
			t.Errorf("metric not a component: %v", err)
		}
	})

	t.Run("branches", func(t *testing.T) {
		bs, err := e.Branches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, b := range bs {
			ids = append(ids, b.ID)
		}
		if got, want := strings.Join(ids, " "), "ALL GD GD-GZ GD-GZ-BY GD-GZ-TH"; got != want {
			t.Errorf("Branches = %s, want %s", got, want)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			err   error
			param string
		}{
			{"unknown branch", func() error { _, err := e.Card(ctx, "BJ", oct); return err }(), "branch"},
			{"malformed branch", func() error { _, err := e.Card(ctx, "gd gz", oct); return err }(), "branch"},
			{"bad month", func() error { _, err := e.Card(ctx, "GD", 202613); return err }(), "month"},
			{"unknown metric", func() error { _, err := e.Trend(ctx, "GD", "nps", sep, oct); return err }(), "metric"},
			{"from after to", func() error { _, err := e.Trend(ctx, "GD", "csi", oct, sep); return err }(), "from"},
			{"unknown parent", func() error { _, err := e.Compare(ctx, "BJ", oct, "csi"); return err }(), "parent"},
			{"bad period", func() error { _, err := e.Scorecard(ctx, "GD", "2026-Q5"); return err }(), "period"},
		} {
			var pe *aggregate.ParamError
			if !errors.As(tc.err, &pe) || pe.Param != tc.param {
				t.Errorf("%s: err = %v, want a ParamError for %s", tc.name, tc.err, tc.param)
			}
		}
		_, err := e.Card(ctx, "BJ", oct)
		if !errors.Is(err, aggregate.ErrUnknownBranch) {
			t.Errorf("Card(BJ): %v, want ErrUnknownBranch", err)
		}
	})
}

// TestAlertsLongStreak checks that a decline streak longer than CSAT_ALERT_DECLINE_MONTHS is
// reported in full (up to the look-back of six months), through Alerts' second read.
func TestAlertsLongStreak(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	var rows [][]any
	var marks []aggregate.DirtyMark
	first := schema.Month(202603)
	for i, m := range schema.Months(first, oct) {
		score := uint8(10 - i) // falls every month: 10, 9, …, 3
		for k := range 2 {
			id := fmt.Sprintf("r%d-%d", m, k)
			rows = append(rows, resp(id, "BJ-HD", m, "cmcc", 1, score, net, []uint8{score}, 0, int64(len(rows))))
		}
		marks = append(marks, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: m})
	}
	insert(t, conn, "survey_responses", colsSurvey, rows...)
	mark(t, conn, marks...)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 1
	e := aggregate.NewEngine(conn, cfg, testCatalog(), nil, nil)
	got, err := e.Alerts(ctx, "ALL", oct)
	if err != nil {
		t.Fatal(err)
	}
	var csi []kpi.Alert
	for _, a := range got.Alerts {
		if a.Rule == kpi.RuleDeclineStreak && a.Metric == "csi" {
			csi = append(csi, a)
		}
	}
	// BJ-HD, BJ and ALL hold the same responses.
	if len(csi) != 3 {
		t.Fatalf("%d csi decline_streak alerts, want 3 (BJ-HD, BJ, ALL): %+v", len(csi), got.Alerts)
	}
	for _, a := range csi {
		if a.Streak != 6 || a.Start != 202604 || len(a.Values) != 7 {
			t.Errorf("%s: streak %d from %s with %d values, want 6 from 2026-04 with 7", a.Branch, a.Streak, a.Start, len(a.Values))
		}
		val(t, a.Branch+" drop", &a.Drop, rs(9)-rs(3))
	}
}

// TestAlertsQIsCompanyWide checks that an alert's q-value and severity come from the whole
// company's alerts of the month and rule, whatever subtree is asked for: BJ-HD and SH-PD both
// fall three months in a row; the q of BJ-HD's csi alert is the same under ALL and under BJ.
func TestAlertsQIsCompanyWide(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	var rows [][]any
	var marks []aggregate.DirtyMark
	for i, m := range schema.Months(202607, oct) {
		for _, b := range []string{"BJ-HD", "SH-PD"} {
			for k := range 40 {
				score := uint8(10 - i)
				if k%2 == 0 {
					score-- // some spread, so the SEs are positive
				}
				id := fmt.Sprintf("%s-%d-%d", b, m, k)
				rows = append(rows, resp(id, b, m, "cmcc", 1, score, net, []uint8{score}, 0, int64(len(rows))))
			}
		}
		marks = append(marks, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: m})
	}
	insert(t, conn, "survey_responses", colsSurvey, rows...)
	mark(t, conn, marks...)
	if err := newProjector(conn).Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := aggregate.NewEngine(conn, kpi.DefaultConfig(), testCatalog(), nil, nil)
	find := func(root string) kpi.Alert {
		t.Helper()
		got, err := e.Alerts(ctx, root, oct)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got.Alerts {
			if !schema.InSubtree(a.Branch, root) {
				t.Errorf("Alerts(%s) has %s", root, a.Branch)
			}
		}
		for _, a := range got.Alerts {
			if a.Rule == kpi.RuleDeclineStreak && a.Branch == "BJ-HD" && a.Metric == "csi" {
				return a
			}
		}
		t.Fatalf("Alerts(%s): no csi decline_streak of BJ-HD in %+v", root, got.Alerts)
		return kpi.Alert{}
	}
	all, bj := find("ALL"), find("BJ")
	if all.P == nil || all.Q == nil || bj.Q == nil {
		t.Fatalf("p or q missing: %+v / %+v", all, bj)
	}
	if *all.Q != *bj.Q || all.Severity != bj.Severity {
		t.Errorf("q under ALL %v (%s), under BJ %v (%s): want equal", *all.Q, all.Severity, *bj.Q, bj.Severity)
	}
	// The family holds csi, item:network and the same for SH-PD, BJ, SH, ALL (ALL and the two
	// provinces and their cities fall alike): q ≥ p, and q < p × family size.
	if *all.Q < *all.P {
		t.Errorf("q %v < p %v", *all.Q, *all.P)
	}
}
