package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/aggregate/notify/amtest"
)

// TestAlertmanagerEndToEnd pushes a county's significant fall to a real Alertmanager, whose
// webhook receiver (served by the test) gets the notification with csat's labels and texts;
// when the alert is no longer computed, the next push resolves it and the receiver gets the
// resolved notification. The alerts' endsAt is hours away, so only csat's resolve can end it.
func TestAlertmanagerEndToEnd(t *testing.T) {
	hook := amtest.NewWebhook(t)
	am := amtest.Start(t, `
route:
  receiver: hook
  group_by: [alertname, branch]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: `+hook.URL+`/hook
        send_resolved: true
`, nil)

	src := amtest.NewSource(month("2026-11"))
	src.Set(month("2026-11"), countyFall)
	cfg := notify.Config{AlertmanagerURLs: []string{am.URL}, ExternalURL: "https://csat.example.com/",
		Interval: time.Hour, Months: 1, Timeout: 5 * time.Second, Names: names, Catalog: catalog}
	// Alertmanager judges endsAt by its own clock: the notifier runs on real time too.
	n, err := notify.New(cfg, src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rd, err := n.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Firing != 1 || rd.Resolved != 0 {
		t.Fatalf("first push: %+v, want 1 firing", rd)
	}

	msg := hook.Next(t, 30*time.Second)
	if msg.Status != "firing" || len(msg.Alerts) != 1 {
		t.Fatalf("notification: status %q with %d alerts, want firing with 1", msg.Status, len(msg.Alerts))
	}
	got := msg.Alerts[0]
	want := map[string]string{"alertname": "CsatDeclineStreak", "rule": "decline_streak", "severity": "significant",
		"metric": "item:network", "branch": "GD-SZ-NS", "branch_name": "南山区", "province": "GD", "city": "GD-SZ",
		"month": "2026-11", "team": "service"}
	for k, v := range want {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, got.Labels[k], v)
		}
	}
	if len(got.Labels) != len(want) {
		t.Errorf("labels %v, want exactly %v", got.Labels, want)
	}
	if s := got.Annotations["summary_zh"]; s != "【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分" {
		t.Errorf("summary_zh = %q", s)
	}
	if s := got.Annotations["summary_en"]; s != "[significant] Satisfaction with network quality of 广东省深圳市南山区 (GD-SZ-NS) fell 3 months in a row, by 21.6 points in all" {
		t.Errorf("summary_en = %q", s)
	}
	for _, part := range []string{"2026-08 83.8 → 2026-09 74.1 → 2026-10 64.7 → 2026-11 62.2", "7.5倍", "q = 1.9e-12",
		"https://csat.example.com/#branch=GD-SZ-NS&lang=zh&metric=item%3Anetwork&month=2026-11"} {
		if !strings.Contains(got.Annotations["description_zh"], part) {
			t.Errorf("description_zh lacks %q:\n%s", part, got.Annotations["description_zh"])
		}
	}
	if got.GeneratorURL != "https://csat.example.com/#branch=GD-SZ-NS&lang=zh&metric=item%3Anetwork&month=2026-11" {
		t.Errorf("generatorURL = %q", got.GeneratorURL)
	}

	// The fall is no longer computed: one push resolves it.
	src.Set(month("2026-11"))
	if rd, err = n.Push(ctx); err != nil {
		t.Fatal(err)
	}
	if rd.Firing != 0 || rd.Resolved != 1 {
		t.Fatalf("second push: %+v, want 1 resolved", rd)
	}
	msg = hook.Next(t, 30*time.Second)
	if msg.Status != "resolved" || len(msg.Alerts) != 1 || msg.Alerts[0].Labels["branch"] != "GD-SZ-NS" {
		t.Fatalf("second notification: %+v, want GD-SZ-NS resolved", msg)
	}
}
