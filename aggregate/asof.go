package aggregate

import (
	"context"
	"errors"

	"github.com/csat-dev/csat/schema"
)

func (e *Engine) fetchAsOf(ctx context.Context, sel selector, months []schema.Month) (monthData, error) {
	return nil, errors.New("not yet")
}
