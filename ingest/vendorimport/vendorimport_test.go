package vendorimport_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/publish"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/ingest/vendorimport"
	"github.com/csat-dev/csat/schema"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func mapping(t *testing.T, path string) vendorimport.Mapping {
	t.Helper()
	m, err := vendorimport.LoadMapping(path, schema.DefaultCatalog())
	if err != nil {
		t.Fatalf("LoadMapping: %v", err)
	}
	return m
}

func convert(t *testing.T, file, mappingPath string) *vendorimport.Result {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := vendorimport.Convert(data, filepath.Base(file), mapping(t, mappingPath), vendorimport.Options{Now: clock})
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return res
}

func decode(t *testing.T, ev vendorimport.Event) *schema.SurveyResponse {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d := schema.NewDecoder(schema.DefaultCatalog(), schema.DefaultTopics(), loc, schema.WithClock(clock))
	e, err := d.Decode("csat.survey", ev.Value)
	if err != nil {
		t.Fatalf("row %d: %v", ev.Row, err)
	}
	return e.(*schema.SurveyResponse)
}

func item(r *schema.SurveyResponse, code string) int {
	for _, it := range r.Items {
		if it.Code == code {
			return int(it.Score)
		}
	}
	return 0
}

type wantBad struct {
	row    int
	column string
	reason string // a substring
}

func checkBad(t *testing.T, got []vendorimport.RowError, want []wantBad) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d bad rows, want %d: %v", len(got), len(want), got)
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Row != w.row || g.Column != w.column || !strings.Contains(g.Reason, w.reason) {
			t.Errorf("bad row %d = %v, want row %d column %q reason ~ %q", i, g, w.row, w.column, w.reason)
		}
	}
}

func TestConvertCSV(t *testing.T) {
	res := convert(t, "testdata/survey-2026-10.csv", "testdata/mapping.yaml")
	if res.Rows != 16 || len(res.Events) != 9 || res.Format != "csv" {
		t.Errorf("rows %d, events %d, format %s; want 16, 9, csv", res.Rows, len(res.Events), res.Format)
	}
	checkBad(t, res.Bad, []wantBad{
		{9, "运营商", `unknown carrier "中国广电"`},
		{10, "网络质量", `score "11"`},
		{11, "地市/区县", `unknown branch "火星/某区"`},
		{12, "问卷编号", `duplicate interview id "HX2610-0004" (first in row 5)`},
		{13, "", "no score"},
		{14, "权重", `weight "-1"`},
		{15, "调查月份", `wave "2026-13"`},
	})
	byRow := map[int]*schema.SurveyResponse{}
	for _, ev := range res.Events {
		r := decode(t, ev)
		if ev.ID != r.EventID || ev.Branch != r.BranchID || !strings.HasPrefix(ev.ID, "vendor:huaxin:2026-10:HX2610-") {
			t.Errorf("row %d: event %q branch %q, decoded %q %q", ev.Row, ev.ID, ev.Branch, r.EventID, r.BranchID)
		}
		if r.Wave != schema.Month(202610) {
			t.Errorf("row %d: wave %v", ev.Row, r.Wave)
		}
		byRow[ev.Row] = r
	}
	tests := []struct {
		row                int
		id, branch, carrer string
		segment            string
		weight             float64
		overall            int
		items              map[string]int // a few
		at                 string
	}{
		{2, "vendor:huaxin:2026-10:HX2610-0001", "GD-GZ-TH", "cmcc", "high", 0.62, 9, map[string]int{"network": 9, "voice": 10, "complaint": 0}, "2026-10-08T14:30:00+08:00"},
		{3, "vendor:huaxin:2026-10:HX2610-0002", "GD-GZ-TH", "cmcc", "low", 1.25, 8, map[string]int{"network": 8, "store": 0, "hotline": 8}, "2026-10-08T15:05:00+08:00"},
		{4, "vendor:huaxin:2026-10:HX2610-0003", "GD-GZ-TH", "ctcc", "mid", 0.93, 7, map[string]int{"tariff": 8, "hotline": 0}, "2026-10-09T10:12:00+08:00"},
		{6, "vendor:huaxin:2026-10:HX2610-0005", "GD-GZ-YX", "cucc", "low", 1.31, 6, map[string]int{"data": 5}, "2026-10-10T09:20:00+08:00"},
		{7, "vendor:huaxin:2026-10:HX2610-0006", "GD-GZ", "cmcc", "low", 1.18, 8, nil, "2026-10-11T16:45:00+08:00"},
		{8, "vendor:huaxin:2026-10:HX2610-0007", "GD-SZ-NS", "cmcc", "high", 0.58, 10, map[string]int{"store": 10}, "2026-10-12T13:00:00+08:00"},
		{17, "vendor:huaxin:2026-10:HX2610-0015", "GD-SZ", "cucc", "low", 1.22, 7, nil, "2026-10-15T12:00:00+08:00"},
		{18, "vendor:huaxin:2026-10:HX2610-0016", "GD-SZ-NS", "ctcc", "high", 0.6, 6, map[string]int{"complaint": 6}, "2026-10-20T19:30:00+08:00"},
	}
	for _, tt := range tests {
		r := byRow[tt.row]
		if r == nil {
			t.Errorf("row %d: no event", tt.row)
			continue
		}
		at := r.OccurredAt.In(time.FixedZone("", 8*3600)).Format(time.RFC3339)
		if r.EventID != tt.id || r.BranchID != tt.branch || r.Carrier != tt.carrer || r.Segment != tt.segment ||
			r.Weight != tt.weight || int(r.Overall) != tt.overall || at != tt.at {
			t.Errorf("row %d: got %s %s %s %s w=%v overall=%d at=%s, want %+v", tt.row, r.EventID, r.BranchID,
				r.Carrier, r.Segment, r.Weight, r.Overall, at, tt)
		}
		for code, want := range tt.items {
			if got := item(r, code); got != want {
				t.Errorf("row %d: item %s = %d, want %d", tt.row, code, got, want)
			}
		}
	}
	if !bytes.Contains(res.Events[0].Value, []byte(`"occurred_at":"2026-10-08T14:30:00+08:00"`)) {
		t.Errorf("want occurred_at with +08:00 on the wire: %s", res.Events[0].Value)
	}
}

