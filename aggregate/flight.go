package aggregate

import (
	"context"
	"errors"

	"golang.org/x/sync/singleflight"
)

// sharedAttempts bounds how often sharedDo runs fn again for a caller whose shared run ended
// with another caller's cancellation.
const sharedAttempts = 3

// sharedDo runs fn once for the concurrent callers of key in g, on the context of the caller
// that started the run. When the run ends with a cancellation or a deadline while ctx is still
// live, that error was the starting caller's (its client went away, or its request timed out),
// not this caller's: fn runs again, shared with the callers that arrive meanwhile, up to
// sharedAttempts runs in all.
func sharedDo[T any](ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err, _ := g.Do(key, func() (any, error) { return fn(ctx) })
		if err == nil {
			return v.(T), nil
		}
		if ctx.Err() != nil || attempt == sharedAttempts ||
			!(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			var zero T
			return zero, err
		}
	}
}
