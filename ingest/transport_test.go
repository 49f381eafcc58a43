package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func TestBufferedDial(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	dial := BufferedDial(func(context.Context, string, string) (net.Conn, error) { return client, nil })
	c, err := dial(context.Background(), "tcp", "broker:9092")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	want := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320,000 bytes: several buffers
	go func() {
		_, _ = server.Write(want)
	}()
	got := make([]byte, len(want))
	// Small reads, as kafka-go's own 4 KiB reader makes.
	for n := 0; n < len(got); {
		m, err := c.Read(got[n:min(n+4096, len(got))])
		if err != nil {
			t.Fatalf("read at %d: %v", n, err)
		}
		n += m
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes read through the buffer differ from those written")
	}

	// Deadlines are the connection's own: a read past one fails with a timeout.
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a deadline error", err)
	}
	// Closing the other end ends the stream.
	_ = c.SetReadDeadline(time.Time{})
	server.Close()
	if _, err := c.Read(make([]byte, 10)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
}
