package dingtalk_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/aggregate/notify/amtest"
	"github.com/csat-dev/csat/aggregate/notify/dingtalk"
	"github.com/csat-dev/csat/schema"
)

const (
	token  = "abc123"
	secret = "SEC0123456789abcdef"
)

// robotMsg is a message the fake robot accepted.
type robotMsg struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
}

// fakeRobot is DingTalk's robot webhook as far as the bridge uses it: it checks the access
// token and the signature (HMAC-SHA256 of "timestamp\nsecret" with the secret, base64, within an
// hour of now) as DingTalk does, answering errcode 310000 when they do not match, and records
// the messages it accepted.
type fakeRobot struct {
	mu   sync.Mutex
	msgs []robotMsg
	ch   chan robotMsg
	srv  *httptest.Server
}

func newFakeRobot(t *testing.T, now func() time.Time) *fakeRobot {
	f := &fakeRobot{ch: make(chan robotMsg, 10)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(code int, msg string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
		}
		q := r.URL.Query()
		if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || q.Get("access_token") != token {
			answer(300001, "token is not exist")
			return
		}
		ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || now().Sub(time.UnixMilli(ts)).Abs() > time.Hour {
			answer(310000, "invalid timestamp")
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); q.Get("sign") != want {
			answer(310000, "sign not match")
			return
		}
		var m robotMsg
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.MsgType != "markdown" || m.Markdown.Text == "" || m.Markdown.Title == "" {
			answer(40035, "missing or bad markdown message")
			return
		}
		f.mu.Lock()
		f.msgs = append(f.msgs, m)
		f.mu.Unlock()
		f.ch <- m
		answer(0, "ok")
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRobot) url() string { return f.srv.URL + "/robot/send?access_token=" + token }

func (f *fakeRobot) next(t *testing.T, timeout time.Duration) robotMsg {
	t.Helper()
	select {
	case m := <-f.ch:
		return m
	case <-time.After(timeout):
		t.Fatalf("the robot got no message within %s", timeout)
	}
	return robotMsg{}
}

func config(robot string) dingtalk.Config {
	return dingtalk.Config{Addr: "127.0.0.1:0", WebhookURL: robot, Secret: secret, MaxAlerts: 10, Timeout: 5 * time.Second}
}

// countyAlert is a notification of csat's push path (its labels and annotations as notify
// writes them) for a significant county fall.
func countyAlert(status string) notify.WebhookAlert {
	return notify.WebhookAlert{Status: status,
		Labels: map[string]string{"alertname": "CsatDeclineStreak", "severity": "significant", "branch": "GD-SZ-NS"},
		Annotations: map[string]string{
			"summary_zh":     "【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分",
			"description_zh": "2026-11，广东省深圳市南山区的网络质量满意度自2026-08起连续3个月下降。查看：https://csat.example.com/#branch=GD-SZ-NS",
			"dashboard_url":  "https://csat.example.com/#branch=GD-SZ-NS"}}
}

func post(t *testing.T, h http.Handler, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
	return rec
}

// TestBridge: a notification becomes one signed markdown message, word for word.
func TestBridge(t *testing.T) {
	clk := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	now := func() time.Time { return clk }
	robot := newFakeRobot(t, now)
	reg := prometheus.NewPedanticRegistry()
	b, err := dingtalk.New(config(robot.url()), nil, reg, dingtalk.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	ops := notify.WebhookAlert{Status: "firing", Labels: map[string]string{"alertname": "CsatIngestStalled", "team": "ops"},
		Annotations: map[string]string{"summary": "csat ingest has inserted nothing for 17m 0s with messages waiting"}}
	body, _ := json.Marshal(notify.WebhookMessage{Version: "4", Status: "firing",
		Alerts: []notify.WebhookAlert{countyAlert("firing"), ops}})
	if rec := post(t, b, body); rec.Code != http.StatusOK {
		t.Fatalf("bridge answered %d: %s", rec.Code, rec.Body)
	}
	m := robot.next(t, time.Second)
	if want := "csat 告警 2 条（显著 1）"; m.Markdown.Title != want {
		t.Errorf("title %q, want %q", m.Markdown.Title, want)
	}
	want := "### csat 告警 2 条（显著 1）\n\n" +
		"**【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分**\n\n" +
		"2026-11，广东省深圳市南山区的网络质量满意度自2026-08起连续3个月下降。\n\n" +
		"[查看看板](https://csat.example.com/#branch=GD-SZ-NS)\n\n---\n\n" +
		"**csat ingest has inserted nothing for 17m 0s with messages waiting**\n\n---"
	if m.Markdown.Text != want {
		t.Errorf("text:\n%s\nwant:\n%s", m.Markdown.Text, want)
	}

	// Resolved: said so, without the description.
	body, _ = json.Marshal(notify.WebhookMessage{Version: "4", Status: "resolved", Alerts: []notify.WebhookAlert{countyAlert("resolved")}})
	if rec := post(t, b, body); rec.Code != http.StatusOK {
		t.Fatalf("bridge answered %d: %s", rec.Code, rec.Body)
	}
	m = robot.next(t, time.Second)
	want = "### csat 告警已恢复 1 条\n\n**【已恢复】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分**\n\n" +
		"[查看看板](https://csat.example.com/#branch=GD-SZ-NS)\n\n---"
	if m.Markdown.Text != want {
		t.Errorf("resolved text:\n%s\nwant:\n%s", m.Markdown.Text, want)
	}
	counterIs(t, reg, "csat_dingtalk_messages_sent_total", 2)
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", problems, err)
	}
}

// counterIs checks the value of the counter name of reg.
func counterIs(t *testing.T, reg *prometheus.Registry, name string, want int) {
	t.Helper()
	exp := fmt.Sprintf("# HELP %[1]s %[2]s\n# TYPE %[1]s counter\n%[1]s %[3]d\n", name, help[name], want)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), name); err != nil {
		t.Error(err)
	}
}

