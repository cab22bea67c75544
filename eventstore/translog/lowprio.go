package translog

import "runtime"

// lowPriority runs functions, one at a time, on an OS thread of its own at the lowest CPU priority an
// unprivileged process can give it (nice 19). The Go scheduler has no priorities: a goroutine hashing holds
// its processor (P) until it yields, and the goroutines of the appends wait for it. On a thread of low
// priority with a P to spare (GOMAXPROCS one more than the cores), it is the operating system that decides,
// and it gives such a thread the cores the others leave idle.
type lowPriority struct {
	work chan func()
	done chan struct{}
}

// startLowPriority starts the thread, or returns nil where a thread's priority cannot be lowered.
func startLowPriority() *lowPriority {
	w := &lowPriority{work: make(chan func()), done: make(chan struct{})}
	ok := make(chan bool)
	go func() {
		// Never unlocked: the thread ends with the goroutine, and its priority with it, so that no other
		// goroutine ever runs on it.
		runtime.LockOSThread()
		if lowerThreadPriority() != nil {
			ok <- false
			return
		}
		ok <- true
		for fn := range w.work {
			fn()
			w.done <- struct{}{}
		}
	}()
	if !<-ok {
		return nil
	}
	return w
}

// run calls fn on the thread and returns when it has returned.
func (w *lowPriority) run(fn func()) {
	w.work <- fn
	<-w.done
}

// stop ends the thread.
func (w *lowPriority) stop() { close(w.work) }
