package eval_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/rules"
)

// maxFuzzLead keeps each iteration fast: larger inputs are skipped.
const maxFuzzLead = 256 << 10

// fuzzTimeout is how long one evaluation may take before it counts as a
// hang. It is generous because the fuzzer shares a small machine.
const fuzzTimeout = 20 * time.Second

// fuzzNow fixes the evaluation time so that runs are reproducible.
var fuzzNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// untypedPolicy has no facts block: it reads nested dynamic facts with ??
// and ?., and uses len, predicates, each ... where and the time helpers.
const untypedPolicy = `policy "fuzz-untyped" version "1"

let employees = company?.employees ?? 0
let roles     = contact?.roles ?? []
let deep      = (a?.b?.c?.d ?? "") == "x"

framework Custom qualified when met >= 1 {
  big    "Big company"   when employees > 100
  roles  "Has roles"     when len(roles) > 0 && all(roles, # != "")
  pains  "Pain named"    when any(pains ?? [], # == "cost")
}

score activity max 100 min -50 {
  +10 "Demo requested"  when activity?.demo_requested ?? false
  +(min(len(events ?? []), 20)) "Events" when len(events ?? []) > 0
  +5  "Webinar"         each events where .type == "webinar" limit 3 halflife 30d
  +2  "Any event"       each events where true
  +5  "Recent visit"    when days_since(activity.last_visit) <= 60
  +3  "Due soon"        when days_until(deal.close) < 30
  +1  "Within"          when within(activity.last_visit, "30d")
  -5  "Deep"            when deep
  +(company.revenue / 1000000) "Revenue" when company.revenue > 0
}

classify stage {
  disqualified when contact?.competitor == true because "competitor"
  sql          when score.total >= 20 && Custom.qualified
  mql          when score.total >= 5
  unqualified
}
`

