package chdb

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
)

// ErrorCode returns the ClickHouse server error code carried by err (a *clickhouse.Exception
// anywhere in its chain), for example 60 for UNKNOWN_TABLE. Use it for metric labels and for
// branching on specific server errors; never match error strings.
func ErrorCode(err error) (int32, bool) {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return ex.Code, true
	}
	var pe proto.Error // ch-go's form of the same codes
	if errors.As(err, &pe) {
		return int32(pe), true
	}
	return 0, false
}

// retryableCodes are server errors that a later attempt of the same query may not get:
// overload, resource limits, timeouts, and the server's own network or coordination failures.
var retryableCodes = map[int32]bool{
	int32(proto.ErrTimeoutExceeded):            true, // 159
	int32(proto.ErrCannotAllocateMemory):       true, // 173
	int32(proto.ErrTooManySimultaneousQueries): true, // 202
	int32(proto.ErrNoFreeConnection):           true, // 203
	int32(proto.ErrSocketTimeout):              true, // 209
	int32(proto.ErrNetworkError):               true, // 210
	int32(proto.ErrNoZookeeper):                true, // 225
	int32(proto.ErrAborted):                    true, // 236
	int32(proto.ErrMemoryLimitExceeded):        true, // 241
	int32(proto.ErrTableIsReadOnly):            true, // 242: replicated table without ZooKeeper
	int32(proto.ErrNotEnoughSpace):             true, // 243
	int32(proto.ErrTooManyParts):               true, // 252
	int32(proto.ErrAllConnectionTriesFailed):   true, // 279
	int32(proto.ErrTooFewLiveReplicas):         true, // 285: a replica of the quorum is down
	// 286: the previous quorum insert into the table is not confirmed yet ("Another quorum
	// insert has been already started"); it fails without writing anything.
	int32(proto.ErrUnsatisfiedQuorumForPreviousWrite): true,
	int32(proto.ErrUnknownStatusOfInsert):             true, // 319
	int32(proto.ErrQueryWasCancelled):                 true, // 394: cancelled by the server (shutdown)
	int32(proto.ErrCannotScheduleTask):                true, // 439
	int32(proto.ErrServerOverloaded):                  true, // 745
	int32(proto.ErrKeeperException):                   true, // 999
}

// IsRetryable reports whether the operation that failed with err may succeed if retried
// unchanged: network failures and timeouts (server down, connection reset, pool exhausted) and
// server errors of overload or resource limits (too many parts, memory limit, too many
// queries). Everything else is permanent: a server exception such as a syntax error, a type
// mismatch or an unknown table, a value the driver cannot convert, and the caller's own
// cancellation (context.Canceled). A nil err is not retryable.
//
// Retrying an INSERT that may have been written (a timeout after sending) can duplicate rows;
// callers that need exactly-once must make the retry idempotent themselves.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if code, ok := ErrorCode(err); ok {
		return retryableCodes[code]
	}
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, clickhouse.ErrAcquireConnTimeout),
		errors.Is(err, clickhouse.ErrConnectionClosed),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
