package eval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// boundPolicy has a leaf of every shape fast.go binds, on facts of every
// type, on lets, scores, ladder labels and framework members.
const boundPolicy = `policy "bound" version "1"

facts {
  n      int
  x      number
  s      string
  b      bool
  t      time
  tags   list<string>
  nums   list<number>
  events list<event>
  o.deep int
}

let big   = n > 100
let label = s
let count = n

framework F qualified when met >= 2 && a == "met" {
  a  "a"  when n >= 10 && x < 2.5
  b  "b"  when s in ["x", "y", "é"]
  c  "c"  when len(tags) > 1
  d  "d"  when len(tags ?? []) == 0
}

score g max 50 min -50 {
  +1  "int =="     when n == 7
  +1  "int !="     when n != 7
  +1  "int <"      when n < 0
  +1  "int <="     when n <= 3
  +1  "int > num"  when n > 2.5
  +1  "num >="     when x >= 1
  +1  "num == int" when x == 2
  +1  "num in"     when x in [1.5, 2, 3]
  +1  "int in"     when n in [1, 2, 3]
  +1  "range"      when n in 1..5
  +1  "str =="     when s == "x"
  +1  "str <"      when s < "m"
  +1  "prefix"     when s startsWith "a"
  +1  "suffix"     when s endsWith "z"
  +1  "contains"   when s contains "é"
  +1  "matches"    when s matches "^[a-c]+$"
  +1  "len str"    when len(s) >= 2
  +1  "bool"       when b
  +1  "not bool"   when !b
  +1  "bool =="    when b == false
  +1  "days since" when days_since(t) <= 30
  +1  "days until" when days_until(t) > 3
  +1  "within"     when within(t, "10d")
  +1  "default"    when (o.deep ?? 5) > 4
  +1  "let"        when big
  +1  "let int"    when count >= 3
  +1  "let str"    when label == "y"
  +1  "framework"  when F.qualified
  +1  "met"        when F.met >= 1
  +1  "status"     when F.b == "met"
  +2  "webinar"    each events where .type == "webinar" limit 2 halflife 30d
  +1  "not page"   each events where .type != "page"
}

classify tier {
  top  when score.g >= 10 && F.unknown == 0
  low  when score.g < 0
  mid
}

classify stage {
  hot  when tier == "top"
  warm when score.total >= 5
  cold
}
`

// TestBoundLeaves_agreeWithGeneralPath evaluates random leads, with values
// of every kind and missing or null facts, with bound leaves and without,
// and requires the same result, trace included.
func TestBoundLeaves_agreeWithGeneralPath(t *testing.T) {
	pol, err := rules.Compile("bound.qual", boundPolicy)
	if err != nil {
		t.Fatal(err)
	}
	bound := eval.New(pol, eval.WithNow(now))
	general := eval.New(pol, eval.WithNow(now), eval.WithoutBoundLeaves())
	if leaves, preds := bound.BoundLeaves(); leaves < 40 || preds != 2 {
		t.Fatalf("bound %d leaves and %d predicates; want at least 40 and 2", leaves, preds)
	}
	if leaves, preds := general.BoundLeaves(); leaves+preds != 0 {
		t.Fatalf("WithoutBoundLeaves still bound %d leaves", leaves+preds)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		compareEvaluators(t, fmt.Sprintf("lead %d", i), bound, general, randomBoundLead(rng))
	}
}

// TestBoundLeaves_examples compares both paths on every sample lead of
// every example policy.
func TestBoundLeaves_examples(t *testing.T) {
	dirs, _ := filepath.Glob("../examples/*")
	for _, dir := range dirs {
		leads, _ := filepath.Glob(filepath.Join("../testdata/leads", filepath.Base(dir), "*.json"))
		if len(leads) == 0 {
			continue
		}
		pol, err := rules.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		bound := eval.New(pol, eval.WithNow(now))
		general := eval.New(pol, eval.WithNow(now), eval.WithoutBoundLeaves())
		for _, path := range leads {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			compareEvaluators(t, path, bound, general, b)
		}
	}
}

func compareEvaluators(t *testing.T, what string, bound, general *eval.Evaluator, facts any) {
	t.Helper()
	ctx := context.Background()
	var a, b model.Result
	errA := bound.EvaluateInto(ctx, facts, &a)
	errB := general.EvaluateInto(ctx, facts, &b)
	if fmt.Sprint(errA) != fmt.Sprint(errB) {
		t.Fatalf("%s: bound leaves give error %v, the general path %v", what, errA, errB)
	}
	if errA != nil {
		return
	}
	if ja, jb := string(a.AppendJSON(nil)), string(b.AppendJSON(nil)); ja != jb {
		t.Fatalf("%s: bound leaves and the general path disagree:\nbound:   %s\ngeneral: %s\nlead: %v", what, ja, jb, facts)
	}
}

