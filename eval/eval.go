// Package eval evaluates a compiled policy against the facts of a lead and
// produces a model.Result: group scores, framework results, ladder labels,
// the facts that were missing and the explanation trace.
//
// An Evaluator is safe for concurrent use. It never panics: a lead with a
// missing required fact or a value of the wrong type, or a condition that
// fails at run time, gives an error for that lead.
package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// DefaultMemoryBudget bounds the memory one expression may allocate while
// it runs (in expr's units: roughly elements of lists, maps and strings).
const DefaultMemoryBudget = 1_000_000

// Evaluator evaluates one compiled policy. Create it with New.
type Evaluator struct {
	pol     *rules.Policy
	now     time.Time
	budget  uint
	trace   bool
	lenient bool
	// sizes of the trace and read buffers of one result
	steps int
	reads int
	pool  *sync.Pool
}

// Option configures an Evaluator.
type Option func(*Evaluator)

// WithNow fixes the evaluation time, which days_since, days_until, within,
// now and halflife decay use. Without it each evaluation uses time.Now().
func WithNow(t time.Time) Option { return func(e *Evaluator) { e.now = t } }

// WithTrace turns the explanation trace on (the default) or off; without
// it results carry scores, frameworks, labels and missing facts only.
func WithTrace(on bool) Option { return func(e *Evaluator) { e.trace = on } }

// WithLenientStrings makes numbers and booleans given as strings ("140",
// "12.5", "true") acceptable for int, number and bool facts, and an empty
// string count as a missing fact. CRM APIs such as HubSpot's send every
// property as a string. Without it such values are type errors.
func WithLenientStrings(on bool) Option { return func(e *Evaluator) { e.lenient = on } }

// WithMemoryBudget sets the memory budget of each expression run.
func WithMemoryBudget(n uint) Option {
	return func(e *Evaluator) {
		if n > 0 {
			e.budget = n
		}
	}
}

// New returns an Evaluator for pol.
func New(pol *rules.Policy, opts ...Option) *Evaluator {
	e := &Evaluator{pol: pol, budget: DefaultMemoryBudget, trace: true}
	for _, opt := range opts {
		opt(e)
	}
	e.steps, e.reads = traceSize(pol)
	e.pool = &sync.Pool{New: func() any { return &run{} }}
	return e
}

// At returns an Evaluator that shares e's policy and options but evaluates
// at time t.
func (e *Evaluator) At(t time.Time) *Evaluator {
	c := *e
	c.now = t
	return &c
}

// Policy returns the policy the Evaluator runs.
func (e *Evaluator) Policy() *rules.Policy { return e.pol }

// traceSize counts the steps and reads of a full trace, so that one result
// needs one buffer of each instead of an allocation per rule.
func traceSize(pol *rules.Policy) (steps, reads int) {
	add := func(c *rules.Cond) {
		if c != nil {
			reads += len(c.Reads)
		}
	}
	for _, l := range pol.Lets {
		steps++
		add(l.Value)
	}
	for _, f := range pol.Frameworks {
		steps += len(f.Criteria) + 1
		for _, c := range f.Criteria {
			add(c.When)
		}
		add(f.Qualified)
	}
	for _, g := range pol.Groups {
		steps += len(g.Rules) + 1
		for _, r := range g.Rules {
			add(r.When)
			add(r.PointsExpr)
			if r.Each != nil {
				reads++
				add(r.Each.Where)
			}
		}
	}
	steps++
	for _, l := range pol.Ladders {
		steps += len(l.Steps) + 1
		for _, s := range l.Steps {
			add(s.When)
		}
	}
	return steps, reads
}

// ConditionError is a condition that failed while it ran, such as a
// comparison of values of different types in a policy without facts.
type ConditionError struct {
	// At is the file:line:col of the failure inside the expression.
	At string
	// Expr is the condition's text.
	Expr string
	Msg  string
}

// Error says where and how the condition failed.
func (e *ConditionError) Error() string {
	return fmt.Sprintf("%s: condition %q failed: %s", e.At, e.Expr, e.Msg)
}

