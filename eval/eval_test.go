package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

var now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// policy compiles src, a policy body to which the test adds the policy
// statement and a stage ladder when it has none.
func policy(t *testing.T, src string) *rules.Policy {
	t.Helper()
	if !strings.Contains(src, "policy \"") {
		src = "policy \"test\" version \"1\"\n" + src
	}
	if !strings.Contains(src, "classify stage") {
		src += "\nclassify stage {\n  any\n}\n"
	}
	pol, err := rules.Compile("test.qual", src)
	require.NoError(t, err)
	return pol
}

func evaluate(t *testing.T, pol *rules.Policy, facts any) *model.Result {
	t.Helper()
	res, err := eval.New(pol, eval.WithNow(now)).Evaluate(context.Background(), facts)
	require.NoError(t, err)
	return res
}

func rule(t *testing.T, res *model.Result, group, label string) *model.Step {
	t.Helper()
	s := res.Rule(group, label)
	require.NotNil(t, s, "no rule %q in group %q", label, group)
	return s
}

func step(t *testing.T, res *model.Result, kind model.StepKind, owner, name string) *model.Step {
	t.Helper()
	trace := res.Trace()
	for i := range trace {
		s := &trace[i]
		if s.Kind != kind {
			continue
		}
		if (s.Framework == owner || s.Ladder == owner) && (s.Name == name || s.Label == name) {
			return s
		}
	}
	t.Fatalf("no %s step %s/%s in trace", kind, owner, name)
	return nil
}

const typedFacts = `
facts {
  a       int
  b       bool
  c       number
  name    string
  when_at time
  tags    list<string>
}
`

func TestRules_unknownVersusUnmatched(t *testing.T) {
	pol := policy(t, typedFacts+`
score g {
  +10 "big a"  when a > 5
  +5  "b set"  when b
}`)
	tests := []struct {
		name       string
		facts      map[string]any
		big, b     model.Outcome
		points     float64
		wantMissed []string
	}{
		{"a small, b missing", map[string]any{"a": 3}, model.Unmatched, model.OutUnknown, 0, []string{"b"}},
		{"a big, b false", map[string]any{"a": 9, "b": false}, model.Matched, model.Unmatched, 10, nil},
		{"both missing", map[string]any{}, model.OutUnknown, model.OutUnknown, 0, []string{"b"}},
		{"both match", map[string]any{"a": 6, "b": true}, model.Matched, model.Matched, 15, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := evaluate(t, pol, tt.facts)
			assert.Equal(t, tt.big, rule(t, res, "g", "big a").Outcome)
			assert.Equal(t, tt.b, rule(t, res, "g", "b set").Outcome)
			assert.Equal(t, tt.points, res.Group("g").Points)
			assert.Equal(t, tt.wantMissed, rule(t, res, "g", "b set").Missing)
		})
	}
}

func TestRules_unknownStepsScoreNothingAndSayWhy(t *testing.T) {
	pol := policy(t, typedFacts+`
score g {
  +10 "big a"  when a > 5
}`)
	res := evaluate(t, pol, map[string]any{})
	s := rule(t, res, "g", "big a")
	assert.Equal(t, model.OutUnknown, s.Outcome)
	assert.Equal(t, 0.0, s.Points)
	assert.Equal(t, []string{"a"}, s.Missing)
	assert.Equal(t, []string{"a"}, res.Missing)
}

func TestConditions_threeValuedLogic(t *testing.T) {
	// a is known (10 or 1); b is always missing.
	tests := []struct {
		cond string
		a    int
		want model.Outcome
	}{
		{"a > 5 || b", 10, model.Matched},
		{"a > 5 || b", 1, model.OutUnknown},
		{"b || a > 5", 10, model.Matched},
		{"a > 5 && b", 1, model.Unmatched},
		{"b && a > 5", 1, model.Unmatched},
		{"a > 5 && b", 10, model.OutUnknown},
		{"!b", 10, model.OutUnknown},
		{"not (a > 5)", 10, model.Unmatched},
		{"(a > 5 || b) && a < 100", 10, model.Matched},
		{"a > 5 and (b or a > 7)", 10, model.Matched},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			pol := policy(t, typedFacts+"score g {\n  +1 \"r\" when "+tt.cond+"\n}")
			res := evaluate(t, pol, map[string]any{"a": tt.a})
			assert.Equal(t, tt.want, rule(t, res, "g", "r").Outcome)
		})
	}
}

