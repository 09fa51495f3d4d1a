package qualifytest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// Evaluate loads the policy at path (a .qual file or a directory of them),
// evaluates facts (anything eval.Evaluator.Evaluate accepts) at now and
// returns the result. A policy that does not compile or a lead that gives
// an error stops the test.
func Evaluate(t require.TestingT, path string, facts any, now time.Time) *model.Result {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	pol, err := rules.Load(path)
	require.NoError(t, err, "policy %s does not compile", path)
	res, err := eval.New(pol, eval.WithNow(now)).Evaluate(context.Background(), facts)
	require.NoError(t, err, "the lead gave an error")
	return res
}

// Assertions check a model.Result in a Go test. Each method reports a
// failure to t, through testify, with the part of the trace that explains
// it, and returns whether the assertion held. Scores and points compare to
// within 0.005, the two decimals Explain shows.
type Assertions struct {
	t   assert.TestingT
	res *model.Result
}

// Assert returns assertions on res for t (a *testing.T, or anything with
// Errorf). A nil res fails every assertion.
func Assert(t assert.TestingT, res *model.Result) *Assertions {
	return &Assertions{t: t, res: res}
}

// scoreDelta is how close a score must be to the one wanted.
const scoreDelta = 0.005

func (a *Assertions) helper() {
	if h, ok := a.t.(interface{ Helper() }); ok {
		h.Helper()
	}
}

func (a *Assertions) ok() bool {
	a.helper()
	if a.res == nil {
		assert.Fail(a.t, "qualifytest: no result to check (nil)")
		return false
	}
	return true
}

// trace renders the parts of the trace that targets name.
func (a *Assertions) trace(targets ...*target) string {
	lines, _ := renderTrace(nil, a.res, targets)
	return strings.Join(lines, "\n")
}

// Stage asserts the result's stage.
func (a *Assertions) Stage(want string) bool {
	a.helper()
	return a.Label("stage", want)
}

// Label asserts the label of a ladder.
func (a *Assertions) Label(ladder, want string) bool {
	a.helper()
	if !a.ok() {
		return false
	}
	i := labelIndex(a.res, ladder)
	if i < 0 {
		return assert.Fail(a.t, fmt.Sprintf("the result has no ladder %s; it has %s", ladder, quoteList(ladderNames(a.res), false)))
	}
	got := a.res.Labels[i].Value
	return assert.Equal(a.t, want, got, "%s", a.trace(&target{kind: targetLadder, block: ladder}))
}

// Score asserts the points of a score group, or with "total" the total.
func (a *Assertions) Score(group string, want float64) bool {
	a.helper()
	if !a.ok() {
		return false
	}
	if group == "total" {
		return assert.InDelta(a.t, want, a.res.Score.Total, scoreDelta, "score.total\n%s", a.trace(&target{kind: targetTotal}))
	}
	i := slices.IndexFunc(a.res.Score.Groups, func(g model.GroupScore) bool { return g.Name == group })
	if i < 0 {
		return assert.Fail(a.t, fmt.Sprintf("the result has no score group %s; it has %s", group, quoteList(groupNames(a.res), false)))
	}
	gs := a.res.Score.Groups[i]
	return assert.InDelta(a.t, want, gs.Points, scoreDelta, "score.%s\n%s", group, a.trace(&target{kind: targetGroup, block: group}))
}

// step finds the trace step of a rule (block a group), a criterion (block
// a framework, label its name or label) or a ladder step.
func (a *Assertions) step(block, label string) (*model.Step, *target, bool) {
	a.helper()
	if !a.ok() {
		return nil, nil, false
	}
	var labels []string
	trace := a.res.Trace()
	for i := range trace {
		s := &trace[i]
		switch {
		case s.Kind == model.StepRule && s.Group == block:
			if s.Label == label {
				return s, &target{kind: targetGroup, block: block, item: label}, true
			}
			labels = append(labels, s.Label)
		case s.Kind == model.StepCriterion && s.Framework == block:
			if s.Name == label || s.Label == label {
				return s, &target{kind: targetFramework, block: block, item: s.Name}, true
			}
			labels = append(labels, s.Name)
		case s.Kind == model.StepLadder && s.Ladder == block:
			if s.Label == label {
				return s, &target{kind: targetLadder, block: block, item: label}, true
			}
			labels = append(labels, s.Label)
		}
	}
	msg := fmt.Sprintf("the trace has no rule, criterion or ladder step %q in %s", label, block)
	if len(labels) > 0 {
		if s := rules.Suggest(label, labels); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			sort.Strings(labels)
			msg += "; it has " + quoteList(labels, true)
		}
	}
	if labelIndex(a.res, block) >= 0 {
		msg += "\n(a ladder step after the one that matched is not evaluated)\n" + a.trace(&target{kind: targetLadder, block: block})
	}
	assert.Fail(a.t, msg)
	return nil, nil, false
}

