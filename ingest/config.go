package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Config is the configuration of csat ingest. Only cmd/csat parses it from the environment
// (caarlos0/env/v11); call Validate before New (New calls it too).
type Config struct {
	// Brokers lists the Kafka bootstrap brokers as host:port (comma-separated in the
	// environment). Default "127.0.0.1:9092".
	Brokers []string `env:"CSAT_KAFKA_BROKERS" envSeparator:"," envDefault:"127.0.0.1:9092"`
	// Group is the Kafka consumer group id shared by every csat ingest process. Default
	// "csat-ingest".
	Group string `env:"CSAT_KAFKA_GROUP" envDefault:"csat-ingest"`
	// TLS enables TLS to the brokers. Default false.
	TLS bool `env:"CSAT_KAFKA_TLS"`
	// TLSCAFile is a PEM file of CA certificates that verify the brokers, in place of the system
	// pool; only with TLS. Default empty.
	TLSCAFile string `env:"CSAT_KAFKA_TLS_CA_FILE"`
	// SASLMechanism is "" (no SASL), "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512". Default "".
	SASLMechanism string `env:"CSAT_KAFKA_SASL_MECHANISM"`
	// SASLUser is the SASL user name; required with a mechanism. Default empty.
	SASLUser string `env:"CSAT_KAFKA_SASL_USER"`
	// SASLPassword is the SASL password; never logged. Default empty.
	SASLPassword string `env:"CSAT_KAFKA_SASL_PASSWORD"`
	// SessionTimeout is the consumer group session timeout: a process that stops heartbeating
	// for this long loses its partitions (the broker bounds it, 6s–5m by default). Default 10s.
	SessionTimeout time.Duration `env:"CSAT_KAFKA_SESSION_TIMEOUT" envDefault:"10s"`
	// RebalanceTimeout is how long the group waits for members to finish their in-flight batch
	// and rejoin during a rebalance; ingest spends at most two thirds of it flushing. Default 30s.
	RebalanceTimeout time.Duration `env:"CSAT_KAFKA_REBALANCE_TIMEOUT" envDefault:"30s"`

	// BatchRows closes a batch when one table holds this many rows. Default 50000.
	BatchRows int `env:"CSAT_BATCH_ROWS" envDefault:"50000"`
	// BatchBytes closes a batch when its messages total this many bytes. Default 16777216
	// (16 MiB).
	BatchBytes int `env:"CSAT_BATCH_BYTES" envDefault:"16777216"`
	// BatchInterval closes a batch this long after its first message. Default 1s.
	BatchInterval time.Duration `env:"CSAT_BATCH_INTERVAL" envDefault:"1s"`

	// RetryMin is the first backoff after a failed ClickHouse or Kafka write; it doubles on each
	// failure up to RetryMax, with ±50% jitter. Default 100ms.
	RetryMin time.Duration `env:"CSAT_RETRY_MIN" envDefault:"100ms"`
	// RetryMax caps the backoff. Default 10s.
	RetryMax time.Duration `env:"CSAT_RETRY_MAX" envDefault:"10s"`
	// InsertTimeout bounds one INSERT attempt (or one dead-letter write). Default 60s.
	InsertTimeout time.Duration `env:"CSAT_INSERT_TIMEOUT" envDefault:"60s"`
	// ShutdownGrace bounds the final flush and commit after SIGTERM/SIGINT. Default 30s.
	ShutdownGrace time.Duration `env:"CSAT_SHUTDOWN_GRACE" envDefault:"30s"`
	// ProjectInterval is how often the projector refreshes dirty months while ingest runs
	// (only when a projector is set and something was written since). Default 5s.
	ProjectInterval time.Duration `env:"CSAT_PROJECT_INTERVAL" envDefault:"5s"`
	// ProjectDebounce is how long after a batch is written (rows and dirty marks) the projector
	// refreshes; the batches written meanwhile join that refresh. 0 leaves ProjectInterval the
	// only trigger. Default 200ms.
	ProjectDebounce time.Duration `env:"CSAT_PROJECT_DEBOUNCE" envDefault:"200ms"`
	// ProjectFullEvery is how long a refresh may fold what the rows added since changed into the
	// committed projections (an incremental recompute, exact: aggregate/DESIGN.md) before it
	// recomputes a month from its raw rows again. 0 makes every recompute a full one. Default
	// 1h: a fold reads the new rows, where a full recompute reads the month (aggregate/bench
	// BenchmarkRefresh, docs/performance.md).
	ProjectFullEvery time.Duration `env:"CSAT_PROJECT_FULL_EVERY" envDefault:"1h"`
	// DLQMaxPayload caps the payload bytes kept in one dead letter (topic and table); a longer
	// payload is cut and the dead letter says so (payload_truncated). Default 900000, under
	// Kafka's default 1 MB message limit.
	DLQMaxPayload int `env:"CSAT_DLQ_MAX_PAYLOAD" envDefault:"900000"`
	// MemoryLimit is the Go soft memory limit (bytes) that Run and Drain set for the process
	// while they run (runtime/debug.SetMemoryLimit), so that the garbage collector keeps the
	// heap, and RSS, bounded whatever the backlog; with it they also set GOGC to 400 (fewer
	// collections; the limit still bounds the heap) unless the GOGC variable is set. 0 leaves
	// the runtime's settings alone, and so does a GOMEMLIMIT environment variable. Default
	// 251658240 (240 MiB: peak RSS ~245 MiB, under the 300 MB target, and the collector has
	// ~130 MB of headroom over the ~106 MB live heap; at 192 MiB it collected twice as often and
	// cost ingest 12 % more CPU).
	MemoryLimit int64 `env:"CSAT_INGEST_MEMORY_LIMIT" envDefault:"251658240"`
}

