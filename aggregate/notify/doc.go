// Package notify delivers csat's KPI alerts (SPEC §3.11 and the drift rule) to people through
// Alertmanager: every alert of the latest months — every rule, severity and branch level,
// counties included — is pushed to Alertmanager's API v2 (POST /api/v2/alerts) of each
// configured Alertmanager, with
//
//   - labels for routing and silencing: alertname (CsatDeclineStreak, CsatDrift, CsatBelowBase,
//     CsatLeadLost), rule, severity (significant or watch), metric, branch, branch_name, province
//     and city (the branch's ancestors at levels 1 and 2, or the branch itself), month, and
//     team="service";
//   - annotations in Chinese and English (summary_zh, summary_en, description_zh,
//     description_en; summary and description are the Chinese ones) that give the months and
//     values, the drop, z and the q-value in plain words and the verdict, and dashboard_url, the
//     dashboard view of the branch and metric under CSAT_EXTERNAL_URL;
//   - endsAt: every Push sends each alert computed with endsAt = now + EndsAfter intervals, and an
//     alert it sent before that is no longer computed once with endsAt = now, so Alertmanager
//     resolves an alert when csat stops computing it, and by itself when csat stops running.
//
// Run owns its goroutines: one loop, and per round one sender per Alertmanager, all returned
// before Run returns. When the alerts cannot be computed (the database is down), the last
// computed ones are sent again: an outage never resolves alerts; csat_notify_*
// metrics (deploy/prometheus/alerts.yaml) tell the operators. A restarted process does not know
// what its predecessor sent: an alert that stopped meanwhile resolves at its endsAt.
//
// The package does not route, group, deduplicate or repeat notifications: that is
// Alertmanager's job (deploy/alertmanager has an example configuration with WeCom, e-mail and a
// route per province). Subpackage dingtalk bridges Alertmanager's webhook to DingTalk robots;
// amtest starts a real Alertmanager for tests.
package notify
