package api_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/stat"
	"github.com/csat-dev/csat/schema"
)

// fakeReader is a Reader over fixed fixture numbers: deterministic per (branch, metric,
// month), with GD-GZ's CSI falling for the last three months of fixtureMonth.
type fakeReader struct {
	branches []api.Branch
	panicOn  string // a branch whose Card panics, for the recover test

	mu    sync.Mutex
	calls []string // "method branch" of each call, for the scope tests
}

func (f *fakeReader) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

func (f *fakeReader) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

var _ api.Reader = (*fakeReader)(nil)

const fixtureMonth = schema.Month(202610)

func newFakeReader() *fakeReader {
	names := map[string]string{"ALL": "全公司", "GD": "广东", "GD-GZ": "广州", "GD-SZ": "深圳", "GD-GZ-TH": "天河", "GD-GZ-YX": "越秀", "BJ": "北京", "BJ-HD": "海淀"}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	f := &fakeReader{}
	for _, id := range ids {
		f.branches = append(f.branches, api.Branch{ID: id, Name: names[id], Parent: schema.Parent(id), Level: schema.Level(id)})
	}
	return f
}

// known reports an unknown branch the way the engine does: an *aggregate.ParamError wrapping
// aggregate.ErrUnknownBranch. (Compare's unknown parent is a bare aggregate.ErrUnknownBranch,
// to cover that path too.)
func (f *fakeReader) known(param, b string) error {
	for _, x := range f.branches {
		if x.ID == b {
			return nil
		}
	}
	if param == "parent" {
		return fmt.Errorf("branch %s: %w", b, aggregate.ErrUnknownBranch)
	}
	return &aggregate.ParamError{Param: param, Msg: fmt.Sprintf("branch %s is named by no event", b), Err: aggregate.ErrUnknownBranch}
}

func jitter(parts ...string) float64 {
	h := fnv.New32a()
	h.Write([]byte(strings.Join(parts, "|")))
	return float64(h.Sum32()%1000)/1000 - 0.5 // [-0.5, 0.5)
}

// csi is the fixture CSI: GD-GZ 2026-10 is 78.4 after three falls (81.9, 80.6, 79.5, 78.4).
func csi(branch string, m schema.Month) float64 {
	if branch == "GD-GZ" {
		switch m {
		case 202607:
			return 81.9
		case 202608:
			return 80.6
		case 202609:
			return 79.5
		case 202610:
			return 78.4
		}
	}
	return 80 + 6*jitter(branch) + 2*math.Sin(float64(m.Year()*12+m.Mon())/2) + jitter(branch, m.String())
}

func pf(v float64) *float64 { return &v }

// moments gives n equally weighted responses with mean v and a 95 % margin moe.
func moments(v, moe float64, n uint64) kpi.Moments {
	fn := float64(n)
	sd := moe / 1.96 * math.Sqrt(fn)
	return kpi.Moments{N: n, SW: fn, SW2: fn, SWX: fn * v, SWX2: fn * (v*v + sd*sd)}
}

// noDataBefore is the first month of the fixture: a month before it has no data at all.
const noDataBefore = schema.Month(202001)

