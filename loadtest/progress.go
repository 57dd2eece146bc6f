package loadtest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress draws the state of a run: on a terminal one line redrawn in place (carriage return,
// erase to end of line) at every Update; elsewhere (a log file, CI) a plain line at most every
// Every, and at every step change.
type Progress struct {
	w        io.Writer
	tty      bool
	Every    time.Duration
	last     time.Time
	lastStep int
	drawn    bool
}

// NewProgress writes to w; tty says whether w is a terminal (see IsTerminal).
func NewProgress(w io.Writer, tty bool) *Progress {
	return &Progress{w: w, tty: tty, Every: 5 * time.Second}
}

// IsTerminal reports whether w is a character device, a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

const barWidth = 24

// Line renders the state as one line, without a newline.
func Line(l Live, draining bool) string {
	var b strings.Builder
	if draining {
		fmt.Fprintf(&b, "draining: %d frames without an outcome yet", l.Pending)
		return b.String()
	}
	if l.Step == 0 {
		return "starting"
	}
	frac := 0.0
	if l.Length > 0 {
		frac = min(1, float64(l.Elapsed)/float64(l.Length))
	}
	fill := int(frac * barWidth)
	fmt.Fprintf(&b, "step %d/%d %-6s [%s%s] %3.0fs/%.0fs  sent %d  processed %d", l.Step, l.Steps, l.Spec,
		strings.Repeat("#", fill), strings.Repeat(".", barWidth-fill), l.Elapsed.Seconds(), l.Length.Seconds(), l.Sent, l.Processed)
	if l.P95 > 0 {
		fmt.Fprintf(&b, "  p95 %.0f ms", l.P95)
	}
	if l.Lag != nil {
		fmt.Fprintf(&b, "  lag %d", *l.Lag)
	}
	if l.CPUCores != nil {
		fmt.Fprintf(&b, "  cpu %.2f", *l.CPUCores)
	}
	return b.String()
}

// Update draws l at now (see Progress).
func (p *Progress) Update(now time.Time, l Live, draining bool) {
	step := l.Step
	if draining {
		step = -1
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", Line(l, draining))
		p.drawn = true
		return
	}
	if step == p.lastStep && now.Sub(p.last) < p.Every {
		return
	}
	p.last, p.lastStep = now, step
	fmt.Fprintln(p.w, Line(l, draining))
}

// Done ends the line on a terminal, so what follows starts on its own.
func (p *Progress) Done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
