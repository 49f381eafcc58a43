package kpi

import "github.com/csat-dev/csat/schema"

// ResolveBase is the base rule of SPEC §2.2 for one month: snapshots holds the winning snapshot
// of every branch that has one of its own. The base of branch is its own snapshot; else the sum
// of its children's resolved bases (recursively; the children considered are those on the path
// from branch to some snapshot's branch); nil when no child has one. The tiers of a sum are the
// sums of the children's tiers, or nil when any child with a base has no tiers. Works for every
// level, schema.Root included.
func ResolveBase(branch string, snapshots map[string]Snapshot) *Base {
	if s, ok := snapshots[branch]; ok {
		b := &Base{Subscribers: s.Subscribers}
		if s.Tiers != nil {
			t := *s.Tiers
			b.Tiers = &t
		}
		return b
	}
	children := map[string]bool{}
	for id := range snapshots {
		for _, a := range schema.Ancestors(id) {
			if schema.Parent(a) == branch {
				children[a] = true
				break
			}
		}
	}
	var sum *Base
	tiersKnown := true
	for _, c := range sortedKeys(children) {
		cb := ResolveBase(c, snapshots)
		if cb == nil {
			continue
		}
		if sum == nil {
			sum = &Base{Tiers: &Tiers{}}
		}
		sum.Subscribers += cb.Subscribers
		if cb.Tiers == nil {
			tiersKnown = false
			continue
		}
		sum.Tiers.High += cb.Tiers.High
		sum.Tiers.Mid += cb.Tiers.Mid
		sum.Tiers.Low += cb.Tiers.Low
	}
	if sum != nil && !tiersKnown {
		sum.Tiers = nil
	}
	return sum
}

// ResolveBases resolves the base of every branch that has one: every branch with a snapshot and
// each of its ancestors up to schema.Root.
func ResolveBases(snapshots map[string]Snapshot) map[string]*Base {
	out := map[string]*Base{}
	for id := range snapshots {
		for _, a := range schema.Ancestors(id) {
			if _, done := out[a]; !done {
				out[a] = ResolveBase(a, snapshots)
			}
		}
	}
	return out
}
