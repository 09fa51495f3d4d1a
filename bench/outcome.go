package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// Outcome is what every implementation computes for one lead.
type Outcome struct {
	// Fit and Engagement are the groups' clamped points; Total their sum.
	Fit, Engagement, Total float64
	// Met, Unmet and Unknown count BANT's criteria.
	Met, Unmet, Unknown int
	Qualified           bool
	Grade, Stage        string
}

// Impl is one implementation of the acme policy. An Impl is not safe for
// concurrent use: each keeps buffers (a VM, an environment) from one lead
// to the next, as a single-goroutine scoring loop would.
type Impl interface {
	Name() string
	// Evaluate evaluates the policy against lead into out. It returns an
	// error for a lead the policy rejects (a missing required fact).
	Evaluate(lead map[string]any, out *Outcome) error
}

// Diff lists the fields in which o differs from want: group scores and
// total beyond 1e-9, BANT counts, qualified, grade and stage.
func (o Outcome) Diff(want Outcome) []string {
	var d []string
	num := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-9 || math.IsNaN(got) != math.IsNaN(want) {
			d = append(d, fmt.Sprintf("%s: got %.12g, want %.12g", name, got, want))
		}
	}
	num("fit", o.Fit, want.Fit)
	num("engagement", o.Engagement, want.Engagement)
	num("total", o.Total, want.Total)
	ints := func(name string, got, want int) {
		if got != want {
			d = append(d, fmt.Sprintf("%s: got %d, want %d", name, got, want))
		}
	}
	ints("BANT.met", o.Met, want.Met)
	ints("BANT.unmet", o.Unmet, want.Unmet)
	ints("BANT.unknown", o.Unknown, want.Unknown)
	if o.Qualified != want.Qualified {
		d = append(d, fmt.Sprintf("BANT.qualified: got %t, want %t", o.Qualified, want.Qualified))
	}
	if o.Grade != want.Grade {
		d = append(d, fmt.Sprintf("grade: got %q, want %q", o.Grade, want.Grade))
	}
	if o.Stage != want.Stage {
		d = append(d, fmt.Sprintf("stage: got %q, want %q", o.Stage, want.Stage))
	}
	return d
}

func (o Outcome) String() string {
	return fmt.Sprintf("fit=%.6g engagement=%.6g total=%.6g BANT=%d/%d/%d qualified=%t grade=%s stage=%s",
		o.Fit, o.Engagement, o.Total, o.Met, o.Unmet, o.Unknown, o.Qualified, o.Grade, o.Stage)
}

// Dir returns the directory of this package's sources, so that tests and
// commands find ../examples/acme wherever they run from.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// AcmeDir is the acme policy of the main module.
func AcmeDir() string { return filepath.Join(Dir(), "..", "examples", "acme") }

// Qualify evaluates the acme policy with qualify itself.
type Qualify struct {
	name string
	ev   *eval.Evaluator
	res  model.Result
	ctx  context.Context
}

// NewQualify loads ../examples/acme and returns qualify with the trace on
// or off. Every evaluation goes into one reused model.Result (EvaluateInto).
func NewQualify(now time.Time, trace bool) (*Qualify, error) {
	pol, err := rules.Load(AcmeDir())
	if err != nil {
		return nil, err
	}
	name := "qualify-notrace"
	if trace {
		name = "qualify-trace"
	}
	return &Qualify{name: name, ev: eval.New(pol, eval.WithNow(now), eval.WithTrace(trace)), ctx: context.Background()}, nil
}

// Name is qualify-trace or qualify-notrace.
func (q *Qualify) Name() string { return q.name }

// Result is the full result of the last evaluation.
func (q *Qualify) Result() *model.Result { return &q.res }

