package qualifytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/qualifytest"
	"github.com/qualifyhq/qualify/rules"
)

// compileTests compiles test source against the shop policy, as if it
// were written in testdata/qualifytest/shop/NAME.
func compileTests(t *testing.T, name, src string) *qualifytest.Suite {
	t.Helper()
	pol := shopPolicy(t)
	s, err := qualifytest.Compile(pol, []rules.SourceFile{{Name: filepath.Join(fixtures, "shop", name), Text: src}})
	require.NoError(t, err)
	return s
}

// zeroTimes clears the elapsed times of a report so that it renders the
// same on every run.
func zeroTimes(rep *qualifytest.Report) {
	for _, f := range rep.Files {
		f.Elapsed = 0
		for _, t := range f.Tests {
			t.Elapsed = 0
		}
	}
}

// text renders a report as qualify test prints it, with its coverage when
// coverage is set.
func text(rep *qualifytest.Report, verbose, coverage bool) string {
	zeroTimes(rep)
	var b bytes.Buffer
	rep.WriteText(&b, verbose)
	if coverage {
		rep.Coverage.WriteText(&b, rep.Path)
	}
	return b.String()
}

// TestRun_shop pins the verbose report and coverage of the shop policy's
// passing tests.
func TestRun_shop(t *testing.T) {
	t.Chdir(fixtures)
	s, err := qualifytest.Load("shop")
	require.NoError(t, err)
	rep := s.Run(context.Background())
	assert.Equal(t, 4, rep.Passed())
	assert.Equal(t, 0, rep.Failed())
	golden(t, filepath.Join(fixtures, "shop", "report.golden"), text(rep, true, true))
}

// failingSuite compiles testdata/qualifytest/failing/acme_test.qual, whose
// tests fail on purpose, against the acme example policy.
func failingSuite(t *testing.T) *qualifytest.Suite {
	t.Helper()
	t.Chdir(fixtures)
	pol, err := rules.LoadDir(filepath.Join("..", "..", "examples", "acme"))
	require.NoError(t, err)
	files, err := rules.ReadFiles([]string{filepath.Join("failing", "acme_test.qual")})
	require.NoError(t, err)
	s, err := qualifytest.Compile(pol, files)
	require.NoError(t, err)
	return s
}

// TestRun_failing pins what failing expects print: position, expression,
// the value of every name read and the trace of the rules named; and the
// same report as JSON.
func TestRun_failing(t *testing.T) {
	s := failingSuite(t)
	rep := s.Run(context.Background())
	assert.Equal(t, 0, rep.Passed())
	assert.Equal(t, 5, rep.Failed())
	golden(t, filepath.Join(fixtures, "failing", "report.golden"), text(rep, false, false))

	rep.Coverage = nil
	rep.Policy.Hash = "sha256:..." // the example policy's hash changes with it
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(rep))
	got := regexp.MustCompile(`"elapsed": [0-9.e-]+`).ReplaceAllString(b.String(), `"elapsed": 0`)
	golden(t, filepath.Join(fixtures, "failing", "report.json"), got)
}

