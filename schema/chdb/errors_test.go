package chdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/csat-dev/csat/schema/chdb"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

func exception(code int32) error {
	return fmt.Errorf("insert batch into t (3 rows): %w", &clickhouse.Exception{Code: code, Name: "DB::Exception", Message: "test"})
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "too many parts", err: exception(252), want: true},
		{name: "memory limit", err: exception(241), want: true},
		{name: "timeout exceeded", err: exception(159), want: true},
		{name: "too many simultaneous queries", err: exception(202), want: true},
		{name: "server network error", err: exception(210), want: true},
		{name: "keeper", err: exception(999), want: true},
		{name: "too few live replicas", err: exception(285), want: true},
		{name: "another quorum insert", err: exception(286), want: true},
		{name: "syntax error", err: exception(62), want: false},
		{name: "unknown table", err: exception(60), want: false},
		{name: "type mismatch", err: exception(53), want: false},
		{name: "unknown database", err: exception(81), want: false},
		{name: "wrong password", err: exception(193), want: false},
		{name: "connection refused", err: fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), want: true},
		{name: "connection reset", err: fmt.Errorf("read: %w", syscall.ECONNRESET), want: true},
		{name: "broken pipe", err: fmt.Errorf("write: %w", syscall.EPIPE), want: true},
		{name: "eof", err: fmt.Errorf("read packet: %w", io.EOF), want: true},
		{name: "deadline", err: fmt.Errorf("query: %w", context.DeadlineExceeded), want: true},
		{name: "cancelled by caller", err: fmt.Errorf("query: %w", context.Canceled), want: false},
		{name: "acquire conn timeout", err: clickhouse.ErrAcquireConnTimeout, want: true},
		{name: "batch invalid", err: clickhouse.ErrBatchInvalid, want: false},
		{name: "plain error", err: errors.New("converting string to UInt8"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chdb.IsRetryable(tt.err); got != tt.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	if code, ok := chdb.ErrorCode(exception(252)); !ok || code != 252 {
		t.Errorf("ErrorCode(too many parts) = %d, %v; want 252, true", code, ok)
	}
	if code, ok := chdb.ErrorCode(io.EOF); ok {
		t.Errorf("ErrorCode(io.EOF) = %d, true; want false", code)
	}
	if code, ok := chdb.ErrorCode(nil); ok {
		t.Errorf("ErrorCode(nil) = %d, true; want false", code)
	}
}

// TestServerErrors classifies errors the real server returns.
func TestServerErrors(t *testing.T) {
	conn, cfg := chtest.New(t)
	tests := []struct {
		name     string
		query    string
		wantCode int32
	}{
		{name: "syntax", query: "SELEC 1", wantCode: 62},
		{name: "unknown table", query: "SELECT * FROM no_such_table", wantCode: 60},
		{name: "unknown column", query: "SELECT no_such_column FROM kpi_dirty", wantCode: 47},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := conn.Exec(t.Context(), tt.query)
			if code, ok := chdb.ErrorCode(err); !ok || code != tt.wantCode {
				t.Errorf("ErrorCode(%v) = %d, %v; want %d, true", err, code, ok, tt.wantCode)
			}
			if chdb.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true, want false", err)
			}
		})
	}

	t.Run("missing database", func(t *testing.T) {
		missing := cfg
		missing.Database = chtest.NewDatabaseName(t)
		_, err := chdb.Open(t.Context(), missing)
		if code, ok := chdb.ErrorCode(err); !ok || code != 81 {
			t.Errorf("Open(missing database) error = %v (code %d, %v), want UNKNOWN_DATABASE (81)", err, code, ok)
		}
		if chdb.IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = true, want false", err)
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		down := cfg
		down.Addr = []string{addr}
		down.DialTimeout = time.Second
		_, err = chdb.Open(t.Context(), down)
		if err == nil {
			t.Fatalf("Open(%s) succeeded, want an error", addr)
		}
		if !chdb.IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = false, want true", err)
		}
	})
}
