package vendorimport_test

import (
	"fmt"
	"time"

	"github.com/csat-dev/csat/ingest/vendorimport"
	"github.com/csat-dev/csat/schema"
)

func ExampleConvert() {
	m, err := vendorimport.ParseMapping([]byte(`
vendor: acme
columns: {event_id: 编号, branch: 区县, carrier: 运营商, overall: 总体}
items: {network: 网络}
values:
  carrier: {中国移动: cmcc}
  branch: {天河区: GD-GZ-TH}
defaults: {wave: 2026-10}
`), schema.DefaultCatalog())
	if err != nil {
		fmt.Println(err)
		return
	}
	csv := "编号,区县,运营商,总体,网络\nA1,天河区,中国移动,9,8分\nA2,天河区,中国广电,9,8\n"
	now := func() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) }
	res, err := vendorimport.Convert([]byte(csv), "acme.csv", m, vendorimport.Options{Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range res.Events {
		fmt.Printf("row %d: %s\n", ev.Row, ev.Value)
	}
	for _, b := range res.Bad {
		fmt.Println(b)
	}
	// Output:
	// row 2: {"event_id":"vendor:acme:2026-10:A1","type":"survey_response","schema_version":1,"occurred_at":"2026-10-15T12:00:00+08:00","branch_id":"GD-GZ-TH","carrier":"cmcc","wave":"2026-10","weight":1,"overall":9,"items":{"network":8}}
	// row 3: column 运营商: unknown carrier "中国广电" (map it under values.carrier)
}