var help = map[string]string{
	"csat_dingtalk_messages_sent_total": "Messages the DingTalk robot accepted.",
	"csat_dingtalk_send_failures_total": "Messages the DingTalk robot refused or could not be reached for (Alertmanager retries them).",
}

// TestBridgeFailures: a wrong secret (the robot refuses), a robot that is down, and a body that
// is not a notification: 502 for the first two (Alertmanager retries), 400 for the last.
func TestBridgeFailures(t *testing.T) {
	robot := newFakeRobot(t, time.Now)
	body, _ := json.Marshal(notify.WebhookMessage{Status: "firing", Alerts: []notify.WebhookAlert{countyAlert("firing")}})

	cfg := config(robot.url())
	cfg.Secret = "SECwrong"
	reg := prometheus.NewPedanticRegistry()
	b, err := dingtalk.New(cfg, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := post(t, b, body)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "310000") || strings.Contains(rec.Body.String(), token) {
		t.Errorf("wrong secret: %d %s, want 502 naming errcode 310000 without the token", rec.Code, rec.Body)
	}
	counterIs(t, reg, "csat_dingtalk_send_failures_total", 1)

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	b, err = dingtalk.New(config(down.URL+"/robot/send?access_token="+token), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec := post(t, b, body); rec.Code != http.StatusBadGateway || strings.Contains(rec.Body.String(), token) {
		t.Errorf("robot down: %d %s, want 502 without the token", rec.Code, rec.Body)
	}

	for name, bad := range map[string]string{"not JSON": "alert!", "no alerts": `{"status":"firing","alerts":[]}`} {
		if rec := post(t, b, []byte(bad)); rec.Code != http.StatusBadRequest || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s, want a JSON 400", name, rec.Code, rec.Body)
		}
	}
	if len(robot.msgs) != 0 {
		t.Errorf("the robot accepted %d messages", len(robot.msgs))
	}
}

// TestRenderTruncates lists at most MaxAlerts alerts and counts the rest.
func TestRenderTruncates(t *testing.T) {
	msg := notify.WebhookMessage{Status: "firing", ExternalURL: "http://am:9093"}
	for range 12 {
		msg.Alerts = append(msg.Alerts, countyAlert("firing"))
	}
	title, text := dingtalk.Render(msg, 10)
	if title != "csat 告警 12 条（显著 12）" || strings.Count(text, "**【显著】") != 10 ||
		!strings.HasSuffix(text, "另有 2 条未列出，见 [Alertmanager](http://am:9093)。") {
		t.Errorf("title %q, text:\n%s", title, text)
	}
}

func TestSign(t *testing.T) {
	// DingTalk's documented example shape: the signature of a fixed timestamp, computed by hand
	// with openssl: printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
	if got, want := dingtalk.Sign(1700000000000, "SECabc"), signByHand; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// TestThroughAlertmanager: csat pushes a county fall to a real Alertmanager, whose webhook
// receiver is the bridge; the robot receives the Chinese message, then its recovery.
func TestThroughAlertmanager(t *testing.T) {
	robot := newFakeRobot(t, time.Now)
	b, err := dingtalk.New(config(robot.url()), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bridge := httptest.NewServer(b)
	t.Cleanup(bridge.Close)
	am := amtest.Start(t, `
route:
  receiver: dingtalk
  group_by: [alertname, branch]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: dingtalk
    webhook_configs:
      - url: `+bridge.URL+`/
        send_resolved: true
`, nil)
	nov, _ := schema.ParseMonth("2026-11")
	src := amtest.NewSource(nov)
	src.Set(nov, amtest.CountyFall(nov))
	n := amtest.Notifier(t, am.URL, src)
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := robot.next(t, 30*time.Second)
	for _, want := range []string{"### csat 告警 1 条（显著 1）", "**【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分**",
		"2026-08 83.8 → 2026-09 74.1 → 2026-10 64.7 → 2026-11 62.2",
		"[查看看板](https://csat.example.com/#branch=GD-SZ-NS&lang=zh&metric=item%3Anetwork&month=2026-11)"} {
		if !strings.Contains(m.Markdown.Text, want) {
			t.Errorf("robot message lacks %q:\n%s", want, m.Markdown.Text)
		}
	}
	src.Set(nov)
	if _, err := n.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	m = robot.next(t, 30*time.Second)
	if !strings.HasPrefix(m.Markdown.Text, "### csat 告警已恢复 1 条\n\n**【已恢复】广东省深圳市南山区 网络质量满意度连续3个月下降") {
		t.Errorf("recovery message:\n%s", m.Markdown.Text)
	}
}

const signByHand = "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM="
