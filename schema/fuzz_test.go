package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/csat-dev/csat/schema"
)

// FuzzDecode checks that Decode never panics and always returns exactly one of an event (of the
// type it says, with a valid month) or a *Rejection with a known reason and a detail.
func FuzzDecode(f *testing.F) {
	for _, c := range loadCorpus(f) {
		if msg := c.message(f); len(msg) <= 4096 {
			f.Add(c.Topic, msg)
		}
	}
	d := corpusDecoder(f)
	// DecodeIn must agree with Decode whatever came before: its arena carries predictions
	// (the previous message's keys) and cached zone offsets from one input to the next.
	a := &schema.Arena{Now: corpusNow}
	f.Fuzz(func(t *testing.T, topic string, msg []byte) {
		ev, err := d.Decode(topic, msg)
		ev2, err2 := d.DecodeIn(a, topic, msg)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(ev, ev2) {
			t.Fatalf("Decode: %+v, %v; DecodeIn: %+v, %v", ev, err, ev2, err2)
		}
		if len(msg) <= schema.MaxMessageSize {
			// The scanner agrees with encoding/json on what is one JSON object.
			isObject := utf8.Valid(msg) && json.Valid(msg) && bytes.HasPrefix(bytes.TrimLeft(msg, " \t\r\n"), []byte("{"))
			malformed := errors.Is(err, &schema.Rejection{Reason: schema.ReasonMalformedJSON})
			// Beyond encoding/json, a key given twice is malformed: always at the top level,
			// and in the objects the decoder reads (items, tiers) when it gets to them.
			top, anywhere := duplicateKeys(msg)
			switch {
			case isObject && top && !malformed:
				t.Fatalf("a key given twice at the top level, but Decode: %v", err)
			case isObject && malformed && !(anywhere && strings.HasPrefix(err.(*schema.Rejection).Detail, "duplicate key")):
				t.Fatalf("JSON object without a duplicate key, but Decode: %v", err)
			case !isObject && !malformed:
				t.Fatalf("not a JSON object, but Decode: %v", err)
			}
		}
		if err != nil {
			if ev != nil {
				t.Fatalf("both an event and %v", err)
			}
			var rej *schema.Rejection
			if !errors.As(err, &rej) {
				t.Fatalf("error %T %v is not a *Rejection", err, err)
			}
			if !rej.Reason.Valid() || rej.Detail == "" {
				t.Fatalf("bad rejection %q", rej)
			}
			return
		}
		if ev == nil {
			t.Fatal("neither an event nor an error")
		}
		e := ev.Env()
		if e.Type == schema.TypeUnknown || !e.Month.Valid() || e.EventID == "" || !schema.ValidBranchID(e.BranchID) {
			t.Fatalf("bad envelope %+v", e)
		}
		if schema.DefaultTopics().For(e.Type) != topic {
			t.Fatalf("%s accepted on topic %q", e.Type, topic)
		}
		if len(msg) > schema.MaxMessageSize {
			t.Fatalf("accepted %d bytes", len(msg))
		}
	})
}

// duplicateKeys reports whether the valid JSON msg has a key twice in its top-level object, and
// in any object at all, by encoding/json's reading of keys (escapes resolved).
func duplicateKeys(msg []byte) (top, anywhere bool) {
	dec := json.NewDecoder(bytes.NewReader(msg))
	type frame struct {
		keys  map[string]bool // nil for an array
		inKey bool            // an object expecting a key next
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return top, anywhere
		}
		if n := len(stack); n > 0 && stack[n-1].keys != nil && stack[n-1].inKey {
			if k, ok := tok.(string); ok {
				if stack[n-1].keys[k] {
					anywhere = true
					top = top || n == 1
				}
				stack[n-1].keys[k] = true
				stack[n-1].inKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, inKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object expects a key again.
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].inKey = true
		}
	}
}
