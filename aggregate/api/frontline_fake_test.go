package api_test

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// The front line's fixture (SPEC §5.2): the stores of 天河 (GD-GZ-TH), the clerks of store
// S101, the hotline agents and customer managers of 天河, their cards per month, and the score
// breakdowns of the seed's schemes. fakeFrontline serves them in the shapes of
// GET /api/v1/rank?unit=… and GET /api/v1/unit, the contract of the front-line API.

// flRankRow and flRank are a league table of /api/v1/rank?unit=….
type flRankRow struct {
	Rank       *int         `json:"rank"` // null: not ranked (ranked_by "none")
	Unit       string       `json:"unit"`
	Branch     string       `json:"branch"`
	Store      string       `json:"store"`
	Value      *float64     `json:"value"`
	MOE95      *float64     `json:"moe95"`
	N          uint64       `json:"n"`
	Reportable bool         `json:"reportable"`
	Smoothed   *float64     `json:"smoothed"`
	RankedBy   string       `json:"ranked_by"`
	Card       kpi.UnitCard `json:"card"`
}

type flRank struct {
	Unit          string      `json:"unit"`
	Parent        string      `json:"parent"`
	Period        string      `json:"period"`
	Metric        string      `json:"metric"`
	LowerIsBetter bool        `json:"lower_is_better"`
	Units         []flRankRow `json:"units"`
}

type flUnitResp struct {
	Card  kpi.UnitCard   `json:"card"`
	Score *kpi.UnitScore `json:"score"`
	Trend []kpi.UnitCard `json:"trend"`
}

// flStats are the fixture's statistics of the units of one kind in month m. In fixtureMonth
// the stores' satisfaction is S101 228/240 = 95.0, S102 200/220 = 90.9, S103 170/200 = 85.0,
// S104 120/150 = 80.0, S105 12/12 = 100 (12 ratings: unreportable) and S106 3/8 = 37.5 (8
// ratings: unreportable); other months move the counts a little. Clerk C104 of S101 has 9
// ratings, agent A3 has 14.
func flStats(kind string, m schema.Month) []kpi.UnitStats {
	k := m.Year()*12 + m.Mon() - (fixtureMonth.Year()*12 + fixtureMonth.Mon()) // 0 in fixtureMonth, < 0 before
	wob := func(n uint64) uint64 { return uint64(int(n) + k%3) }               // a wobble of a few ratings
	var out []kpi.UnitStats
	switch kind {
	case kpi.UnitStore:
		for _, s := range []struct {
			id                  string
			n, sat, dis, wait   uint64
			compl, provN, cityN uint64
			prov, city          float64
		}{
			{"S101", 240, 228, 4, 240 * 180, 1, 1, 2, 92, 2 * 88},
			{"S102", 220, 200, 8, 220 * 240, 2, 1, 1, 85, 81},
			{"S103", 200, 170, 14, 200 * 300, 4, 0, 1, 0, 76},
			{"S104", 150, 120, 18, 150 * 420, 6, 1, 0, 64, 0},
			{"S105", 12, 12, 0, 12 * 200, 0, 0, 0, 0, 0},
			{"S106", 8, 3, 4, 8 * 600, 3, 0, 1, 0, 58},
		} {
			n, sat := s.n, s.sat
			if k != 0 && n > 30 {
				n, sat = wob(n), wob(sat)
			}
			out = append(out, kpi.UnitStats{Kind: kind, ID: s.id, Branch: "GD-GZ-TH", N: n, Satisfied: sat, Dissatisfied: s.dis,
				WaitSum: s.wait, Complaints: s.compl, InspProvinceN: s.provN, InspProvinceSum: s.prov, InspCityN: s.cityN, InspCitySum: s.city})
		}
	case kpi.UnitStaff:
		for _, s := range []struct {
			id, store       string
			n, sat, dis     uint64
			complaints, pos uint64
		}{
			{"C101", "S101", 80, 78, 0, 0, 0}, {"C102", "S101", 70, 66, 1, 0, 0}, {"C103", "S101", 60, 48, 4, 3, 0}, {"C104", "S101", 9, 9, 0, 0, 0},
			{"C201", "S102", 100, 90, 3, 1, 0},
		} {
			out = append(out, kpi.UnitStats{Kind: kind, ID: s.id, Branch: "GD-GZ-TH", Store: s.store, N: wob(s.n), Satisfied: wob(s.sat),
				Dissatisfied: s.dis, WaitSum: s.n * 200, Complaints: s.complaints})
		}
	case kpi.UnitAgent:
		for _, s := range []struct {
			id                       string
			n, sat, res, sl, waitAvg uint64
		}{{"A1", 400, 372, 350, 380, 12}, {"A2", 380, 330, 300, 310, 25}, {"A3", 14, 9, 8, 5, 95}, {"A4", 300, 240, 210, 200, 48}} {
			out = append(out, kpi.UnitStats{Kind: kind, ID: s.id, Branch: "GD-GZ-TH", N: s.n, Satisfied: s.sat, Resolved: s.res, SL20: s.sl,
				WaitSum: s.n * s.waitAvg, HandleSum: s.n * 240})
		}
	case kpi.UnitManager:
		for i, id := range []string{"M1", "M2"} {
			out = append(out, kpi.UnitStats{Kind: kind, ID: id, Branch: "GD-GZ-TH", Survey: moments(82-4*float64(i), 3.5, 60), Churned: uint64(2 + i)})
		}
	}
	return out
}

