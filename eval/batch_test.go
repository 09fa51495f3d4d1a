package eval_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

func batchPolicy(t *testing.T) *rules.Policy {
	return policy(t, `
facts {
  n     int  required
}
score g {
  +1 "n points" when n > 0
  +(n) "n more" when n > 0
}`)
}

// leadsOf yields n leads; every seventh is unreadable and every fifth has
// a wrong type.
func leadsOf(n int) func(func(eval.Lead) bool) {
	return func(yield func(eval.Lead) bool) {
		for i := 1; i <= n; i++ {
			l := eval.Lead{Seq: i, Facts: fmt.Sprintf(`{"n": %d}`, i)}
			switch {
			case i%7 == 0:
				l.Facts, l.Err = nil, errors.New("unreadable")
			case i%5 == 0:
				l.Facts = `{"n": "five"}`
			}
			if !yield(l) {
				return
			}
		}
	}
}

func TestBatch_ordersOutcomesAndKeepsErrors(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now))
	for _, opts := range []eval.BatchOptions{{}, {Workers: 1}, {Workers: 8, Window: 8}, {Workers: 3, Window: 1}} {
		t.Run(fmt.Sprintf("workers=%d window=%d", opts.Workers, opts.Window), func(t *testing.T) {
			next := 1
			err := ev.Batch(context.Background(), leadsOf(500), func(s *eval.Scored) error {
				require.Equal(t, next, s.Seq, "outcomes come in input order")
				next++
				switch {
				case s.Seq%7 == 0:
					assert.EqualError(t, s.Err, "unreadable")
				case s.Seq%5 == 0:
					assert.EqualError(t, s.Err, `n: expected int, found "five"`)
				default:
					require.NoError(t, s.Err)
					assert.Equal(t, float64(1+s.Seq), s.Result.Score.Total)
				}
				return nil
			}, opts)
			require.NoError(t, err)
			assert.Equal(t, 501, next, "no lead is dropped")
		})
	}
}

func TestBatch_encodesInWorkers(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now), eval.WithTrace(false))
	var out strings.Builder
	err := ev.Batch(context.Background(), leadsOf(20), func(s *eval.Scored) error {
		out.Write(s.Output)
		return nil
	}, eval.BatchOptions{Encode: func(dst []byte, s *eval.Scored) []byte {
		if s.Err != nil {
			return fmt.Appendf(dst, "%d error\n", s.Seq)
		}
		return fmt.Appendf(dst, "%d %s\n", s.Seq, model.FormatNumber(s.Result.Score.Total))
	}})
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 20)
	assert.Equal(t, "1 2", lines[0])
	assert.Equal(t, "5 error", lines[4])
	assert.Equal(t, "7 error", lines[6])
}

func TestBatch_stopsOnEmitError(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now))
	var emitted atomic.Int32
	stop := errors.New("disk full")
	err := ev.Batch(context.Background(), leadsOf(100000), func(s *eval.Scored) error {
		if emitted.Add(1) == 10 {
			return stop
		}
		return nil
	}, eval.BatchOptions{Workers: 2, Window: 4})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, int32(10), emitted.Load())
}

func TestBatch_honoursContext(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := ev.Batch(ctx, leadsOf(100000), func(s *eval.Scored) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	}, eval.BatchOptions{Workers: 2, Window: 4})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, n, 100)
}

func TestStream(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now))
	in := make(chan eval.Lead)
	go func() {
		defer close(in)
		for l := range leadsOf(50) {
			in <- l
		}
	}()
	var results []*model.Result
	seq := 1
	for s := range ev.Stream(context.Background(), in, eval.BatchOptions{Workers: 4}) {
		assert.Equal(t, seq, s.Seq)
		seq++
		if s.Err == nil {
			results = append(results, s.Result)
		}
	}
	assert.Equal(t, 51, seq)
	// Results are the callers' own: none is reused by a later lead.
	assert.Equal(t, 2.0, results[0].Score.Total)
	assert.Equal(t, 3.0, results[1].Score.Total)
}

// BenchmarkBatch measures the acme example over many leads with every
// core: ns/op is ns per lead, from JSON bytes to the encoded JSON line.
func BenchmarkBatch(b *testing.B) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(b, err)
	lead := []byte(`{"company":{"industry":"saas","employees":250,"revenue":8000000},"contact":{"role":"vp","email":"ana@acme.io","competitor":false},"budget":{"approved":true},"timeline":{"days":30},"pains":["manual scoring"],"activity":{"demo_requested":true,"pricing_views":2,"last_visit":"2026-10-20T09:30:00Z"},"events":[{"type":"webinar","at":"2026-10-02T16:00:00Z"}]}`)
	for _, trace := range []bool{true, false} {
		b.Run(fmt.Sprintf("trace=%v", trace), func(b *testing.B) {
			ev := eval.New(pol, eval.WithNow(now), eval.WithTrace(trace))
			b.ReportAllocs()
			leads := func(yield func(eval.Lead) bool) {
				for i := 0; i < b.N; i++ {
					if !yield(eval.Lead{Seq: i, Facts: lead}) {
						return
					}
				}
			}
			b.ResetTimer()
			err := ev.Batch(context.Background(), leads, func(s *eval.Scored) error { return s.Err }, eval.BatchOptions{
				Encode: func(dst []byte, s *eval.Scored) []byte { return s.Result.AppendJSON(dst) },
			})
			require.NoError(b, err)
		})
	}
}