func TestGuards_handleMissingFacts(t *testing.T) {
	pol := policy(t, `
facts {
  budget.amount number
  contact.role  string
  tags          list<string>
}
score g {
  +10 "big budget"  when (budget.amount ?? 0) >= 10000
  +5  "vp"          when contact?.role == "vp"
  +1  "tagged"      when len(tags ?? []) > 0
}`)
	res := evaluate(t, pol, map[string]any{})
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "big budget").Outcome)
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "vp").Outcome)
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "tagged").Outcome)

	res = evaluate(t, pol, map[string]any{"budget": map[string]any{"amount": 25000}, "contact": map[string]any{"role": "vp"}, "tags": []any{"x"}})
	assert.Equal(t, 16.0, res.Group("g").Points)
}

func TestLets_unknownPropagates(t *testing.T) {
	pol := policy(t, typedFacts+`
let big    = a > 5
let bigger = big && a > 50
let label  = name ?? "anonymous"
score g {
  +10 "big"      when big
  +1  "bigger"   when bigger
  +2  "guarded"  when big ?? false
  +3  "named"    when label == "anonymous"
}`)
	res := evaluate(t, pol, map[string]any{})
	let := step(t, res, model.StepLet, "", "big")
	assert.Equal(t, model.OutUnknown, let.Outcome)
	assert.Equal(t, []string{"a"}, let.Missing)
	assert.Equal(t, model.OutUnknown, rule(t, res, "g", "big").Outcome)
	assert.Equal(t, []string{"a"}, rule(t, res, "g", "big").Missing, "the rule names the fact behind the unknown let")
	assert.Equal(t, model.OutUnknown, rule(t, res, "g", "bigger").Outcome)
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "guarded").Outcome, "a ?? guard handles an unknown let")
	assert.Equal(t, model.Matched, rule(t, res, "g", "named").Outcome)
	assert.Equal(t, 3.0, res.Group("g").Points)

	res = evaluate(t, pol, map[string]any{"a": 60, "name": "Ana"})
	assert.Equal(t, model.HasValue, step(t, res, model.StepLet, "", "big").Outcome)
	assert.Equal(t, true, step(t, res, model.StepLet, "", "bigger").Value.Bool)
	assert.Equal(t, 13.0, res.Group("g").Points)
}

func TestFrameworks_criteriaAndCounts(t *testing.T) {
	pol := policy(t, typedFacts+`
framework Fit qualified when met >= 2 && big_a != "unmet" {
  big_a   "A is big"       when a > 5
  has_b   "B is set"       when b
  some_c  "C above one"    when (c ?? 0) > 1
}
framework Plain {
  named "Has a name" when name != ""
}
classify stage {
  fit      when Fit.qualified
  unknown  when Fit.has_b == "unknown"
  rest
}`)
	res := evaluate(t, pol, map[string]any{"a": 10})
	fit := res.Framework("Fit")
	require.NotNil(t, fit)
	assert.Equal(t, model.FrameworkResult{Name: "Fit", Met: 1, Unmet: 1, Unknown: 1, Total: 3, Qualified: false,
		Criteria: []model.CriterionStatus{{Name: "big_a", Status: model.Met}, {Name: "has_b", Status: model.Unknown}, {Name: "some_c", Status: model.Unmet}}}, *fit)
	assert.Equal(t, []string{"b"}, step(t, res, model.StepCriterion, "Fit", "has_b").Missing)
	assert.Equal(t, "unknown", res.Stage, "a ladder reads a criterion's status")
	assert.False(t, res.Framework("Plain").Qualified, "without qualified when, every criterion must be met")
	assert.Equal(t, 1, res.Framework("Plain").Unknown)

	res = evaluate(t, pol, map[string]any{"a": 10, "b": true, "name": "x"})
	assert.True(t, res.Framework("Fit").Qualified)
	assert.True(t, res.Framework("Plain").Qualified)
	assert.Equal(t, "fit", res.Stage)
}

func TestLadders_unknownStepDoesNotMatch(t *testing.T) {
	pol := policy(t, typedFacts+`
classify stage {
  hot   when b                 because "B is set"
  warm  when a > 5
  cold
}
classify tier {
  top  when stage == "hot"
}`)
	res := evaluate(t, pol, map[string]any{"a": 10})
	assert.Equal(t, "warm", res.Stage)
	hot := step(t, res, model.StepLadder, "stage", "hot")
	assert.Equal(t, model.OutUnknown, hot.Outcome)
	assert.Equal(t, []string{"b"}, hot.Missing)
	assert.Equal(t, "", res.Label("tier"), "a ladder where no step matches has no label")

	res = evaluate(t, pol, map[string]any{"a": 1, "b": false})
	assert.Equal(t, "cold", res.Stage)
	res = evaluate(t, pol, map[string]any{"b": true})
	assert.Equal(t, "hot", res.Stage)
	assert.Equal(t, "top", res.Label("tier"))
	assert.Equal(t, "B is set", step(t, res, model.StepLadder, "stage", "hot").Because)
}