// Evaluate evaluates the policy against facts: a map[string]any, JSON (as
// []byte, json.RawMessage, string or io.Reader) or a struct with json tags.
func (e *Evaluator) Evaluate(ctx context.Context, facts any) (*model.Result, error) {
	res := &model.Result{}
	if err := e.EvaluateInto(ctx, facts, res); err != nil {
		return nil, err
	}
	return res, nil
}

// EvaluateInto is Evaluate into a result the caller provides, whose maps
// and slices are reused.
func (e *Evaluator) EvaluateInto(ctx context.Context, facts any, res *model.Result) (err error) {
	defer func() {
		// The evaluator is written not to panic; this is the last guard,
		// so that a bug gives an error for the lead and not a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error evaluating the lead: %v", r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := toMap(facts)
	if err != nil {
		return err
	}
	r := e.pool.Get().(*run)
	defer e.pool.Put(r)
	r.reset(e, ctx, res)
	if err := r.decode(m); err != nil {
		return err
	}
	return r.evaluate()
}

// tri is a three-valued truth: a condition is true, false or unknown.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// run is the state of one evaluation; runs are pooled and reused.
type run struct {
	e    *Evaluator
	ctx  context.Context
	pol  *rules.Policy
	now  time.Time
	vm   vm.VM
	res  *model.Result
	env  map[string]any
	dec  decoder
	raw  map[string]any
	lets []letState
	fws  []map[string]any
	// score is the environment's score map: groups as they are computed,
	// then the total.
	score  map[string]any
	groups []float64
	total  float64
	labels []string

	reads   []model.Read
	missing []string
}

type letState struct {
	known   bool
	val     model.Value
	raw     any
	missing []string
}

func (r *run) reset(e *Evaluator, ctx context.Context, res *model.Result) {
	r.e, r.ctx, r.pol, r.res = e, ctx, e.pol, res
	r.now = e.now
	if r.now.IsZero() {
		r.now = time.Now()
	}
	r.vm.MemoryBudget = e.budget
	if r.env == nil {
		r.env = make(map[string]any, 16)
	} else {
		clear(r.env)
	}
	r.raw = nil
	r.dec.errs = r.dec.errs[:0]
	r.dec.lenient = e.lenient
	if s := r.pol.Schema; s != nil {
		r.dec.slots = resize(r.dec.slots, len(s.Nodes))
	}
	r.lets = resize(r.lets, len(r.pol.Lets))
	r.fws = resize(r.fws, len(r.pol.Frameworks))
	r.groups = resize(r.groups, len(r.pol.Groups))
	r.labels = resize(r.labels, len(r.pol.Ladders))
	r.total = 0
	r.score = nil
	r.reads = nil
	r.missing = nil

	res.Policy = r.pol.Info()
	res.Now = r.now
	res.Stage = ""
	if res.Labels == nil {
		res.Labels = make(map[string]string, len(r.pol.Ladders))
	} else {
		clear(res.Labels)
	}
	if res.Score.Groups == nil {
		res.Score.Groups = make(map[string]model.GroupScore, len(r.pol.Groups))
	} else {
		clear(res.Score.Groups)
	}
	if res.Frameworks == nil {
		res.Frameworks = make(map[string]*model.FrameworkResult, len(r.pol.Frameworks))
	} else {
		for k := range res.Frameworks {
			if r.pol.Framework(k) == nil {
				delete(res.Frameworks, k)
			}
		}
	}
	res.Score.Total = 0
	res.Missing = res.Missing[:0]
	res.Trace = res.Trace[:0]
	if e.trace {
		if cap(res.Trace) < e.steps {
			res.Trace = make([]model.Step, 0, e.steps)
		}
		r.reads = make([]model.Read, 0, e.reads)
	}
}

// resize returns s with length n, zeroed, reusing its memory when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// decode reads the lead's facts into the environment.
func (r *run) decode(m map[string]any) error {
	if s := r.pol.Schema; s != nil {
		r.dec.decodeTyped(s, m, r.env)
		if err := gatherFacts(r.dec.errs); err != nil {
			return err
		}
	} else {
		p, ok := plain(m, 0)
		if !ok {
			return &InputError{Msg: fmt.Sprintf("facts nested more than %d levels deep", maxDepth)}
		}
		r.raw = p.(map[string]any)
		for k, v := range r.raw {
			r.env[k] = v
		}
	}
	r.env["now"] = r.now
	for _, ref := range r.pol.FactReads {
		if v, _ := r.value(&ref); v.Missing() {
			r.res.Missing = append(r.res.Missing, ref.Name)
		}
	}
	return nil
}

func (r *run) checkCtx() error { return r.ctx.Err() }

// evaluate runs the phases in their fixed order.
func (r *run) evaluate() error {
	if err := r.evalLets(); err != nil {
		return err
	}
	if err := r.checkCtx(); err != nil {
		return err
	}
	if err := r.evalFrameworks(); err != nil {
		return err
	}
	if err := r.evalGroups(); err != nil {
		return err
	}
	if err := r.checkCtx(); err != nil {
		return err
	}
	if err := r.evalLadders(); err != nil {
		return err
	}
	r.res.Stage = r.res.Labels["stage"]
	return nil
}

// value returns what a reference reads and whether it is known.
func (r *run) value(ref *rules.Ref) (model.Value, bool) {
	switch ref.Kind {
	case rules.RefFact:
		if ref.Node != nil {
			v := r.dec.slots[ref.Index]
			return v, !v.Missing()
		}
		x, ok := lookup(r.raw, ref.Path)
		if !ok {
			return model.Value{}, false
		}
		return model.ValueOf(x), true
	case rules.RefLet:
		l := &r.lets[ref.Index]
		return l.val, l.known
	case rules.RefFramework:
		fw := r.res.Frameworks[r.pol.Frameworks[ref.Index].Name]
		if fw == nil {
			return model.Value{}, false
		}
		if len(ref.Path) == 0 {
			return model.ValueOf(r.fws[ref.Index]), true
		}
		return frameworkMember(fw, ref.Path[0]), true
	case rules.RefOwn:
		return model.ValueOf(r.fws[ref.Index][ref.Path[0]]), true
	case rules.RefScore:
		if ref.Index < 0 {
			return model.Value{Kind: model.KindNumber, Num: r.total}, true
		}
		return model.Value{Kind: model.KindNumber, Num: r.groups[ref.Index]}, true
	case rules.RefLadder:
		return model.Value{Kind: model.KindString, Str: r.labels[ref.Index]}, true
	case rules.RefNow:
		return model.Value{Kind: model.KindTime, Time: r.now}, true
	}
	return model.Value{}, false
}

func frameworkMember(fw *model.FrameworkResult, member string) model.Value {
	switch member {
	case "met":
		return model.Value{Kind: model.KindInt, Int: int64(fw.Met)}
	case "unmet":
		return model.Value{Kind: model.KindInt, Int: int64(fw.Unmet)}
	case "unknown":
		return model.Value{Kind: model.KindInt, Int: int64(fw.Unknown)}
	case "total":
		return model.Value{Kind: model.KindInt, Int: int64(fw.Total)}
	case "qualified":
		return model.Value{Kind: model.KindBool, Bool: fw.Qualified}
	}
	return model.Value{Kind: model.KindString, Str: string(fw.Criteria[member])}
}

// blocked reports whether a leaf needs a fact or let that is not known.
func (r *run) blocked(c *rules.Cond, n *rules.Node) bool {
	for _, i := range n.Needs {
		if _, ok := r.value(&c.Reads[i]); !ok {
			return true
		}
	}
	return false
}

// runLeaf runs one compiled leaf. A leaf that fails while a fact it reads
// behind a guard (?? or ?.) is missing gives nil, which callers take as
// unknown: the expression could not be evaluated without that fact, as in
// `within(trial?.started_at, "30d")` or `contact?.employees > 100`.
func (r *run) runLeaf(c *rules.Cond, n *rules.Node, env map[string]any) (any, error) {
	out, err := r.vm.Run(n.Program, env)
	if err != nil {
		for _, i := range n.Guarded {
			if _, ok := r.value(&c.Reads[i]); !ok {
				return nil, nil
			}
		}
		return nil, r.condError(c, err)
	}
	return out, nil
}

func (r *run) condError(c *rules.Cond, err error) error {
	msg := err.Error()
	at := c.At
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		at = c.PosAt(fe.From).String()
	}
	return &ConditionError{At: at, Expr: c.Text, Msg: msg}
}

