package eval_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// The trace is recorded while a lead is evaluated and rendered when it is
// read (trace.go): these tests hold the rendering to what the evaluation
// saw, whatever happens to the result afterwards.

// phasesPolicy reads, in its later phases, values that change while a lead
// is evaluated: framework counts and verdicts, scores and labels.
const phasesPolicy = typedFacts + `
let big = a > 5
framework First qualified when met >= 1 {
  big_a  "A is big"  when big
  has_b  "B is set"  when b
}
framework Second qualified when met == 2 {
  first  "First qualified"   when First.qualified
  early  "First met twice"   when First.met >= 2
}
score g max 10 {
  +10 "qualified twice"  when Second.qualified
  +3  "c points"         when c > 0
}
score h {
  +1  "after g"  when score.g >= 10 && First.met == 2
}
classify grade {
  top  when score.total > 10 && Second.qualified
  low
}
classify stage {
  hot   when grade == "top" && b
  cold
}
`

func stepJSON(t *testing.T, steps []model.Step) []string {
	t.Helper()
	out := make([]string, len(steps))
	for i := range steps {
		b, err := json.Marshal(steps[i])
		require.NoError(t, err)
		out[i] = string(b)
	}
	return out
}

func TestTrace_readsWhatEachPhaseSaw(t *testing.T) {
	pol := policy(t, phasesPolicy)
	res := evaluate(t, pol, map[string]any{"a": 9, "b": true, "c": 1.5})
	got := map[string]string{}
	for _, s := range res.Trace() {
		b, err := json.Marshal(s.Reads)
		require.NoError(t, err)
		got[string(s.Kind)+" "+s.Framework+s.Group+s.Ladder+" "+s.Name+s.Label] = string(b)
	}
	assert.Equal(t, map[string]string{
		"let  big":                                 `{"a":9}`,
		"criterion First big_aA is big":            `{"big":true}`,
		"criterion First has_bB is set":            `{"b":true}`,
		"framework First qualified when met >= 1":  `{"met":2}`,
		"criterion Second firstFirst qualified":    `{"First.qualified":true}`,
		"criterion Second earlyFirst met twice":    `{"First.met":2}`,
		"framework Second qualified when met == 2": `{"met":2}`,
		"rule g qualified twice":                   `{"Second.qualified":true}`,
		"rule g c points":                          `{"c":1.5}`,
		"group g ":                                 `{}`,
		"rule h after g":                           `{"score.g":10,"First.met":2}`,
		"group h ":                                 `{}`,
		"total  ":                                  `{}`,
		"step grade top":                           `{"score.total":11,"Second.qualified":true}`,
		"ladder grade top":                         `{}`,
		"step stage hot":                           `{"grade":"top","b":true}`,
		"ladder stage hot":                         `{}`,
	}, got)
}

func TestTrace_renderingIsRepeatableAndIndependent(t *testing.T) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	res := evaluate(t, pol, map[string]any{
		"contact": map[string]any{"email": "ana@gmail.com", "role": "vp"},
		"pains":   []any{"manual scoring"},
		"events":  []any{map[string]any{"type": "webinar", "at": "2026-10-01T00:00:00Z"}},
	})
	first := res.Trace()
	want := stepJSON(t, first)
	require.Len(t, want, res.TraceLen())
	// Changing a rendered step changes neither the result nor other steps.
	for i := range first {
		first[i].Label = "changed"
		for j := range first[i].Reads {
			first[i].Reads[j] = model.Read{Name: "changed"}
		}
	}
	assert.Equal(t, want, stepJSON(t, res.Trace()))
	var streamed []string
	for i, s := range res.Steps() {
		assert.Equal(t, len(streamed), i)
		b, err := json.Marshal(*s)
		require.NoError(t, err)
		streamed = append(streamed, string(b))
	}
	assert.Equal(t, want, streamed)
	// Stopping early is allowed.
	n := 0
	for range res.Steps() {
		n++
		if n == 3 {
			break
		}
	}
	assert.Equal(t, 3, n)
	rule := res.Rule("fit", "Free-mail address")
	require.NotNil(t, rule)
	assert.Equal(t, model.Matched, rule.Outcome)
	rule.Reads[0].Name = "changed"
	assert.Equal(t, "free_mail", res.Rule("fit", "Free-mail address").Reads[0].Name)
}

func TestTrace_concurrentReaders(t *testing.T) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	res := evaluate(t, pol, map[string]any{"contact": map[string]any{"email": "ana@acme.io", "role": "cto"}})
	want, err := json.Marshal(res)
	require.NoError(t, err)
	explain := res.Explain()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got, _ := json.Marshal(res)
				assert.Equal(t, string(want), string(got))
				assert.Equal(t, explain, res.Explain())
			}
		})
	}
	wg.Wait()
}

// A result evaluated into again shows the new lead's trace, also when the
// evaluator or the policy changes between the evaluations.
func TestTrace_reusedResultAcrossPolicies(t *testing.T) {
	acme, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	phases := policy(t, phasesPolicy)
	leads := []struct {
		pol   *rules.Policy
		trace bool
		facts any
	}{
		{acme, true, map[string]any{"contact": map[string]any{"email": "ana@acme.io", "role": "vp"}, "pains": []any{"x"}}},
		{phases, true, map[string]any{"a": 1, "b": false}},
		{acme, false, map[string]any{"contact": map[string]any{"email": "b@gmail.com"}}},
		{acme, true, []byte(`{"contact": {"email": "c@acme.io"}, "events": [{"type": "webinar", "at": "2026-10-20T00:00:00Z"}]}`)},
		{phases, true, []byte(`{"a": 7, "b": true, "c": 2}`)},
		{phases, true, map[string]any{"a": 7}},
	}
	var res model.Result
	for i, l := range leads {
		ev := eval.New(l.pol, eval.WithNow(now), eval.WithTrace(l.trace))
		require.NoError(t, ev.EvaluateInto(context.Background(), l.facts, &res), "lead %d", i)
		fresh, err := ev.Evaluate(context.Background(), l.facts)
		require.NoError(t, err)
		a, _ := json.Marshal(&res)
		b, _ := json.Marshal(fresh)
		assert.JSONEq(t, string(b), string(a), "lead %d", i)
		if !l.trace {
			assert.Zero(t, res.TraceLen())
		}
	}
}

// A clone of a result keeps its lead's outcome, trace included, when the
// result is evaluated into again.
func TestTrace_cloneOutlivesReuse(t *testing.T) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	ev := eval.New(pol, eval.WithNow(now))
	a := []byte(`{"contact": {"email": "ana@gmail.com", "role": "vp"}, "pains": ["x"], "events": [{"type": "webinar", "at": "2026-10-20T00:00:00Z"}]}`)
	b := []byte(`{"contact": {"email": "bob@acme.io", "competitor": true}, "events": [{"type": "page", "at": "2026-10-21T00:00:00Z"}]}`)
	fresh, err := ev.Evaluate(context.Background(), a)
	require.NoError(t, err)
	want, _ := json.Marshal(fresh)
	var res model.Result
	require.NoError(t, ev.EvaluateInto(context.Background(), a, &res))
	c := res.Clone()
	require.NoError(t, ev.EvaluateInto(context.Background(), b, &res))
	got, _ := json.Marshal(c)
	assert.JSONEq(t, string(want), string(got))
	assert.Equal(t, fresh.Explain(), c.Explain())
}
