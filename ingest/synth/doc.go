// Package synth generates a realistic, deterministic stream of csat events (SPEC §2) for demos,
// load and end-to-end tests: the exact wire JSON (schema_version 1, occurred_at with a +08:00
// offset), keyed by branch id, for a hierarchy of provinces, cities and counties with Chinese
// names (Hierarchy).
//
// What it generates, month by month over Config.Months months ending at Config.EndMonth:
//   - subscriber_base: a month-end snapshot per county with tiers; about 8% are restated half an
//     hour later (the later snapshot wins).
//   - survey_response: the vendor's monthly wave, for the own carrier (cmcc) and two competitors
//     (ctcc, cucc): 36–60 own interviews per county, 14–22 and 12–20 per competitor, plus a direct
//     city sample whose respondents have no county (20–40 own) — a few hundred own responses per
//     city. Sampling weights by value segment, item non-response (few answer the complaint item),
//     branch effects, a small seasonality; own CSI around 81 on the 0–100 scale, competitors a
//     few points lower but better on tariffs. 85% carry an explicit wave. About 30% are
//     interviews of enterprise customers (customer_type enterprise, 集团客户), each naming one of
//     four customer managers of its city (manager_id "CM-<city>-<n>").
//   - survey_void: about 0.6% of interviews fail quality control; half of the voids are emitted
//     before the response they retract.
//   - hotline_feedback and store_feedback at about 0.8% and 0.5% of the subscribers a month.
//   - complaint_opened (≈ 1.3–3.5 per 10 000 subscribers a month by county, escalated when lodged with the
//     regulator) and complaint_closed (median 30 h later, so in the same or the next month; a
//     complaint not resolved by the end of the range stays open).
//   - churn by tier (0.8% high, 1.5% mid, 2.2% low a month, × a county factor 0.75–1.35).
//   - the front line (SPEC §5.1–5.2; frontline.go): 2–4 stores a county with 8 staff each,
//     20–39 hotline agents a city, 4 customer managers a city; every month each store's city
//     patrol and mystery-shopping inspections and one provincial inspection, score_reported for
//     the store team's components (StoreComponents), each staff member's (StaffComponents) and
//     each manager's (ManagerComponents), a few adjustments and two adjustment voids (one before
//     its adjustment, one after); complaints name the store, staff member or agent they are
//     about, and some churned high-tier customers their customer manager.
//
// About 0.2–0.3% of the messages are resent (the same bytes, so the same event_id) right after
// the original, to exercise exactly-once counting.
//
// Three front-line stories are planted in the last three months (FrontlineStories): a store whose
// mystery shopping collapses (the lowest city inspection of all stores), a clerk whom the
// county's service complaints name (the most complaints of their store's staff) and a hotline
// agent whose waits grow (the longest average wait of their city's agents). They change the
// version-1 stream only where they must: the agent's wait_seconds and the complaints' new
// attribution fields; every other draw is its own.
//
// Three stories are planted in the last months (Stories, and the Story* constants document the
// magnitudes): a city's network score falling significantly three months in a row, a small-sample
// county whose CSI falls three months in a row within sampling noise (watch), and a city whose lead
// over a competitor turns negative (lead_lost). The generator holds them on the realized data, not
// only in expectation: it draws a city's survey wave again (deterministically, with the next
// attempt number) until the stories hold, and redraws a province's cities (or all cities) until
// the provinces and the company hold too. The same guards keep the rest of the data free of
// unplanted signals: no significant decline streak, no decline streak at all of the CSI, the lead
// or the window satisfaction, and no lead below +1 at any branch and level, except where a story
// moves the value (the declining item also falls in the city's counties, its province and the
// company). Items still show a few watch streaks: that is what sampling noise does.
//
// Same Config (Seed, Months, EndMonth, Scale, Volume) → byte-identical stream. Generate streams
// to a callback and holds one month of survey waves and window ratings at a time; Run publishes
// to a Sink (for example *publish.Publisher) with an optional rate limit.
package synth