// truth evaluates a condition with three-valued logic: a leaf that needs a
// missing fact is unknown; and, or and not combine as Kleene's logic does,
// so a known false decides an and, and a known true decides an or.
func (r *run) truth(c *rules.Cond, n *rules.Node, env map[string]any) (tri, error) {
	switch n.Op {
	case rules.OpAnd:
		x, err := r.truth(c, n.X, env)
		if err != nil || x == triFalse {
			return x, err
		}
		y, err := r.truth(c, n.Y, env)
		if err != nil || y == triFalse {
			return y, err
		}
		if x == triUnknown || y == triUnknown {
			return triUnknown, nil
		}
		return triTrue, nil
	case rules.OpOr:
		x, err := r.truth(c, n.X, env)
		if err != nil || x == triTrue {
			return x, err
		}
		y, err := r.truth(c, n.Y, env)
		if err != nil || y == triTrue {
			return y, err
		}
		if x == triUnknown || y == triUnknown {
			return triUnknown, nil
		}
		return triFalse, nil
	case rules.OpNot:
		x, err := r.truth(c, n.X, env)
		switch x {
		case triTrue:
			return triFalse, err
		case triFalse:
			return triTrue, err
		}
		return x, err
	}
	if r.blocked(c, n) {
		return triUnknown, nil
	}
	out, err := r.runLeaf(c, n, env)
	if err != nil {
		return triFalse, err
	}
	switch b := out.(type) {
	case bool:
		if b {
			return triTrue, nil
		}
		return triFalse, nil
	case nil:
		return triUnknown, nil
	}
	return triFalse, &ConditionError{At: c.At, Expr: c.Text, Msg: fmt.Sprintf("a condition must be true or false, but this is %s", describe(out))}
}

