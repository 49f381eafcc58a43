package schema

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestSpecial8 checks special8 against the byte-by-byte rule: every word with a '"', a '\\', a
// control character or a non-ASCII byte must be reported (a false negative would let
// scanString step over a quote, or over UTF-8 it must check); words of plain bytes only should
// mostly not be.
func TestSpecial8(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	check := func(w [8]byte) {
		want := false
		for _, c := range w {
			want = want || special(c)
		}
		if got := special8(binary.LittleEndian.Uint64(w[:])); want && !got {
			t.Fatalf("special8(%q) = false, want true", w[:])
		}
	}
	// Every byte value at every position of a word of plain bytes, and of bytes it must report.
	for _, fill := range []byte{'a', 0x20, 0x7f, 0x80, 0xbf, 0xff, '#', '[', ']'} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	// Random words with one or more special bytes among arbitrary ones.
	r := rand.New(rand.NewPCG(1, 2))
	plainHits := 0
	for range 1_000_000 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		check(w)
		plain := true
		for _, c := range w {
			plain = plain && !special(c)
		}
		if plain && special8(binary.LittleEndian.Uint64(w[:])) {
			plainHits++
		}
	}
	// Plain words are the fast path: false positives must stay rare.
	var w [8]byte
	copy(w[:], "GD-GZ-TH")
	if special8(binary.LittleEndian.Uint64(w[:])) {
		t.Errorf("special8(%q) = true, want false", w[:])
	}
	copy(w[:], "广州")
	if !special8(binary.LittleEndian.Uint64(w[:])) {
		t.Errorf("special8(%q) = false, want true (non-ASCII is checked byte by byte)", w[:])
	}
	t.Logf("false positives among random plain words: %d", plainHits)
}
