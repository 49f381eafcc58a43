package main

import (
	"fmt"
	"strings"

	"github.com/csat-dev/csat/schema"
)

// examples holds one or more example invocations of every command, printed by `csat CMD -h`
// (TestEveryCommandHasAnExample keeps the list complete).
var examples = map[string]string{
	"bench":     "  csat bench ingest --events 1000000\n  csat bench kpi --load --scale 0.1",
	"branches":  "  csat branches            # every known branch, with names\n  csat branches 广州        # search by Chinese name\n  csat branches GD-SZ      # search by id prefix",
	"compare":   "  csat compare --parent GD --month 2026-10 --metric complaint_rate\n  csat compare --parent 广东 --month 2026-10 --metric item:network --xlsx 广东-网络.xlsx",
	"alerts":    "  csat alerts --month 2026-10 --branch 深圳\n  csat alerts --month 2026-10 --csv alerts-2026-10.csv",
	"demo":      "  csat demo\n  CSAT_CLICKHOUSE_ADDR=127.0.0.1:9000 CSAT_CLICKHOUSE_DATABASE=csat_demo csat demo --exit",
	"dlq":       "  csat dlq list --per day\n  csat dlq replay --reason unknown_item --since 7d --dry-run",
	"funnel":    "  csat funnel --parent GD --month 2026-10 --metric churn_rate",
	"gen":       "  csat gen --months 12 > events.ndjson",
	"import":    "  csat import --mapping vendor.yaml --dry-run survey-2026-10.xlsx",
	"ingest":    "  csat ingest\n  csat ingest --drain      # read what is on the topics now, then exit",
	"kpi":       "  csat kpi --branch GD-GZ --month 2026-10\n  csat kpi --branch 广州 --month 2026-10 --json",
	"migrate":   "  CSAT_CLICKHOUSE_DATABASE=csat csat migrate",
	"notify":    "  CSAT_ALERTMANAGER_URL=http://alertmanager:9093 CSAT_EXTERNAL_URL=https://csat.example.com/ csat notify\n  CSAT_ALERTMANAGER_URL=http://127.0.0.1:9093 csat notify --once\n  CSAT_DINGTALK_WEBHOOK_URL='https://oapi.dingtalk.com/robot/send?access_token=…' CSAT_DINGTALK_SECRET=SEC… csat notify --dingtalk",
	"publish":   "  csat publish --topic csat.survey < survey.ndjson",
	"rank":      "  csat rank --level city --parent GD --period 2026-Q3\n  csat rank --level county --parent 深圳 --period 2026-Q3 --xlsx 深圳-区县排名.xlsx\n  csat rank --level province --period 2026 --metric csi --json\n  csat rank --unit store --parent GD-SZ --period 2026-11\n  csat rank --unit staff --store S123 --period 2026-Q4 --metric net_score\n  csat rank --unit agent --parent 广州 --period 2026-11 --metric avg_wait",
	"rebuild":   "  csat rebuild --month 2026-10",
	"report":    "  csat report --branch GD-SZ --month 2026-10 > 深圳-2026-10.html\n  csat report --branch 深圳 --month 2026-10 --out 深圳.html --pdf 深圳.pdf",
	"scorecard": "  csat scorecard --branch GD-GZ --period 2026-Q3\n  csat scorecard --branch 广州 --period 2026-Q3 --xlsx 广州-2026Q3.xlsx",
	"serve":     "  CSAT_HTTP_ADDR=:8080 csat serve",
	"token":     "  csat token new --name shenzhen --scope GD-SZ\n  csat token new --name nanshan-s123 --scope GD-SZ-NS/store:S123",
	"trend":     "  csat trend --branch GD-SZ --metric item:network          # the last 13 months\n  csat trend --branch 深圳 --metric complaint_rate --from 2026-01 --to 2026-10",
	"unit":      "  csat unit --store S123 --period 2026-11\n  csat unit --staff E0042 --period 2026-Q4 --trend\n  csat unit --agent A7 --period 2026-11 --json",
	"validate":  "  csat validate --topic csat.survey < events.ndjson",
}

// metricHelp lists the metric names with the item codes of the default catalog and their
// Chinese names (a configured catalog may add others).
func metricHelp() string {
	var b strings.Builder
	b.WriteString(`Metrics: csi, overall, item:<code>, lead, item_lead:<code>, spi, short_plank_improvement,
window_satisfaction, hotline_satisfaction, store_satisfaction, complaint_rate (lower is better),
escalated_rate (lower), complaint_sla_rate, churn_rate (lower), high_value_churn_rate (lower),
retention_rate, score.

Item codes (the default catalog; CSAT_CATALOG_FILE may change them):
`)
	for _, it := range schema.DefaultCatalog().Items {
		fmt.Fprintf(&b, "  %-10s %s\n", it.Code, it.Name)
	}
	return b.String()
}

// didYouMean returns ` (did you mean "x"?)` for the command closest to a mistyped one, or "".
func didYouMean(name string) string {
	best, bestD := "", 3 // at most two edits away
	for n := range commands {
		d := editDistance(strings.ToLower(name), n)
		if strings.HasPrefix(n, strings.ToLower(name)) && len(name) >= 2 {
			d = 1
		}
		if d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