// flCards are the cards of flStats(kind, m), smoothed within their parents.
func flCards(kind string, m schema.Month) []kpi.UnitCard {
	st := flStats(kind, m)
	cards := make([]kpi.UnitCard, len(st))
	for i, u := range st {
		cards[i] = kpi.ComputeUnitCard(u, m.String(), kpi.DefaultConfig().MinSample)
	}
	kpi.SmoothUnits(st, cards)
	return cards
}

// flMetric reads metric of a card as the league table does: a Value, or a count or an
// inspection mean as a Value that needs no sample (n: the unit's ratings); ok is false for a
// metric the kind does not have.
func flMetric(c kpi.UnitCard, metric string) (kpi.Value, bool) {
	num := func(v *float64) kpi.Value { return kpi.Value{Value: v, N: c.Ratings, Reportable: v != nil} }
	switch metric {
	case "satisfaction":
		return c.Satisfaction, true
	case "avg_wait":
		return c.AvgWait, true
	case "net_score":
		return num(pf(float64(c.NetScore))), true
	case "complaints":
		return num(pf(float64(c.Complaints))), true
	case "inspection.province", "inspection.city":
		if c.Inspection == nil {
			return kpi.Value{}, false
		}
		if metric == "inspection.city" {
			return num(c.Inspection.City), true
		}
		return num(c.Inspection.Province), true
	case "fcr", "sl20", "avg_handle", "csi":
		v := map[string]*kpi.Value{"fcr": c.FCR, "sl20": c.SL20, "avg_handle": c.AvgHandle, "csi": c.CSI}[metric]
		if v == nil {
			return kpi.Value{}, false
		}
		return *v, true
	case "churned":
		if c.Churned == nil {
			return kpi.Value{}, false
		}
		return num(pf(float64(*c.Churned))), true
	}
	return kpi.Value{}, false
}

var flLower = map[string]bool{"avg_wait": true, "avg_handle": true, "complaints": true, "churned": true}

