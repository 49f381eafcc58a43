package kpi

import (
	"sort"

	"github.com/csat-dev/csat/schema"
)

// ResolveBase is the base rule of SPEC §2.2 for one branch and month: snapshots holds the
// winning snapshot of every branch that has one of its own (any set of branches; those outside
// branch's subtree are ignored). The base of branch is its own snapshot; else the sum of its
// children's resolved bases, recursively (children without one add nothing); nil when no child
// has one. The tiers of a sum are the sums of the children's tiers, or nil when any child with a
// base has no tiers. Works for every level, schema.Root included.
func ResolveBase(branch string, snapshots map[string]Snapshot) *Base {
	sub := make(map[string]Snapshot)
	for id, s := range snapshots {
		if schema.InSubtree(id, branch) {
			sub[id] = s
		}
	}
	return ResolveBases(sub)[branch]
}

// ResolveBases applies ResolveBase to every branch that has a base (each branch with a snapshot
// and all its ancestors up to schema.Root) in one bottom-up pass, in time linear in the number of
// branches (up to a sort).
func ResolveBases(snapshots map[string]Snapshot) map[string]*Base {
	children := map[string][]string{}
	var nodes []string
	seen := map[string]bool{}
	for id := range snapshots {
		for _, a := range schema.Ancestors(id) {
			if seen[a] {
				break
			}
			seen[a] = true
			nodes = append(nodes, a)
			if p := schema.Parent(a); p != "" {
				children[p] = append(children[p], a)
			}
		}
	}
	// Deepest first, so every child is resolved before its parent.
	sort.Slice(nodes, func(i, j int) bool {
		if li, lj := schema.Level(nodes[i]), schema.Level(nodes[j]); li != lj {
			return li > lj
		}
		return nodes[i] < nodes[j]
	})
	out := make(map[string]*Base, len(nodes))
	for _, id := range nodes {
		if s, ok := snapshots[id]; ok {
			b := &Base{Subscribers: s.Subscribers}
			if s.Tiers != nil {
				t := *s.Tiers
				b.Tiers = &t
			}
			out[id] = b
			continue
		}
		var sum *Base
		tiersKnown := true
		for _, c := range children[id] {
			cb := out[c]
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
		if sum != nil {
			out[id] = sum
		}
	}
	return out
}
