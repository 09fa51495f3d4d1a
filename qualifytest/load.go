package qualifytest

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// DefaultNow is the evaluation time of a test that has no `now` line and
// runs without WithNow. Tests never read the clock, so a test gives the
// same result on every day it runs.
var DefaultNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Suite is a compiled policy with its compiled tests.
type Suite struct {
	// Path is the policy's path as given to Load (a directory or a .qual
	// file), or "" for a suite made with Compile.
	Path   string
	Policy *rules.Policy
	// Files are the test files, in name order.
	Files []*File

	// timed is set when the policy's results depend on the time.
	timed bool
}

// File is one compiled _test.qual file.
type File struct {
	// Path is the file's path, as diagnostics and reports show it.
	Path  string
	Tests []*Test
}

// Test is one compiled test block.
type Test struct {
	Name string
	// Pos is where the test block begins.
	Pos parser.Pos
	// Now is the evaluation time the test gives, when HasNow is set.
	Now    time.Time
	HasNow bool
	// Expects are the test's conditions, in the order written.
	Expects []*Expect

	file   *File
	givens []*given
}

// File returns the file the test is written in.
func (t *Test) File() *File { return t.file }

// Expect is one compiled expect condition.
type Expect struct {
	// Text is the condition as written.
	Text string
	// Range is where the condition is written.
	Range parser.Range

	program compiled
	probes  []*probe
	// needsResult is set when the condition reads something other than
	// error, which a lead that gave an error does not have.
	needsResult bool
}

