package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/rules"
)

// summary counts a batch as it is emitted, in constant memory: leads per
// stage, errors, and total scores in buckets of ten.
type summary struct {
	leads, errors int
	stages        map[string]int
	order         []string
	buckets       map[int]int
	// outliers counts totals too large for the histogram's buckets.
	outliers     int
	firstError   string
	firstErrorAt int
}

func newSummary(pol *rules.Policy) *summary {
	s := &summary{stages: map[string]int{}, buckets: map[int]int{}}
	if l := pol.Ladder("stage"); l != nil {
		for _, st := range l.Steps {
			if _, ok := s.stages[st.Label]; !ok {
				s.stages[st.Label] = 0
				s.order = append(s.order, st.Label)
			}
		}
	}
	return s
}

func (s *summary) add(sc *eval.Scored) {
	s.leads++
	if sc.Err != nil {
		s.errors++
		if s.firstError == "" {
			s.firstError, s.firstErrorAt = sc.Err.Error(), sc.Seq
		}
		return
	}
	stage := sc.Result.Stage
	if _, ok := s.stages[stage]; !ok {
		s.order = append(s.order, stage)
	}
	s.stages[stage]++
	total := sc.Result.Score.Total
	if !(math.Abs(total) < maxBucketed) { // NaN too
		s.outliers++
		return
	}
	s.buckets[int(math.Floor(total/10))]++
}

// maxBucketed bounds the totals the histogram has buckets for, so that the
// arithmetic on bucket numbers cannot overflow whatever a policy scores.
const maxBucketed = 1e12

// print writes the summary: counts per stage and a text histogram of the
// total scores.
func (s *summary) print(w io.Writer, took time.Duration) {
	rate := ""
	if secs := took.Seconds(); secs > 0 && s.leads > 0 {
		rate = fmt.Sprintf(" (%.0f leads/s)", float64(s.leads)/secs)
	}
	fmt.Fprintf(w, "scored %d leads in %s%s, %d %s\n", s.leads, took.Round(time.Millisecond), rate, s.errors, plural(s.errors, "error", "errors"))
	if s.errors > 0 {
		fmt.Fprintf(w, "first error, line %d: %s\n", s.firstErrorAt, s.firstError)
	}
	scored := s.leads - s.errors
	if scored == 0 {
		return
	}
	fmt.Fprintln(w, "\nstage")
	width := 0
	for _, name := range s.order {
		width = max(width, len(displayLabel(name)))
	}
	most := 0
	for _, n := range s.stages {
		most = max(most, n)
	}
	for _, name := range s.order {
		n := s.stages[name]
		line := fmt.Sprintf("  %-*s %8d %5.1f%%  %s", width, displayLabel(name), n, 100*float64(n)/float64(scored), bar(n, most))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintln(w, "\ntotal score")
	if s.outliers > 0 {
		fmt.Fprintf(w, "  %-12s %8d\n", fmt.Sprintf("beyond ±%.0e", maxBucketed), s.outliers)
	}
	if len(s.buckets) == 0 {
		return
	}
	keys := make([]int, 0, len(s.buckets))
	for k := range s.buckets {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	lo, hi := keys[0], keys[len(keys)-1]
	// Keep the histogram short: merge buckets when the range is wide.
	step := 1
	for (hi-lo)/step+1 > 20 {
		step *= 2
	}
	most = 0
	rows := map[int]int{}
	for k, n := range s.buckets {
		row := lo + (k-lo)/step*step
		rows[row] += n
		most = max(most, rows[row])
	}
	for row := lo; row <= hi; row += step {
		label := fmt.Sprintf("[%d, %d)", row*10, (row+step)*10)
		line := fmt.Sprintf("  %-12s %8d  %s", label, rows[row], bar(rows[row], most))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func displayLabel(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// bar draws n as a bar of up to 40 blocks, relative to most.
func bar(n, most int) string {
	if most == 0 || n == 0 {
		return ""
	}
	width := int(math.Round(40 * float64(n) / float64(most)))
	if width == 0 {
		width = 1
	}
	return strings.Repeat("█", width)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
