package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/aggregate/notify/amtest"
	"github.com/csat-dev/csat/schema"
)

// fakeAM records the alerts posted to /api/v2/alerts; status is its answer.
type fakeAM struct {
	mu     sync.Mutex
	posts  [][]notify.Alert
	auth   []string
	status int
	srv    *httptest.Server
}

func newFakeAM(t *testing.T) *fakeAM {
	f := &fakeAM{status: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/am/api/v2/alerts" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		var as []notify.Alert
		if err := json.NewDecoder(r.Body).Decode(&as); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.posts = append(f.posts, as)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		w.WriteHeader(f.status)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// last returns the alerts of the last post by branch/rule/metric.
func (f *fakeAM) last(t *testing.T) map[string]notify.Alert {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posts) == 0 {
		t.Fatal("nothing posted")
	}
	out := map[string]notify.Alert{}
	for _, a := range f.posts[len(f.posts)-1] {
		out[a.Labels["branch"]+"/"+a.Labels["rule"]+"/"+a.Labels["metric"]] = a
	}
	return out
}

func (f *fakeAM) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testConfig(urls ...string) notify.Config {
	return notify.Config{AlertmanagerURLs: urls, ExternalURL: "https://csat.example.com/dash/", Interval: time.Minute,
		Months: 1, Timeout: 5 * time.Second, Names: names, Catalog: catalog}
}

// TestTexts checks what a person reads: the summaries word for word (values worked out by hand
// from the fixtures) and the facts each description must carry.
func TestTexts(t *testing.T) {
	am := newFakeAM(t)
	src := amtest.NewSource(month("2026-11"))
	src.Set(month("2026-11"), countyFall, watchFall, complaintsHigh, leadLost, drift)
	n, err := notify.New(testConfig(am.srv.URL+"/am"), src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := am.last(t)
	cases := []struct {
		key               string
		summaryZH, summEN string
		descZH, descEN    []string
		numbers           map[string]string
	}{
		{"GD-SZ-NS/decline_streak/item:network",
			"【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分",
			"[significant] Satisfaction with network quality of 广东省深圳市南山区 (GD-SZ-NS) fell 3 months in a row, by 21.6 points in all",
			[]string{"2026-11，广东省深圳市南山区的网络质量满意度自2026-08起连续3个月下降：2026-08 83.8 → 2026-09 74.1 → 2026-10 64.7 → 2026-11 62.2，累计下降21.6分。",
				"降幅是其抽样误差（标准误）的7.5倍，超出了抽样波动能解释的范围", "q = 1.9e-12：", "预计不到0.1%是抽样噪声造成的误报",
				"判定：显著", "查看：https://csat.example.com/dash/#branch=GD-SZ-NS&lang=zh&metric=item%3Anetwork&month=2026-11"},
			[]string{"had fallen 3 months in a row since 2026-08", "7.5 times its sampling error", "under 0.1% are expected", "Verdict: significant",
				"Dashboard: https://csat.example.com/dash/#branch=GD-SZ-NS&lang=en&metric=item%3Anetwork&month=2026-11"},
			map[string]string{"value": "62.2", "drop": "21.6", "z": "7.50", "q": "1.9e-12"}},
		{"ZJ-HZ-XH/decline_streak/csi",
			"【关注】浙江省杭州市西湖区 综合满意度连续3个月下降，累计下降2.9分",
			"[watch] Composite satisfaction (CSI) of 浙江省杭州市西湖区 (ZJ-HZ-XH) fell 3 months in a row, by 2.9 points in all",
			[]string{"只是其抽样误差（标准误）的1.2倍，抽样波动也可能造成这样的下降", "q = 0.430：", "预计约43%是抽样噪声", "判定：关注"},
			[]string{"only 1.2 times its sampling error", "about 43% are expected to be false alarms", "Verdict: watch"},
			map[string]string{"value": "79.6", "drop": "2.9", "z": "1.20", "q": "0.430"}},
		{"GD-GZ/below_base/complaint_rate",
			"【显著】广东省广州市 万投比为4.35件/万户，高于基本目标3.00件/万户",
			"[significant] Complaints per 10k subscribers of 广东省广州市 (GD-GZ) is 4.35 per 10k, above its base target 3.00 per 10k",
			[]string{"高于考核基本目标3.00件/万户（越低越好），差1.35件/万户。"},
			[]string{"above the scorecard's base target of 3.00 per 10k (lower is better) by 1.35 per 10k"},
			map[string]string{"value": "4.35"}},
		{"JS-NJ/lead_lost/lead",
			"【显著】江苏省南京市 失去领先：领先程度由+4.9降为-2.3",
			"[significant] 江苏省南京市 (JS-NJ) lost its lead over the best competitor: -2.3, was +4.9",
			[]string{"由上月的+4.9分降为-2.3分，下降7.2分", "q = 0.025：", "预计约2.5%是抽样噪声"},
			[]string{"went from +4.9 last month to -2.3 points, a fall of 7.2"},
			map[string]string{"value": "-2.3", "drop": "7.2", "q": "0.025"}},
		{"GD/drift/item:network",
			"【显著】广东省 网络质量满意度持续缓慢下滑，较基线下降7.1分",
			"[significant] Satisfaction with network quality of 广东省 (GD) is sliding: 7.1 points below its baseline",
			[]string{"为76.7，比此前六个月的基线83.8低7.1分", "（-2.94，限值 -1.25"},
			[]string{"the EWMA control chart of the last 6 months is below its lower limit (-2.94 against -1.25"},
			map[string]string{"value": "76.7", "drop": "7.1", "z": "-5.10", "q": "1.4e-12"}},
	}
	if len(got) != len(cases) {
		t.Errorf("%d alerts posted, want %d", len(got), len(cases))
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			a, ok := got[c.key]
			if !ok {
				t.Fatalf("not posted; got %v", keys(got))
			}
			an := a.Annotations
			if an["summary_zh"] != c.summaryZH || an["summary"] != c.summaryZH {
				t.Errorf("summary_zh = %q\nwant        %q", an["summary_zh"], c.summaryZH)
			}
			if an["summary_en"] != c.summEN {
				t.Errorf("summary_en = %q\nwant        %q", an["summary_en"], c.summEN)
			}
			for _, p := range c.descZH {
				if !strings.Contains(an["description_zh"], p) {
					t.Errorf("description_zh lacks %q:\n%s", p, an["description_zh"])
				}
			}
			for _, p := range c.descEN {
				if !strings.Contains(an["description_en"], p) {
					t.Errorf("description_en lacks %q:\n%s", p, an["description_en"])
				}
			}
			if an["description"] != an["description_zh"] {
				t.Error("description is not the Chinese description")
			}
			for k, v := range c.numbers {
				if an[k] != v {
					t.Errorf("annotation %s = %q, want %q", k, an[k], v)
				}
			}
			for _, k := range []string{"value", "drop", "z", "q"} {
				if _, want := c.numbers[k]; !want && an[k] != "" {
					t.Errorf("annotation %s = %q, want none", k, an[k])
				}
			}
			if !strings.HasPrefix(an["dashboard_url"], "https://csat.example.com/dash/#") || a.GeneratorURL != an["dashboard_url"] {
				t.Errorf("dashboard_url %q, generatorURL %q", an["dashboard_url"], a.GeneratorURL)
			}
		})
	}
	// Labels of a province-level and a city-level alert: province and city as far as they exist.
	if l := got["GD/drift/item:network"].Labels; l["province"] != "GD" || l["city"] != "" || l["branch_name"] != "广东省" || l["alertname"] != "CsatDrift" {
		t.Errorf("province alert labels %v", l)
	}
	if l := got["GD-GZ/below_base/complaint_rate"].Labels; l["province"] != "GD" || l["city"] != "GD-GZ" || l["alertname"] != "CsatBelowBase" {
		t.Errorf("city alert labels %v", l)
	}
}

