package translog

import (
	"syscall"
	"testing"
)

// TestLowPriorityThread checks that the low-priority thread runs at nice 19 and the caller's does not change.
func TestLowPriorityThread(t *testing.T) {
	w := startLowPriority()
	if w == nil {
		t.Fatal("no low-priority thread on Linux")
	}
	defer w.stop()
	// getpriority(2) returns 20 - nice for PRIO_PROCESS (the raw system call), so 1 is nice 19.
	var got int
	var err error
	w.run(func() { got, err = syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid()) })
	if err != nil || got != 1 {
		t.Fatalf("the thread's getpriority: %d (%v), want 1 (nice 19)", got, err)
	}
	mine, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil || mine == 1 {
		t.Fatalf("the process's getpriority: %d (%v): lowered with the thread", mine, err)
	}
}
