package qualifytest

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// Option configures how tests run.
type Option func(*options)

type options struct {
	now         time.Time
	filter      *regexp.Regexp
	minCoverage float64
	hasMin      bool
}

// WithNow sets the evaluation time of the tests that have no now line of
// their own; without it they are evaluated at DefaultNow. A zero t leaves
// the default.
func WithNow(t time.Time) Option {
	return func(o *options) {
		if !t.IsZero() {
			o.now = t
		}
	}
}

// WithFilter runs only the tests whose name re matches, as go test -run
// does. A nil re runs every test.
func WithFilter(re *regexp.Regexp) Option { return func(o *options) { o.filter = re } }

// MinCoverage makes Run fail the Go test when the tests cover less than
// percent of the policy's outcomes (see Coverage). Percent is clamped to
// [0, 100]. Suite.Run ignores it: Report.Coverage has the figure.
func MinCoverage(percent float64) Option {
	return func(o *options) {
		o.minCoverage, o.hasMin = math.Max(0, math.Min(100, percent)), true
	}
}

func newOptions(opts []Option) *options {
	o := &options{now: DefaultNow}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Report is the outcome of running a suite: every test that ran, by file,
// and the coverage of the policy.
type Report struct {
	// Path is the policy's path, as in Suite.Path.
	Path   string           `json:"path"`
	Policy model.PolicyInfo `json:"policy"`
	Files  []*FileReport    `json:"files"`
	// Coverage counts what the tests that ran saw.
	Coverage *Coverage `json:"coverage"`
}

// Passed returns how many tests passed.
func (r *Report) Passed() int {
	n := 0
	for _, f := range r.Files {
		for _, t := range f.Tests {
			if t.Passed {
				n++
			}
		}
	}
	return n
}

// Failed returns how many tests failed.
func (r *Report) Failed() int {
	n := 0
	for _, f := range r.Files {
		n += len(f.Tests)
	}
	return n - r.Passed()
}

// FileReport is the outcome of one test file.
type FileReport struct {
	Path string `json:"path"`
	// Tests are the tests that ran, in the order written.
	Tests   []*TestResult `json:"tests"`
	Elapsed time.Duration `json:"-"`
}

// Passed reports whether every test of the file that ran passed.
func (f *FileReport) Passed() bool {
	for _, t := range f.Tests {
		if !t.Passed {
			return false
		}
	}
	return true
}

// MarshalJSON adds passed and the elapsed time in seconds.
func (f *FileReport) MarshalJSON() ([]byte, error) {
	type plain FileReport
	return jsonMarshal(struct {
		*plain
		Passed  bool    `json:"passed"`
		Elapsed float64 `json:"elapsed"`
	}{(*plain)(f), f.Passed(), f.Elapsed.Seconds()})
}

// TestResult is the outcome of one test.
type TestResult struct {
	Name string `json:"name"`
	// At is where the test is written, file:line:col.
	At string `json:"at"`
	// Now is the evaluation time; DefaultNow is set when the test has no
	// now line and was evaluated at the default.
	Now        time.Time `json:"now"`
	DefaultNow bool      `json:"default_now,omitempty"`
	Passed     bool      `json:"passed"`
	// Error is the evaluation's error, "" when the lead gave a result.
	Error string `json:"error,omitempty"`
	// Failures are the expects that did not hold, in the order written.
	Failures []*Failure `json:"failures,omitempty"`
	// Result is the evaluation's result, nil when the lead gave an error.
	Result  *model.Result `json:"-"`
	Elapsed time.Duration `json:"-"`

	// note is shown under a failed test's failures.
	note string
}

// MarshalJSON adds the elapsed time in seconds.
func (t *TestResult) MarshalJSON() ([]byte, error) {
	type plain TestResult
	return jsonMarshal(struct {
		*plain
		Elapsed float64 `json:"elapsed"`
	}{(*plain)(t), t.Elapsed.Seconds()})
}

// Failure is one expect that did not hold, or a test that could not be
// checked.
type Failure struct {
	// At is where the expect is written (or the test, when it could not
	// be checked), file:line:col.
	At string `json:"at"`
	// Expect is the condition as written; "" when the failure is not one
	// expect's.
	Expect string `json:"expect,omitempty"`
	// Message says why the expect could not be checked: it failed to run,
	// or the lead gave an error. It is "" for an expect that was false.
	Message string `json:"message,omitempty"`
	// Values are the value of every name and call the expect reads.
	Values model.Reads `json:"values,omitempty"`
	// Trace holds the trace steps of the rules, criteria and ladder steps
	// the expect names.
	Trace []model.Step `json:"trace,omitempty"`

	traceText []string
}

// String renders the failure as qualify test prints it: the position, the
// expect, the value of every name it read and the trace of the rules it
// names.
func (f *Failure) String() string {
	var b strings.Builder
	b.WriteString(f.At)
	b.WriteString(": ")
	switch {
	case f.Expect != "" && f.Message != "":
		fmt.Fprintf(&b, "expect %s\n    %s", f.Expect, indent(f.Message, "    "))
	case f.Expect != "":
		fmt.Fprintf(&b, "expect %s", f.Expect)
	default:
		b.WriteString(indent(f.Message, "    "))
	}
	for _, v := range f.Values {
		fmt.Fprintf(&b, "\n    %s = %s", v.Name, showValue(v.Value))
	}
	if len(f.traceText) > 0 {
		b.WriteString("\n    trace:")
		for _, l := range f.traceText {
			b.WriteString("\n      ")
			b.WriteString(l)
		}
	}
	return b.String()
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// showValue renders a value a failure shows: numbers in full (to the 9
// decimals results keep), so that a failed score.total == 88.78 shows why,
// and short lists and objects in full.
func showValue(v model.Value) string {
	switch v.Kind {
	case model.KindNumber:
		return strconv.FormatFloat(model.Round(v.Num), 'f', -1, 64)
	case model.KindList, model.KindObject:
		if b, err := v.MarshalJSON(); err == nil && len(b) <= 120 {
			return string(b)
		}
	}
	return v.String()
}

// Run runs the tests of the suite, in file order, and reports them with
// the coverage they give. It honours WithNow and WithFilter.
func (s *Suite) Run(ctx context.Context, opts ...Option) *Report {
	o := newOptions(opts)
	rep := &Report{Path: s.Path, Policy: s.Policy.Info(), Coverage: NewCoverage(s.Policy)}
	ev := eval.New(s.Policy)
	for _, f := range s.Files {
		fr := &FileReport{Path: f.Path, Tests: []*TestResult{}}
		start := time.Now()
		for _, t := range f.Tests {
			if o.filter != nil && !o.filter.MatchString(t.Name) {
				continue
			}
			tr := s.runTest(ctx, ev, t, o)
			rep.Coverage.Add(tr.Result)
			fr.Tests = append(fr.Tests, tr)
		}
		fr.Elapsed = time.Since(start)
		rep.Files = append(rep.Files, fr)
	}
	return rep
}

// RunTest runs one test of the suite. It honours WithNow.
func (s *Suite) RunTest(ctx context.Context, t *Test, opts ...Option) *TestResult {
	return s.runTest(ctx, eval.New(s.Policy), t, newOptions(opts))
}

func (s *Suite) runTest(ctx context.Context, ev *eval.Evaluator, t *Test, o *options) *TestResult {
	start := time.Now()
	tr := &TestResult{Name: t.Name, At: t.Pos.String(), Now: t.Now}
	if !t.HasNow {
		tr.Now, tr.DefaultNow = o.now, true
	}
	defer func() {
		tr.Passed = len(tr.Failures) == 0
		tr.Elapsed = time.Since(start)
		if !tr.Passed && tr.DefaultNow && s.timed {
			tr.note = fmt.Sprintf("the test has no now, so it ran at %s (the default); this policy reads the time: give the test a now", tr.Now.UTC().Format(time.RFC3339))
		}
	}()
	facts, err := t.facts(tr.Now)
	if err != nil {
		at := tr.At
		if ge, ok := err.(*givenError); ok {
			at = ge.at // where in the given it failed
		}
		tr.Failures = append(tr.Failures, &Failure{At: at, Message: err.Error()})
		return tr
	}
	res, evalErr := ev.At(tr.Now).Evaluate(ctx, facts)
	if evalErr != nil {
		tr.Error = evalErr.Error()
		res = nil
	}
	tr.Result = res
	env := resultValues(s.Policy, res, evalErr)
	var blocked []*Expect
	for _, e := range t.Expects {
		if evalErr != nil && e.needsResult {
			blocked = append(blocked, e)
			continue
		}
		out, err := vm.Run(e.program, env)
		if err == nil && out == true {
			continue
		}
		f := s.failure(e, env, res)
		if err != nil {
			f.Message = "the expect failed to run: " + cleanMessage(err.Error())
		}
		tr.Failures = append(tr.Failures, f)
	}
	if len(blocked) > 0 {
		what := "expect " + blocked[0].Text + " could not be checked"
		if len(blocked) > 1 {
			what = fmt.Sprintf("%d expects could not be checked", len(blocked))
		}
		msg := fmt.Sprintf("the lead gave an error, so %s:\n%s\n(to test that a lead is rejected, expect error contains \"...\")", what, evalErr)
		tr.Failures = append(tr.Failures, &Failure{At: tr.At, Message: msg})
	}
	return tr
}

// failure describes an expect that did not hold: the value of every name
// it read and the trace of what it names.
func (s *Suite) failure(e *Expect, env map[string]any, res *model.Result) *Failure {
	f := &Failure{At: e.Range.Start.String(), Expect: e.Text}
	var targets []*target
	for _, p := range e.probes {
		out, err := vm.Run(p.program, env)
		v := model.ValueOf(out)
		if err != nil {
			v = model.ValueOf("(error: " + cleanMessage(err.Error()) + ")")
		}
		f.Values = append(f.Values, model.Read{Name: p.name, Value: v})
		if p.target != nil {
			targets = append(targets, p.target)
		}
	}
	if res != nil && len(targets) > 0 {
		f.traceText, f.Trace = renderTrace(s.Policy, res, targets)
	}
	return f
}

// usesTime reports whether results of pol depend on the evaluation time:
// a condition reads now or a time helper, or a rule decays with halflife.
func usesTime(pol *rules.Policy) bool {
	uses := false
	check := func(c *rules.Cond) {
		if c == nil || uses {
			return
		}
		for _, r := range c.Reads {
			if r.Kind == rules.RefNow {
				uses = true
				return
			}
		}
		for _, h := range []string{"days_since(", "days_until(", "within("} {
			if strings.Contains(c.Text, h) {
				uses = true
				return
			}
		}
	}
	for _, l := range pol.Lets {
		check(l.Value)
	}
	for _, f := range pol.Frameworks {
		for _, cr := range f.Criteria {
			check(cr.When)
		}
	}
	for _, g := range pol.Groups {
		for _, r := range g.Rules {
			check(r.When)
			check(r.PointsExpr)
			if r.Each != nil {
				check(r.Each.Where)
				uses = uses || r.Each.Halflife > 0
			}
		}
	}
	for _, l := range pol.Ladders {
		for _, st := range l.Steps {
			check(st.When)
		}
	}
	return uses
}
