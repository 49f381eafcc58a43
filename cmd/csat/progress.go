package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress reports a long step: a redrawn bar on a terminal, a plain line every few seconds
// otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	total int
	mu    sync.Mutex
	n     int
	last  time.Time
	drawn int // p.n when last drawn
	start time.Time
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), label: label, total: total, start: time.Now()}
}

// Add advances the bar by n.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
	now := time.Now()
	every := 3 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && p.n < p.total {
		return
	}
	p.last = now
	p.draw(false)
}

// Done finishes the bar.
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty || p.drawn != p.n {
		p.draw(true)
	}
}

func (p *progress) draw(final bool) {
	p.drawn = p.n
	pct := 1.0
	if p.total > 0 {
		pct = float64(p.n) / float64(p.total)
		if pct > 1 {
			pct = 1
		}
	}
	rate := float64(p.n) / time.Since(p.start).Seconds()
	if !p.tty {
		fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%, %.0f/s)\n", p.label, p.n, p.total, 100*pct, rate)
		return
	}
	const width = 30
	fill := int(pct * width)
	fmt.Fprintf(p.w, "\r%-28s [%s%s] %3.0f%% %d/%d %.0f/s", p.label, strings.Repeat("█", fill),
		strings.Repeat("·", width-fill), 100*pct, p.n, p.total, rate)
	if final {
		fmt.Fprintln(p.w)
	}
}