// traceReads copies what conditions read into the result's read buffer,
// each name once; extra, when given, comes first.
func (r *run) traceReads(extra *model.Read, conds ...*rules.Cond) model.Reads {
	if !r.e.trace {
		return nil
	}
	start := len(r.reads)
	if extra != nil {
		r.reads = append(r.reads, *extra)
	}
	for _, c := range conds {
		if c == nil {
			continue
		}
		for i := range c.Reads {
			ref := &c.Reads[i]
			if ref.Kind == rules.RefNow || r.traced(start, ref.Name) {
				continue
			}
			if v, ok := r.value(ref); ok {
				r.reads = append(r.reads, model.Read{Name: ref.Name, Value: v})
			} else if ref.Kind == rules.RefFact || ref.Kind == rules.RefLet {
				// Missing, or an unknown let: shown as null, so a guarded
				// read that fell back to its default is visible.
				r.reads = append(r.reads, model.Read{Name: ref.Name})
			}
		}
	}
	if len(r.reads) == start {
		return nil
	}
	return r.reads[start:len(r.reads):len(r.reads)]
}

func (r *run) traced(start int, name string) bool {
	for _, rd := range r.reads[start:] {
		if rd.Name == name {
			return true
		}
	}
	return false
}

// missingFor lists the facts a condition needs that the lead lacks,
// following unknown lets to the facts that made them unknown.
func (r *run) missingFor(conds ...*rules.Cond) []string {
	var out []string
	add := func(name string) {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, c := range conds {
		if c == nil {
			continue
		}
		for _, leaf := range c.Leaves() {
			for _, i := range append(leaf.Needs[:len(leaf.Needs):len(leaf.Needs)], leaf.Guarded...) {
				ref := &c.Reads[i]
				if _, ok := r.value(ref); ok {
					continue
				}
				if ref.Kind == rules.RefLet {
					for _, m := range r.lets[ref.Index].missing {
						add(m)
					}
					continue
				}
				add(ref.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (r *run) step(s model.Step) {
	if r.e.trace {
		r.res.Trace = append(r.res.Trace, s)
	}
}

func (r *run) evalLets() error {
	for i, l := range r.pol.Lets {
		st := &r.lets[i]
		c := l.Value
		if c.Root.Op != rules.OpLeaf {
			t, err := r.truth(c, c.Root, r.env)
			if err != nil {
				return err
			}
			if t != triUnknown {
				st.known = true
				st.raw = t == triTrue
			}
		} else if !r.blocked(c, c.Root) {
			out, err := r.runLeaf(c, c.Root, r.env)
			if err != nil {
				return err
			}
			st.known = out != nil
			st.raw = out
		}
		if st.known {
			st.val = model.ValueOf(st.raw)
			r.env[l.Name] = st.raw
		} else {
			st.missing = r.missingFor(c)
		}
		s := model.Step{Kind: model.StepLet, Name: l.Name, At: l.At, Reads: r.traceReads(nil, c)}
		if st.known {
			s.Outcome, s.Value = model.HasValue, st.val
		} else {
			s.Outcome, s.Missing = model.OutUnknown, st.missing
		}
		r.step(s)
	}
	return nil
}

func (r *run) evalFrameworks() error {
	for i, f := range r.pol.Frameworks {
		fr := r.res.Frameworks[f.Name]
		if fr == nil {
			fr = &model.FrameworkResult{}
			r.res.Frameworks[f.Name] = fr
		}
		crit := fr.Criteria
		if crit == nil {
			crit = make(map[string]model.Status, len(f.Criteria))
		} else {
			clear(crit)
		}
		*fr = model.FrameworkResult{Total: len(f.Criteria), Criteria: crit}
		fenv := make(map[string]any, len(f.Criteria)+5)
		for _, c := range f.Criteria {
			t, err := r.truth(c.When, c.When.Root, r.env)
			if err != nil {
				return err
			}
			s := model.Step{Kind: model.StepCriterion, Framework: f.Name, Name: c.Name, Label: c.Label, At: c.At}
			var status model.Status
			switch t {
			case triTrue:
				status, s.Outcome = model.Met, model.OutMet
				fr.Met++
			case triFalse:
				status, s.Outcome = model.Unmet, model.OutUnmet
				fr.Unmet++
			default:
				status, s.Outcome = model.Unknown, model.OutUnknown
				fr.Unknown++
				s.Missing = r.missingFor(c.When)
			}
			crit[c.Name] = status
			fenv[c.Name] = string(status)
			s.Reads = r.traceReads(nil, c.When)
			r.step(s)
		}
		fenv["met"], fenv["unmet"], fenv["unknown"], fenv["total"] = fr.Met, fr.Unmet, fr.Unknown, fr.Total
		r.fws[i] = fenv
		s := model.Step{Kind: model.StepFramework, Framework: f.Name, At: f.At}
		if f.Qualified != nil {
			t, err := r.truth(f.Qualified, f.Qualified.Root, fenv)
			if err != nil {
				return err
			}
			fr.Qualified = t == triTrue
			s.Label = "qualified when " + f.Qualified.Text
			s.Reads = r.traceReads(nil, f.Qualified)
		} else {
			fr.Qualified = fr.Met == fr.Total
			s.Label = "qualified when every criterion is met"
		}
		fenv["qualified"] = fr.Qualified
		if fr.Qualified {
			s.Outcome = model.Qualified
		} else {
			s.Outcome = model.NotQualified
		}
		r.env[f.Name] = fenv
		r.step(s)
	}
	return nil
}

func (r *run) evalGroups() error {
	r.score = make(map[string]any, len(r.pol.Groups)+1)
	r.env["score"] = r.score
	var total float64
	for gi, g := range r.pol.Groups {
		if err := r.checkCtx(); err != nil {
			return err
		}
		var raw float64
		for _, rule := range g.Rules {
			pts, err := r.evalRule(g, rule)
			if err != nil {
				return err
			}
			raw += pts
		}
		points := g.Clamp.Apply(raw)
		r.groups[gi] = points
		r.score[g.Name] = points
		r.res.Score.Groups[g.Name] = model.GroupScore{Points: points, Raw: raw, Min: g.Clamp.Min, Max: g.Clamp.Max}
		total += points
		r.step(model.Step{Kind: model.StepGroup, Group: g.Name, Outcome: model.HasValue, Points: points, Raw: raw, At: g.At})
	}
	r.total = r.pol.Total.Apply(total)
	r.score["total"] = r.total
	r.res.Score.Total = r.total
	r.step(model.Step{Kind: model.StepTotal, Outcome: model.HasValue, Points: r.total, Raw: total, At: r.pol.TotalAt})
	return nil
}

// evalRule evaluates one scoring rule and returns the points it gives.
func (r *run) evalRule(g *rules.Group, rule *rules.Rule) (float64, error) {
	s := model.Step{Kind: model.StepRule, Group: g.Name, Label: rule.Label, At: rule.At}
	var pts float64
	var err error
	if rule.Each != nil {
		pts, err = r.evalEach(rule, &s)
	} else {
		pts, err = r.evalWhen(rule, &s)
	}
	if err != nil {
		return 0, err
	}
	s.Points = pts
	r.step(s)
	return pts, nil
}

func (r *run) evalWhen(rule *rules.Rule, s *model.Step) (float64, error) {
	t, err := r.truth(rule.When, rule.When.Root, r.env)
	if err != nil {
		return 0, err
	}
	switch t {
	case triFalse:
		s.Outcome = model.Unmatched
		s.Reads = r.traceReads(nil, rule.When)
		return 0, nil
	case triUnknown:
		s.Outcome = model.OutUnknown
		s.Missing = r.missingFor(rule.When)
		s.Reads = r.traceReads(nil, rule.When)
		return 0, nil
	}
	base, known, err := r.points(rule)
	if err != nil {
		return 0, err
	}
	if !known {
		s.Outcome = model.OutUnknown
		s.Missing = r.missingFor(rule.PointsExpr)
		s.Reads = r.traceReads(nil, rule.When)
		return 0, nil
	}
	s.Outcome = model.Matched
	s.Reads = r.traceReads(nil, rule.When, rule.PointsExpr)
	return base, nil
}

// points returns a rule's points: its constant, or its points expression
// times its sign. known is false when the expression needs a missing fact.
func (r *run) points(rule *rules.Rule) (float64, bool, error) {
	if rule.PointsExpr == nil {
		return rule.Points, true, nil
	}
	c := rule.PointsExpr
	if r.blocked(c, c.Root) {
		return 0, false, nil
	}
	out, err := r.runLeaf(c, c.Root, r.env)
	if err != nil {
		return 0, false, err
	}
	v := model.ValueOf(out)
	f, ok := v.Number()
	if out == nil {
		return 0, false, nil
	}
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, &ConditionError{At: c.At, Expr: c.Text, Msg: fmt.Sprintf("points must be a number, but this is %s", describe(out))}
	}
	return rule.Points * f, true, nil
}

// evalEach scores an each rule: the matching elements, newest first, at
// most limit of them, each decayed by its age when the rule has a halflife.
func (r *run) evalEach(rule *rules.Rule, s *model.Step) (float64, error) {
	each := rule.Each
	s.Each = true
	list, known := r.value(&each.List)
	listRead := model.Read{Name: each.List.Name, Value: list}
	if !known {
		s.Outcome = model.OutUnknown
		s.Missing = []string{each.List.Name}
		s.Reads = r.traceReads(nil, each.Where)
		return 0, nil
	}
	if list.Kind != model.KindList {
		return 0, &ConditionError{At: rule.At, Expr: each.List.Name, Msg: fmt.Sprintf("each needs a list, but %s is %s", each.List.Name, describe(list.Interface()))}
	}
	c := each.Where
	if r.blocked(c, c.Root) {
		s.Outcome = model.OutUnknown
		s.Missing = r.missingFor(c)
		s.Reads = r.traceReads(&listRead, c)
		return 0, nil
	}
	r.env["__each__"] = list.Any
	out, err := r.runLeaf(c, c.Root, r.env)
	delete(r.env, "__each__")
	if err != nil {
		return 0, err
	}
	matched, _ := out.([]any)
	s.Matches = len(matched)
	s.Reads = r.traceReads(&listRead, c)
	if len(matched) == 0 {
		s.Outcome = model.Unmatched
		return 0, nil
	}
	perElement, known, err := r.elementPoints(rule, matched)
	if err != nil {
		return 0, err
	}
	if !known {
		s.Outcome = model.OutUnknown
		s.Missing = r.missingFor(rule.PointsExpr)
		return 0, nil
	}
	times := make([]time.Time, len(matched))
	hasTimes := true
	for i, el := range matched {
		t, ok := elementTime(el)
		if !ok {
			hasTimes = false
			if each.Halflife > 0 {
				return 0, &ConditionError{At: rule.At, Expr: c.Text, Msg: fmt.Sprintf("halflife needs each element's at time, and %s[%d] has none", each.List.Name, i)}
			}
		}
		times[i] = t
	}
	order := make([]int, len(matched))
	for i := range order {
		order[i] = i
	}
	if hasTimes {
		// Newest first; equal times keep the list's order.
		slices.SortStableFunc(order, func(a, b int) int { return times[b].Compare(times[a]) })
	}
	n := len(order)
	if each.Limit > 0 && n > each.Limit {
		n = each.Limit
	}
	var sum float64
	for _, i := range order[:n] {
		pts := rule.Points
		if perElement != nil {
			pts = perElement[i]
		}
		if each.Halflife > 0 {
			age := r.now.Sub(times[i])
			if age < 0 {
				age = 0
			}
			pts *= math.Pow(0.5, float64(age)/float64(each.Halflife))
		}
		sum += pts
	}
	s.Counted = n
	s.Outcome = model.Matched
	return sum, nil
}

// elementPoints computes the points of every matching element of an each
// rule with a points expression; it returns nil for constant points.
func (r *run) elementPoints(rule *rules.Rule, matched []any) ([]float64, bool, error) {
	c := rule.PointsExpr
	if c == nil {
		return nil, true, nil
	}
	if r.blocked(c, c.Root) {
		return nil, false, nil
	}
	r.env["__each__"] = matched
	out, err := r.runLeaf(c, c.Root, r.env)
	delete(r.env, "__each__")
	if err != nil || out == nil {
		return nil, false, err
	}
	list, _ := out.([]any)
	if len(list) != len(matched) {
		return nil, false, &ConditionError{At: c.At, Expr: c.Text, Msg: "points must give one number per element"}
	}
	pts := make([]float64, len(list))
	for i, x := range list {
		f, ok := model.ValueOf(x).Number()
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false, &ConditionError{At: c.At, Expr: c.Text, Msg: fmt.Sprintf("points must be a number, but for element %d this is %s", i, describe(x))}
		}
		pts[i] = rule.Points * f
	}
	return pts, true, nil
}

// elementTime returns the at time of a list element, if it has one.
func elementTime(el any) (time.Time, bool) {
	m, ok := el.(map[string]any)
	if !ok {
		return time.Time{}, false
	}
	switch at := m["at"].(type) {
	case time.Time:
		return at, true
	case string:
		t, err := rules.ParseTime(at)
		return t, err == nil
	}
	return time.Time{}, false
}

func (r *run) evalLadders() error {
	for i, l := range r.pol.Ladders {
		label := ""
		matched := false
		for _, st := range l.Steps {
			s := model.Step{Kind: model.StepLadder, Ladder: l.Name, Label: st.Label, Because: st.Because, At: st.At}
			if st.When == nil {
				s.Outcome = model.Matched
				matched = true
			} else {
				t, err := r.truth(st.When, st.When.Root, r.env)
				if err != nil {
					return err
				}
				s.Reads = r.traceReads(nil, st.When)
				switch t {
				case triTrue:
					s.Outcome = model.Matched
					matched = true
				case triFalse:
					s.Outcome = model.Unmatched
				default:
					s.Outcome = model.OutUnknown
					s.Missing = r.missingFor(st.When)
				}
			}
			r.step(s)
			if matched {
				label = st.Label
				break
			}
		}
		r.labels[i] = label
		r.env[l.Name] = label
		r.res.Labels[l.Name] = label
		s := model.Step{Kind: model.StepLabel, Ladder: l.Name, Label: label, At: l.At, Outcome: model.Matched}
		if !matched {
			s.Outcome = model.NoMatch
		}
		r.step(s)
	}
	return nil
}
