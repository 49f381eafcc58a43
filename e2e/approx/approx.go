// Package approx compares values as the cross-layer tests need: through their JSON forms,
// numbers to a relative tolerance (sums of floats that ClickHouse adds in a part- and
// thread-dependent order are equal to the last bits only).
package approx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Diff compares two values through their JSON forms, numbers with a relative tolerance of
// 1e-9, and describes the first difference ("" when equal).
func Diff(got, want any) string {
	var g, w any
	for _, p := range []struct {
		v   any
		out *any
	}{{got, &g}, {want, &w}} {
		b, err := json.Marshal(p.v)
		if err != nil {
			return err.Error()
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(p.out); err != nil {
			return err.Error()
		}
	}
	return diffJSON("", g, w)
}

func diffJSON(path string, g, w any) string {
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %v, want an object", path, g)
		}
		keys := make([]string, 0, len(wv)+len(gv))
		for k := range wv {
			keys = append(keys, k)
		}
		for k := range gv {
			if _, ok := wv[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if d := diffJSON(path+"."+k, gv[k], wv[k]); d != "" {
				return d
			}
		}
	case []any:
		gv, ok := g.([]any)
		if !ok || len(gv) != len(wv) {
			return fmt.Sprintf("%s: got %v, want %v", path, g, w)
		}
		for i := range wv {
			if d := diffJSON(path+"["+strconv.Itoa(i)+"]", gv[i], wv[i]); d != "" {
				return d
			}
		}
	case json.Number:
		gn, ok := g.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: got %v, want %v", path, g, w)
		}
		a, _ := gn.Float64()
		b, _ := wv.Float64()
		if math.Abs(a-b) > 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
			return fmt.Sprintf("%s: got %v, want %v", path, gn, wv)
		}
	default:
		if fmt.Sprint(g) != fmt.Sprint(w) {
			return fmt.Sprintf("%s: got %v, want %v", path, g, w)
		}
	}
	return ""
}