// TestRun_canFail proves that a wrong expectation fails, and the right one
// passes, for every kind of thing an expect reads.
func TestRun_canFail(t *testing.T) {
	const vp = `given file "leads/big-vp.json"`
	const noEmail = `given { company: { employees: 50 } }`
	cases := []struct {
		name        string
		given       string
		right       string
		wrong       string
		wrongValues string // the values the wrong expect's failure shows
	}{
		{"stage", vp, `stage == "hot"`, `stage == "cold"`, `stage = "hot"`},
		{"group score", vp, `score.fit == 30`, `score.fit == 31`, `score.fit = 30`},
		{"total", vp, `score.total >= 30`, `score.total < 30`, `score.total = 30`},
		{"framework count", vp, `Ready.met == 3`, `Ready.met == 2`, `Ready.met = 3`},
		{"framework verdict", vp, `Ready.qualified`, `!Ready.qualified`, `Ready.qualified = true`},
		{"criterion status", vp, `Ready.need == "met"`, `Ready.need == "unknown"`, `Ready.need = "met"`},
		{"matched", vp, `matched("fit", "Big company")`, `matched("fit", "Tiny")`, `matched("fit", "Tiny") = false`},
		{"matched criterion by label", vp, `matched("Ready", "Has a pain")`, `!matched("Ready", "Has a pain")`, `matched("Ready", "Has a pain") = true`},
		{"matched ladder step", vp, `matched("stage", "hot")`, `matched("stage", "warm")`, `matched("stage", "warm") = false`},
		{"unknown", `given file "leads/big-vp.json"` + "\n" + `given { company: nil }`, `unknown("fit", "Tiny")`, `!unknown("fit", "Tiny")`, `unknown("fit", "Tiny") = true`},
		{"points", vp, `points("fit", "Decision maker") == 10`, `points("fit", "Decision maker") == 15`, `points("fit", "Decision maker") = 10`},
		{"missing", `given { contact: { email: "a@b.example" } }`, `"pains" in missing`, `len(missing) == 0`, `missing = ["budget.approved","company.employees","contact.role","pains"]`},
		{"error", noEmail, `error contains "contact.email"`, `error == ""`, `error = "contact.email: required fact is missing"`},
		{"no error", vp, `error == ""`, `error != ""`, `error = ""`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "test \"right\" {\n  " + tc.given + "\n  expect " + tc.right + "\n}\n\n" +
				"test \"wrong\" {\n  " + tc.given + "\n  expect " + tc.wrong + "\n}\n"
			s := compileTests(t, "can_fail_test.qual", src)
			rep := s.Run(context.Background())
			tests := rep.Files[0].Tests
			require.Len(t, tests, 2)
			assert.True(t, tests[0].Passed, "the right expect fails: %v", tests[0].Failures)
			require.False(t, tests[1].Passed, "the wrong expect passes")
			require.Len(t, tests[1].Failures, 1)
			f := tests[1].Failures[0]
			wrongLine := 3 + strings.Count(tc.given, "\n") + 5 + strings.Count(tc.given, "\n")
			assert.True(t, strings.HasSuffix(f.At, "can_fail_test.qual:"+itoa(wrongLine)+":10"), "failure at %s, want line %d column 10", f.At, wrongLine)
			assert.Equal(t, tc.wrong, f.Expect)
			assert.Contains(t, f.String(), "\n    "+tc.wrongValues)
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRun_rejectedLead checks that a lead that gives an error fails every
// expect that needs a result, with the error, in one failure.
func TestRun_rejectedLead(t *testing.T) {
	s := compileTests(t, "rejected_test.qual", `test "scores" {
  given { company: { employees: 50 } }
  expect stage == "cold"
  expect score.fit == 0
  expect error != ""
}
`)
	tr := s.Run(context.Background()).Files[0].Tests[0]
	assert.False(t, tr.Passed)
	assert.Nil(t, tr.Result)
	assert.Equal(t, "contact.email: required fact is missing", tr.Error)
	require.Len(t, tr.Failures, 1)
	assert.Equal(t, "the lead gave an error, so 2 expects could not be checked:\ncontact.email: required fact is missing\n"+
		`(to test that a lead is rejected, expect error contains "...")`, tr.Failures[0].Message)
}

// TestRun_now checks the evaluation time: the test's now, else WithNow,
// else DefaultNow; and that given objects can compute times from now.
func TestRun_now(t *testing.T) {
	s := compileTests(t, "now_test.qual", `test "own now" {
  now "2026-11-01"
  given { contact: { email: "a@b.example" } }
  expect error == ""
}

test "default now" {
  given { contact: { email: "a@b.example" } }
  expect error == ""
}
`)
	rep := s.Run(context.Background())
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), rep.Files[0].Tests[0].Result.Now)
	assert.False(t, rep.Files[0].Tests[0].DefaultNow)
	assert.Equal(t, qualifytest.DefaultNow, rep.Files[0].Tests[1].Result.Now)
	assert.True(t, rep.Files[0].Tests[1].DefaultNow)

	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	rep = s.Run(context.Background(), qualifytest.WithNow(at))
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), rep.Files[0].Tests[0].Result.Now)
	assert.Equal(t, at, rep.Files[0].Tests[1].Result.Now)
}

