// Package aggregate is the ClickHouse side of csat's KPIs: the projector that recomputes
// per-month, versioned rollups (kpi_survey, kpi_window, kpi_complaints, kpi_churn, kpi_base)
// from the raw event tables, the loaders that read those rollups back as kpi.MonthData, and the
// read operations (card, trend, compare, alerts, scorecard, branches) of SPEC §4 used by the CLI
// and HTTP.
//
// Exactness: every recompute reads the raw tables of one (family, month) in full, counts each
// event_id once, excludes voided survey responses whatever the order of arrival, and writes the
// statistics of every branch at every level (ALL, provinces, cities, counties) under a new
// version; readers only ever see committed versions. A recompute is therefore idempotent and
// `Rebuild` gives the same numbers as the incremental path (see DESIGN.md).
//
// The KPI math itself is in aggregate/kpi and does no I/O. Projector and Engine methods block on
// ClickHouse and honour their context; they are safe for concurrent use, and every goroutine
// they start has returned when they return. The only long-lived goroutines are a Warmer's,
// owned by its Run (DESIGN.md, "Who owns what").
package aggregate