func (a *Assertions) outcome(block, label string, want ...model.Outcome) bool {
	a.helper()
	s, t, ok := a.step(block, label)
	if !ok {
		return false
	}
	for _, w := range want {
		if s.Outcome == w {
			return true
		}
	}
	return assert.Fail(a.t, fmt.Sprintf("%s %q is %s, want %s", block, label, s.Outcome, want[0]), a.trace(t))
}

// Matched asserts that a rule matched, a criterion was met, or a ladder
// step matched. Block is the score group, framework or ladder.
func (a *Assertions) Matched(block, label string) bool {
	a.helper()
	return a.outcome(block, label, model.Matched, model.OutMet)
}

// Unmatched asserts that a rule or ladder step did not match, or that a
// criterion was unmet; unknown is neither.
func (a *Assertions) Unmatched(block, label string) bool {
	a.helper()
	return a.outcome(block, label, model.Unmatched, model.OutUnmet)
}

// Unknown asserts that a rule, criterion or ladder step was unknown: its
// condition needed a fact the lead lacks.
func (a *Assertions) Unknown(block, label string) bool {
	a.helper()
	return a.outcome(block, label, model.OutUnknown)
}

// Points asserts the points a rule gave (0 unless it matched).
func (a *Assertions) Points(group, label string, want float64) bool {
	a.helper()
	s, t, ok := a.step(group, label)
	if !ok {
		return false
	}
	got := 0.0
	if s.Outcome == model.Matched {
		got = s.Points
	}
	return assert.InDelta(a.t, want, got, scoreDelta, "points of %s %q\n%s", group, label, a.trace(t))
}

// Criterion asserts a framework criterion's status.
func (a *Assertions) Criterion(framework, name string, want model.Status) bool {
	a.helper()
	s, t, ok := a.step(framework, name)
	if !ok {
		return false
	}
	got := model.Status(s.Outcome)
	if s.Outcome == model.OutMet {
		got = model.Met
	} else if s.Outcome == model.OutUnmet {
		got = model.Unmet
	}
	return assert.Equal(a.t, want, got, "%s.%s\n%s", framework, name, a.trace(t))
}

// Qualified asserts a framework's verdict.
func (a *Assertions) Qualified(framework string, want bool) bool {
	a.helper()
	if !a.ok() {
		return false
	}
	f := a.res.Framework(framework)
	if f == nil {
		return assert.Fail(a.t, fmt.Sprintf("the result has no framework %s; it has %s", framework, quoteList(frameworkNames(a.res), false)))
	}
	return assert.Equal(a.t, want, f.Qualified, "%s.qualified\n%s", framework, a.trace(&target{kind: targetFramework, block: framework}))
}

// Missing asserts that each of facts is among the result's missing facts.
func (a *Assertions) Missing(facts ...string) bool {
	a.helper()
	if !a.ok() {
		return false
	}
	good := true
	for _, f := range facts {
		good = assert.Contains(a.t, a.res.Missing, f, "missing facts") && good
	}
	return good
}

// labelIndex returns the index of a ladder's label in the result, or -1.
func labelIndex(res *model.Result, ladder string) int {
	return slices.IndexFunc(res.Labels, func(l model.Label) bool { return l.Ladder == ladder })
}

// ladderNames, groupNames and frameworkNames list the names in the
// result's lists, in their order: by name.
func ladderNames(res *model.Result) []string {
	out := make([]string, len(res.Labels))
	for i, l := range res.Labels {
		out[i] = l.Ladder
	}
	return out
}

func groupNames(res *model.Result) []string {
	out := make([]string, len(res.Score.Groups))
	for i, g := range res.Score.Groups {
		out[i] = g.Name
	}
	return out
}

func frameworkNames(res *model.Result) []string {
	out := make([]string, len(res.Frameworks))
	for i := range res.Frameworks {
		out[i] = res.Frameworks[i].Name
	}
	return out
}
