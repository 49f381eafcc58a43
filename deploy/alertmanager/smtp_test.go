package alertmanager_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// mailMsg is a message the fake relay received, decoded.
type mailMsg struct {
	to         []string
	subject    string
	text, html string
}

// fakeSMTP is a mail relay that accepts every message (no TLS, no authentication) and decodes
// it: the subject's encoded words, the multipart/alternative parts and their transfer encoding.
type fakeSMTP struct {
	addr string
	ch   chan mailMsg
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{addr: ln.Addr().String(), ch: make(chan mailMsg, 10)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { f.serve(t, c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return f
}

func (f *fakeSMTP) serve(t *testing.T, c net.Conn) {
	defer c.Close()
	tc := textproto.NewConn(c)
	_ = tc.PrintfLine("220 fake ESMTP")
	var to []string
	for {
		line, err := tc.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO", "MAIL", "RSET", "NOOP":
			_ = tc.PrintfLine("250 ok")
		case "RCPT":
			to = append(to, strings.Trim(strings.TrimPrefix(strings.SplitN(line, ":", 2)[1], " "), "<>"))
			_ = tc.PrintfLine("250 ok")
		case "DATA":
			_ = tc.PrintfLine("354 go ahead")
			raw, err := tc.ReadDotBytes()
			if err != nil {
				return
			}
			m, err := decodeMail(raw)
			if err != nil {
				t.Errorf("fake smtp: %v", err)
				_ = tc.PrintfLine("554 %v", err)
				continue
			}
			m.to, to = to, nil
			f.ch <- m
			_ = tc.PrintfLine("250 queued")
		case "QUIT":
			_ = tc.PrintfLine("221 bye")
			return
		default:
			_ = tc.PrintfLine("502 not implemented")
		}
	}
}

func decodeMail(raw []byte) (mailMsg, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return mailMsg{}, err
	}
	var out mailMsg
	if out.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return out, err
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return out, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return out, err
		}
		switch {
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/html"):
			out.html = string(b)
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain"):
			out.text = string(b)
		}
	}
}

// next returns the next message to addr, or fails after timeout.
func (f *fakeSMTP) next(t *testing.T, addr string, timeout time.Duration) mailMsg {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-f.ch:
			for _, to := range m.to {
				if to == addr {
					return m
				}
			}
		case <-deadline:
			t.Fatalf("no mail to %s within %s", addr, timeout)
		}
	}
}
