package schema

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrRejectedLines is wrapped by ValidateStream's error when at least one line was rejected,
// so that `csat validate` can exit non-zero after printing every verdict.
var ErrRejectedLines = errors.New("rejected lines")

// lineResult is one line of ValidateStream's output.
type lineResult struct {
	Line    int    `json:"line"`
	OK      bool   `json:"ok"`
	Type    string `json:"type,omitempty"`
	EventID string `json:"event_id,omitempty"`
	Reason  Reason `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// ValidateStream is `csat validate`: it reads NDJSON events from r, one per line, decodes each
// with d as if read from topic, and writes one JSON line per event to w:
//
//	{"line":N,"ok":true,"type":"hotline_feedback","event_id":"…"}
//	{"line":N,"ok":false,"reason":"invalid_field","detail":"rating: 6 is out of range 1–5"}
//
// Lines are numbered from 1; blank lines (only spaces) are skipped but counted, a trailing "\r"
// is dropped, and so is a UTF-8 byte order mark at the start of a line. Lines of any length are read; one longer than MaxMessageSize is reported as
// too_large without being held in memory whole. With topic "", every event is taken to come
// from the topic of its own type, so wrong_topic cannot happen; a missing or unknown type is
// still reported.
//
// It returns an error wrapping ErrRejectedLines when any line was rejected, or the first read or
// write error; verdicts already written stay written.
func ValidateStream(r io.Reader, w io.Writer, d *Decoder, topic string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	var (
		line, total, bad int
		buf              []byte
		out              []byte
	)
	for {
		var (
			size     int
			tooLarge bool
			err      error
		)
		buf, size, tooLarge, err = readLine(br, buf[:0])
		if size == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("read line %d: %w", line+1, err)
		}
		line++
		buf = bytes.TrimPrefix(buf, utf8BOM) // a file saved by a Windows editor, or files concatenated
		if !tooLarge && len(bytes.TrimSpace(buf)) == 0 {
			if err != nil {
				break
			}
			continue
		}
		total++
		res := lineResult{Line: line}
		var rej *Rejection
		var ev Event
		if tooLarge {
			rej = reject(ReasonTooLarge, "message is "+strconv.Itoa(size)+" bytes, more than the limit of "+strconv.Itoa(MaxMessageSize))
		} else {
			ev, rej = d.decode(nil, topic, topic != "", buf)
		}
		if rej != nil {
			bad++
			res.Reason, res.Detail = rej.Reason, rej.Detail
		} else {
			env := ev.Env()
			res.OK, res.Type, res.EventID = true, env.Type.String(), env.EventID
		}
		out = appendResult(out[:0], res)
		if _, werr := bw.Write(out); werr != nil {
			return fmt.Errorf("write verdict of line %d: %w", line, werr)
		}
		if err != nil { // the last line had no newline
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write verdicts: %w", err)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d events: %w", bad, total, ErrRejectedLines)
	}
	return nil
}

// readLine appends the next line (without "\n" and a trailing "\r") to buf. It keeps at most
// MaxMessageSize+1 bytes of it; size is the line's full length and tooLarge whether it was cut.
// err is io.EOF at the end of input, together with a last line that had no newline.
func readLine(br *bufio.Reader, buf []byte) (_ []byte, size int, tooLarge bool, err error) {
	var prev byte // the last byte of the previous chunk
	for {
		chunk, err := br.ReadSlice('\n')
		if n := len(chunk); err == nil { // chunk ends the line with "\n": drop it and a "\r"
			chunk = chunk[:n-1]
			if n >= 2 && chunk[n-2] == '\r' {
				chunk = chunk[:n-2]
			} else if n == 1 && prev == '\r' {
				size-- // the "\r" ended the previous chunk
				if len(buf) > 0 && size < len(buf) {
					buf = buf[:size]
				}
			}
		}
		if len(chunk) > 0 {
			prev = chunk[len(chunk)-1]
		}
		size += len(chunk)
		if room := MaxMessageSize + 1 - len(buf); room > 0 {
			buf = append(buf, chunk[:min(room, len(chunk))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && size > 0 && buf[len(buf)-1] == '\r' && size <= MaxMessageSize+1 {
			// a last line without "\n" but with "\r": drop it too
			buf, size = buf[:len(buf)-1], size-1
		}
		return buf, size, size > MaxMessageSize, err
	}
}

// appendResult writes res as one JSON line, fields in a fixed order.
func appendResult(b []byte, res lineResult) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(res.Line), 10)
	if res.OK {
		b = append(b, `,"ok":true,"type":`...)
		b = appendJSONString(b, res.Type)
		b = append(b, `,"event_id":`...)
		b = appendJSONString(b, res.EventID)
	} else {
		b = append(b, `,"ok":false,"reason":`...)
		b = appendJSONString(b, string(res.Reason))
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, res.Detail)
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string. s is valid UTF-8 here (it comes from a message
// that passed utf8.Valid, or from csat's own details), so only quotes, backslashes and control
// characters need escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