// TestBatch_loadsInWorkers: a lead with Load gets its facts from it, in a
// worker; an error from Load, or a panic in it, is that lead's outcome,
// and the rest go on.
func TestBatch_loadsInWorkers(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now), eval.WithTrace(false))
	var loads atomic.Int64
	leads := func(yield func(eval.Lead) bool) {
		for i := 1; i <= 200; i++ {
			l := eval.Lead{Seq: i, Facts: "not used when Load is set"}
			l.Load = func() (any, error) {
				loads.Add(1)
				switch {
				case i%9 == 0:
					return nil, fmt.Errorf("row %d: bad cell", i)
				case i%25 == 0:
					panic(fmt.Sprintf("row %d: a bug", i))
				}
				return map[string]any{"n": i}, nil
			}
			if !yield(l) {
				return
			}
		}
	}
	next := 1
	err := ev.Batch(context.Background(), leads, func(s *eval.Scored) error {
		require.Equal(t, next, s.Seq)
		next++
		switch {
		case s.Seq%9 == 0:
			assert.EqualError(t, s.Err, fmt.Sprintf("row %d: bad cell", s.Seq))
			assert.Nil(t, s.Result)
			return nil
		case s.Seq%25 == 0:
			assert.EqualError(t, s.Err, fmt.Sprintf("internal error loading the lead: row %d: a bug", s.Seq))
			assert.Nil(t, s.Result)
			return nil
		}
		require.NoError(t, s.Err)
		assert.Equal(t, float64(1+s.Seq), s.Result.Score.Total)
		return nil
	}, eval.BatchOptions{Workers: 4})
	require.NoError(t, err)
	assert.Equal(t, 201, next)
	assert.Equal(t, int64(200), loads.Load())
}

// TestBatch_maxBytes: the bytes of the leads read ahead and not yet
// emitted never exceed MaxBytes, however many leads the window would
// allow, except for a lead bigger than MaxBytes, which goes alone.
func TestBatch_maxBytes(t *testing.T) {
	ev := eval.New(batchPolicy(t), eval.WithNow(now), eval.WithTrace(false))
	const maxBytes = 1000
	sizes := []int{300, 300, 300, 300, 900, 2500, 100, 100, 100, 700, 300, 1, 1, 1}
	var inFlight, most atomic.Int64
	leads := func(yield func(eval.Lead) bool) {
		for i := range 20 {
			for j, size := range sizes {
				facts := fmt.Sprintf(`{"n": %d}`, j+1) + strings.Repeat(" ", size)
				if i%2 == 1 {
					// The same through Load, with its size given.
					l := eval.Lead{Seq: i*len(sizes) + j + 1, Size: len(facts)}
					l.Load = func() (any, error) { return facts, nil }
					if !yield(l) {
						return
					}
					continue
				}
				if !yield(eval.Lead{Seq: i*len(sizes) + j + 1, Facts: []byte(facts)}) {
					return
				}
			}
		}
	}
	// When yield returns, the batch has admitted the lead: the count of
	// bytes admitted and not yet emitted here never exceeds the batch's own
	// (emit lowers it first), so a lead admitted while others are in
	// flight must leave it within the budget.
	var overBudget []int64
	counted := func(yield func(eval.Lead) bool) {
		for l := range leads {
			n := int64(l.Size)
			if b, ok := l.Facts.([]byte); ok {
				n = int64(len(b))
			}
			if !yield(l) {
				return
			}
			prev := inFlight.Load()
			now := inFlight.Add(n)
			if prev > 0 && now > maxBytes {
				overBudget = append(overBudget, now)
			}
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
		}
	}
	next := 1
	sizeOf := func(seq int) int64 {
		return int64(len(fmt.Sprintf(`{"n": %d}`, (seq-1)%len(sizes)+1)) + sizes[(seq-1)%len(sizes)])
	}
	err := ev.Batch(context.Background(), counted, func(s *eval.Scored) error {
		require.Equal(t, next, s.Seq)
		require.NoError(t, s.Err)
		next++
		inFlight.Add(-sizeOf(s.Seq))
		return nil
	}, eval.BatchOptions{Workers: 3, MaxBytes: maxBytes})
	require.NoError(t, err)
	assert.Equal(t, 20*len(sizes)+1, next)
	assert.Empty(t, overBudget, "bytes in flight beyond the budget")
	assert.Greater(t, most.Load(), int64(maxBytes/2), "the budget is used, not one lead at a time")
	t.Logf("most bytes in flight: %d (budget %d, biggest lead %d)", most.Load(), maxBytes, sizeOf(6))
}
