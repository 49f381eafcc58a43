// Package dingtalk bridges Alertmanager to a DingTalk (钉钉) group robot, which Alertmanager
// cannot notify natively: Alertmanager's webhook receiver posts its notification (JSON, version
// 4) to the Bridge, which turns it into one markdown message in Chinese — csat's summary_zh and
// description_zh annotations and the dashboard link, or the summary of any other alert — and
// posts it to the robot's webhook, signed with the robot's secret when one is configured
// (timestamp + HMAC-SHA256 of "timestamp\nsecret", base64, as the sign parameter).
//
// The Bridge answers Alertmanager 200 once the robot accepted the message, 400 for a body that is
// not a webhook notification (Alertmanager does not retry it), and 502 when the robot is
// unreachable or refuses (errcode ≠ 0), so that Alertmanager retries. One Bridge serves one
// robot; run one per robot (e.g. per province's group) and route to each from Alertmanager.
package dingtalk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/csat-dev/csat/aggregate/notify"
)

// Config is the bridge's configuration; only cmd/csat parses it from the environment.
type Config struct {
	// Addr is where the bridge listens for Alertmanager's webhook, host:port (any path is
	// accepted; GET /healthz answers ok). Default 127.0.0.1:9096.
	Addr string `env:"CSAT_DINGTALK_ADDR" envDefault:"127.0.0.1:9096"`
	// WebhookURL is the robot's webhook, with its access token:
	// https://oapi.dingtalk.com/robot/send?access_token=…. Required by csat notify --dingtalk;
	// never logged. Default empty.
	WebhookURL string `env:"CSAT_DINGTALK_WEBHOOK_URL"`
	// Secret is the robot's signing secret (SEC…, security setting 加签); empty for a robot
	// secured by keywords or IP addresses only. Never logged. Default empty.
	Secret string `env:"CSAT_DINGTALK_SECRET"`
	// MaxAlerts is the most alerts listed in one message; the rest are counted ("另有 N 条").
	// Default 10; 1 to 50.
	MaxAlerts int `env:"CSAT_DINGTALK_MAX_ALERTS" envDefault:"10"`
	// Timeout bounds one post to the robot. Default 10s; at least 100ms.
	Timeout time.Duration `env:"CSAT_DINGTALK_TIMEOUT" envDefault:"10s"`
}

// Validate checks the fields and names the environment variable of each bad one. An empty
// WebhookURL is valid (the bridge is not used); New requires one.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("CSAT_DINGTALK_ADDR: %q is not host:port", c.Addr))
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("CSAT_DINGTALK_WEBHOOK_URL: want the robot's https:// webhook URL"))
		}
	}
	if c.MaxAlerts < 1 || c.MaxAlerts > 50 {
		errs = append(errs, fmt.Errorf("CSAT_DINGTALK_MAX_ALERTS %d: want 1 to 50", c.MaxAlerts))
	}
	if c.Timeout < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("CSAT_DINGTALK_TIMEOUT %s: want at least 100ms", c.Timeout))
	}
	return errors.Join(errs...)
}

// LogValue implements slog.LogValuer: the robot's host, never its token or secret.
func (c Config) LogValue() slog.Value {
	host := ""
	if u, err := url.Parse(c.WebhookURL); err == nil {
		host = u.Host
	}
	return slog.GroupValue(slog.String("addr", c.Addr), slog.String("robot_host", host),
		slog.Bool("signed", c.Secret != ""), slog.Int("max_alerts", c.MaxAlerts))
}

// Bridge turns Alertmanager webhook notifications into DingTalk robot messages.
type Bridge struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client
	now    func() time.Time

	sent, failed, rejected prometheus.Counter
}

// Option changes a Bridge for tests.
type Option func(*Bridge)

// WithClock replaces time.Now (the signature's timestamp).
func WithClock(now func() time.Time) Option { return func(b *Bridge) { b.now = now } }

// New builds a bridge; cfg must be valid and name a WebhookURL. A nil logger or registerer is
// allowed.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (*Bridge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.WebhookURL == "" {
		return nil, errors.New("CSAT_DINGTALK_WEBHOOK_URL: the robot's webhook URL is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{cfg: cfg, log: log.With("component", "dingtalk"), client: &http.Client{}, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	f := promauto.With(reg)
	b.sent = f.NewCounter(prometheus.CounterOpts{Name: "csat_dingtalk_messages_sent_total",
		Help: "Messages the DingTalk robot accepted."})
	b.failed = f.NewCounter(prometheus.CounterOpts{Name: "csat_dingtalk_send_failures_total",
		Help: "Messages the DingTalk robot refused or could not be reached for (Alertmanager retries them)."})
	b.rejected = f.NewCounter(prometheus.CounterOpts{Name: "csat_dingtalk_bad_requests_total",
		Help: "Posts to the bridge that were not Alertmanager webhook notifications."})
	return b, nil
}

