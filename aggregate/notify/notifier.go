package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
)

// Source computes the alerts; *aggregate.Engine is one (cmd/csat passes it in).
type Source interface {
	// Alerts returns the alerts of month m over the subtree of branch (ALL: every branch).
	Alerts(ctx context.Context, branch string, m schema.Month) (aggregate.AlertList, error)
	// LatestMonth returns the latest month up to limit with data, or 0 when there is none.
	LatestMonth(ctx context.Context, limit schema.Month) (schema.Month, error)
}

// batchSize is the most alerts sent in one POST.
const batchSize = 500

// Alert is one alert as Alertmanager's API v2 takes it (POST /api/v2/alerts).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Resolved reports whether the alert ends at or before now.
func (a Alert) Resolved(now time.Time) bool { return !a.EndsAt.After(now) }

// receiver is one Alertmanager.
type receiver struct {
	url  string // POST target: base + /api/v2/alerts, with its user information
	name string // the metrics' label: host and path, without user information
}

// Notifier pushes the alerts of the latest months to Alertmanager (see the package doc).
type Notifier struct {
	cfg       Config
	src       Source
	log       *slog.Logger
	client    *http.Client
	now       func() time.Time
	receivers []receiver
	base      string // the dashboard's URL without a fragment; "" for no links
	items     map[string]schema.Item

	mu     sync.Mutex       // serializes Push
	active map[string]Alert // the alerts sent firing by the last Push, by labels

	sent, failed  *prometheus.CounterVec
	evalFailures  prometheus.Counter
	lastEval      prometheus.Gauge
	activeGauge   *prometheus.GaugeVec
	roundDuration prometheus.Histogram
}

// Option changes a Notifier for tests.
type Option func(*Notifier)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(n *Notifier) { n.now = now } }

// WithHTTPClient replaces the HTTP client (default: http.Client without a timeout of its own;
// each POST is bounded by cfg.Timeout).
func WithHTTPClient(c *http.Client) Option { return func(n *Notifier) { n.client = c } }

