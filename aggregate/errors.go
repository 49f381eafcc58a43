package aggregate

import (
	"errors"
	"fmt"
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
