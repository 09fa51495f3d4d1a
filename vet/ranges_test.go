package vet_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
	"github.com/qualifyhq/qualify/vet"
)

var inf = math.Inf(1)

func iv(lo, hi float64) vet.Interval { return vet.Interval{Min: lo, Max: hi} }

func ranges(t *testing.T, src string) *vet.PolicyRanges {
	t.Helper()
	pol, err := rules.Compile("r.qual", `policy "ranges" version "1"
facts {
  a       int
  b       bool
  views   int
  tags    list<string>
  events  list<event>
}
`+src+`
classify stage {
  any
}
`)
	require.NoError(t, err)
	return vet.Ranges(pol)
}

// TestRanges_handComputed checks the ranges of groups mixing positive and
// negative points, fractions, clamps, each … limit with and without
// halflife, computed points bounded by their condition, and the total.
func TestRanges_handComputed(t *testing.T) {
	r := ranges(t, `
score fit max 40 min 0 {
  +15   "A"      when a > 10
  +10   "B"      when b
  -20   "Not B"  when !b
  +2.5  "Half"   when a > 0
}

score engagement max 30 {
  +5  "Webinar"  each events where .type == "webinar" limit 3 halflife 30d
  -4  "Bounce"   each events where .type == "bounce" limit 2
  +(min(views, 20))  "Views"  when views > 0
  -(len(tags))       "Tags"   when len(tags) < 3
  +(.weight)         "Weight" each events where .weight > 0 && .weight <= 4 limit 2
}

total max 50 min -5
`)
	fit := r.Group("fit")
	require.NotNil(t, fit)
	// 15 + 10 + 2.5 at most; -20 at least.
	assert.Equal(t, iv(-20, 27.5), fit.Raw)
	assert.Equal(t, iv(0, 40), fit.Clamp)
	assert.Equal(t, iv(0, 27.5), fit.Points)
	assert.Equal(t, iv(-20, 0), fit.Rules[2].Points)

	eng := r.Group("engagement")
	require.NotNil(t, eng)
	want := []struct {
		match, points vet.Interval
	}{
		{iv(5, 5), iv(0, 15)},   // 3 webinars of 5 points; halflife only lowers them
		{iv(-4, -4), iv(-8, 0)}, // 2 bounces of -4
		{iv(0, 20), iv(0, 20)},  // min(views, 20) with views > 0
		{iv(-3, 0), iv(-3, 0)},  // -(len(tags)) with len(tags) < 3
		{iv(0, 4), iv(0, 8)},    // .weight in (0, 4], 2 elements
	}
	require.Len(t, eng.Rules, len(want))
	for i, w := range want {
		assert.Equal(t, w.match, eng.Rules[i].Match, eng.Rules[i].Label)
		assert.Equal(t, w.points, eng.Rules[i].Points, eng.Rules[i].Label)
		assert.Empty(t, eng.Rules[i].Unbounded, eng.Rules[i].Label)
	}
	// 15 + 20 + 8 = 43 at most; -8 - 3 = -11 at least; max 30.
	assert.Equal(t, iv(-11, 43), eng.Raw)
	assert.Equal(t, iv(-inf, 30), eng.Clamp)
	assert.Equal(t, iv(-11, 30), eng.Points)

	// The total is the sum of the clamped groups, then its own clamp.
	assert.Equal(t, iv(-11, 57.5), r.Total.Raw)
	assert.Equal(t, iv(-5, 50), r.Total.Points)
}

func TestRanges_unbounded(t *testing.T) {
	r := ranges(t, `
score open {
  +1  "Any event"  each events where true
  -2  "Any tag"    each tags where # != ""
}

score computed max 10 {
  +(views)  "Raw views"  when b
}
`)
	open := r.Group("open")
	assert.Equal(t, iv(-inf, inf), open.Raw)
	assert.Equal(t, iv(0, inf), open.Rules[0].Points)
	assert.Equal(t, iv(-inf, 0), open.Rules[1].Points)
	assert.Contains(t, open.Rules[0].Unbounded, "without a limit")

	computed := r.Group("computed")
	assert.Equal(t, iv(-inf, inf), computed.Raw)
	assert.Equal(t, iv(-inf, 10), computed.Points)
	assert.Contains(t, computed.Rules[0].Unbounded, "+(views)")

	assert.Equal(t, iv(-inf, inf), r.Total.Points)
	b, err := json.Marshal(r.Total.Points)
	require.NoError(t, err)
	assert.JSONEq(t, `{"min": null, "max": null}`, string(b))
	assert.Equal(t, "-inf .. +inf", r.Total.Points.String())
}