// New builds a notifier over src; cfg must be valid. A nil logger or registerer is allowed.
func New(cfg Config, src Source, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("notify: nil Source")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	n := &Notifier{cfg: cfg, src: src, log: log.With("component", "notify"), client: &http.Client{},
		now: time.Now, active: map[string]Alert{}, items: map[string]schema.Item{}}
	if len(cfg.Catalog.Items) == 0 {
		cfg.Catalog = schema.DefaultCatalog()
	}
	for _, it := range cfg.Catalog.Items {
		n.items[it.Code] = it
	}
	if cfg.ExternalURL != "" {
		u, _ := url.Parse(strings.TrimSpace(cfg.ExternalURL)) // validated
		u.Fragment = ""
		n.base = u.String()
	}
	for _, s := range cfg.AlertmanagerURLs {
		u, _ := url.Parse(strings.TrimSpace(s)) // validated
		u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v2/alerts"
		name := u.Host + strings.TrimSuffix(u.Path, "/api/v2/alerts")
		n.receivers = append(n.receivers, receiver{url: u.String(), name: name})
	}
	for _, o := range opts {
		o(n)
	}
	f := promauto.With(reg)
	n.sent = f.NewCounterVec(prometheus.CounterOpts{Name: "csat_notify_alerts_sent_total",
		Help: "Alerts accepted by an Alertmanager (firing and resolved; every alert is sent again each interval)."}, []string{"alertmanager"})
	n.failed = f.NewCounterVec(prometheus.CounterOpts{Name: "csat_notify_send_failures_total",
		Help: "POSTs of alerts to an Alertmanager that failed (unreachable, timeout, or a non-2xx answer)."}, []string{"alertmanager"})
	n.evalFailures = f.NewCounter(prometheus.CounterOpts{Name: "csat_notify_evaluation_failures_total",
		Help: "Rounds whose alerts could not be computed (the previous round's alerts were sent again)."})
	n.lastEval = f.NewGauge(prometheus.GaugeOpts{Name: "csat_notify_last_evaluation_timestamp_seconds",
		Help: "Unix time of the last round whose alerts were computed."})
	n.activeGauge = f.NewGaugeVec(prometheus.GaugeOpts{Name: "csat_notify_active_alerts",
		Help: "Alerts firing after the last computed round, by severity."}, []string{"severity"})
	n.roundDuration = f.NewHistogram(prometheus.HistogramOpts{Name: "csat_notify_round_duration_seconds",
		Help: "Time to compute and send one round of alerts.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 8)})
	for _, r := range n.receivers {
		n.sent.WithLabelValues(r.name)
		n.failed.WithLabelValues(r.name)
	}
	return n, nil
}

// Run pushes every cfg.Interval (counted from the end of the previous round) until ctx ends; a
// failed round is logged and counted, and the next one tries again. It returns nil when ctx is
// cancelled; the sends it starts have returned by then.
func (n *Notifier) Run(ctx context.Context) error {
	n.log.Info("pushing alerts to alertmanager", "config", n.cfg)
	for {
		if _, err := n.Push(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("alert push failed", "err", err)
		}
		t := time.NewTimer(n.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Round is what one Push did.
type Round struct {
	Months   []schema.Month // the months whose alerts were computed (none when there is no data)
	Firing   int            // alerts sent firing
	Resolved int            // alerts sent resolved (endsAt now): they stopped being computed
	Stale    bool           // the alerts could not be computed; the last computed ones were sent again
}

// Push computes the alerts of the latest months and sends them to every Alertmanager: each
// alert computed is sent firing with endsAt = now + EndsAfter intervals, each alert sent firing
// by the previous Push and no longer computed is sent once with endsAt = now. When the alerts
// cannot be computed, the previous ones are sent again (so that an outage of the database does
// not resolve them) and the error is returned. A failed send is counted, logged and returned;
// the next Push sends every active alert again.
func (n *Notifier) Push(ctx context.Context) (Round, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	start := time.Now()
	defer func() { n.roundDuration.Observe(time.Since(start).Seconds()) }()
	now := n.now()
	ends := now.Add(EndsAfter * n.cfg.Interval)
	var rd Round
	current, months, evalErr := n.compute(ctx, now)
	rd.Months = months
	var batch []Alert
	if evalErr != nil {
		if ctx.Err() != nil {
			return rd, evalErr
		}
		n.evalFailures.Inc()
		rd.Stale = true
		for _, a := range n.active {
			a.EndsAt = ends
			batch = append(batch, a)
		}
		rd.Firing = len(batch)
	} else {
		n.lastEval.Set(float64(now.UnixNano()) / 1e9)
		next := make(map[string]Alert, len(current))
		sev := map[string]int{}
		for k, a := range current {
			if old, ok := n.active[k]; ok {
				a.StartsAt = old.StartsAt
			} else {
				a.StartsAt = now
			}
			a.EndsAt = ends
			next[k] = a
			batch = append(batch, a)
			sev[a.Labels[LabelSeverity]]++
		}
		rd.Firing = len(batch)
		for k, a := range n.active {
			if _, ok := next[k]; !ok {
				a.EndsAt = now
				batch = append(batch, a)
				rd.Resolved++
			}
		}
		n.active = next
		n.activeGauge.Reset()
		for s, c := range sev {
			n.activeGauge.WithLabelValues(s).Set(float64(c))
		}
	}
	sort.Slice(batch, func(i, j int) bool { return key(batch[i].Labels) < key(batch[j].Labels) })
	sendErr := n.send(ctx, batch)
	return rd, errors.Join(evalErr, sendErr)
}

// compute returns the alerts of the latest months by key(labels).
func (n *Notifier) compute(ctx context.Context, now time.Time) (map[string]Alert, []schema.Month, error) {
	limit := schema.MonthOf(now, n.cfg.Location)
	if !n.cfg.CurrentMonth {
		limit = limit.Prev()
	}
	latest, err := n.src.LatestMonth(ctx, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("latest month: %w", err)
	}
	out := map[string]Alert{}
	if latest == 0 {
		return out, nil, nil
	}
	months := schema.Months(latest.Add(-(n.cfg.Months - 1)), latest)
	for _, m := range months {
		list, err := n.src.Alerts(ctx, schema.Root, m)
		if err != nil {
			return nil, months, fmt.Errorf("alerts of %s: %w", m, err)
		}
		for _, a := range list.Alerts {
			am := Alert{Labels: n.labels(a), Annotations: n.annotations(a)}
			am.GeneratorURL = am.Annotations["dashboard_url"]
			out[key(am.Labels)] = am
		}
	}
	return out, months, nil
}

// key identifies an alert by its labels, as Alertmanager does.
func key(labels map[string]string) string {
	ks := make([]string, 0, len(labels))
	for k := range labels {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

// send posts alerts, in batches, to every Alertmanager at once and waits for all of them.
func (n *Notifier) send(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	var bodies [][]byte
	for i := 0; i < len(alerts); i += batchSize {
		b, err := json.Marshal(alerts[i:min(i+batchSize, len(alerts))])
		if err != nil {
			return fmt.Errorf("encode alerts: %w", err)
		}
		bodies = append(bodies, b)
	}
	errs := make([]error, len(n.receivers))
	var wg sync.WaitGroup
	for i, r := range n.receivers {
		wg.Go(func() {
			for j, body := range bodies {
				if err := n.post(ctx, r, body); err != nil {
					n.failed.WithLabelValues(r.name).Inc()
					errs[i] = fmt.Errorf("alertmanager %s: %w", r.name, err)
					return
				}
				n.sent.WithLabelValues(r.name).Add(float64(min(batchSize, len(alerts)-j*batchSize)))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// post sends one batch to one Alertmanager.
func (n *Notifier) post(ctx context.Context, r receiver, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "csat")
	resp, err := n.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its message repeats the URL, user information included
			return fmt.Errorf("post alerts: %w", ue.Err)
		}
		return fmt.Errorf("post alerts: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if cerr := resp.Body.Close(); cerr != nil && resp.StatusCode/100 == 2 {
		return fmt.Errorf("post alerts: %w", cerr)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post alerts: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