// Discover finds the policy and the test files for path:
//
//   - a directory: the policy made of its .qual files, tested by every
//     _test.qual file in it;
//   - a file X_test.qual: the policy of its directory, tested by that file;
//   - a file X.qual: the one-file policy X.qual, tested by X_test.qual
//     beside it, when there is one.
//
// The test files are sorted by name. A path that cannot be read is given
// back as the policy, so that loading it reports the error.
func Discover(path string) (policy string, tests []string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return path, nil, nil
	}
	if info.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return path, nil, nil
		}
		for _, e := range entries {
			if !e.IsDir() && isTestFile(e.Name()) {
				tests = append(tests, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(tests)
		return path, tests, nil
	}
	if isTestFile(path) {
		return filepath.Dir(path), []string{path}, nil
	}
	if strings.HasSuffix(path, ".qual") {
		test := strings.TrimSuffix(path, ".qual") + "_test.qual"
		if info, err := os.Stat(test); err == nil && !info.IsDir() {
			tests = []string{test}
		}
	}
	return path, tests, nil
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.qual") }

// Load compiles the policy at path and its tests, found as Discover says.
// The error is the policy's compile errors, or every error of every test
// file, positioned and gathered as parser.Gather does.
func Load(path string) (*Suite, error) {
	policy, tests, err := Discover(path)
	if err != nil {
		return nil, err
	}
	pol, err := rules.Load(policy)
	if err != nil {
		return nil, err
	}
	files, err := rules.ReadFiles(tests)
	if err != nil {
		return nil, err
	}
	s, err := Compile(pol, files)
	if err != nil {
		return nil, err
	}
	s.Path = policy
	return s, nil
}

// Compile compiles test files against a compiled policy. A given file is
// read relative to the directory of the test file that names it. Every
// error of every file is reported at once.
func Compile(pol *rules.Policy, files []rules.SourceFile) (*Suite, error) {
	c := &compiler{
		pol:       pol,
		suite:     &Suite{Policy: pol, timed: usesTime(pol)},
		resultEnv: resultTypes(pol),
		givenEnv:  types.Map{"now": types.TypeOf(time.Time{})},
		names:     map[string]parser.Pos{},
	}
	sorted := append([]rules.SourceFile(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		c.file(f)
	}
	if err := parser.Gather(c.diags); err != nil {
		return nil, err
	}
	return c.suite, nil
}

// compiler holds the state of compiling one suite's test files.
type compiler struct {
	pol   *rules.Policy
	suite *Suite
	diags []*parser.Diagnostic
	// resultEnv types what an expect reads; givenEnv what a given reads.
	resultEnv types.Map
	givenEnv  types.Map
	// names holds where each test name is first used.
	names map[string]parser.Pos
}

func (c *compiler) diag(src *parser.Source, code parser.Code, rng parser.Range, format string, args ...any) *parser.Diagnostic {
	d := parser.NewDiagnostic(src, code, rng, format, args...)
	c.diags = append(c.diags, d)
	return d
}

// stmtKeywords names the statements a test file may not hold by their
// first word.
func stmtKeyword(s parser.Stmt) string {
	switch s.(type) {
	case *parser.PolicyStmt:
		return "policy"
	case *parser.FactsStmt:
		return "facts"
	case *parser.LetStmt:
		return "let"
	case *parser.FrameworkStmt:
		return "framework"
	case *parser.ScoreStmt:
		return "score"
	case *parser.TotalStmt:
		return "total"
	case *parser.ClassifyStmt:
		return "classify"
	}
	return "this"
}

func (c *compiler) file(sf rules.SourceFile) {
	pf, err := parser.Parse(sf.Name, sf.Text)
	if err != nil {
		c.diags = append(c.diags, parser.Diagnostics(err)...)
		return
	}
	f := &File{Path: sf.Name}
	c.suite.Files = append(c.suite.Files, f)
	for _, s := range pf.Stmts {
		ts, ok := s.(*parser.TestStmt)
		if !ok {
			kw := stmtKeyword(s)
			d := c.diag(pf.Source, CodeNotATest, keywordRange(s.Start(), kw),
				"a %s statement in a test file: _test.qual files hold only test blocks", kw)
			d.Why = "a _test.qual file is left out of the policy; put policy statements in the policy's .qual files"
			continue
		}
		if t := c.test(pf.Source, f, ts); t != nil {
			f.Tests = append(f.Tests, t)
		}
	}
}

// keywordRange is the range of the keyword a statement starts with.
func keywordRange(p parser.Pos, kw string) parser.Range {
	end := p
	end.Column += len(kw)
	end.Offset += len(kw)
	return parser.Range{Start: p, End: end}
}

func (c *compiler) test(src *parser.Source, f *File, ts *parser.TestStmt) *Test {
	t := &Test{Name: ts.Name.Value(), Pos: parser.ToPos(ts.Pos), file: f}
	ok := true
	if prev, dup := c.names[t.Name]; dup {
		d := c.diag(src, CodeDuplicateTest, ts.Name.Range(), "test %q is defined twice", t.Name)
		d.Why = "a test's name is how reports, -run and go test name it, so it is unique among a policy's tests"
		d.Notes = []parser.Note{{Message: "first defined here", Pos: prev}}
		ok = false
	} else {
		c.names[t.Name] = t.Pos
	}
	var nowAt *parser.TestItem
	for _, it := range ts.Items {
		switch {
		case it.Now != nil:
			if nowAt != nil {
				d := c.diag(src, CodeRepeatedNow, keywordRange(parser.ToPos(it.Pos), "now"), "test %q gives now twice", t.Name)
				d.Notes = []parser.Note{{Message: "first given here", Pos: parser.ToPos(nowAt.Pos)}}
				ok = false
				continue
			}
			nowAt = it
			v, err := rules.ParseTime(it.Now.Value())
			if err != nil {
				d := c.diag(src, CodeBadNow, it.Now.Range(), "now %s is not a time", it.Now.Raw)
				d.Suggestion = `write it in RFC 3339, as in now "2026-11-01T00:00:00Z", or as a date, as in now "2026-11-01"`
				ok = false
				continue
			}
			t.Now, t.HasNow = v, true
		case it.GivenFile != nil:
			g := c.givenFile(src, f, it.GivenFile)
			if g == nil {
				ok = false
				continue
			}
			t.givens = append(t.givens, g)
		case it.Given != nil:
			g := c.givenExpr(src, it.Given)
			if g == nil {
				ok = false
				continue
			}
			t.givens = append(t.givens, g)
		case it.Expect != nil:
			e := c.expect(src, it.Expect)
			if e == nil {
				ok = false
				continue
			}
			t.Expects = append(t.Expects, e)
		}
	}
	hasGiven, hasExpect := false, false
	for _, it := range ts.Items {
		hasGiven = hasGiven || it.GivenFile != nil || it.Given != nil
		hasExpect = hasExpect || it.Expect != nil
	}
	if !hasGiven {
		d := c.diag(src, CodeNoGiven, ts.Name.Range(), "test %q gives no facts", t.Name)
		d.Suggestion = `add the lead's facts: given { company: { employees: 250 } }, or given file "lead.json"`
		ok = false
	}
	if !hasExpect {
		d := c.diag(src, CodeNoExpect, ts.Name.Range(), "test %q expects nothing, so it cannot fail", t.Name)
		d.Suggestion = `add what the result must be, such as: expect stage == "sql"`
		ok = false
	}
	if !ok {
		return nil
	}
	return t
}