// monthData is the fixture's statistics of one branch and month: the own CSI is csi(b, m)
// exactly (the item offsets sum to zero), ctcc trails by 1.2 and cucc by 3. GD-GZ-TH's
// complaints rise by 10 a month (a rising complaint rate).
func monthData(b string, m schema.Month) kpi.MonthData {
	if m < noDataBefore {
		return kpi.MonthData{}
	}
	n := uint64(412)
	if b == "GD-GZ-YX" {
		n = 18 // below CSAT_MIN_SAMPLE: unreportable
	}
	survey := kpi.SurveyStats{}
	for _, c := range []struct {
		carrier string
		delta   float64
		n       uint64
	}{{"cmcc", 0, n}, {"ctcc", -1.2, 380}, {"cucc", -3, 350}} {
		v := csi(b, m) + c.delta
		ms := map[string]kpi.Moments{kpi.ItemCSI: moments(v, 2.1, c.n), kpi.ItemOverall: moments(v+1.3, 2.4, c.n)}
		for i, it := range items {
			off := itemOffsets[i] + 1.5*jitter(b, it, c.carrier, m.String())
			if i == len(items)-1 {
				off = itemOffsets[i]
			}
			ms[it] = moments(v+off, 3.0, c.n)
		}
		survey[c.carrier] = ms
	}
	// Keep the own item mean exactly at csi(b, m): undo the jitter on the last item.
	var sum float64
	for _, it := range items {
		sum += survey["cmcc"][it].SWX / survey["cmcc"][it].SW
	}
	last := items[len(items)-1]
	fix := survey["cmcc"][last]
	lv := fix.SWX/fix.SW - (sum - csi(b, m)*float64(len(items)))
	survey["cmcc"][last] = moments(lv, 3.0, n)
	opened := uint64(230)
	if b == "GD-GZ-TH" {
		opened += uint64(10 * (m.Year()*12 + m.Mon() - 2026*12))
	}
	return kpi.MonthData{
		Survey:     survey,
		Window:     kpi.Window{HotlineN: 5120, HotlineSatisfied: 4890, HotlineResolved: 4516, HotlineWaitSum: 5120 * 14, HotlineSL20: 4659, StoreN: 2300, StoreSatisfied: 2240, StoreWaitSum: 2300 * 310},
		Complaints: kpi.Complaints{Opened: opened, Escalated: 3, Closed: 221, ClosedWithinSLA: 206, ResolutionHoursSum: 221 * 20.5, CallbackN: 200, CallbackSatisfied: 180},
		Churn:      kpi.ChurnCounts{Churned: 14500, High: 900, Mid: 4100, Low: 9500},
		Base:       &kpi.Base{Subscribers: 1250000, Tiers: &kpi.Tiers{High: 100000, Mid: 400000, Low: 750000}},
	}
}

var (
	items       = []string{"network", "voice", "data", "tariff", "billing", "store", "hotline", "online", "brand", "complaint"}
	itemOffsets = []float64{4, 3, 1, -5, -6, 2.5, 3.5, -4.5, 1.5, 0}
)

func (f *fakeReader) Card(_ context.Context, b string, m schema.Month) (kpi.Card, error) {
	f.record("card " + b)
	if err := f.known("branch", b); err != nil {
		return kpi.Card{}, err
	}
	if b == f.panicOn {
		panic("fixture panic")
	}
	c := kpi.ComputeCard(kpi.DefaultConfig(), schema.DefaultCatalog(), b, m, monthData(b, m), monthData(b, m.Prev()))
	// Like the engine's (CSAT_DRIVER_LEVEL 1): the drivers pool the card's province.
	db := b
	if schema.Level(b) > 1 {
		db = schema.Ancestors(b)[schema.Level(b)-1]
	}
	kpi.ComputeDrivers(kpi.DefaultConfig(), schema.DefaultCatalog(), &c, db, m.Add(-5), m, fakeMoments(db))
	if schema.Level(b) >= 3 && m >= noDataBefore {
		v := smoothedCSI(b, m)
		c.ApplySmoothed(kpi.SmoothedSurvey{"cmcc": {"csi": {Value: &v, MOE95: pf(1.5)}}})
	}
	return c, nil
}

// smoothedCSI is the fixture's smoothed CSI of a county: half way to its city's.
func smoothedCSI(b string, m schema.Month) float64 { return (csi(b, m) + csi(schema.Parent(b), m)) / 2 }

// fakeMoments are deterministic cross moments of 300 responses of branch b: the overall
// answer depends on the items with weights falling along the catalog (network the most).
func fakeMoments(b string) stat.CrossMoments {
	cat := schema.DefaultCatalog()
	cm := stat.NewCrossMoments(len(cat.Items))
	x := make([]float64, len(cat.Items))
	for i := range 300 {
		var y float64
		for k := range x {
			x[k] = 60 + 40*jitter(b, fmt.Sprint(k), fmt.Sprint(i))
			y += x[k] * float64(len(x)-k) / 55
		}
		_ = cm.Observe(1, x, y+10*jitter(b, "y", fmt.Sprint(i)))
	}
	return cm
}

