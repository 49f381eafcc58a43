package kpi_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"

	"github.com/csat-dev/csat/aggregate/kpi"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    kpi.Config
		wantErr string
	}{
		{name: "defaults", env: map[string]string{}, want: kpi.DefaultConfig()},
		{
			name: "all set",
			env: map[string]string{"CSAT_OWN_CARRIER": "ctcc", "CSAT_MIN_SAMPLE": "50", "CSAT_SHORT_PLANK_K": "4",
				"CSAT_COMPLAINT_SLA_HOURS": "24.5", "CSAT_ALERT_DECLINE_MONTHS": "2", "CSAT_SCORECARD_FILE": "/etc/csat/sc.yaml",
				"CSAT_SCORECARD": "2005", "CSAT_PLANK_ALPHA": "0.7", "CSAT_CHANNEL_ITEMS": "store,hotline"},
			want: kpi.Config{OwnCarrier: "ctcc", MinSample: 50, ShortPlankK: 4, ComplaintSLAHours: 24.5,
				AlertDeclineMonths: 2, ScorecardFile: "/etc/csat/sc.yaml", Scorecard: "2005", PlankAlpha: 0.7,
				ChannelItems: []string{"store", "hotline"}, AlertFDR: 0.05, AlertMinDrop: 3,
				DriftLambda: 0.2, DriftLimit: 3, DriverMonths: 6, DriverLevel: 1},
		},
		{name: "bad alpha", env: map[string]string{"CSAT_PLANK_ALPHA": "1.5"}, wantErr: "CSAT_PLANK_ALPHA"},
		{name: "bad carrier", env: map[string]string{"CSAT_OWN_CARRIER": "China Mobile"}, wantErr: "CSAT_OWN_CARRIER"},
		{name: "zero min sample", env: map[string]string{"CSAT_MIN_SAMPLE": "0"}, wantErr: "CSAT_MIN_SAMPLE"},
		{name: "zero K", env: map[string]string{"CSAT_SHORT_PLANK_K": "0"}, wantErr: "CSAT_SHORT_PLANK_K"},
		{name: "negative SLA", env: map[string]string{"CSAT_COMPLAINT_SLA_HOURS": "-1"}, wantErr: "CSAT_COMPLAINT_SLA_HOURS"},
		{name: "bad FDR", env: map[string]string{"CSAT_ALERT_FDR": "1.5"}, wantErr: "CSAT_ALERT_FDR"},
		{name: "bad lambda", env: map[string]string{"CSAT_DRIFT_LAMBDA": "0"}, wantErr: "CSAT_DRIFT_LAMBDA"},
		{name: "bad driver level", env: map[string]string{"CSAT_DRIVER_LEVEL": "7"}, wantErr: "CSAT_DRIVER_LEVEL"},
		{name: "zero decline months", env: map[string]string{"CSAT_ALERT_DECLINE_MONTHS": "0"}, wantErr: "CSAT_ALERT_DECLINE_MONTHS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg kpi.Config
			if err := env.ParseWithOptions(&cfg, env.Options{Environment: tt.env}); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Validate() = %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(cfg, tt.want) {
				t.Errorf("config = %+v, %v; want %+v", cfg, err, tt.want)
			}
		})
	}
}
