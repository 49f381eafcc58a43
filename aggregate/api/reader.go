package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// Reader is what the HTTP read side needs from the KPI engine. Every method computes over the
// branch's whole subtree. Results other than the card are encoded as they are: their JSON is the
// engine's SPEC §4 JSON.
//
// A method returns a *ParamError (or an error wrapping ErrUnknownBranch) for a request the
// caller got wrong: the server answers those 400 and anything else 500.
type Reader interface {
	Card(ctx context.Context, branch string, month schema.Month) (kpi.Card, error)
	Trend(ctx context.Context, branch, metric string, from, to schema.Month) (any, error)
	Compare(ctx context.Context, parent string, month schema.Month, metric string) (any, error)
	Alerts(ctx context.Context, branch string, month schema.Month) (any, error)
	Scorecard(ctx context.Context, branch, period string) (any, error)
	Branches(ctx context.Context) ([]Branch, error)
}

// Branch is one known branch of the hierarchy. Name is empty where no name is known.
type Branch struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Parent string `json:"parent"` // "" for ALL
	Level  int    `json:"level"`  // 0 ALL, 1 province, 2 city, 3 county, 4 below
}

// ParamError is a bad request parameter reported by a Reader.
type ParamError struct {
	Param string // the query parameter, e.g. "metric"
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("%s: %s", e.Param, e.Msg) }

// ErrUnknownBranch is wrapped by a Reader's error when the branch asked for is not known.
var ErrUnknownBranch = errors.New("unknown branch")
