package kpi_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

func TestResolveBase(t *testing.T) {
	tiers := func(h, m, l uint64) *kpi.Tiers { return &kpi.Tiers{High: h, Mid: m, Low: l} }
	// GD-GZ has its own snapshot with tiers; GD-SZ has none but two counties do, one of them
	// without tiers; HB has its own. Nothing under GD-FS or GD-GZ-TH.
	snaps := map[string]kpi.Snapshot{
		"GD-GZ":    {Subscribers: 100, Tiers: tiers(10, 20, 70)},
		"GD-SZ-NS": {Subscribers: 50, Tiers: tiers(5, 5, 40)},
		"GD-SZ-FT": {Subscribers: 30},
		"HB":       {Subscribers: 7, Tiers: tiers(1, 1, 5)},
	}
	tests := []struct {
		branch string
		snaps  map[string]kpi.Snapshot
		want   *kpi.Base
	}{
		{"GD-GZ", snaps, &kpi.Base{Subscribers: 100, Tiers: tiers(10, 20, 70)}}, // own snapshot
		{"GD-SZ-FT", snaps, &kpi.Base{Subscribers: 30}},                         // own, without tiers
		// GD-SZ = NS + FT = 50 + 30 = 80; FT has a base but no tiers → tiers nil.
		{"GD-SZ", snaps, &kpi.Base{Subscribers: 80}},
		// GD = GD-GZ + GD-SZ = 100 + 80 = 180; GD-SZ's tiers are nil → nil.
		{"GD", snaps, &kpi.Base{Subscribers: 180}},
		// ALL = GD + HB = 180 + 7.
		{"ALL", snaps, &kpi.Base{Subscribers: 187}},
		{"GD-GZ-TH", snaps, nil}, // no own snapshot, no child with one
		{"GD-FS", snaps, nil},
		{"SC", snaps, nil},
		// Without FT every child with a base has tiers: GD = (10+5, 20+5, 70+40), 100 + 50.
		{"GD", map[string]kpi.Snapshot{"GD-GZ": snaps["GD-GZ"], "GD-SZ-NS": snaps["GD-SZ-NS"]},
			&kpi.Base{Subscribers: 150, Tiers: tiers(15, 25, 110)}},
		// An own snapshot wins over the children's sum, even a smaller one without tiers.
		{"GD", map[string]kpi.Snapshot{"GD": {Subscribers: 10}, "GD-GZ": snaps["GD-GZ"]}, &kpi.Base{Subscribers: 10}},
		{"ALL", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.branch, func(t *testing.T) {
			got := kpi.ResolveBase(tt.branch, tt.snaps)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ResolveBase(%s) = %s, want %s", tt.branch, baseString(got), baseString(tt.want))
			}
		})
	}

	all := kpi.ResolveBases(snaps)
	if len(all) != 7 { // GD-GZ, GD-SZ-NS, GD-SZ-FT, HB, GD-SZ, GD, ALL
		t.Errorf("ResolveBases has %d branches, want 7: %v", len(all), sortedNames(all))
	}
	for id, b := range all {
		if want := kpi.ResolveBase(id, snaps); !reflect.DeepEqual(b, want) {
			t.Errorf("ResolveBases[%s] = %s, want %s", id, baseString(b), baseString(want))
		}
	}
}

func baseString(b *kpi.Base) string {
	if b == nil {
		return "nil"
	}
	if b.Tiers == nil {
		return fmtp(&b.Subscribers) + " tiers nil"
	}
	return fmtp(&b.Subscribers) + " tiers " + fmtp(b.Tiers)
}

// naiveBase is SPEC §2.2 written as literally as possible: own snapshot, else the sum over the
// children (ids one level below branch on the path to some snapshot) of their bases.
func naiveBase(branch string, snaps map[string]kpi.Snapshot) *kpi.Base {
	if s, ok := snaps[branch]; ok {
		return &kpi.Base{Subscribers: s.Subscribers, Tiers: s.Tiers}
	}
	kids := map[string]bool{}
	for id := range snaps {
		for _, a := range schema.Ancestors(id) {
			if schema.Parent(a) == branch {
				kids[a] = true
			}
		}
	}
	var sum *kpi.Base
	tiers, known := kpi.Tiers{}, true
	for k := range kids {
		if b := naiveBase(k, snaps); b != nil {
			if sum == nil {
				sum = &kpi.Base{}
			}
			sum.Subscribers += b.Subscribers
			if b.Tiers == nil {
				known = false
			} else {
				tiers.High += b.Tiers.High
				tiers.Mid += b.Tiers.Mid
				tiers.Low += b.Tiers.Low
			}
		}
	}
	if sum != nil && known {
		sum.Tiers = &tiers
	}
	return sum
}

func TestResolveBaseRandom(t *testing.T) {
	ids := []string{"GD", "GD-GZ", "GD-GZ-TH", "GD-GZ-BY", "GD-GZ-BY-1", "GD-SZ", "GD-SZ-NS", "HB", "HB-WH", "HB-WH-X", "SC-CD"}
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 300 {
		snaps := map[string]kpi.Snapshot{}
		for _, id := range ids {
			if r.IntN(3) == 0 {
				s := kpi.Snapshot{Subscribers: uint64(r.IntN(1000))}
				if r.IntN(4) > 0 {
					s.Tiers = &kpi.Tiers{High: uint64(r.IntN(10)), Mid: uint64(r.IntN(10)), Low: uint64(r.IntN(10))}
				}
				snaps[id] = s
			}
		}
		all := kpi.ResolveBases(snaps)
		for _, id := range append(ids, "ALL", "GD-FS", "HB-WH-X-Y") {
			want := naiveBase(id, snaps)
			if got := kpi.ResolveBase(id, snaps); !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d: ResolveBase(%s) = %s, want %s", i, id, baseString(got), baseString(want))
			}
			if got := all[id]; !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d: ResolveBases[%s] = %s, want %s", i, id, baseString(got), baseString(want))
			}
		}
	}
}
