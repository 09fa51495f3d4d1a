// Package eval evaluates a compiled policy against the facts of a lead and
// produces a model.Result: group scores, framework results, ladder labels,
// the facts that were missing and the explanation trace. It also scores
// many leads at once (Batch).
//
// An Evaluator is safe for concurrent use. It never panics: a lead with a
// missing required fact or a value of the wrong type, or a condition that
// fails at run time, gives an error for that lead.
//
// Facts are decoded once into slots indexed by the policy's fact schema.
// Conditions that the compiler could describe as simple comparisons
// (rules.Simple) run directly on those slots, most of them as closures
// bound once per Evaluator (fast.go); the others run as expr programs,
// against an environment built from the slots only when the first of them
// runs. The trace is recorded while a lead is evaluated and its steps are
// rendered when they are read (trace.go). With a result that the caller
// reuses (EvaluateInto), evaluating a lead given as a map does not
// allocate.
package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
	// table describes the trace steps (trace.go).
	table stepTable
	pool  *sync.Pool
	// leaves and preds are the bound leaves and element predicates, by
	// rules.Node.Leaf (see fast.go).
	leaves []leafFn
	preds  []predFn
	// noBinding turns bound leaves off (tests compare both paths).
	noBinding bool
	// stage is the index of the ladder called stage, or -1.
	stage int
	// whole marks, by schema node, the objects some condition reads whole:
	// a JSON lead gives them as maps (see jsonfacts.go).
	whole []bool
	// eventField names, by schema node, the one field of an event list's
	// elements that evaluating reads (see eventFields): a JSON lead's list
	// is read as that field and time of each element, its elements not
	// built; with the trace on, its text is kept for the trace to show.
	eventField []string
	// factSlots holds, for each of the policy's FactReads, its slot (-1
	// for a fact the schema does not declare).
	factSlots []int32
	// typeMatch marks, by schema node, the event lists whose each rules
	// all test the elements' type and score constant points: the type of
	// each element, read when the list is checked, is all they need.
	typeMatch []bool
	// at places the policy's ladders, groups, frameworks and criteria in
	// the result's lists, which are sorted by name.
	at resultIndex
}

// resultIndex gives, for each ladder, group and framework in the
// policy's order and each criterion of each framework, its index in the
// result's list of them, sorted by name. An evaluation writes every
// entry of the lists by these indices, without looking names up.
type resultIndex struct {
	labels, groups, frameworks []int
	criteria                   [][]int
}

func newResultIndex(pol *rules.Policy) resultIndex {
	idx := resultIndex{
		labels:     sortedIndex(pol.Ladders, func(l *rules.Ladder) string { return l.Name }),
		groups:     sortedIndex(pol.Groups, func(g *rules.Group) string { return g.Name }),
		frameworks: sortedIndex(pol.Frameworks, func(f *rules.Framework) string { return f.Name }),
		criteria:   make([][]int, len(pol.Frameworks)),
	}
	for i, f := range pol.Frameworks {
		idx.criteria[i] = sortedIndex(f.Criteria, func(c *rules.Criterion) string { return c.Name })
	}
	return idx
}

// sortedIndex returns, for each element of list, its index in list sorted
// by name.
func sortedIndex[T any](list []T, name func(T) string) []int {
	order := make([]int, len(list))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(name(list[a]), name(list[b])) })
	at := make([]int, len(list))
	for k, i := range order {
		at[i] = k
	}
	return at
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
	if !e.noBinding {
		e.leaves, e.preds = bindLeaves(pol)
		e.eventField = eventFields(pol)
		e.typeMatch = typeMatches(pol)
	}
	e.table = newStepTable(pol, e.leaves)
	e.factSlots = make([]int32, len(pol.FactReads))
	for i, ref := range pol.FactReads {
		e.factSlots[i] = -1
		if ref.Node != nil {
			e.factSlots[i] = int32(ref.Index)
		}
	}
	if pol.Schema != nil {
		e.whole = make([]bool, len(pol.Schema.Nodes))
		for _, ref := range pol.FactReads {
			if ref.Node != nil && ref.Node.IsObject() {
				e.whole[ref.Node.Index] = true
			}
		}
	}
	e.at = newResultIndex(pol)
	e.stage = -1
	for i, l := range pol.Ladders {
		if l.Name == "stage" {
			e.stage = i
		}
	}
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

