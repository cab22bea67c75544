package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progressMeter reports a long command's progress on stderr — done of total, the rate and the time left — when
// stderr is a terminal, and stays quiet otherwise (in scripts, CI and tests), as the house style asks. It
// polls a counter rather than being told about each step, so the work needs no hooks: a count of events in
// the log, of requests answered.
type progressMeter struct {
	w     io.Writer
	what  string
	unit  string
	total int64
	count func() int64

	start time.Time
	stop  chan struct{}
	done  sync.WaitGroup
}

// isTTY reports whether w is a character device (a terminal).
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startProgress starts reporting "what: count/total unit" every half second on w if w is a terminal; total
// may be 0 when unknown (then there is no ETA). Call Stop when the work ends.
func startProgress(w io.Writer, what, unit string, total int64, count func() int64) *progressMeter {
	p := &progressMeter{w: w, what: what, unit: unit, total: total, count: count, start: time.Now()}
	if !isTTY(w) {
		return p
	}
	p.stop = make(chan struct{})
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprintf(p.w, "\r%s\n", p.line(time.Now()))
				return
			case now := <-t.C:
				fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(now))
			}
		}
	}()
	return p
}

// line formats the progress at now.
func (p *progressMeter) line(now time.Time) string {
	n := p.count()
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(n) / elapsed.Seconds()
	}
	s := fmt.Sprintf("%s: %s", p.what, groupDigits(n))
	if p.total > 0 {
		s += fmt.Sprintf(" of %s %s (%d%%)", groupDigits(p.total), p.unit, min(100, n*100/p.total))
	} else {
		s += " " + p.unit
	}
	s += fmt.Sprintf(", %s/s", groupDigits(int64(rate)))
	if p.total > 0 && rate > 0 && n < p.total {
		left := time.Duration(float64(p.total-n) / rate * float64(time.Second))
		s += ", about " + left.Round(time.Second).String() + " left"
	} else {
		s += ", " + elapsed.Round(100*time.Millisecond).String()
	}
	return s
}

// Stop ends the report (printing the final line on a terminal).
func (p *progressMeter) Stop() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
	p.stop = nil
}

// groupDigits writes n with thin groups of three digits: 1234567 → 1,234,567.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
