package schema

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Item is one survey sub-item of the catalog (SPEC §1).
type Item struct {
	Code   string  `yaml:"code"`   // wire code, [a-z0-9_]{1,32}
	Name   string  `yaml:"name"`   // display name, Chinese
	Weight float64 `yaml:"weight"` // W_k of the composite satisfaction (SPEC §3.3), > 0
	Key    bool    `yaml:"key"`    // a key item: watched by the decline_streak alert (SPEC §3.11)
	// Area is the code of the item's parent item (SPEC §5.4: an area such as 网络质量 whose
	// sub-items are coverage, call quality, data speed); empty for a top-level item. One level:
	// an area has no area of its own.
	Area string `yaml:"area,omitempty"`

	line int // the line of the item in its catalog file; 0 when not read from a file
}

// Catalog is the ordered list of survey items. Its order is the display order.
// A Catalog is read-only once built; its methods are safe for concurrent use.
type Catalog struct {
	Items []Item `yaml:"items"`
}

// DefaultCatalog returns the ten items of SPEC §1, each with weight 1 and all of them key items.
func DefaultCatalog() Catalog {
	items := []struct{ code, name string }{
		{"network", "网络质量"}, {"voice", "通话质量"}, {"data", "移动上网"}, {"tariff", "资费套餐"},
		{"billing", "计费准确"}, {"store", "营业厅服务"}, {"hotline", "10086热线"},
		{"online", "网上/掌上营业厅"}, {"brand", "品牌形象"}, {"complaint", "投诉处理"},
	}
	c := Catalog{Items: make([]Item, len(items))}
	for i, it := range items {
		c.Items[i] = Item{Code: it.code, Name: it.name, Weight: 1, Key: true}
	}
	return c
}

// LoadCatalog reads a catalog from a YAML file of the form
//
//	items:
//	  - {code: network, name: 网络质量, weight: 1, key: true}
//
// and validates it (see Validate). Unknown YAML keys are an error, so a typo does not pass silently.
func LoadCatalog(path string) (Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Catalog{}, fmt.Errorf("read catalog: %w", err)
	}
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Catalog{}, fmt.Errorf("parse catalog %s: %w", path, err)
	}
	// A second pass over the document's nodes gives each item its line, for the errors below.
	var doc struct {
		Items []yaml.Node `yaml:"items"`
	}
	if err := yaml.Unmarshal(b, &doc); err == nil && len(doc.Items) == len(c.Items) {
		for i := range c.Items {
			c.Items[i].line = doc.Items[i].Line
		}
	}
	if err := c.Validate(); err != nil {
		return Catalog{}, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// HasAreas reports whether any item names an area.
func (c Catalog) HasAreas() bool {
	for _, it := range c.Items {
		if it.Area != "" {
			return true
		}
	}
	return false
}

// where names item i for an error: "line N: item 3" when its line is known.
func (c Catalog) where(i int) string {
	if l := c.Items[i].line; l > 0 {
		return fmt.Sprintf("line %d: item %d", l, i+1)
	}
	return fmt.Sprintf("item %d", i+1)
}

// MaxItems is the largest catalog csat handles.
const MaxItems = 255

// Validate checks that the catalog has 1 to MaxItems items, that codes match [a-z0-9_]{1,32}
// and are unique, that every weight is > 0, and that every area names another item that has no
// area itself (one level, so no cycle).
func (c Catalog) Validate() error {
	if len(c.Items) == 0 {
		return errors.New("no items")
	}
	if len(c.Items) > MaxItems {
		return fmt.Errorf("%d items, more than %d", len(c.Items), MaxItems)
	}
	seen := make(map[string]bool, len(c.Items))
	for i, it := range c.Items {
		if !validCode(it.Code) {
			return fmt.Errorf("%s: code %q: want [a-z0-9_]{1,32}", c.where(i), it.Code)
		}
		if seen[it.Code] {
			return fmt.Errorf("%s: duplicate code %q", c.where(i), it.Code)
		}
		seen[it.Code] = true
		if !(it.Weight > 0) {
			return fmt.Errorf("%s (%s): weight %v: want > 0", c.where(i), it.Code, it.Weight)
		}
	}
	for i, it := range c.Items {
		if it.Area == "" {
			continue
		}
		j := c.index(it.Area)
		switch {
		case j < 0:
			return fmt.Errorf("%s (%s): area %q is not an item of the catalog", c.where(i), it.Code, it.Area)
		case j == i:
			return fmt.Errorf("%s (%s): area %q is the item itself", c.where(i), it.Code, it.Area)
		case c.Items[j].Area != "":
			return fmt.Errorf("%s (%s): area %q has an area of its own (%q): areas are one level deep", c.where(i), it.Code, it.Area, c.Items[j].Area)
		}
	}
	return nil
}

// validCode reports whether s matches [a-z0-9_]{1,32}, the form of item codes and carriers.
func validCode(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Has reports whether code is in the catalog.
func (c Catalog) Has(code string) bool { return c.index(code) >= 0 }

// Item returns the item with the given code.
func (c Catalog) Item(code string) (Item, bool) {
	if i := c.index(code); i >= 0 {
		return c.Items[i], true
	}
	return Item{}, false
}

// Weight returns the weight of code, or 0 when it is not in the catalog.
func (c Catalog) Weight(code string) float64 {
	if i := c.index(code); i >= 0 {
		return c.Items[i].Weight
	}
	return 0
}

// Codes returns the item codes in catalog order.
func (c Catalog) Codes() []string {
	out := make([]string, len(c.Items))
	for i, it := range c.Items {
		out[i] = it.Code
	}
	return out
}

// KeyItems returns the codes of the key items in catalog order.
func (c Catalog) KeyItems() []string {
	var out []string
	for _, it := range c.Items {
		if it.Key {
			out = append(out, it.Code)
		}
	}
	return out
}

// index is a linear search: catalogs are small (about ten items). The decoder builds its own map.
func (c Catalog) index(code string) int {
	for i, it := range c.Items {
		if it.Code == code {
			return i
		}
	}
	return -1
}