// TestRun_givenFromNow checks that a given object may compute facts from
// the test's now, so that a test of a recency rule does not age.
func TestRun_givenFromNow(t *testing.T) {
	t.Chdir(fixtures)
	pol, err := rules.LoadDir(filepath.Join("..", "..", "examples", "acme"))
	require.NoError(t, err)
	src := `test "a visit two days ago is recent" {
  now "2026-11-01"
  given { contact: { email: "a@b.example" }, activity: { last_visit: now - duration("48h") } }
  expect matched("engagement", "Visited recently")
}
`
	s, err := qualifytest.Compile(pol, []rules.SourceFile{{Name: "recent_test.qual", Text: src}})
	require.NoError(t, err)
	rep := s.Run(context.Background())
	assert.Equal(t, 1, rep.Passed(), "%s", text(rep, true, false))
}

// TestRun_givenFailsAtItsPosition: a given object literal that fails when
// the test runs is reported where it failed, with its line and a caret.
func TestRun_givenFailsAtItsPosition(t *testing.T) {
	t.Chdir(fixtures)
	pol, err := rules.LoadDir(filepath.Join("..", "..", "examples", "acme"))
	require.NoError(t, err)
	src := `test "an index past the end" {
  now "2026-11-01"
  given {
    contact: { email: "a@b.example" },
    timeline: { days: [1, 2][now.Year() - 2020] },
  }
  expect stage == "unqualified"
}
`
	s, err := qualifytest.Compile(pol, []rules.SourceFile{{Name: "given_test.qual", Text: src}})
	require.NoError(t, err)
	rep := s.Run(context.Background())
	require.Equal(t, 1, rep.Failed(), "%s", text(rep, true, false))
	f := rep.Files[0].Tests[0].Failures[0]
	assert.Equal(t, "given_test.qual:5:29", f.At)
	assert.Equal(t, "given failed: index out of range: 6 (array length is 2)\n"+
		" 5 |     timeline: { days: [1, 2][now.Year() - 2020] },\n"+
		"   |                             ^", f.Message)
}

// TestRun_filter checks WithFilter, as go test -run.
func TestRun_filter(t *testing.T) {
	t.Chdir(fixtures)
	s, err := qualifytest.Load("shop")
	require.NoError(t, err)
	rep := s.Run(context.Background(), qualifytest.WithFilter(regexp.MustCompile(`cold$`)))
	require.Len(t, rep.Files[0].Tests, 1)
	assert.Equal(t, "a small company's analyst is cold", rep.Files[0].Tests[0].Name)
	assert.Equal(t, 1, rep.Coverage.Results, "coverage counts only the tests that ran")

	rep = s.Run(context.Background(), qualifytest.WithFilter(regexp.MustCompile(`nothing matches this`)))
	var b bytes.Buffer
	zeroTimes(rep)
	rep.WriteText(&b, false)
	assert.Equal(t, "ok  \tshop/shop_test.qual\t0.00s [no tests to run]\n", b.String())
}

// TestDiscover checks which policy and test files a path names.
func TestDiscover(t *testing.T) {
	t.Chdir(fixtures)
	cases := []struct {
		path, policy string
		tests        []string
	}{
		{"shop", "shop", []string{"shop/shop_test.qual"}},
		{"shop/shop_test.qual", "shop", []string{"shop/shop_test.qual"}},
		{"shop/shop.qual", "shop/shop.qual", []string{"shop/shop_test.qual"}},
		{"failing", "failing", []string{"failing/acme_test.qual"}},
		{"nowhere", "nowhere", nil},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			policy, tests, err := qualifytest.Discover(filepath.FromSlash(tc.path))
			require.NoError(t, err)
			assert.Equal(t, filepath.FromSlash(tc.policy), policy)
			var want []string
			for _, p := range tc.tests {
				want = append(want, filepath.FromSlash(p))
			}
			assert.Equal(t, want, tests)
		})
	}
}

// TestLoad_policyErrors checks that a policy that does not compile gives
// the policy's errors.
func TestLoad_policyErrors(t *testing.T) {
	t.Chdir(fixtures)
	_, err := qualifytest.Load("failing")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "error[E270]: no .qual policy files")
}
