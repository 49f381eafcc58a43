package kpi_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// response is a raw synthetic survey_response.
type response struct {
	branch, carrier string
	w               float64
	items           map[string]int // code → answer 1–10
	overall         int            // 0 when absent
}

// event is a raw synthetic window/complaint/churn event of one branch, as counts.
type event struct {
	branch     string
	window     kpi.Window
	complaints kpi.Complaints
	churn      kpi.ChurnCounts
}

var propBranches = []string{"GD", "GD-GZ", "GD-GZ-TH", "GD-GZ-BY", "GD-SZ", "HB", "HB-WH-1"}

// propTree lists every branch with data and all their ancestors.
func propTree() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range propBranches {
		for _, a := range schema.Ancestors(b) {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

func randomData(r *rand.Rand, cat schema.Catalog) ([]response, []event) {
	var rs []response
	for range 50 + r.IntN(400) {
		resp := response{
			branch:  propBranches[r.IntN(len(propBranches))],
			carrier: []string{"cmcc", "ctcc", "cucc"}[r.IntN(3)],
			w:       0.1 + r.Float64()*5,
			items:   map[string]int{},
		}
		for _, it := range cat.Items {
			if r.IntN(3) > 0 {
				resp.items[it.Code] = 1 + r.IntN(10)
			}
		}
		if len(resp.items) == 0 || r.IntN(2) == 0 {
			resp.overall = 1 + r.IntN(10)
		}
		rs = append(rs, resp)
	}
	var es []event
	for range 20 + r.IntN(100) {
		n := func(k int) uint64 { return uint64(r.IntN(k)) }
		hn, sn, closed := n(20), n(20), n(10)
		es = append(es, event{
			branch: propBranches[r.IntN(len(propBranches))],
			window: kpi.Window{HotlineN: hn, HotlineSatisfied: hn / 2, HotlineResolved: hn / 3, HotlineWaitSum: n(1000),
				HotlineSL20: hn / 4, StoreN: sn, StoreSatisfied: sn * 2 / 3, StoreWaitSum: n(500)},
			complaints: kpi.Complaints{Opened: n(5), Escalated: n(2), Closed: closed, ClosedWithinSLA: closed / 2,
				ResolutionHoursSum: r.Float64() * 100, CallbackN: closed / 2, CallbackSatisfied: closed / 4},
			churn: kpi.ChurnCounts{High: n(3), Mid: n(5), Low: n(9)},
		})
		es[len(es)-1].churn.Churned = es[len(es)-1].churn.High + es[len(es)-1].churn.Mid + es[len(es)-1].churn.Low
	}
	return rs, es
}

// accumulate is the projector's job, done naively: the MonthData of the responses and events
// for which keep is true.
func accumulate(cat schema.Catalog, rs []response, es []event, keep func(branch string) bool) kpi.MonthData {
	md := kpi.MonthData{Survey: kpi.SurveyStats{}}
	add := func(carrier, item string, x, w float64) {
		if md.Survey[carrier] == nil {
			md.Survey[carrier] = map[string]kpi.Moments{}
		}
		md.Survey[carrier][item] = md.Survey[carrier][item].Add(kpi.Moments{N: 1, SW: w, SW2: w * w, SWX: w * x, SWX2: w * x * x})
	}
	for _, r := range rs {
		if !keep(r.branch) {
			continue
		}
		var num, den float64
		for _, it := range cat.Items {
			if a, ok := r.items[it.Code]; ok {
				x := kpi.Rescale(float64(a))
				add(r.carrier, it.Code, x, r.w)
				num += it.Weight * x
				den += it.Weight
			}
		}
		if den > 0 {
			add(r.carrier, kpi.ItemCSI, num/den, r.w)
		}
		if r.overall > 0 {
			add(r.carrier, kpi.ItemOverall, kpi.Rescale(float64(r.overall)), r.w)
		}
	}
	for _, e := range es {
		if keep(e.branch) {
			md.Window = md.Window.Add(e.window)
			md.Complaints = md.Complaints.Add(e.complaints)
			md.Churn = md.Churn.Add(e.churn)
		}
	}
	return md
}

// direct computes S, moe95 and n of one item straight from the raw responses of the subtree,
// with a two-pass variance: s² = Σw(x − S)² / Σw.
func direct(rs []response, keep func(string) bool, carrier string, x func(response) (float64, bool)) (s, moe *float64, n uint64) {
	var sw, sw2, swx float64
	for _, r := range rs {
		if v, ok := x(r); ok && keep(r.branch) && r.carrier == carrier {
			n++
			sw += r.w
			sw2 += r.w * r.w
			swx += r.w * v
		}
	}
	if n == 0 {
		return nil, nil, 0
	}
	mean := swx / sw
	var ss float64
	for _, r := range rs {
		if v, ok := x(r); ok && keep(r.branch) && r.carrier == carrier {
			ss += r.w * (v - mean) * (v - mean)
		}
	}
	if n >= 2 {
		moe = fp(1.96 * math.Sqrt(ss/sw) / math.Sqrt(sw*sw/sw2))
	}
	return &mean, moe, n
}

func closeMoments(a, b kpi.Moments) bool {
	c := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(y)) }
	return a.N == b.N && c(a.SW, b.SW) && c(a.SW2, b.SW2) && c(a.SWX, b.SWX) && c(a.SWX2, b.SWX2)
}

