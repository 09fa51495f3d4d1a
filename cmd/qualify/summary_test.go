package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

func TestSummary_histogram(t *testing.T) {
	pol, err := rules.Compile("p.qual", `policy "p" version "1"
classify stage {
  hot when true
  cold
}
`)
	require.NoError(t, err)
	full := strings.Repeat("█", 40)
	for _, tc := range []struct {
		name        string
		totals      []float64
		first, last string // the histogram's first and last lines, spaces squeezed
		rows        int
	}{
		{"one bucket", []float64{3, 7}, "[0, 10) 2 " + full, "[0, 10) 2 " + full, 1},
		{"negative and positive", []float64{-5, 0, 15}, "[-10, 0) 1 " + full, "[10, 20) 1 " + full, 3},
		{"a wide range merges buckets", []float64{0, 1000}, "[0, 80) 1 " + full, "[960, 1040) 1 " + full, 13},
		{"totals too large to bucket", []float64{1e30, math.Inf(1), math.NaN(), -1e13, 5}, "beyond ±1e+12 4", "[0, 10) 1 " + full, 2},
		{"only totals too large", []float64{1e30}, "beyond ±1e+12 1", "beyond ±1e+12 1", 1},
		{"near the bound", []float64{-9.99e11, 9.99e11}, "[-999000000000, -827201308160) 1 " + full, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSummary(pol)
			for i, total := range tc.totals {
				s.add(&eval.Scored{Seq: i + 1, Result: &model.Result{Stage: "hot", Score: model.Score{Total: total}}})
			}
			var out strings.Builder
			done := make(chan struct{})
			go func() {
				defer close(done)
				s.print(&out, time.Second)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("printing the summary does not end")
			}
			_, hist, ok := strings.Cut(out.String(), "total score\n")
			require.True(t, ok, out.String())
			lines := strings.Split(strings.TrimSuffix(hist, "\n"), "\n")
			assert.LessOrEqual(t, len(lines), 22, "the histogram is short")
			var got []string
			for _, l := range lines {
				got = append(got, strings.Join(strings.Fields(l), " "))
			}
			assert.Equal(t, tc.first, got[0])
			if tc.rows > 0 {
				assert.Len(t, got, tc.rows)
				assert.Equal(t, tc.last, got[len(got)-1])
			}
		})
	}
}
