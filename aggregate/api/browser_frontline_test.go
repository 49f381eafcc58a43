package api_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
)

// waitFL waits until the front-line panel has finished a load after load number after.
func waitFL(t *testing.T, ctx context.Context, after int) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Poll[int](fmt.Sprintf(`Number(document.body.dataset.fl || 0) > %d ? Number(document.body.dataset.fl) : 0`, after),
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("front line did not finish loading: %v", err)
	}
	return n
}

// panelShot saves a screenshot of the front-line panel alone to testout/name: the full page,
// cut to the panel's box (an element screenshot of a panel taller than the window came out
// shifted).
func panelShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(full))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	box := eval[[]float64](t, ctx, `(() => { const r = document.getElementById('frontline-panel').getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY].map(Math.round); })()`)
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok || len(box) != 4 {
		t.Fatalf("screenshot: cannot cut %T to %v", img, box)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, sub.SubImage(image.Rect(int(box[0]), int(box[1]), int(box[2]), int(box[3])))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testout", 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("testout", name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// number reads a number the dashboard wrote (en: "1,234.50", "−1.50", "+2.00").
func number(t *testing.T, s string) float64 {
	t.Helper()
	s = strings.NewReplacer(",", "", "−", "-", "+", "").Replace(strings.TrimSpace(s))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// TestFrontlineInBrowser drives the 前台 / Front line view over the front-line fixture: the
// stores of 天河 ranked with the unreportable ones flagged and placed by their smoothed value,
// the first store's clerks, a unit's card, trend and score breakdown (parts summing to the
// total, adjustments listed, warnings), a clerk chosen from the keyboard, the agents, Chinese,
// and a phone's width.
func TestFrontlineInBrowser(t *testing.T) {
	ts, _ := newFrontlineServer(t)
	ctx := browser(t, "en-US")
	navigate(t, ctx, ts.URL+"/#/branch/GD-GZ-TH?month=2026-10&lang=en")
	fl := eval[int](t, ctx, `Number(document.body.dataset.fl || 0)`)
	if fl == 0 {
		t.Fatal("the front line did not load with the page")
	}
	if hidden := eval[bool](t, ctx, `document.getElementById('frontline-panel').hidden`); hidden {
		t.Fatal("the front-line panel is hidden on a server that serves it")
	}
	// The first load with the front line, as the browser counts it (headers and compressed
	// bodies, the API's JSON included): the dashboard's budget is 1 MB.
	transferred := eval[float64](t, ctx, `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((s, e) => s + e.transferSize, 0)`)
	t.Logf("first load with the front line transferred %.0f bytes", transferred)
	if transferred == 0 || transferred > 1_000_000 {
		t.Errorf("first load transferred %.0f bytes, want > 0 and ≤ 1 MB", transferred)
	}

	// The league table of the stores of GD-GZ-TH in 2026-10 by satisfaction. By hand (SPEC
	// §5.5): p̄ = 733/830 = 88.313, τ² = Σn(p − p̄)²/Σn − 6·p̄(100 − p̄)/Σn = 49.25. S105 has 12
	// of 12 satisfied (100.0, unreportable): B = 49.25/(49.25 + 88.313·11.687/12) = 0.364,
	// smoothed 88.313 + 0.364·11.687 = 92.57, so it ranks 2nd behind S101 (95.0), not 1st.
	// S106 has 3 of 8 (37.5): smoothed 74.27, last, and flagged rather than "the worst".
	wantOrder := []string{"S101", "S105", "S102", "S103", "S104", "S106"}
	league, _ := flLeague("store", "GD-GZ-TH", fixtureMonth, "satisfaction")
	for i, u := range league.Units {
		if u.Unit != wantOrder[i] {
			t.Fatalf("fixture ranks %s at %d, want %s (by hand)", u.Unit, i+1, wantOrder[i])
		}
	}
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-rank-table tbody tr')].map((r) => r.dataset.unit)`); strings.Join(got, ",") != strings.Join(wantOrder, ",") {
		t.Errorf("stores listed %v, want %v", got, wantOrder)
	}
	for _, id := range []string{"S105", "S106"} {
		row := `#fl-rank-table tr[data-unit="` + id + `"]`
		if got := text(t, ctx, row+` .tag.flag`); got != "too few ratings: ranked by its smoothed value" {
			t.Errorf("%s flag %q", id, got)
		}
		if cls := eval[string](t, ctx, `document.querySelector('`+row+`').className`); !strings.Contains(cls, "unreportable") {
			t.Errorf("%s row class %q, want unreportable", id, cls)
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#fl-rank-table .tag.flag').length`); n != 2 {
		t.Errorf("%d flagged stores, want 2 (S105, S106)", n)
	}
	if got := text(t, ctx, `#fl-rank-table tr[data-unit="S105"] td.smoothed`); got != "92.6" {
		t.Errorf("S105 smoothed %q, want 92.6", got)
	}
	// The chart: a dot per store, top to bottom in rank order; S105 a hollow diamond at its
	// smoothed value with its own (grey) interval, S101 a filled dot at 95.0 ± 2.8.
	type pt struct {
		Cat    string    `json:"cat"`
		X      float64   `json:"x"`
		Symbol string    `json:"symbol"`
		Color  string    `json:"color"`
		Lo, Hi *float64  `json:"-"`
		Int    []float64 `json:"int"`
	}
	pts := eval[[]pt](t, ctx, `(() => { const o = csatCharts['fl-rank'].getOption(); const cats = o.yAxis[0].data;
		const sc = o.series.find((s) => s.type === 'scatter').data, iv = o.series.find((s) => s.type === 'custom').data;
		return sc.map((d, i) => ({ cat: cats[d.value[1]], x: d.value[0], symbol: d.symbol, color: d.itemStyle.color, int: iv[i].slice(1) })).reverse(); })()`)
	if len(pts) != 6 {
		t.Fatalf("chart points %v, want 6", pts)
	}
	if p := pts[1]; p.Cat != "2. S105 · n 12" || p.Symbol != "diamond" || p.Color != "#fff" || fmt.Sprintf("%.2f", p.X) != "92.57" {
		t.Errorf("S105 drawn as %+v, want a hollow diamond at 92.57 labelled 2. S105 · n 12", p)
	}
	if p := pts[0]; p.Cat != "1. S101" || p.Symbol != "circle" || p.Color != "#0b6bcb" || p.X != 95 || len(p.Int) != 2 ||
		fmt.Sprintf("%.2f–%.2f", p.Int[0], p.Int[1]) != "92.24–97.76" { // 1.96·100·√(.95·.05/240) = 2.757
		t.Errorf("S101 drawn as %+v, want a filled dot at 95 with 92.24–97.76", p)
	}

	// The first store is chosen: its clerks ranked (C104, 9 ratings, flagged), its card, trend
	// and score breakdown.
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-staff-table tbody tr')].map((r) => r.dataset.unit)`); len(got) != 4 || got[0] != "C101" {
		t.Errorf("clerks of S101: %v, want C101 … (4 clerks)", got)
	}
	if got := text(t, ctx, `#fl-staff-table tr[data-unit="C104"] .tag.flag`); got == "" {
		t.Errorf("clerk C104 (9 ratings) is not flagged")
	}
	if got := text(t, ctx, "#fl-unit-title"); !strings.HasPrefix(got, "Store S101") || !strings.Contains(got, "2026-10") {
		t.Errorf("unit title %q", got)
	}
	if got := text(t, ctx, `[data-kpi="fl-satisfaction"] .value`); got != "95.0" {
		t.Errorf("S101 satisfaction tile %q, want 95.0 (228/240)", got)
	}
	if got := text(t, ctx, `[data-kpi="fl-net_score"] .value`); got != "224" {
		t.Errorf("S101 net score %q, want 228 − 4 = 224", got)
	}
	if n := eval[int](t, ctx, `csatCharts['fl-trend'].getOption().series[2].data.length`); n != 12 {
		t.Errorf("trend of %d months, want 12", n)
	}
	breakdown := func() (parts []float64, total, adjusted float64, adj []float64) {
		for _, s := range eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-score-table .part-points')].map((e) => e.textContent.split(' / ')[0])`) {
			parts = append(parts, number(t, s))
		}
		for _, s := range eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-score-table .adj-points')].map((e) => e.textContent)`) {
			adj = append(adj, number(t, s))
		}
		total = number(t, strings.Split(text(t, ctx, "#fl-score-total"), " / ")[0])
		if len(adj) > 0 {
			adjusted = number(t, text(t, ctx, "#fl-score-adjusted"))
		}
		return
	}
	parts, total, adjusted, adj := breakdown()
	sum := 0.0
	for _, p := range parts {
		sum += p
	}
	// 18.67 + 34 + 17 + 10 + 8 = 87.67; 87.67 + 2 − 1.5 = 88.17.
	if len(parts) != 5 || round2(sum) != 87.67 || total != 87.67 {
		t.Errorf("store parts %v (Σ %.2f), total %.2f: want 5 parts summing to 87.67", parts, sum, total)
	}
	if len(adj) != 2 || adj[0] != 2 || adj[1] != -1.5 || adjusted != round2(total+adj[0]+adj[1]) || adjusted != 88.17 {
		t.Errorf("adjustments %v, adjusted total %.2f: want +2, −1.5 and 88.17", adj, adjusted)
	}
	if got := text(t, ctx, `#fl-score-table tr.adj[data-event="adj-7"]`); !strings.Contains(got, "letter of praise") || !strings.Contains(got, "GZ-2026-114") {
		t.Errorf("adjustment adj-7 reads %q", got)
	}
	if got := text(t, ctx, `#fl-score-table tr[data-part="service"]`); !strings.Contains(got, "Service · weight 20") {
		t.Errorf("service part reads %q", got)
	}
	if hidden := eval[bool](t, ctx, `document.getElementById('fl-warnings').hidden`); !hidden {
		t.Errorf("warnings shown for a scheme without any")
	}
	panelShot(t, ctx, "frontline-en.png")

	// The keyboard: Tab to clerk C104's link and press Enter; the clerk's breakdown (team 20 +
	// personal 80, the normalised scheme's warning, the flagged components) replaces the store's.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`#fl-staff-table tr[data-unit="C104"] a`)), chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	fl = waitFL(t, ctx, fl)
	if got := text(t, ctx, "#fl-unit-title"); !strings.HasPrefix(got, "Clerk C104") || !strings.Contains(got, "Store S101") {
		t.Errorf("after Enter on C104 the unit is %q", got)
	}
	if got := eval[string](t, ctx, `location.hash`); !strings.Contains(got, "unit=staff:C104") || !strings.Contains(got, "store=S101") {
		t.Errorf("hash %q does not keep the chosen clerk", got)
	}
	parts, total, _, adj = breakdown()
	if len(parts) != 2 || parts[0] != 19 || parts[1] != 58.18 || total != round2(parts[0]+parts[1]) || len(adj) != 0 {
		t.Errorf("clerk parts %v total %.2f adjustments %v: want 19 + 58.18 = 77.18, none", parts, total, adj)
	}
	if got := text(t, ctx, "#fl-warnings"); !strings.Contains(got, "sum to 110") {
		t.Errorf("warnings %q, want the normalised weights", got)
	}
	if got := text(t, ctx, `#fl-score-table tr[data-component="satisfaction"] .tag.flag`); !strings.Contains(got, "9 ratings") {
		t.Errorf("flagged component reads %q", got)
	}
	if got := text(t, ctx, `#fl-score-table tr[data-part="team"]`); !strings.Contains(got, "Team part") {
		t.Errorf("team part reads %q", got)
	}
	panelShot(t, ctx, "frontline-clerk-en.png")
	// A reload of the link opens the same clerk.
	navigate(t, ctx, ts.URL+"/"+eval[string](t, ctx, `location.hash`))
	if got := text(t, ctx, "#fl-unit-title"); !strings.HasPrefix(got, "Clerk C104") {
		t.Errorf("the link reopens %q, want clerk C104", got)
	}
	fl = eval[int](t, ctx, `Number(document.body.dataset.fl || 0)`)

	// Agents: A3 (14 ratings) flagged; the agent's card has its FCR.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('fl-kind'); s.value = 'agent'; return s.dispatchEvent(new Event('change')); })()`)); err != nil {
		t.Fatal(err)
	}
	fl = waitFL(t, ctx, fl)
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-rank-table tbody tr')].map((r) => r.dataset.unit)`); len(got) != 4 {
		t.Errorf("agents %v, want 4", got)
	}
	if got := text(t, ctx, `#fl-rank-table tr[data-unit="A3"] .tag.flag`); got == "" {
		t.Errorf("agent A3 (14 ratings) is not flagged")
	}
	if hidden := eval[bool](t, ctx, `document.getElementById('fl-staff-box').hidden`); !hidden {
		t.Errorf("clerks shown beside agents")
	}
	if got := text(t, ctx, `[data-kpi="fl-fcr"] .label`); got != "Problem resolution (FCR)" {
		t.Errorf("agent FCR tile %q", got)
	}
	if got := text(t, ctx, "#fl-score-sub"); got != "No scheme scores this unit." {
		t.Errorf("agent without a score: %q", got)
	}

	// Stores by average wait, lower is better: a mean has no smoothed value, so S105 (12
	// ratings) and S106 (8) are listed after the ranked stores, unranked and flagged. By hand:
	// S101 180 s, S102 240, S103 300, S104 420.
	pick := func(id, v string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('`+id+`'); s.value = '`+v+`'; return s.dispatchEvent(new Event('change')); })()`)); err != nil {
			t.Fatal(err)
		}
		fl = waitFL(t, ctx, fl)
	}
	pick("fl-kind", "store")
	pick("fl-metric", "avg_wait")
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-rank-table tbody tr')].map((r) => r.cells[0].textContent + ' ' + r.dataset.unit)`)
	if strings.Join(rows, ",") != "1 S101,2 S102,3 S103,4 S104,— S105,— S106" {
		t.Errorf("stores by wait: %v", rows)
	}
	if got := text(t, ctx, `#fl-rank-table tr[data-unit="S106"] .tag.flag`); got != "too few ratings: not ranked" {
		t.Errorf("S106 by wait flagged %q", got)
	}
	if got := text(t, ctx, "#fl-sub"); !strings.Contains(got, "lower is better") {
		t.Errorf("wait's polarity: %q", got)
	}
	// A server without schemes refuses the total: the choice falls back and leaves the list.
	pick("fl-metric", "total")
	if got := eval[string](t, ctx, `document.getElementById('fl-metric').value`); got != "satisfaction" {
		t.Errorf("after a refused total the metric is %q, want satisfaction", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#fl-metric option[value=total]').length`); n != 0 {
		t.Errorf("total still offered after the server refused it")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#frontline-panel .section-error').length`); n != 0 {
		t.Errorf("an error is shown for the refused total")
	}

	// A province: no league of its thousands of stores, a hint to choose a city.
	navigate(t, ctx, ts.URL+"/#/branch/GD?month=2026-10&lang=en")
	if got := text(t, ctx, "#fl-sub"); !strings.HasPrefix(got, "Choose a city") {
		t.Errorf("front line of a province: %q", got)
	}
	if hidden := eval[bool](t, ctx, `document.getElementById('fl-body').hidden && !document.getElementById('frontline-panel').hidden`); !hidden {
		t.Errorf("a province's front line shows a league")
	}

	// Chinese, back on the stores.
	navigate(t, ctx, ts.URL+"/#/branch/GD-GZ-TH?month=2026-10&lang=zh")
	if got := text(t, ctx, "#frontline-panel h2"); got != "前台" {
		t.Errorf("Chinese heading %q", got)
	}
	if got := text(t, ctx, `#fl-rank-table tr[data-unit="S105"] .tag.flag`); got != "评价数不足：按平滑值排名" {
		t.Errorf("Chinese flag %q", got)
	}
	if got := text(t, ctx, `#fl-score-table tr[data-part="sales"]`); !strings.Contains(got, "销售指标 · 权重 40") {
		t.Errorf("Chinese sales part %q, want the scheme's title", got)
	}
	if got := text(t, ctx, `#fl-score-table tr[data-component="inspection.province"]`); !strings.Contains(got, "省公司当月公布的组巡或暗访成绩") {
		t.Errorf("Chinese component %q, want the scheme's title", got)
	}
	panelShot(t, ctx, "frontline-zh.png")

	// A phone: one column, nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 800)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		navigate(t, ctx, ts.URL+"/#/branch/GD-GZ-TH?month=2026-10&lang="+lang)
		if w := eval[float64](t, ctx, `document.getElementById('frontline-panel').scrollWidth`); w > 390 {
			t.Errorf("%s: the panel is %.0f px wide on a 390 px phone", lang, w)
		}
		if w := eval[float64](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
			wide := eval[[]string](t, ctx, `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 391).slice(0, 8).map((e) => e.tagName + '#' + e.id + '.' + e.className)`)
			t.Errorf("%s: the page is %.0f px wide on a 390 px phone (%v)", lang, w, wide)
		}
		panelShot(t, ctx, "frontline-phone-"+lang+".png")
	}
}

// TestFrontlineInBrowserOnEngine drives the front line over the real engine and ClickHouse:
// the national data set of engineFixture with its front-line projection computed
// (CSAT_FRONTLINE); the stores of a city listed in the engine's order, every unreportable one
// flagged, the first store's clerks as the engine ranks them, and its card's satisfaction.
func TestFrontlineInBrowserOnEngine(t *testing.T) {
	chromium(t) // skip before loading data when there is no browser
	r, _, city, m, db := engineFixtureConn(t)
	ctx := context.Background()
	var marks []aggregate.DirtyMark
	for i := range db.cfg.Months {
		marks = append(marks, aggregate.DirtyMark{Family: aggregate.FamilyFrontline, Month: m.Add(-i)})
	}
	if err := aggregate.MarkDirty(ctx, db.conn, marks); err != nil {
		t.Fatal(err)
	}
	pr := aggregate.NewProjector(db.conn, aggregate.ProjectorConfig{Catalog: db.cfg.Catalog, SLAHours: 48, Frontline: true}, nil, nil)
	if err := pr.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	stores, err := r.UnitLeague(ctx, "store", city, m.String(), "satisfaction")
	if err != nil {
		t.Fatal(err)
	}
	if len(stores.Units) < 2 {
		t.Fatalf("fixture: %d stores in %s in %s, want several", len(stores.Units), city, m)
	}
	first := stores.Units[0].Unit
	staff, err := r.UnitLeague(ctx, "staff", aggregate.StoreParent+first, m.String(), "satisfaction")
	if err != nil {
		t.Fatal(err)
	}
	card, err := r.UnitCard(ctx, "store", first, m.String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := api.New(api.DefaultConfig(), r, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	bctx := browser(t, "en-US")
	navigate(t, bctx, ts.URL+"/#/branch/"+city+"?month="+m.String()+"&lang=en")
	if hidden := eval[bool](t, bctx, `document.getElementById('frontline-panel').hidden`); hidden {
		t.Fatal("the front-line panel is hidden on the engine's server")
	}
	list := func(sel string) []string {
		return eval[[]string](t, bctx, `[...document.querySelectorAll('`+sel+` tbody tr')].map((r) => r.cells[0].textContent + ' ' + r.dataset.unit + (r.querySelector('.tag.flag') ? ' flagged' : ''))`)
	}
	want := func(l aggregate.UnitLeague) []string {
		var out []string
		for _, u := range l.Units {
			rank := "—"
			if u.Rank != nil {
				rank = fmt.Sprint(*u.Rank)
			}
			line := rank + " " + u.Unit
			if !u.Reportable || u.RankedBy != aggregate.RankedByValue {
				line += " flagged"
			}
			out = append(out, line)
		}
		return out
	}
	if got, w := list("#fl-rank-table"), want(stores); strings.Join(got, ",") != strings.Join(w, ",") {
		t.Errorf("stores of %s:\n got %v\nwant %v", city, got, w)
	}
	if got, w := list("#fl-staff-table"), want(staff); strings.Join(got, ",") != strings.Join(w, ",") {
		t.Errorf("clerks of %s:\n got %v\nwant %v", first, got, w)
	}
	if got := text(t, bctx, "#fl-unit-title"); !strings.HasPrefix(got, "Store "+first) {
		t.Errorf("unit title %q, want store %s", got, first)
	}
	if v := card.Satisfaction.Value; v != nil {
		if got := text(t, bctx, `[data-kpi="fl-satisfaction"] .value`); got != fmt.Sprintf("%.1f", *v) {
			t.Errorf("satisfaction tile %q, want the engine's %.1f", got, *v)
		}
	}
	if n := eval[int](t, bctx, `csatCharts['fl-trend'].getOption().series[2].data.length`); n != 12 {
		t.Errorf("trend of %d months, want 12", n)
	}
	panelShot(t, bctx, "frontline-engine.png")
}

// TestFrontlineStoreToken opens the dashboard with a store's token (GD-SZ/store:S123, SPEC
// §5.5) on the server's own front-line routes: the branch's card, the store and its clerks,
// no league of other stores and no comparison (which the token may not read), and no error.
func TestFrontlineStoreToken(t *testing.T) {
	ts, _, tok := newServer(t, map[string]string{"st": "GD-SZ/store:S123"})
	ctx := browser(t, "en-US")
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/#/branch/GD-SZ?month=2026-10&lang=en")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#token-input"))); err != nil {
		t.Fatalf("no token prompt: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#token-input"), tok["st"]), chromedp.Click(chromedp.CSS("#token-ok"))); err != nil {
		t.Fatal(err)
	}
	waitLoaded(t, ctx, 0)
	if got := text(t, ctx, "#kpi-sub"); !strings.Contains(got, "GD-SZ") {
		t.Errorf("the store's token shows the card of %q, want its branch GD-SZ", got)
	}
	if got := text(t, ctx, "#fl-unit-title"); !strings.HasPrefix(got, "Store S123") {
		t.Errorf("front line shows %q, want store S123", got)
	}
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-staff-table tbody tr')].map((r) => r.dataset.unit)`); strings.Join(got, ",") != "X1" {
		t.Errorf("clerks %v, want S123's X1", got)
	}
	for _, id := range []string{"fl-rank-box", "compare-panel"} {
		if hidden := eval[bool](t, ctx, `document.getElementById('`+id+`').hidden`); !hidden {
			t.Errorf("#%s shown to a store's token, which may not read it", id)
		}
	}
	if errs := eval[[]string](t, ctx, `[...document.querySelectorAll('.section-error')].map((e) => e.closest('section').id + ': ' + e.textContent)`); len(errs) != 0 {
		t.Errorf("errors on the page: %v", errs)
	}
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#fl-kind option')].map((o) => o.value)`); strings.Join(got, ",") != "store" {
		t.Errorf("a store's token is offered %v, want only its store", got)
	}
	panelShot(t, ctx, "frontline-store-token.png")
}