// DefaultConfig returns the configuration with every default applied, as env.Parse would with
// an empty environment.
func DefaultConfig() Config {
	return Config{
		Brokers:          []string{"127.0.0.1:9092"},
		Group:            "csat-ingest",
		SessionTimeout:   10 * time.Second,
		RebalanceTimeout: 30 * time.Second,
		BatchRows:        50000,
		BatchBytes:       16 << 20,
		BatchInterval:    time.Second,
		RetryMin:         100 * time.Millisecond,
		RetryMax:         10 * time.Second,
		InsertTimeout:    60 * time.Second,
		ShutdownGrace:    30 * time.Second,
		ProjectInterval:  5 * time.Second,
		ProjectDebounce:  200 * time.Millisecond,
		ProjectFullEvery: time.Hour,
		DLQMaxPayload:    900000,
		MemoryLimit:      240 << 20,
	}
}

// Validate reports every invalid field at once; each message names its environment variable.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("CSAT_KAFKA_BROKERS: empty, want host:port[,host:port...]"))
	}
	for _, b := range c.Brokers {
		host, port, err := net.SplitHostPort(b)
		p, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("CSAT_KAFKA_BROKERS: %q is not host:port", b))
		}
	}
	if strings.TrimSpace(c.Group) == "" {
		errs = append(errs, errors.New("CSAT_KAFKA_GROUP: empty"))
	}
	if !c.TLS && c.TLSCAFile != "" {
		errs = append(errs, errors.New("CSAT_KAFKA_TLS_CA_FILE: set but CSAT_KAFKA_TLS is false"))
	}
	switch c.SASLMechanism {
	case "":
		if c.SASLUser != "" || c.SASLPassword != "" {
			errs = append(errs, errors.New("CSAT_KAFKA_SASL_USER/CSAT_KAFKA_SASL_PASSWORD: set but CSAT_KAFKA_SASL_MECHANISM is empty"))
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.SASLUser == "" {
			errs = append(errs, fmt.Errorf("CSAT_KAFKA_SASL_USER: empty, required with CSAT_KAFKA_SASL_MECHANISM=%s", c.SASLMechanism))
		}
	default:
		errs = append(errs, fmt.Errorf("CSAT_KAFKA_SASL_MECHANISM: %q, want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism))
	}
	if c.SessionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("CSAT_KAFKA_SESSION_TIMEOUT: %s, want at least 1s", c.SessionTimeout))
	}
	if c.RebalanceTimeout < time.Second {
		errs = append(errs, fmt.Errorf("CSAT_KAFKA_REBALANCE_TIMEOUT: %s, want at least 1s", c.RebalanceTimeout))
	}
	if c.BatchRows < 1 {
		errs = append(errs, fmt.Errorf("CSAT_BATCH_ROWS: %d, want at least 1", c.BatchRows))
	}
	if c.BatchBytes < 1 {
		errs = append(errs, fmt.Errorf("CSAT_BATCH_BYTES: %d, want at least 1", c.BatchBytes))
	}
	if c.BatchInterval <= 0 {
		errs = append(errs, fmt.Errorf("CSAT_BATCH_INTERVAL: %s is not positive", c.BatchInterval))
	}
	if c.RetryMin <= 0 {
		errs = append(errs, fmt.Errorf("CSAT_RETRY_MIN: %s is not positive", c.RetryMin))
	}
	if c.RetryMax < c.RetryMin {
		errs = append(errs, fmt.Errorf("CSAT_RETRY_MAX: %s is less than CSAT_RETRY_MIN %s", c.RetryMax, c.RetryMin))
	}
	if c.InsertTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CSAT_INSERT_TIMEOUT: %s is not positive", c.InsertTimeout))
	}
	if c.ShutdownGrace <= 0 {
		errs = append(errs, fmt.Errorf("CSAT_SHUTDOWN_GRACE: %s is not positive", c.ShutdownGrace))
	}
	if c.ProjectInterval <= 0 {
		errs = append(errs, fmt.Errorf("CSAT_PROJECT_INTERVAL: %s is not positive", c.ProjectInterval))
	}
	if c.ProjectFullEvery < 0 {
		errs = append(errs, fmt.Errorf("CSAT_PROJECT_FULL_EVERY: %s is negative (0 makes every recompute a full one)", c.ProjectFullEvery))
	}
	if c.ProjectDebounce < 0 {
		errs = append(errs, fmt.Errorf("CSAT_PROJECT_DEBOUNCE: %s is negative (0 turns the refresh after a batch off)", c.ProjectDebounce))
	}
	if c.DLQMaxPayload < 1024 {
		errs = append(errs, fmt.Errorf("CSAT_DLQ_MAX_PAYLOAD: %d, want at least 1024", c.DLQMaxPayload))
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < 64<<20 {
		errs = append(errs, fmt.Errorf("CSAT_INGEST_MEMORY_LIMIT: %d, want 0 (off) or at least 67108864 (64 MiB)", c.MemoryLimit))
	}
	return errors.Join(errs...)
}