// Evaluate runs qualify and copies the figures of its result.
func (q *Qualify) Evaluate(lead map[string]any, out *Outcome) error {
	if err := q.ev.EvaluateInto(q.ctx, lead, &q.res); err != nil {
		return err
	}
	r := &q.res
	bant := r.Framework("BANT")
	*out = Outcome{
		Fit:        r.Group("fit").Points,
		Engagement: r.Group("engagement").Points,
		Total:      r.Score.Total,
		Met:        bant.Met,
		Unmet:      bant.Unmet,
		Unknown:    bant.Unknown,
		Qualified:  bant.Qualified,
		Grade:      r.Label("grade"),
		Stage:      r.Stage,
	}
	return nil
}

// QualifyRead is qualify with the trace on that also reads every step of
// the trace (model.Result.Steps) after each evaluation, as a caller that
// shows or stores the trace does: qualify records the trace while it
// evaluates and renders the steps only when they are read.
type QualifyRead struct {
	*Qualify
	// Reads counts the values the steps read, so that reading them is
	// not optimized away.
	Reads int
}

// NewQualifyRead returns qualify with the trace on, reading the trace.
func NewQualifyRead(now time.Time) (*QualifyRead, error) {
	q, err := NewQualify(now, true)
	if err != nil {
		return nil, err
	}
	q.name = "qualify-trace-read"
	return &QualifyRead{Qualify: q}, nil
}

// Evaluate runs qualify, reads the trace and copies the figures.
func (q *QualifyRead) Evaluate(lead map[string]any, out *Outcome) error {
	if err := q.Qualify.Evaluate(lead, out); err != nil {
		return err
	}
	for _, s := range q.res.Steps() {
		q.Reads += len(s.Reads)
	}
	return nil
}

// Impls returns the four other implementations, in benchmark order.
func Impls(now time.Time) ([]Impl, error) {
	var out []Impl
	out = append(out, NewHandwritten(now))
	for _, mk := range []func(time.Time) (Impl, error){
		func(t time.Time) (Impl, error) { return NewExpr(t) },
		func(t time.Time) (Impl, error) { return NewCEL(t) },
		func(t time.Time) (Impl, error) { return NewGrule(t) },
	} {
		impl, err := mk(now)
		if err != nil {
			return nil, err
		}
		out = append(out, impl)
	}
	return out, nil
}

// Agreement evaluates every lead with qualify (want) and with each impl,
// and returns a report of the first disagreements (at most limit per impl),
// or "" when all agree. Errors must agree too: a lead that qualify rejects
// must be rejected by the others.
func Agreement(want Impl, impls []Impl, leads []map[string]any, limit int) string {
	var b strings.Builder
	wants := make([]Outcome, len(leads))
	werrs := make([]error, len(leads))
	for i, lead := range leads {
		werrs[i] = want.Evaluate(lead, &wants[i])
	}
	for _, impl := range impls {
		bad := 0
		for i, lead := range leads {
			var got Outcome
			err := impl.Evaluate(lead, &got)
			var diff []string
			switch {
			case (err != nil) != (werrs[i] != nil):
				diff = []string{fmt.Sprintf("error: got %v, want %v", err, werrs[i])}
			case err == nil:
				diff = got.Diff(wants[i])
			}
			if len(diff) == 0 {
				continue
			}
			bad++
			if bad <= limit {
				fmt.Fprintf(&b, "%s disagrees with %s on lead %d:\n", impl.Name(), want.Name(), i)
				for _, d := range diff {
					fmt.Fprintf(&b, "    %s\n", d)
				}
				fmt.Fprintf(&b, "    %-8s %s\n    %-8s %s\n    lead: %s\n", impl.Name()+":", got, want.Name()+":", wants[i], compact(lead))
			}
		}
		if bad > limit {
			fmt.Fprintf(&b, "%s: %d more disagreements\n", impl.Name(), bad-limit)
		}
		if bad > 0 {
			fmt.Fprintf(&b, "%s: %d of %d leads disagree\n", impl.Name(), bad, len(leads))
		}
	}
	return b.String()
}