// EvaluateInto is Evaluate into a result the caller provides. Its lists,
// trace and buffers are reused, so a caller that evaluates many leads into
// one result allocates nothing per lead for leads given as maps, and for
// leads given as JSON little more than their strings. The result, including
// its trace and the lists and objects a JSON lead's values were decoded
// into, is overwritten by each call: copy what must outlive the next one
// (model.Result.Clone). With the trace on, the result keeps the lead's facts (its trace renders
// the values its steps read from them) until it is evaluated into again.
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
	b, isJSON, err := jsonBytes(facts)
	if err != nil {
		return err
	}
	// A typed policy reads JSON straight into its facts (jsonfacts.go);
	// maps, untyped policies and lenient strings take the map path.
	direct := isJSON && e.pol.Schema != nil && !e.lenient
	var m map[string]any
	switch {
	case direct:
	case isJSON:
		if m, err = decodeJSON(b); err != nil {
			return err
		}
	default:
		var ok bool
		if m, ok = facts.(map[string]any); !ok {
			return &InputError{Msg: "no facts (nil)"}
		}
	}
	r := e.pool.Get().(*run)
	r.reset(e, ctx, res)
	if direct {
		err = r.decodeJSONLead(b)
	} else {
		err = r.decode(m)
	}
	if err == nil {
		err = r.evaluate()
	}
	r.finish()
	e.pool.Put(r)
	return err
}

// tri is a three-valued truth: a condition is true, false or unknown.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// state is what an evaluation knows of a lead: its facts, lets, framework
// results, scores and labels. With the trace on, a lead's state stays with
// its result once evaluated (record), to render the values the steps read.
type state struct {
	pol *rules.Policy
	now time.Time
	// slots hold a typed lead's facts by schema node; raw is an untyped
	// lead.
	slots []model.Value
	raw   map[string]any

	lets   []letState
	fws    []fwState
	groups []float64
	total  float64
	labels []string
	// done counts what each phase has computed, for the environment.
	doneLets, doneFws, doneGroups, doneLadders int
	doneTotal                                  bool
	// ownFw is the framework whose qualified condition is evaluated.
	ownFw int
	// texts holds, with the trace on, the JSON text of the event lists
	// read from a JSON lead without building their elements, for the
	// trace to show (record.Render).
	texts   []listText
	textBuf []byte
}

// maxKeptText bounds the memory of the lists' texts that a result keeps
// for its next evaluation (state.textBuf).
const maxKeptText = 1 << 20

// listText is an event list kept as its elements' field
// (indexEventFields), for the trace: text is the list's JSON as the
// lead gives it, json as the result's JSON writes it (the same bytes when
// the lead's are already so); both are in the state's textBuf.
type listText struct {
	node       int
	text, json []byte
}

// takeState makes the memory of st the run's, for reset to fill, and
// leaves st without it.
func (r *run) takeState(st *state) {
	r.slots, r.lets, r.fws, r.groups, r.labels, r.raw = st.slots, st.lets, st.fws, st.groups, st.labels, nil
	st.slots, st.lets, st.fws, st.groups, st.labels, st.raw = nil, nil, nil, nil, nil, nil
	r.texts, st.texts = st.texts[:0], nil
	r.textBuf, st.textBuf = st.textBuf[:0], nil
	if cap(r.textBuf) > maxKeptText {
		r.textBuf = nil // a huge lead's lists are not kept for good
	}
}

// run is the state of one evaluation; runs are pooled and reused.
type run struct {
	state
	e   *Evaluator
	ctx context.Context
	vm  vm.VM
	res *model.Result

	// times holds the at of every element of a typed lead's event lists,
	// by schema node.
	times [][]time.Time
	// fields holds, for an event list kept without its elements, each
	// element's value of the field its each rules test (Evaluator.eventField).
	fields [][]string
	// members holds the members of the event being read, for its text in
	// the trace (indexEventFields).
	members []model.JSONMember
	errs    []error
	lenient bool

	// env is the environment of expr programs, built when the first one
	// runs (envReady) and kept up to date after that.
	env      map[string]any
	envReady bool
	score    map[string]any

	// rec records the trace (nil without one).
	rec     *record
	scratch entry
	// tmp holds a value a bound leaf computes (fast.go).
	tmp     model.Value
	matched []any
	etimes  []time.Time
	order   []int
	// json is the state of reading a JSON lead into the slots.
	json jsonLead
}

