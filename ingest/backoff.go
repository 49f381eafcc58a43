package ingest

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is a capped exponential backoff with ±50% jitter. The zero value is not usable; build
// it with newBackoff. It belongs to one goroutine.
type backoff struct {
	min, max time.Duration
	next     time.Duration
	jitter   func() float64 // in [0, 1); a test seam
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, next: min, jitter: rand.Float64}
}

// delay returns the wait before the next attempt and doubles the base for the one after, up to
// max. The wait is the base scaled by a factor in [0.5, 1.5), then capped at max.
func (b *backoff) delay() time.Duration {
	d := time.Duration(float64(b.next) * (0.5 + b.jitter()))
	if d > b.max {
		d = b.max
	}
	if b.next < b.max {
		b.next *= 2
		if b.next > b.max {
			b.next = b.max
		}
	}
	return d
}

// reset starts the sequence again after a success.
func (b *backoff) reset() { b.next = b.min }

// wait sleeps for delay() or until ctx ends, and reports whether ctx is still alive.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.delay())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