// Run serves the bridge on cfg.Addr until ctx ends, then shuts down gracefully (at most 10 s).
// listening, if not nil, is called once the listener is open.
func (b *Bridge) Run(ctx context.Context, listening func(net.Addr)) error {
	ln, err := net.Listen("tcp", b.cfg.Addr)
	if err != nil {
		return fmt.Errorf("CSAT_DINGTALK_ADDR: listen on %s: %w", b.cfg.Addr, err)
	}
	if listening != nil {
		listening(ln.Addr())
	}
	b.log.Info("dingtalk bridge listening", "config", b.cfg, "addr", ln.Addr().String())
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("dingtalk bridge: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc // Serve returned ErrServerClosed
	return err
}

// maxBody bounds a webhook notification (Alertmanager's are a few KiB per alert).
const maxBody = 4 << 20

// ServeHTTP implements http.Handler: POST (any path) a notification; GET /healthz.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
		reply(w, http.StatusOK, "ok")
		return
	}
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, "POST an Alertmanager webhook notification")
		return
	}
	var msg notify.WebhookMessage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&msg); err != nil || len(msg.Alerts) == 0 {
		b.rejected.Inc()
		if err == nil {
			err = errors.New("no alerts")
		}
		reply(w, http.StatusBadRequest, "not an Alertmanager webhook notification: "+err.Error())
		return
	}
	title, text := Render(msg, b.cfg.MaxAlerts)
	if err := b.Send(r.Context(), title, text); err != nil {
		b.failed.Inc()
		b.log.Warn("dingtalk robot send failed", "err", err, "alerts", len(msg.Alerts))
		reply(w, http.StatusBadGateway, err.Error())
		return
	}
	b.sent.Inc()
	reply(w, http.StatusOK, "ok")
}

func reply(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": http.StatusText(code), "message": msg}) // the client may be gone
}

// Sign returns DingTalk's signature of a timestamp (milliseconds since the epoch) with secret:
// base64(HMAC-SHA256(key secret, "timestamp\nsecret")), not yet URL-encoded.
func Sign(timestampMS int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMS, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// robotReply is the robot's answer.
type robotReply struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Send posts one markdown message to the robot.
func (b *Bridge) Send(ctx context.Context, title, text string) error {
	u, err := url.Parse(b.cfg.WebhookURL)
	if err != nil {
		return errors.New("bad robot webhook URL")
	}
	if b.cfg.Secret != "" {
		ts := b.now().UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", Sign(ts, b.cfg.Secret))
		u.RawQuery = q.Encode()
	}
	body, err := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}})
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("robot request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := b.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its message repeats the URL: the access token and signature
			err = ue.Err
		}
		return fmt.Errorf("post to robot %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("robot %s: %s", u.Host, resp.Status)
	}
	var rr robotReply
	if err := json.Unmarshal(raw, &rr); err != nil {
		return fmt.Errorf("robot %s: unreadable answer %q", u.Host, truncate(string(raw), 200))
	}
	if rr.ErrCode != 0 {
		return fmt.Errorf("robot %s refused the message: errcode %d: %s", u.Host, rr.ErrCode, rr.ErrMsg)
	}
	return nil
}

// Render turns a notification into a markdown message's title and text, in Chinese: a heading
// with the counts, then per alert (firing first, at most maxAlerts) its summary in bold, its
// description and a link to the dashboard; the alerts left out are counted.
func Render(msg notify.WebhookMessage, maxAlerts int) (title, text string) {
	var firing, resolved []notify.WebhookAlert
	for _, a := range msg.Alerts {
		if a.Status == "resolved" {
			resolved = append(resolved, a)
		} else {
			firing = append(firing, a)
		}
	}
	sig := 0
	for _, a := range firing {
		if a.Labels["severity"] == "significant" {
			sig++
		}
	}
	var b strings.Builder
	switch {
	case len(firing) > 0:
		title = fmt.Sprintf("csat 告警 %d 条", len(firing))
		if sig > 0 {
			title += fmt.Sprintf("（显著 %d）", sig)
		}
		if len(resolved) > 0 {
			title += fmt.Sprintf("，恢复 %d 条", len(resolved))
		}
	default:
		title = fmt.Sprintf("csat 告警已恢复 %d 条", len(resolved))
	}
	fmt.Fprintf(&b, "### %s\n\n", title)
	shown := 0
	for _, group := range []struct {
		head   string
		alerts []notify.WebhookAlert
	}{{"", firing}, {"**已恢复**", resolved}} {
		if len(group.alerts) == 0 {
			continue
		}
		if group.head != "" && len(firing) > 0 {
			b.WriteString(group.head + "\n\n")
		}
		for _, a := range group.alerts {
			if shown == maxAlerts {
				break
			}
			shown++
			writeAlert(&b, a, group.head != "")
		}
	}
	if rest := len(msg.Alerts) - shown; rest > 0 {
		fmt.Fprintf(&b, "另有 %d 条未列出", rest)
		if msg.ExternalURL != "" {
			fmt.Fprintf(&b, "，见 [Alertmanager](%s)", msg.ExternalURL)
		}
		b.WriteString("。\n")
	}
	return title, strings.TrimRight(b.String(), "\n")
}

// writeAlert writes one alert: summary (bold), description, dashboard link, separated from the
// next by a rule.
func writeAlert(b *strings.Builder, a notify.WebhookAlert, resolved bool) {
	summary := a.Annotations["summary_zh"]
	if summary == "" {
		summary = a.Annotations["summary"]
	}
	if summary == "" {
		summary = a.Labels["alertname"] + " " + labelText(a.Labels)
	}
	if resolved {
		summary = "【已恢复】" + strings.TrimPrefix(strings.TrimPrefix(summary, "【显著】"), "【关注】")
	}
	fmt.Fprintf(b, "**%s**\n\n", summary)
	link := a.Annotations["dashboard_url"]
	desc := a.Annotations["description_zh"]
	if desc == "" {
		desc = a.Annotations["description"]
	}
	desc = strings.TrimSuffix(desc, "查看："+link)
	if desc != "" && !resolved {
		fmt.Fprintf(b, "%s\n\n", desc)
	}
	if link == "" {
		link = a.GeneratorURL
	}
	if link != "" {
		fmt.Fprintf(b, "[查看看板](%s)\n\n", link)
	}
	b.WriteString("---\n\n")
}

// labelText lists the labels other than alertname, sorted, as k=v.
func labelText(l map[string]string) string {
	var parts []string
	for k, v := range l {
		if k != "alertname" {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
