package vendorimport

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema"
)

// Mapping tells how to read one vendor's files: which column holds what, and how to translate the
// vendor's values into csat's. testdata/mapping.yaml is the documented example.
type Mapping struct {
	// Vendor names the survey vendor; with an id column, event ids are
	// vendor:<Vendor>:<wave>:<id>, so the same interview keeps its id across re-deliveries and
	// renamed files (the wave is in it because vendors often number interviews per wave).
	// Required with Columns.EventID.
	Vendor string `yaml:"vendor"`
	// Format is csv, xlsx, or empty to decide by the file's extension.
	Format string `yaml:"format"`
	// Sheet is the XLSX sheet to read; empty means the first sheet.
	Sheet string `yaml:"sheet"`
	// Encoding of a CSV file: utf-8 (default; a BOM is skipped) or gbk (also gb18030).
	Encoding string `yaml:"encoding"`
	// Delimiter of a CSV file: one character, default ",".
	Delimiter string `yaml:"delimiter"`
	// HeaderRow is the 1-based row that holds the column headers; rows above it are ignored
	// (vendors like a title row). Default 1.
	HeaderRow int `yaml:"header_row"`
	// Timezone of occurred_at values without an offset. Default Asia/Shanghai.
	Timezone string `yaml:"timezone"`

	Columns Columns           `yaml:"columns"`
	Items   map[string]string `yaml:"items"` // item code → column header
	Values  Values            `yaml:"values"`
	// Missing lists cell texts that mean "not answered" (besides an empty cell).
	Missing  []string `yaml:"missing"`
	Defaults Defaults `yaml:"defaults"`
}

// Columns names the header of each column (exact text after trimming spaces).
type Columns struct {
	EventID    string  `yaml:"event_id"`    // optional: the vendor's interview id
	Branch     Headers `yaml:"branch"`      // required: one header, or a list joined with "/" for values.branch
	Carrier    string  `yaml:"carrier"`     // required unless defaults.carrier
	Wave       string  `yaml:"wave"`        // optional: YYYY-MM, YYYY/MM, YYYYMM, YYYY年MM月 or a date
	Weight     string  `yaml:"weight"`      // optional: default 1
	Segment    string  `yaml:"segment"`     // optional: high/mid/low after values.segment
	Overall    string  `yaml:"overall"`     // optional: the overall satisfaction score
	OccurredAt string  `yaml:"occurred_at"` // optional: interview time
}

// Headers is one column header or several (YAML: a string or a list).
type Headers []string

// UnmarshalYAML accepts a scalar or a sequence.
func (h *Headers) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*h = Headers{n.Value}
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*h = s
		return nil
	}
	return fmt.Errorf("line %d: want a column header or a list of them", n.Line)
}

// Values translates the vendor's texts. A text that is not listed must already be csat's value
// (a carrier code, a branch id, high/mid/low, a score).
type Values struct {
	Carrier map[string]string `yaml:"carrier"`
	Branch  map[string]string `yaml:"branch"`
	Segment map[string]string `yaml:"segment"`
	Score   map[string]int    `yaml:"score"`
}

// Defaults apply when a column is not mapped or its cell is empty.
type Defaults struct {
	Carrier string `yaml:"carrier"`
	Wave    string `yaml:"wave"`
}

// LoadMapping reads and validates a mapping file. Unknown keys are errors, so a typo does not
// silently drop a column.
func LoadMapping(path string, cat schema.Catalog) (Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("read mapping: %w", err)
	}
	m, err := ParseMapping(b, cat)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping parses and validates a mapping.
func ParseMapping(b []byte, cat schema.Catalog) (Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return Mapping{}, fmt.Errorf("parse: %w", err)
	}
	if err := m.Validate(cat); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

var (
	carrierRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	vendorRe  = regexp.MustCompile(`^[\p{L}\p{N}_.\-]{1,40}$`)
)

