package model

import (
	"iter"
	"slices"
	"sync"
	"time"
)

// PolicyInfo identifies the policy that produced a result.
type PolicyInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Hash is "sha256:" and the hex digest of the policy's sources.
	Hash string `json:"hash"`
}

// Result is the outcome of evaluating a policy against one lead.
type Result struct {
	Policy PolicyInfo `json:"policy"`
	Now    time.Time  `json:"now"`
	// Stage is the label of the stage ladder ("" when no step matched).
	Stage string `json:"stage"`
	// Labels holds the label of every ladder, sorted by ladder name; Label
	// looks one up. In JSON it is an object keyed by ladder name, in name
	// order also when a result built by hand lists them out of order;
	// AppendJSON says what becomes of a name listed twice. The same holds
	// for the groups, the frameworks and their criteria.
	Labels []Label `json:"labels"`
	Score  Score   `json:"score"`
	// Frameworks holds every framework's checklist, sorted by name;
	// Framework looks one up.
	Frameworks []FrameworkResult `json:"frameworks"`
	// Missing lists, sorted, the facts the policy reads that the lead lacks.
	Missing []string `json:"missing"`

	// trace holds the explanation trace (Trace, Steps): as an evaluator
	// recorded it, or as SetTrace gave it.
	trace TraceRecord
	// scratch is memory the evaluator reuses when it evaluates into this
	// result again.
	scratch Scratch
}

// TraceRecord is a trace as an evaluator records it while it runs: what
// happened at each step, kept compactly, with the values the steps read
// left where they are. A step is rendered as a Step only when something
// reads it (Result.Trace, Result.Steps, the JSON and the Explain text), so
// that evaluating with the trace on costs little more than with it off.
type TraceRecord interface {
	// Len is the number of steps.
	Len() int
	// Render writes step i into s. The values the step read and the facts
	// it missed are appended to buf, and s.Reads and s.Missing are set to
	// them, their capacity capped at their length so that later appends
	// cannot change them.
	Render(i int, s *Step, buf *StepBuffer)
}

// StepBuffer is the memory a TraceRecord renders steps' reads and missing
// facts into; its slices grow as needed.
type StepBuffer struct {
	Reads   []Read
	Missing []string
	// Texts is for a StepWriter's StepState.Texts.
	Texts [][]byte
}

// StepList is a trace given as its steps, for results built by hand.
type StepList []Step

// Len is the number of steps.
func (l StepList) Len() int { return len(l) }

// Render copies step i; its Reads and Missing are the list's.
func (l StepList) Render(i int, s *Step, _ *StepBuffer) { *s = l[i] }

// SetTrace makes rec the result's trace; nil means none.
func (r *Result) SetTrace(rec TraceRecord) { r.trace = rec }

// TraceRecord returns the result's trace as it is kept, for an evaluator
// that evaluates into the result again to reuse its memory; nil if none.
func (r *Result) TraceRecord() TraceRecord { return r.trace }

// TraceLen returns the number of trace steps.
func (r *Result) TraceLen() int {
	if r.trace == nil {
		return 0
	}
	return r.trace.Len()
}

// Trace returns the explanation trace: every let, criterion, rule, group,
// framework and ladder step, in evaluation order. Each call renders a new
// slice; Steps reads the trace without one.
func (r *Result) Trace() []Step {
	n := r.TraceLen()
	if n == 0 {
		return nil
	}
	steps := make([]Step, n)
	var buf StepBuffer
	for i := range steps {
		// A step's Reads and Missing keep pointing into the memory they
		// were rendered into when the buffer grows.
		r.trace.Render(i, &steps[i], &buf)
	}
	return steps
}

// Steps returns an iterator over the trace's steps, rendered one at a
// time into the same Step: the *Step, its Reads and its Missing are valid
// only until the iterator moves on. Nothing is allocated once it runs,
// but to decode a value the record keeps as JSON text (the evaluator
// keeps a JSON lead's event lists so, and AppendJSON writes them as they
// are).
func (r *Result) Steps() iter.Seq2[int, *Step] {
	return func(yield func(int, *Step) bool) {
		n := r.TraceLen()
		if n == 0 {
			return
		}
		buf := getRenderBuf()
		defer putRenderBuf(buf)
		for i := range n {
			buf.mem.Reads, buf.mem.Missing = buf.mem.Reads[:0], buf.mem.Missing[:0]
			r.trace.Render(i, &buf.step, &buf.mem)
			if !yield(i, &buf.step) {
				return
			}
		}
	}
}

