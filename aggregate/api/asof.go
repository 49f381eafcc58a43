package api

import (
	"fmt"
	"net"
	"net/http"
	"sync"
)

// asOfLimiter bounds the as_of reads running at once (an as-of read computes from the raw
// events, seconds of ClickHouse time): at most perCaller for one caller — a token, or a client
// address on an open API — and at most total for all callers together. A caller already at its
// bound is answered 429 at once (its own loop cannot queue up work); a request waiting for one
// of the total slots waits until its deadline, then is answered 503. Both carry Retry-After.
type asOfLimiter struct {
	total     chan struct{}
	perCaller int

	mu     sync.Mutex
	active map[string]int // as_of reads running or waiting, by caller
}

func newAsOfLimiter(total, perCaller int) *asOfLimiter {
	return &asOfLimiter{total: make(chan struct{}, total), perCaller: perCaller, active: map[string]int{}}
}

// caller identifies who is asking: the token's name, or on an open API the client's address.
func caller(r *http.Request) string {
	if p := principalOf(r.Context()); p.name != "" {
		return "token " + p.name
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "address " + host
}

// acquire takes an as-of slot for r, or answers why not; release gives it back (once).
func (l *asOfLimiter) acquire(r *http.Request) (release func(), err error) {
	who := caller(r)
	l.mu.Lock()
	if l.active[who] >= l.perCaller {
		l.mu.Unlock()
		return nil, &httpError{status: http.StatusTooManyRequests, retryAfter: retryAfter,
			msg: fmt.Sprintf("at most %d as_of request(s) at a time per caller (CSAT_API_ASOF_PER_CALLER); retry when the running one is answered", l.perCaller)}
	}
	l.active[who]++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if l.active[who]--; l.active[who] <= 0 {
			delete(l.active, who)
		}
		l.mu.Unlock()
	}
	select {
	case l.total <- struct{}{}:
	case <-r.Context().Done():
		done()
		return nil, &httpError{status: http.StatusServiceUnavailable, retryAfter: retryAfter,
			msg: fmt.Sprintf("all %d as_of slots (CSAT_API_ASOF_CONCURRENCY) stayed busy until the request timeout; retry later", cap(l.total))}
	}
	return sync.OnceFunc(func() {
		<-l.total
		done()
	}), nil
}