func TestConvertXLSX(t *testing.T) {
	res := convert(t, xlsxFixture, "testdata/mapping-xlsx.yaml")
	if res.Rows != 8 || len(res.Events) != 5 || res.Format != "xlsx" || res.Sheet != "10月明细" {
		t.Errorf("rows %d, events %d, format %s, sheet %s; want 8, 5, xlsx, 10月明细", res.Rows, len(res.Events), res.Format, res.Sheet)
	}
	checkBad(t, res.Bad, []wantBad{
		{7, "运营商", "empty carrier"},
		{8, "网络质量", `score "很好"`},
		{9, "调查日期", `time "上周二"`},
	})
	wantRows := []int{3, 4, 5, 6, 10}
	for i, ev := range res.Events {
		r := decode(t, ev)
		if ev.Row != wantRows[i] || ev.ID != "file:"+res.Digest[:12]+":"+strconv.Itoa(wantRows[i]) {
			t.Errorf("event %d: row %d id %s, want row %d", i, ev.Row, ev.ID, wantRows[i])
		}
		if r.Wave != schema.Month(202610) {
			t.Errorf("row %d: wave %v", ev.Row, r.Wave)
		}
	}
	first := decode(t, res.Events[0])
	if first.BranchID != "JS-NJ-XW" || first.Carrier != "cmcc" || first.Weight != 0.85 || first.Overall != 9 ||
		item(first, "network") != 9 || item(first, "tariff") != 7 ||
		!first.OccurredAt.Equal(time.Date(2026, 10, 9, 10, 30, 0, 0, time.FixedZone("", 8*3600))) {
		t.Errorf("row 3 = %+v", first)
	}
	if r := decode(t, res.Events[1]); item(r, "brand") != 0 || item(r, "store") != 8 || r.Carrier != "ctcc" {
		t.Errorf("row 4: 不清楚 should leave brand unanswered: %+v", r)
	}
	if r := decode(t, res.Events[3]); r.BranchID != "JS-NJ" || r.Carrier != "cucc" {
		t.Errorf("row 6: want the city JS-NJ and cucc: %+v", r)
	}
}

