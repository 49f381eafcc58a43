package aggregate

import (
	"context"
	"errors"

	"github.com/csat-dev/csat/schema"
)

// Funnel is filled in by the funnel step.
func (e *Engine) Funnel(ctx context.Context, parent string, m schema.Month, metric string) (any, error) {
	return nil, errors.New("not built yet")
}
