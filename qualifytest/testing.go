package qualifytest

import (
	"context"
	"strings"
	"testing"
)

// Run runs the tests of the policy at path (see Discover) as subtests of
// t, one t.Run per test, named after the test. A test file that does not
// compile, or a policy without tests, fails t. With MinCoverage, t fails
// when the tests cover less of the policy, and the message lists what they
// miss. WithNow sets the time of tests without a now line.
//
//	func TestPolicy(t *testing.T) {
//		qualifytest.Run(t, "policy/", qualifytest.MinCoverage(100))
//	}
func Run(t *testing.T, path string, opts ...Option) {
	t.Helper()
	run(goT{t}, path, opts...)
}

// tester is what run needs of a *testing.T, so that the tests of this
// package can watch it fail.
type tester interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Context() context.Context
	Run(name string, fn func(tester)) bool
}

type goT struct{ *testing.T }

func (g goT) Run(name string, fn func(tester)) bool {
	return g.T.Run(name, func(t *testing.T) { fn(goT{t}) })
}

func run(t tester, path string, opts ...Option) {
	t.Helper()
	o := newOptions(opts)
	s, err := Load(path)
	if err != nil {
		t.Fatalf("%v", err)
		return
	}
	total := 0
	for _, f := range s.Files {
		total += len(f.Tests)
	}
	if total == 0 {
		t.Fatalf("qualifytest: the policy %s has no tests: write them in a _test.qual file beside it", s.Path)
		return
	}
	cov := NewCoverage(s.Policy)
	for _, f := range s.Files {
		for _, test := range f.Tests {
			if o.filter != nil && !o.filter.MatchString(test.Name) {
				continue
			}
			t.Run(test.Name, func(t tester) {
				t.Helper()
				tr := s.RunTest(t.Context(), test, opts...)
				cov.Add(tr.Result)
				for _, fl := range tr.Failures {
					t.Errorf("%s", fl)
				}
				if tr.note != "" {
					t.Logf("note: %s", tr.note)
				}
			})
		}
	}
	if o.hasMin && cov.Percent() < o.minCoverage {
		var b strings.Builder
		cov.WriteText(&b, s.Path)
		t.Errorf("the tests cover %.1f%% of the policy, less than the %.1f%% required\n%s", cov.Percent(), o.minCoverage, strings.TrimSuffix(b.String(), "\n"))
	}
}
