package aggregate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// The projector brings the projections up to date, then the engine reads a KPI card. (Not run:
// it needs a ClickHouse server with csat's tables.)
func Example() {
	ctx := context.Background()
	cfg := chdb.Config{Addr: []string{"127.0.0.1:9000"}, Database: "csat", User: "default", DialTimeout: 5e9, MaxOpenConns: 4}
	conn, err := chdb.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	cat := schema.DefaultCatalog()
	p := aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cat, SLAHours: 48}, nil, nil)
	if err := p.Refresh(ctx); err != nil {
		fmt.Println(err)
		return
	}
	sc, err := kpi.DefaultScorecard(cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := aggregate.NewEngine(conn, kpi.DefaultConfig(), cat, sc, nil)
	card, err := e.Card(ctx, "GD-GZ", 202610)
	if err != nil {
		fmt.Println(err) // a *aggregate.ParamError for a bad or unknown branch
		return
	}
	_ = json.NewEncoder(os.Stdout).Encode(card)
}
