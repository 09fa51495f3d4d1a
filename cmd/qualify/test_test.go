package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The -update flag rewrites the goldens of qualify test. It is declared
// here unless another test file of the package declares it first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

// updatingGoldens reports whether go test runs with -update.
func updatingGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// testCmdGoldens holds the goldens of qualify test's output.
const testCmdGoldens = "testdata/qualifytest/cli"

// repoRoot is the repository's root, where runTestCmd runs qualify.
var repoRoot = func() string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}()

// runTestCmd runs qualify with args in memory from the repository root, as
// a user would type them, and returns the exit code, standard output with
// elapsed times zeroed, and standard error.
func runTestCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(repoRoot)
	var stdout, stderr bytes.Buffer
	code := run(&cliEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}, args)
	out := regexp.MustCompile(`\d+\.\d\ds\b`).ReplaceAllString(stdout.String(), "0.00s")
	out = regexp.MustCompile(`\(\d+\.\d\ds\)`).ReplaceAllString(out, "(0.00s)")
	return code, out, stderr.String()
}

func testCmdGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testCmdGoldens, name)
	if updatingGoldens() {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden: run go test ./cmd/qualify -run TestTestCmd -update")
	assert.Equal(t, string(want), got)
}

// lastLine returns the last line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// writeTestPolicy writes the shop fixture policy, with tests unless they
// are "", into a new directory and returns it.
func writeTestPolicy(t *testing.T, tests string) string {
	t.Helper()
	dir := filepath.ToSlash(t.TempDir())
	src, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "qualifytest", "shop", "shop.qual"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop.qual"), src, 0o644))
	if tests != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "shop_test.qual"), []byte(tests), 0o644))
	}
	return dir
}

const cliLead = `given { company: {employees: 500}, contact: {role: "vp", email: "a@b.example"}, budget: {approved: true}, pains: ["x"] }`

func TestTestCmd_verboseCoverage(t *testing.T) {
	code, out, errOut := runTestCmd(t, "test", "-v", "--coverage", "testdata/qualifytest/shop")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, errOut)
	assert.Equal(t, "4 passed, 0 failed", lastLine(out))
	testCmdGolden(t, "shop_verbose.golden", out)
}

func TestTestCmd_coverage(t *testing.T) {
	code, out, _ := runTestCmd(t, "test", "--coverage", "testdata/qualifytest/shop")
	assert.Equal(t, exitOK, code)
	testCmdGolden(t, "shop_coverage.golden", out)
}

func TestTestCmd_failing(t *testing.T) {
	dir := writeTestPolicy(t, `test "a VP is hot" {
  `+cliLead+`
  expect stage == "hot"
}

test "a VP is warm" {
  `+cliLead+`
  expect stage == "warm" && score.fit >= 20
}
`)
	code, out, errOut := runTestCmd(t, "test", dir)
	assert.Equal(t, exitFail, code, "a failing test exits 1")
	assert.Empty(t, errOut)
	assert.Equal(t, "1 passed, 1 failed", lastLine(out))
	testCmdGolden(t, "failing.golden", strings.ReplaceAll(out, dir, "$DIR"))
}

func TestTestCmd_compileError(t *testing.T) {
	dir := writeTestPolicy(t, `test "a VP is hot" {
  `+cliLead+`
  expect matched("fit", "Big compnay")
}
`)
	code, out, errOut := runTestCmd(t, "test", dir)
	assert.Equal(t, exitFail, code)
	assert.Equal(t, "FAIL\t"+dir+" [does not compile]\n0 passed, 0 failed; 1 policy did not compile\n", out)
	assert.Equal(t, dir+`/shop_test.qual:3:25: error[E322]: score group fit has no rule "Big compnay"
 3 |   expect matched("fit", "Big compnay")
   |                         ^^^^^^^^^^^^^
   = did you mean "Big company"?

1 error
`, errOut)
}

func TestTestCmd_run(t *testing.T) {
	code, out, _ := runTestCmd(t, "test", "testdata/qualifytest/shop", "-v", "-run", "cold$")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "=== RUN   a small company's analyst is cold\n"+
		"--- PASS: a small company's analyst is cold (0.00s)\n"+
		"ok  \ttestdata/qualifytest/shop/shop_test.qual\t0.00s\n"+
		"1 passed, 0 failed\n", out)
}

func TestTestCmd_minCoverage(t *testing.T) {
	code, out, _ := runTestCmd(t, "test", "--min-coverage", "100", "testdata/qualifytest/shop")
	assert.Equal(t, exitFail, code, "coverage below the minimum exits 1")
	assert.Contains(t, out, "coverage: 88.2% of 17 outcomes")
	assert.Contains(t, out, "FAIL\ttestdata/qualifytest/shop coverage 88.2% is below the required 100.0%\n")
	assert.Equal(t, "4 passed, 0 failed; coverage below 100.0% in testdata/qualifytest/shop (88.2%)", lastLine(out))

	code, _, _ = runTestCmd(t, "test", "--min-coverage", "88", "testdata/qualifytest/shop")
	assert.Equal(t, exitOK, code)

	for _, bad := range []string{"NaN", "-1", "101", "+Inf"} {
		code, _, errOut := runTestCmd(t, "test", "--min-coverage", bad, "testdata/qualifytest/shop")
		assert.Equal(t, exitUsage, code, bad)
		assert.Contains(t, errOut, "is not a percentage from 0 to 100", bad)
	}
}

