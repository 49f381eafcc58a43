// Package stat is the statistics that go beyond the rule book of SPEC §3 (issue 8), as pure
// functions: small-area estimates (Fay–Herriot empirical Bayes), one-sided p-values and
// Benjamini–Hochberg q-values for calibrated alerts, an EWMA drift chart, key drivers by
// relative weights (Johnson 2000) from additive cross moments, a priority list of short planks,
// and funnel plots for rates with an over-dispersion correction.
//
// Nothing here does I/O, blocks, logs or keeps state; the same inputs always give the same
// outputs. Unknown numbers are NaN (the callers turn them into JSON null); no function panics on
// bad input: it returns NaN, an empty result or an error, as documented on each function.
//
// The package imports nothing of csat: the KPI math in aggregate/kpi may call it. The formulas
// and every choice where the literature offers several are documented on the functions; the
// simulation study that calibrated the alert rules is in the simstudy subpackage.
package stat
