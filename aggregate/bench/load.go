// Package bench is the national benchmark of the KPI engine (issue 4, "Performance"): Load fills
// the raw tables of an empty ClickHouse database directly with a generated national data set
// (31 provinces, ~370 cities, ~3,000 counties, 24 months; at Scale 1: 2 million survey responses
// from 3 carriers, 50 million hotline and store ratings, 1 million complaints, 2 million churn
// events, and a subscriber snapshot per county and month) and rebuilds the projections; Run
// times the read operations and a one-month rebuild and prints p50/p95 against the targets.
//
// The data are pseudo-random from Config.Seed, so two loads with the same Config are equal.
// Events name counties only, so every parent's additive statistics are exactly the sum of its
// children's (a test uses this). About 1 % of survey responses and 0.5 % of ratings are resent
// under a new offset, and 0.3 % of responses are voided, so deduplication and voids are
// exercised at scale.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

// Full-scale sizes (Scale = 1).
const (
	fullSurvey     = 2_000_000
	fullRatings    = 50_000_000 // 60 % hotline, 40 % store
	fullComplaints = 1_000_000
	fullChurn      = 2_000_000
)

// Config sizes and shapes the benchmark.
type Config struct {
	// Scale multiplies the event counts (not the hierarchy or the monthly snapshots): 1 is the
	// national data set, 0.1 a tenth of it. Default 1.
	Scale float64
	// Months is the number of months of data, ending at LastMonth. Default 24.
	Months int
	// LastMonth is the last month of data; Run queries it. Default 2026-10.
	LastMonth schema.Month
	// Seed makes the data reproducible. Default 1.
	Seed uint64
	// BatchRows is the number of rows per INSERT. Default 200,000.
	BatchRows int
	// Runs is the number of timed repetitions of each read operation. Default 20.
	Runs int
	// RebuildRuns is the number of timed one-month rebuilds. Default 3.
	RebuildRuns int
	// Catalog is the survey item catalog. Default schema.DefaultCatalog().
	Catalog schema.Catalog
	// SLAHours is CSAT_COMPLAINT_SLA_HOURS for the projector. Default 48.
	SLAHours float64
	// Projector, when set, is used by Load to rebuild and by Run to time a one-month rebuild
	// (nil: Load builds its own over the connection; Run skips the rebuild).
	Projector *aggregate.Projector
	// Only, when set, makes Run time only the operations whose name contains one of its
	// comma-separated words (e.g. "league,unit card,rebuild").
	Only string
}

// DefaultConfig returns the full-scale configuration.
func DefaultConfig() Config {
	return Config{Scale: 1, Months: 24, LastMonth: 202610, Seed: 1, BatchRows: 200_000, Runs: 20, RebuildRuns: 3,
		Catalog: schema.DefaultCatalog(), SLAHours: 48}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if !(c.Scale > 0) || c.Scale > 100 {
		errs = append(errs, fmt.Errorf("scale %v: want > 0 and ≤ 100", c.Scale))
	}
	if c.Months < 1 || c.Months > 120 {
		errs = append(errs, fmt.Errorf("months %d: want 1–120", c.Months))
	}
	if !c.LastMonth.Valid() {
		errs = append(errs, fmt.Errorf("last month %d: not a month", uint32(c.LastMonth)))
	}
	if c.BatchRows < 1 {
		errs = append(errs, fmt.Errorf("batch rows %d: want ≥ 1", c.BatchRows))
	}
	if c.Runs < 1 || c.RebuildRuns < 0 {
		errs = append(errs, fmt.Errorf("runs %d, rebuild runs %d: want ≥ 1 and ≥ 0", c.Runs, c.RebuildRuns))
	}
	if err := c.Catalog.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("catalog: %w", err))
	}
	return errors.Join(errs...)
}

func (c Config) count(full int) int { return int(math.Round(float64(full) * c.Scale)) }

