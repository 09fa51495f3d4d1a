package eval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// The tests in this file pin what a lead given as JSON means: evaluating
// the bytes must be observably the same as decoding them with
// encoding/json (numbers as json.Number, into a map[string]any) and
// evaluating that map. Results are compared as JSON, trace included, and
// errors by their text, so that a faster decoder of JSON leads cannot
// differ from the map path in any way a caller sees.

// richPolicy declares facts of every type the language has, objects two
// and three levels deep (some read as a whole), a required fact, lists of
// every scalar type and two event lists whose each rules read, and score
// by, fields an event may or may not have.
const richPolicy = `policy "rich" version "1"

facts {
  id                      string        required
  company.name            string
  company.size.employees  int
  company.size.revenue    number
  company.hq.geo.country  string
  company.hq.geo.lat      number
  company.hq.remote       bool
  company.founded         time
  contact.email           string
  contact.roles           list<string>
  contact.flags.vip       bool
  contact.flags.optin     bool
  scores                  list<int>
  weights                 list<number>
  checks                  list<bool>
  seen                    list<time>
  cadence                 duration
  trial                   duration
  activity.visits         list<event>
  events                  list<event>
}

let employees = company.size.employees ?? 0
let country   = company.hq.geo.country
let roles     = len(contact.roles ?? [])
let known_co  = company != nil
let hq        = company.hq
let flags     = contact?.flags?.vip ?? false

framework Fit qualified when met >= 2 {
  size     "Size"     when company.size.employees >= 50 && company.size.revenue > 1000000
  country  "Country"  when country in ["FR", "DE", "é"]
  roles    "Roles"    when roles > 0 && all(contact.roles, # != "")
  vip      "VIP"      when contact.flags.vip || contact.flags.optin
}

score fit max 100 min -100 {
  +5  "Company given"      when known_co
  +3  "HQ given"           when company.hq != nil
  +(employees / 10) "Staff" when employees > 0
  +(company.size.revenue / 1000000) "Revenue" when company.size.revenue > 0
  +2  "Latitude"           when company.hq.geo.lat < 0 || company.hq.geo.lat > 45.5
  +2  "Remote"             when company.hq.remote
  +1  "Name"               when company.name contains "é" || company.name startsWith "A"
  +1  "Long name"          when len(company.name ?? "") > 3
  +4  "Founded"            when days_since(company.founded) > 30
  +2  "Work mail"          when contact.email endsWith "@acme.io"
  +1  "Lead id"            when id matches "^L-[0-9]+$"
  +(sum(scores)) "Scores"  when len(scores) > 0
  +1  "Weights"            when any(weights, # > 0.5)
  +1  "Weight sum"         when sum(weights ?? []) >= 2.5
  +1  "Checks"             when all(checks, #)
  +1  "No checks"          when none(checks ?? [], #)
  +1  "Seen"               when len(seen) > 1
  +1  "Cadence"            when cadence <= duration("72h")
  +1  "Trial"              when trial > duration("336h")
  -3  "Fit unmet"          when Fit.size == "unmet"
  +1  "Guarded"            when company?.hq?.remote ?? false
  +1  "Flags"              when flags
  +(len(hq)) "HQ fields"   when hq != nil
}

score activity max 50 {
  +(.weight ?? 1) "Pricing visit" each activity.visits where .type == "page" && (.url ?? "") startsWith "/pricing" limit 5
  +2  "Visit from HQ"  each activity.visits where .geo?.country == country
  +(len(.tags ?? [])) "Tagged" each events where .meta?.depth?.level == 2
  +3  "Webinar"        each events where .type == "webinar" && .source != "spam" limit 2 halflife 14d
  +1  "Any event"      each events where true
  +1  "VP"             each contact.roles where # == "vp" limit 1
}

classify stage {
  disqualified when contact.flags.vip == false && employees < 2 because "tiny"
  sql          when score.total >= 30 && Fit.qualified
  mql          when score.total >= 10
  unqualified
}
`

// decodeLeadAsBefore decodes a lead as Evaluate always has: with
// encoding/json, numbers as json.Number, one object. It returns the map, or
// the text of the error Evaluate gives for the input.
func decodeLeadAsBefore(b []byte) (map[string]any, string) {
	if len(b) > eval.MaxFactsSize {
		return nil, fmt.Sprintf("invalid lead: lead is %d bytes; the limit is %d", len(b), eval.MaxFactsSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			p := parser.NewSource("", string(b)).PosAt(max(int(se.Offset)-1, 0))
			return nil, fmt.Sprintf("invalid lead: JSON syntax error at line %d, column %d: %s", p.Line, p.Column, se.Error())
		case errors.Is(err, io.EOF):
			return nil, "invalid lead: empty input"
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, "invalid lead: JSON ends early"
		}
		return nil, "invalid lead: " + err.Error()
	}
	if dec.More() {
		return nil, "invalid lead: more than one JSON value"
	}
	m, ok := v.(map[string]any)
	if !ok {
		var found string
		switch x := v.(type) {
		case nil:
			found = "null"
		case string:
			if len(x) > 40 {
				x = x[:37] + "..."
			}
			found = strconv.Quote(x)
		case json.Number:
			found = x.String()
		case bool:
			found = strconv.FormatBool(x)
		case []any:
			found = "a list"
		default:
			panic(fmt.Sprintf("encoding/json decoded %T", v))
		}
		return nil, "invalid lead: a lead must be a JSON object, not " + found
	}
	return m, ""
}

// outcome is what one evaluation gives: the result as JSON, or the error.
type outcome struct {
	json []byte
	err  error
}

func (o outcome) String() string {
	if o.err != nil {
		return "error: " + o.err.Error()
	}
	return string(o.json)
}

