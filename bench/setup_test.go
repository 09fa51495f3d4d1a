package bench

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// fixture is what the agreement test and the benchmarks share: the lead
// set, every implementation, and the agreement report.
type fixture struct {
	leads []map[string]any
	// impls are in benchmark order: handwritten, qualify-trace,
	// qualify-trace-read, qualify-notrace, expr-per-rule, cel-go, grule.
	impls  []Impl
	ref    *Qualify
	report string
	err    error
}

var (
	fixOnce sync.Once
	fix     fixture
)

// setup builds the fixture once and runs the agreement check once: every
// implementation against qualify with the trace on, on every lead. A
// benchmark or test that calls it fails when any disagrees.
func setup(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() {
		fix.err = func() error {
			leads, err := Leads(SetSize, Seed)
			if err != nil {
				return err
			}
			fix.leads = leads
			trace, err := NewQualify(Now, true)
			if err != nil {
				return fmt.Errorf("loading the acme policy: %w", err)
			}
			read, err := NewQualifyRead(Now)
			if err != nil {
				return err
			}
			notrace, err := NewQualify(Now, false)
			if err != nil {
				return err
			}
			// The reference is a qualify of its own, so that the benchmarked
			// ones start with nothing cached from the check.
			if fix.ref, err = NewQualify(Now, true); err != nil {
				return err
			}
			others, err := Impls(Now)
			if err != nil {
				return err
			}
			fix.impls = append([]Impl{others[0], trace, read, notrace}, others[1:]...)
			fix.report = Agreement(fix.ref, fix.impls, fix.leads, 5)
			return nil
		}()
	})
	if fix.err != nil {
		tb.Fatal(fix.err)
	}
	if fix.report != "" {
		tb.Fatalf("the implementations disagree with qualify; benchmarks do not count until they agree:\n%s", strings.TrimSpace(fix.report))
	}
	return &fix
}