func TestTestCmd_json(t *testing.T) {
	code, out, _ := runTestCmd(t, "test", "--json", "--coverage", "testdata/qualifytest/shop")
	assert.Equal(t, exitOK, code)
	var got struct {
		Passed   int `json:"passed"`
		Failed   int `json:"failed"`
		Errors   int `json:"errors"`
		Policies []struct {
			Path   string `json:"path"`
			Policy struct {
				Name string `json:"name"`
			} `json:"policy"`
			Files []struct {
				Path  string `json:"path"`
				Tests []struct {
					Name   string `json:"name"`
					Passed bool   `json:"passed"`
				} `json:"tests"`
			} `json:"files"`
			Coverage struct {
				Percent float64 `json:"percent"`
				Covered int     `json:"covered"`
				Total   int     `json:"total"`
				Items   []struct {
					Kind    string `json:"kind"`
					Matched int    `json:"matched"`
				} `json:"items"`
			} `json:"coverage"`
		} `json:"policies"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, 4, got.Passed)
	assert.Equal(t, 0, got.Failed)
	require.Len(t, got.Policies, 1)
	p := got.Policies[0]
	assert.Equal(t, "shop", p.Policy.Name)
	require.Len(t, p.Files, 1)
	assert.Len(t, p.Files[0].Tests, 4)
	assert.Equal(t, 88.2, p.Coverage.Percent)
	assert.Equal(t, 15, p.Coverage.Covered)
	assert.Equal(t, 17, p.Coverage.Total)
	assert.Len(t, p.Coverage.Items, 9)
}

func TestTestCmd_jsonCompileError(t *testing.T) {
	dir := writeTestPolicy(t, `test "a VP is hot" {
  `+cliLead+`
  expect stgae == "hot"
}
`)
	code, out, errOut := runTestCmd(t, "test", "--json", dir)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, errOut)
	assert.Contains(t, out, `"errors": 1`)
	assert.Contains(t, out, `"code": "E320"`)
	assert.Contains(t, out, `"message": "unknown name stgae"`)
}

func TestTestCmd_noTestFiles(t *testing.T) {
	dir := writeTestPolicy(t, "")
	code, out, _ := runTestCmd(t, "test", dir)
	assert.Equal(t, exitOK, code, "a policy without tests is not a failure, as in go test")
	assert.Equal(t, "?   \t"+dir+"\t[no test files]\n0 passed, 0 failed\n", out)

	// With --min-coverage, a policy without tests fails: it is 0% covered.
	code, out, _ = runTestCmd(t, "test", "--min-coverage", "100", dir)
	assert.Equal(t, exitFail, code)
	assert.Equal(t, "?   \t"+dir+"\t[no test files]\n"+
		"coverage: 0.0% of 17 outcomes in "+dir+": it has no tests\n"+
		"FAIL\t"+dir+" coverage 0.0% is below the required 100.0%\n"+
		"0 passed, 0 failed; coverage below 100.0% in "+dir+" (0.0%)\n", out)

	// A test file with no test blocks has no tests to run.
	code, out, _ = runTestCmd(t, "test", "testdata/policies/multi")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "ok  \ttestdata/policies/multi/multi_test.qual\t0.00s [no tests to run]\n0 passed, 0 failed\n", out)
}

// TestTestCmd_examples runs the README's command: every example's tests,
// with full coverage.
func TestTestCmd_examples(t *testing.T) {
	code, out, errOut := runTestCmd(t, "test", "--min-coverage", "100", "examples/...")
	assert.Equal(t, exitOK, code, "%s%s", out, errOut)
	for _, ex := range []string{"acme", "bant", "champ", "faint", "meddic"} {
		assert.Regexp(t, `(?m)^ok  \texamples/`+ex+`/\w+_test\.qual\t`, out)
		assert.Contains(t, out, "coverage: 100.0% of ")
	}
	assert.Regexp(t, `^\d+ passed, 0 failed$`, lastLine(out))
}

func TestTestCmd_usage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"test", "-run", "(", "testdata/qualifytest/shop"}, `qualify test: -run "(" is not a regular expression`},
		{[]string{"test", "--now", "tomorrow", "testdata/qualifytest/shop"}, `qualify test: --now "tomorrow" is not a time`},
		{[]string{"test", "--min-coverage", "120", "testdata/qualifytest/shop"}, "qualify test: --min-coverage 120 is not a percentage"},
		{[]string{"test", "--verbose"}, "qualify test: flag provided but not defined: -verbose"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			code, out, errOut := runTestCmd(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.want)
		})
	}
	code, out, _ := runTestCmd(t, "test", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: qualify test [-v] [-run REGEXP]")
	assert.Contains(t, out, "-min-coverage")
}

func TestTestCmd_now(t *testing.T) {
	dir := writeTestPolicy(t, `test "a VP is hot" {
  `+cliLead+`
  expect stage == "hot"
}
`)
	code, out, _ := runTestCmd(t, "test", "--json", "--now", "2026-11-01", dir)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, `"now": "2026-11-01T00:00:00Z"`)
}