// leadSeeds are hand-written hostile leads.
var leadSeeds = []string{
	// empty, blank and non-object inputs
	``,
	` `,
	"\n\t",
	`{}`,
	`[]`,
	`"x"`,
	`1`,
	`null`,
	`true`,
	`{} {}`,
	`{}garbage`,
	`{`,
	`{"company":`,
	"\ufeff{}",
	// wrong types everywhere
	`{"company": {"industry": 5, "employees": "lots", "revenue": true, "country": []},
	  "contact": {"role": [], "email": 5, "competitor": "no"},
	  "budget": {"amount": "10k", "approved": "yes"},
	  "timeline": {"days": 1.5}, "pains": "x",
	  "activity": {"page_views": -1.5, "pricing_views": "2", "demo_requested": 1,
	               "unsubscribed": null, "last_visit": 20261020},
	  "events": {"type": "webinar"}, "a": 1, "deal": "x", "roles": 7}`,
	`{"company": "acme", "contact": 5, "budget": [], "timeline": true, "activity": "x", "events": "webinar"}`,
	`{"company": {"employees": {"n": 1}}, "contact": {"email": {"x": 1}, "roles": [1, null, {}, []]}, "pains": [1, true, null]}`,
	// null everywhere
	`{"company": null, "contact": null, "budget": null, "timeline": null, "pains": null, "activity": null, "events": null, "a": null, "deal": null}`,
	`{"company": {"industry": null, "employees": null, "revenue": null}, "contact": {"email": null, "role": null, "roles": null},
	  "activity": {"last_visit": null, "demo_requested": null}, "events": [null, null], "pains": [null]}`,
	// deeply nested arrays and objects
	strings.Repeat("[", 10000),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, 62) + `1` + strings.Repeat("}", 62) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, 63) + `1` + strings.Repeat("}", 63) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, 64) + `1` + strings.Repeat("}", 64) + `}`,
	`{"a": {"b": {"c": {"d": "x"}}}, "contact": {"email": "a@b.c"}}`,
	`{"a": {"b": {"c": {"d": ["x"]}}}, "contact": {"email": "a@b.c"}}`,
	`{"s": "` + strings.Repeat(`[{`, 100) + `", "contact": {"email": "a@b.c"}}`,
	`{"s": "\"[[[[", "contact": {"email": "a@b.c"}}`,
	// huge and odd numbers
	`{"company": {"employees": 1e400, "revenue": 123456789012345678901234567890}, "contact": {"email": "a@b.c"}}`,
	`{"company": {"employees": 9223372036854775808, "revenue": -1e400}, "contact": {"email": "a@b.c"}}`,
	`{"company": {"employees": 9223372036854775807, "revenue": 1.7976931348623157e308}, "contact": {"email": "a@b.c"}, "timeline": {"days": -9223372036854775808}}`,
	`{"company": {"employees": 1e18, "revenue": 4.9e-324}, "contact": {"email": "a@b.c"}, "activity": {"page_views": 1e3, "pricing_views": 2.0}}`,
	`{"company": {"employees": -0, "revenue": -0.0}, "contact": {"email": "a@b.c"}, "timeline": {"days": 1E2}}`,
	`{"company": {"employees": 01}, "contact": {"email": "a@b.c"}}`,
	`{"company": {"revenue": 1e308}, "events": [` + strings.Repeat(`{"type":"x"},`, 30) + `{"type":"x"}]}`,
	// NaN-ish strings
	`{"company": {"employees": "NaN", "revenue": "Infinity"}, "contact": {"email": "NaN"}, "budget": {"amount": "-Inf"}, "timeline": {"days": "1e400"}}`,
	`{"company": {"employees": NaN}}`,
	`{"company": {"revenue": Infinity}}`,
	// events with missing or invalid at
	`{"contact": {"email": "a@b.c"}, "events": [{"type": "webinar"}, {"type": "webinar", "at": "yesterday"},
	  {"type": "webinar", "at": null}, {"at": "2026-10-02T16:00:00Z"}, {"type": 5, "at": 5}, 5, null, "x", [], {}]}`,
	`{"contact": {"email": "a@b.c"}, "events": [{"type": "webinar", "at": "9999-12-31T23:59:59Z"}, {"type": "webinar", "at": "0001-01-01T00:00:00Z"}]}`,
	`{"contact": {"email": "a@b.c"}, "events": [{"type": "webinar", "at": "2026-11-01T00:00:00Z"}, {"type": "webinar", "at": "2026-11-01T00:00:00.000000001Z"},
	  {"type": "webinar", "at": "2026-11-01T00:00:00+14:00"}, {"type": "webinar", "at": "2026-11-01"}, {"type": "webinar", "at": "2026-13-45T99:99:99Z"}]}`,
	`{"contact": {"email": "a@b.c"}, "activity": {"last_visit": "9999-12-31T23:59:59Z"}, "deal": {"close": "0001-01-01T00:00:00Z"}}`,
	`{"contact": {"email": "a@b.c"}, "activity": {"last_visit": ""}, "deal": {"close": 5}}`,
	`{"contact": {"email": "a@b.c"}, "activity": {"last_visit": "2026-10-20T09:30:00Z"}, "deal": {"close": "2026-11-20T09:30:00Z"}}`,
	// duplicate keys
	`{"contact": {"email": "a@b.c"}, "contact": {"email": 5}}`,
	`{"contact": {"email": 5}, "contact": {"email": "a@b.c"}, "events": [], "events": null}`,
	// keys with dots, empty keys, odd names
	`{"company.industry": "saas", "": 1, "contact": {"email": "a@b.c", "": null}, "now": "x", "score": 5, "__each__": 1}`,
	// invalid UTF-8 and odd strings
	"{\"contact\": {\"email\": \"\xff\xfe\", \"role\": \"vp\"}}",
	"{\"contact\": {\"email\": \"a@b.c\"}, \"pains\": [\"\xc3\"]}",
	"{\"\xff\": 1}",
	`{"contact": {"email": "\ud800"}, "pains": ["\u0000", "\uffff"]}`,
	`{"contact": {"email": "a@b.c", "role": "vp", "roles": ["", "x"]}, "pains": ["cost"]}`,
	// a full untyped lead that reaches every rule
	`{"company": {"employees": 250, "revenue": 8000000}, "contact": {"email": "a@b.c", "roles": ["vp"], "competitor": false},
	  "pains": ["cost"], "activity": {"demo_requested": true, "last_visit": "2026-10-20T09:30:00Z"},
	  "deal": {"close": "2026-11-20T00:00:00Z"}, "a": {"b": {"c": {"d": "x"}}},
	  "events": [{"type": "webinar", "at": "2026-10-02T16:00:00Z"}, {"type": "webinar", "at": "2026-09-01T16:00:00Z"}]}`,
}

