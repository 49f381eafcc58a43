// Package chdb connects csat to ClickHouse and keeps its schema: Config (from CSAT_CLICKHOUSE_*),
// Open, the migration runner Migrate with Pending for readiness checks, and the error
// classification (IsRetryable, ErrorCode) shared by ingest and aggregate.
//
// # ClickHouse 18.16
//
// csat's SQL and client must work with Debian's ClickHouse 18.16 as well as with current
// releases, which constrains every user of a connection from Open:
//
//   - Only the native protocol (port 9000, or 9440 with TLS) works: clickhouse-go's HTTP
//     protocol sends client_protocol_version, which 18.16 rejects. Open always uses Native.
//   - Every INSERT must name its columns (INSERT INTO t (a, b) ...): without the list,
//     PrepareBatch's Append fails with "expected 0 arguments".
//   - Insert with PrepareBatch, never with Exec("INSERT ... VALUES (...)"): against 18.16 that
//     Exec hangs until its context or the driver's read timeout (5 min) ends (clickhouse-go v2.51).
//   - Only integer and boolean query settings can be sent (clickhouse.WithSettings); string
//     settings fail. Open sends none on a single server.
//   - No DateTime64, Map, LowCardinality, WITH x AS (SELECT ...), window functions,
//     ADD COLUMN IF NOT EXISTS, insert_deduplication_token or async inserts.
//   - Joins name every joined subquery (current releases refuse unnamed ones) and say ALL:
//     ANY INNER JOIN keeps one row per key on both sides on current releases, every left row
//     on 18.16.
//
// make test runs the ClickHouse tests on 18.16 and on a current release (26.9);
// docs/design/clickhouse-compat.md has the whole subset and the features left out.
//
// Open verifies the connection with a ping before returning it; it blocks for at most the dial
// timeout per address unless ctx ends sooner.
//
// # Cluster mode
//
// With Config.Cluster set (CSAT_CLICKHOUSE_CLUSTER), Migrate creates Replicated*MergeTree
// tables <name>_local and Distributed tables under the original names, all ON CLUSTER
// (ClusterStatements), so ingest and queries run unchanged; Open checks that the server defines
// the cluster and sets on every connection insert_distributed_sync = 1 (an INSERT returns once
// every shard has written its rows) and, when every shard has two or more replicas,
// insert_quorum = that number (an INSERT returns once every replica has the rows); it also
// requires the user's profile to set distributed_product_mode = 'global'.
// DropPartition drops a partition on every server. docs/design/cluster.md explains why.
package chdb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Option changes how Open connects.
type Option func(*openOptions)

type openOptions struct {
	noDatabase bool
}

// WithoutDatabase connects without selecting cfg.Database (the user's default database is the
// session's), for example to create cfg.Database before it exists: a connection that names a
// missing database fails its handshake.
func WithoutDatabase() Option {
	return func(o *openOptions) { o.noDatabase = true }
}

// maxBlockBuffer is clickhouse-go's MaxCompressionBuffer (its default is 10 MiB).
const maxBlockBuffer = 1 << 20

// Open validates cfg, opens a connection pool over the native protocol (LZ4-compressed when
// cfg.Compressed()) and pings the server. The caller closes the returned connection.
func Open(ctx context.Context, cfg Config, opts ...Option) (driver.Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	chOpts := &clickhouse.Options{
		Protocol: clickhouse.Native,
		Addr:     cfg.Addr,
		Auth: clickhouse.Auth{
			Database: cfg.Database,
			Username: cfg.User,
			Password: cfg.Password,
		},
		DialTimeout: cfg.DialTimeout,
		// A block is written to the socket whenever its encoded columns pass this size (and,
		// with LZ4, compressed in pieces of it), not only once whole: each pooled connection
		// keeps a buffer this size instead of one as large as the largest INSERT (10 MiB and
		// more, several connections, live heap the collector counts).
		MaxCompressionBuffer: maxBlockBuffer,
		MaxOpenConns:         cfg.MaxOpenConns,
		MaxIdleConns:         cfg.MaxOpenConns,
		ClientInfo: clickhouse.ClientInfo{
			Products: []struct{ Name, Version string }{{Name: "csat", Version: "1"}},
		},
	}
	if cfg.Compressed() {
		chOpts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	if o.noDatabase {
		chOpts.Auth.Database = ""
	}
	if cfg.TLS {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		chOpts.TLS = tc
	}
	conn, err := clickhouse.Open(chOpts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %v: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close() // the ping error is the one that matters
		return nil, fmt.Errorf("ping clickhouse %v: %w", cfg.Addr, err)
	}
	if cfg.Cluster == "" {
		return conn, nil
	}
	// Cluster mode: reconnect with the insert settings that exactly-once needs (cluster.go).
	settings, err := clusterSettings(ctx, conn, cfg.Cluster)
	if cerr := conn.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close clickhouse %v: %w", cfg.Addr, cerr)
	}
	if err != nil {
		return nil, err
	}
	chOpts.Settings = settings
	if conn, err = clickhouse.Open(chOpts); err != nil {
		return nil, fmt.Errorf("open clickhouse %v: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close() // the ping error is the one that matters
		return nil, fmt.Errorf("ping clickhouse %v: %w", cfg.Addr, err)
	}
	return conn, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: cfg.TLSInsecureSkipVerify, //nolint:gosec // opt-in, documented as tests only
	}
	if cfg.TLSCAFile != "" {
		pem, err := os.ReadFile(cfg.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("CSAT_CLICKHOUSE_TLS_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CSAT_CLICKHOUSE_TLS_CA_FILE: %s holds no PEM certificate", cfg.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