func strPtr(s string) *string { return &s }

// metricValue is the fixture's value of a SPEC §4 metric, extracted from the computed card the
// way the engine does.
func metricValue(b, metric string, m schema.Month) (kpi.MetricValue, error) {
	met, err := kpi.ParseMetric(metric, schema.DefaultCatalog())
	if err != nil {
		return kpi.MetricValue{}, &aggregate.ParamError{Param: "metric", Msg: err.Error()}
	}
	if met.Kind == kpi.KindScore {
		return kpi.MetricValue{}, nil
	}
	c := kpi.ComputeCard(kpi.DefaultConfig(), schema.DefaultCatalog(), b, m, monthData(b, m), monthData(b, m.Prev()))
	return c.Metric(met), nil
}

// Trend returns the engine's own type, so the JSON checked against the OpenAPI document is the
// engine's.
func (f *fakeReader) Trend(_ context.Context, b, metric string, from, to schema.Month) (aggregate.Trend, error) {
	f.record("trend " + b)
	if err := f.known("branch", b); err != nil {
		return aggregate.Trend{}, err
	}
	tr := aggregate.Trend{Branch: b, Metric: metric, From: from, To: to, Points: []aggregate.TrendPoint{}}
	for _, m := range schema.Months(from, to) {
		v, err := metricValue(b, metric, m)
		if err != nil {
			return aggregate.Trend{}, err
		}
		tr.Points = append(tr.Points, aggregate.TrendPoint{Month: m, MetricValue: v})
	}
	return tr, nil
}

// Compare ranks the children like the engine: reportable values first (higher is better in
// the fixture), then unreportable ones, each by value.
func (f *fakeReader) Compare(_ context.Context, parent string, m schema.Month, metric string) (aggregate.Comparison, error) {
	f.record("compare " + parent)
	if err := f.known("parent", parent); err != nil {
		return aggregate.Comparison{}, err
	}
	c := aggregate.Comparison{Parent: parent, Month: m, Metric: metric, Children: []aggregate.Ranked{}}
	for _, b := range f.branches {
		if b.Parent != parent {
			continue
		}
		v, err := metricValue(b.ID, metric, m)
		if err != nil {
			return aggregate.Comparison{}, err
		}
		prev, _ := metricValue(b.ID, metric, m.Prev())
		r := aggregate.Ranked{Branch: b.ID, MetricValue: v}
		if v.Value != nil && prev.Value != nil {
			r.Change = pf(*v.Value - *prev.Value)
		}
		c.Children = append(c.Children, r)
	}
	sort.SliceStable(c.Children, func(i, j int) bool {
		a, b := c.Children[i], c.Children[j]
		if a.Reportable != b.Reportable {
			return a.Reportable
		}
		return *a.Value > *b.Value
	})
	for i := range c.Children {
		c.Children[i].Rank = i + 1
	}
	return c, nil
}

func (f *fakeReader) Alerts(_ context.Context, b string, m schema.Month) (aggregate.AlertList, error) {
	f.record("alerts " + b)
	if err := f.known("branch", b); err != nil {
		return aggregate.AlertList{}, err
	}
	vals := []float64{csi("GD-GZ", m.Add(-3)), csi("GD-GZ", m.Add(-2)), csi("GD-GZ", m.Add(-1)), csi("GD-GZ", m)}
	all := []kpi.Alert{
		{Rule: kpi.RuleDeclineStreak, Branch: "GD-GZ", Metric: "csi", Month: m, Severity: kpi.SeveritySignificant,
			Streak: 3, Start: m.Add(-3), Values: vals, Drop: vals[0] - vals[3], Z: pf(2.37), Q: pf(0.0032)},
		{Rule: kpi.RuleLeadLost, Branch: "GD-SZ", Metric: "lead", Month: m, Severity: kpi.SeverityWatch, Value: -0.7, Previous: 0.4},
		{Rule: kpi.RuleBelowBase, Branch: "BJ-HD", Metric: "window_satisfaction", Month: m, Severity: kpi.SeverityWatch, Value: 94.2, Base: 95},
	}
	if m == fixtureMonth {
		// New this month: a lower-is-better metric above its base target.
		all = append(all, kpi.Alert{Rule: kpi.RuleBelowBase, Branch: "GD-GZ-TH", Metric: "complaint_rate", Month: m, Severity: kpi.SeveritySignificant, Value: 4.35, Base: 3})
		// A value that rounds to its target.
		all = append(all, kpi.Alert{Rule: kpi.RuleBelowBase, Branch: "BJ", Metric: "short_plank_improvement", Month: m, Severity: kpi.SeverityWatch, Value: -0.04, Base: 0})
	}
	out := []kpi.Alert{}
	for _, a := range all {
		if schema.InSubtree(a.Branch, b) {
			out = append(out, a)
		}
	}
	return aggregate.AlertList{Month: m, Alerts: out}, nil
}

