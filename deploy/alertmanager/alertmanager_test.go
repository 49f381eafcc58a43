// Package alertmanager_test checks the example Alertmanager configuration of deploy/alertmanager:
// amtool accepts it and its templates, its routes name defined receivers and cover every
// province, and — against a real Alertmanager started with it — a county's significant fall that
// csat pushes reaches the province's WeCom (企业微信) department as a Chinese message with the
// dashboard link, then its recovery. amtool and the Alertmanager come with Debian's
// prometheus-alertmanager package; without them the tests skip, unless CI=true or CSAT_E2E=1.
package alertmanager_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/aggregate/notify/amtest"
	"github.com/csat-dev/csat/schema"
)

func TestCheckConfig(t *testing.T) {
	amtool, err := exec.LookPath("amtool")
	if err != nil {
		if amtest.Required() {
			t.Fatal("amtool not on PATH (scripts/test-deps.sh installs prometheus-alertmanager)")
		}
		t.Skip("amtool not on PATH (apt-get install prometheus-alertmanager); skipping")
	}
	out, err := exec.Command(amtool, "check-config", "alertmanager.yml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 templates") {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
}

type route struct {
	Receiver string   `yaml:"receiver"`
	Matchers []string `yaml:"matchers"`
	Routes   []route  `yaml:"routes"`
}

// TestRoutes: every route names a defined receiver; the ops and service teams are routed, and
// each province of the example by its province label.
func TestRoutes(t *testing.T) {
	b, err := os.ReadFile("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	var am struct {
		Route     route `yaml:"route"`
		Receivers []struct {
			Name   string           `yaml:"name"`
			WeChat []map[string]any `yaml:"wechat_configs"`
			Email  []map[string]any `yaml:"email_configs"`
		} `yaml:"receivers"`
	}
	if err := yaml.Unmarshal(b, &am); err != nil {
		t.Fatalf("alertmanager.yml: %v", err)
	}
	names := map[string]bool{}
	wechat, email := 0, 0
	for _, r := range am.Receivers {
		names[r.Name] = true
		wechat += len(r.WeChat)
		email += len(r.Email)
	}
	if wechat == 0 || email == 0 {
		t.Errorf("%d wechat_configs and %d email_configs, want both", wechat, email)
	}
	var matched []string
	var walk func(route)
	walk = func(r route) {
		if !names[r.Receiver] {
			t.Errorf("route %v names undefined receiver %q", r.Matchers, r.Receiver)
		}
		matched = append(matched, r.Matchers...)
		for _, c := range r.Routes {
			walk(c)
		}
	}
	walk(am.Route)
	for _, m := range []string{`team="ops"`, `team="service"`, `province="GD"`, `province="ZJ"`, `province="JS"`} {
		if !strings.Contains(strings.Join(matched, ";"), m) {
			t.Errorf("no route matches %s", m)
		}
	}
}

// fakeWeCom is WeCom's API as Alertmanager's wechat notifier uses it: gettoken, then
// message/send with the token.
type fakeWeCom struct {
	mu   sync.Mutex
	errs []string
	ch   chan map[string]any
	srv  *httptest.Server
}

func newFakeWeCom(t *testing.T) *fakeWeCom {
	f := &fakeWeCom{ch: make(chan map[string]any, 10)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			if q.Get("corpid") != "ww0000000000000000" || q.Get("corpsecret") != "change-me" {
				_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40013, "errmsg": "invalid corpid"})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "tok", "expires_in": 7200})
		case "/cgi-bin/message/send":
			var m map[string]any
			if q.Get("access_token") != "tok" || json.NewDecoder(r.Body).Decode(&m) != nil {
				_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
				return
			}
			f.ch <- m
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeCom) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-f.ch:
		return m
	case <-time.After(60 * time.Second):
		t.Fatal("WeCom got no message within 60s")
	}
	return nil
}

// TestWeComEndToEnd runs the example configuration in a real Alertmanager (with WeCom's API and
// the mail relay pointed at local stand-ins, and short group waits): csat pushes a significant
// fall of a Guangdong county; the Guangdong department receives the WeCom message in Chinese
// with the dashboard link, and the Guangdong office the e-mail with the full description; when
// the fall is no longer computed, the recovery.
func TestWeComEndToEnd(t *testing.T) {
	wecom := newFakeWeCom(t)
	relay := newFakeSMTP(t)
	b, err := os.ReadFile("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("csat.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"https://qyapi.weixin.qq.com/cgi-bin/", wecom.srv.URL+"/cgi-bin/",
		"mail.example.com:587", relay.addr,
		"smtp_require_tls: true", "smtp_require_tls: false",
		"group_wait: 1m", "group_wait: 1s",
		"group_interval: 10m", "group_interval: 1s",
	).Replace(string(b))
	am := amtest.Start(t, cfg, map[string]string{"csat.tmpl": string(tmpl)})

	nov, _ := schema.ParseMonth("2026-11")
	src := amtest.NewSource(nov)
	src.Set(nov, amtest.CountyFall(nov))
	n := amtest.Notifier(t, am.URL, src)
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := wecom.next(t)
	if m["agentid"] != "1000002" || m["toparty"] != "2" || m["msgtype"] != "text" {
		t.Errorf("WeCom message to agent %v, party %v, type %v; want 1000002, 2, text", m["agentid"], m["toparty"], m["msgtype"])
	}
	text, _ := m["text"].(map[string]any)
	content, _ := text["content"].(string)
	want := "【csat 告警】1 条 · 南山区\n\n" +
		"【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分\n" +
		"查看：https://csat.example.com/#branch=GD-SZ-NS&lang=zh&metric=item%3Anetwork&month=2026-11\n"
	if strings.TrimSpace(content) != strings.TrimSpace(want) {
		t.Errorf("WeCom content:\n%s\nwant:\n%s", content, want)
	}
	t.Logf("WeCom message:\n%s", content)

	mail := relay.next(t, "service-quality-gd@example.com", 60*time.Second)
	if mail.subject != "【csat 告警】1 条 · 南山区" {
		t.Errorf("mail subject %q", mail.subject)
	}
	for _, want := range []string{"【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分",
		"2026-08 83.8 → 2026-09 74.1 → 2026-10 64.7 → 2026-11 62.2", "降幅是其抽样误差（标准误）的7.5倍",
		`<a href="https://csat.example.com/#branch=GD-SZ-NS&amp;lang=zh&amp;metric=item%3Anetwork&amp;month=2026-11">在看板中查看</a>`,
		"[significant] Satisfaction with network quality"} {
		if !strings.Contains(mail.html, want) {
			t.Errorf("mail html lacks %q:\n%s", want, mail.html)
		}
	}
	if !strings.Contains(mail.text, "判定：显著") {
		t.Errorf("mail text:\n%s", mail.text)
	}

	src.Set(nov)
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	m = wecom.next(t)
	text, _ = m["text"].(map[string]any)
	content, _ = text["content"].(string)
	want = "【csat 已恢复】1 条 · 南山区\n\n✅ 已恢复：【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分"
	if strings.TrimSpace(content) != want {
		t.Errorf("WeCom recovery:\n%s\nwant:\n%s", content, want)
	}
}