// Load fills the raw tables of conn's database, which must hold no raw events, with the data
// set of cfg, then rebuilds every month's projections and checkpoints the last month at each
// midnight (the bases of fast as-of reads). It prints progress to out.
func Load(ctx context.Context, conn driver.Conn, cfg Config, out io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("bench config: %w", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+store.SurveyResponses.Name()).Scan(&n); err != nil {
		return fmt.Errorf("check survey_responses is empty: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("survey_responses already holds %d rows: load into an empty database", n)
	}
	l := &loader{conn: conn, cfg: cfg, out: out, h: newHierarchy(rand.New(rand.NewPCG(cfg.Seed, 0))), now: time.Now().UTC().Truncate(time.Second)}
	fmt.Fprintf(out, "hierarchy: %d provinces, %d cities, %d counties; %d months to %s; scale %g\n",
		len(l.h.provinces), len(l.h.cities), len(l.h.counties), cfg.Months, cfg.LastMonth, cfg.Scale)
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"survey", l.survey}, {"hotline", l.hotline}, {"store", l.store},
		{"complaints", l.complaints}, {"churn", l.churn}, {"bases", l.bases},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("load %s: %w", s.name, err)
		}
		fmt.Fprintf(out, "loaded %-10s in %v\n", s.name, time.Since(start).Round(time.Millisecond))
	}
	p := cfg.Projector
	if p == nil {
		p = aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cfg.Catalog, SLAHours: cfg.SLAHours, Frontline: true}, nil, nil)
	}
	start := time.Now()
	if err := p.Rebuild(ctx, 0); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	fmt.Fprintf(out, "rebuilt %d months in %v\n", cfg.Months, time.Since(start).Round(time.Millisecond))
	// The bases of as-of reads that a deployment which ran through the last month keeps (its
	// last version of each day): a checkpoint at every midnight of the month's ingestion.
	start = time.Now()
	days, err := p.CheckpointDays(ctx, cfg.LastMonth)
	if err != nil {
		return fmt.Errorf("checkpoints of %s: %w", cfg.LastMonth, err)
	}
	fmt.Fprintf(out, "checkpointed %s at %d midnights in %v\n", cfg.LastMonth, days, time.Since(start).Round(time.Millisecond))
	return nil
}

// AsOfMoment is the moment Run's as-of reads ask for: 10:00 UTC on the 15th of the last month,
// when about half of its rows had been ingested.
func (c Config) AsOfMoment() time.Time {
	return time.Date(c.LastMonth.Year(), time.Month(c.LastMonth.Mon()), 15, 10, 0, 0, 0, time.UTC)
}

type loader struct {
	conn driver.Conn
	cfg  Config
	out  io.Writer
	h    *hierarchy
	now  time.Time // when the load started: no row is ingested after it
}

// ingestedAt is when copy c (0 the first, 1 a producer's resend) of the row of event i that
// occurred at t reached ClickHouse: 5 s to 10 min after it occurred, a resend an hour later,
// never after the load started. As-of reads at a moment inside a month see part of it, as they
// would on a deployment that ran through the month. It is derived from i alone, so the random
// streams, and with them every other value of the data set, are what they were.
func (l *loader) ingestedAt(t time.Time, i, c int) time.Time {
	h := (uint64(i)*2 + uint64(c) + 1) * 0x9e3779b97f4a7c15
	at := t.Add(time.Duration(5+(h>>32)%596)*time.Second + time.Duration(c)*time.Hour)
	if at.After(l.now) {
		return l.now
	}
	return at
}

// momentIn is when event i of a table without occurred_at (stream tells the tables apart)
// happened: a moment inside month index mi derived from i alone (see ingestedAt).
func (l *loader) momentIn(mi, i int, stream uint64) time.Time {
	m := l.cfg.month(mi)
	h := (uint64(i) + stream<<48) * 0xbf58476d1ce4e5b9
	return time.Date(m.Year(), time.Month(m.Mon()), 1, 0, 0, 0, 0, time.UTC).Add(time.Duration((h>>24)%(28*86400)) * time.Second)
}

