package api

import (
	"net/http"

	"github.com/csat-dev/csat/aggregate/kpi"
)

// metricKind is one metric kind of /api/v1/metrics: its name (item and item_lead take an item
// code: item:<code>) and which direction is better.
type metricKind struct {
	Kind   string `json:"kind"`
	Better string `json:"better"` // "higher" or "lower"
	Item   bool   `json:"item"`   // the name takes an item code
}

// metricKinds is the JSON of /api/v1/metrics.
type metricKinds struct {
	Metrics []metricKind `json:"metrics"`
}

// metrics serves the polarity table (kpi.Kind.LowerIsBetter): the dashboard takes every arrow's
// colour and every alert's wording from it.
func (s *Server) metrics(*http.Request) (any, error) {
	out := metricKinds{Metrics: []metricKind{}}
	for _, k := range kpi.Kinds() {
		mk := metricKind{Kind: string(k), Better: "higher", Item: k == kpi.KindItem || k == kpi.KindItemLead}
		if k.LowerIsBetter() {
			mk.Better = "lower"
		}
		out.Metrics = append(out.Metrics, mk)
	}
	return out, nil
}