// randomBoundLead gives a lead for boundPolicy: each fact present, missing
// or null, with values around the policy's constants.
func randomBoundLead(rng *rand.Rand) map[string]any {
	lead := map[string]any{}
	maybe := func(key string, v any) {
		switch rng.IntN(6) {
		case 0: // missing
		case 1:
			lead[key] = nil
		default:
			lead[key] = v
		}
	}
	ints := []int{-5, 0, 1, 2, 3, 5, 7, 10, 100, 101, 1000}
	nums := []float64{-1, 0, 0.5, 1, 1.5, 2, 2.5, 3, 1e6}
	strs := []string{"", "a", "abc", "x", "y", "z", "m", "é", "aé", "zzz", "hello"}
	maybe("n", ints[rng.IntN(len(ints))])
	maybe("x", nums[rng.IntN(len(nums))])
	maybe("s", strs[rng.IntN(len(strs))])
	maybe("b", rng.IntN(2) == 0)
	maybe("t", now.AddDate(0, 0, rng.IntN(80)-40).Add(-time.Duration(rng.Int64N(int64(24*time.Hour)))).Format("2006-01-02T15:04:05Z"))
	var tags []any
	for range rng.IntN(4) {
		tags = append(tags, strs[rng.IntN(len(strs))])
	}
	maybe("tags", tags)
	maybe("nums", []any{1.5, 2.0})
	var events []any
	for range rng.IntN(5) {
		typ := []string{"webinar", "page", "demo"}[rng.IntN(3)]
		events = append(events, map[string]any{"type": typ, "at": now.AddDate(0, 0, -rng.IntN(90)).Format("2006-01-02T15:04:05Z")})
	}
	maybe("events", events)
	if rng.IntN(2) == 0 {
		o := map[string]any{}
		if rng.IntN(3) > 0 {
			o["deep"] = ints[rng.IntN(len(ints))]
		}
		lead["o"] = o
	}
	return lead
}

// TestTypeMatch_agreesWithGeneralPath holds the each rules that match
// events by their type alone (Evaluator.typeMatch: the types noted while
// the list is checked) to the general path, for leads given as maps and as
// JSON, with the trace on and off, and for a list that another each rule
// reads by another field, which must not use them.
func TestTypeMatch_agreesWithGeneralPath(t *testing.T) {
	const src = `policy "t" version "1"
facts {
  events list<event>
  other  list<event>
}
score s {
  +5 "webinars"  each events where .type == "webinar" limit 2 halflife 30d
  +1 "not pages" each events where .type != "page"
  +2 "docs"      each other where .type in ["ebook", "doc"]
  +3 "by url"    each other where .url == "/a"
}
classify stage {
  any
}
`
	pol, err := rules.Compile("t.qual", src)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 5))
	types := []any{"webinar", "page", "ebook", "doc", "", 7, nil}
	list := func() []any {
		out := make([]any, rng.IntN(6))
		for i := range out {
			ev := map[string]any{"at": fmt.Sprintf("2026-%02d-%02dT10:00:00Z", 1+rng.IntN(10), 1+rng.IntN(28))}
			if k := rng.IntN(len(types) + 1); k < len(types) {
				ev["type"] = types[k]
			}
			if rng.IntN(2) == 0 {
				ev["url"] = []string{"/a", "/b"}[rng.IntN(2)]
			}
			out[i] = ev
		}
		return out
	}
	for _, trace := range []bool{true, false} {
		bound := eval.New(pol, eval.WithNow(now), eval.WithTrace(trace))
		general := eval.New(pol, eval.WithNow(now), eval.WithTrace(trace), eval.WithoutBoundLeaves())
		for i := range 2000 {
			lead := map[string]any{"events": list(), "other": list()}
			if rng.IntN(8) == 0 {
				delete(lead, "events")
			}
			compareEvaluators(t, fmt.Sprintf("trace %v, lead %d", trace, i), bound, general, lead)
			b, err := json.Marshal(lead)
			require.NoError(t, err)
			compareEvaluators(t, fmt.Sprintf("trace %v, JSON lead %d", trace, i), bound, general, b)
		}
	}
}