func TestFacts_requiredAndWrongTypes(t *testing.T) {
	pol := policy(t, `
facts {
  contact.email     string  required
  company.employees int
  company.revenue   number
  pains             list<string>
  events            list<event>
  seen              time
  wait              duration
}`)
	tests := []struct {
		name  string
		facts string
		want  string
	}{
		{"required missing", `{}`, "contact.email: required fact is missing"},
		{"required null", `{"contact": {"email": null}}`, "contact.email: required fact is missing"},
		{"string for int", `{"contact": {"email": "a@b.c"}, "company": {"employees": "lots"}}`, `company.employees: expected int, found "lots"`},
		{"fraction for int", `{"contact": {"email": "a@b.c"}, "company": {"employees": 12.5}}`, `company.employees: expected int, found 12.5`},
		{"bool for number", `{"contact": {"email": "a@b.c"}, "company": {"revenue": true}}`, `company.revenue: expected number, found true`},
		{"object expected", `{"contact": "ana@x.io"}`, `contact: expected an object, found "ana@x.io"`},
		{"list element", `{"contact": {"email": "a@b.c"}, "pains": ["a", 2]}`, `pains[1]: expected string, found 2`},
		{"event without at", `{"contact": {"email": "a@b.c"}, "events": [{"type": "webinar"}]}`, `events[0].at: required fact is missing`},
		{"event bad at", `{"contact": {"email": "a@b.c"}, "events": [{"type": "webinar", "at": "yesterday"}]}`, `events[0].at: expected time, found "yesterday"`},
		{"bad time", `{"contact": {"email": "a@b.c"}, "seen": "2026-13-01"}`, `seen: expected time, found "2026-13-01"`},
		{"bad duration", `{"contact": {"email": "a@b.c"}, "wait": "soon"}`, `wait: expected duration, found "soon"`},
		{"several", `{"company": {"employees": "lots"}}`, `2 fact errors: contact.email: required fact is missing; company.employees: expected int, found "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eval.New(pol, eval.WithNow(now)).Evaluate(context.Background(), []byte(tt.facts))
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.NotEmpty(t, eval.FactErrors(err))
		})
	}
}

func TestFacts_typesAreConverted(t *testing.T) {
	pol := policy(t, `
facts {
  seen     time
  wait     duration
  n        int
  ratio    number
}
score g {
  +1 "recent"   when days_since(seen) == 3
  +1 "long"     when wait > duration("36h")
  +1 "int math" when n / 2 == 2.5
  +1 "ratio"    when ratio == 2
}`)
	res := evaluate(t, pol, map[string]any{"seen": "2026-10-29T00:00:00Z", "wait": "2d", "n": 5, "ratio": 2})
	assert.Equal(t, 4.0, res.Group("g").Points, "%s", res.Explain())
}

func TestClamps_rawAndClamped(t *testing.T) {
	pol := policy(t, typedFacts+`
score up max 20 min -5 {
  +15 "a"      when a > 0
  +10 "b"      when b
  -10 "neg"    when c < 0
}
score down min -5 {
  -30 "far below" when a > 0
}
score more max 20 {
  +25 "over" when a > 0
}
total max 30 min 0
`)
	res := evaluate(t, pol, map[string]any{"a": 1, "b": true, "c": 1})
	assert.Equal(t, 25.0, res.Group("up").Raw)
	assert.Equal(t, 20.0, res.Group("up").Points)
	assert.Equal(t, -30.0, res.Group("down").Raw)
	assert.Equal(t, -5.0, res.Group("down").Points)
	assert.Equal(t, 20.0, res.Group("more").Points)
	// total: 20 - 5 + 20 = 35, clamped to 30.
	assert.Equal(t, 30.0, res.Score.Total)
	var total *model.Step
	trace := res.Trace()
	for i := range trace {
		if trace[i].Kind == model.StepTotal {
			total = &trace[i]
		}
	}
	require.NotNil(t, total)
	assert.Equal(t, 35.0, total.Raw)
	assert.Equal(t, 30.0, total.Points)

	res = evaluate(t, pol, map[string]any{"a": -1, "b": false, "c": -1})
	assert.Equal(t, -10.0, res.Group("up").Raw)
	assert.Equal(t, -5.0, res.Group("up").Points)
	assert.Equal(t, 0.0, res.Score.Total, "total min 0 lifts -5")

	b, err := json.Marshal(res.Group("up"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"points": -5, "raw": -10, "min": -5, "max": 20}`, string(b))
}

func TestEach_limitAndHalflife(t *testing.T) {
	pol := policy(t, `
facts {
  events list<event>
  pains  list<string>
}
score g {
  +8 "webinar, decayed"   each events where .type == "webinar" limit 3 halflife 30d
  +8 "webinar, all"       each events where .type == "webinar" halflife 30d
  +2 "any event, top 2"   each events where true limit 2
  +1 "pain"               each pains where # startsWith "manual"
}`)
	day := 24 * time.Hour
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	facts := map[string]any{
		"events": []any{
			map[string]any{"type": "webinar", "at": at(60 * day)},
			map[string]any{"type": "webinar", "at": at(0)},
			map[string]any{"type": "page", "at": at(1 * day)},
			map[string]any{"type": "webinar", "at": at(90 * day)},
			map[string]any{"type": "webinar", "at": at(30 * day)},
			map[string]any{"type": "webinar", "at": at(-2 * day)}, // in the future: age 0
		},
		"pains": []any{"manual scoring", "slow sync", "manual entry"},
	}
	res := evaluate(t, pol, facts)
	// Newest three webinars: future (8), today (8), 30 days (4).
	s := rule(t, res, "g", "webinar, decayed")
	assert.InDelta(t, 20.0, s.Points, 1e-9)
	assert.Equal(t, 5, s.Matches)
	assert.Equal(t, 3, s.Counted)
	// All five: 8 + 8 + 4 + 2 + 1.
	assert.InDelta(t, 23.0, rule(t, res, "g", "webinar, all").Points, 1e-9)
	assert.Equal(t, 4.0, rule(t, res, "g", "any event, top 2").Points)
	assert.Equal(t, 2.0, rule(t, res, "g", "pain").Points)
	assert.InDelta(t, 49.0, res.Group("g").Points, 1e-9)

	res = evaluate(t, pol, map[string]any{"events": []any{}})
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "webinar, decayed").Outcome)
	assert.Equal(t, model.OutUnknown, rule(t, res, "g", "pain").Outcome, "a missing list is unknown")
}