// renderBuf is the memory Steps and AppendJSON render steps into.
type renderBuf struct {
	step Step
	mem  StepBuffer
}

var renderPool = sync.Pool{New: func() any { return new(renderBuf) }}

func getRenderBuf() *renderBuf { return renderPool.Get().(*renderBuf) }

// putRenderBuf drops what buf points to, so that the pool keeps no lead
// alive, and pools it unless it grew large.
func putRenderBuf(buf *renderBuf) {
	buf.step = Step{}
	clear(buf.mem.Reads)
	clear(buf.mem.Missing)
	clear(buf.mem.Texts)
	if cap(buf.mem.Reads) > 1024 || cap(buf.mem.Missing) > 1024 || cap(buf.mem.Texts) > 1024 {
		buf.mem = StepBuffer{}
	}
	renderPool.Put(buf)
}

// Scratch is the memory an evaluator keeps in a result, to reuse when it
// evaluates into the same result again: what the last evaluation's trace
// points into. Code other than an evaluator has no use for it.
type Scratch struct {
	// Maps and Lists are the objects and arrays decoded from a JSON lead
	// (events, lists, objects read whole), each used once per evaluation.
	Maps  []map[string]any
	Lists [][]any
}

// Scratch returns the memory of the last evaluation into r, for the
// evaluator to reuse.
func (r *Result) Scratch() Scratch { return r.scratch }

// KeepScratch stores the memory of an evaluation into r, for the next one.
func (r *Result) KeepScratch(s Scratch) { r.scratch = s }

// Label is the label a ladder gave a lead.
type Label struct {
	// Ladder is the ladder's name.
	Ladder string `json:"ladder"`
	// Value is the label of the step that matched ("" when none did).
	Value string `json:"value"`
}

// Score holds the total and each group's score.
type Score struct {
	Total float64 `json:"total"`
	// Groups holds every group's score, sorted by name; Result.Group
	// looks one up.
	Groups []GroupScore `json:"groups"`
}

// GroupScore is one score group: Raw is the sum of its rules' points and
// Points that sum clamped to [Min, Max].
type GroupScore struct {
	// Name is the group's name: the key its score is written under in
	// the JSON, which leaves it out of the score's own object.
	Name   string   `json:"-"`
	Points float64  `json:"points"`
	Raw    float64  `json:"raw"`
	Min    *float64 `json:"min"`
	Max    *float64 `json:"max"`
}

// Status is the outcome of a framework criterion.
type Status string

// Criterion statuses.
const (
	Met     Status = "met"
	Unmet   Status = "unmet"
	Unknown Status = "unknown"
)

// FrameworkResult is one framework's checklist for a lead.
type FrameworkResult struct {
	// Name is the framework's name: the key its checklist is written
	// under in the JSON, which leaves it out of the checklist's own object.
	Name      string `json:"-"`
	Met       int    `json:"met"`
	Unmet     int    `json:"unmet"`
	Unknown   int    `json:"unknown"`
	Total     int    `json:"total"`
	Qualified bool   `json:"qualified"`
	// Criteria holds every criterion's status, sorted by name; Criterion
	// looks one up.
	Criteria []CriterionStatus `json:"criteria"`
}

// CriterionStatus is the status of one criterion of a framework.
type CriterionStatus struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
}

// StepKind says what a trace step records.
type StepKind string

// Kinds of trace steps.
const (
	StepLet       StepKind = "let"
	StepCriterion StepKind = "criterion"
	StepFramework StepKind = "framework"
	StepRule      StepKind = "rule"
	StepGroup     StepKind = "group"
	StepTotal     StepKind = "total"
	StepLadder    StepKind = "step"
	StepLabel     StepKind = "ladder"
)

// Outcome is what happened at a trace step.
type Outcome string

// Outcomes of trace steps. Rules and ladder steps are matched, unmatched or
// unknown; criteria met, unmet or unknown; a let has a value or is unknown.
const (
	Matched      Outcome = "matched"
	Unmatched    Outcome = "unmatched"
	OutUnknown   Outcome = "unknown"
	OutMet       Outcome = "met"
	OutUnmet     Outcome = "unmet"
	HasValue     Outcome = "value"
	Qualified    Outcome = "qualified"
	NotQualified Outcome = "not qualified"
	NoMatch      Outcome = "no match"
)

