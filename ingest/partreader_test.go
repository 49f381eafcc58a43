package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestPartReaderRetry checks how partReader sorts errors, as kafka.Reader does: what a new
// connection or a later fetch can cure is retried, other broker errors and repeated failed
// connects end the generation.
func TestPartReaderRetry(t *testing.T) {
	ctx := context.Background()
	netErr := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name  string
		err   error
		retry bool
	}{
		{"network error", netErr, true},
		{"truncated response", io.ErrUnexpectedEOF, true},
		{"corrupt connection", io.ErrNoProgress, true},
		{"leader moved", kafka.NotLeaderForPartition, true},
		{"partition unknown to this broker", fmt.Errorf("fetch: %w", kafka.UnknownTopicOrPartition), true},
		{"broker timed out", kafka.RequestTimedOut, true},
		{"offset out of range, offsets unreadable", kafka.OffsetOutOfRange, true},
		{"not authorized", kafka.TopicAuthorizationFailed, false},
		{"unsupported", kafka.UnsupportedVersion, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newPartReader(ctx, testIngester(t), "csat.hotline", 3, 100)
			defer r.close()
			r.bo = newBackoff(time.Millisecond, time.Millisecond)
			err := r.retry(ctx, tc.err)
			if tc.retry && err != nil {
				t.Errorf("retry(%v) = %v, want nil (retried)", tc.err, err)
			}
			if !tc.retry && !errors.Is(err, tc.err) {
				t.Errorf("retry(%v) = %v, want the error back", tc.err, err)
			}
			if r.offset != 100 {
				t.Errorf("offset moved to %d", r.offset)
			}
		})
	}

	t.Run("failed connects", func(t *testing.T) {
		r := newPartReader(ctx, testIngester(t), "csat.hotline", 3, 100)
		defer r.close()
		r.bo = newBackoff(time.Millisecond, time.Millisecond)
		derr := &dialError{errors.New("connection refused")}
		for i := 1; i < fetchDialTries; i++ {
			if err := r.retry(ctx, derr); err != nil {
				t.Fatalf("connect failure %d: %v, want a retry", i, err)
			}
		}
		if err := r.retry(ctx, derr); !errors.Is(err, derr) {
			t.Fatalf("connect failure %d: %v, want the error back", fetchDialTries, err)
		}
	})

	t.Run("ended context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		r := newPartReader(cctx, testIngester(t), "csat.hotline", 3, 100)
		defer r.close()
		cancel()
		if _, err := r.next(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("next after cancel: %v, want context.Canceled", err)
		}
	})
}
