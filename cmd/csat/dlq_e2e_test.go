package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/ingest/dlq"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestDLQReplayEndToEnd goes through real Kafka, ClickHouse and ingest with the commands an
// operator types: survey responses rated on an item the catalog does not know yet become dead
// letters; csat dlq list counts them; a replay with the old catalog publishes nothing and says
// they still fail; the catalog gains the item; a dry run publishes nothing; a replay publishes
// them to their topic and the KPI card counts them; a second replay publishes them again and
// the card still counts each response once.
func TestDLQReplayEndToEnd(t *testing.T) {
	brokers := kafkatest.Need(t)
	_, chcfg := chtest.New(t)
	tp := traffic.UniqueTopics("dlqe2e")
	kafkatest.CreateAll(t, tp, 2)
	environ := []string{
		"CSAT_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"CSAT_KAFKA_GROUP=" + traffic.Unique("dlqe2e-grp"),
		"CSAT_CLICKHOUSE_ADDR=" + strings.Join(chcfg.Addr, ","),
		"CSAT_CLICKHOUSE_DATABASE=" + chcfg.Database,
		"CSAT_TOPIC_SURVEY=" + tp.Survey, "CSAT_TOPIC_HOTLINE=" + tp.Hotline, "CSAT_TOPIC_STORE=" + tp.Store,
		"CSAT_TOPIC_COMPLAINT=" + tp.Complaint, "CSAT_TOPIC_CHURN=" + tp.Churn,
		"CSAT_TOPIC_REFERENCE=" + tp.Reference, "CSAT_TOPIC_ASSESSMENT=" + tp.Assessment, "CSAT_TOPIC_DLQ=" + tp.DLQ,
		"CSAT_KAFKA_SESSION_TIMEOUT=6s", "CSAT_LOG_LEVEL=warn",
	}
	withCatalog := append(append([]string{}, environ...), "CSAT_CATALOG_FILE="+filepath.Join("..", "..", "schema", "testdata", "catalog.yaml"))

	// 10 responses rating fiveg (unknown to the default catalog), 3 with overall 11, 4 good.
	var msgs []kafka.Message
	survey := func(id, extra string) {
		msgs = append(msgs, kafka.Message{Topic: tp.Survey, Key: []byte("GD-GZ"), Value: []byte(fmt.Sprintf(
			`{"event_id":%q,"type":"survey_response","schema_version":1,"occurred_at":"2026-10-12T10:00:00+08:00","branch_id":"GD-GZ","carrier":"cmcc",%s}`, id, extra))})
	}
	for i := range 10 {
		survey(fmt.Sprintf("five-%d", i), fmt.Sprintf(`"items":{"network":%d,"fiveg":%d}`, 5+i%5, 1+i%10))
	}
	for i := range 3 {
		survey(fmt.Sprintf("bad-%d", i), `"overall":11`)
	}
	for i := range 4 {
		survey(fmt.Sprintf("good-%d", i), `"items":{"network":9}`)
	}
	if err := traffic.Produce(context.Background(), traffic.NewWriter(brokers), msgs); err != nil {
		t.Fatal(err)
	}

	csat := func(env []string, wantCode int, args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		if code := run(ctx, args, strings.NewReader(""), &out, &errb, env); code != wantCode {
			t.Fatalf("csat %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out.String(), errb.String())
		}
		return out.Bytes()
	}
	decode := func(b []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%v in %s", err, b)
		}
	}
	surveyEnd := func() int64 {
		t.Helper()
		ends, err := traffic.EndOffsets(context.Background(), brokers, tp.Survey)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, e := range ends[tp.Survey] {
			n += e
		}
		return n
	}
	fiveg := func() (items, csi float64) {
		t.Helper()
		var card struct {
			Survey struct {
				Own struct {
					CSI   struct{ N float64 }
					Items map[string]struct{ N float64 }
				}
			}
		}
		decode(csat(withCatalog, 0, "kpi", "--branch", "GD-GZ", "--month", "2026-10", "--json"), &card)
		return card.Survey.Own.Items["fiveg"].N, card.Survey.Own.CSI.N
	}

	csat(environ, 0, "ingest", "--drain", "--no-http")

	var sum dlq.Summary
	decode(csat(environ, 0, "dlq", "list", "--json"), &sum)
	counts := map[string]int{}
	for _, g := range sum.Groups {
		counts[string(g.Reason)+" "+g.Topic] = g.Count
	}
	if sum.Read != 13 || counts["unknown_item "+tp.Survey] != 10 || counts["invalid_field "+tp.Survey] != 3 || len(counts) != 2 {
		t.Fatalf("dlq list: read %d, groups %v; want 13: 10 unknown_item, 3 invalid_field", sum.Read, counts)
	}
	decode(csat(environ, 0, "dlq", "list", "--per", "hour", "--json"), &sum)
	total := 0
	for _, g := range sum.Groups {
		if len(g.Window) != len("2006-01-02T15") {
			t.Errorf("dlq list --per hour: group %+v has no hour window", g)
		}
		total += g.Count
	}
	if total != 13 {
		t.Errorf("dlq list --per hour: %d dead letters in the groups, want 13", total)
	}
	decode(csat(environ, 0, "dlq", "list", "--reason", "invalid_field", "--since", "1h", "--json"), &sum)
	if sum.Matched != 3 {
		t.Errorf("dlq list --reason invalid_field --since 1h: matched %d, want 3", sum.Matched)
	}

	before := surveyEnd()
	var rep dlq.Report
	// The catalog does not know fiveg yet: nothing is published, and the exit status says so.
	decode(csat(environ, 1, "dlq", "replay", "--reason", "unknown_item", "--json"), &rep)
	if rep.Replayed != 0 || rep.StillFailing != 10 || len(rep.Items) != 10 || rep.Items[0].NewReason != "unknown_item" {
		t.Fatalf("replay with the old catalog: %+v, want 10 still failing", rep)
	}
	decode(csat(withCatalog, 0, "dlq", "replay", "--reason", "unknown_item", "--dry-run", "--json"), &rep)
	if !rep.DryRun || rep.Replayed != 10 || rep.StillFailing != 0 {
		t.Fatalf("dry run: %+v, want 10 to replay", rep)
	}
	if got := surveyEnd(); got != before {
		t.Fatalf("the survey topic grew from %d to %d messages without a replay", before, got)
	}

	for round := 1; round <= 2; round++ {
		decode(csat(withCatalog, 0, "dlq", "replay", "--reason", "unknown_item", "--json"), &rep)
		if rep.Replayed != 10 || rep.StillFailing != 0 || rep.Matched != 10 {
			t.Fatalf("replay %d: %+v, want 10 replayed", round, rep)
		}
		if got, want := surveyEnd(), before+int64(10*round); got != want {
			t.Fatalf("replay %d: survey topic holds %d messages, want %d", round, got, want)
		}
		csat(withCatalog, 0, "ingest", "--drain", "--no-http")
		// The 4 good responses and the 10 replayed ones, each once however often replayed.
		if items, csi := fiveg(); items != 10 || csi != 14 {
			t.Errorf("after replay %d: fiveg n = %v, csi n = %v; want 10 and 14", round, items, csi)
		}
	}
	// Nothing was replayed from the other reason, and the dead letters are still there to list.
	decode(csat(environ, 0, "dlq", "list", "--json"), &sum)
	if sum.Read != 13 {
		t.Errorf("dlq list after the replays: %d dead letters, want 13", sum.Read)
	}
}
