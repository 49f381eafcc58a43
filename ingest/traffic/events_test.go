package traffic_test

import (
	"testing"
	"time"

	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
)

// TestGenDecodes: every message of the mix, and a void, is a valid event on its type's topic,
// and the mix holds every type but the void.
func TestGenDecodes(t *testing.T) {
	tp := traffic.UniqueTopics("gen")
	g := traffic.NewGen(7, tp)
	dec := schema.NewDecoder(schema.DefaultCatalog(), tp, time.UTC)
	seen := map[schema.Type]int{}
	check := func(topic string, value []byte) schema.Event {
		t.Helper()
		ev, err := dec.Decode(topic, value)
		if err != nil {
			t.Fatalf("%s: %v\n%s", topic, err, value)
		}
		if want := tp.For(ev.Env().Type); topic != want {
			t.Errorf("%s on topic %s, want %s", ev.Env().Type, topic, want)
		}
		return ev
	}
	var last string
	for range 2000 {
		m := g.Next()
		ev := check(m.Topic, m.Value)
		seen[ev.Env().Type]++
		if string(m.Key) != ev.Env().EventID {
			t.Errorf("key %q, event id %q", m.Key, ev.Env().EventID)
		}
		last = ev.Env().EventID
	}
	for _, typ := range schema.Types() {
		if typ != schema.TypeSurveyVoid && typ != schema.TypeAdjustmentVoid && seen[typ] == 0 {
			t.Errorf("no %s in 2000 events of the mix: %v", typ, seen)
		}
	}
	v := g.Void(g.NextID(), last, time.Now())
	if ev, ok := check(v.Topic, v.Value).(*schema.SurveyVoid); !ok || ev.TargetEventID != last {
		t.Errorf("Void: %+v, want a survey_void of %s", ev, last)
	}
	va := g.VoidAdjustment(g.NextID(), last, time.Now())
	if ev, ok := check(va.Topic, va.Value).(*schema.AdjustmentVoid); !ok || ev.TargetEventID != last {
		t.Errorf("VoidAdjustment: %+v, want an adjustment_void of %s", ev, last)
	}
}