// flLeague ranks the units of kind under parent (a branch's subtree, or store:<id> for the
// staff of a store) in m by metric: a reportable unit by its value, an unreportable one by its
// smoothed value where it has one (ranked_by "smoothed"); the others follow unranked
// (ranked_by "none", rank null).
func flLeague(kind, parent string, m schema.Month, metric string) (flRank, bool) {
	store := strings.TrimPrefix(parent, "store:")
	out := flRank{Unit: kind, Parent: parent, Period: m.String(), Metric: metric, LowerIsBetter: flLower[metric], Units: []flRankRow{}}
	type keyed struct {
		row flRankRow
		key *float64
	}
	var rows []keyed
	for _, c := range flCards(kind, m) {
		if kind == kpi.UnitStaff && c.Store != store || kind != kpi.UnitStaff && c.Branch != parent && !strings.HasPrefix(c.Branch, parent+"-") && parent != "ALL" {
			continue
		}
		v, ok := flMetric(c, metric)
		if !ok {
			return out, false
		}
		r := flRankRow{Unit: c.Unit, Branch: c.Branch, Store: c.Store, Value: v.Value, MOE95: v.MOE95, N: v.N, Reportable: v.Reportable, RankedBy: "value", Card: c}
		if v.Smoothed != nil {
			r.Smoothed = v.Smoothed.Value
		}
		key := r.Value
		switch {
		case !r.Reportable && r.Smoothed != nil:
			key, r.RankedBy = r.Smoothed, "smoothed"
		case !r.Reportable || r.Value == nil:
			key, r.RankedBy = nil, "none"
		}
		rows = append(rows, keyed{r, key})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].key, rows[j].key
		if a == nil || b == nil {
			return b == nil && a != nil
		}
		if flLower[metric] {
			return *a < *b
		}
		return *a > *b
	})
	for i, r := range rows {
		if r.key != nil {
			rank := i + 1
			r.row.Rank = &rank
		}
		out.Units = append(out.Units, r.row)
	}
	return out, true
}

// flScoreOf is the score breakdown of a store or a clerk in fixtureMonth (nil otherwise).
// Store S101, the store team (团队绩效): service 20 = province inspection 92 → 6.13 of 6.67,
// rating satisfaction 95.0 → 6.67, city inspection 88 → 5.87; sales 40 → 34.00; internal 20
// → 17.00; control 10 → 10.00; operations 10 → 8.00. Total 6.13 + 6.67 + 5.87 = 18.67, + 34 +
// 17 + 10 + 8 = 87.67; adjustments +2 and −1.5: 88.17. Clerk C104 (营业员 20 + 80, the seed's
// clerk scheme whose 30/40/30/10 sums to 110 and is normalised): team satisfaction 95.0 →
// 19.00; personal 80 split 30/40/30/10 × 80/110 = 21.82/29.09/21.82/7.27: satisfaction (9
// ratings: scored by its smoothed value and flagged) 21.82, exam 29.09, sales 0 (not reported,
// flagged), attendance 7.27 → 58.18; total 19 + 58.18 = 77.18, no adjustments.
func flScoreOf(kind, id string, m schema.Month) *kpi.UnitScore {
	if m != fixtureMonth {
		return nil
	}
	switch kind + ":" + id {
	case "store:S101":
		return &kpi.UnitScore{Kind: kind, Unit: id, Period: m.String(), Scheme: "store_team", Role: "store", Total: 87.67, Max: 100,
			Parts: []kpi.PartScore{
				{Name: "service", Title: "服务指标", Weight: 20, Points: 18.67, Components: []kpi.ComponentScore{
					{Component: "inspection.province", Title: "省公司当月公布的组巡或暗访成绩", Value: pf(92), Points: 6.13, Max: 6.67},
					{Component: "satisfaction", Title: "满意度评价系统评价成绩", Value: pf(95), Points: 6.67, Max: 6.67},
					{Component: "inspection.city", Title: "市公司当月公布的组巡或暗访成绩", Value: pf(88), Points: 5.87, Max: 6.67},
				}},
				{Name: "sales", Title: "销售指标", Weight: 40, Points: 34, Components: []kpi.ComponentScore{{Component: "score:sales", Value: pf(85), Points: 34, Max: 40}}},
				{Name: "internal", Weight: 20, Points: 17, Components: []kpi.ComponentScore{{Component: "score:internal", Value: pf(85), Points: 17, Max: 20}}},
				{Name: "control", Weight: 10, Points: 10, Components: []kpi.ComponentScore{{Component: "score:control", Value: pf(100), Points: 10, Max: 10}}},
				{Name: "operations", Weight: 10, Points: 8, Components: []kpi.ComponentScore{{Component: "score:operations", Value: pf(80), Points: 8, Max: 10}}},
			},
			Adjustments: []kpi.Adjustment{
				{EventID: "adj-7", Period: fixtureMonth, Points: 2, Reason: "表扬信 letter of praise", Ref: "GZ-2026-114"},
				{EventID: "adj-9", Period: fixtureMonth, Points: -1.5, Reason: "服务规范抽查不合格 failed spot check"},
			},
			AdjustedTotal: 88.17, Warnings: []string{}}
	case "staff:C104":
		return &kpi.UnitScore{Kind: kind, Unit: id, Period: m.String(), Scheme: "clerk_2007", Role: "clerk", Total: 77.18, Max: 100,
			Parts: []kpi.PartScore{
				{Name: "team", Weight: 20, Points: 19, Components: []kpi.ComponentScore{{Component: "team:satisfaction", Value: pf(95), Points: 19, Max: 20}}},
				{Name: "personal", Weight: 80, Points: 58.18, Components: []kpi.ComponentScore{
					{Component: "satisfaction", Value: pf(93.1), Points: 21.82, Max: 21.82, Flagged: true, Reason: "9 ratings < 30: scored by the smoothed value"},
					{Component: "score:exam", Value: pf(100), Points: 29.09, Max: 29.09},
					{Component: "score:attendance", Value: pf(100), Points: 7.27, Max: 7.27},
					{Component: "score:sales", Value: nil, Points: 0, Max: 21.82, Flagged: true, Reason: "no score_reported for 2026-10"},
				}},
			},
			Adjustments: []kpi.Adjustment{}, AdjustedTotal: 77.18,
			Warnings: []string{"scheme clerk_2007: personal weights sum to 110, not 100; scaled by 100/110"}}
	}
	return nil
}

