package aggregate

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/singleflight"
)

// TestSharedDoOtherCallersCancellation: a run shared by two callers ends with the cancellation
// of the caller it ran on; the other caller, whose context is live, gets a result of its own
// run instead of that cancellation (an API request answered 500 because another client went
// away), and the cancelled caller gets its error.
func TestSharedDoOtherCallersCancellation(t *testing.T) {
	var g singleflight.Group
	var runs atomic.Int32
	started := make(chan struct{})
	fn := func(ctx context.Context) (int, error) {
		if runs.Add(1) == 1 {
			close(started)
			<-ctx.Done() // the first run lasts until its caller goes away
			return 0, ctx.Err()
		}
		return 42, nil
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, err := sharedDo(ctxA, &g, "k", fn)
		errA <- err
	}()
	<-started
	type result struct {
		v   int
		err error
	}
	resB := make(chan result, 1)
	go func() {
		v, err := sharedDo(context.Background(), &g, "k", fn)
		resB <- result{v, err}
	}()
	time.Sleep(100 * time.Millisecond) // B joins A's run (if it has not, it runs its own: still 42)
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	r := <-resB
	if r.err != nil || r.v != 42 {
		t.Fatalf("live caller: %d, %v; want 42 from a run of its own", r.v, r.err)
	}
	if n := runs.Load(); n != 2 {
		t.Errorf("%d runs, want 2", n)
	}
}

// TestSharedDoOwnErrors: an error of the run itself, and the caller's own cancellation, are
// returned as they are, without running again.
func TestSharedDoOwnErrors(t *testing.T) {
	var g singleflight.Group
	boom := errors.New("boom")
	runs := 0
	if _, err := sharedDo(context.Background(), &g, "k", func(context.Context) (int, error) { runs++; return 0, boom }); !errors.Is(err, boom) || runs != 1 {
		t.Errorf("got %v after %d runs, want boom after 1", err, runs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	runs = 0
	if _, err := sharedDo(ctx, &g, "k", func(ctx context.Context) (int, error) { runs++; return 0, ctx.Err() }); !errors.Is(err, context.Canceled) || runs != 1 {
		t.Errorf("got %v after %d runs, want context.Canceled after 1", err, runs)
	}
}