// Read is one value a condition read: a fact path, a let, a framework
// count, a score or a ladder label.
type Read struct {
	Name  string
	Value Value
}

// Reads is the ordered list of values a step read; it marshals as a JSON
// object in that order.
type Reads []Read

// Step is one entry of the explanation trace.
type Step struct {
	Kind StepKind
	// Group, Framework and Ladder name the block the step belongs to.
	Group     string
	Framework string
	Ladder    string
	// Name is a let's or criterion's name.
	Name string
	// Label is a rule's, criterion's or ladder step's label.
	Label   string
	Outcome Outcome
	// Points are the points a rule gave, or a group's or the total's
	// clamped sum; Raw is the sum before clamping.
	Points float64
	Raw    float64
	// Value is a let's value.
	Value Value
	// Each marks a rule of the each form; Matches and Counted are how many
	// elements matched and how many scored after its limit.
	Each    bool
	Matches int
	Counted int
	// Because is a ladder step's reason.
	Because string
	Reads   Reads
	// Missing lists the facts whose absence made the step unknown.
	Missing []string
	// At is the step's source position, file:line:col.
	At string
}

// Clone returns a deep copy of r that shares no memory with it: its
// labels, groups (with their bounds), frameworks (with their criteria),
// missing facts and trace (rendered as a StepList) are its own, so that it
// outlives r being evaluated into again.
func (r *Result) Clone() *Result {
	c := &Result{Policy: r.Policy, Now: r.Now, Stage: r.Stage, Labels: slices.Clone(r.Labels),
		Score: Score{Total: r.Score.Total, Groups: slices.Clone(r.Score.Groups)}, Missing: slices.Clone(r.Missing),
		Frameworks: slices.Clone(r.Frameworks)}
	for i := range c.Score.Groups {
		g := &c.Score.Groups[i]
		g.Min, g.Max = clonePtr(g.Min), clonePtr(g.Max)
	}
	for i := range c.Frameworks {
		f := &c.Frameworks[i]
		f.Criteria = slices.Clone(f.Criteria)
	}
	if trace := r.Trace(); trace != nil {
		for i := range trace {
			s := &trace[i]
			s.Reads, s.Missing = slices.Clone(s.Reads), slices.Clone(s.Missing)
			for j := range s.Reads {
				s.Reads[j].Value = s.Reads[j].Value.clone()
			}
			s.Value = s.Value.clone()
		}
		c.trace = StepList(trace)
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// The lookups by name scan their list: a result has a handful of ladders,
// groups and frameworks. Of two entries with one name (in a result built
// by hand) they find the first.

// Label returns the label of the named ladder ("" if there is none, or no
// step of it matched).
func (r *Result) Label(ladder string) string {
	for i := range r.Labels {
		if r.Labels[i].Ladder == ladder {
			return r.Labels[i].Value
		}
	}
	return ""
}

// Group returns the score of the named group (zero if there is none).
func (r *Result) Group(name string) GroupScore {
	for i := range r.Score.Groups {
		if r.Score.Groups[i].Name == name {
			return r.Score.Groups[i]
		}
	}
	return GroupScore{}
}

// Framework returns the named framework's result, or nil. It points into
// r.Frameworks.
func (r *Result) Framework(name string) *FrameworkResult {
	for i := range r.Frameworks {
		if r.Frameworks[i].Name == name {
			return &r.Frameworks[i]
		}
	}
	return nil
}

// Criterion returns the status of the named criterion ("" if there is
// none, or f is nil: Framework's nil for a framework the result lacks).
func (f *FrameworkResult) Criterion(name string) Status {
	if f == nil {
		return ""
	}
	for i := range f.Criteria {
		if f.Criteria[i].Name == name {
			return f.Criteria[i].Status
		}
	}
	return ""
}

// Rule returns the trace step of the rule with label in group, or nil.
// The step is a copy: changing it does not change the result.
func (r *Result) Rule(group, label string) *Step {
	for _, s := range r.Steps() {
		if s.Kind == StepRule && s.Group == group && s.Label == label {
			c := *s
			c.Reads, c.Missing = slices.Clone(s.Reads), slices.Clone(s.Missing)
			return &c
		}
	}
	return nil
}