func keys(m map[string]notify.Alert) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestNoNamesNoLink: without branch names the ids stand in; without an external URL there is
// no link; "-0.0" never shows.
func TestNoNamesNoLink(t *testing.T) {
	am := newFakeAM(t)
	src := amtest.NewSource(month("2026-11"))
	a := leadLost
	a.Value, a.Previous, a.Drop, a.Q = -0.00004, 0.3, 0.30004, nil
	src.Set(month("2026-11"), a)
	cfg := testConfig(am.srv.URL + "/am")
	cfg.Names, cfg.ExternalURL = nil, ""
	n, err := notify.New(cfg, src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := am.last(t)["JS-NJ/lead_lost/lead"]
	if s := got.Annotations["summary_zh"]; s != "【显著】JS-NJ 失去领先：领先程度由+0.3降为0.0" {
		t.Errorf("summary_zh = %q", s)
	}
	if got.Labels["branch_name"] != "" || got.Annotations["dashboard_url"] != "" || got.GeneratorURL != "" ||
		strings.Contains(got.Annotations["description_zh"], "查看") {
		t.Errorf("want no name and no link: %+v", got)
	}
}

// TestLifecycle: an alert is sent every push with endsAt four intervals ahead and its first
// startsAt; one that stops being computed is sent once with endsAt now, then no more.
func TestLifecycle(t *testing.T) {
	am := newFakeAM(t)
	src := amtest.NewSource(month("2026-11"))
	src.Set(month("2026-11"), countyFall, leadLost)
	clk := &clock{time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	n, err := notify.New(testConfig(am.srv.URL+"/am"), src, nil, nil, notify.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t1 := clk.t
	push := func(wantFiring, wantResolved int) map[string]notify.Alert {
		t.Helper()
		rd, err := n.Push(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rd.Firing != wantFiring || rd.Resolved != wantResolved || len(rd.Months) != 1 || rd.Months[0] != month("2026-11") {
			t.Fatalf("round %+v, want %d firing, %d resolved, months [2026-11]", rd, wantFiring, wantResolved)
		}
		return am.last(t)
	}
	got := push(2, 0)
	for k, a := range got {
		if !a.StartsAt.Equal(t1) || !a.EndsAt.Equal(t1.Add(4*time.Minute)) {
			t.Errorf("%s: startsAt %s endsAt %s, want %s and +4m", k, a.StartsAt, a.EndsAt, t1)
		}
	}
	clk.t = t1.Add(time.Minute)
	src.Set(month("2026-11"), countyFall)
	got = push(1, 1)
	fall, lost := got["GD-SZ-NS/decline_streak/item:network"], got["JS-NJ/lead_lost/lead"]
	if !fall.StartsAt.Equal(t1) || !fall.EndsAt.Equal(clk.t.Add(4*time.Minute)) {
		t.Errorf("continuing alert: startsAt %s endsAt %s, want %s and %s", fall.StartsAt, fall.EndsAt, t1, clk.t.Add(4*time.Minute))
	}
	if !lost.StartsAt.Equal(t1) || !lost.EndsAt.Equal(clk.t) || !lost.Resolved(clk.t) {
		t.Errorf("stopped alert: startsAt %s endsAt %s, want %s and now %s", lost.StartsAt, lost.EndsAt, t1, clk.t)
	}
	clk.t = clk.t.Add(time.Minute)
	got = push(1, 0)
	if _, ok := got["JS-NJ/lead_lost/lead"]; ok || len(got) != 1 {
		t.Errorf("third push sent %v, want the fall only", keys(got))
	}
	// A change of severity is another alert: the watch one resolves, the significant one fires.
	clk.t = clk.t.Add(time.Minute)
	w := countyFall
	w.Severity = kpi.SeverityWatch
	src.Set(month("2026-11"), w)
	rd, err := n.Push(ctx)
	if err != nil || rd.Firing != 1 || rd.Resolved != 1 {
		t.Errorf("severity change: %+v, %v; want 1 firing, 1 resolved", rd, err)
	}
}

// TestSourceFailure: when the alerts cannot be computed the last ones are sent again (an outage
// must not resolve them), the error is returned and counted.
func TestSourceFailure(t *testing.T) {
	am := newFakeAM(t)
	src := amtest.NewSource(month("2026-11"))
	src.Set(month("2026-11"), countyFall)
	clk := &clock{time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	reg := prometheus.NewPedanticRegistry()
	n, err := notify.New(testConfig(am.srv.URL+"/am"), src, nil, reg, notify.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	down := errors.New("clickhouse: connection refused")
	src.Fail(down)
	clk.t = clk.t.Add(time.Minute)
	rd, err := n.Push(context.Background())
	if !errors.Is(err, down) || !rd.Stale || rd.Firing != 1 || rd.Resolved != 0 {
		t.Fatalf("push with the source down: %+v, %v", rd, err)
	}
	a := am.last(t)["GD-SZ-NS/decline_streak/item:network"]
	if !a.EndsAt.Equal(clk.t.Add(4 * time.Minute)) {
		t.Errorf("resent alert ends %s, want %s", a.EndsAt, clk.t.Add(4*time.Minute))
	}
	if v := valueOf(t, reg, "csat_notify_evaluation_failures_total", ""); v != 1 {
		t.Errorf("evaluation failures %v, want 1", v)
	}
}

// TestMonths: the latest complete month by default (the current one with CurrentMonth), and
// CSAT_NOTIFY_MONTHS months back from the latest; the month is a label, so one alert in two
// months is two alerts.
func TestMonths(t *testing.T) {
	am := newFakeAM(t)
	src := amtest.NewSource(month("2026-11"))
	oct := countyFall
	oct.Month, oct.Start = month("2026-10"), month("2026-07")
	src.Set(month("2026-10"), oct)
	src.Set(month("2026-11"), countyFall)
	clk := &clock{time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)} // 2027-01-01 04:00 in Shanghai
	cfg := testConfig(am.srv.URL + "/am")
	cfg.Months = 2
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Location = sh
	n, err := notify.New(cfg, src, nil, nil, notify.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := n.Push(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Months) != 2 || rd.Months[0] != month("2026-10") || rd.Months[1] != month("2026-11") || rd.Firing != 2 {
		t.Errorf("round %+v, want months 2026-10 and 2026-11, 2 firing", rd)
	}
	cfg.CurrentMonth = true
	n2, err := notify.New(cfg, src, nil, nil, notify.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n2.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []schema.Month{month("2026-12"), month("2027-01")}; len(src.Limits()) != 2 || src.Limits()[0] != want[0] || src.Limits()[1] != want[1] {
		t.Errorf("LatestMonth limits %v, want %v (last complete month, then the current one, in Shanghai)", src.Limits(), want)
	}
}

// TestSeveralAlertmanagers: every alert goes to each Alertmanager; one that fails is counted
// and reported by name, without the password of its URL; the user information becomes basic
// authentication.
func TestSeveralAlertmanagers(t *testing.T) {
	good, bad := newFakeAM(t), newFakeAM(t)
	bad.status = http.StatusInternalServerError
	src := amtest.NewSource(month("2026-11"))
	src.Set(month("2026-11"), countyFall)
	reg := prometheus.NewPedanticRegistry()
	badURL := strings.Replace(bad.srv.URL, "http://", "http://csat:s3cret@", 1) + "/am/"
	n, err := notify.New(testConfig(good.srv.URL+"/am", badURL), src, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Push(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "500") {
		t.Fatalf("push error %v, want the 500 of the second Alertmanager without its password", err)
	}
	if good.count() != 1 || bad.count() != 1 {
		t.Errorf("posts: %d and %d, want one each", good.count(), bad.count())
	}
	if bad.auth[0] != "Basic Y3NhdDpzM2NyZXQ=" || good.auth[0] != "" {
		t.Errorf("authorization %q and %q", good.auth[0], bad.auth[0])
	}
	goodName, badName := strings.TrimPrefix(good.srv.URL, "http://")+"/am", strings.TrimPrefix(bad.srv.URL, "http://")+"/am"
	for _, c := range []struct {
		metric, am string
		want       float64
	}{
		{"csat_notify_alerts_sent_total", goodName, 1}, {"csat_notify_send_failures_total", goodName, 0},
		{"csat_notify_alerts_sent_total", badName, 0}, {"csat_notify_send_failures_total", badName, 1},
	} {
		if got := valueOf(t, reg, c.metric, c.am); got != c.want {
			t.Errorf("%s{alertmanager=%q} = %v, want %v", c.metric, c.am, got, c.want)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", problems, err)
	}
	var logs strings.Builder
	cfg := testConfig(good.srv.URL+"/am", badURL)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("configured", "config", cfg)
	if !strings.Contains(logs.String(), "csat:xxxxx@") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("log shows the password: %s", logs.String())
	}
}

func valueOf(t *testing.T, reg *prometheus.Registry, name, am string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if am == "" && len(m.GetLabel()) == 0 {
				return m.GetCounter().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "alertmanager" && l.GetValue() == am {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{alertmanager=%q}", name, am)
	return 0
}

// TestRunStops: Run pushes at once, then every interval, and returns when its context ends,
// leaving no goroutine behind.
func TestRunStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	am := newFakeAM(t)
	src := amtest.NewSource(month("2026-11"))
	src.Set(month("2026-11"), countyFall)
	cfg := testConfig(am.srv.URL + "/am")
	cfg.Interval = time.Second
	n, err := notify.New(cfg, src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for am.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if am.count() < 2 {
		t.Errorf("%d pushes in 10 s with a 1 s interval", am.count())
	}
	am.srv.Close()
}

func TestConfigValidate(t *testing.T) {
	ok := notify.Config{Interval: time.Minute, Months: 1, Timeout: time.Second}
	cases := []struct {
		name string
		edit func(*notify.Config)
		want string // "" for valid
	}{
		{"defaults, off", func(*notify.Config) {}, ""},
		{"two alertmanagers", func(c *notify.Config) { c.AlertmanagerURLs = []string{"http://am-0:9093", "https://u:p@am-1/prefix"} }, ""},
		{"not a URL", func(c *notify.Config) { c.AlertmanagerURLs = []string{"am-0:9093"} }, "CSAT_ALERTMANAGER_URL"},
		{"fragment", func(c *notify.Config) { c.ExternalURL = "https://csat/#x" }, "CSAT_EXTERNAL_URL"},
		{"relative external URL", func(c *notify.Config) { c.ExternalURL = "/csat" }, "CSAT_EXTERNAL_URL"},
		{"password not echoed", func(c *notify.Config) { c.AlertmanagerURLs = []string{"ftp://u:s3cret@am"} }, "u:xxxxx@am"},
		{"interval", func(c *notify.Config) { c.Interval = 0 }, "CSAT_NOTIFY_INTERVAL"},
		{"months", func(c *notify.Config) { c.Months = 13 }, "CSAT_NOTIFY_MONTHS"},
		{"timeout", func(c *notify.Config) { c.Timeout = time.Millisecond }, "CSAT_ALERTMANAGER_TIMEOUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Validate: %v, want an error naming %s", err, c.want)
			case err != nil && strings.Contains(err.Error(), "s3cret"):
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestAlertname(t *testing.T) {
	for rule, want := range map[string]string{"decline_streak": "CsatDeclineStreak", "drift": "CsatDrift",
		"below_base": "CsatBelowBase", "lead_lost": "CsatLeadLost"} {
		if got := notify.Alertname(rule); got != want {
			t.Errorf("Alertname(%q) = %q, want %q", rule, got, want)
		}
	}
}
