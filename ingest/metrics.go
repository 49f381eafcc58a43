package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/csat-dev/csat/schema"
)

// metrics are ingest's Prometheus collectors, all named csat_ingest_*.
type metrics struct {
	consumed      *prometheus.CounterVec   // topic
	inserted      *prometheus.CounterVec   // table
	deadLetters   *prometheus.CounterVec   // reason
	duplicates    *prometheus.CounterVec   // table
	batchRows     *prometheus.HistogramVec // table
	batchBytes    prometheus.Histogram
	insertLatency *prometheus.HistogramVec // table
	retries       *prometheus.CounterVec   // op, code
	lagMessages   *prometheus.GaugeVec     // topic, partition
	lagSeconds    *prometheus.GaugeVec     // topic, partition
	endToEnd      prometheus.Histogram
	freshness     prometheus.Histogram
	lastInsert    prometheus.Gauge
	commits       prometheus.Counter
	commitErrors  prometheus.Counter
	rebalances    prometheus.Counter
	projectErrors prometheus.Counter
	ready         prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		consumed: f.NewCounterVec(prometheus.CounterOpts{Name: "csat_ingest_messages_consumed_total",
			Help: "Kafka messages fetched by ingest, by topic (redeliveries included)."}, []string{"topic"}),
		inserted: f.NewCounterVec(prometheus.CounterOpts{Name: "csat_ingest_rows_inserted_total",
			Help: "Rows acknowledged by ClickHouse, by raw table (rejected_events included)."}, []string{"table"}),
		deadLetters: f.NewCounterVec(prometheus.CounterOpts{Name: "csat_ingest_dead_letters_total",
			Help: "Messages written to the dead-letter topic and table, by reason."}, []string{"reason"}),
		duplicates: f.NewCounterVec(prometheus.CounterOpts{Name: "csat_ingest_duplicates_dropped_total",
			Help: "Redelivered rows dropped because ClickHouse already holds their offset, by table."}, []string{"table"}),
		batchRows: f.NewHistogramVec(prometheus.HistogramOpts{Name: "csat_ingest_batch_rows",
			Help:    "Rows per INSERT, by table.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10)}, []string{"table"}),
		batchBytes: f.NewHistogram(prometheus.HistogramOpts{Name: "csat_ingest_batch_bytes",
			Help:    "Kafka message bytes per batch (all tables).",
			Buckets: prometheus.ExponentialBuckets(1024, 4, 9)}),
		insertLatency: f.NewHistogramVec(prometheus.HistogramOpts{Name: "csat_ingest_insert_duration_seconds",
			Help:    "Duration of one successful INSERT, by table.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"table"}),
		retries: f.NewCounterVec(prometheus.CounterOpts{Name: "csat_ingest_retries_total",
			Help: "Failed attempts that were retried, by operation and ClickHouse error code (\"none\" for network and Kafka errors)."},
			[]string{"op", "code"}),
		lagMessages: f.NewGaugeVec(prometheus.GaugeOpts{Name: "csat_ingest_consumer_lag_messages",
			Help: "Messages between the committed offset and the partition's end, by owned topic/partition."},
			[]string{"topic", "partition"}),
		lagSeconds: f.NewGaugeVec(prometheus.GaugeOpts{Name: "csat_ingest_consumer_lag_seconds",
			Help: "Age of the last committed message while the partition is behind (0 when caught up), by owned topic/partition."},
			[]string{"topic", "partition"}),
		endToEnd: f.NewHistogram(prometheus.HistogramOpts{Name: "csat_ingest_end_to_end_latency_seconds",
			Help:    "From a message's Kafka timestamp to ClickHouse's acknowledgement of its row.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 12)}),
		freshness: f.NewHistogram(prometheus.HistogramOpts{Name: "csat_ingest_projection_freshness_seconds",
			Help:    "From the Kafka timestamp of a batch's oldest row to the end of the projector refresh that covers the batch (one observation per batch; only with a projector).",
			Buckets: []float64{0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1800}}),
		lastInsert: f.NewGauge(prometheus.GaugeOpts{Name: "csat_ingest_last_insert_timestamp_seconds",
			Help: "Unix time of the last successful INSERT."}),
		commits: f.NewCounter(prometheus.CounterOpts{Name: "csat_ingest_commits_total",
			Help: "Successful synchronous offset commits."}),
		commitErrors: f.NewCounter(prometheus.CounterOpts{Name: "csat_ingest_commit_errors_total",
			Help: "Offset commits that failed (the rows are in ClickHouse; redelivery is filtered)."}),
		rebalances: f.NewCounter(prometheus.CounterOpts{Name: "csat_ingest_generations_total",
			Help: "Consumer group generations (assignments) this process took part in."}),
		projectErrors: f.NewCounter(prometheus.CounterOpts{Name: "csat_ingest_projector_errors_total",
			Help: "Projector refreshes that failed (retried at the next interval)."}),
		ready: f.NewGauge(prometheus.GaugeOpts{Name: "csat_ingest_ready",
			Help: "1 when ingest is ready (in a group generation, last writes succeeded), else 0."}),
	}
	for _, r := range schema.Reasons() {
		m.deadLetters.WithLabelValues(string(r))
	}
	for _, t := range tables {
		m.inserted.WithLabelValues(t.name)
		m.duplicates.WithLabelValues(t.name)
	}
	m.inserted.WithLabelValues(rejectedTable)
	return m
}
