package schema

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small, allocation-free JSON scanner: just enough to validate a message against
// RFC 8259 and record where each top-level value lies, so that the decoder can look at only the
// fields it knows without building a map or reflecting over a struct.

// kind is the JSON type of a scanned value.
type kind uint8

const (
	kindAbsent kind = iota
	kindNull
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindObject
	kindArray
)

// String names the kind the way a producer would, for rejection details.
func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindTrue, kindFalse:
		return "boolean"
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	}
	return "nothing"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanValue checks the JSON value starting at b[i] (no leading space) and returns the index just
// after it, its kind, whether it is a string with escapes, and ok=false when it is not valid JSON.
func scanValue(b []byte, i int) (end int, k kind, esc bool, ok bool) {
	if i >= len(b) {
		return i, kindAbsent, false, false
	}
	switch c := b[i]; {
	case c == '"':
		end, esc, ok = scanString(b, i)
		return end, kindString, esc, ok
	case c == '{':
		end, ok = scanObject(b, i)
		return end, kindObject, false, ok
	case c == '[':
		end, ok = scanArray(b, i)
		return end, kindArray, false, ok
	case c == 't':
		return i + 4, kindTrue, false, hasLit(b, i, "true")
	case c == 'f':
		return i + 5, kindFalse, false, hasLit(b, i, "false")
	case c == 'n':
		return i + 4, kindNull, false, hasLit(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok = scanNumber(b, i)
		return end, kindNumber, false, ok
	}
	return i, kindAbsent, false, false
}

func hasLit(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanString checks the string starting at the quote b[i]: its escapes, that it has no control
// character, and that its non-ASCII bytes are valid UTF-8.
func scanString(b []byte, i int) (end int, esc bool, ok bool) {
	for j := i + 1; j < len(b); j++ {
		// Eight bytes at a time while none of them needs a look, then byte by byte.
		for j+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		for j < len(b) && plainByte[b[j]] {
			j++
		}
		if j >= len(b) {
			break
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, esc, true
		case c == '\\':
			esc = true
			j++
			if j >= len(b) {
				return j, esc, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return j, esc, false
				}
				for _, h := range b[j+1 : j+5] {
					if hexVal(h) < 0 {
						return j, esc, false
					}
				}
				j += 4
			default:
				return j, esc, false
			}
		case c < 0x20:
			return j, esc, false
		case c >= utf8.RuneSelf: // the message's only non-ASCII bytes are in its strings
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size <= 1 {
				return j, esc, false
			}
			j += size - 1
		}
	}
	return len(b), esc, false
}

// special8 reports whether one of the eight bytes of w (little endian) may be '"', '\\', a
// control character (< 0x20) or part of a multi-byte UTF-8 sequence (≥ 0x80). The bit tricks
// (Hacker's Delight, "find a zero byte") have no false negatives; a false positive only sends
// scanString to its byte loop.
func special8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * '"')
	bs := w ^ (ones * '\\')
	return ((q-ones)&^q|(bs-ones)&^bs|(w-ones*0x20)&^w|w)&highs != 0
}

// plainByte marks the bytes a string may hold without a second look: ASCII, not '"', '\\' or a
// control character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// scanNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? starting at b[i].
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
		if i == s {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
		if i == s {
			return i, false
		}
	}
	return i, true
}

// scanObject checks the object starting at b[i] == '{'. Nesting is bounded by the message size.
func scanObject(b []byte, i int) (int, bool) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		end, _, ok := scanString(b, i)
		if !ok {
			return end, false
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = skipSpace(b, i+1)
		if end, _, _, ok = scanValue(b, i); !ok {
			return end, false
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

func scanArray(b []byte, i int) (int, bool) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		end, _, _, ok := scanValue(b, i)
		if !ok {
			return end, false
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// unescape appends the contents of the already-checked string literal raw (without its quotes)
// to dst, resolving escapes. A lone surrogate becomes U+FFFD, as in encoding/json.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2 = hex4(raw[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
	}
	return dst
}

func hex4(b []byte) rune {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// objIter walks the members of an object that scanObject has already accepted.
type objIter struct {
	b []byte
	i int
}

func newObjIter(b []byte, start int) objIter { return objIter{b: b, i: start + 1} }

// next returns the next member: its raw key (without quotes), whether the key has escapes, and
// the value's bounds and kind. ok is false after the last member.
func (it *objIter) next() (key []byte, keyEsc bool, vs, ve int, k kind, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		return nil, false, 0, 0, kindAbsent, false
	}
	kend, keyEsc, _ := scanString(b, i)
	key = b[i+1 : kend-1]
	i = skipSpace(b, kend)
	i = skipSpace(b, i+1) // ':'
	ve, k, _, _ = scanValue(b, i)
	it.i = ve
	return key, keyEsc, i, ve, k, true
}
