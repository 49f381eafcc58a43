package e2e

import (
	"slices"
	"sort"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/ingest/synth"
	"github.com/csat-dev/csat/schema"
)

// TestDefaultSchemesScoreTheGenerator: the shipped front-line schemes and the generator name
// the same score_reported components, so the demo's stores, staff and managers are scored on
// what the generator reports, not flagged missing. Every score:<component> of the default
// schemes of stores, clerks (the default role) and managers is generated, and every generated
// component is scored by its kind's scheme.
func TestDefaultSchemesScoreTheGenerator(t *testing.T) {
	fs, err := kpi.FrontlinePreset("default", schema.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind      string
		generated []string
	}{
		{kpi.UnitStore, synth.StoreComponents},
		{kpi.UnitStaff, synth.StaffComponents},
		{kpi.UnitManager, synth.ManagerComponents},
	} {
		s, err := fs.For(c.kind, "")
		if err != nil {
			t.Fatal(err)
		}
		var scored []string
		for _, p := range s.Parts {
			for _, comp := range p.Components {
				if comp.Source == kpi.SourceScore {
					scored = append(scored, comp.Metric)
				}
			}
		}
		sort.Strings(scored)
		gen := slices.Sorted(slices.Values(c.generated))
		if !slices.Equal(scored, gen) {
			t.Errorf("%s (scheme %s): the scheme scores %v, the generator reports %v", c.kind, s.Name, scored, gen)
		}
	}
}