// short renders the outcome cut to a length a failure message can show.
func (o outcome) short() string {
	s := o.String()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// diff shows where two outcomes first differ.
func (o outcome) diff(p outcome, oName, pName string) string {
	if o.err != nil || p.err != nil {
		return fmt.Sprintf("%s: %s\n%s: %s", oName, o.short(), pName, p.short())
	}
	a, b := string(o.json), string(p.json)
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	around := func(s string) string { return "..." + s[max(i-150, 0):min(i+150, len(s))] + "..." }
	return fmt.Sprintf("results differ at byte %d:\n%s: %s\n%s: %s", i, oName, around(a), pName, around(b))
}

func (o outcome) same(p outcome) bool {
	if o.err != nil || p.err != nil {
		return o.err != nil && p.err != nil && o.err.Error() == p.err.Error()
	}
	return bytes.Equal(o.json, p.json)
}

func evalOutcome(ev *eval.Evaluator, facts any) outcome {
	res, err := ev.Evaluate(context.Background(), facts)
	if err != nil {
		return outcome{err: err}
	}
	return outcome{json: res.AppendJSON(nil)}
}

// compareJSONWithMap evaluates data as JSON bytes and requires what the
// map encoding/json decodes it to gives: the same result, trace included,
// or the same error. Input encoding/json rejects must give the error
// Evaluate has always given for it. It returns the outcome.
func compareJSONWithMap(t *testing.T, what string, ev *eval.Evaluator, data []byte) outcome {
	t.Helper()
	// The lead is evaluated from a copy, which is then overwritten: the
	// result must not keep pointing into the caller's bytes.
	lead := slices.Clone(data)
	var got outcome
	res, err := ev.Evaluate(context.Background(), lead)
	if err != nil {
		got.err = err
	} else {
		got.json = res.AppendJSON(nil)
		// The trace writes its steps' JSON itself (model.StepWriter); a
		// clone's trace is the steps rendered, written as Steps.
		if clone := res.Clone().AppendJSON(nil); !bytes.Equal(clone, got.json) {
			t.Fatalf("%s: the trace's JSON and its rendered steps' disagree\n%s\nlead: %q", what, got.diff(outcome{json: clone}, "written", "rendered"), data)
		}
		for i := range lead {
			lead[i] = 'x'
		}
		if again := res.AppendJSON(nil); !bytes.Equal(again, got.json) {
			t.Fatalf("%s: the result changed with the bytes of the lead\n%s\nlead: %q", what, got.diff(outcome{json: again}, "before", "after"), data)
		}
	}
	m, wantErr := decodeLeadAsBefore(data)
	if m == nil {
		switch {
		case got.err == nil:
			t.Fatalf("%s: encoding/json rejects the lead (%s), Evaluate accepts it: %s\nlead: %q", what, wantErr, got.short(), data)
		case got.err.Error() != wantErr:
			t.Fatalf("%s: wrong error for invalid JSON\ngot:  %v\nwant: %s\nlead: %q", what, got.err, wantErr, data)
		}
		var ie *eval.InputError
		if !errors.As(got.err, &ie) {
			t.Fatalf("%s: the error for invalid JSON is a %T, not an *eval.InputError", what, got.err)
		}
		return got
	}
	want := evalOutcome(ev, m)
	if !got.same(want) {
		t.Fatalf("%s: the JSON lead and its encoding/json map disagree\n%s\nlead: %q", what, got.diff(want, "JSON", "map"), data)
	}
	return got
}

// compareJSONForms requires the other forms of JSON facts (string,
// json.RawMessage, io.Reader) to give what the bytes give.
func compareJSONForms(t *testing.T, what string, ev *eval.Evaluator, data []byte) {
	t.Helper()
	want := evalOutcome(ev, data)
	for _, form := range []struct {
		name  string
		facts any
		want  outcome
	}{
		{"string", string(data), want},
		{"json.RawMessage", json.RawMessage(data), want},
		// A reader is read up to one byte past the limit.
		{"io.Reader", strings.NewReader(string(data)), readerWant(ev, data, want)},
	} {
		if got := evalOutcome(ev, form.facts); !got.same(form.want) {
			t.Fatalf("%s: the lead as %s and as []byte disagree\n%s\nlead: %q", what, form.name, got.diff(form.want, form.name, "[]byte"), data)
		}
	}
}

func readerWant(ev *eval.Evaluator, data []byte, want outcome) outcome {
	if len(data) <= eval.MaxFactsSize+1 {
		return want
	}
	return evalOutcome(ev, data[:eval.MaxFactsSize+1])
}

// jsonEvaluator is a named evaluator configuration.
type jsonEvaluator struct {
	name string
	ev   *eval.Evaluator
}

// jsonEvaluators gives, for a policy, evaluators with the trace on, with it
// off and with lenient strings (which, for now, take the map path).
func jsonEvaluators(pol *rules.Policy) []jsonEvaluator {
	return []jsonEvaluator{
		{"trace", eval.New(pol, eval.WithNow(now))},
		{"no trace", eval.New(pol, eval.WithNow(now), eval.WithTrace(false))},
		{"lenient", eval.New(pol, eval.WithNow(now), eval.WithLenientStrings(true))},
	}
}

// jsonPolicy is a policy the tests evaluate JSON leads with; gen, when
// set, writes random leads for it.
type jsonPolicy struct {
	name string
	pol  *rules.Policy
	gen  func(*leadWriter)
}

// jsonPolicies gives boundPolicy and richPolicy, with their lead writers,
// and with all set, also the acme example and the untyped policy of
// FuzzEvaluate.
func jsonPolicies(tb testing.TB, all bool) []jsonPolicy {
	tb.Helper()
	compile := func(name, src string) *rules.Policy {
		pol, err := rules.Compile(name+".qual", src)
		if err != nil {
			tb.Fatalf("compiling %s: %v", name, err)
		}
		return pol
	}
	out := []jsonPolicy{
		{"bound", compile("bound", boundPolicy), (*leadWriter).boundLead},
		{"rich", compile("rich", richPolicy), (*leadWriter).richLead},
	}
	if all {
		acme, err := rules.Load(filepath.Join("..", "examples", "acme"))
		if err != nil {
			tb.Fatalf("loading the acme policy: %v", err)
		}
		out = append(out, jsonPolicy{"acme", acme, nil}, jsonPolicy{"untyped", compile("untyped", untypedPolicy), nil})
	}
	return out
}

// TestJSONFacts_agreeWithMap_random writes random leads as JSON text, with
// values of every kind, in every spelling JSON allows, at every level, and
// requires each to agree with its encoding/json map.
func TestJSONFacts_agreeWithMap_random(t *testing.T) {
	const leads = 3000
	for _, p := range jsonPolicies(t, false) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			evs := jsonEvaluators(p.pol)
			rng := rand.New(rand.NewPCG(20261101, uint64(len(p.name))))
			var ok, factErrs, inputErrs int
			stages := map[string]int{}
			var reused model.Result
			for i := range leads {
				w := newLeadWriter(rng)
				var data []byte
				if p.name == "bound" && i%10 == 9 {
					// Also leads as Go programs write them.
					data = w.marshalled(randomBoundLead(rng))
				} else {
					p.gen(w)
					data = w.bytes()
				}
				switch rng.IntN(50) {
				case 0: // cut short anywhere
					data = data[:rng.IntN(len(data))]
				case 1: // a stray byte anywhere
					at := rng.IntN(len(data) + 1)
					stray := pick(w, []string{"x", ",", ":", "}", "]", "{", "[", `"`, `\`, "\x00", "\xff", "-", "0"})
					data = slices.Concat(data[:at], []byte(stray), data[at:])
				}
				what := fmt.Sprintf("%s lead %d", p.name, i)
				got := compareJSONWithMap(t, what+" (trace)", evs[0].ev, data)
				compareJSONWithMap(t, what+" (no trace)", evs[1].ev, data)
				if i%3 == 0 {
					compareJSONWithMap(t, what+" (lenient)", evs[2].ev, data)
				}
				var ie *eval.InputError
				switch {
				case got.err == nil:
					ok++
					var res struct{ Stage string }
					require.NoError(t, json.Unmarshal(got.json, &res))
					stages[res.Stage]++
				case errors.As(got.err, &ie):
					inputErrs++
				case len(eval.FactErrors(got.err)) > 0:
					factErrs++
				}
				if i%4 == 0 {
					// A result reused from lead to lead gives what a new one gives.
					err := evs[0].ev.EvaluateInto(context.Background(), data, &reused)
					if got.err == nil && (err != nil || !bytes.Equal(reused.AppendJSON(nil), got.json)) {
						t.Fatalf("%s: a reused result and a new one disagree\n%s", what, outcome{reused.AppendJSON(nil), err}.diff(got, "reused", "new"))
					}
				}
				if i%50 == 0 {
					compareJSONForms(t, what, evs[0].ev, data)
				}
			}
			t.Logf("%d leads: %d evaluated (stages %v), %d with fact errors, %d invalid", leads, ok, stages, factErrs, inputErrs)
			// The leads must reach the rules, not only the decoder's errors.
			assert.Greater(t, ok, leads*2/5, "too few leads evaluate")
			assert.GreaterOrEqual(t, len(stages), 3, "too few stages reached")
			assert.Greater(t, factErrs, leads/20, "too few leads have fact errors")
			assert.NotZero(t, inputErrs, "no lead is invalid")
		})
	}
}

// trickyLeads are leads that stress a JSON decoder: every one must give
// what its encoding/json map gives, or encoding/json's error.
var trickyLeads = []string{
	// duplicate names: encoding/json keeps the last
	`{"n":1,"n":2}`,
	`{"n":"x","n":7}`,
	`{"n":7,"n":"x"}`,
	`{"o":{"deep":1},"o":null}`,
	`{"o":null,"o":{"deep":9}}`,
	`{"o":{"deep":1,"deep":"x"}}`,
	`{"o":{"deep":1},"o":{"other":2}}`,
	`{"zz":1,"zz":{"a":[1,2]}}`,
	`{"events":[{"type":"webinar","type":"page","at":"2026-10-20T00:00:00Z"}]}`,
	`{"events":[{"type":"webinar","at":"2026-10-20T00:00:00Z","at":null}]}`,
	`{"id":"L-1","id":null}`,
	`{"id":"L-1","company":{"size":{"employees":60,"revenue":2e6},"size":{"employees":70}}}`,
	// names spelled with escapes, and names that only look alike
	`{"\u006e":7,"\u0073":"\u0078","o":{"d\u0065ep":3}}`,
	`{"\/n":1,"n\/":2,"s":"\/"}`,
	`{"N":7,"S":"x","O":{"Deep":1},"Events":[]}`,
	`{"\u017f":"x","s\u0000":"x","s ":"x"," s":"x"}`,
	`{"id":"L-1","company":{"hq":{"geo":{"country":"\u00e9"}}},"\u0069d":"L-2"}`,
	// invalid UTF-8 and lone surrogates, which encoding/json replaces
	"{\"s\":\"\xff\"}",
	"{\"s\":\"a\xc3\",\"n\":7}",
	"{\"s\":\"\xed\xa0\x80\"}",
	"{\"\xff\":1,\"n\":7}",
	"{\"tags\":[\"x\",\"\xe2\x82\"],\"zz\":\"\xc0\xaf\"}",
	"{\"events\":[{\"type\":\"webinar\",\"at\":\"2026-10-20T00:00:00Z\",\"url\":\"\xff\"}]}",
	`{"s":"\ud800"}`,
	`{"s":"\udc00x"}`,
	`{"s":"\ud83dx"}`,
	`{"s":"\ud83d\u0041"}`,
	`{"s":"\ud83d\ud83d\ude00"}`,
	`{"s":"\ud83d\ude00","tags":["\uD83D\uDE00","\u00E9"]}`,
	`{"id":"L-1","contact":{"roles":["\udfff"]},"events":[{"type":"\ud800","at":"2026-10-20"}]}`,
	// numbers
	`{"n":-0,"x":-0.0}`,
	`{"n":1e400,"x":1}`,
	`{"n":1,"x":1e400}`,
	`{"n":1,"x":-1e400}`,
	`{"n":9223372036854775807,"x":9223372036854775808}`,
	`{"n":9223372036854775808}`,
	`{"n":-9223372036854775808}`,
	`{"n":-9223372036854775809}`,
	`{"n":9007199254740993,"x":9007199254740993}`,
	`{"n":123456789012345678901234567890,"x":123456789012345678901234567890}`,
	`{"n":7.0000000000000000001,"x":2.4999999999999999999}`,
	`{"n":1E2,"x":1E-2}`,
	`{"n":7e0,"x":-12.5e+1}`,
	`{"n":0.7e1,"x":4.9e-324}`,
	`{"n":1e18,"x":1.7976931348623157e308}`,
	`{"n":1e19,"x":1.7976931348623159e308}`,
	`{"nums":[1e400],"events":[{"type":"page","at":"2026-10-20","n":1e400,"m":-0}]}`,
	`{"id":"L-1","scores":[1,2.0,3e0,-0],"weights":[0.5,1E0,1e-400],"activity":{"visits":[{"type":"page","at":"2026-10-30","url":"/pricing","weight":1e2}]}}`,
	`{"id":"L-1","activity":{"visits":[{"type":"page","at":"2026-10-30","url":"/pricing","weight":123456789012345678901234567890}]}}`,
	`{"id":"L-1","activity":{"visits":[{"type":"page","at":"2026-10-30","url":"/pricing","weight":"5"}]}}`,
	// strings and times
	`{"s":"\"\\\/\b\f\n\r\t","t":"2026-10-20T09:30:00Z"}`,
	`{"s":"é","t":"2026-10-20T09:30:00+02:00"}`,
	`{"s":"\u00e9","t":"2026-10-20T09:30:00.123456789Z"}`,
	`{"s":"e\u0301","t":"2026-10-20"}`,
	`{"s":"x","t":"2026\u002d10-20"}`,
	`{"s":"x","t":"2026-10-20T09:30:00"}`,
	`{"s":"x","t":"2026-10-20t09:30:00z"}`,
	`{"s":"x","t":"yesterday"}`,
	`{"s":"x","t":""}`,
	`{"s":"","b":""}`,
	`{"id":"L-1","cadence":"30d","trial":"2w","seen":["2026-10-31","2026-10-30T00:00:00Z"]}`,
	`{"id":"L-1","cadence":"1h30m","trial":"-5m"}`,
	`{"id":"L-1","cadence":5,"trial":"abc"}`,
	// whole objects and lists of the wrong type, and null inside them
	`{"o":1}`,
	`{"o":[]}`,
	`{"o":"deep"}`,
	`{"o":{}}`,
	`{"o":{"deep":null}}`,
	`{"tags":{"a":"x"},"nums":"1","events":{"type":"page"}}`,
	`{"tags":["x",null],"nums":[1,null],"events":[null]}`,
	`{"tags":["x",1],"nums":[1,"2"],"events":[1,"x",[],{}]}`,
	`{"tags":[],"nums":[],"events":[]}`,
	`{"id":"L-1","company":{"size":[],"hq":{"geo":7}},"contact":{"flags":{"vip":"true"}}}`,
	`{"id":"L-1","company":{"size":{},"hq":{"geo":{},"remote":null}},"contact":null}`,
	`{"id":"L-1","company":null,"activity":{"visits":null},"events":null}`,
	`{"id":"L-1","scores":[1,"2"],"weights":[true],"checks":[1],"seen":["x"]}`,
	`{"id":null}`,
	`{"id":7}`,
	`{}`,
	// unknown names holding anything
	`{"zz":{"a":{"b":{"c":[1,[2,[3,{"d":null}]]]}}},"n":7}`,
	`{"events":[{"type":"webinar","at":"2026-10-20","meta":{"depth":{"level":2}},"tags":["a",{"b":[]}]}],"n":7}`,
	`{"zz":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"n":7}`,
	`{"events":[{"type":"webinar","at":"2026-10-20","x":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat("}", 70) + `}]}`,
	`{"zz":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"zz":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	`{"zz":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 9999) + `}`,
	`{"zz":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `}`,
	// what follows the object: encoding/json reads one value, then
	// looks at the next byte only
	`{"n":7} }`,
	`{"n":7}]`,
	`{"n":7} ]garbage`,
	`{"n":7}}}`,
	`{"n":7} x`,
	`{"n":7} ,`,
	`{"n":7} {}`,
	`{}{}`,
	`{} 1`,
	"{}\x00",
	"{}\xff",
	"{} \n\t\r ",
	"\n\t\r {\"n\":7}",
	// invalid JSON
	``,
	` `,
	"\n\t\r",
	`{`,
	`{"n"`,
	`{"n":`,
	`{"n":1`,
	`{"n":1,`,
	`{"n":1,}`,
	`{"s":"abc`,
	`{"s":"abc\`,
	`{"s":"\u12"}`,
	`{"s":"\q"}`,
	"{\"s\":\"a\x01b\"}",
	"{\"s\":\"a\nb\"}",
	`{"n":01}`,
	`{"n":1.}`,
	`{"n":.5}`,
	`{"n":+1}`,
	`{"n":-}`,
	`{"n":1e}`,
	`{"n":0x10}`,
	`{"n":NaN}`,
	`{"n":Infinity}`,
	`{"n":tru}`,
	`{"n":nul}`,
	`{'n':1}`,
	`{n:1}`,
	`{"n" 1}`,
	`{"n":1 "x":2}`,
	`/* c */ {}`,
	"\ufeff{}",
	"\ufeff{\"n\":7}",
	`[]`,
	`[{"n":7}]`,
	`7`,
	`-0`,
	`1e400`,
	`"x"`,
	`"a string much longer than forty characters, cut in the message"`,
	`null`,
	`true`,
	`false`,
	strings.Repeat("[", 10001),
	strings.Repeat(`{"a":`, 10001),
}

// TestJSONFacts_trickyLeads runs trickyLeads through every evaluator and
// every form of JSON facts, and leads at the size limit through one.
func TestJSONFacts_trickyLeads(t *testing.T) {
	for pi, p := range jsonPolicies(t, true) {
		for ei, e := range jsonEvaluators(p.pol) {
			for i, lead := range trickyLeads {
				what := fmt.Sprintf("%s (%s) tricky lead %d", p.name, e.name, i)
				compareJSONWithMap(t, what, e.ev, []byte(lead))
				if ei == 0 {
					compareJSONForms(t, what, e.ev, []byte(lead))
				}
			}
			if pi > 0 || ei > 0 {
				continue
			}
			atLimit := "{" + strings.Repeat(" ", eval.MaxFactsSize-9) + `"n":7}`
			for i, lead := range []string{
				atLimit, // the largest lead
				atLimit + " ",
				`{"n":7}` + strings.Repeat("\n", eval.MaxFactsSize),
			} {
				what := fmt.Sprintf("%s (%s) lead %d at the size limit", p.name, e.name, i)
				got := compareJSONWithMap(t, what, e.ev, []byte(lead))
				compareJSONForms(t, what, e.ev, []byte(lead))
				if i == 0 {
					require.NoError(t, got.err, what)
				}
			}
		}
	}
}

// TestJSONFacts_reusedResult evaluates leads of very different sizes, one
// after another, into one result, which reuses the maps and lists it
// decoded the last lead's events into: each must give what a new result
// gives, and what the result keeps for reuse stays bounded whatever the
// lead.
func TestJSONFacts_reusedResult(t *testing.T) {
	pol, err := rules.Load(filepath.Join("..", "examples", "acme"))
	require.NoError(t, err)
	// Without bound leaves, events are built as maps; with them, an event
	// list is read as its elements' type, and kept as text for the trace.
	evs := map[string]*eval.Evaluator{
		"general": eval.New(pol, eval.WithNow(now), eval.WithoutBoundLeaves()),
		"bound":   eval.New(pol, eval.WithNow(now)),
	}
	events := func(n int, extra string) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"type":%q,"at":"2026-10-%02dT10:00:00Z"%s}`, []string{"webinar", "page", "ebook"}[i%3], 1+i%28, extra)
		}
		return b.String()
	}
	wide := strings.Builder{}
	for i := range 2000 {
		fmt.Fprintf(&wide, `,"k%d":%d`, i, i)
	}
	lead := func(evs string) []byte {
		return []byte(`{"contact":{"email":"a@b.co","role":"vp"},"pains":["a","b"],"events":[` + evs + `]}`)
	}
	leads := [][]byte{
		lead(events(3, "")),
		lead(events(3000, `,"meta":{"n":[1,2]}`)), // more maps and lists than are kept
		lead(events(1, "")),
		lead(events(2, wide.String())), // maps too big to keep
		lead(events(5, `,"url":"/x"`)),
		lead(""),
		lead(events(4, `,"tags":["a","b","c"]`)),
		[]byte(`{"contact":{"email":"a@b.co"},"events":[{"type":"webinar"}]}`), // a fact error
		lead(events(3, "")),
	}
	for name, ev := range evs {
		var reused model.Result
		for round := range 2 {
			for i, data := range leads {
				what := fmt.Sprintf("%s: round %d, lead %d", name, round, i)
				want := evalOutcome(ev, data)
				err := ev.EvaluateInto(context.Background(), data, &reused)
				got := outcome{err: err}
				if err == nil {
					got.json = reused.AppendJSON(nil)
				}
				require.True(t, got.same(want), "%s: a reused result and a new one disagree\n%s", what, got.diff(want, "reused", "new"))
				sc := reused.Scratch()
				assert.LessOrEqual(t, len(sc.Maps), 256, what)
				assert.LessOrEqual(t, len(sc.Lists), 256, what)
				for _, m := range sc.Maps {
					assert.LessOrEqual(t, len(m), 1024, what)
				}
				for _, l := range sc.Lists {
					assert.LessOrEqual(t, cap(l), 1024, what)
				}
			}
		}
		sc := reused.Scratch()
		if name == "general" {
			assert.NotEmpty(t, sc.Maps, "the result keeps no maps to reuse")
		}
		assert.NotEmpty(t, sc.Lists, "%s: the result keeps no lists to reuse", name)
	}
}

// TestJSONFacts_errorMessages pins the messages of the table in
// TestEvaluate_inputForms, which decodeLeadAsBefore must agree with.
func TestJSONFacts_errorMessages(t *testing.T) {
	for in, want := range map[string]string{
		"{\n  \"company\": {\"employees\": 250,}\n}": "invalid lead: JSON syntax error at line 2, column 32: invalid character '}' looking for beginning of object key string",
		`[1, 2]`: "invalid lead: a lead must be a JSON object, not a list",
		``:       "invalid lead: empty input",
		`{} {}`:  "invalid lead: more than one JSON value",
		`{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}": "invalid lead: JSON syntax error at line 1, column 10005: invalid character '[' exceeded max depth",
		`{"n":1`: "invalid lead: JSON ends early",
		`"x"`:    `invalid lead: a lead must be a JSON object, not "x"`,
	} {
		_, msg := decodeLeadAsBefore([]byte(in))
		assert.Equal(t, want, msg)
		for _, p := range jsonPolicies(t, true) {
			_, err := eval.New(p.pol, eval.WithNow(now)).Evaluate(context.Background(), []byte(in))
			assert.EqualError(t, err, want)
		}
	}
}

// exampleLeads lists the sample leads of every example policy.
func exampleLeads(tb testing.TB) (dirs []string, leads map[string][]string) {
	tb.Helper()
	all, err := filepath.Glob("../examples/*")
	if err != nil {
		tb.Fatal(err)
	}
	leads = map[string][]string{}
	for _, dir := range all {
		if files, _ := filepath.Glob(filepath.Join(dir, "*.qual")); len(files) == 0 {
			continue
		}
		paths, _ := filepath.Glob(filepath.Join("../testdata/leads", filepath.Base(dir), "*.json"))
		if len(paths) > 0 {
			dirs = append(dirs, dir)
			leads[dir] = paths
		}
	}
	return dirs, leads
}

// TestJSONFacts_examples requires every sample lead of every example
// policy, as read from disk, compacted and indented, to agree with its
// encoding/json map.
func TestJSONFacts_examples(t *testing.T) {
	dirs, leads := exampleLeads(t)
	require.NotEmpty(t, dirs, "no example leads found")
	for _, dir := range dirs {
		pol, err := rules.Load(dir)
		require.NoError(t, err)
		for _, e := range jsonEvaluators(pol) {
			for _, path := range leads[dir] {
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				var compact, indented bytes.Buffer
				require.NoError(t, json.Compact(&compact, b))
				require.NoError(t, json.Indent(&indented, b, "\t", "\t"))
				what := path + " (" + e.name + ")"
				got := compareJSONWithMap(t, what, e.ev, b)
				require.NoError(t, got.err, what)
				compareJSONForms(t, what, e.ev, b)
				for _, v := range [][]byte{compact.Bytes(), indented.Bytes()} {
					if again := compareJSONWithMap(t, what+" respaced", e.ev, v); !again.same(got) {
						t.Fatalf("%s: respacing the lead changes its result\n%s", what, again.diff(got, "respaced", "as on disk"))
					}
				}
			}
		}
	}
}

// maxJSONFactsFuzzLead bounds the fuzzed leads.
const maxJSONFactsFuzzLead = 64 << 10

func FuzzJSONFacts(f *testing.F) {
	dirs, leads := exampleLeads(f)
	for _, dir := range dirs {
		for _, path := range leads[dir] {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range trickyLeads {
		if len(s) <= 1<<10 {
			f.Add([]byte(s))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		w := newLeadWriter(rng)
		w.boundLead()
		f.Add(w.bytes())
		w = newLeadWriter(rng)
		w.richLead()
		f.Add(w.bytes())
	}
	policies := jsonPolicies(f, true)

	f.Fuzz(func(t *testing.T, lead []byte) {
		if len(lead) > maxJSONFactsFuzzLead {
			t.Skip("input over 64 KiB")
		}
		for _, p := range policies {
			// New evaluators per input keep failures reproducible.
			for _, e := range jsonEvaluators(p.pol) {
				what := p.name + " (" + e.name + ")"
				withTimeout(t, what, func() {
					compareJSONWithMap(t, what, e.ev, lead)
					if e.name == "trace" {
						compareJSONForms(t, what, e.ev, lead)
					}
				})
				if t.Failed() {
					// The failure was in withTimeout's goroutine: stop here.
					t.FailNow()
				}
			}
		}
	})
}

// leadWriter writes a random lead as JSON text: random key order,
// whitespace, spellings of strings and numbers, unknown names, nulls and
// values of the wrong type at every level.
type leadWriter struct {
	rng *rand.Rand
	b   []byte
	// space is how much whitespace goes between tokens (0 to 2).
	space int
	// absent, null and wrong are how often a fact is left out, null, or of
	// the wrong type; edge how often a value is of the right JSON type but
	// not one the fact takes (2.5 for an int, "yesterday" for a time);
	// unknown how often an object gets an extra name; dup how often a name
	// is written twice; broken how often a string gets invalid UTF-8 or a
	// lone surrogate.
	absent, null, wrong, edge, unknown, dup, broken float64
	// required names the fields that are seldom left out, null or wrong:
	// required facts and the type and at of events.
	required []string
	// depth is the nesting of the value being written.
	depth int
}

func newLeadWriter(rng *rand.Rand) *leadWriter {
	w := &leadWriter{rng: rng, space: rng.IntN(3), required: []string{"type", "at"}}
	w.absent = []float64{0, 0.1, 0.3, 0.6}[rng.IntN(4)]
	w.null = []float64{0, 0.05, 0.2}[rng.IntN(3)]
	w.wrong = []float64{0, 0, 0, 0.02, 0.1}[rng.IntN(5)]
	w.edge = []float64{0, 0, 0, 0.02, 0.2}[rng.IntN(5)]
	w.unknown = []float64{0, 0.1, 0.3}[rng.IntN(3)]
	if rng.IntN(10) == 0 {
		w.dup = 0.1
	}
	if rng.IntN(20) == 0 {
		w.broken = 0.2
	}
	return w
}

func (w *leadWriter) bytes() []byte { return w.b }

func (w *leadWriter) chance(p float64) bool { return p > 0 && w.rng.Float64() < p }

func pick[T any](w *leadWriter, xs []T) T { return xs[w.rng.IntN(len(xs))] }

// marshalled writes a lead made as a Go map with encoding/json, compact or
// indented.
func (w *leadWriter) marshalled(lead map[string]any) []byte {
	var b []byte
	var err error
	if w.rng.IntN(2) == 0 {
		b, err = json.Marshal(lead)
	} else {
		b, err = json.MarshalIndent(lead, "", "  ")
	}
	if err != nil {
		panic(err)
	}
	return b
}

func (w *leadWriter) ws() {
	if w.space == 0 || w.rng.IntN(3) > w.space {
		return
	}
	for range 1 + w.rng.IntN(3) {
		w.b = append(w.b, pick(w, []string{" ", " ", "\t", "\n", "\r\n", "   "})...)
	}
}

func (w *leadWriter) raw(s string) {
	w.ws()
	w.b = append(w.b, s...)
}

// str writes s as a JSON string, each character spelled raw or escaped.
func (w *leadWriter) str(s string) {
	w.ws()
	w.b = append(w.b, '"')
	escapes := w.rng.IntN(4) // 0: as encoding/json would, 3: escape a lot
	for _, r := range s {
		if w.chance(w.broken / 4) {
			w.b = append(w.b, pick(w, []string{"\xff", "\xc3", "\xed\xa0\x80", `\ud800`, `\udc00`, `\uDBFF`})...)
		}
		esc := escapes > 0 && w.rng.IntN(4) < escapes
		switch {
		case r == '"' || r == '\\':
			w.b = append(w.b, '\\', byte(r))
		case r < 0x20 || esc && r < 0x80 && w.rng.IntN(2) == 0:
			short := map[rune]string{'\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '/': `\/`}[r]
			if short != "" && w.rng.IntN(2) == 0 {
				w.b = append(w.b, short...)
			} else {
				w.b = fmt.Appendf(w.b, pick(w, []string{`\u%04x`, `\u%04X`}), r)
			}
		case r == '/' && esc:
			w.b = append(w.b, `\/`...)
		case esc && r > 0xffff:
			r1, r2 := utf16Pair(r)
			w.b = fmt.Appendf(w.b, pick(w, []string{`\u%04x\u%04x`, `\u%04X\u%04X`}), r1, r2)
		case esc && r >= 0x80:
			w.b = fmt.Appendf(w.b, pick(w, []string{`\u%04x`, `\u%04X`}), r)
		default:
			w.b = utf8.AppendRune(w.b, r)
		}
	}
	w.b = append(w.b, '"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + r>>10&0x3ff, 0xdc00 + r&0x3ff
}

// field is one name of an object and what writes its value.
type field struct {
	name  string
	value func()
}

// object writes fields in random order, some left out, null or of the
// wrong type, with unknown names among them and some names twice.
func (w *leadWriter) object(fields ...field) {
	w.depth++
	defer func() { w.depth-- }()
	var todo []field
	for _, f := range fields {
		odds := 1.0
		if slices.Contains(w.required, f.name) {
			odds = 0.05
		}
		switch {
		case w.chance(w.absent * odds):
		case w.chance(w.null * odds):
			todo = append(todo, field{f.name, func() { w.raw("null") }})
		case w.chance(w.wrong * odds):
			todo = append(todo, field{f.name, w.wrongValue})
		default:
			todo = append(todo, f)
		}
		if w.chance(w.dup) {
			todo = append(todo, pick(w, []field{f, {f.name, w.any}, {f.name, func() { w.raw("null") }}}))
		}
	}
	for w.chance(w.unknown) {
		todo = append(todo, field{pick(w, unknownNames), w.any})
	}
	w.rng.Shuffle(len(todo), func(i, j int) { todo[i], todo[j] = todo[j], todo[i] })
	w.raw("{")
	for i, f := range todo {
		if i > 0 {
			w.raw(",")
		}
		w.str(f.name)
		w.raw(":")
		f.value()
	}
	w.raw("}")
}

// list writes n elements, some of them null or of the wrong type.
func (w *leadWriter) list(n int, elem func()) {
	w.depth++
	defer func() { w.depth-- }()
	w.raw("[")
	for i := range n {
		if i > 0 {
			w.raw(",")
		}
		switch {
		case w.chance(w.null / 8):
			w.raw("null")
		case w.chance(w.wrong / 4):
			w.wrongValue()
		default:
			elem()
		}
	}
	w.raw("]")
}

var unknownNames = []string{"zz", "extra", "n2", "", " ", "N", "Company", "type", "at", "é", "😀", "a.b", "__each__", "now", "score"}

// Values of each type, in the spellings JSON allows, and values of the
// right JSON type that the fact's type rejects (edge). Numbers are written
// as given; strings go through str.
var (
	jsonInts = []string{"0", "-0", "1", "2", "3", "5", "7", "7.0", "70e-1", "0.7E1", "10", "1e1", "1E2", "100",
		"101", "1e3", "1000", "-5", "-0.0", "1.0", "3.000", "5e0", "9007199254740993", "9223372036854775807",
		"-9223372036854775808", "7.0000000000000000001"}
	edgeInts    = []string{"2.5", "-12.5e+1", "1e18", "1e19", "9223372036854775808", "123456789012345678901234567890", "1e400", "1E-2", "4.9e-324"}
	jsonNumbers = []string{"0", "-0", "0.5", "1", "1.0", "1.5", "2", "2.0", "2.5", "3", "45.6", "-3.25", "1e6",
		"2.5e6", "1E-2", "-12.5e+1", "1e3", "9007199254740993", "123456789012345678901234567890",
		"1.7976931348623157e308", "4.9e-324", "2.4999999999999999999", "0.1e1", "1e-400"}
	edgeNumbers = []string{"1e400", "-1e400", "1.7976931348623159e308"}
	goStrings   = []string{"", "a", "abc", "x", "y", "z", "m", "é", "aé", "zzz", "hello", "Acme", "Ålesund", `"quoted"`,
		`back\slash`, "sl/ash", "line\nbreak", "tab\t", "😀", "e\u0301", "\u2028", "\x00", "\x1f", "\x7f", "<html>&",
		"FR", "DE", "US", "L-42", "L-", "bob@acme.io", "ana@gmail.com", "/pricing", "140", " 12.5 ", "true", "1e3"}
	goTimes = []string{"2026-10-20T09:30:00Z", "2026-10-31T23:59:59Z", "2026-10-20T09:30:00+02:00",
		"2026-10-20T09:30:00.123456789Z", "2026-10-20T09:30:00.5-07:00", "2026-10-20", "2026-09-01",
		"2026-11-05", "2026-11-20T00:00:00Z", "2025-01-01", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"}
	edgeTimes   = []string{"yesterday", "", "2026-13-45T99:99:99Z", "2026-10-20T09:30:00", "2026-10-20t09:30:00z", "20261020", "2026-10-20 09:30:00Z"}
	goDurations = []string{"30d", "12h", "2w", "1h30m", "-5m", "0s", "500ms", "72h", "3d", "15d", "400h"}
	edgeDurs    = []string{"abc", "", "1.5h", "10", "1d12h", "30 d"}
	eventTypes  = []string{"webinar", "page", "demo", "signup", "", "Webinar"}
	goURLs      = []string{"/pricing", "/pricing/plans", "/blog", "", "/prıcing", "/pricing?q=é"}
)

// edgeOr picks from edge with the lead's odds of edge values, or else
// from good.
func edgeOr[T any](w *leadWriter, good, edge []T) T {
	if w.chance(w.edge) {
		return pick(w, edge)
	}
	return pick(w, good)
}

func (w *leadWriter) intValue()    { w.raw(edgeOr(w, jsonInts, edgeInts)) }
func (w *leadWriter) numberValue() { w.raw(edgeOr(w, jsonNumbers, edgeNumbers)) }
func (w *leadWriter) anyNumber() {
	w.raw(pick(w, pick(w, [][]string{jsonInts, edgeInts, jsonNumbers, edgeNumbers})))
}
func (w *leadWriter) boolValue() { w.raw(pick(w, []string{"true", "false"})) }
func (w *leadWriter) duration()  { w.str(edgeOr(w, goDurations, edgeDurs)) }

func (w *leadWriter) stringValue(pool ...string) {
	if len(pool) == 0 || w.rng.IntN(4) == 0 {
		pool = goStrings
	}
	w.str(pick(w, pool))
}

// timeValue writes a time from the list or one near the evaluation time,
// in one of several formats.
func (w *leadWriter) timeValue() {
	if w.rng.IntN(3) == 0 {
		w.str(edgeOr(w, goTimes, edgeTimes))
		return
	}
	tm := now.Add(-time.Duration(w.rng.Int64N(int64(80*24*time.Hour))) + 10*24*time.Hour)
	layout := pick(w, []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00", "2006-01-02"})
	if w.rng.IntN(3) == 0 {
		tm = tm.In(time.FixedZone("", (w.rng.IntN(28)-14)*3600))
	}
	w.str(tm.Format(layout))
}

// wrongValue writes a value of any kind, mostly scalars.
func (w *leadWriter) wrongValue() {
	switch w.rng.IntN(7) {
	case 0:
		w.stringValue()
	case 1:
		w.anyNumber()
	case 2:
		w.boolValue()
	case 3:
		w.raw("{}")
	case 4:
		w.raw("[]")
	default:
		w.any()
	}
}

// any writes arbitrary JSON, sometimes deeply nested.
func (w *leadWriter) any() {
	if w.depth < 3 && w.rng.IntN(40) == 0 {
		var closers []string
		for range 1 + w.rng.IntN(80) {
			if w.rng.IntN(2) == 0 {
				w.raw("[")
				closers = append(closers, "]")
			} else {
				w.raw("{")
				w.str(pick(w, unknownNames))
				w.raw(":")
				closers = append(closers, "}")
			}
		}
		w.any()
		for i := len(closers) - 1; i >= 0; i-- {
			w.raw(closers[i])
		}
		return
	}
	kind := w.rng.IntN(8)
	if w.depth > 6 {
		kind %= 5
	}
	switch kind {
	case 0:
		w.raw("null")
	case 1:
		w.boolValue()
	case 2:
		w.anyNumber()
	case 3, 4:
		w.stringValue()
	case 5:
		w.list(w.rng.IntN(4), w.any)
	default:
		w.depth++
		w.raw("{")
		for i := range w.rng.IntN(4) {
			if i > 0 {
				w.raw(",")
			}
			w.str(pick(w, unknownNames))
			w.raw(":")
			w.any()
		}
		w.raw("}")
		w.depth--
	}
}

// event writes an event with optional extra fields.
func (w *leadWriter) event(extra ...field) {
	fields := []field{
		{"type", func() { w.str(pick(w, eventTypes)) }},
		{"at", w.timeValue},
	}
	w.object(append(fields, extra...)...)
}

func (w *leadWriter) events(n int, extra ...field) {
	w.list(n, func() { w.event(extra...) })
}

func (w *leadWriter) lead(fields ...field) {
	w.ws()
	w.object(fields...)
	w.ws()
	if w.rng.IntN(3) == 0 {
		w.b = append(w.b, '\n')
	}
}

// boundLead writes a lead for boundPolicy.
func (w *leadWriter) boundLead() {
	w.lead(
		field{"n", w.intValue},
		field{"x", w.numberValue},
		field{"s", func() { w.stringValue("x", "y", "é", "a", "abc", "z", "aé") }},
		field{"b", w.boolValue},
		field{"t", w.timeValue},
		field{"tags", func() { w.list(w.rng.IntN(4), func() { w.stringValue() }) }},
		field{"nums", func() { w.list(w.rng.IntN(4), w.numberValue) }},
		field{"events", func() {
			w.events(w.rng.IntN(6),
				field{"url", func() { w.str(pick(w, goURLs)) }},
				field{"n", w.any})
		}},
		field{"o", func() { w.object(field{"deep", w.intValue}) }},
	)
}

// richLead writes a lead for richPolicy.
func (w *leadWriter) richLead() {
	w.required = append(w.required, "id")
	w.lead(
		field{"id", func() { w.stringValue("L-1", "L-42", "L-", "x") }},
		field{"company", func() {
			w.object(
				field{"name", func() { w.stringValue("Acme", "Ålesund", "é", "abc") }},
				field{"size", func() {
					w.object(field{"employees", w.intValue}, field{"revenue", w.numberValue})
				}},
				field{"hq", func() {
					w.object(
						field{"geo", func() {
							w.object(
								field{"country", func() { w.stringValue("FR", "DE", "é", "US") }},
								field{"lat", w.numberValue})
						}},
						field{"remote", w.boolValue})
				}},
				field{"founded", w.timeValue},
			)
		}},
		field{"contact", func() {
			w.object(
				field{"email", func() { w.stringValue("bob@acme.io", "ana@gmail.com", "x@acme.io") }},
				field{"roles", func() { w.list(w.rng.IntN(4), func() { w.stringValue("vp", "cto", "") }) }},
				field{"flags", func() { w.object(field{"vip", w.boolValue}, field{"optin", w.boolValue}) }},
			)
		}},
		field{"scores", func() { w.list(w.rng.IntN(5), w.intValue) }},
		field{"weights", func() { w.list(w.rng.IntN(5), w.numberValue) }},
		field{"checks", func() { w.list(w.rng.IntN(4), w.boolValue) }},
		field{"seen", func() { w.list(w.rng.IntN(4), w.timeValue) }},
		field{"cadence", w.duration},
		field{"trial", w.duration},
		field{"activity", func() {
			w.object(field{"visits", func() {
				w.events(w.rng.IntN(6),
					field{"url", func() { w.str(pick(w, goURLs)) }},
					field{"weight", func() {
						if w.rng.IntN(10) == 0 {
							w.any()
						} else {
							w.numberValue()
						}
					}},
					field{"geo", func() { w.object(field{"country", func() { w.stringValue("FR", "DE") }}) }},
				)
			}})
		}},
		field{"events", func() {
			w.events(w.rng.IntN(6),
				field{"source", func() { w.stringValue("spam", "ads") }},
				field{"tags", func() { w.list(w.rng.IntN(4), w.any) }},
				field{"meta", func() {
					w.object(field{"depth", func() { w.object(field{"level", w.intValue}) }}, field{"more", w.any})
				}},
			)
		}},
	)
}

// TestJSONFacts_eventFieldLists pins which event lists are read without
// building their elements: only without a trace, and only lists that no
// condition but field predicates of each rules with constant points reads.
// The random and example tests above then compare that path with the map
// path.
func TestJSONFacts_eventFieldLists(t *testing.T) {
	acme, err := rules.LoadDir("../examples/acme")
	require.NoError(t, err)
	bound, err := rules.Compile("bound.qual", boundPolicy)
	require.NoError(t, err)
	rich, err := rules.Compile("rich.qual", richPolicy)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		ev   *eval.Evaluator
		want []string
	}{
		{"acme lean", eval.New(acme, eval.WithTrace(false)), []string{"events.type"}},
		{"acme trace", eval.New(acme), []string{"events.type"}},
		{"bound lean", eval.New(bound, eval.WithTrace(false)), []string{"events.type"}},
		{"bound general", eval.New(bound, eval.WithTrace(false), eval.WithoutBoundLeaves()), nil},
		{"rich lean", eval.New(rich, eval.WithTrace(false)), nil},
	} {
		assert.Equal(t, tc.want, tc.ev.EventFieldLists(), tc.name)
	}
}

// TestJSONFacts_eventListUnderWholeObject: an event list that only field
// predicates read, under an object a condition reads whole, is decoded
// with its object (as maps); the lean path must still give the map
// path's result.
func TestJSONFacts_eventListUnderWholeObject(t *testing.T) {
	pol, err := rules.Compile("nested.qual", `policy "nested" version "1"

facts {
  activity.events list<event>
  activity.views  int
}

score s {
  +5 "has activity" when activity != nil
  +1 "webinar" each activity.events where .type == "webinar" limit 2 halflife 30d
}

classify stage {
  warm when score.s >= 6
  cold
}
`)
	require.NoError(t, err)
	lean := eval.New(pol, eval.WithNow(now), eval.WithTrace(false))
	assert.Equal(t, []string{"activity.events.type"}, lean.EventFieldLists())
	for _, lead := range []string{
		`{"activity":{"events":[{"type":"webinar","at":"2026-10-01T00:00:00Z"},{"type":"page","at":"2026-10-02T00:00:00Z"}],"views":3}}`,
		`{"activity":{"events":[{"type":"webinar","at":"2026-10-01T00:00:00Z","x":{"y":[1,2]}}]}}`,
		`{"activity":{"events":[{"type":5,"at":"2026-10-01T00:00:00Z"}]}}`,
		`{"activity":{"events":[]}}`,
		`{"activity":null}`,
		`{}`,
	} {
		full := eval.New(pol, eval.WithNow(now))
		compareJSONWithMap(t, lead, lean, []byte(lead))
		compareJSONWithMap(t, lead, full, []byte(lead))
		// The lean evaluator, on either path, scores as the full one.
		want, wantErr := full.Evaluate(context.Background(), []byte(lead))
		for _, facts := range []any{[]byte(lead), decodedLead(t, lead)} {
			got, err := lean.Evaluate(context.Background(), facts)
			if wantErr != nil {
				assert.EqualError(t, err, wantErr.Error(), lead)
				continue
			}
			require.NoError(t, err, lead)
			assert.Equal(t, want.Score, got.Score, lead)
			assert.Equal(t, want.Stage, got.Stage, lead)
		}
	}
}

func decodedLead(t *testing.T, lead string) map[string]any {
	dec := json.NewDecoder(strings.NewReader(lead))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

// TestJSONFacts_structs: a struct with json tags is marshalled and read
// like JSON; the result is that of the map encoding/json makes of the same
// JSON, which is how structs were read before.
func TestJSONFacts_structs(t *testing.T) {
	type event struct {
		Type string    `json:"type"`
		At   time.Time `json:"at"`
		URL  string    `json:"url,omitempty"`
	}
	type lead struct {
		Company struct {
			Industry  string  `json:"industry"`
			Employees int     `json:"employees"`
			Revenue   float64 `json:"revenue"`
		} `json:"company"`
		Contact struct {
			Role       string `json:"role"`
			Email      string `json:"email"`
			Competitor *bool  `json:"competitor"`
		} `json:"contact"`
		Pains    []string `json:"pains"`
		Activity *struct {
			LastVisit time.Time `json:"last_visit"`
		} `json:"activity,omitempty"`
		Events []event `json:"events"`
		Extra  string  `json:"extra"`
	}
	acme, err := rules.LoadDir("../examples/acme")
	require.NoError(t, err)
	at := time.Date(2026, 10, 20, 9, 30, 0, 0, time.UTC)
	var l lead
	l.Company.Industry, l.Company.Employees, l.Company.Revenue = "saas", 250, 8e6
	l.Contact.Role, l.Contact.Email = "vp", "ana@acme.io"
	l.Pains = []string{"manual scoring"}
	l.Events = []event{{"webinar", at, "/w/1"}, {"webinar", at.Add(-48 * time.Hour), ""}, {"page", at, "/pricing"}}
	withVisit := l
	withVisit.Activity = &struct {
		LastVisit time.Time `json:"last_visit"`
	}{at}
	errs := 0
	for name, facts := range map[string]any{"value": l, "pointer": &l, "visit": withVisit, "other map": map[string]string{"contact": "x"}} {
		b, err := json.Marshal(facts)
		require.NoError(t, err)
		m := decodedLead(t, string(b))
		for _, ev := range []*eval.Evaluator{eval.New(acme, eval.WithNow(now)), eval.New(acme, eval.WithNow(now), eval.WithTrace(false))} {
			want, wantErr := ev.Evaluate(context.Background(), m)
			got, err := ev.Evaluate(context.Background(), facts)
			if wantErr != nil {
				assert.EqualError(t, err, wantErr.Error(), name)
				errs++
				continue
			}
			require.NoError(t, err, name)
			assert.Equal(t, string(want.AppendJSON(nil)), string(got.AppendJSON(nil)), name)
		}
	}
	assert.Equal(t, 2, errs, "the other map is an invalid lead, with the trace and without")
}

// TestJSONFacts_eventListText: with the trace on, an event list read as
// its elements' type is kept as its text, and as the text the result's
// JSON writes for it (the same, when the lead's is compact and sorted).
// Either way the result, its JSON and its rendered trace are those of the
// map path.
func TestJSONFacts_eventListText(t *testing.T) {
	pol, err := rules.Load(filepath.Join("..", "examples", "acme"))
	require.NoError(t, err)
	ev := eval.New(pol, eval.WithNow(now))
	const a, b = `{"at":"2026-10-01T10:00:00Z","type":"webinar","url":"/a"}`, `{"at":"2026-10-02T10:00:00Z","type":"page"}`
	for _, tc := range []struct {
		name   string
		events string
		canon  bool
	}{
		{"compact and sorted", `[` + a + `,` + b + `]`, true},
		{"empty", `[]`, true},
		{"numbers, booleans and null", `[{"at":"2026-10-01T10:00:00Z","n":-12.5,"ok":true,"type":"webinar","x":null}]`, true},
		{"non-ASCII", `[{"at":"2026-10-01T10:00:00Z","type":"webinar","url":"/pricing?q=é😀"}]`, true},
		{"space after a comma", `[` + a + `, ` + b + `]`, false},
		{"space inside", `[ {"at":"2026-10-01T10:00:00Z", "type":"webinar"}]`, false},
		{"space before a colon", `[{"at" :"2026-10-01T10:00:00Z","type":"webinar"}]`, false},
		{"space at the end", `[` + a + ` ]`, false},
		{"unsorted", `[{"type":"webinar","at":"2026-10-01T10:00:00Z"}]`, false},
		{"a name twice", `[{"at":"2026-10-01T10:00:00Z","type":"page","type":"webinar"}]`, false},
		{"a prefix name after", `[{"at":"2026-10-01T10:00:00Z","type":"webinar","u!":1,"u":2}]`, false},
		{"escape in a value", `[{"at":"2026-10-01T10:00:00Z","type":"webinar","url":"/\u0061"}]`, false},
		{"escape in a name", `[{"\u0061t":"2026-10-01T10:00:00Z","type":"webinar"}]`, false},
		{"line separator", "[{\"at\":\"2026-10-01T10:00:00Z\",\"type\":\"webinar\",\"url\":\"a\u2028b\"}]", false},
		{"exponent", `[{"at":"2026-10-01T10:00:00Z","n":1e400,"type":"webinar"}]`, false},
		{"nested", `[{"at":"2026-10-01T10:00:00Z","meta":{"b":1,"a":2},"type":"webinar"}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(`{"contact":{"email":"a@b.co","role":"vp"},"events":` + tc.events + `}`)
			got := compareJSONWithMap(t, tc.name, ev, data)
			require.NoError(t, got.err)
			res, err := ev.Evaluate(context.Background(), data)
			require.NoError(t, err)
			assert.Equal(t, []bool{tc.canon}, eval.ListTexts(res), "the lead's text is the result's")
			m, _ := decodeLeadAsBefore(data)
			want, err := ev.Evaluate(context.Background(), m)
			require.NoError(t, err)
			assert.Equal(t, want.Trace(), res.Trace(), "the rendered trace")
			assert.Equal(t, want.Explain(), res.Explain())
		})
	}
}
