package rules_test

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
	"unicode/utf8"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// maxFuzzSource keeps each iteration fast: larger inputs are skipped.
const maxFuzzSource = 64 << 10

// fuzzTimeout is how long one input may take before it counts as a hang.
// It is generous because the fuzzer shares a small machine with other work.
const fuzzTimeout = 20 * time.Second

// fuzzNow fixes the evaluation time so that runs are reproducible.
var fuzzNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// compileSeeds are hand-written sources that stress the scanner and the
// compiler: conditions spanning lines, '#' as a comment and as expr's element
// pointer, points expressions, literals, unterminated constructs, odd bytes.
var compileSeeds = []string{
	// empty and near-empty files
	"",
	"\n",
	"# only a comment",
	"policy \"p\" version \"1\"\n",
	// a minimal valid policy
	"policy \"p\" version \"1\"\nclassify stage {\n  unqualified\n}\n",
	// a condition continued by an open bracket and by a trailing operator
	"policy \"p\"\nlet a = (1 +\n  2) > 2 &&\n  true\nlet b = [\n  1,\n  2,\n]\nclassify stage {\n  x when a ||\n    len(b) > 1\n  y\n}\n",
	// '#' as the element pointer vs '#' as a comment
	"policy \"p\"\nlet ok = all(pains, # != \"\")   # every pain is named\nlet n = count(pains, #) # trailing\nclassify stage {\n  a when ok && any(pains, # == \"x\") # a comment\n  b when filter(pains, #.x > 1) != nil\n  c when map(pains, #index) == [0]\n  # own-line comment\n  d\n}\n",
	"policy \"p\"\nscore s {\n  +1 \"x\" each events where # == \"x\"\n  +2 \"y\" each events where .type == \"a\" # comment after where\n  +3 \"z\" each events where #.type in [\"a\", \"b\"] limit 2 halflife 30d\n}\nclassify stage {\n  u\n}\n",
	"policy \"p\"\nlet x = #\nlet y = # == 1\nlet z = ( # )\nclassify stage { u }\n",
	"policy \"p\"\nclassify stage {\n  a when # just a comment\n  b\n}\n",
	// points expressions
	"policy \"p\"\nscore s max 20 min -5 {\n  +(min(activity.page_views, 20)) \"Page views\" when activity.page_views > 0\n  -(1 + (2 *\n    3)) \"multi\" when true\n  +() \"empty\" when true\n  +(x \"open\" when true\n}\nclassify stage { u }\n",
	// strings with escapes, in labels and in conditions
	"policy \"p\\\"q\\\\\" version \"\\u00e9\\n\\t\"\nlet s = \"a\\\"b\\\\c\" + 'single \\' quote' + `raw \\ ` + \"\\u2603\"\nclassify stage {\n  a when s != \"\\x41\" because \"tab\\there\"\n  b\n}\n",
	"policy \"bad \\q escape\"\n",
	// durations
	"policy \"p\"\nscore s {\n  +5 \"w\" each events where .type == \"w\" limit 3 halflife 2w\n  +1 \"h\" each events where true halflife 12h\n  +1 \"bad\" each events where true halflife 1.5d\n  +1 \"bad2\" each events where true halflife 30x\n}\nclassify stage {\n  a when within(activity.last_visit, \"30d\") && days_since(activity.last_visit) < 2\n  u\n}\n",
	// unterminated strings and brackets
	"policy \"p",
	"policy \"p\"\nlet a = \"open\nclassify stage { u }\n",
	"policy \"p\"\nlet a = (1 + 2\nclassify stage { u }\n",
	"policy \"p\"\nlet a = [1, 2,\n",
	"policy \"p\"\nlet a = 1 +\n",
	"policy \"p\"\nlet a = `raw\nstring` == \"x\"\nclassify stage { u }\n",
	"policy \"p\"\nlet a = 1 ) + 2\nlet b = ]\nclassify stage { u }\n",
	// deep nesting
	"policy \"p\"\nlet a = " + strings.Repeat("(", 500) + "1" + strings.Repeat(")", 500) + " > 0\nclassify stage { u }\n",
	"policy \"p\"\nlet a = " + strings.Repeat("((((", 1000) + "\n",
	"policy \"p\"\nlet a = " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\nclassify stage { u }\n",
	// huge numbers
	"policy \"p\"\nscore s max 99999999999999999999999999999999999999 {\n  +123456789012345678901234567890 \"big\" when 1e400 > 1\n  -0.000000000000000000000000001 \"tiny\" when 9223372036854775808 > 0\n}\ntotal max 1_000_000 min 0\nclassify stage { u when score.total > 1e308 * 10\n  v }\n",
	"policy \"p\"\nscore s { +1__0 \"bad\" when true }\n",
	// unicode
	"policy \"Größe 🚀\" version \"ü\"\nlet naïve = 1\nclassify stage {\n  é when \"日本\" == \"日本\"\n  ok because \"✓\"\n}\n",
	"policy \"p\"\nlet a = \"→\" + \"x\" → 1\nclassify stage { u }\n",
	// tabs and CRLF line ends
	"policy\t\"p\"\tversion\t\"1\"\nlet\ta\t=\t1\t>\t0\t# tab comment\nclassify\tstage\t{\n\tx\twhen\ta\tand\n\t\tfoo.bar\n\tu\n}\n",
	"policy \"p\" version \"1\"\r\nlet a = (1 +\r\n  2) > 2 # crlf\r\nclassify stage {\r\n  x when a\r\n  u\r\n}\r\n",
	"policy \"p\"\r\nlet a = \"unterminated\r\n",
	// test blocks
	"test \"t\" {\n  now \"2026-11-01T00:00:00Z\"\n  given {\n    company: {industry: \"saas\"},\n    pains: [\"a\"]\n  }\n  given file \"testdata/leads/vp.json\"\n  expect stage == \"sql\"\n  expect matched(\"fit\", \"x\") # comment\n}\n",
	"policy \"p\"\nclassify stage { u }\ntest \"t\" { expect true }\n",
	// frameworks, standard and custom, and the names they define
	"policy \"p\"\nframework BANT qualified when met >= 3 {\n  budget \"B\" when true\n  authority \"A\" when true\n}\nframework Mine {\n  x \"X\" when BANT.budget == \"met\"\n  x \"dup\" when true\n}\nclassify stage {\n  a when BANT.qualified && Mine.total > 0\n  b when later\n  u\n}\nlet later = true\n",
	// facts blocks with odd types
	"policy \"p\"\nfacts {\n  a.b int required\n  a.b string\n  a list<list<event>>\n  c map\n  e list<\n}\nclassify stage { u when a.b > \"x\" }\n",
	// stop words and blocks after an operand
	"policy \"p\"\nscore s {\n  +1 \"a\" each events where limit limit 3\n  +1 \"b\" each events where .x because 2\n}\nclassify stage {\n  a when x { \n  u because \"b\" because \"c\"\n}\n",
	// fallback not last, missing stage, reserved names
	"policy \"p\"\nlet now = 1\nlet score = 2\nclassify grade {\n  D\n  A when true\n}\n",
	// ?. ?? and the helpers on odd arguments
	"policy \"p\"\nlet a = company?.size ?? 0\nlet b = days_since(\"not a time\") > 1\nlet c = days_until(nil) ?? 1\nlet d = within(now, \"bogus\")\nclassify stage { u when a > 0 || b || d }\n",
	// punctuation outside a condition, and control bytes
	"policy \"p\"\n&& || ! * / % ? : . ( [ ) ]\n",
	"policy \"p\"\x00\nlet a = 1\x00\n",
	"policy \"p\"\nlet a = \"\xff\xfe\"\n",
	"\ufeffpolicy \"p\"\n",
	// the acme policy without its facts block: untyped
	"policy \"u\"\nlet dm = contact.role in [\"vp\"]\nscore fit {\n  +15 \"dm\" when dm\n  +5 \"web\" each events where .type == \"webinar\" limit 3 halflife 30d\n}\nclassify stage {\n  sql when score.total >= 15\n  u\n}\n",
}