// fakeFrontline serves /api/v1/rank?unit=… and /api/v1/unit from the fixture and everything
// else from next.
func fakeFrontline(next http.Handler) http.Handler {
	send := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	bad := func(w http.ResponseWriter, param, msg string) {
		send(w, http.StatusBadRequest, map[string]string{"error": msg, "param": param})
	}
	month := func(q string) (schema.Month, bool) {
		m, err := schema.ParseMonth(q)
		return m, err == nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/api/v1/rank" && q.Get("unit") != "":
			m, ok := month(q.Get("period"))
			if !ok {
				bad(w, "period", "period: want YYYY-MM")
				return
			}
			metric := q.Get("metric")
			if metric == "" {
				metric = "satisfaction"
			}
			res, ok := flLeague(q.Get("unit"), q.Get("parent"), m, metric)
			if !ok {
				bad(w, "metric", "metric "+metric+": not a metric of "+q.Get("unit")+" (the fixture has no schemes: no total)")
				return
			}
			res.Metric = q.Get("metric")
			if res.Metric == "" {
				res.Metric = "satisfaction"
			}
			send(w, http.StatusOK, res)
		case r.URL.Path == "/api/v1/unit":
			m, ok := month(q.Get("period"))
			if !ok {
				bad(w, "period", "period: want YYYY-MM")
				return
			}
			kind, id := q.Get("kind"), q.Get("id")
			var out flUnitResp
			found := false
			for i := -11; i <= 0; i++ {
				for _, c := range flCards(kind, m.Add(i)) {
					if c.Unit == id {
						out.Trend = append(out.Trend, c)
						if i == 0 {
							out.Card, found = c, true
						}
					}
				}
			}
			if !found {
				bad(w, "id", kind+" "+id+" has no events")
				return
			}
			out.Score = flScoreOf(kind, id, m)
			send(w, http.StatusOK, out)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// newFrontlineServer is newServer with the front-line endpoints of fakeFrontline.
func newFrontlineServer(t testing.TB) (*httptest.Server, *fakeReader) {
	t.Helper()
	fr := newFakeReader()
	s, err := api.New(api.DefaultConfig(), fr, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(fakeFrontline(s.Handler()))
	t.Cleanup(ts.Close)
	return ts, fr
}

// round2 rounds to 2 decimals, as the dashboard shows points.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
