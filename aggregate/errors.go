package aggregate

import (
	"errors"
	"fmt"

	"github.com/csat-dev/csat/schema/chdb"
)

// ErrUnknownBranch is wrapped by a ParamError when a branch is valid in form but named by no event.
var ErrUnknownBranch = errors.New("unknown branch")

// ParamError is an invalid input of a read operation (a bad branch, month, metric, period or
// range): the caller's mistake, which HTTP maps to 400. Err, when set, is a sentinel such as
// ErrUnknownBranch.
type ParamError struct {
	Param string // the parameter's name: "branch", "month", "metric", "from", "to", "period", "parent"
	Msg   string
	Err   error
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Param, e.Msg)
}

// Unwrap returns the sentinel, if any.
func (e *ParamError) Unwrap() error { return e.Err }

// Unavailable reports whether err says that ClickHouse could not answer now — unreachable, a
// stalled or closed connection, a timeout, no free connection in the pool, the server
// overloaded (chdb.IsRetryable) — or that projections kept changing during every attempt of a
// read: the same request may succeed later. The HTTP API answers these 503 with Retry-After.
// A parameter error or the caller's own cancellation is not unavailability.
func Unavailable(err error) bool {
	return errors.Is(err, errVersionsChanged) || chdb.IsRetryable(err)
}