// TestAdditivity checks, over random synthetic data, that a parent's statistics merged from
// its children (and its own events) equal a direct pass over its subtree, and that the KPIs of
// the merged statistics equal those computed straight from the raw responses.
func TestAdditivity(t *testing.T) {
	cat := testCatalog(1, 3, 1, 2, 1)
	cfg := kpi.DefaultConfig()
	cfg.MinSample = 5
	tree := propTree()
	month := mustMonth(t, "2026-10")
	for seed := uint64(1); seed <= 30; seed++ {
		r := rand.New(rand.NewPCG(seed, 2026))
		rs, es := randomData(r, cat)
		own := map[string]kpi.MonthData{} // events named exactly at the branch
		for _, b := range tree {
			own[b] = accumulate(cat, rs, es, func(x string) bool { return x == b })
		}
		// Roll up deepest first: subtree(B) = own(B) + Σ subtree(child).
		merged := map[string]kpi.MonthData{}
		var rollup func(b string) kpi.MonthData
		rollup = func(b string) kpi.MonthData {
			md := own[b]
			for _, c := range tree {
				if schema.Parent(c) == b {
					cm := rollup(c)
					md = kpi.MonthData{Survey: md.Survey.Add(cm.Survey), Window: md.Window.Add(cm.Window),
						Complaints: md.Complaints.Add(cm.Complaints), Churn: md.Churn.Add(cm.Churn)}
				}
			}
			merged[b] = md
			return md
		}
		rollup(schema.Root)

		for _, b := range tree {
			keep := func(x string) bool { return schema.InSubtree(x, b) }
			d := accumulate(cat, rs, es, keep)
			m := merged[b]
			if m.Window != d.Window || m.Churn != d.Churn || m.Complaints.Opened != d.Complaints.Opened ||
				m.Complaints.Closed != d.Complaints.Closed || m.Complaints.CallbackSatisfied != d.Complaints.CallbackSatisfied ||
				math.Abs(m.Complaints.ResolutionHoursSum-d.Complaints.ResolutionHoursSum) > 1e-9*math.Max(1, d.Complaints.ResolutionHoursSum) {
				t.Fatalf("seed %d %s: merged counts differ from the direct pass", seed, b)
			}
			for carrier, items := range d.Survey {
				for item, dm := range items {
					if !closeMoments(m.Survey[carrier][item], dm) {
						t.Fatalf("seed %d %s %s %s: merged moments %+v, direct %+v", seed, b, carrier, item, m.Survey[carrier][item], dm)
					}
				}
			}

			m.Base = &kpi.Base{Subscribers: 100000, Tiers: &kpi.Tiers{High: 5000, Mid: 20000, Low: 75000}}
			d.Base = m.Base
			cm := kpi.ComputeCard(cfg, cat, b, month, m, kpi.MonthData{})
			cd := kpi.ComputeCard(cfg, cat, b, month, d, kpi.MonthData{})
			for _, name := range kpi.MetricNames(cat) {
				metric, _ := kpi.ParseMetric(name, cat)
				gm, gd := cm.Metric(metric), cd.Metric(metric)
				checkF(t, b+" "+name, gm.Value, gd.Value)
				checkF(t, b+" "+name+" moe95", gm.MOE95, gd.MOE95)
				if gm.Reportable != gd.Reportable {
					t.Errorf("seed %d %s %s: reportable %v vs %v", seed, b, name, gm.Reportable, gd.Reportable)
				}
			}

			// Straight from the raw responses.
			for _, carrier := range []string{"cmcc", "ctcc", "cucc"} {
				var cs kpi.CarrierSurvey
				if carrier == "cmcc" {
					cs = kpi.CarrierSurvey{CSI: cm.Survey.Own.CSI, Items: cm.Survey.Own.Items}
				} else {
					cs = cm.Survey.Competitors[carrier]
				}
				var num, den float64
				for _, it := range cat.Items {
					s, moe, n := direct(rs, keep, carrier, func(r response) (float64, bool) {
						a, ok := r.items[it.Code]
						return kpi.Rescale(float64(a)), ok
					})
					v := cs.Items[it.Code]
					checkF(t, b+" "+carrier+" "+it.Code, v.Value, s)
					checkF(t, b+" "+carrier+" "+it.Code+" moe95", v.MOE95, moe)
					if v.N != n || v.Reportable != (n >= cfg.MinSample) {
						t.Errorf("%s %s %s: n %d reportable %v, direct n %d", b, carrier, it.Code, v.N, v.Reportable, n)
					}
					if s != nil {
						num += it.Weight * *s
						den += it.Weight
					}
				}
				// CSI: Σ W_k·S_k / Σ W_k of the direct item scores; n and moe95 from the direct y.
				_, moe, n := direct(rs, keep, carrier, func(r response) (float64, bool) {
					var num, den float64
					for _, it := range cat.Items {
						if a, ok := r.items[it.Code]; ok {
							num += it.Weight * kpi.Rescale(float64(a))
							den += it.Weight
						}
					}
					return num / den, den > 0
				})
				var want *float64
				if den > 0 {
					want = fp(num / den)
				}
				checkF(t, b+" "+carrier+" csi", cs.CSI.Value, want)
				checkF(t, b+" "+carrier+" csi moe95", cs.CSI.MOE95, moe)
				if cs.CSI.N != n {
					t.Errorf("%s %s csi n = %d, direct %d", b, carrier, cs.CSI.N, n)
				}
			}
			// Window satisfaction straight from the counts.
			w := d.Window
			if n := w.HotlineN + w.StoreN; n > 0 {
				checkF(t, b+" window", cm.Window.Satisfaction, fp(100*float64(w.HotlineSatisfied+w.StoreSatisfied)/float64(n)))
			}
		}
		if t.Failed() {
			t.Fatalf("seed %d failed", seed)
		}
	}
}
