package vendorimport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/csat-dev/csat/schema"
)

// Event is one good row as the survey_response it becomes.
type Event struct {
	Row    int    // the row (XLSX) or line (CSV) number in the file
	ID     string // its event_id
	Branch string // its branch_id, the Kafka key
	Value  []byte // the JSON message
}

// RowError is a bad row: its number in the file, the column at fault ("" for the whole row) and
// why.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d: column %s: %s", e.Row, e.Column, e.Reason)
}

// Result is a converted file.
type Result struct {
	Format string // csv or xlsx
	Sheet  string // the XLSX sheet read
	Digest string // sha256 of the file's bytes, hex
	Rows   int    // data rows read (blank rows not counted)
	Events []Event
	Bad    []RowError
}

// Options of Convert. The zero value means the default catalog and topics and the current time.
type Options struct {
	Catalog schema.Catalog   // default schema.DefaultCatalog()
	Topics  schema.Topics    // default schema.DefaultTopics(); Survey is where the events go
	Now     func() time.Time // default time.Now; the decoder's clock and the cap of default times
}

func (o Options) withDefaults() Options {
	if len(o.Catalog.Items) == 0 {
		o.Catalog = schema.DefaultCatalog()
	}
	if o.Topics == (schema.Topics{}) {
		o.Topics = schema.DefaultTopics()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Convert reads a vendor file (its bytes and name) with mapping m and turns every data row into a
// survey_response event, or a RowError. Each event passes schema's decoder. Event ids are stable:
// vendor:<vendor>:<wave>:<id> with an id column, else file:<first 12 hex digits of the file's
// sha256>:<row>, so converting the same file again gives the same ids. The error is for a file
// that cannot be read at all (wrong format, a damaged archive, missing sheet or header, a mapped
// column that is not in the header). ConvertFile does the same from a file on disk in constant
// memory.
func Convert(data []byte, name string, m Mapping, opts Options) (*Result, error) {
	sum := sha256.Sum256(data)
	var events []Event
	res, err := convert(bytes.NewReader(data), int64(len(data)), "", name, hex.EncodeToString(sum[:]), m, opts,
		func(ev Event) error { events = append(events, ev); return nil })
	if res != nil {
		res.Events = events
	}
	return res, err
}

// ConvertFile is Convert reading the file at path as a stream: fn receives each good row's event
// in file order (Result.Events stays nil), and an error of fn stops the conversion. Memory does
// not grow with the file, except for the ids of the events (duplicates are bad rows) and the
// bad rows. The file is read twice: once for its digest, once for its rows.
func ConvertFile(path string, m Mapping, opts Options, fn func(Event) error) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read vendor file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read vendor file: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
		return nil, fmt.Errorf("read vendor file: %w", err)
	}
	return convert(f, st.Size(), path, filepath.Base(path), hex.EncodeToString(h.Sum(nil)), m, opts, fn)
}

func convert(ra io.ReaderAt, size int64, path, name, digest string, m Mapping, opts Options, fn func(Event) error) (*Result, error) {
	opts = opts.withDefaults()
	if err := m.Validate(opts.Catalog); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	loc := time.FixedZone("CST", 8*3600)
	if m.Timezone != "" {
		l, err := time.LoadLocation(m.Timezone)
		if err != nil {
			return nil, fmt.Errorf("mapping timezone: %w", err)
		}
		loc = l
	}
	t, err := openTable(ra, size, path, name, m)
	if err != nil {
		return nil, err
	}
	defer t.rows.close()
	c := &converter{m: m, loc: loc, now: opts.Now, topic: opts.Topics.Survey,
		dec:    schema.NewDecoder(opts.Catalog, opts.Topics, loc, schema.WithClock(opts.Now)),
		digest: digest, seen: map[string]int{}, missing: map[string]bool{}}
	for _, s := range m.Missing {
		c.missing[strings.TrimSpace(s)] = true
	}
	if err := c.resolveColumns(t); err != nil {
		return nil, err
	}
	res := &Result{Format: t.format, Sheet: t.sheet, Digest: c.digest}
	for {
		r, ok, err := t.rows.next()
		if err != nil {
			return res, err
		}
		if !ok {
			break
		}
		if r.blank() {
			continue
		}
		res.Rows++
		if r.bad != "" {
			res.Bad = append(res.Bad, RowError{Row: r.num, Reason: r.bad})
			continue
		}
		ev, bad := c.row(r)
		if bad != nil {
			res.Bad = append(res.Bad, *bad)
			continue
		}
		if err := fn(ev); err != nil {
			return res, err
		}
	}
	return res, nil
}

