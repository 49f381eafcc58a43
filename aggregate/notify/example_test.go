package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/csat-dev/csat/aggregate/notify"
	"github.com/csat-dev/csat/aggregate/notify/amtest"
)

// A county's fall pushed to an Alertmanager (here a stand-in that prints what it receives).
func Example() {
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var alerts []notify.Alert
		_ = json.NewDecoder(r.Body).Decode(&alerts)
		for _, a := range alerts {
			fmt.Println(r.URL.Path, a.Labels["alertname"], a.Labels["branch"], a.Labels["province"], a.Labels["city"])
			fmt.Println(a.Annotations["summary_zh"])
			fmt.Println(a.Annotations["dashboard_url"])
		}
	}))
	defer am.Close()

	src := amtest.NewSource(month("2026-11")) // *aggregate.Engine in csat serve
	src.Set(month("2026-11"), countyFall)
	n, err := notify.New(notify.Config{AlertmanagerURLs: []string{am.URL}, ExternalURL: "https://csat.example.com/",
		Interval: time.Minute, Months: 1, Timeout: 5 * time.Second, Names: names}, src, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rd, err := n.Push(context.Background()) // Run(ctx) does this every interval
	fmt.Println(rd.Firing, "firing,", rd.Resolved, "resolved,", err)
	// Output:
	// /api/v2/alerts CsatDeclineStreak GD-SZ-NS GD GD-SZ
	// 【显著】广东省深圳市南山区 网络质量满意度连续3个月下降，累计下降21.6分
	// https://csat.example.com/#branch=GD-SZ-NS&lang=zh&metric=item%3Anetwork&month=2026-11
	// 1 firing, 0 resolved, <nil>
}