func TestConvertGBK(t *testing.T) {
	utf, err := os.ReadFile("testdata/survey-2026-10.csv")
	if err != nil {
		t.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.TrimPrefix(utf, []byte("\xef\xbb\xbf")))
	if err != nil {
		t.Fatal(err)
	}
	m := mapping(t, "testdata/mapping.yaml")
	if _, err := vendorimport.Convert(gbk, "gbk.csv", m, vendorimport.Options{Now: clock}); err == nil ||
		!strings.Contains(err.Error(), "encoding: gbk") {
		t.Errorf("GBK read as UTF-8: got %v, want a hint to set encoding: gbk", err)
	}
	m.Encoding = "gbk"
	got, err := vendorimport.Convert(gbk, "gbk.csv", m, vendorimport.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	want := convert(t, "testdata/survey-2026-10.csv", "testdata/mapping.yaml")
	if len(got.Events) != len(want.Events) || len(got.Bad) != len(want.Bad) {
		t.Fatalf("GBK: %d events %d bad, UTF-8: %d events %d bad", len(got.Events), len(got.Bad), len(want.Events), len(want.Bad))
	}
	for i := range got.Events {
		if !bytes.Equal(got.Events[i].Value, want.Events[i].Value) {
			t.Errorf("event %d differs:\n%s\n%s", i, got.Events[i].Value, want.Events[i].Value)
		}
	}
}

func TestMissingColumn(t *testing.T) {
	m := mapping(t, "testdata/mapping.yaml")
	m.Items["network"] = "网络满意度"
	data, _ := os.ReadFile("testdata/survey-2026-10.csv")
	_, err := vendorimport.Convert(data, "x.csv", m, vendorimport.Options{Now: clock})
	if err == nil || !strings.Contains(err.Error(), `"网络满意度" not in the header row`) {
		t.Errorf("got %v, want the missing header named", err)
	}
	m = mapping(t, "testdata/mapping-xlsx.yaml")
	m.Sheet = "Sheet9"
	data, _ = os.ReadFile(xlsxFixture)
	if _, err := vendorimport.Convert(data, "x.xlsx", m, vendorimport.Options{Now: clock}); err == nil ||
		!strings.Contains(err.Error(), "10月明细") {
		t.Errorf("got %v, want the sheets listed", err)
	}
}

func TestParseMappingErrors(t *testing.T) {
	base := "columns: {branch: 区县, carrier: 运营商}\nitems: {network: 网络}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", base + "colums: {}\n", "colums"},
		{"unknown item", "columns: {branch: 区县, carrier: 运营商}\nitems: {speed: 速度}\n", "items.speed: not in the item catalog"},
		{"no branch", "columns: {carrier: 运营商}\nitems: {network: 网络}\n", "columns.branch: required"},
		{"no carrier", "columns: {branch: 区县}\nitems: {network: 网络}\n", "columns.carrier"},
		{"no scores", "columns: {branch: 区县, carrier: 运营商}\n", "overall or at least one item"},
		{"twice", "columns: {branch: 区县, carrier: 运营商}\nitems: {network: 网络, voice: 网络}\n", "mapped twice"},
		{"bad carrier value", base + "values: {carrier: {移动: CMCC}}\n", `values.carrier["移动"]`},
		{"bad branch value", base + "values: {branch: {天河: gd-gz}}\n", "not a branch id"},
		{"bad score value", base + "values: {score: {满意: 11}}\n", "want 1–10"},
		{"id without vendor", "columns: {event_id: 编号, branch: 区县, carrier: 运营商}\nitems: {network: 网络}\n", "vendor"},
		{"bad wave", base + "defaults: {wave: 2026-13}\n", "defaults.wave"},
		{"bad format", base + "format: xls\n", "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vendorimport.ParseMapping([]byte(tt.yaml), schema.DefaultCatalog())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
	if _, err := vendorimport.ParseMapping([]byte(base), schema.DefaultCatalog()); err != nil {
		t.Errorf("minimal mapping: %v", err)
	}
}

// memSink records published messages.
type memSink struct {
	msgs    [][3]string
	flushes int
}

func (s *memSink) Publish(_ context.Context, topic string, key, value []byte) error {
	s.msgs = append(s.msgs, [3]string{topic, string(key), string(value)})
	return nil
}

func (s *memSink) Flush(context.Context) error { s.flushes++; return nil }

func TestRun(t *testing.T) {
	tests := []struct {
		name, file, mapping string
		strict, dryRun      bool
		published           int
		refused             bool
		out                 []string
	}{
		{"csv", "testdata/survey-2026-10.csv", "testdata/mapping.yaml", false, false, 9, false,
			[]string{"16 rows, 9 good, 7 bad", `row 9: column 运营商: unknown carrier "中国广电"`, "published 9 survey_response events to csat.survey"}},
		{"csv strict", "testdata/survey-2026-10.csv", "testdata/mapping.yaml", true, false, 0, true,
			[]string{"7 bad", "row 15: column 调查月份", "refused"}},
		{"xlsx", xlsxFixture, "testdata/mapping-xlsx.yaml", false, false, 5, false,
			[]string{"(sheet 10月明细): 8 rows, 5 good, 3 bad", "row 9: column 调查日期"}},
		{"xlsx strict", xlsxFixture, "testdata/mapping-xlsx.yaml", true, false, 0, true, []string{"refused"}},
		{"dry run", xlsxFixture, "testdata/mapping-xlsx.yaml", false, true, 0, false, []string{"dry run: 5 events not published"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{}
			var out bytes.Buffer
			rep, err := vendorimport.Run(context.Background(), vendorimport.Config{File: tt.file, Mapping: tt.mapping,
				Strict: tt.strict, DryRun: tt.dryRun, Now: clock}, sink, &out)
			if tt.refused != errors.Is(err, vendorimport.ErrRefused) || (!tt.refused && err != nil) {
				t.Fatalf("Run: %v (want refused=%v)", err, tt.refused)
			}
			if rep.Refused != tt.refused || rep.Published != tt.published || len(sink.msgs) != tt.published {
				t.Errorf("report %+v, sink got %d; want published %d refused %v", rep, len(sink.msgs), tt.published, tt.refused)
			}
			for _, m := range sink.msgs {
				if m[0] != "csat.survey" || !strings.Contains(m[2], `"branch_id":"`+m[1]+`"`) {
					t.Errorf("published %v", m)
				}
			}
			for _, w := range tt.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestReimportIdempotent: importing the same files again publishes the same event ids (and,
// with the same clock, the same bytes); a copy under another name keeps them too.
func TestReimportIdempotent(t *testing.T) {
	for _, f := range []struct{ file, mapping string }{
		{"testdata/survey-2026-10.csv", "testdata/mapping.yaml"},
		{xlsxFixture, "testdata/mapping-xlsx.yaml"},
	} {
		renamed := filepath.Join(t.TempDir(), "重新交付"+filepath.Ext(f.file))
		data, _ := os.ReadFile(f.file)
		if err := os.WriteFile(renamed, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var runs [][]string
		for _, file := range []string{f.file, f.file, renamed} {
			sink := &memSink{}
			if _, err := vendorimport.Run(context.Background(), vendorimport.Config{File: file, Mapping: f.mapping, Now: clock}, sink, nil); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range sink.msgs {
				ids = append(ids, m[2])
			}
			runs = append(runs, ids)
		}
		if len(runs[0]) == 0 || !slices.Equal(runs[0], runs[1]) || !slices.Equal(runs[0], runs[2]) {
			t.Errorf("%s: re-import published different events:\n%v\n%v\n%v", f.file, runs[0], runs[1], runs[2])
		}
	}
}

// TestImportToKafka imports the CSV fixture twice into a fresh topic: Kafka holds every message
// twice, with the same event ids, which csat's ingest counts once.
func TestImportToKafka(t *testing.T) {
	brokers := kafkatest.Need(t)
	topic := traffic.Unique("csat-test-import")
	kafkatest.CreateTopics(t, 3, topic)
	p, err := publish.New(publish.Config{Brokers: brokers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	topics := schema.DefaultTopics()
	topics.Survey = topic
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := vendorimport.Config{File: "testdata/survey-2026-10.csv", Mapping: "testdata/mapping.yaml", Topics: topics, Now: clock}
	for attempt := 0; ; attempt++ {
		// A fresh topic can take a moment to reach the producer's metadata.
		_, err = vendorimport.Run(ctx, cfg, p, nil)
		if err == nil || attempt == 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vendorimport.Run(ctx, cfg, p, nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := traffic.ReadAll(ctx, brokers, topic)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d := schema.NewDecoder(schema.DefaultCatalog(), topics, loc, schema.WithClock(clock))
	for _, m := range msgs {
		ev, err := d.Decode(topic, m.Value)
		if err != nil {
			t.Fatalf("%s: %v", m.Value, err)
		}
		if string(m.Key) != ev.Env().BranchID {
			t.Errorf("key %q, branch %q", m.Key, ev.Env().BranchID)
		}
		ids[ev.Env().EventID]++
	}
	if len(msgs) != 18 || len(ids) != 9 {
		t.Errorf("kafka holds %d messages with %d distinct ids, want 18 and 9", len(msgs), len(ids))
	}
}
