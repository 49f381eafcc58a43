// Package api is the HTTP read side of csat (`csat serve`): the JSON API of SPEC §4 under
// /api/v1/, its OpenAPI 3 document, branch-scoped bearer tokens, the embedded web dashboard at /,
// /healthz, /readyz and /metrics with KPI gauges.
//
// It reads through the Reader interface, typed with aggregate's own results, and never talks to
// ClickHouse itself; EngineReader serves an *aggregate.Engine (and its Warmer) through it.
// Guarantees:
//
//   - Every /api/v1 response is JSON, errors included (an unknown /api/ path is 404, a method
//     other than GET or HEAD 405). A bad parameter (malformed month, unknown branch or metric,
//     from after to, as_of before the data) is HTTP 400 {"error": "...", "param": "<name>"},
//     an *aggregate.ParamError whichever side found it; a value of the request is quoted back
//     at most 64 bytes long and a message at most 512. A missing or wrong token is 401, a branch
//     outside the token's subtree 403 (checked before the Reader is asked, so a token cannot
//     probe which branches exist outside its scope); a panic in a handler is caught and
//     answered 500.
//   - No request is held longer than CSAT_API_REQUEST_TIMEOUT: a read not done by then, or one
//     that fails because ClickHouse is unavailable, stalled or overloaded (aggregate.Unavailable),
//     is answered 503 with Retry-After. as_of reads (seconds of ClickHouse each) run at most
//     CSAT_API_ASOF_PER_CALLER per token (429 beyond) and CSAT_API_ASOF_CONCURRENCY in all.
//   - A card's drivers block pools an ancestor's responses: a token scoped below that ancestor
//     gets it without the pool's n and r2 (kpi.Drivers.Scoped).
//   - With tokens configured, every data endpoint is scoped: kpi, trend and scorecard by branch,
//     compare by parent, alerts by branch (default ALL), branches is filtered to the token's
//     subtree, and /metrics requires a token scoped to ALL (it carries every branch's KPIs).
//   - The front line (UnitReader: /api/v1/rank?unit=, /api/v1/unit): a branch token reads the
//     stores, agents and managers placed in its subtree over the period and the staff of the
//     stores placed there; a token scoped to a store of a branch (GD-SZ-NS/store:S123, SPEC
//     §5.5) reads that branch's own card, trend, alerts and scorecard, the store's card and its
//     staff for the periods in which the store is placed at that branch, and gets 403 from
//     compare, funnel and every ranking but its own store's staff. Staff data never reaches a
//     token whose scope does not hold the staff member's store. Every route has a recorded
//     decision for store tokens (TestStoreTokenEveryRoute over APIPaths).
//     The dashboard's static files, /api/v1/openapi.json, /healthz and /readyz are open.
//   - Static assets are embedded, gzip-compressed once at start, served with ETags.
//
// Run owns the HTTP server, the KPI gauge refresher and the goroutines that run API reads; all
// stop when its context is cancelled (the server after a graceful shutdown of at most
// ShutdownTimeout), and Run returns once they have.
package api