type letState struct {
	known bool
	val   model.Value
	raw   any
}

type fwState struct {
	met, unmet, unknown int
	qualified           bool
	status              []model.Status
}

func (r *run) reset(e *Evaluator, ctx context.Context, res *model.Result) {
	r.rec = nil
	if e.trace {
		// The trace keeps the state of the lead last evaluated into res
		// (finish): its memory is reused for this one.
		rec, _ := res.TraceRecord().(*record)
		if rec == nil {
			rec = &record{}
		}
		r.rec = rec
		rec.descs = e.table.descs
		if cap(rec.entries) < len(e.table.descs) {
			rec.entries = make([]entry, 0, len(e.table.descs))
		}
		rec.entries = rec.entries[:0]
		r.takeState(&rec.st)
		clear(r.slots)
	}
	// finish gives the result its trace: an evaluation stopped by a panic
	// leaves it none rather than one without its lead's state.
	res.SetTrace(nil)
	r.e, r.ctx, r.pol, r.res = e, ctx, e.pol, res
	r.now = e.now
	if r.now.IsZero() {
		r.now = time.Now()
	}
	r.vm.MemoryBudget = e.budget
	r.lenient = e.lenient
	r.errs = r.errs[:0]
	r.raw = nil
	if s := r.pol.Schema; s != nil {
		// finish cleared the slots of the last lead, or the trace's record
		// did above.
		if len(r.slots) != len(s.Nodes) {
			r.slots = make([]model.Value, len(s.Nodes))
		}
		if len(r.times) < len(s.Nodes) {
			r.times = make([][]time.Time, len(s.Nodes))
		}
		if len(r.fields) < len(s.Nodes) {
			r.fields = make([][]string, len(s.Nodes))
		}
	}
	r.lets = resize(r.lets, len(r.pol.Lets))
	if len(r.fws) != len(r.pol.Frameworks) {
		r.fws = make([]fwState, len(r.pol.Frameworks))
	}
	for i, f := range r.pol.Frameworks {
		st := r.fws[i].status
		if len(st) != len(f.Criteria) {
			st = make([]model.Status, len(f.Criteria))
		}
		r.fws[i] = fwState{status: st}
	}
	r.groups = resize(r.groups, len(r.pol.Groups))
	r.labels = resize(r.labels, len(r.pol.Ladders))
	r.total = 0
	r.doneLets, r.doneFws, r.doneGroups, r.doneLadders, r.doneTotal = 0, 0, 0, 0, false
	r.envReady = false
	r.score = nil

	res.Now = r.now
	res.Stage = ""
	// Each phase writes all of its policy's frameworks, groups or labels,
	// names and values, into the memory of the result's list, by their
	// index in it (Evaluator.at), and gives the list its length when it
	// is done: a result reused from another policy, or from a lead that
	// failed, shows nothing of what it held before.
	res.Labels, res.Score.Groups, res.Frameworks = res.Labels[:0], res.Score.Groups[:0], res.Frameworks[:0]
	res.Policy = r.pol.Info()
	res.Score.Total = 0
	res.Missing = res.Missing[:0]
	sc := res.Scratch()
	r.json.maps, r.json.lists, r.json.nmaps, r.json.nlists = sc.Maps, sc.Lists, 0, 0
}

// finish hands the buffers back to the result and drops references to
// the lead, so that a pooled run does not keep it alive.
func (r *run) finish() {
	r.res.KeepScratch(model.Scratch{Maps: r.json.maps, Lists: r.json.lists})
	r.json.maps, r.json.lists = nil, nil
	if rec := r.rec; rec != nil {
		// The trace renders the values its steps read from the lead's
		// state: it stays with the result until it is evaluated into again.
		rec.st = r.state
		r.takeState(&state{})
		r.res.SetTrace(rec)
		r.rec = nil
	} else {
		clear(r.slots)
		clear(r.lets)
		r.raw = nil
	}
	r.res, r.ctx = nil, nil
	clear(r.matched)
	if r.env != nil {
		clear(r.env)
	}
	r.score = nil
}

