package schema

import (
	"time"
	"unsafe"
)

// Arena supplies the memory of the events one goroutine decodes with Decoder.DecodeIn: events
// of the frequent types (ratings and survey responses), their item lists and the bytes of their
// strings are carved from blocks instead of being one to three heap objects each. A block is
// never reused: it lives as long as any event carved from it, so an event stays valid as long as
// it is referenced, as with Decode (it never aliases the message either). A live event keeps
// its blocks alive (at most eventBlock events and stringBlock bytes): an arena suits a stream of
// events that are dropped together, as ingest's chunks are.
//
// An Arena is not safe for concurrent use; its zero value is ready.
type Arena struct {
	// Now, when not zero, is the time occurred_at is checked against (at most MaxClockSkew
	// ahead) instead of the decoder's clock: a caller decoding a batch of messages reads the
	// clock once for the batch.
	Now time.Time

	// the reporting zone's offset (seconds east of UTC) and the Unix seconds [zoneStart, zoneEnd)
	// it holds for, as last looked up (monthOf)
	zone               *time.Location
	zoneOff            int64
	zoneStart, zoneEnd int64

	// the field index (-1: a field csat does not read) of each top-level key of the last
	// message, in order: the keys scanTop expects next
	keys  [24]int8
	nkeys int

	hotline []HotlineFeedback
	store   []StoreFeedback
	survey  []SurveyResponse
	items   []ItemScore
	buf     []byte
}

const (
	eventBlock  = 128  // events per block
	itemBlock   = 1024 // survey item scores per block
	stringBlock = 8192 // bytes of strings per block
)

func carve[T any](blk *[]T, size int) *T {
	if len(*blk) == cap(*blk) {
		*blk = make([]T, 0, size)
	}
	*blk = (*blk)[:len(*blk)+1]
	return &(*blk)[len(*blk)-1]
}

// newEvent returns a zeroed event of type t.
func (a *Arena) newEvent(t Type) Event {
	if a != nil {
		switch t {
		case TypeHotlineFeedback:
			return carve(&a.hotline, eventBlock)
		case TypeStoreFeedback:
			return carve(&a.store, eventBlock)
		case TypeSurveyResponse:
			return carve(&a.survey, eventBlock)
		}
	}
	switch t {
	case TypeSurveyResponse:
		return &SurveyResponse{}
	case TypeSurveyVoid:
		return &SurveyVoid{}
	case TypeHotlineFeedback:
		return &HotlineFeedback{}
	case TypeStoreFeedback:
		return &StoreFeedback{}
	case TypeComplaintOpened:
		return &ComplaintOpened{}
	case TypeComplaintClosed:
		return &ComplaintClosed{}
	case TypeChurn:
		return &Churn{}
	case TypeSubscriberBase:
		return &SubscriberBase{}
	case TypeInspection:
		return &Inspection{}
	case TypeScoreReported:
		return &ScoreReported{}
	case TypeAdjustment:
		return &Adjustment{}
	case TypeAdjustmentVoid:
		return &AdjustmentVoid{}
	}
	return nil
}

// itemScores returns an empty slice with room for n item scores.
func (a *Arena) itemScores(n int) []ItemScore {
	if a == nil {
		return make([]ItemScore, 0, n)
	}
	return carveN(&a.items, n, itemBlock)[:0]
}

// strings returns n bytes of string space: written once by the caller, then only read through
// strings made by str.
func (a *Arena) strings(n int) []byte { return carveN(&a.buf, n, stringBlock) }

// carveN returns n elements carved from the block *blk (a new block of size when it has no room
// left), their capacity capped at n so that appending to them cannot reach the next carving.
// More than a quarter of a block is allocated on its own.
func carveN[T any](blk *[]T, n, size int) []T {
	if n > size/4 {
		return make([]T, n)
	}
	if cap(*blk)-len(*blk) < n {
		*blk = make([]T, 0, size)
	}
	l := len(*blk)
	*blk = (*blk)[:l+n]
	return (*blk)[l : l+n : l+n]
}

// str is b as a string without a copy; b must not change afterwards.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