func TestEach_halflifeAtFractionalAge(t *testing.T) {
	pol := policy(t, `
facts { events list<event> }
score g {
  +10 "w" each events where .type == "w" halflife 30d
}`)
	res := evaluate(t, pol, map[string]any{"events": []any{
		map[string]any{"type": "w", "at": now.Add(-45 * 24 * time.Hour).Format(time.RFC3339)},
	}})
	assert.InDelta(t, 10*math.Pow(0.5, 1.5), rule(t, res, "g", "w").Points, 1e-9)
}

func TestPointsExpression(t *testing.T) {
	pol := policy(t, `
facts {
  views int
  spend number
}
score g {
  +(min(views, 20))  "page views"  when views > 0
  -(spend / 1000)    "spend"       when true
}`)
	res := evaluate(t, pol, map[string]any{"views": 25, "spend": 2500})
	assert.Equal(t, 20.0, rule(t, res, "g", "page views").Points)
	assert.Equal(t, -2.5, rule(t, res, "g", "spend").Points)
	assert.Equal(t, 17.5, res.Group("g").Points)

	res = evaluate(t, pol, map[string]any{"views": 3})
	s := rule(t, res, "g", "spend")
	assert.Equal(t, model.OutUnknown, s.Outcome, "points that read a missing fact make the rule unknown")
	assert.Equal(t, []string{"spend"}, s.Missing)
}

// TestPointsExpression_sumsMustStayFinite: points that are each finite but
// add up to more than a float64 holds are an error with the group's (or
// the total's) position, not an infinite score.
func TestPointsExpression_sumsMustStayFinite(t *testing.T) {
	pol := policy(t, `
facts {
  n number
}
score fit {
  +(n) "a" when true
  +(n) "b" when true
}
score more {
  +(n) "c" when true
}`)
	ev := eval.New(pol, eval.WithNow(now))
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{1e307, ""},
		{-1e308, "test.qual:6:1: the points of score fit add up to -Inf, which no result can hold"},
		{1e308, "test.qual:6:1: the points of score fit add up to +Inf, which no result can hold"},
		{6e307, "test.qual:6:1: the points of all score groups add up to +Inf, which no result can hold"},
	} {
		res, err := ev.Evaluate(context.Background(), map[string]any{"n": tc.n})
		if tc.want == "" {
			require.NoError(t, err)
			assert.Equal(t, 3*tc.n, res.Score.Total)
			continue
		}
		assert.EqualError(t, err, tc.want, "n = %g", tc.n)
	}
}