// extend returns s with length n, growing it when it is short. The
// elements it held up to its capacity stay: the frameworks of a result
// keep their criteria's memory.
func extend[T any](s []T, n int) []T {
	if cap(s) < n {
		s = append(s[:cap(s)], make([]T, n-cap(s))...)
	}
	return s[:n]
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

// decode reads the lead's facts into slots, or keeps an untyped lead.
func (r *run) decode(m map[string]any) error {
	if s := r.pol.Schema; s != nil {
		for _, root := range s.Root.Children {
			r.node(root, m[root.Name])
		}
		if err := gatherFacts(r.errs); err != nil {
			return err
		}
	} else {
		p, ok := plain(m, 0)
		if !ok {
			return &InputError{Msg: fmt.Sprintf("facts nested more than %d levels deep", maxDepth)}
		}
		r.raw = p.(map[string]any)
	}
	r.noteMissing()
	return nil
}

// noteMissing lists in the result the facts conditions read that the lead
// lacks.
func (r *run) noteMissing() {
	for i, slot := range r.e.factSlots {
		if slot >= 0 && r.slots[slot].Kind != model.KindMissing ||
			slot < 0 && r.known(&r.pol.FactReads[i]) {
			continue
		}
		r.res.Missing = append(r.res.Missing, r.pol.FactReads[i].Name)
	}
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
	if i := r.e.stage; i >= 0 {
		r.res.Stage = r.labels[i]
	}
	return nil
}

// value returns what a reference reads and whether it is known.
func (r *state) value(ref *rules.Ref) (model.Value, bool) {
	switch ref.Kind {
	case rules.RefFact:
		if ref.Node != nil {
			v := r.slots[ref.Index]
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
		if ref.Index >= r.doneFws {
			return model.Value{}, false
		}
		if len(ref.Path) == 0 {
			return model.Value{Kind: model.KindObject, Any: r.fwEnv(ref.Index)}, true
		}
		return r.fwMember(ref.Index, ref.Path[0]), true
	case rules.RefOwn:
		return r.fwMember(ref.Index, ref.Path[0]), true
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

// fwMember returns a framework's count, verdict or criterion status.
func (r *state) fwMember(i int, member string) model.Value {
	return r.fwValue(i, fwMemberOf(r.pol.Frameworks[i], member))
}

// fwEnv is a framework as expressions see it: counts, statuses, verdict.
func (r *state) fwEnv(i int) map[string]any {
	f := r.pol.Frameworks[i]
	st := &r.fws[i]
	m := make(map[string]any, len(f.Criteria)+5)
	for j, c := range f.Criteria {
		m[c.Name] = string(st.status[j])
	}
	m["met"], m["unmet"], m["unknown"], m["total"] = st.met, st.unmet, st.unknown, len(f.Criteria)
	if i < r.doneFws {
		m["qualified"] = st.qualified
	}
	return m
}

// blocked reports whether a leaf needs a fact or let that is not known.
func (r *run) blocked(c *rules.Cond, n *rules.Node) bool {
	for _, i := range n.Needs {
		if !r.known(&c.Reads[i]) {
			return true
		}
	}
	return false
}

// known reports whether a fact or let is known, without copying its value.
func (r *state) known(ref *rules.Ref) bool {
	switch ref.Kind {
	case rules.RefFact:
		if ref.Node != nil {
			return r.slots[ref.Index].Kind != model.KindMissing
		}
	case rules.RefLet:
		return r.lets[ref.Index].known
	case rules.RefFramework:
		return ref.Index < r.doneFws
	case rules.RefOwn, rules.RefScore, rules.RefLadder, rules.RefNow:
		return true
	}
	_, ok := r.value(ref)
	return ok
}

// envFor gives the environment a program runs against.
type envFor func(r *run) map[string]any

func mainEnv(r *run) map[string]any { return r.ensureEnv() }

// ownEnv is the environment of a qualified when condition: its framework.
func ownEnv(r *run) map[string]any { return r.fwEnv(r.ownFw) }

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

// cond evaluates a step's first condition: one bound as a whole
// (bindTree) runs its closure straight from the step table, any other
// takes the general walk of truth.
func (r *run) cond(d *stepDesc, env envFor) (tri, error) {
	if d.leaf != nil {
		if t, ok := d.leaf(r); ok {
			return t, nil
		}
	}
	return r.truth(d.conds[0], d.conds[0].Root, env)
}

// boundLeaf runs a leaf's bound closure; ok is false when the node is not
// a bound leaf or its closure leaves it to the general path.
func (r *run) boundLeaf(n *rules.Node) (tri, bool) {
	if l := n.Leaf; l > 0 && l < len(r.e.leaves) {
		if f := r.e.leaves[l]; f != nil {
			return f(r)
		}
	}
	return triFalse, false
}

// truth evaluates a condition with three-valued logic: a leaf that needs a
// missing fact is unknown; and, or and not combine as Kleene's logic does,
// so a known false decides an and, and a known true decides an or.
func (r *run) truth(c *rules.Cond, n *rules.Node, env envFor) (tri, error) {
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
	if n.Simple != nil {
		if t, ok := r.boundLeaf(n); ok {
			return t, nil
		}
		if t, ok := r.simpleLeaf(c, n.Simple); ok {
			return t, nil
		}
	}
	if r.blocked(c, n) {
		return triUnknown, nil
	}
	out, err := r.runLeaf(c, n, env(r))
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

func (r *run) evalLets() error {
	for i, l := range r.pol.Lets {
		st := &r.lets[i]
		c := l.Value
		if c.Root.Op != rules.OpLeaf || c.Root.Simple != nil {
			t, err := r.cond(&r.e.table.descs[i], mainEnv)
			if err != nil {
				return err
			}
			if t != triUnknown {
				st.known = true
				st.raw = t == triTrue
				st.val = model.Value{Kind: model.KindBool, Bool: t == triTrue}
			}
		} else if !r.blocked(c, c.Root) {
			out, err := r.runLeaf(c, c.Root, r.ensureEnv())
			if err != nil {
				return err
			}
			if out != nil {
				st.known, st.raw, st.val = true, out, model.ValueOf(out)
			}
		}
		s := r.step(i) // lets come first in the step table
		s.outcome = oValue
		if !st.known {
			s.outcome = oUnknown
			s.missing = readFirst
		}
		r.doneLets = i + 1
		if r.envReady && st.known {
			r.env[l.Name] = st.raw
		}
		s.reads = readFirst
	}
	return nil
}

func (r *run) evalFrameworks() error {
	fws := extend(r.res.Frameworks, len(r.pol.Frameworks))
	for i, f := range r.pol.Frameworks {
		st := &r.fws[i]
		fr := &fws[r.e.at.frameworks[i]]
		crit := extend(fr.Criteria, len(f.Criteria))
		critAt := r.e.at.criteria[i]
		base := r.e.table.fw[i]
		for j, c := range f.Criteria {
			t, err := r.cond(&r.e.table.descs[base+j], mainEnv)
			if err != nil {
				return err
			}
			s := r.step(base + j)
			switch t {
			case triTrue:
				st.status[j], s.outcome = model.Met, oMet
				st.met++
			case triFalse:
				st.status[j], s.outcome = model.Unmet, oUnmet
				st.unmet++
			default:
				st.status[j], s.outcome = model.Unknown, oUnknown
				st.unknown++
				s.missing = readFirst
			}
			crit[critAt[j]] = model.CriterionStatus{Name: c.Name, Status: st.status[j]}
			s.reads = readFirst
		}
		s := r.step(base + len(f.Criteria))
		if f.Qualified != nil {
			r.ownFw = i
			t, err := r.cond(&r.e.table.descs[base+len(f.Criteria)], ownEnv)
			if err != nil {
				return err
			}
			st.qualified = t == triTrue
			s.reads = readFirst
		} else {
			st.qualified = st.met == len(f.Criteria)
		}
		if st.qualified {
			s.outcome = oQualified
		} else {
			s.outcome = oNotQualified
		}
		*fr = model.FrameworkResult{Name: f.Name, Met: st.met, Unmet: st.unmet, Unknown: st.unknown, Total: len(f.Criteria),
			Qualified: st.qualified, Criteria: crit}
		r.doneFws = i + 1
		if r.envReady {
			r.env[f.Name] = r.fwEnv(i)
		}
	}
	r.res.Frameworks = fws
	return nil
}

func (r *run) evalGroups() error {
	var total float64
	groups := extend(r.res.Score.Groups, len(r.pol.Groups))
	for gi, g := range r.pol.Groups {
		if err := r.checkCtx(); err != nil {
			return err
		}
		var raw float64
		base := r.e.table.group[gi]
		for ri, rule := range g.Rules {
			d := &r.e.table.descs[base+ri]
			s := r.step(base + ri)
			if d.plain {
				// The common rule, inline: constant points when one bound
				// leaf holds.
				if t, ok := d.leaf(r); ok {
					switch t {
					case triTrue:
						s.outcome, s.points = oMatched, rule.Points
						raw += rule.Points
					case triFalse:
						s.outcome = oUnmatched
					default:
						s.outcome = oUnknown
						s.missing = readFirst
					}
					s.reads = readFirst
					continue
				}
			}
			pts, err := r.evalRule(s, d, rule)
			if err != nil {
				return err
			}
			raw += pts
		}
		if math.IsNaN(raw) || math.IsInf(raw, 0) {
			return fmt.Errorf("%s: the points of score %s add up to %s, which no result can hold", g.At, g.Name, model.FormatNumber(raw))
		}
		points := g.Clamp.Apply(raw)
		r.groups[gi] = points
		r.doneGroups = gi + 1
		if r.envReady {
			r.score[g.Name] = points
		}
		groups[r.e.at.groups[gi]] = model.GroupScore{Name: g.Name, Points: points, Raw: raw, Min: g.Clamp.Min, Max: g.Clamp.Max}
		total += points
		s := r.step(base + len(g.Rules))
		s.outcome, s.points, s.raw = oValue, points, raw
	}
	if math.IsInf(total, 0) { // each group's points are finite: no NaN
		at := r.pol.TotalAt
		if at == "" {
			at = r.pol.Groups[0].At
		}
		return fmt.Errorf("%s: the points of all score groups add up to %s, which no result can hold", at, model.FormatNumber(total))
	}
	r.res.Score.Groups = groups
	r.total = r.pol.Total.Apply(total)
	r.doneTotal = true
	if r.envReady {
		r.score["total"] = r.total
	}
	r.res.Score.Total = r.total
	s := r.step(r.e.table.total)
	s.outcome, s.points, s.raw = oValue, r.total, total
	return nil
}

// evalRule evaluates one scoring rule and returns the points it gives.
func (r *run) evalRule(s *entry, d *stepDesc, rule *rules.Rule) (float64, error) {
	var pts float64
	var err error
	if rule.Each != nil {
		pts, err = r.evalEach(rule, s)
	} else {
		pts, err = r.evalWhen(rule, s, d)
	}
	s.points = pts
	return pts, err
}

func (r *run) evalWhen(rule *rules.Rule, s *entry, d *stepDesc) (float64, error) {
	t, err := r.cond(d, mainEnv)
	if err != nil {
		return 0, err
	}
	switch t {
	case triFalse:
		s.outcome = oUnmatched
		s.reads = readFirst
		return 0, nil
	case triUnknown:
		s.outcome = oUnknown
		s.missing = readFirst
		s.reads = readFirst
		return 0, nil
	}
	base, known, err := r.points(rule)
	if err != nil {
		return 0, err
	}
	if !known {
		s.outcome = oUnknown
		s.missing = readSecond
		s.reads = readFirst
		return 0, nil
	}
	s.outcome = oMatched
	if rule.PointsExpr == nil {
		s.reads = readFirst
	} else {
		s.reads = readFirst | readSecond
	}
	return base, nil
}

// points returns a when rule's points: its constant, or its points
// expression times its sign. known is false when the expression needs a
// missing fact.
func (r *run) points(rule *rules.Rule) (float64, bool, error) {
	if rule.PointsExpr == nil {
		return rule.Points, true, nil
	}
	c := rule.PointsExpr
	if r.blocked(c, c.Root) {
		return 0, false, nil
	}
	out, err := r.runLeaf(c, c.Root, r.ensureEnv())
	if err != nil || out == nil {
		return 0, false, err
	}
	f, ok := model.ValueOf(out).Number()
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, &ConditionError{At: c.At, Expr: c.Text, Msg: fmt.Sprintf("points must be a number, but this is %s", describe(out))}
	}
	return rule.Points * f, true, nil
}

// evalEach scores an each rule: the matching elements, newest first, at
// most limit of them, each decayed by its age when the rule has a halflife.
func (r *run) evalEach(rule *rules.Rule, s *entry) (float64, error) {
	each := rule.Each
	list, known := r.value(&each.List)
	if !known {
		s.outcome = oUnknown
		s.missing = readList
		s.reads = readFirst
		return 0, nil
	}
	// A JSON lead's event list that only field predicates read is kept as
	// each element's field and time (jsonfacts.go), with no Any.
	fields, byField := r.eventFields(each.List, list)
	items, ok := list.Any.([]any)
	if list.Kind != model.KindList || !ok && !byField {
		return 0, &ConditionError{At: rule.At, Expr: each.List.Name, Msg: fmt.Sprintf("each needs a list, but %s is %s", each.List.Name, describe(list.Interface()))}
	}
	c := each.Where
	if r.blocked(c, c.Root) {
		s.outcome = oUnknown
		s.missing = readFirst
		s.reads = readList | readFirst
		return 0, nil
	}
	if byField {
		r.matchFields(rule, fields)
	} else if err := r.match(rule, items); err != nil {
		return 0, err
	}
	s.matches = int32(min(len(r.matched), math.MaxInt32))
	s.reads = readList | readFirst
	if len(r.matched) == 0 {
		s.outcome = oUnmatched
		return 0, nil
	}
	perElement, known, err := r.elementPoints(rule)
	if err != nil {
		return 0, err
	}
	if !known {
		s.outcome = oUnknown
		s.missing = readSecond
		return 0, nil
	}
	hasTimes := true
	for i := range r.matched {
		if r.etimes[i].IsZero() {
			hasTimes = false
			if each.Halflife > 0 {
				return 0, &ConditionError{At: rule.At, Expr: c.Text, Msg: fmt.Sprintf("halflife needs each element's at time, and a matching element of %s has none", each.List.Name)}
			}
		}
	}
	r.order = r.order[:0]
	for i := range r.matched {
		r.order = append(r.order, i)
	}
	if hasTimes {
		// Newest first; equal times keep the list's order.
		slices.SortStableFunc(r.order, func(a, b int) int { return r.etimes[b].Compare(r.etimes[a]) })
	}
	n := len(r.order)
	if each.Limit > 0 && n > each.Limit {
		n = each.Limit
	}
	var sum float64
	for _, i := range r.order[:n] {
		pts := rule.Points
		if perElement != nil {
			pts = perElement[i]
		}
		if each.Halflife > 0 {
			age := r.now.Sub(r.etimes[i])
			if age < 0 {
				age = 0
			}
			pts *= math.Exp2(-float64(age) / float64(each.Halflife))
		}
		sum += pts
	}
	s.counted = int32(min(n, math.MaxInt32))
	s.outcome = oMatched
	return sum, nil
}

// match fills r.matched with the elements of an each rule's list that
// match its where condition, and r.etimes with their at times (zero when
// an element has none).
func (r *run) match(rule *rules.Rule, items []any) error {
	each := rule.Each
	c := each.Where
	r.matched, r.etimes = r.matched[:0], r.etimes[:0]
	var times []time.Time
	if n := each.List.Node; n != nil && n.Type.Elem.Event {
		times = r.times[n.Index]
	}
	if c.Match != nil {
		var pred predFn
		if l := c.Root.Leaf; l < len(r.e.preds) {
			pred = r.e.preds[l]
		}
		covered := true
		for i, el := range items {
			var hit, ok bool
			if pred != nil {
				hit, ok = pred(el)
			}
			if !ok {
				hit, ok = r.simple(c, c.Match, el)
			}
			if !ok {
				covered = false
				break
			}
			if hit {
				r.matched = append(r.matched, el)
				if times != nil {
					r.etimes = append(r.etimes, times[i])
				} else {
					t, _ := elementTime(el)
					r.etimes = append(r.etimes, t)
				}
			}
		}
		if covered {
			return nil
		}
		r.matched, r.etimes = r.matched[:0], r.etimes[:0]
	}
	env := r.ensureEnv()
	env["__each__"] = r.envList(each.List, items)
	out, err := r.runLeaf(c, c.Root, env)
	delete(env, "__each__")
	if err != nil {
		return err
	}
	matched, _ := out.([]any)
	for _, el := range matched {
		t, _ := elementTime(el)
		r.matched = append(r.matched, el)
		r.etimes = append(r.etimes, t)
	}
	return nil
}

// eventFields returns the values of the field an each rule's predicate
// tests, for the elements of an event list: of a list read from JSON
// without building its elements, or of a list whose each rules all test
// the type (Evaluator.typeMatch), which events noted. ok is false when
// the rule must test the elements themselves.
func (r *run) eventFields(ref rules.Ref, list model.Value) (fields []string, ok bool) {
	if ref.Node == nil || list.Kind != model.KindList {
		return nil, false
	}
	i := ref.Node.Index
	switch {
	case list.Any == nil && r.e.eventField != nil && r.e.eventField[i] != "",
		list.Any != nil && r.e.typeMatch != nil && r.e.typeMatch[i]:
		return r.fields[i], true
	}
	return nil, false
}

// matchFields is match for an event list kept as its elements' field.
func (r *run) matchFields(rule *rules.Rule, fields []string) {
	p, _ := fieldPredOf(rule.Each.Where.Match)
	times := r.times[rule.Each.List.Node.Index]
	r.matched, r.etimes = r.matched[:0], r.etimes[:0]
	for i, got := range fields {
		if p.test(got) {
			r.matched = append(r.matched, nil) // constant points: only counted
			r.etimes = append(r.etimes, times[i])
		}
	}
}

// elementPoints computes the points of every matching element of an each
// rule with a points expression; it returns nil for constant points.
func (r *run) elementPoints(rule *rules.Rule) ([]float64, bool, error) {
	c := rule.PointsExpr
	if c == nil {
		return nil, true, nil
	}
	if r.blocked(c, c.Root) {
		return nil, false, nil
	}
	matched := make([]any, len(r.matched))
	for i, el := range r.matched {
		matched[i] = normalElement(el)
	}
	env := r.ensureEnv()
	env["__each__"] = matched
	out, err := r.runLeaf(c, c.Root, env)
	delete(env, "__each__")
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
	labels := extend(r.res.Labels, len(r.pol.Ladders))
	for i, l := range r.pol.Ladders {
		label := ""
		matched := false
		pick := -1
		base := r.e.table.ladder[i]
		for k, st := range l.Steps {
			s := r.step(base + k)
			if st.When == nil {
				s.outcome = oMatched
				matched = true
			} else {
				t, err := r.cond(&r.e.table.descs[base+k], mainEnv)
				if err != nil {
					return err
				}
				s.reads = readFirst
				switch t {
				case triTrue:
					s.outcome = oMatched
					matched = true
				case triFalse:
					s.outcome = oUnmatched
				default:
					s.outcome = oUnknown
					s.missing = readFirst
				}
			}
			if matched {
				label, pick = st.Label, k
				break
			}
		}
		r.labels[i] = label
		r.doneLadders = i + 1
		if r.envReady {
			r.env[l.Name] = label
		}
		labels[r.e.at.labels[i]] = model.Label{Ladder: l.Name, Value: label}
		s := r.step(base + len(l.Steps))
		s.outcome, s.pick = oMatched, int32(pick)
		if !matched {
			s.outcome = oNoMatch
		}
	}
	r.res.Labels = labels
	return nil
}