type converter struct {
	m       Mapping
	loc     *time.Location
	now     func() time.Time
	topic   string
	dec     *schema.Decoder
	digest  string
	seen    map[string]int // event id → row
	missing map[string]bool

	// column indexes; -1 when not mapped
	id, carrier, wave, weight, segment, overall, occurred int
	branch                                                []int
	items                                                 []itemCol
}

type itemCol struct {
	code, header string
	col          int
}

func (c *converter) resolveColumns(t *table) error {
	idx := t.columnIndex()
	var missing []string
	col := func(h string) int {
		if h == "" {
			return -1
		}
		i, ok := idx[cleanHeader(h)]
		if !ok {
			missing = append(missing, clipQuote(h))
			return -1
		}
		return i
	}
	c.id, c.carrier, c.wave = col(c.m.Columns.EventID), col(c.m.Columns.Carrier), col(c.m.Columns.Wave)
	c.weight, c.segment, c.overall = col(c.m.Columns.Weight), col(c.m.Columns.Segment), col(c.m.Columns.Overall)
	c.occurred = col(c.m.Columns.OccurredAt)
	for _, h := range c.m.Columns.Branch {
		c.branch = append(c.branch, col(h))
	}
	for _, code := range sortedKeys(c.m.Items) {
		c.items = append(c.items, itemCol{code, c.m.Items[code], col(c.m.Items[code])})
	}
	if len(missing) > 0 {
		var have []string
		for _, h := range t.header {
			if h = cleanHeader(h); h != "" {
				have = append(have, h)
			}
		}
		return fmt.Errorf("columns %s not in the header row (it has %s)", strings.Join(missing, ", "), clipList(have))
	}
	return nil
}

// surveyResponse is the wire form of SPEC §2.2's survey_response.
type surveyResponse struct {
	EventID       string         `json:"event_id"`
	Type          string         `json:"type"`
	SchemaVersion int            `json:"schema_version"`
	OccurredAt    string         `json:"occurred_at"`
	BranchID      string         `json:"branch_id"`
	Carrier       string         `json:"carrier"`
	Wave          string         `json:"wave"`
	Weight        float64        `json:"weight"`
	Segment       string         `json:"segment,omitempty"`
	Overall       int            `json:"overall,omitempty"`
	Items         map[string]int `json:"items,omitempty"`
}

func (c *converter) header(i int) string {
	switch i {
	case c.id:
		return c.m.Columns.EventID
	case c.carrier:
		return c.m.Columns.Carrier
	case c.wave:
		return c.m.Columns.Wave
	case c.weight:
		return c.m.Columns.Weight
	case c.segment:
		return c.m.Columns.Segment
	case c.overall:
		return c.m.Columns.Overall
	case c.occurred:
		return c.m.Columns.OccurredAt
	}
	return ""
}

