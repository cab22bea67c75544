package outcome

import (
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
)

// The add1 completion's fast passes, computed ahead on every processor.
//
// The completion tries per-voter budgets inc·(k+1), inc·(k+2), … in order and stops at the first whose outcome
// overspends. Each step's outcome depends only on its own per-voter budget, never on the steps before it, so
// the fast passes of the next few steps can be computed before the completion asks for them. fastSweep keeps a
// window of consecutive steps queued for a pool of workers, each with its own fast state (spare), and hands
// the results back strictly in step order; whatever the completion does not use — the steps past the one
// where it stops, or those it skips with a proven jump — is cancelled and thrown away. A step the fast pass
// could not certify is computed by the exact engine on the caller's goroutine, as in the sequential sweep.
// So the completion sees exactly the sequence of outcomes it would compute alone; only the time changes.

// add1Workers, when positive, is how many workers the add1 completion's sweep uses whatever GOMAXPROCS is; the
// tests set it to exercise the sweep on any machine. Zero means one per processor, and no sweep on one.
var add1Workers = 0

// sweepJob is the fast pass of one step.
type sweepJob struct {
	step   int64 // the step number: per-voter budget step·inc
	out    esOutcome
	ok     bool
	cancel atomic.Bool
	done   chan struct{}
}

// fastSweep runs the fast passes of steps next, next+1, … ahead of the completion.
type fastSweep struct {
	e       *esEngine
	inc     int64
	jobs    chan *sweepJob
	pending []*sweepJob // queued or running, consecutive steps in order
	next    int64       // the step of the next job to queue
	window  int
	wg      sync.WaitGroup
}

// newFastSweep starts the workers, or returns nil when the completion should run sequentially: one processor,
// the sweep switched off, or steps that do not fit in an int64.
func (e *esEngine) newFastSweep(inc int64) *fastSweep {
	n := add1Workers
	if n <= 0 {
		if !add1Parallel {
			return nil
		}
		// One per processor the process may use: serve runs with one P more than the cores (the tree's
		// follower, cmd/pbledger), which would only add a worker that waits for a core.
		n = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
		if n < 2 {
			return nil
		}
	}
	w := &fastSweep{e: e, inc: inc, window: 2 * n, next: -1}
	jobs := make(chan *sweepJob, w.window)
	w.jobs = jobs
	for range n {
		spare := e.spare()
		w.wg.Go(func() {
			for j := range jobs {
				if !j.cancel.Load() {
					j.out, j.ok = spare.runFastUntil(new(big.Rat).SetInt(new(big.Int).Mul(big.NewInt(j.step), big.NewInt(w.inc))), &j.cancel)
				}
				close(j.done)
			}
		})
	}
	return w
}

// get returns the outcome of step (per-voter budget step·inc), which is b: the workers' fast pass when it
// certified it, else an exact run. It restarts the window at step when step is not the next one queued.
func (w *fastSweep) get(step int64, b *big.Rat) esOutcome {
	if len(w.pending) == 0 || w.pending[0].step != step {
		w.drop()
		w.next = step
	}
	w.fill()
	j := w.pending[0]
	w.pending = w.pending[1:]
	w.fill()
	<-j.done
	if j.ok {
		return j.out
	}
	return w.e.run(b)
}

// fill queues steps until the window is full. Steps that would overflow are not queued; get then finds the
// window empty and the completion falls back to computing alone (see complete).
func (w *fastSweep) fill() {
	for len(w.pending) < w.window && w.next >= 0 && w.next <= maxSweepStep(w.inc) {
		j := &sweepJob{step: w.next, done: make(chan struct{})}
		w.next++
		w.pending = append(w.pending, j)
		w.jobs <- j
	}
}

// maxSweepStep is the largest step whose per-voter budget step·inc fits in an int64.
func maxSweepStep(inc int64) int64 { return (1<<63 - 1) / inc }

// drop cancels every queued or running job.
func (w *fastSweep) drop() {
	for _, j := range w.pending {
		j.cancel.Store(true)
	}
	w.pending = w.pending[:0]
}

// start queues the window from step on, so that the workers start before the first get.
func (w *fastSweep) start(step int64) {
	w.next = step
	w.fill()
}

// stop cancels what is left and lets the workers end, without waiting for them; calls after the first do
// nothing.
func (w *fastSweep) stop() {
	if w.jobs == nil {
		return
	}
	w.drop()
	close(w.jobs)
	w.jobs = nil
}

// close stops the workers and waits for them to end.
func (w *fastSweep) close() {
	w.stop()
	w.wg.Wait()
}