func (l *loader) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(l.cfg.Seed, stream))
}

// when returns a time inside month index mi.
func (l *loader) when(r *rand.Rand, mi int) time.Time {
	m := l.cfg.month(mi)
	return time.Date(m.Year(), time.Month(m.Mon()), 1+r.IntN(28), r.IntN(24), r.IntN(60), 0, 0, time.UTC)
}

// columns is one batch of column slices in the order of an INSERT's column list.
type columns struct {
	table string
	names []string
	data  []any
}

func (l *loader) send(ctx context.Context, c columns) error {
	b, err := l.conn.PrepareBatch(ctx, "INSERT INTO "+c.table+" ("+strings.Join(c.names, ", ")+")")
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", c.table, err)
	}
	for i, d := range c.data {
		if err := b.Column(i).Append(d); err != nil {
			_ = b.Abort() // the Append error is the one that matters
			return fmt.Errorf("append column %s of %s: %w", c.names[i], c.table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", c.table, err)
	}
	return nil
}

var carriers = []struct {
	name   string
	share  float64 // cumulative
	offset float64 // satisfaction offset on the 1–10 scale
}{{"cmcc", 0.5, 0}, {"ctcc", 0.8, -0.15}, {"cucc", 1, -0.4}}

// customerType makes about 15 % of the interviews enterprise customers' (集团客户), chosen by
// their number so the random stream, and with it every other value of the data set, is the same
// as without it.
func customerType(i int) string {
	if uint64(i)*0x9e3779b97f4a7c15>>57 < 19 { // 19 of 128 ≈ 14.8 %
		return schema.CustomerEnterprise
	}
	return schema.CustomerConsumer
}

func (l *loader) survey(ctx context.Context) error {
	r := l.rng(1)
	total := l.cfg.count(fullSurvey)
	items := l.cfg.Catalog.Codes()
	var off int64
	var (
		ids, branches, carrierCol []string
		months                    []uint32
		occurred                  []time.Time
		weights                   []float64
		overall                   []uint8
		codes                     [][]string
		scores                    [][]uint8
		customerTypes             []string
		parts                     []int32
		offsets                   []int64
		ingested                  []time.Time
		voidIDs, voidTargets      []string
		voidBranches              []string
		voidMonths                []uint32
		voidIngested              []time.Time
	)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		err := l.send(ctx, columns{store.SurveyResponses.Name(),
			[]string{"event_id", "branch_id", "month", "occurred_at", "carrier", "weight", "overall", "item_codes", "item_scores", "customer_type", "kafka_partition", "kafka_offset", "ingested_at"},
			[]any{ids, branches, months, occurred, carrierCol, weights, overall, codes, scores, customerTypes, parts, offsets, ingested}})
		ids, branches, months, occurred, carrierCol, weights, overall, codes, scores, customerTypes, parts, offsets, ingested =
			ids[:0], branches[:0], months[:0], occurred[:0], carrierCol[:0], weights[:0], overall[:0], codes[:0], scores[:0], customerTypes[:0], parts[:0], offsets[:0], ingested[:0]
		return err
	}
	for i := range total {
		cty, mi := l.h.county(r), r.IntN(l.cfg.Months)
		x := r.Float64()
		c := 0
		for x > carriers[c].share {
			c++
		}
		id := fmt.Sprintf("s%09d", i)
		var ov uint8
		if r.Float64() < 0.9 {
			ov = l.h.score(r, cty, mi, carriers[c].offset+0.3)
		}
		var cs []string
		var ss []uint8
		for k, code := range items {
			if r.Float64() < 0.85 {
				cs = append(cs, code)
				ss = append(ss, l.h.score(r, cty, mi, carriers[c].offset+(float64(k)-4.5)*0.08))
			}
		}
		if len(cs) == 0 && ov == 0 {
			ov = 7
		}
		copies := 1
		if r.Float64() < 0.01 {
			copies = 2 // a producer's resend under a new offset
		}
		w := 0.5 + r.Float64()*1.5
		t := l.when(r, mi)
		for cp := range copies {
			off++
			ingested = append(ingested, l.ingestedAt(t, i, cp))
			ids, branches, months, occurred = append(ids, id), append(branches, l.h.counties[cty]), append(months, uint32(l.cfg.month(mi))), append(occurred, t)
			carrierCol, weights, overall = append(carrierCol, carriers[c].name), append(weights, w), append(overall, ov)
			codes, scores, parts, offsets = append(codes, cs), append(scores, ss), append(parts, int32(off%6)), append(offsets, off)
			customerTypes = append(customerTypes, customerType(i))
		}
		if r.Float64() < 0.003 {
			voidIDs = append(voidIDs, fmt.Sprintf("v%09d", i))
			voidTargets = append(voidTargets, id)
			voidBranches = append(voidBranches, l.h.counties[cty])
			voidMonths = append(voidMonths, uint32(l.cfg.month(mi)))
			voidIngested = append(voidIngested, l.ingestedAt(t.Add(48*time.Hour), i, 0)) // voided two days on
		}
		if len(ids) >= l.cfg.BatchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if len(voidIDs) == 0 {
		return nil
	}
	vp, vo := make([]int32, len(voidIDs)), make([]int64, len(voidIDs))
	for i := range vo {
		vo[i] = off + int64(i) + 1
	}
	return l.send(ctx, columns{store.SurveyVoids.Name(),
		[]string{"event_id", "branch_id", "month", "target_event_id", "kafka_partition", "kafka_offset", "ingested_at"},
		[]any{voidIDs, voidBranches, voidMonths, voidTargets, vp, vo, voidIngested}})
}

// ratings loads hotline (inStore = false) or store ratings.
func (l *loader) ratings(ctx context.Context, inStore bool) error {
	stream, share, prefix, table := uint64(2), 0.6, "h", store.HotlineFeedback.Name()
	if inStore {
		stream, share, prefix, table = 3, 0.4, "t", store.StoreFeedback.Name()
	}
	r := l.rng(stream)
	// The front line's units (issue 16: ~40,000 stores of ~7.5 staff, ~20,000 agents), drawn
	// from a stream of their own so the rest of the data set does not move: ~13 stores and ~7
	// agents per county.
	ur := l.rng(stream + 10)
	total := int(math.Round(float64(l.cfg.count(fullRatings)) * share))
	var off int64
	var (
		ids, branches []string
		months        []uint32
		occurred      []time.Time
		ratings       []uint8
		resolved      []uint8
		waits         []uint32
		parts         []int32
		offsets       []int64
		ingested      []time.Time
		units, staff  []string
	)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		var c columns
		if inStore {
			c = columns{table, []string{"event_id", "branch_id", "month", "occurred_at", "rating", "wait_seconds", "kafka_partition", "kafka_offset", "store_id", "staff_id", "ingested_at"},
				[]any{ids, branches, months, occurred, ratings, waits, parts, offsets, units, staff, ingested}}
		} else {
			c = columns{table, []string{"event_id", "branch_id", "month", "occurred_at", "rating", "resolved", "wait_seconds", "kafka_partition", "kafka_offset", "agent_id", "ingested_at"},
				[]any{ids, branches, months, occurred, ratings, resolved, waits, parts, offsets, units, ingested}}
		}
		err := l.send(ctx, c)
		ids, branches, months, occurred, ratings, resolved, waits, parts, offsets, units, staff, ingested =
			ids[:0], branches[:0], months[:0], occurred[:0], ratings[:0], resolved[:0], waits[:0], parts[:0], offsets[:0], units[:0], staff[:0], ingested[:0]
		return err
	}
	meanWait := 25.0
	if inStore {
		meanWait = 300
	}
	for i := range total {
		cty, mi := l.h.county(r), r.IntN(l.cfg.Months)
		rt := l.h.rating(r, cty, mi)
		var res uint8
		if r.Float64() < 0.4+0.1*float64(rt) {
			res = 1
		}
		wait := uint32(r.ExpFloat64() * meanWait)
		copies := 1
		if r.Float64() < 0.005 {
			copies = 2
		}
		id := fmt.Sprintf("%s%010d", prefix, i)
		t := l.when(r, mi)
		var unit, clerk string
		if inStore {
			unit = fmt.Sprintf("S%s-%02d", l.h.counties[cty], ur.IntN(13))
			clerk = fmt.Sprintf("%s-E%d", unit, ur.IntN(8))
		} else {
			unit = fmt.Sprintf("A%s-%d", l.h.counties[cty], ur.IntN(7))
		}
		for cp := range copies {
			ingested = append(ingested, l.ingestedAt(t, i, cp))
			units = append(units, unit)
			if inStore {
				staff = append(staff, clerk)
			}
			off++
			ids, branches, months, occurred = append(ids, id), append(branches, l.h.counties[cty]), append(months, uint32(l.cfg.month(mi))), append(occurred, t)
			ratings, resolved, waits, parts, offsets = append(ratings, rt), append(resolved, res), append(waits, wait), append(parts, int32(off%6)), append(offsets, off)
		}
		if len(ids) >= l.cfg.BatchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func (l *loader) hotline(ctx context.Context) error { return l.ratings(ctx, false) }
func (l *loader) store(ctx context.Context) error   { return l.ratings(ctx, true) }

func (l *loader) complaints(ctx context.Context) error {
	r := l.rng(4)
	total := l.cfg.count(fullComplaints)
	var (
		oIDs, oBranches, oCIDs []string
		oMonths                []uint32
		oEsc                   []uint8
		oOff                   []int64
		oIng                   []time.Time
		cIDs, cBranches, cCIDs []string
		cMonths                []uint32
		cHours                 []float64
		cSat                   []int8
		cOff                   []int64
		cIng                   []time.Time
	)
	flush := func() error {
		if len(oIDs) > 0 {
			if err := l.send(ctx, columns{store.ComplaintsOpened.Name(),
				[]string{"event_id", "branch_id", "month", "complaint_id", "escalated", "kafka_offset", "ingested_at"},
				[]any{oIDs, oBranches, oMonths, oCIDs, oEsc, oOff, oIng}}); err != nil {
				return err
			}
		}
		if len(cIDs) > 0 {
			if err := l.send(ctx, columns{store.ComplaintsClosed.Name(),
				[]string{"event_id", "branch_id", "month", "complaint_id", "resolution_hours", "satisfied", "kafka_offset", "ingested_at"},
				[]any{cIDs, cBranches, cMonths, cCIDs, cHours, cSat, cOff, cIng}}); err != nil {
				return err
			}
		}
		oIDs, oBranches, oCIDs, oMonths, oEsc, oOff, oIng = oIDs[:0], oBranches[:0], oCIDs[:0], oMonths[:0], oEsc[:0], oOff[:0], oIng[:0]
		cIDs, cBranches, cCIDs, cMonths, cHours, cSat, cOff, cIng = cIDs[:0], cBranches[:0], cCIDs[:0], cMonths[:0], cHours[:0], cSat[:0], cOff[:0], cIng[:0]
		return nil
	}
	for i := range total {
		cty, mi := l.h.county(r), r.IntN(l.cfg.Months)
		cid := fmt.Sprintf("c%09d", i)
		var esc uint8
		if r.Float64() < 0.03 {
			esc = 1
		}
		oIDs, oBranches, oCIDs, oMonths, oEsc, oOff = append(oIDs, "o"+cid), append(oBranches, l.h.counties[cty]), append(oCIDs, cid),
			append(oMonths, uint32(l.cfg.month(mi))), append(oEsc, esc), append(oOff, int64(i))
		oIng = append(oIng, l.ingestedAt(l.momentIn(mi, i, 4), i, 0))
		if r.Float64() < 0.9 {
			cmi := mi
			if r.Float64() < 0.3 && mi+1 < l.cfg.Months {
				cmi = mi + 1
			}
			sat := int8(-1)
			if r.Float64() < 0.7 {
				sat = 0
				if r.Float64() < 0.75 {
					sat = 1
				}
			}
			cIDs, cBranches, cCIDs, cMonths = append(cIDs, "k"+cid), append(cBranches, l.h.counties[cty]), append(cCIDs, cid), append(cMonths, uint32(l.cfg.month(cmi)))
			cHours, cSat, cOff = append(cHours, r.ExpFloat64()*30), append(cSat, sat), append(cOff, int64(i))
			cIng = append(cIng, l.ingestedAt(l.momentIn(cmi, i, 7), i, 0))
		}
		if len(oIDs) >= l.cfg.BatchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

var tiers = []string{"high", "mid", "low"}

func (l *loader) churn(ctx context.Context) error {
	r := l.rng(5)
	total := l.cfg.count(fullChurn)
	var (
		ids, branches, tierCol []string
		months                 []uint32
		offsets                []int64
		ingested               []time.Time
	)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		err := l.send(ctx, columns{store.ChurnEvents.Name(), []string{"event_id", "branch_id", "month", "tier", "kafka_offset", "ingested_at"},
			[]any{ids, branches, months, tierCol, offsets, ingested}})
		ids, branches, tierCol, months, offsets, ingested = ids[:0], branches[:0], tierCol[:0], months[:0], offsets[:0], ingested[:0]
		return err
	}
	for i := range total {
		cty, mi := l.h.county(r), r.IntN(l.cfg.Months)
		x, t := r.Float64(), 2
		switch {
		case x < 0.15:
			t = 0
		case x < 0.5:
			t = 1
		}
		ids, branches, tierCol = append(ids, fmt.Sprintf("x%09d", i)), append(branches, l.h.counties[cty]), append(tierCol, tiers[t])
		months, offsets = append(months, uint32(l.cfg.month(mi))), append(offsets, int64(i))
		ingested = append(ingested, l.ingestedAt(l.momentIn(mi, i, 5), i, 0))
		if len(ids) >= l.cfg.BatchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// bases writes one snapshot per county and month (2 % of them with an earlier, superseded one).
func (l *loader) bases(ctx context.Context) error {
	r := l.rng(6)
	var (
		ids, branches []string
		months        []uint32
		occurred      []time.Time
		subs, h, m, o []uint64
		hasTiers      []uint8
		offsets       []int64
		ingested      []time.Time
	)
	add := func(id string, cty, mi int, t time.Time, s uint64) {
		ids, branches, months, occurred = append(ids, id), append(branches, l.h.counties[cty]), append(months, uint32(l.cfg.month(mi))), append(occurred, t)
		hi, mid := s/10, s*3/10
		subs, h, m, o, hasTiers = append(subs, s), append(h, hi), append(m, mid), append(o, s-hi-mid), append(hasTiers, 1)
		ingested = append(ingested, l.ingestedAt(t, len(offsets), 0))
		offsets = append(offsets, int64(len(offsets)))
	}
	for mi := range l.cfg.Months {
		for cty := range l.h.counties {
			s := uint64(l.h.weight[cty] * 120_000 * (1 + 0.002*float64(mi)))
			t := l.when(r, mi)
			if r.Float64() < 0.02 {
				add(fmt.Sprintf("b%d-%d-old", mi, cty), cty, mi, t.Add(-time.Hour), s/2)
			}
			add(fmt.Sprintf("b%d-%d", mi, cty), cty, mi, t, s)
		}
	}
	return l.send(ctx, columns{store.SubscriberBases.Name(),
		[]string{"event_id", "branch_id", "month", "occurred_at", "subscribers", "has_tiers", "tier_high", "tier_mid", "tier_low", "kafka_offset", "ingested_at"},
		[]any{ids, branches, months, occurred, subs, hasTiers, h, m, o, offsets, ingested}})
}