func (c *converter) row(r row) (Event, *RowError) {
	bad := func(col int, format string, args ...any) (Event, *RowError) {
		return Event{}, &RowError{Row: r.num, Column: c.header(col), Reason: fmt.Sprintf(format, args...)}
	}
	ev := surveyResponse{Type: schema.TypeSurveyResponse.String(), SchemaVersion: schema.SchemaVersion, Weight: 1}

	// The interview id (the event id is built once the wave is known).
	vendorID := ""
	if c.id >= 0 {
		if vendorID = r.cell(c.id); vendorID == "" {
			return bad(c.id, "empty interview id")
		}
	}

	// Branch.
	var parts []string
	for _, i := range c.branch {
		if v := r.cell(i); v != "" {
			parts = append(parts, v)
		}
	}
	branchHeader := strings.Join(c.m.Columns.Branch, "/")
	if len(parts) == 0 {
		return Event{}, &RowError{Row: r.num, Column: branchHeader, Reason: "empty branch"}
	}
	key := strings.Join(parts, "/")
	if id, ok := c.m.Values.Branch[key]; ok {
		ev.BranchID = id
	} else if id := strings.ToUpper(key); schema.ValidBranchID(id) {
		ev.BranchID = id
	} else {
		return Event{}, &RowError{Row: r.num, Column: branchHeader,
			Reason: fmt.Sprintf("unknown branch %s (map it under values.branch)", clipQuote(key))}
	}

	// Carrier.
	carrier := ""
	if c.carrier >= 0 {
		carrier = r.cell(c.carrier)
	}
	switch v, ok := c.m.Values.Carrier[carrier]; {
	case ok:
		carrier = v
	case carrier == "":
		carrier = c.m.Defaults.Carrier
	default:
		carrier = strings.ToLower(carrier)
	}
	if carrier == "" {
		return bad(c.carrier, "empty carrier")
	}
	if !carrierRe.MatchString(carrier) {
		return bad(c.carrier, "unknown carrier %s (map it under values.carrier)", clipQuote(r.cell(c.carrier)))
	}
	ev.Carrier = carrier

	// Interview time and wave.
	var at time.Time
	if c.occurred >= 0 && r.cell(c.occurred) != "" {
		t, err := parseTime(r.cell(c.occurred), c.loc)
		if err != nil {
			return bad(c.occurred, "%v", err)
		}
		at = t
	}
	var wave schema.Month
	switch {
	case c.wave >= 0 && r.cell(c.wave) != "":
		w, err := parseWave(r.cell(c.wave), c.loc)
		if err != nil {
			return bad(c.wave, "%v", err)
		}
		wave = w
	case c.m.Defaults.Wave != "":
		wave, _ = schema.ParseMonth(c.m.Defaults.Wave)
	case !at.IsZero():
		wave = schema.MonthOf(at, c.loc)
	default:
		return bad(c.wave, "no wave: map columns.wave or set defaults.wave")
	}
	ev.Wave = wave.String()

	// Event id: vendors often number interviews per wave, so the wave is part of it.
	if c.id >= 0 {
		ev.EventID = "vendor:" + c.m.Vendor + ":" + ev.Wave + ":" + vendorID
	} else {
		ev.EventID = fmt.Sprintf("file:%s:%d", c.digest[:12], r.num)
	}
	if len(ev.EventID) > 128 || !printable(ev.EventID) {
		return bad(c.id, "event id %s: want at most 128 printable characters", clipQuote(ev.EventID))
	}
	if first, dup := c.seen[ev.EventID]; dup {
		return bad(c.id, "duplicate interview id %s (first in row %d)", clipQuote(vendorID), first)
	}
	if at.IsZero() {
		// The vendor did not say when: the middle of the wave, never in the future.
		at = time.Date(wave.Year(), time.Month(wave.Mon()), 15, 12, 0, 0, 0, c.loc)
		if now := c.now().Truncate(time.Second); at.After(now) {
			at = now
		}
	}
	ev.OccurredAt = at.In(c.loc).Format(time.RFC3339)

	// Weight and segment.
	if c.weight >= 0 && r.cell(c.weight) != "" {
		w, err := strconv.ParseFloat(narrow(r.cell(c.weight)), 64)
		if err != nil || !(w > 0 && w <= 10000) {
			return bad(c.weight, "weight %s: want a number > 0 and ≤ 10000", clipQuote(r.cell(c.weight)))
		}
		ev.Weight = w
	}
	if c.segment >= 0 && r.cell(c.segment) != "" {
		s := r.cell(c.segment)
		if v, ok := c.m.Values.Segment[s]; ok {
			s = v
		}
		switch strings.ToLower(s) {
		case "high", "mid", "low":
			ev.Segment = strings.ToLower(s)
		default:
			return bad(c.segment, "unknown segment %s (map it under values.segment to high, mid or low)", clipQuote(r.cell(c.segment)))
		}
	}

	// Scores.
	if c.overall >= 0 {
		v, ok, err := c.score(r.cell(c.overall))
		if err != nil {
			return bad(c.overall, "%v", err)
		}
		if ok {
			ev.Overall = v
		}
	}
	for _, it := range c.items {
		v, ok, err := c.score(r.cell(it.col))
		if err != nil {
			return Event{}, &RowError{Row: r.num, Column: it.header, Reason: err.Error()}
		}
		if ok {
			if ev.Items == nil {
				ev.Items = map[string]int{}
			}
			ev.Items[it.code] = v
		}
	}
	if ev.Overall == 0 && len(ev.Items) == 0 {
		return bad(-1, "no score: neither the overall nor any item is answered")
	}

	value, err := json.Marshal(ev)
	if err != nil {
		return bad(-1, "encode: %v", err)
	}
	if _, err := c.dec.Decode(c.topic, value); err != nil {
		return bad(-1, "rejected by the event schema: %v", err)
	}
	c.seen[ev.EventID] = r.num
	return Event{Row: r.num, ID: ev.EventID, Branch: ev.BranchID, Value: value}, nil
}

