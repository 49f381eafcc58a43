package kpi

// Kinds returns the metric kinds in the order MetricNames lists them. With Kind.LowerIsBetter it
// is the one polarity table: the engine ranks comparisons by it, the HTTP read side serves it
// (/api/v1/metrics) and the dashboard colours arrows and words alerts with it.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }
