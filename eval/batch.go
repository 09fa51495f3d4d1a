package eval

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/qualifyhq/qualify/model"
)

// Lead is one input of a batch.
type Lead struct {
	// Seq identifies the lead in its input, such as its line number; it
	// is handed back with the outcome.
	Seq int
	// Facts are the lead's facts, in any form Evaluate accepts.
	Facts any
	// Load, when set, is called in place of reading Facts, by the worker
	// that evaluates the lead: it gives the facts, or the error the lead's
	// outcome is. Turning raw input into facts there (a CSV row into a
	// map, say) spreads that work over the workers instead of leaving it
	// to the one goroutine reading the input. A panic in Load is that
	// lead's error.
	Load func() (any, error)
	// Err, when set, is a lead that could not be read; the batch reports
	// it as that lead's outcome without evaluating anything.
	Err error
	// Size is the lead's size in bytes, which BatchOptions.MaxBytes
	// counts. When 0, the length of Facts given as []byte or string
	// counts; a lead with Load, or with facts in another form, counts 0.
	Size int
}

// size is what the lead counts for in BatchOptions.MaxBytes.
func (l *Lead) size() int64 {
	switch {
	case l.Size > 0:
		return int64(l.Size)
	case l.Load != nil:
		return 0
	}
	switch f := l.Facts.(type) {
	case []byte:
		return int64(len(f))
	case string:
		return int64(len(f))
	}
	return 0
}

// Scored is the outcome of one lead of a batch.
type Scored struct {
	Seq int
	// Result is nil when Err is set.
	Result *model.Result
	Err    error
	// Output is what BatchOptions.Encode made of the outcome, if set.
	Output []byte
}

// BatchOptions tunes a batch.
type BatchOptions struct {
	// Workers is how many leads are evaluated at once; the default is
	// runtime.GOMAXPROCS(0), the most 1,024.
	Workers int
	// Window is how many leads may be read ahead of the one emitted next,
	// which bounds the batch's memory whatever the number of leads; the
	// default is 64 per worker, the most 65,536.
	Window int
	// MaxBytes bounds the bytes of the leads in flight (Lead.Size), so
	// that the batch's memory does not grow with the size of its leads
	// either: a lead waits to be read ahead until the leads before it
	// leave room, and is let through alone when it is bigger than
	// MaxBytes. The default is DefaultBatchBytes.
	MaxBytes int64
	// Encode, when set, is called by the workers (in parallel) to turn an
	// outcome into bytes, handed to emit as Scored.Output: rendering JSON
	// in the workers keeps the single emitting goroutine from becoming
	// the bottleneck. dst is a buffer to append to.
	Encode func(dst []byte, s *Scored) []byte

	// fresh gives every lead its own Result, for Stream.
	fresh bool
}

// DefaultBatchBytes is the default BatchOptions.MaxBytes: 64 MiB of leads
// in flight, thousands of typical leads but only eight of the largest.
const DefaultBatchBytes = 64 << 20

// Limits on Workers and Window, whatever the options ask: more would only
// take memory.
const (
	maxWorkers = 1024
	maxWindow  = 1 << 16
)

// job is one lead in flight; jobs are reused.
type job struct {
	lead Lead
	size int64
	out  Scored
	res  model.Result
	buf  []byte
	done chan struct{}
}

// keepJobBytes is the largest output buffer a job keeps for the next lead:
// one huge lead's buffer is not kept for good.
const keepJobBytes = 1 << 20

