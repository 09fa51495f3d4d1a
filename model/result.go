package model

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
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
}

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

// MarshalJSON writes the numbers in their short form.
func (g GroupScore) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"points":`)
	b.Write(marshalNumber(g.Points))
	b.WriteString(`,"raw":`)
	b.Write(marshalNumber(g.Raw))
	b.WriteString(`,"min":`)
	writeOptNumber(&b, g.Min)
	b.WriteString(`,"max":`)
	writeOptNumber(&b, g.Max)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes the total in its short form.
func (s Score) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"total":`)
	b.Write(marshalNumber(s.Total))
	b.WriteString(`,"groups":`)
	groups, err := json.Marshal(s.Groups)
	if err != nil {
		return nil, err
	}
	b.Write(groups)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeOptNumber(b *bytes.Buffer, f *float64) {
	if f == nil {
		b.WriteString("null")
		return
	}
	b.Write(marshalNumber(*f))
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

// MarshalJSON writes the reads as an object, keeping their order.
func (r Reads) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, rd := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, rd.Name)
		b.WriteByte(':')
		v, err := rd.Value.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

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

// MarshalJSON writes the fields that belong to the step's kind.
func (s Step) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"kind":`)
	writeString(&b, string(s.Kind))
	field := func(name, v string) {
		if v == "" {
			return
		}
		b.WriteString(`,"` + name + `":`)
		writeString(&b, v)
	}
	field("group", s.Group)
	field("framework", s.Framework)
	field("ladder", s.Ladder)
	field("name", s.Name)
	field("label", s.Label)
	field("outcome", string(s.Outcome))
	switch s.Kind {
	case StepRule:
		b.WriteString(`,"points":`)
		b.Write(marshalNumber(s.Points))
		if s.Each {
			b.WriteString(`,"matches":` + strconv.Itoa(s.Matches) + `,"counted":` + strconv.Itoa(s.Counted))
		}
	case StepGroup, StepTotal:
		b.WriteString(`,"points":`)
		b.Write(marshalNumber(s.Points))
		b.WriteString(`,"raw":`)
		b.Write(marshalNumber(s.Raw))
	case StepLet:
		if s.Outcome == HasValue {
			b.WriteString(`,"value":`)
			v, err := s.Value.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
	}
	field("because", s.Because)
	if len(s.Reads) > 0 {
		b.WriteString(`,"reads":`)
		r, err := s.Reads.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(r)
	}
	if len(s.Missing) > 0 {
		b.WriteString(`,"missing":`)
		m, _ := json.Marshal(s.Missing)
		b.Write(m)
	}
	field("at", s.At)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeString writes s as a JSON string without escaping <, > and &, so
// that conditions such as "met >= 3" stay readable.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode adds a newline
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

// MarshalJSON writes the result in its documented shape; "missing" and
// "trace" are always arrays, never null.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	p := plain(*r)
	if p.Missing == nil {
		p.Missing = []string{}
	}
	if p.Trace == nil {
		p.Trace = []Step{}
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	if p.Frameworks == nil {
		p.Frameworks = map[string]*FrameworkResult{}
	}
	if p.Score.Groups == nil {
		p.Score.Groups = map[string]GroupScore{}
	}
	return json.Marshal(p)
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
