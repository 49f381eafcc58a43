package ingest

import (
	"bufio"
	"context"
	"net"

	"github.com/segmentio/kafka-go"
)

// KafkaTransport returns a kafka-go transport with the TLS and SASL settings of c, for the
// producers of other commands (gen, publish, import, demo).
func (c Config) KafkaTransport() (*kafka.Transport, error) {
	_, t, err := c.kafkaClients()
	return t, err
}

// readBufferSize is the read buffer under each Kafka connection of ingest's dialer.
const readBufferSize = 64 << 10

// BufferedDial wraps dial so that every connection reads through a readBufferSize buffer.
// kafka-go's Conn reads the socket through a 4 KiB bufio.Reader: draining a backlog of 8 MiB
// fetch responses took one read system call per 4 KiB, about 75,000 per million ~300-byte
// messages and 8 % of ingest's CPU profile. Beneath it, each system call brings up to 64 KiB and
// kafka-go's reads become copies (4 %; 72 partitions: 4.5 MiB of buffers). Exported for the
// benchmark's Kafka read limit, which reads the same way.
func BufferedDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBufferSize)}, nil
	}
}

// bufferedConn is a net.Conn whose reads go through r. Deadlines, writes and Close are the
// connection's own; what r holds was received before any deadline, like data in the socket.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