// Batch evaluates leads concurrently and calls emit with each outcome in
// the order the leads came. A lead that fails (unreadable, a missing
// required fact, a wrong type) is an outcome with Err set and never stops
// the others. Batch returns when every lead is emitted, or with the first
// error from emit or the context.
//
// emit runs on the calling goroutine, one outcome at a time. The Result
// and Output it gets are reused once it returns: copy what you keep
// (Result.Clone). With that reuse a batch allocates nothing per lead
// beyond what decoding the lead's facts takes.
func (e *Evaluator) Batch(ctx context.Context, leads iter.Seq[Lead], emit func(*Scored) error, opts BatchOptions) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, maxWorkers)
	window := opts.Window
	if window <= 0 {
		window = 64 * workers
	}
	window = min(max(window, workers), maxWindow)
	maxBytes := opts.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultBatchBytes
	}
	// inFlight counts the bytes of the leads read ahead and not yet
	// emitted; released wakes the reader when the emitter lowers it.
	var inFlight atomic.Int64
	released := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	free := make(chan *job, window)
	for i := 0; i < window; i++ {
		free <- &job{done: make(chan struct{}, 1)}
	}
	work := make(chan *job, window)
	order := make(chan *job, window)

	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				e.runJob(ctx, j, opts)
				j.done <- struct{}{}
			}
		}()
	}

	// The producer reads leads as long as the window has room.
	go func() {
		defer close(order)
		defer close(work)
		for lead := range leads {
			var j *job
			select {
			case j = <-free:
			case <-ctx.Done():
				return
			}
			n := lead.size()
			for used := inFlight.Load(); used > 0 && used+n > maxBytes; used = inFlight.Load() {
				select {
				case <-released:
				case <-ctx.Done():
					return
				}
			}
			inFlight.Add(n)
			j.lead, j.size = lead, n
			order <- j
			work <- j
		}
	}()

	// Emit in input order. On an error, return at once: the producer stops
	// at its next lead and the workers when the work runs out.
	for j := range order {
		<-j.done
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(&j.out); err != nil {
			return err
		}
		if j.size > 0 {
			inFlight.Add(-j.size)
			select {
			case released <- struct{}{}:
			default:
			}
		}
		if cap(j.buf) > keepJobBytes {
			j.buf = nil
		}
		if j.size > keepJobBytes {
			j.res = model.Result{} // it points into the big lead's values
		}
		j.lead, j.out, j.size = Lead{}, Scored{}, 0
		free <- j
	}
	wg.Wait()
	return ctx.Err()
}

// runJob evaluates one lead of a batch into its job.
func (e *Evaluator) runJob(ctx context.Context, j *job, opts BatchOptions) {
	j.out = Scored{Seq: j.lead.Seq}
	switch {
	case j.lead.Err != nil:
		j.out.Err = j.lead.Err
	case ctx.Err() != nil:
		j.out.Err = ctx.Err()
	default:
		facts := j.lead.Facts
		if j.lead.Load != nil {
			var err error
			if facts, err = load(j.lead.Load); err != nil {
				j.out.Err = err
				break
			}
		}
		res := &j.res
		if opts.fresh {
			res = &model.Result{}
		}
		if err := e.EvaluateInto(ctx, facts, res); err != nil {
			j.out.Err = err
		} else {
			j.out.Result = res
		}
	}
	if opts.Encode != nil {
		j.buf = opts.Encode(j.buf[:0], &j.out)
		j.out.Output = j.buf
	}
}

// Stream evaluates the leads received from in concurrently and sends the
// outcomes, in the order the leads came, on the returned channel, which is
// closed when in is closed and every outcome is sent, or when ctx ends.
// Each outcome has a Result of its own.
func (e *Evaluator) Stream(ctx context.Context, in <-chan Lead, opts BatchOptions) <-chan Scored {
	out := make(chan Scored, opts.Window)
	opts.fresh = true
	opts.Encode = nil
	go func() {
		defer close(out)
		leads := func(yield func(Lead) bool) {
			for {
				select {
				case l, ok := <-in:
					if !ok || !yield(l) {
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}
		_ = e.Batch(ctx, leads, func(s *Scored) error {
			select {
			case out <- *s:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, opts)
	}()
	return out
}

// load calls a lead's Load, turning a panic into the lead's error, so that
// one lead cannot stop the batch.
func load(f func() (any, error)) (facts any, err error) {
	defer func() {
		if r := recover(); r != nil {
			facts, err = nil, fmt.Errorf("internal error loading the lead: %v", r)
		}
	}()
	return f()
}
