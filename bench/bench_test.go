package bench

import (
	"runtime"
	"testing"
)

// BenchmarkAcme evaluates the 1,000 generated leads per op with each
// implementation, from the same pre-decoded maps (JSON decoding is not part
// of the comparison). ns/lead and allocs/lead divide by the leads; the
// agreement check runs first, once, and fails the benchmark on any
// disagreement with qualify.
func BenchmarkAcme(b *testing.B) {
	f := setup(b)
	for _, impl := range f.impls {
		b.Run(impl.Name(), func(b *testing.B) {
			var out Outcome
			var before, after runtime.MemStats
			ops := 0
			b.ReportAllocs()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				for _, lead := range f.leads {
					if err := impl.Evaluate(lead, &out); err != nil {
						b.Fatal(err)
					}
				}
				ops++
			}
			elapsed := b.Elapsed()
			runtime.ReadMemStats(&after)
			leads := float64(ops) * float64(len(f.leads))
			b.ReportMetric(float64(elapsed.Nanoseconds())/leads, "ns/lead")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/leads, "allocs/lead")
		})
	}
}
