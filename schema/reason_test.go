package schema_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/csat-dev/csat/schema"
)

func TestReasons(t *testing.T) {
	want := []string{"malformed_json", "missing_field", "invalid_field", "unknown_type", "wrong_topic",
		"unsupported_version", "unknown_item", "too_large", "out_of_range_time"}
	got := schema.Reasons()
	if len(got) != len(want) {
		t.Fatalf("Reasons() = %v, want %v", got, want)
	}
	for i, r := range got {
		if string(r) != want[i] || !r.Valid() {
			t.Errorf("Reasons()[%d] = %q (valid %v), want %q", i, r, r.Valid(), want[i])
		}
	}
	if schema.Reason("timeout").Valid() {
		t.Error(`Reason("timeout").Valid() = true`)
	}
}

func TestRejectionError(t *testing.T) {
	var err error = &schema.Rejection{Reason: schema.ReasonMissingField, Detail: `missing field "carrier"`}
	wrapped := fmt.Errorf("decode offset 7: %w", err)
	if got, want := err.Error(), `missing_field: missing field "carrier"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(wrapped, &schema.Rejection{Reason: schema.ReasonMissingField}) {
		t.Error("errors.Is by reason failed")
	}
	if errors.Is(wrapped, &schema.Rejection{Reason: schema.ReasonInvalidField}) {
		t.Error("errors.Is matched another reason")
	}
	if errors.Is(wrapped, &schema.Rejection{Reason: schema.ReasonMissingField, Detail: "other"}) {
		t.Error("errors.Is matched another detail")
	}
	if r := schema.AsRejection(wrapped); r == nil || r.Reason != schema.ReasonMissingField {
		t.Errorf("AsRejection = %v", r)
	}
	if r := schema.AsRejection(errors.New("x")); r != nil {
		t.Errorf("AsRejection(plain error) = %v", r)
	}
}
