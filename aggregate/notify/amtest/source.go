package amtest

import (
	"context"
	"sync"

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
