package kpi

// The inputs of the KPI math: additive sufficient statistics, as the projections in ClickHouse
// hold them (schema/migrations/0002_projections.sql) for one branch (its whole subtree) and month.
// Adding the statistics of two disjoint sets of events gives the statistics of their union.

// Item keys of SurveyStats besides the catalog codes.
const (
	ItemCSI     = "_csi"     // the per-response composite y of SPEC §3.3
	ItemOverall = "_overall" // the overall question
	// EnterprisePrefix marks the moments of the enterprise interviews (customer_type
	// enterprise, 集团客户) alone: "ent:network", "ent:_csi", … They are a subset of the
	// responses the unprefixed keys already count (SPEC §5.5: v1 values keep using all
	// responses). Catalog codes cannot contain ':'.
	EnterprisePrefix = "ent:"
)

// Moments summarises weighted values x on the 0–100 scale (x' of SPEC §3.1).
type Moments struct {
	N    uint64  // responses
	SW   float64 // Σ w
	SW2  float64 // Σ w²
	SWX  float64 // Σ w·x
	SWX2 float64 // Σ w·x²
}

// Add returns the moments of the union.
func (m Moments) Add(o Moments) Moments {
	return Moments{N: m.N + o.N, SW: m.SW + o.SW, SW2: m.SW2 + o.SW2, SWX: m.SWX + o.SWX, SWX2: m.SWX2 + o.SWX2}
}

// SurveyStats holds Moments by carrier, then by item key (catalog code, ItemCSI or ItemOverall).
type SurveyStats map[string]map[string]Moments

// Window holds hotline and store rating counts.
type Window struct {
	HotlineN         uint64
	HotlineSatisfied uint64 // rating ≥ 4
	HotlineResolved  uint64
	HotlineWaitSum   uint64 // seconds
	HotlineSL20      uint64 // wait_seconds ≤ 20
	HotlineHandleSum uint64 // seconds
	StoreN           uint64
	StoreSatisfied   uint64 // rating ≥ 4
	StoreWaitSum     uint64 // seconds
}

// Complaints holds complaint counts; closed figures are for complaints closed in the month.
type Complaints struct {
	Opened             uint64
	Escalated          uint64
	Closed             uint64
	ClosedWithinSLA    uint64
	ResolutionHoursSum float64
	CallbackN          uint64 // closed with a satisfied outcome present
	CallbackSatisfied  uint64
}

// ChurnCounts holds churn events by tier.
type ChurnCounts struct {
	Churned, High, Mid, Low uint64
}

// Tiers splits a subscriber base by value tier.
type Tiers struct {
	High uint64 `json:"high"`
	Mid  uint64 `json:"mid"`
	Low  uint64 `json:"low"`
}

// Snapshot is the winning subscriber snapshot a branch has of its own for a month.
type Snapshot struct {
	Subscribers uint64
	Tiers       *Tiers // nil when the snapshot had none
}

// Base is the resolved subscriber base of a branch (SPEC §2.2): its own snapshot, else the sum
// of its children's bases. Tiers is nil when unknown. It marshals to SPEC §4's
// {"subscribers", "tiers": {"high", "mid", "low"}}, tiers null when unknown.
type Base struct {
	Subscribers uint64 `json:"subscribers"`
	Tiers       *Tiers `json:"tiers"`
}

// StoreRatings are one store's counter ratings in a branch's subtree and month: the input of
// the store spread (SPEC §5.3, §5.5).
type StoreRatings struct {
	N         uint64 // ratings
	Satisfied uint64 // rating ≥ 4
}

// MonthData is everything the KPI math needs about one branch (whole subtree) and one month.
type MonthData struct {
	Survey     SurveyStats
	Window     Window
	Complaints Complaints
	Churn      ChurnCounts
	Base       *Base // nil when neither the branch nor any descendant has a snapshot
	// Stores holds the ratings of each store (by store_id) under the branch in the month; nil
	// when not loaded (the store spread is then null).
	Stores map[string]StoreRatings
}

// Add returns the statistics of the union: a new map; neither s nor o is modified.
func (s SurveyStats) Add(o SurveyStats) SurveyStats {
	out := make(SurveyStats, len(s)+len(o))
	for _, src := range []SurveyStats{s, o} {
		for carrier, items := range src {
			dst := out[carrier]
			if dst == nil {
				dst = make(map[string]Moments, len(items))
				out[carrier] = dst
			}
			for item, m := range items {
				dst[item] = dst[item].Add(m)
			}
		}
	}
	return out
}

// Add returns the counts of the union.
func (w Window) Add(o Window) Window {
	return Window{
		HotlineN: w.HotlineN + o.HotlineN, HotlineSatisfied: w.HotlineSatisfied + o.HotlineSatisfied,
		HotlineResolved: w.HotlineResolved + o.HotlineResolved, HotlineWaitSum: w.HotlineWaitSum + o.HotlineWaitSum,
		HotlineSL20: w.HotlineSL20 + o.HotlineSL20, HotlineHandleSum: w.HotlineHandleSum + o.HotlineHandleSum,
		StoreN:         w.StoreN + o.StoreN,
		StoreSatisfied: w.StoreSatisfied + o.StoreSatisfied, StoreWaitSum: w.StoreWaitSum + o.StoreWaitSum,
	}
}

// Add returns the counts of the union.
func (c Complaints) Add(o Complaints) Complaints {
	return Complaints{
		Opened: c.Opened + o.Opened, Escalated: c.Escalated + o.Escalated, Closed: c.Closed + o.Closed,
		ClosedWithinSLA: c.ClosedWithinSLA + o.ClosedWithinSLA, ResolutionHoursSum: c.ResolutionHoursSum + o.ResolutionHoursSum,
		CallbackN: c.CallbackN + o.CallbackN, CallbackSatisfied: c.CallbackSatisfied + o.CallbackSatisfied,
	}
}

// Add returns the counts of the union.
func (c ChurnCounts) Add(o ChurnCounts) ChurnCounts {
	return ChurnCounts{Churned: c.Churned + o.Churned, High: c.High + o.High, Mid: c.Mid + o.Mid, Low: c.Low + o.Low}
}