func TestRanges_emptyPolicy(t *testing.T) {
	r := ranges(t, "")
	assert.Empty(t, r.Groups)
	assert.Equal(t, iv(0, 0), r.Total.Points)
}

// TestRanges_holdOnLeads evaluates every example and vet case on random
// leads: every group's raw and clamped score, and the total, must lie in
// the ranges vet computed.
func TestRanges_holdOnLeads(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "examples", "*"))
	require.NoError(t, err)
	cases, err := filepath.Glob(filepath.Join("..", "testdata", "vet", "*.qual"))
	require.NoError(t, err)
	var paths []string
	for _, d := range dirs {
		if files, _ := filepath.Glob(filepath.Join(d, "*.qual")); len(files) > 0 {
			paths = append(paths, d)
		}
	}
	paths = append(paths, cases...)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			pol, err := rules.Load(path)
			require.NoError(t, err)
			r := vet.Ranges(pol)
			ev := eval.New(pol, eval.WithNow(now), eval.WithTrace(false))
			rng := rand.New(rand.NewSource(1))
			ok := 0
			for i := 0; i < 300; i++ {
				res, err := ev.Evaluate(context.Background(), randomLead(rng, pol, now))
				if err != nil {
					continue
				}
				ok++
				for _, g := range r.Groups {
					got := res.Group(g.Name)
					assert.True(t, in(got.Raw, g.Raw), "%s raw %v outside %s", g.Name, got.Raw, g.Raw)
					assert.True(t, in(got.Points, g.Points), "%s points %v outside %s", g.Name, got.Points, g.Points)
				}
				assert.True(t, in(res.Score.Total, r.Total.Points), "total %v outside %s", res.Score.Total, r.Total.Points)
			}
			assert.Greater(t, ok, 200, "too few leads evaluated")
		})
	}
}

func in(v float64, i vet.Interval) bool { return v >= i.Min-1e-9 && v <= i.Max+1e-9 }

// randomLead sets every declared fact, or leaves it missing, at random.
func randomLead(rng *rand.Rand, pol *rules.Policy, now time.Time) map[string]any {
	words := []string{"saas", "webinar", "demo", "ceo", "vp", "cto", "okta", "seed", "allocated", "partner", "free", ""}
	nums := []float64{-50, -1, 0, 1, 2, 3, 5, 10, 50, 99, 100, 101, 250, 1000, 5000, 20000, 1e6, 1e8, 1e9}
	var value func(t *rules.Type) any
	value = func(t *rules.Type) any {
		switch t.Kind {
		case model.KindBool:
			return rng.Intn(2) == 0
		case model.KindInt:
			return int64(nums[rng.Intn(len(nums))])
		case model.KindNumber:
			return nums[rng.Intn(len(nums))] * rng.Float64() * 2
		case model.KindString:
			return words[rng.Intn(len(words))]
		case model.KindTime:
			return now.AddDate(0, 0, rng.Intn(400)-300).Format(time.RFC3339)
		case model.KindDuration:
			return "30d"
		case model.KindList:
			var list []any
			for i := rng.Intn(8); i > 0; i-- {
				list = append(list, value(t.Elem))
			}
			return list
		}
		return map[string]any{"type": words[rng.Intn(len(words))], "at": now.AddDate(0, 0, rng.Intn(200)-150).Format(time.RFC3339),
			"weight": nums[rng.Intn(len(nums))]}
	}
	lead := map[string]any{}
	if pol.Schema == nil {
		return lead
	}
	for _, f := range pol.Schema.Facts {
		if !f.Required && rng.Intn(4) == 0 {
			continue
		}
		path := strings.Split(f.Path, ".")
		m := lead
		for _, seg := range path[:len(path)-1] {
			next, ok := m[seg].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[seg] = next
			}
			m = next
		}
		m[path[len(path)-1]] = value(f.Type)
	}
	return lead
}
