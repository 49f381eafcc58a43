package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNotifyUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no alertmanager", []string{"notify"}, nil, "CSAT_ALERTMANAGER_URL is not set"},
		{"no robot", []string{"notify", "--dingtalk"}, nil, "CSAT_DINGTALK_WEBHOOK_URL is not set"},
		{"bad interval", []string{"notify"}, []string{"CSAT_NOTIFY_INTERVAL=0s"}, "CSAT_NOTIFY_INTERVAL"},
		{"bad alertmanager", []string{"notify"}, []string{"CSAT_ALERTMANAGER_URL=am:9093"}, "CSAT_ALERTMANAGER_URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), c.args, nil, &out, &errOut, c.env); code != 2 || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want 2 naming %s", code, errOut.String(), c.want)
			}
		})
	}
}

// TestNotifyDingTalk runs `csat notify --dingtalk` against a stand-in robot: a notification
// posted to the bridge arrives as a markdown message; the command stops on its context.
func TestNotifyDingTalk(t *testing.T) {
	got := make(chan string, 1)
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Markdown struct{ Text string } `json:"markdown"`
		}
		_ = json.NewDecoder(r.Body).Decode(&m)
		if r.URL.Query().Get("sign") == "" || r.URL.Query().Get("access_token") != "t" {
			_, _ = w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match"}`))
			return
		}
		got <- m.Markdown.Text
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer robot.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"notify", "--dingtalk", "--no-http"}, nil, &out, &errOut, []string{
			"CSAT_DINGTALK_ADDR=" + addr, "CSAT_DINGTALK_WEBHOOK_URL=" + robot.URL + "/robot/send?access_token=t",
			"CSAT_DINGTALK_SECRET=SECx", "CSAT_LOG_LEVEL=error"})
	}()
	body := `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"CsatLeadLost","severity":"significant"},` +
		`"annotations":{"summary_zh":"【显著】江苏省南京市 失去领先：领先程度由+4.9降为-2.3"}}]}`
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err = http.Post("http://"+addr+"/", "application/json", strings.NewReader(body)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("bridge never answered: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bridge answered %s", resp.Status)
	}
	select {
	case text := <-got:
		if !strings.Contains(text, "**【显著】江苏省南京市 失去领先：领先程度由+4.9降为-2.3**") {
			t.Errorf("robot got:\n%s", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the robot got nothing")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}
