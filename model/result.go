package model

import (
	"sort"
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
	// Labels holds the label of every ladder, by ladder name.
	Labels     map[string]string           `json:"labels"`
	Score      Score                       `json:"score"`
	Frameworks map[string]*FrameworkResult `json:"frameworks"`
	// Missing lists, sorted, the facts the policy reads that the lead lacks.
	Missing []string `json:"missing"`
	// Trace is every let, criterion, rule and ladder step in evaluation order.
	Trace []Step `json:"trace"`

	// scratch is memory the evaluator reuses when it evaluates into this
	// result again: the steps' Reads and Missing point into it.
	scratch Scratch
}

// Scratch is the memory an evaluator keeps in a result, to reuse when it
// evaluates into the same result again: what the last evaluation's trace
// points into. Code other than an evaluator has no use for it.
type Scratch struct {
	// Reads and Strs hold the trace steps' reads and missing lists.
	Reads []Read
	Strs  []string
	// Maps and Lists are the objects and arrays decoded from a JSON lead
	// (events, lists, objects read whole), each used once per evaluation.
	Maps  []map[string]any
	Lists [][]any
}

// Scratch returns the memory of the last evaluation into r, Reads and Strs
// emptied, for the evaluator to reuse.
func (r *Result) Scratch() Scratch {
	s := r.scratch
	s.Reads, s.Strs = s.Reads[:0], s.Strs[:0]
	return s
}

// KeepScratch stores the memory of an evaluation into r, for the next one.
func (r *Result) KeepScratch(s Scratch) { r.scratch = s }

// Score holds the total and each group's score.
type Score struct {
	Total  float64               `json:"total"`
	Groups map[string]GroupScore `json:"groups"`
}

// GroupScore is one score group: Raw is the sum of its rules' points and
// Points that sum clamped to [Min, Max].
type GroupScore struct {
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
	Met       int               `json:"met"`
	Unmet     int               `json:"unmet"`
	Unknown   int               `json:"unknown"`
	Total     int               `json:"total"`
	Qualified bool              `json:"qualified"`
	Criteria  map[string]Status `json:"criteria"`
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

// Group returns the score of the named group (zero if there is none).
func (r *Result) Group(name string) GroupScore { return r.Score.Groups[name] }

// Framework returns the named framework's result, or nil.
func (r *Result) Framework(name string) *FrameworkResult { return r.Frameworks[name] }

// Rule returns the trace step of the rule with label in group, or nil.
func (r *Result) Rule(group, label string) *Step {
	for i := range r.Trace {
		s := &r.Trace[i]
		if s.Kind == StepRule && s.Group == group && s.Label == label {
			return s
		}
	}
	return nil
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