// Scorecard evaluates the default scorecard over the fixture's cards.
func (f *fakeReader) Scorecard(ctx context.Context, b, period string) (kpi.ScorecardResult, error) {
	f.record("scorecard " + b)
	if err := f.known("branch", b); err != nil {
		return kpi.ScorecardResult{}, err
	}
	sc, err := kpi.DefaultScorecard(schema.DefaultCatalog())
	if err != nil {
		return kpi.ScorecardResult{}, err
	}
	p, err := sc.Period(period)
	if err != nil || p.Months[0].Month.Year() < 2000 {
		return kpi.ScorecardResult{}, &aggregate.ParamError{Param: "period", Msg: fmt.Sprintf("period %q: not a month, quarter or year of the fixture", period)}
	}
	cards := map[schema.Month]*kpi.Card{}
	for _, pm := range p.Months {
		c := kpi.ComputeCard(kpi.DefaultConfig(), schema.DefaultCatalog(), b, pm.Month, monthData(b, pm.Month), monthData(b, pm.Month.Prev()))
		cards[pm.Month] = &c
	}
	return sc.Evaluate(b, p, cards), nil
}

func (f *fakeReader) Branches(context.Context) ([]api.Branch, error) {
	f.record("branches")
	return f.branches, nil
}

var _ api.FunnelReader = (*fakeReader)(nil)

// Funnel is a fixture funnel over the known children of parent: complaints per 10k around 10,
// bases from 20k to 400k, GD-SZ a high outlier.
func (f *fakeReader) Funnel(_ context.Context, parent string, m schema.Month, metric string) (aggregate.FunnelPlot, error) {
	f.record("Funnel " + parent)
	if err := f.known("parent", parent); err != nil {
		return aggregate.FunnelPlot{}, err
	}
	out := aggregate.FunnelPlot{Parent: parent, Month: m, Metric: metric, Rate: pf(10), Phi: pf(1.4), Factor: 1.4,
		Children: []aggregate.FunnelChild{}, Curve: []aggregate.FunnelLimits{}}
	lim := func(base float64) aggregate.FunnelLimits {
		sd := math.Sqrt(1.4*0.001*0.999/base) * 10000
		return aggregate.FunnelLimits{Lower95: pf(math.Max(0, 10-1.96*sd)), Upper95: pf(10 + 1.96*sd),
			Lower998: pf(math.Max(0, 10-3.09*sd)), Upper998: pf(10 + 3.09*sd)}
	}
	for _, b := range f.branches {
		if b.Parent != parent || b.ID == parent {
			continue
		}
		base := uint64(20000 + 380000*(0.5+jitter(b.ID, "base")))
		rate := 10 + 2*jitter(b.ID, m.String())
		c := aggregate.FunnelChild{Branch: b.ID, Base: &base, Rate: pf(rate), Z: pf(0), FunnelLimits: lim(float64(base))}
		if b.ID == "GD-SZ" {
			rate = 2 * *c.Upper998
			c.Rate, c.Outlier, c.Warning = pf(rate), "high", "high"
		}
		c.Count = uint64(rate * float64(base) / 10000)
		out.Children = append(out.Children, c)
	}
	for _, base := range []float64{20000, 50000, 100000, 200000, 400000} {
		l := lim(base)
		l.Base = pf(base)
		out.Curve = append(out.Curve, l)
	}
	return out, nil
}
