package eval_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// The result's labels, groups, frameworks and criteria are lists sorted by
// name, which an evaluation writes in place by index: these tests hold a
// reused result to what a fresh one gives.

// reversedPolicy declares its frameworks, criteria, groups and ladders in
// the reverse of name order, more or fewer of each than acme and
// phasesPolicy have.
const reversedPolicy = typedFacts + `
framework Zeta {
  z3  "Z3"  when a > 1
  z2  "Z2"  when b
  z1  "Z1"  when c > 0
  z0  "Z0"  when name != ""
  y9  "Y9"  when a > 100
}
framework Mid {
  m2  "M2"  when b
  m1  "M1"  when a > 3
}
framework Alpha qualified when met >= 1 {
  only  "Only"  when a > 0
}
score zz {
  +5  "a above one"  when a > 1
}
score mm max 3 {
  +4  "b set"  when b
}
score aa min 0 {
  -2  "c positive"  when c > 0
}
classify tier {
  top  when score.total > 5
  low
}
classify stage {
  hot   when Alpha.qualified && Zeta.met >= 2
  cold
}
classify band {
  wide  when Mid.qualified
}
`

// TestEvaluateInto_reusedAcrossPolicies evaluates leads of policies whose
// names and counts of frameworks, criteria, groups and ladders differ
// into one result, which must come out as a fresh result of each does,
// byte for byte.
func TestEvaluateInto_reusedAcrossPolicies(t *testing.T) {
	acme, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	reversed, phases := policy(t, reversedPolicy), policy(t, phasesPolicy)
	acmeLead := map[string]any{"contact": map[string]any{"email": "ana@acme.io", "role": "vp"}, "pains": []any{"x"}}
	leads := []struct {
		name  string
		pol   *rules.Policy
		trace bool
		facts any
	}{
		{"acme", acme, true, acmeLead},
		{"reversed", reversed, true, map[string]any{"a": 7, "b": true, "c": 1.5, "name": "x"}},
		{"phases", phases, true, map[string]any{"a": 7, "b": true, "c": 2}},
		{"reversed without trace", reversed, false, []byte(`{"a": 2}`)},
		{"acme again", acme, true, acmeLead},
		{"reversed after acme", reversed, true, map[string]any{"b": false}},
		{"phases without trace", phases, false, map[string]any{"a": 1}},
	}
	var res model.Result
	for _, l := range leads {
		ev := eval.New(l.pol, eval.WithNow(now), eval.WithTrace(l.trace))
		require.NoError(t, ev.EvaluateInto(context.Background(), l.facts, &res), l.name)
		fresh, err := ev.Evaluate(context.Background(), l.facts)
		require.NoError(t, err, l.name)
		want, err := json.Marshal(fresh)
		require.NoError(t, err, l.name)
		got, err := json.Marshal(&res)
		require.NoError(t, err, l.name)
		assert.Equal(t, string(want), string(got), l.name)
		assert.Equal(t, fresh.Explain(), res.Explain(), l.name)
		assert.Len(t, res.Labels, len(l.pol.Ladders), l.name)
		assert.Len(t, res.Score.Groups, len(l.pol.Groups), l.name)
		assert.Len(t, res.Frameworks, len(l.pol.Frameworks), l.name)
	}
}

// TestEvaluateInto_listsSortedByName checks that the result's lists are
// sorted by name whatever the policy's order, and that a lead that fails
// leaves none of the last lead's entries in a reused result.
func TestEvaluateInto_listsSortedByName(t *testing.T) {
	ev := eval.New(policy(t, reversedPolicy), eval.WithNow(now))
	var res model.Result
	require.NoError(t, ev.EvaluateInto(context.Background(), map[string]any{"a": 7, "b": true}, &res))
	var labels, groups, fws []string
	for _, l := range res.Labels {
		labels = append(labels, l.Ladder)
	}
	for _, g := range res.Score.Groups {
		groups = append(groups, g.Name)
	}
	for _, f := range res.Frameworks {
		fws = append(fws, f.Name)
	}
	assert.Equal(t, []string{"band", "stage", "tier"}, labels)
	assert.Equal(t, []string{"aa", "mm", "zz"}, groups)
	assert.Equal(t, []string{"Alpha", "Mid", "Zeta"}, fws)
	zeta := res.Framework("Zeta")
	require.NotNil(t, zeta)
	var crit []string
	for _, c := range zeta.Criteria {
		crit = append(crit, c.Name)
	}
	assert.Equal(t, []string{"y9", "z0", "z1", "z2", "z3"}, crit)
	assert.Equal(t, model.Met, zeta.Criterion("z3"))
	assert.Equal(t, model.Unknown, zeta.Criterion("z1"))
	assert.Equal(t, 3.0, res.Group("mm").Points)
	assert.Equal(t, "hot", res.Label("stage"))

	require.Error(t, ev.EvaluateInto(context.Background(), map[string]any{"a": "seven"}, &res))
	assert.Empty(t, res.Labels)
	assert.Empty(t, res.Score.Groups)
	assert.Empty(t, res.Frameworks)
}

// TestEvaluateInto_noAllocs checks that evaluating a lead given as a map
// into a reused result allocates nothing, with the trace and without.
func TestEvaluateInto_noAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's pools drop items at random")
	}
	acme, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	lead := map[string]any{"contact": map[string]any{"email": "ana@acme.io", "role": "vp"}, "pains": []any{"x"},
		"company": map[string]any{"industry": "saas", "employees": 250}}
	for _, trace := range []bool{true, false} {
		ev := eval.New(acme, eval.WithNow(now), eval.WithTrace(trace))
		var res model.Result
		require.NoError(t, ev.EvaluateInto(context.Background(), lead, &res))
		allocs := testing.AllocsPerRun(100, func() {
			if err := ev.EvaluateInto(context.Background(), lead, &res); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "trace %v", trace)
	}
}
