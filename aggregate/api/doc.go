// Package api is the HTTP read side of csat (`csat serve`): the JSON API of SPEC §4 under
// /api/v1/, its OpenAPI 3 document, branch-scoped bearer tokens, the embedded web dashboard at /,
// /healthz, /readyz and /metrics with KPI gauges.
//
// It reads through the small Reader interface and never talks to ClickHouse itself; cmd/csat
// passes the aggregate engine in. Guarantees:
//
//   - Every /api/v1 response is JSON. A bad parameter (malformed month, unknown branch or metric,
//     from after to) is HTTP 400 {"error": "...", "param": "<name>"}; a missing or wrong token is
//     401, a branch outside the token's subtree 403 (checked before the Reader is asked, so a
//     token cannot probe which branches exist outside its scope); a panic in a handler is caught
//     and answered 500.
//   - With tokens configured, every data endpoint is scoped: kpi, trend and scorecard by branch,
//     compare by parent, alerts by branch (default ALL), branches is filtered to the token's
//     subtree, and /metrics requires a token scoped to ALL (it carries every branch's KPIs).
//     The dashboard's static files, /api/v1/openapi.json, /healthz and /readyz are open.
//   - Static assets are embedded, gzip-compressed once at start, served with ETags.
//
// Run owns two goroutines: the HTTP server and the KPI gauge refresher; both stop when its
// context is cancelled (the server after a graceful shutdown of at most ShutdownTimeout).
package api
