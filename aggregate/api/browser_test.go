package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/csat-dev/csat/aggregate/api"
)

// chromium finds Debian's chromium (or another Chrome); without one the browser tests skip,
// unless CI=true or CSAT_E2E=1, where a missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" || os.Getenv("CSAT_E2E") == "1" {
		t.Fatal("no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); skipping the browser test")
	return ""
}

// browser starts a fresh headless Chromium (its own profile, nothing phoning home).
func browser(t *testing.T, lang string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.Env("LANGUAGE=" + lang),
		chromedp.WindowSize(1440, 1900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := "testout"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// waitLoaded waits until the dashboard has finished its load number > after.
func waitLoaded(t *testing.T, ctx context.Context, after int) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Poll[int](fmt.Sprintf(`Number(document.body.dataset.loaded || 0) > %d ? Number(document.body.dataset.loaded) : 0`, after),
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("dashboard did not finish loading: %v", err)
	}
	return n
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func TestDashboardInBrowser(t *testing.T) {
	ts, fr, _ := newServer(t, nil)
	ctx := browser(t, "en-US")
	card, err := fr.Card(context.Background(), "GD-GZ", fixtureMonth)
	if err != nil {
		t.Fatal(err)
	}
	wantCSI := fmt.Sprintf("%.1f", *card.Survey.Own.CSI.Value)
	wantMOE := fmt.Sprintf("± %.1f", *card.Survey.Own.CSI.MOE95)

	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/#branch=GD-GZ&month=2026-10")); err != nil {
		t.Fatal(err)
	}
	gen := waitLoaded(t, ctx, 0)

	// The KPI card shows the fixture's numbers, with margins and n.
	if got := text(t, ctx, `[data-kpi="csi"] .value`); got != wantCSI || wantCSI != "78.4" {
		t.Errorf("CSI tile shows %q, want %q (fixture 78.4)", got, wantCSI)
	}
	if got := text(t, ctx, `[data-kpi="csi"] .moe`); got != wantMOE {
		t.Errorf("CSI margin shows %q, want %q", got, wantMOE)
	}
	if got := text(t, ctx, `[data-kpi="csi"] .sub`); !strings.Contains(got, "412") {
		t.Errorf("CSI tile n: %q, want 412", got)
	}
	if got := text(t, ctx, `#kpi-panel h2`); got != "KPI card" {
		t.Errorf("English heading %q", got)
	}

	// The trend chart renders its 12 points, the last one the card's CSI.
	pts, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`csatCharts.trend.getOption().series[2].data.map(d => d.value)`))
	if err != nil {
		t.Fatalf("trend points: %v", err)
	}
	if len(pts) != 12 || fmt.Sprintf("%.1f", pts[11]) != "78.4" || fmt.Sprintf("%.1f", pts[8]) != "81.9" {
		t.Errorf("trend points %v, want 12 ending 81.9, 80.6, 79.5, 78.4", pts)
	}
	if canvases, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#trend-chart canvas').length`)); err != nil || canvases == 0 {
		t.Errorf("no canvas in the trend chart (%v)", err)
	}

	// The alert appears: GD-GZ's decline streak, with its months and values.
	if got := text(t, ctx, `.alert-row[data-rule="decline_streak"][data-branch="GD-GZ"]`); !strings.Contains(got, "Decline streak") || !strings.Contains(got, "78.4") {
		t.Errorf("decline-streak alert: %q", got)
	}
	// Unreportable cells are greyed: GD-GZ-YX has 18 responses.
	if grey, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#compare-table tr.unreportable').length`)); err != nil || grey != 1 {
		t.Errorf("greyed comparison rows: %d (%v), want 1", grey, err)
	}
	// The scorecard opens on the last quarter complete at 2026-10: 2026-Q3.
	sc, err := fr.Scorecard(context.Background(), "GD-GZ", "2026-Q3")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := text(t, ctx, "#score-total"), fmt.Sprintf("%.2f / %.0f", sc.Total, sc.Max); got != want {
		t.Errorf("scorecard total %q, want %q", got, want)
	}
	// Extensions (docs/extensions.md): the importance–performance quadrant of the card's key
	// drivers, one point per item with an importance and a performance, priorities in red; the
	// funnel plot of the comparison view, one point per sub-branch with a base and four limit
	// lines.
	wantPts := 0
	for _, it := range card.Drivers.Items {
		if it.Importance != nil && it.Performance != nil {
			wantPts++
		}
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`csatCharts.drivers.getOption().series[0].data.length`)); err != nil || n != wantPts || n == 0 {
		t.Errorf("drivers quadrant points: %d (%v), want %d", n, err, wantPts)
	}
	if canvases, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#drivers-chart canvas').length`)); err != nil || canvases == 0 {
		t.Errorf("no canvas in the drivers chart (%v)", err)
	}
	funnel, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => { const s = csatCharts.funnel.getOption().series; return [s[0].data.length, s.filter((x) => x.type === 'line' && x.data.length > 0).length]; })()`))
	if err != nil || len(funnel) != 2 || funnel[0] != 2 || funnel[1] != 4 {
		t.Errorf("funnel chart: %v (%v), want 2 points (GD-GZ-TH, GD-GZ-YX) and 4 limit lines", funnel, err)
	}
	screenshot(t, ctx, "dashboard-en.png")

	// What the first load transferred, as the browser counts it (headers and compressed
	// bodies): the assets and the API's JSON. The budget is 1 MB.
	transferred, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
		`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((s, e) => s + e.transferSize, 0)`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first load transferred %.0f bytes", transferred)
	if transferred == 0 || transferred > 1_000_000 {
		t.Errorf("first load transferred %.0f bytes, want > 0 and ≤ 1 MB", transferred)
	}

	// Switching to Chinese changes the labels.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang-toggle"))); err != nil {
		t.Fatal(err)
	}
	gen = waitLoaded(t, ctx, gen)
	if got := text(t, ctx, `#kpi-panel h2`); got != "关键指标" {
		t.Errorf("Chinese heading %q, want 关键指标", got)
	}
	if got := text(t, ctx, `[data-kpi="csi"] .label`); got != "综合满意度" {
		t.Errorf("Chinese CSI label %q", got)
	}
	if got := text(t, ctx, `.alert-row[data-rule="decline_streak"]`); !strings.Contains(got, "连续下降") {
		t.Errorf("Chinese alert %q", got)
	}
	screenshot(t, ctx, "dashboard-zh.png")

	// Drill down: GD-GZ → 天河 via the picker.
	drill := `(() => { const s = document.getElementById('child-select'); s.value = 'GD-GZ-TH'; return s.dispatchEvent(new Event('change')); })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](drill)); err != nil {
		t.Fatal(err)
	}
	waitLoaded(t, ctx, gen)
	if got := text(t, ctx, "#crumbs .current"); !strings.Contains(got, "GD-GZ-TH") {
		t.Errorf("after drill-down the picker shows %q", got)
	}
}

func TestDashboardAsksForToken(t *testing.T) {
	ts, _, tok := newServer(t, map[string]string{"sz": "GD-SZ"})
	ctx := browser(t, "zh-CN")
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	// The 401 opens the token dialog; the Chinese browser gets Chinese labels by default.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#token-input"))); err != nil {
		t.Fatalf("no token prompt: %v", err)
	}
	screenshot(t, ctx, "token-prompt.png")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#token-input"), tok["sz"]), chromedp.Click(chromedp.CSS("#token-ok"))); err != nil {
		t.Fatal(err)
	}
	waitLoaded(t, ctx, 0)
	if got := text(t, ctx, "#crumbs .current"); !strings.Contains(got, "GD-SZ") {
		t.Errorf("a GD-SZ token starts at %q, want GD-SZ", got)
	}
	if got := text(t, ctx, `#kpi-panel h2`); got != "关键指标" {
		t.Errorf("a zh-CN browser shows %q, want Chinese labels", got)
	}
	if stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem('csat.token')`)); err != nil || stored != tok["sz"] {
		t.Errorf("token not kept in sessionStorage (%v)", err)
	}
}

// TestDashboardInBrowserOnEngine drives the dashboard over the real engine and ClickHouse (a
// small national data set): the KPI card shows the engine's CSI and n, the trend chart has one
// point per month, the comparison lists the province's cities, the alert list has the engine's
// alerts.
func TestDashboardInBrowserOnEngine(t *testing.T) {
	chromium(t) // skip before loading data when there is no browser
	r, province, _, m := engineFixture(t)
	s, err := api.New(api.DefaultConfig(), r, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	card, err := r.Card(context.Background(), province, m)
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := r.Alerts(context.Background(), province, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, "en-US")
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/#branch="+province+"&month="+m.String())); err != nil {
		t.Fatal(err)
	}
	waitLoaded(t, ctx, 0)
	csi := card.Survey.Own.CSI
	if csi.Value == nil {
		t.Fatalf("fixture: %s has no CSI in %s", province, m)
	}
	if got, want := text(t, ctx, `[data-kpi="csi"] .value`), fmt.Sprintf("%.1f", *csi.Value); got != want {
		t.Errorf("CSI tile %q, want the engine's %q", got, want)
	}
	if got := text(t, ctx, `[data-kpi="csi"] .sub`); !strings.Contains(got, fmt.Sprint(csi.N)) {
		t.Errorf("CSI tile n %q, want %d", got, csi.N)
	}
	// Service consistency and the enterprise CSI (SPEC §5.3–5.5) show the engine's values ("—"
	// where the engine has none).
	one := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f", *v)
	}
	if cs := card.Consistency.Consistency; cs == nil {
		t.Errorf("fixture: %s has no consistency in %s", province, m)
	} else if got, want := text(t, ctx, `[data-kpi="consistency"] .value`), one(cs); got != want {
		t.Errorf("consistency tile %q, want the engine's %q", got, want)
	}
	if got, want := text(t, ctx, `[data-kpi="consistency"] .sub`), one(card.Consistency.StoreSpread)+" · "+fmt.Sprint(card.Consistency.Stores); !strings.Contains(got, want) {
		t.Errorf("consistency tile %q, want the store spread and stores %q", got, want)
	}
	if e := card.Survey.Enterprise.CSI; e.Value == nil {
		t.Errorf("fixture: %s has no enterprise CSI in %s", province, m)
	} else if got, want := text(t, ctx, `[data-kpi="enterprise"] .value`), one(e.Value); got != want {
		t.Errorf("enterprise tile %q, want the engine's %q", got, want)
	}
	pts, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`csatCharts.trend.getOption().series[2].data.map(d => d.value)`))
	if err != nil || len(pts) != 12 || pts[11] == nil || pts[10] == nil {
		t.Errorf("trend points %v (%v): want 12 months ending with two values", pts, err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#compare-table tbody tr').length`))
	if err != nil || rows == 0 {
		t.Errorf("comparison rows: %d (%v)", rows, err)
	}
	// Extensions: the funnel plot of the province's cities and the drivers quadrant render.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`csatCharts.funnel.getOption().series[0].data.length`)); err != nil || n == 0 {
		t.Errorf("funnel points: %d (%v), want the cities with a base", n, err)
	}
	if card.Drivers == nil {
		t.Errorf("engine card has no drivers block")
	} else if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`csatCharts.drivers ? csatCharts.drivers.getOption().series[0].data.length : -1`)); err != nil || n < 0 {
		t.Errorf("drivers quadrant: %d (%v)", n, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.alert-row').length`))
	if err != nil || shown != len(alerts.Alerts) {
		t.Errorf("alert rows %d (%v), want the engine's %d", shown, err, len(alerts.Alerts))
	}
	screenshot(t, ctx, "dashboard-engine.png")
}
