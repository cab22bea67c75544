package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func TestProgressIsQuietWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := startProgress(&buf, "import", "events", 100, func() int64 { return 50 })
	time.Sleep(10 * time.Millisecond)
	p.Stop()
	if buf.Len() != 0 {
		t.Fatalf("wrote %q to a non-terminal", buf.String())
	}
}

func TestProgressLine(t *testing.T) {
	p := &progressMeter{what: "rebuild", unit: "events", total: 1_000_000, count: func() int64 { return 250_000 }, start: time.Unix(0, 0)}
	got := p.line(time.Unix(10, 0))
	for _, want := range []string{"rebuild: 250,000 of 1,000,000 events (25%)", "25,000/s", "about 30s left"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	if got := groupDigits(-1234567); got != "-1,234,567" {
		t.Errorf("groupDigits: %s", got)
	}
}

// openPTY opens a pseudo-terminal pair (Linux): what is written to tty can be read from pty.
func openPTY(tb testing.TB) (pty, tty *os.File) {
	tb.Helper()
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, pty.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		tb.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, pty.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		tb.Fatal(e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tty.Close(); pty.Close() })
	return pty, tty
}

// On a terminal, progress shows the count, the rate and the time left, and ends with a final line.
func TestProgressOnATerminal(t *testing.T) {
	pty, tty := openPTY(t)
	var mu sync.Mutex
	var shown []byte
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := pty.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			shown = append(shown, buf[:n]...)
			mu.Unlock()
		}
	}()
	waitFor := func(want string) string {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			out := string(shown)
			mu.Unlock()
			if strings.Contains(out, want) {
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("the terminal shows %q, never %q", out, want)
			}
		}
	}
	var done atomic.Int64
	done.Store(400)
	p := startProgress(tty, "rebuild", "events", 1000, done.Load)
	out := waitFor("rebuild: 400 of 1,000 events (40%)")
	done.Store(1000)
	p.Stop()
	out = waitFor("rebuild: 1,000 of 1,000 events (100%)")
	for _, want := range []string{"left", "/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output %q lacks %q", out, want)
		}
	}
}