// score parses a 1–10 answer: a number (full-width digits and a trailing 分 allowed), or a text of
// values.score. ok is false for an empty cell or one of the mapping's missing texts.
func (c *converter) score(s string) (v int, ok bool, err error) {
	if s == "" || c.missing[s] {
		return 0, false, nil
	}
	if v, found := c.m.Values.Score[s]; found {
		return v, true, nil
	}
	n := strings.TrimSuffix(narrow(s), "分")
	f, perr := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if perr != nil || f != math.Trunc(f) || f < 1 || f > 10 {
		return 0, false, fmt.Errorf("score %s: want an integer 1–10 (or list the text under values.score or missing)", clipQuote(s))
	}
	return int(f), true, nil
}

var (
	waveRe   = regexp.MustCompile(`^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$`)
	excelDay = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
)

// parseWave reads 2026-10, 2026/10, 2026.10, 202610, 2026年10月, or a date (text or Excel serial).
func parseWave(s string, loc *time.Location) (schema.Month, error) {
	s = narrow(s)
	if m := waveRe.FindStringSubmatch(s); m != nil {
		mon := m[2]
		if mon == "" {
			mon = m[3]
		}
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(mon)
		if mo >= 1 && mo <= 12 {
			return schema.Month(y*100 + mo), nil
		}
	}
	if t, err := parseTime(s, loc); err == nil {
		return schema.MonthOf(t, loc), nil
	}
	return 0, fmt.Errorf("wave %s: want YYYY-MM (or YYYY/MM, YYYYMM, YYYY年MM月, a date)", clipQuote(s))
}

var timeLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02",
	"2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2", "2006.1.2",
	"2006年1月2日 15:04:05", "2006年1月2日 15:04", "2006年1月2日",
}

// parseTime reads RFC 3339, common local layouts (in loc), or an Excel serial date (in loc).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = narrow(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 36526 && f < 2958466 { // 2000-01-01 … 9999
		days := math.Floor(f)
		secs := math.Round((f - days) * 86400)
		d := excelDay.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
		return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), 0, loc), nil
	}
	return time.Time{}, fmt.Errorf("time %s: want YYYY-MM-DD hh:mm[:ss], RFC 3339 or an Excel date", clipQuote(s))
}

// narrow folds full-width digits and punctuation (８分, ２０２６－１０) to ASCII.
func narrow(s string) string { return width.Narrow.String(s) }

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return s != ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
