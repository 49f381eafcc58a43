package chdb

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"time"
)

// Config is the ClickHouse connection configuration. Only cmd/ parses it from the environment
// (caarlos0/env/v11); every other package receives it. Call Validate before use; Open does.
type Config struct {
	// Addr lists the servers' native-protocol endpoints as host:port (comma-separated in the
	// environment); connections go to the first reachable one, in order.
	// Default "127.0.0.1:9000".
	Addr []string `env:"CSAT_CLICKHOUSE_ADDR" envSeparator:"," envDefault:"127.0.0.1:9000"`
	// Database is the database holding csat's tables; Migrate creates it when missing.
	// An identifier ([A-Za-z_][A-Za-z0-9_]*). Default "csat".
	Database string `env:"CSAT_CLICKHOUSE_DATABASE" envDefault:"csat"`
	// User is the ClickHouse user name. Default "default".
	User string `env:"CSAT_CLICKHOUSE_USER" envDefault:"default"`
	// Password is the user's password; never logged. Default empty.
	Password string `env:"CSAT_CLICKHOUSE_PASSWORD"`
	// TLS enables TLS on the native protocol (usually port 9440). Default false.
	TLS bool `env:"CSAT_CLICKHOUSE_TLS"`
	// TLSCAFile is a PEM file of CA certificates to verify the server with, in place of the
	// system pool; only with TLS. Default empty (the system pool).
	TLSCAFile string `env:"CSAT_CLICKHOUSE_TLS_CA_FILE"`
	// TLSInsecureSkipVerify disables verification of the server's certificate; only with TLS,
	// only for tests. Default false.
	TLSInsecureSkipVerify bool `env:"CSAT_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY"`
	// DialTimeout bounds establishing one connection (TCP, TLS and handshake), a Go duration
	// such as "5s". Default 5s.
	DialTimeout time.Duration `env:"CSAT_CLICKHOUSE_DIAL_TIMEOUT" envDefault:"5s"`
	// Compression is the compression of the native protocol's data blocks: "lz4", "none", or
	// "auto": none when every address is a loopback one (localhost, 127.0.0.0/8, ::1), where
	// LZ4 costs client and server CPU (about 8% of ingest's) and saves nothing, lz4 otherwise.
	// Default auto (also when empty).
	Compression string `env:"CSAT_CLICKHOUSE_COMPRESSION" envDefault:"auto"`
	// MaxOpenConns is the maximum number of open connections in the pool (a count). Default 8.
	MaxOpenConns int `env:"CSAT_CLICKHOUSE_MAX_OPEN_CONNS" envDefault:"8"`
	// Cluster names the ClickHouse cluster (<remote_servers> of the servers' config) for cluster
	// mode: replicated local tables, Distributed tables and ON CLUSTER DDL (see Open); an
	// identifier, or empty for a single server. Default empty.
	Cluster string `env:"CSAT_CLICKHOUSE_CLUSTER"`
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports every invalid field at once; each message names its environment variable.
func (c Config) Validate() error {
	var errs []error
	if len(c.Addr) == 0 {
		errs = append(errs, errors.New("CSAT_CLICKHOUSE_ADDR: empty, want host:port[,host:port...]"))
	}
	for _, a := range c.Addr {
		if err := checkHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("CSAT_CLICKHOUSE_ADDR: %q is not host:port: %w", a, err))
		}
	}
	if !identifier.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("CSAT_CLICKHOUSE_DATABASE: %q is not an identifier ([A-Za-z_][A-Za-z0-9_]*)", c.Database))
	}
	if c.User == "" {
		errs = append(errs, errors.New("CSAT_CLICKHOUSE_USER: empty"))
	}
	if !c.TLS && c.TLSCAFile != "" {
		errs = append(errs, errors.New("CSAT_CLICKHOUSE_TLS_CA_FILE: set but CSAT_CLICKHOUSE_TLS is false"))
	}
	if !c.TLS && c.TLSInsecureSkipVerify {
		errs = append(errs, errors.New("CSAT_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY: set but CSAT_CLICKHOUSE_TLS is false"))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CSAT_CLICKHOUSE_DIAL_TIMEOUT: %s is not positive", c.DialTimeout))
	}
	switch c.Compression {
	case "", "auto", "lz4", "none":
	default:
		errs = append(errs, fmt.Errorf("CSAT_CLICKHOUSE_COMPRESSION: %q, want auto, lz4 or none", c.Compression))
	}
	if c.MaxOpenConns < 1 {
		errs = append(errs, fmt.Errorf("CSAT_CLICKHOUSE_MAX_OPEN_CONNS: %d is less than 1", c.MaxOpenConns))
	}
	if c.Cluster != "" && !identifier.MatchString(c.Cluster) {
		errs = append(errs, fmt.Errorf("CSAT_CLICKHOUSE_CLUSTER: %q is not an identifier ([A-Za-z_][A-Za-z0-9_]*)", c.Cluster))
	}
	return errors.Join(errs...)
}

func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("empty host")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", port)
	}
	return nil
}

const redacted = "[redacted]"

// LogValue implements slog.LogValuer: the configuration without the password.
func (c Config) LogValue() slog.Value {
	pw := ""
	if c.Password != "" {
		pw = redacted
	}
	return slog.GroupValue(
		slog.Any("addr", c.Addr),
		slog.String("database", c.Database),
		slog.String("user", c.User),
		slog.String("password", pw),
		slog.Bool("tls", c.TLS),
		slog.String("tls_ca_file", c.TLSCAFile),
		slog.Bool("tls_insecure_skip_verify", c.TLSInsecureSkipVerify),
		slog.Duration("dial_timeout", c.DialTimeout),
		slog.Int("max_open_conns", c.MaxOpenConns),
		slog.String("cluster", c.Cluster),
	)
}

// String implements fmt.Stringer so that printing a Config with %v does not show the password.
func (c Config) String() string {
	if c.Password != "" {
		c.Password = redacted
	}
	type plain Config // no methods: no recursion
	return fmt.Sprintf("%+v", plain(c))
}

// Compressed reports whether data blocks are LZ4-compressed (see Compression).
func (c Config) Compressed() bool {
	switch c.Compression {
	case "lz4":
		return true
	case "none":
		return false
	}
	for _, a := range c.Addr {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return true
		}
		if host == "localhost" {
			continue
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return true
		}
	}
	return false
}