// acmeLead is a copy of the acme lead, used when the file cannot be found.
const acmeLead = `{
  "company":  {"industry": "saas", "employees": 250, "revenue": 8000000, "country": "DE"},
  "contact":  {"role": "vp", "email": "ana@acme.io", "competitor": false},
  "budget":   {"approved": true},
  "timeline": {"days": 30},
  "pains":    ["manual scoring"],
  "activity": {"demo_requested": true, "pricing_views": 2, "page_views": 14,
               "unsubscribed": false, "last_visit": "2026-10-20T09:30:00Z"},
  "events": [
    {"type": "webinar", "at": "2026-10-02T16:00:00Z", "url": "/webinars/scoring-101"},
    {"type": "webinar", "at": "2026-09-01T16:00:00Z", "url": "/webinars/bant"},
    {"type": "page",    "at": "2026-10-20T09:30:00Z", "url": "/pricing"}
  ]
}`

// fuzzLeads returns the leads each compiled policy is evaluated against: an
// empty one and the acme lead (testdata/leads/**/vp.json, or the copy above).
func fuzzLeads(f *testing.F) [][]byte {
	lead := []byte(acmeLead)
	root := filepath.Join("..", "testdata", "leads")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "vp.json" {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil {
			lead = b
			return fs.SkipAll
		}
		return nil
	})
	return [][]byte{[]byte(`{}`), lead}
}

