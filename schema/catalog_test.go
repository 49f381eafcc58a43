package schema_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/csat-dev/csat/schema"
)

func TestDefaultCatalog(t *testing.T) {
	c := schema.DefaultCatalog()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"network", "voice", "data", "tariff", "billing", "store", "hotline", "online", "brand", "complaint"}
	if got := c.Codes(); !reflect.DeepEqual(got, wantCodes) {
		t.Errorf("Codes() = %v, want %v", got, wantCodes)
	}
	if got := c.KeyItems(); !reflect.DeepEqual(got, wantCodes) {
		t.Errorf("KeyItems() = %v, want all items", got)
	}
	wantNames := map[string]string{"network": "网络质量", "voice": "通话质量", "data": "移动上网", "tariff": "资费套餐",
		"billing": "计费准确", "store": "营业厅服务", "hotline": "10086热线", "online": "网上/掌上营业厅", "brand": "品牌形象", "complaint": "投诉处理"}
	for code, name := range wantNames {
		it, ok := c.Item(code)
		if !ok || it.Name != name || it.Weight != 1 || !it.Key {
			t.Errorf("Item(%q) = %+v, %v; want %s, weight 1, key", code, it, ok, name)
		}
		if !c.Has(code) || c.Weight(code) != 1 {
			t.Errorf("Has/Weight(%q) = %v/%v", code, c.Has(code), c.Weight(code))
		}
	}
	if c.Has("fiveg") || c.Weight("fiveg") != 0 {
		t.Error("unknown code found")
	}
}

func TestLoadCatalogExample(t *testing.T) {
	c, err := schema.LoadCatalog(filepath.Join("testdata", "catalog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Items); n != 11 {
		t.Errorf("%d items, want 11", n)
	}
	if w := c.Weight("network"); w != 1.5 {
		t.Errorf("Weight(network) = %v, want 1.5", w)
	}
	if got, want := c.KeyItems(), []string{"network", "voice", "data", "tariff", "billing", "complaint", "fiveg"}; !reflect.DeepEqual(got, want) {
		t.Errorf("KeyItems() = %v, want %v", got, want)
	}
	if it, _ := c.Item("store"); it.Name != "营业厅服务" {
		t.Errorf("store name %q", it.Name)
	}
}

func TestLoadCatalogErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"empty", "items: []\n", "no items"},
		{"bad code", "items:\n  - {code: Network, name: x, weight: 1}\n", `code "Network"`},
		{"long code", "items:\n  - {code: " + strings.Repeat("a", 33) + ", weight: 1}\n", "want [a-z0-9_]{1,32}"},
		{"duplicate", "items:\n  - {code: a, weight: 1}\n  - {code: a, weight: 2}\n", `duplicate code "a"`},
		{"zero weight", "items:\n  - {code: a, weight: 0}\n", "weight 0: want > 0"},
		{"no weight", "items:\n  - {code: a}\n", "weight 0: want > 0"},
		{"negative weight", "items:\n  - {code: a, weight: -1}\n", "want > 0"},
		{"typo", "items:\n  - {code: a, weigth: 1}\n", "weigth"},
		{"not yaml", "items: [\n", "parse catalog"},
		{"unknown area", "items:\n  - {code: a, weight: 1}\n  - {code: b, weight: 1, area: x}\n", `line 3: item 2 (b): area "x" is not an item`},
		{"self area", "items:\n  - {code: a, weight: 1, area: a}\n", `line 2: item 1 (a): area "a" is the item itself`},
		{"area cycle", "items:\n  - {code: a, weight: 1, area: b}\n  - {code: b, weight: 1, area: a}\n", `line 2: item 1 (a): area "b" has an area of its own`},
		{"two levels", "items:\n  - {code: a, weight: 1}\n  - {code: b, weight: 1, area: a}\n  - {code: c, weight: 1, area: b}\n", `line 4: item 3 (c): area "b" has an area of its own ("a")`},
		{"bad weight line", "items:\n  - {code: a, weight: 1}\n\n  - {code: b, weight: 0}\n", "line 4: item 2 (b): weight 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := schema.LoadCatalog(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadCatalog error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := schema.LoadCatalog(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestAreaCatalogExample(t *testing.T) {
	c, err := schema.LoadCatalog(filepath.Join("..", "deploy", "catalog", "catalog-areas.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasAreas() || schema.DefaultCatalog().HasAreas() {
		t.Errorf("HasAreas: example %v, default %v; want true, false", c.HasAreas(), schema.DefaultCatalog().HasAreas())
	}
	if it, _ := c.Item("coverage"); it.Area != "network" {
		t.Errorf("coverage area = %q, want network", it.Area)
	}
	for _, ch := range []string{"store", "hotline", "online"} {
		if !c.Has(ch) {
			t.Errorf("example catalog lacks the default channel item %q", ch)
		}
	}
}

func ExampleCatalog() {
	c := schema.DefaultCatalog()
	it, _ := c.Item("hotline")
	fmt.Println(len(c.Items), c.Codes()[0], it.Name, c.Weight("hotline"), c.Has("fiveg"))
	// Output: 10 network 10086热线 1 false
}
