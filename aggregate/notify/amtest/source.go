package amtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/schema"
)

// Source is a notify.Source for tests: the alerts a test sets, per month, and the latest month
// it is given, whatever limit it is asked with (so tests do not depend on today's date).
type Source struct {
	mu     sync.Mutex
	latest schema.Month
	alerts map[schema.Month][]kpi.Alert
	err    error
	limits []schema.Month
}

var _ notify.Source = (*Source)(nil)

// NewSource returns a Source whose latest month is latest, without alerts.
func NewSource(latest schema.Month) *Source {
	return &Source{latest: latest, alerts: map[schema.Month][]kpi.Alert{}}
}

// Set replaces the alerts of month m.
func (s *Source) Set(m schema.Month, alerts ...kpi.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts[m] = alerts
}

// Fail makes every call return err (nil: answer again).
func (s *Source) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Limits returns the limits LatestMonth was asked with, in order.
func (s *Source) Limits() []schema.Month {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]schema.Month{}, s.limits...)
}

// Alerts returns the alerts set for m, of every branch (the subtree is ignored).
func (s *Source) Alerts(_ context.Context, _ string, m schema.Month) (aggregate.AlertList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return aggregate.AlertList{}, s.err
	}
	return aggregate.AlertList{Month: m, Alerts: append([]kpi.Alert{}, s.alerts[m]...)}, nil
}

// LatestMonth returns the latest month given to NewSource.
func (s *Source) LatestMonth(_ context.Context, limit schema.Month) (schema.Month, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, limit)
	if s.err != nil {
		return 0, s.err
	}
	return s.latest, nil
}

// CountyFall is a fixture: the demo's significant fall of the network score of 深圳市南山区
// (GD-SZ-NS) in month m, three months in a row from m−3 (83.84 → 74.06 → 64.71 → 62.2, z 7.5).
func CountyFall(m schema.Month) kpi.Alert {
	z, p, q := 7.5, 4.7e-13, 1.9e-12
	return kpi.Alert{Rule: kpi.RuleDeclineStreak, Branch: "GD-SZ-NS", Metric: "item:network", Month: m,
		Severity: kpi.SeveritySignificant, Streak: 3, Start: m.Add(-3), Values: []float64{83.84, 74.06, 64.71, 62.2},
		Drop: 21.64, Z: &z, P: &p, Q: &q}
}

// Names are the display names of CountyFall's branch and its ancestors.
func Names() map[string]string {
	return map[string]string{"GD": "广东省", "GD-SZ": "深圳市", "GD-SZ-NS": "南山区"}
}

// Notifier returns a notifier that pushes src's alerts to the Alertmanager at url, with
// Names, links under https://csat.example.com/ and a one-hour interval (so an alert ends only
// when a push resolves it, not by expiring during a test).
func Notifier(t testing.TB, url string, src *Source) *notify.Notifier {
	t.Helper()
	n, err := notify.New(notify.Config{AlertmanagerURLs: []string{url}, ExternalURL: "https://csat.example.com/",
		Interval: time.Hour, Months: 1, Timeout: 5 * time.Second, Names: Names()}, src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