// Validate checks the mapping against the item catalog.
func (m *Mapping) Validate(cat schema.Catalog) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch strings.ToLower(m.Format) {
	case "", "csv", "xlsx":
	default:
		bad("format %q: want csv or xlsx", m.Format)
	}
	switch strings.ToLower(m.Encoding) {
	case "", "utf-8", "utf8", "gbk", "gb18030":
	default:
		bad("encoding %q: want utf-8 or gbk", m.Encoding)
	}
	if len([]rune(m.Delimiter)) > 1 {
		bad("delimiter %q: want one character", m.Delimiter)
	}
	if m.HeaderRow < 0 {
		bad("header_row %d: want ≥ 1", m.HeaderRow)
	}
	if m.Columns.EventID != "" && !vendorRe.MatchString(m.Vendor) {
		bad("vendor %q: with columns.event_id, name the vendor (letters, digits, _ . -; at most 40)", m.Vendor)
	}
	if len(m.Columns.Branch) == 0 || slicesHasEmpty(m.Columns.Branch) {
		bad("columns.branch: required")
	}
	if m.Columns.Carrier == "" && m.Defaults.Carrier == "" {
		bad("columns.carrier: required unless defaults.carrier is set")
	}
	if m.Defaults.Carrier != "" && !carrierRe.MatchString(m.Defaults.Carrier) {
		bad("defaults.carrier %q: want [a-z0-9_]{1,32}", m.Defaults.Carrier)
	}
	if m.Defaults.Wave != "" {
		if _, err := schema.ParseMonth(m.Defaults.Wave); err != nil {
			bad("defaults.wave: %v", err)
		}
	}
	if m.Columns.Overall == "" && len(m.Items) == 0 {
		bad("map columns.overall or at least one item")
	}
	known := map[string]bool{}
	for _, it := range cat.Items {
		known[it.Code] = true
	}
	headers := map[string]string{}
	use := func(what, h string) {
		if h == "" {
			return
		}
		if prev, dup := headers[h]; dup {
			bad("column %q is mapped twice (%s and %s)", h, prev, what)
		}
		headers[h] = what
	}
	use("event_id", m.Columns.EventID)
	for _, h := range m.Columns.Branch {
		use("branch", h)
	}
	use("carrier", m.Columns.Carrier)
	use("wave", m.Columns.Wave)
	use("weight", m.Columns.Weight)
	use("segment", m.Columns.Segment)
	use("overall", m.Columns.Overall)
	use("occurred_at", m.Columns.OccurredAt)
	for _, code := range sortedKeys(m.Items) {
		if !known[code] {
			bad("items.%s: not in the item catalog", code)
		}
		if m.Items[code] == "" {
			bad("items.%s: no column header", code)
		}
		use("items."+code, m.Items[code])
	}
	for _, k := range sortedKeys(m.Values.Carrier) {
		if !carrierRe.MatchString(m.Values.Carrier[k]) {
			bad("values.carrier[%q] = %q: want [a-z0-9_]{1,32}", k, m.Values.Carrier[k])
		}
	}
	for _, k := range sortedKeys(m.Values.Branch) {
		if !schema.ValidBranchID(m.Values.Branch[k]) {
			bad("values.branch[%q] = %q: not a branch id", k, m.Values.Branch[k])
		}
	}
	for _, k := range sortedKeys(m.Values.Segment) {
		switch m.Values.Segment[k] {
		case "high", "mid", "low":
		default:
			bad("values.segment[%q] = %q: want high, mid or low", k, m.Values.Segment[k])
		}
	}
	for _, k := range sortedKeys(m.Values.Score) {
		if v := m.Values.Score[k]; v < 1 || v > 10 {
			bad("values.score[%q] = %d: want 1–10", k, v)
		}
	}
	return errors.Join(errs...)
}

func slicesHasEmpty(s []string) bool {
	for _, v := range s {
		if strings.TrimSpace(v) == "" {
			return true
		}
	}
	return false
}
