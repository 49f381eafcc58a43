package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/csat-dev/csat/schema"
)

// navigate opens url (after about:blank, so a change of the hash alone reloads the page) and
// waits for the dashboard's first load.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS("body[data-loaded]"))); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// TestDashboardScreensNeverMislead covers the display fixes: direction from the polarity table,
// dots with intervals, items in the pickers, alerts that open their metric, deep links, the
// last complete quarter, months without data and unknown branches said so, county values not
// joined when unreportable and smoothed values shown, alert filters and plain words, funnel
// labels, the phone header and no "-0.0".
func TestDashboardScreensNeverMislead(t *testing.T) {
	ts, fr, _ := newServer(t, nil)
	ctx := browser(t, "en-US")

	t.Run("polarity", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/GD-GZ?month=2026-10&cmp=complaint_rate&lang=en")
		// A lower-is-better metric misses its base from above.
		got := text(t, ctx, `.alert-row[data-rule="below_base"][data-branch="GD-GZ-TH"] .alert-detail`)
		if !strings.Contains(got, "4.35 > base 3.00") {
			t.Errorf("below-base complaint rate reads %q, want 4.35 > base 3.00", got)
		}
		// GD-GZ-TH's complaint rate rose: a red ▲ (worse), not a green one.
		cls := eval[string](t, ctx, `document.querySelector('#compare-table tr[data-branch="GD-GZ-TH"] td.change').className`)
		chg := text(t, ctx, `#compare-table tr[data-branch="GD-GZ-TH"] td.change`)
		if !strings.HasPrefix(chg, "▲") || !strings.Contains(cls, "down") || strings.Contains(cls, "up") {
			t.Errorf("rising complaint rate: %q with class %q, want ▲ with class down (red)", chg, cls)
		}
	})

	t.Run("compare dots with intervals, items in pickers", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/GD?month=2026-10&lang=en")
		types := eval[[]string](t, ctx, `csatCharts.compare.getOption().series.map((s) => s.type)`)
		if strings.Contains(strings.Join(types, ","), "bar") {
			t.Errorf("comparison series %v: bars from a non-zero axis misstate ratios", types)
		}
		dots := eval[int](t, ctx, `csatCharts.compare.getOption().series.find((s) => s.type === 'scatter').data.length`)
		whiskers := eval[int](t, ctx, `csatCharts.compare.getOption().series.find((s) => s.type === 'custom').data.filter((d) => d[1] != null).length`)
		if dots != 2 || whiskers != 2 {
			t.Errorf("comparison: %d dots and %d intervals, want 2 and 2 (GD-GZ, GD-SZ)", dots, whiskers)
		}
		for _, sel := range []string{"#compare-metric", "#trend-metric"} {
			if n := eval[int](t, ctx, `document.querySelectorAll('`+sel+` option[value^="item:"]').length`); n != 10 {
				t.Errorf("%s lists %d survey items, want 10", sel, n)
			}
		}
	})

	t.Run("alert opens its metric", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/GD-GZ?month=2026-10&lang=en")
		gen := eval[int](t, ctx, `Number(document.body.dataset.loaded)`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.alert-row[data-rule="below_base"][data-branch="GD-GZ-TH"] a`))); err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, ctx, gen)
		if got := eval[string](t, ctx, `document.getElementById('trend-metric').value`); got != "complaint_rate" {
			t.Errorf("after the alert's click the trend shows %q, want complaint_rate", got)
		}
		if got := eval[string](t, ctx, `csatCharts.trend.getOption().series[2].name`); got != "Complaints per 10k" {
			t.Errorf("trend series %q, want Complaints per 10k", got)
		}
		if got := eval[string](t, ctx, `location.hash`); !strings.HasPrefix(got, "#/branch/GD-GZ-TH?") || !strings.Contains(got, "metric=complaint_rate") || !strings.Contains(got, "month=2026-10") {
			t.Errorf("URL after the click: %q", got)
		}
	})

	t.Run("deep links", func(t *testing.T) {
		for _, tc := range []struct{ url, branch, metric, month string }{
			{"/#/branch/GD-GZ?metric=item:network&month=2026-09", "GD-GZ", "item:network", "2026-09"},
			{"/?branch=GD-SZ&metric=lead&month=2026-08", "GD-SZ", "lead", "2026-08"},
			{"/#branch=GD-GZ-TH&month=2026-07&metric=overall", "GD-GZ-TH", "overall", "2026-07"},
			// The form of csat notify's dashboard_url (url.Values.Encode: sorted, the colon escaped).
			{"/#branch=GD-GZ-TH&lang=en&metric=item%3Anetwork&month=2026-10", "GD-GZ-TH", "item:network", "2026-10"},
		} {
			navigate(t, ctx, ts.URL+tc.url)
			if got := eval[string](t, ctx, `document.getElementById('trend-metric').value`); got != tc.metric {
				t.Errorf("%s: trend metric %q, want %q", tc.url, got, tc.metric)
			}
			if got := text(t, ctx, "#kpi-sub"); !strings.Contains(got, tc.branch) || !strings.Contains(got, tc.month) {
				t.Errorf("%s: card of %q, want %s %s", tc.url, got, tc.branch, tc.month)
			}
		}
	})

	t.Run("last complete quarter, partial to date", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/GD-GZ?month=2026-11&lang=en")
		if got := eval[string](t, ctx, `document.getElementById('period').value`); got != "2026-Q3" {
			t.Fatalf("at 2026-11 the scorecard opens on %q, want the last complete quarter 2026-Q3", got)
		}
		gen := eval[int](t, ctx, `Number(document.body.dataset.loaded)`)
		const toDate = "2026-Q4-to-2026-11"
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('period'); s.value = '`+toDate+`'; return s.dispatchEvent(new Event('change')); })()`)); err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, ctx, gen)
		if got := eval[string](t, ctx, `document.querySelector('#period option[value="`+toDate+`"]').textContent`); !strings.Contains(got, "to date 2026-11") {
			t.Errorf("partial quarter labelled %q, want to date 2026-11", got)
		}
		// The total of October and November only (the server's to-date period), not the
		// quarter with December scored 0.
		part, err := fr.Scorecard(context.Background(), "GD-GZ", toDate)
		if err != nil {
			t.Fatal(err)
		}
		full, err := fr.Scorecard(context.Background(), "GD-GZ", "2026-Q4")
		if err != nil {
			t.Fatal(err)
		}
		p, f := part, full
		if len(p.Components[0].Months) != 2 || fmt.Sprintf("%.2f", p.Total) == fmt.Sprintf("%.2f", f.Total) {
			t.Fatalf("fixture: to-date %v over %d months, whole quarter %v", p.Total, len(p.Components[0].Months), f.Total)
		}
		want := fmt.Sprintf("%.2f / %.0f", p.Total, p.Max)
		if got := text(t, ctx, "#score-total"); got != want {
			t.Errorf("Q4 to date total %q, want %q (the whole quarter, December 0, is %.2f)", got, want, f.Total)
		}
		if got := text(t, ctx, "#scorecard-note"); !strings.Contains(got, "2026-10 – 2026-11") {
			t.Errorf("scorecard note %q", got)
		}
	})

	t.Run("no data, unknown branch, bad month", func(t *testing.T) {
		for _, tc := range []struct{ url, want string }{
			{"/#/branch/GD-GZ?month=2019-05&lang=en", "No data for 广州 · GD-GZ in 2019-05"},
			{"/#/branch/GD-XX?month=2026-10&lang=en", "Unknown branch “GD-XX”"},
			{"/#/branch/GD-GZ?month=2026-13&lang=en", "“2026-13” is not a month"},
			{"/#/branch/GD-XX?month=2026-10&lang=zh", "未知单位“GD-XX”"},
			{"/#/branch/GD-GZ?month=2019-05&lang=zh", "广州 · GD-GZ 在 2019-05 没有数据"},
		} {
			navigate(t, ctx, ts.URL+tc.url)
			if got := text(t, ctx, "#banner"); !strings.Contains(got, tc.want) {
				t.Errorf("%s: banner %q, want %q", tc.url, got, tc.want)
			}
			if vis := eval[bool](t, ctx, `getComputedStyle(document.querySelector('main')).display !== 'none'`); vis {
				t.Errorf("%s: the panels are shown (empty charts or another branch's data)", tc.url)
			}
		}
		// The link in the banner leads back to data.
		navigate(t, ctx, ts.URL+"/#/branch/GD-XX?month=2026-10&lang=en")
		gen := eval[int](t, ctx, `Number(document.body.dataset.loaded)`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#banner a`))); err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, ctx, gen)
		if vis := eval[bool](t, ctx, `getComputedStyle(document.querySelector('main')).display !== 'none'`); !vis {
			t.Errorf("after the banner's link the panels are still hidden")
		}
	})

	t.Run("county: unreportable points not joined, smoothed shown", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/GD-GZ-YX?month=2026-10&lang=en")
		line := eval[[]any](t, ctx, `csatCharts.trend.getOption().series[2].data.map((d) => d.value)`)
		for i, v := range line {
			if v != nil {
				t.Errorf("line point %d = %v: GD-GZ-YX (n=18) is unreportable and must not be joined", i, v)
			}
		}
		if n := eval[int](t, ctx, `csatCharts.trend.getOption().series[3].data.length`); n != 12 {
			t.Errorf("%d hollow unreportable points, want 12", n)
		}
		want := fmt.Sprintf("smoothed %.1f ± 1.5", smoothedCSI("GD-GZ-YX", fixtureMonth))
		if got := text(t, ctx, `[data-kpi="csi"] .sub`); !strings.Contains(got, want) {
			t.Errorf("county CSI tile %q, want %q", got, want)
		}
		// The comparison of the county's siblings shows their smoothed values beside the direct ones.
		for _, b := range []string{"GD-GZ-TH", "GD-GZ-YX"} {
			want := fmt.Sprintf("%.1f", smoothedCSI(b, fixtureMonth))
			if got := text(t, ctx, `#compare-table tr[data-branch="`+b+`"] td.smoothed`); got != want {
				t.Errorf("comparison: %s smoothed %q, want %s", b, got, want)
			}
		}
		sm := eval[[]float64](t, ctx, `csatCharts.trend.getOption().series[4].data`)
		if len(sm) != 12 {
			t.Fatalf("smoothed series %v, want 12 values", sm)
		}
		for i, m := range schema.Months(fixtureMonth.Add(-11), fixtureMonth) {
			if want := smoothedCSI("GD-GZ-YX", m); fmt.Sprintf("%.6f", sm[i]) != fmt.Sprintf("%.6f", want) {
				t.Errorf("smoothed %s = %v, want %v", m, sm[i], want)
			}
		}
	})

	t.Run("alert filters and plain words", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/ALL?month=2026-10&lang=en")
		all := eval[int](t, ctx, `document.querySelectorAll('.alert-row').length`)
		if all != 5 {
			t.Fatalf("%d alerts, want the fixture's 5", all)
		}
		if got := text(t, ctx, `.alert-row[data-rule="below_base"][data-branch="BJ"] .alert-detail`); !strings.Contains(got, "-0.040 < base 0.000") && !strings.Contains(got, "−0.040 < base 0.000") {
			t.Errorf("a value that rounds to its target reads %q, want more digits: -0.040 < base 0.000", got)
		}
		if got := text(t, ctx, `.alert-row[data-rule="decline_streak"] .alert-detail`); !strings.Contains(got, "chance this is noise 0.3%") {
			t.Errorf("q in words: %q", got)
		}
		if got := text(t, ctx, `.alert-row[data-rule="lead_lost"] .sev`); got != "watch (may be noise)" {
			t.Errorf("watch reads %q", got)
		}
		pick := func(key, value string) {
			t.Helper()
			js := fmt.Sprintf(`(() => { const s = document.querySelector('#alert-filters [data-filter=%q]'); s.value = %q; return s.dispatchEvent(new Event('change')); })()`, key, value)
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
				t.Fatal(err)
			}
		}
		count := func(sel string) int { return eval[int](t, ctx, `document.querySelectorAll('`+sel+`').length`) }
		pick("age", "new")
		if n, nn := count(".alert-row"), count(`.alert-row[data-age="new"]`); n != 2 || nn != 2 {
			t.Errorf("new alerts: %d rows (%d new), want the two below-base alerts of this month", n, nn)
		}
		pick("age", "continuing")
		if n := count(".alert-row"); n != 3 || count(`.alert-row[data-age="continuing"]`) != 3 {
			t.Errorf("continuing alerts: %d, want 3", n)
		}
		pick("age", "")
		pick("severity", "watch")
		if n := count(".alert-row"); n != 3 || count(`.alert-row .sev.watch`) != 3 {
			t.Errorf("watch alerts: %d, want 3", n)
		}
		pick("severity", "")
		pick("rule", "below_base")
		pick("metric", "complaint_rate")
		if n := count(".alert-row"); n != 1 || count(`.alert-row[data-metric="complaint_rate"][data-rule="below_base"]`) != 1 {
			t.Errorf("below_base × complaint_rate: %d rows, want 1", n)
		}
		// Funnel points carry their branch's name.
		labels := eval[bool](t, ctx, `csatCharts.funnel.getOption().series[0].label.show === true`)
		if !labels {
			t.Errorf("funnel points are not labelled")
		}
	})

	t.Run("downloads", func(t *testing.T) {
		navigate(t, ctx, ts.URL+"/#/branch/GD?month=2026-10&lang=en")
		for _, id := range []string{"compare-export", "alerts-export", "scorecard-export"} {
			for _, f := range []string{"csv", "xlsx"} {
				js := fmt.Sprintf(`fetch(document.querySelector('#%s a[data-format=%s]').href).then((r) => r.status + ' ' + r.headers.get('Content-Type') + ' ' + r.headers.get('Content-Disposition'))`, id, f)
				got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
				if err != nil || !strings.HasPrefix(got, "200 ") || !strings.Contains(got, "attachment") || !strings.Contains(got, "."+f) {
					t.Errorf("%s %s download: %q (%v)", id, f, got, err)
				}
			}
		}
		href := eval[string](t, ctx, `document.querySelector('#league-export a[data-format=xlsx]').href`)
		if !strings.Contains(href, "/api/v1/rank?") || !strings.Contains(href, "parent=GD") || !strings.Contains(href, "level=2") || !strings.Contains(href, "period=2026-Q3") {
			t.Errorf("league table link %q", href)
		}
	})

	t.Run("no -0.0", func(t *testing.T) {
		for js, want := range map[string]string{
			`csatFormat.fmt(-0.04, 1)`:    "0.0",
			`csatFormat.signed(-0.04, 1)`: "0.0",
			`csatFormat.signed(-0.06, 1)`: "−0.1",
			`csatFormat.fmt(-0.004, 2)`:   "0.00",
		} {
			if got := eval[string](t, ctx, js); got != want {
				t.Errorf("%s = %q, want %q", js, got, want)
			}
		}
		if n := eval[int](t, ctx, `[...document.querySelectorAll('main')].filter((e) => /-0\.0+(?![0-9])|−0\.0+(?![0-9])/.test(e.innerText)).length`); n != 0 {
			t.Errorf("the page shows -0.0")
		}
	})

	t.Run("phone header", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 800)); err != nil {
			t.Fatal(err)
		}
		navigate(t, ctx, ts.URL+"/#/branch/GD-GZ-TH?month=2026-10&lang=zh")
		h := eval[float64](t, ctx, `document.querySelector('.topbar').getBoundingClientRect().height`)
		w := eval[float64](t, ctx, `document.querySelector('.topbar').scrollWidth`)
		screenshot(t, ctx, "phone-zh.png")
		if h > 80 || w > 390 {
			t.Errorf("phone header %.0f px high and %.0f px wide, want ≤ 80 and ≤ 390", h, w)
		}
		if got := text(t, ctx, "#crumbs .current"); !strings.Contains(got, "天河") {
			t.Errorf("phone header shows %q, want the current branch", got)
		}
	})
}