const redacted = "[redacted]"

// LogValue implements slog.LogValuer: the configuration without the SASL password.
func (c Config) LogValue() slog.Value {
	pw := ""
	if c.SASLPassword != "" {
		pw = redacted
	}
	return slog.GroupValue(
		slog.Any("brokers", c.Brokers),
		slog.String("group", c.Group),
		slog.Bool("tls", c.TLS),
		slog.String("tls_ca_file", c.TLSCAFile),
		slog.String("sasl_mechanism", c.SASLMechanism),
		slog.String("sasl_user", c.SASLUser),
		slog.String("sasl_password", pw),
		slog.Duration("session_timeout", c.SessionTimeout),
		slog.Duration("rebalance_timeout", c.RebalanceTimeout),
		slog.Int("batch_rows", c.BatchRows),
		slog.Int("batch_bytes", c.BatchBytes),
		slog.Duration("batch_interval", c.BatchInterval),
		slog.Duration("retry_min", c.RetryMin),
		slog.Duration("retry_max", c.RetryMax),
		slog.Duration("insert_timeout", c.InsertTimeout),
		slog.Duration("shutdown_grace", c.ShutdownGrace),
		slog.Duration("project_interval", c.ProjectInterval),
		slog.Duration("project_debounce", c.ProjectDebounce),
		slog.Duration("project_full_every", c.ProjectFullEvery),
		slog.Int("dlq_max_payload", c.DLQMaxPayload),
		slog.Int64("memory_limit", c.MemoryLimit),
	)
}

// String implements fmt.Stringer without the password.
func (c Config) String() string {
	if c.SASLPassword != "" {
		c.SASLPassword = redacted
	}
	type plainConfig Config // no methods: no recursion
	return fmt.Sprintf("%+v", plainConfig(c))
}

// kafkaSecurity returns the TLS configuration and SASL mechanism of c (nil when off).
func (c Config) kafkaSecurity() (*tls.Config, sasl.Mechanism, error) {
	var tc *tls.Config
	if c.TLS {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
		if c.TLSCAFile != "" {
			pem, err := os.ReadFile(c.TLSCAFile)
			if err != nil {
				return nil, nil, fmt.Errorf("CSAT_KAFKA_TLS_CA_FILE: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, fmt.Errorf("CSAT_KAFKA_TLS_CA_FILE: %s holds no PEM certificate", c.TLSCAFile)
			}
			tc.RootCAs = pool
		}
	}
	var mech sasl.Mechanism
	switch c.SASLMechanism {
	case "PLAIN":
		mech = plain.Mechanism{Username: c.SASLUser, Password: c.SASLPassword}
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if c.SASLMechanism == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, c.SASLUser, c.SASLPassword)
		if err != nil {
			return nil, nil, fmt.Errorf("CSAT_KAFKA_SASL_MECHANISM: %w", err)
		}
		mech = m
	}
	return tc, mech, nil
}

// kafkaClients builds the dialer (consumer group, readers) and transport (writer, client).
func (c Config) kafkaClients() (*kafka.Dialer, *kafka.Transport, error) {
	tc, mech, err := c.kafkaSecurity()
	if err != nil {
		return nil, nil, err
	}
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tc, SASLMechanism: mech, ClientID: "csat-ingest"}
	t := &kafka.Transport{TLS: tc, SASL: mech, ClientID: "csat-ingest", DialTimeout: 10 * time.Second}
	return d, t, nil
}