func TestHelpers(t *testing.T) {
	pol := policy(t, `
facts {
  seen   time
  close  time
}
score g {
  +1 "seen 10 days ago"  when days_since(seen) == 10
  +1 "closes in 5 days"  when days_until(close) == 5
  +1 "seen within 2w"    when within(seen, "2w")
  +1 "seen within 1w"    when within(seen, "7d")
  +1 "now is now"        when now == date("2026-11-01T00:00:00Z")
}`)
	res := evaluate(t, pol, map[string]any{
		"seen":  now.Add(-10*24*time.Hour - time.Hour).Format(time.RFC3339),
		"close": now.Add(5*24*time.Hour + time.Hour).Format(time.RFC3339),
	})
	assert.Equal(t, model.Matched, rule(t, res, "g", "seen 10 days ago").Outcome)
	assert.Equal(t, model.Matched, rule(t, res, "g", "closes in 5 days").Outcome)
	assert.Equal(t, model.Matched, rule(t, res, "g", "seen within 2w").Outcome)
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "seen within 1w").Outcome)
	assert.Equal(t, model.Matched, rule(t, res, "g", "now is now").Outcome)
}

func TestUntypedPolicy(t *testing.T) {
	pol := policy(t, `
let vip = customer.tier == "gold"
score g {
  +10 "vip"       when vip
  +5  "employees" when company.employees > 100
  +1  "guarded"   when (company?.country ?? "") == "DE"
}`)
	res := evaluate(t, pol, map[string]any{"customer": map[string]any{"tier": "gold"}, "company": map[string]any{"employees": 250}})
	assert.Equal(t, 15.0, res.Group("g").Points)
	assert.Equal(t, []string{"company.country"}, res.Missing)

	res = evaluate(t, pol, []byte(`{"company": {"employees": 50}}`))
	assert.Equal(t, model.OutUnknown, rule(t, res, "g", "vip").Outcome)
	assert.Equal(t, model.Unmatched, rule(t, res, "g", "employees").Outcome)

	_, err := eval.New(pol).Evaluate(context.Background(), map[string]any{"company": map[string]any{"employees": "many"}})
	var cerr *eval.ConditionError
	require.ErrorAs(t, err, &cerr)
	assert.Contains(t, err.Error(), "test.qual:6:")
	assert.Contains(t, err.Error(), `company.employees > 100`)
}

