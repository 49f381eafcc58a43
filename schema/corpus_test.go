package schema_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/csat-dev/csat/schema"
)

// corpusNow is the decoder clock for the corpus: occurred_at may be up to 2026-11-16T00:00:00Z.
var corpusNow = time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)

// corpusCase is one line of testdata/corpus.ndjson.
type corpusCase struct {
	Name        string          `json:"name"`
	Topic       string          `json:"topic"`
	Want        string          `json:"want"`                   // "ok" or a reason code
	Event       json.RawMessage `json:"event"`                  // the message, byte for byte
	Raw         *string         `json:"raw"`                    // or the message as a string (malformed ones)
	RawBase64   string          `json:"raw_base64"`             // or base64 (invalid UTF-8)
	SchemaBlind string          `json:"schema_blind,omitempty"` // why JSON Schema cannot tell
}

func (c corpusCase) message(tb testing.TB) []byte {
	tb.Helper()
	switch {
	case c.Raw != nil:
		return []byte(*c.Raw)
	case c.RawBase64 != "":
		b, err := base64.StdEncoding.DecodeString(c.RawBase64)
		if err != nil {
			tb.Fatalf("%s: raw_base64: %v", c.Name, err)
		}
		return b
	}
	return c.Event
}

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus.ndjson"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []corpusCase
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var c corpusCase
			if jerr := json.Unmarshal(line, &c); jerr != nil {
				tb.Fatalf("corpus line %d: %v", n, jerr)
			}
			out = append(out, c)
		}
		if err != nil {
			break
		}
	}
	if len(out) == 0 {
		tb.Fatal("empty corpus")
	}
	return out
}

func shanghai(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func corpusDecoder(tb testing.TB) *schema.Decoder {
	return schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), shanghai(tb),
		schema.WithClock(func() time.Time { return corpusNow }))
}

func TestCorpus(t *testing.T) {
	d := corpusDecoder(t)
	seen := map[string]bool{}
	for _, c := range loadCorpus(t) {
		t.Run(c.Name, func(t *testing.T) {
			ev, err := d.Decode(c.Topic, c.message(t))
			got := "ok"
			if err != nil {
				var rej *schema.Rejection
				if !errors.As(err, &rej) {
					t.Fatalf("Decode error %v is not a *Rejection", err)
				}
				if ev != nil {
					t.Errorf("Decode returned both an event and %v", err)
				}
				got = string(rej.Reason)
				if rej.Detail == "" {
					t.Errorf("rejection %s has no detail", rej.Reason)
				}
				t.Logf("%v", rej)
			} else if ev == nil {
				t.Fatal("Decode returned neither an event nor an error")
			}
			if got != c.Want {
				t.Errorf("Decode = %s (%v), want %s", got, err, c.Want)
			}
		})
		seen[c.Want] = true
	}
	for _, r := range schema.Reasons() {
		if !seen[string(r)] {
			t.Errorf("corpus has no case for reason %s", r)
		}
	}
}

const schemaBase = "https://github.com/csat-dev/csat/schema/jsonschema/"

// compileSchemas compiles every file of jsonschema/, keyed by file name without ".json".
func compileSchemas(tb testing.TB) map[string]*jsonschema.Schema {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("jsonschema", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no schema files: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, f := range files {
		doc := readJSON(tb, f)
		if id, _ := doc.(map[string]any)["$id"].(string); id != schemaBase+filepath.Base(f) {
			tb.Errorf("%s: $id %q, want %q", f, id, schemaBase+filepath.Base(f))
		}
		if err := c.AddResource(schemaBase+filepath.Base(f), doc); err != nil {
			tb.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, f := range files {
		sch, err := c.Compile(schemaBase + filepath.Base(f))
		if err != nil {
			tb.Fatalf("compile %s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = sch
	}
	return out
}

func readJSON(tb testing.TB, path string) any {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestJSONSchemaMatchesDecoder keeps the published JSON Schema documents and the Go decoder in
// step: every corpus event the decoder accepts is valid under its type's schema, and every event
// it rejects for a field-level reason is invalid under it (the envelope schema when the type is
// not a known string). Reasons about size, syntax, topic, version and time are not the schema's.
func TestJSONSchemaMatchesDecoder(t *testing.T) {
	schemas := compileSchemas(t)
	for _, typ := range schema.Types() {
		if schemas[typ.String()] == nil {
			t.Errorf("no jsonschema/%s.json", typ)
		}
	}
	fieldLevel := map[string]bool{"ok": true, "missing_field": true, "invalid_field": true, "unknown_item": true}
	checked := 0
	for _, c := range loadCorpus(t) {
		if !fieldLevel[c.Want] {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.message(t)))
			if err != nil {
				t.Fatalf("corpus event is not JSON: %v", err)
			}
			sch := schemas["envelope"]
			if typ, ok := inst.(map[string]any)["type"].(string); ok && schemas[typ] != nil {
				sch = schemas[typ]
			}
			verr := sch.Validate(inst)
			switch {
			case c.Want == "ok" && verr != nil:
				t.Errorf("decoder accepts it, schema rejects it: %v", verr)
			case c.Want != "ok" && c.SchemaBlind != "":
				t.Skipf("schema cannot tell: %s", c.SchemaBlind)
			case c.Want != "ok" && verr == nil:
				t.Errorf("decoder rejects it (%s), schema accepts it", c.Want)
			}
			checked++
		})
	}
	if checked < 100 {
		t.Errorf("only %d corpus events checked against the schemas", checked)
	}
}

// TestJSONSchemaExamples checks that each schema's examples decode.
func TestJSONSchemaExamples(t *testing.T) {
	d := corpusDecoder(t)
	for _, typ := range schema.Types() {
		doc := readJSON(t, filepath.Join("jsonschema", typ.String()+".json")).(map[string]any)
		examples, _ := doc["examples"].([]any)
		if len(examples) == 0 {
			t.Errorf("%s.json has no examples", typ)
		}
		for i, ex := range examples {
			b, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := d.Decode(schema.DefaultTopics().For(typ), b)
			if err != nil {
				t.Errorf("%s.json example %d: %v", typ, i, err)
				continue
			}
			if ev.Env().Type != typ {
				t.Errorf("%s.json example %d decodes as %s", typ, i, ev.Env().Type)
			}
		}
	}
}