func loadLeadSeeds(f *testing.F) {
	root := filepath.Join("..", "testdata")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a folder that is missing or unreadable is skipped
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if !strings.HasPrefix(filepath.ToSlash(rel), "leads/") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Logf("reading seed %s: %v", path, err)
			return nil
		}
		f.Add(b)
		return nil
	})
	if err != nil {
		f.Logf("walking %s: %v", root, err)
	}
}

// withTimeout runs fn and fails the test with every goroutine's stack when it
// does not return in time.
func withTimeout(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(fuzzTimeout):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return within %s (hang?)\n%s", what, fuzzTimeout, buf)
	}
}

func FuzzEvaluate(f *testing.F) {
	acme, err := rules.Load(filepath.Join("..", "examples", "acme"))
	if err != nil {
		f.Fatalf("loading the acme policy: %v", err)
	}
	untyped, err := rules.Compile("untyped.qual", untypedPolicy)
	if err != nil {
		f.Fatalf("compiling the untyped policy: %v", err)
	}
	policies := []struct {
		name string
		pol  *rules.Policy
	}{{"acme", acme}, {"untyped", untyped}}

	loadLeadSeeds(f)
	for _, s := range leadSeeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, lead []byte) {
		if len(lead) > maxFuzzLead {
			t.Skip("input over 256 KiB")
		}
		// The lead is also given as a decoded map (numbers as float64), the
		// other way Go callers pass facts.
		var asMap map[string]any
		if json.Unmarshal(lead, &asMap) != nil {
			asMap = nil
		}
		for _, p := range policies {
			// A fresh evaluator per input keeps failures reproducible.
			ev := eval.New(p.pol, eval.WithNow(fuzzNow))
			checkEvaluate(t, p.name+" (JSON)", ev, lead)
			if asMap != nil {
				checkEvaluate(t, p.name+" (map)", ev, asMap)
			}
			// The bound leaves must give what the general path gives.
			general := eval.New(p.pol, eval.WithNow(fuzzNow), eval.WithoutBoundLeaves())
			compareEvaluators(t, p.name, ev, general, lead)
		}
	})
}

// checkEvaluate evaluates facts and checks the result or the error.
func checkEvaluate(t *testing.T, what string, ev *eval.Evaluator, facts any) {
	t.Helper()
	withTimeout(t, what+": Evaluate", func() {
		res, err := ev.Evaluate(context.Background(), facts)
		if err != nil {
			msg := err.Error()
			if msg == "" {
				t.Errorf("%s: Evaluate returned an error with an empty message (%T)", what, err)
			}
			// Evaluate recovers from its own panics and turns them into
			// this error: it is a bug all the same.
			if strings.HasPrefix(msg, "internal error") {
				t.Errorf("%s: Evaluate recovered from a panic: %s", what, msg)
			}
			return
		}
		if res == nil {
			t.Errorf("%s: Evaluate returned neither a result nor an error", what)
			return
		}
		if _, err := json.Marshal(res); err != nil {
			t.Errorf("%s: json.Marshal of the result: %v", what, err)
		}
		_ = res.Explain()
	})
}
