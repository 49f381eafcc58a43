// Package kpi is the KPI math of SPEC §3 as pure functions: item scores and the composite
// satisfaction index (CSI) with their margins of error, competitor leads, short planks, window
// service, complaints, churn, the subscriber-base rule, metric extraction (SPEC §4 metric names),
// the scorecard (考核) and the alert rules; and the front line of SPEC §5.2: unit cards, their
// empirical-Bayes smoothing and the front-line schemes (scheme.go, unitscore.go;
// docs/design/frontline-schemes.md).
//
// Inputs are the additive sufficient statistics of stats.go (MonthData), as the projections in
// ClickHouse hold them for one branch's whole subtree and one month. Nothing here does I/O except
// LoadScorecard, LoadFrontlineSchemes, OpenFrontlineSchemes and LoadRoster, which read one file;
// nothing blocks, logs or keeps state. The same inputs always give the same outputs, including the order of every list and map key in the JSON.
//
// The JSON shapes of Card, Value, Lead, Alert and ScorecardResult are those of SPEC §4; where
// SPEC is silent the choice is documented on the type.
package kpi