// qualFiles returns the .qual files under the example and test data folders.
func qualFiles(f *testing.F) []string {
	var paths []string
	for _, root := range []string{filepath.Join("..", "examples"), filepath.Join("..", "testdata")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a folder that is missing or unreadable is skipped
			}
			if !d.IsDir() && strings.HasSuffix(path, ".qual") {
				paths = append(paths, path)
			}
			return nil
		})
		if err != nil {
			f.Logf("walking %s: %v", root, err)
		}
	}
	return paths
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

func FuzzCompile(f *testing.F) {
	for _, path := range qualFiles(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Logf("reading seed %s: %v", path, err)
			continue
		}
		f.Add(string(b))
	}
	for _, s := range compileSeeds {
		f.Add(s)
	}
	leads := fuzzLeads(f)

	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > maxFuzzSource {
			t.Skip("input over 64 KiB")
		}
		var (
			pol *rules.Policy
			err error
		)
		withTimeout(t, "rules.Compile", func() { pol, err = rules.Compile("fuzz.qual", src) })
		if err != nil {
			checkCompileError(t, src, err)
			return
		}
		if pol == nil {
			t.Fatal("Compile returned neither a policy nor an error")
		}
		ev := eval.New(pol, eval.WithNow(fuzzNow))
		for _, lead := range leads {
			withTimeout(t, "Evaluate", func() {
				res, err := ev.Evaluate(context.Background(), lead)
				if err != nil {
					msg := err.Error()
					if msg == "" {
						t.Errorf("Evaluate of %s returned an error with an empty message", lead)
					}
					// Evaluate recovers from its own panics and turns them
					// into this error: it is a bug all the same.
					if strings.HasPrefix(msg, "internal error") {
						t.Errorf("Evaluate of %s recovered from a panic: %s", lead, msg)
					}
					return
				}
				if _, err := json.Marshal(res); err != nil {
					t.Errorf("json.Marshal of the result for %s: %v", lead, err)
				}
				_ = res.Explain()
			})
		}
	})
}

// checkCompileError checks that a compile error is a list of positioned
// diagnostics that render to a message.
func checkCompileError(t *testing.T, src string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" {
		t.Errorf("Compile returned an error with an empty message")
	}
	diags := parser.Diagnostics(err)
	if len(diags) == 0 {
		t.Errorf("Compile returned an error that holds no diagnostic: %T %q", err, msg)
	}
	lines := strings.Split(src, "\n")
	for _, d := range diags {
		p := d.Range.Start
		if p.Line < 1 || p.Column < 1 {
			t.Errorf("diagnostic %s[%s] %q has an invalid position line %d column %d", d.Severity, d.Code, d.Message, p.Line, p.Column)
			continue
		}
		if p.Line > len(lines) {
			t.Errorf("diagnostic %s[%s] %q is at line %d, but the file has %d lines", d.Severity, d.Code, d.Message, p.Line, len(lines))
			continue
		}
		if n := utf8.RuneCountInString(lines[p.Line-1]); p.Column > n+1 {
			t.Errorf("diagnostic %s[%s] %q is at %d:%d, past the end of line %d (%d characters): %q",
				d.Severity, d.Code, d.Message, p.Line, p.Column, p.Line, n, lines[p.Line-1])
		}
		if d.Error() == "" {
			t.Errorf("diagnostic %s[%s] renders as an empty string", d.Severity, d.Code)
		}
	}
}
