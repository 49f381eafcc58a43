package schema

import "strings"

// Root is the id of the whole company, the parent of every one-segment branch id.
const Root = "ALL"

// ValidBranchID reports whether id is a branch id of SPEC §1: 1 to 4 segments of [A-Z0-9]{1,16}
// joined by '-'. "ALL" is not a valid event branch id.
func ValidBranchID(id string) bool {
	if id == Root || id == "" {
		return false
	}
	segs, segLen := 1, 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c == '-':
			if segLen == 0 {
				return false
			}
			segs++
			segLen = 0
		case (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'):
			segLen++
			if segLen > 16 {
				return false
			}
		default:
			return false
		}
	}
	return segLen > 0 && segs <= 4
}

// Parent returns the parent of a branch id ("GD-GZ" → "GD", "GD" → "ALL", "ALL" → "").
func Parent(id string) string {
	if id == Root {
		return ""
	}
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		return id[:i]
	}
	return Root
}

// Level is the depth of a branch: 0 for ALL, 1 for a province, 2 for a city, 3 for a county, 4 below.
func Level(id string) int {
	if id == Root {
		return 0
	}
	return strings.Count(id, "-") + 1
}

// Ancestors returns id and all its ancestors up to and including ALL, nearest first.
func Ancestors(id string) []string {
	out := []string{id}
	for p := Parent(id); p != ""; p = Parent(p) {
		out = append(out, p)
	}
	return out
}

// InSubtree reports whether id is root or one of its descendants.
func InSubtree(id, root string) bool {
	if root == Root {
		return true
	}
	return id == root || (len(id) > len(root) && strings.HasPrefix(id, root) && id[len(root)] == '-')
}