func TestEvaluate_inputForms(t *testing.T) {
	pol := policy(t, `
facts {
  company.employees int
  company.name      string
}
score g {
  +1 "big" when company.employees > 100
}`)
	type company struct {
		Employees int    `json:"employees"`
		Name      string `json:"name"`
	}
	type lead struct {
		Company company `json:"company"`
	}
	for name, in := range map[string]any{
		"struct":      lead{Company: company{Employees: 250, Name: "Acme"}},
		"pointer":     &lead{Company: company{Employees: 250, Name: "Acme"}},
		"json bytes":  []byte(`{"company": {"employees": 250, "name": "Acme"}}`),
		"json string": `{"company": {"employees": 250}}`,
		"raw message": json.RawMessage(`{"company": {"employees": 250}}`),
		"map":         map[string]any{"company": map[string]any{"employees": 250}},
		"reader":      strings.NewReader(`{"company": {"employees": 250}}`),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, 1.0, evaluate(t, pol, in).Score.Total)
		})
	}
	for name, tt := range map[string]struct {
		in   any
		want string
	}{
		"syntax":     {[]byte("{\n  \"company\": {\"employees\": 250,}\n}"), "invalid lead: JSON syntax error at line 2, column 32: invalid character '}' looking for beginning of object key string"},
		"array":      {[]byte(`[1, 2]`), "invalid lead: a lead must be a JSON object, not a list"},
		"empty":      {[]byte(``), "invalid lead: empty input"},
		"two values": {[]byte(`{} {}`), "invalid lead: more than one JSON value"},
		"nil":        {nil, "invalid lead: no facts (nil)"},
		"number":     {42, "invalid lead: facts must be an object, a map or a struct, not int"},
		"deep":       {[]byte(`{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}"), "invalid lead: JSON syntax error at line 1, column 10005: invalid character '[' exceeded max depth"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := eval.New(pol).Evaluate(context.Background(), tt.in)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestEvaluate_deepValues(t *testing.T) {
	deep := `{"n": 1, "x":` + strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100) + "}"
	// A typed policy ignores what it does not declare.
	res := evaluate(t, policy(t, "facts {\n  n int\n}\nscore g {\n  +1 \"n\" when n > 0\n}"), []byte(deep))
	assert.Equal(t, 1.0, res.Score.Total)
	// An untyped policy copies the lead, up to 64 levels.
	_, err := eval.New(policy(t, "score g {\n  +1 \"n\" when n > 0\n}")).Evaluate(context.Background(), []byte(deep))
	assert.EqualError(t, err, "invalid lead: facts nested more than 64 levels deep")
}

func TestEvaluate_missingIsSortedAndOnlyWhatPolicyReads(t *testing.T) {
	pol := policy(t, typedFacts+`
score g {
  +1 "x" when (a ?? 0) > 1 || name == "x"
}`)
	res := evaluate(t, pol, map[string]any{"b": true})
	assert.Equal(t, []string{"a", "name"}, res.Missing)
}

func TestEvaluate_concurrentUse(t *testing.T) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	ev := eval.New(pol, eval.WithNow(now))
	leads := []map[string]any{
		{"contact": map[string]any{"email": "a@gmail.com", "role": "vp"}, "company": map[string]any{"employees": 500, "industry": "saas"}},
		{"contact": map[string]any{"email": "b@acme.io", "role": "intern", "competitor": true}},
		{"contact": map[string]any{"email": "c@acme.io"}, "activity": map[string]any{"demo_requested": true, "pricing_views": 4}},
		{"contact": map[string]any{"email": "d@acme.io"}, "events": []any{map[string]any{"type": "webinar", "at": "2026-10-01T00:00:00Z"}}},
	}
	want := make([][]byte, len(leads))
	for i, l := range leads {
		res, err := ev.Evaluate(context.Background(), l)
		require.NoError(t, err)
		want[i], err = json.Marshal(res)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				i := (g + n) % len(leads)
				res, err := ev.Evaluate(context.Background(), leads[i])
				if err != nil {
					errs <- err
					return
				}
				got, _ := json.Marshal(res)
				if string(got) != string(want[i]) {
					errs <- errors.New("result differs under concurrent use for lead " + string(rune('0'+i)))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestEvaluate_contextCancelled(t *testing.T) {
	pol := policy(t, typedFacts)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := eval.New(pol).Evaluate(ctx, map[string]any{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestEvaluate_memoryBudgetStopsHostileCondition(t *testing.T) {
	pol := policy(t, typedFacts+`
score g {
  +1 "huge" when len(map(1..100000000, # * 2)) > 0
}`)
	_, err := eval.New(pol).Evaluate(context.Background(), map[string]any{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "memory budget exceeded")
}

func TestEvaluate_resultReuse(t *testing.T) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	ev := eval.New(pol, eval.WithNow(now))
	var res model.Result
	require.NoError(t, ev.EvaluateInto(context.Background(), map[string]any{"contact": map[string]any{"email": "x@gmail.com", "competitor": true}}, &res))
	assert.Equal(t, "disqualified", res.Stage)
	require.NoError(t, ev.EvaluateInto(context.Background(), map[string]any{"contact": map[string]any{"email": "x@acme.io", "competitor": false}}, &res))
	assert.Equal(t, "unqualified", res.Stage)
	fresh, err := ev.Evaluate(context.Background(), map[string]any{"contact": map[string]any{"email": "x@acme.io", "competitor": false}})
	require.NoError(t, err)
	a, _ := json.Marshal(&res)
	b, _ := json.Marshal(fresh)
	assert.JSONEq(t, string(b), string(a), "a reused result equals a fresh one")
}

func TestEvaluate_withoutTrace(t *testing.T) {
	pol, err := rules.Load("../examples/acme")
	require.NoError(t, err)
	res, err := eval.New(pol, eval.WithNow(now), eval.WithTrace(false)).Evaluate(context.Background(), map[string]any{"contact": map[string]any{"email": "x@acme.io"}})
	require.NoError(t, err)
	assert.Empty(t, res.Trace())
	assert.Equal(t, "unqualified", res.Stage)
	assert.NotEmpty(t, res.Explain())
}
