package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

const header = "policy \"p\" version \"1\"\nfacts {\n  a int\n  b bool\n  tags list<string>\n  events list<event>\n}\n"
const stage = "\nclassify stage {\n  any\n}\n"

// codes compiles src and returns the codes of its diagnostics, in order.
func codes(t *testing.T, src string) []string {
	t.Helper()
	_, err := rules.Compile("p.qual", src)
	var out []string
	for _, d := range parser.Diagnostics(err) {
		out = append(out, string(d.Code))
	}
	return out
}

func TestCompile_forwardReferences(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"let reads later let", "let x = y\nlet y = a > 1" + stage, "let x reads y, which is defined later; lets are evaluated in the order written"},
		{"let reads itself", "let x = x" + stage, "let x reads itself"},
		{"let reads framework", "let x = F.met > 1\nframework F {\n c \"c\" when b\n}" + stage, "F is a framework, evaluated after every let; a let cannot read it"},
		{"criterion reads own framework", "framework F {\n c \"c\" when F.met > 1\n}" + stage, "a criterion of F cannot read F: its counts are known only once all its criteria are"},
		{"framework reads later framework", "framework F {\n c \"c\" when G.qualified\n}\nframework G {\n d \"d\" when b\n}" + stage, "framework F reads G, which is defined later; frameworks are evaluated in the order written"},
		{"let reads score", "let x = score.g > 1\nscore g {\n +1 \"r\" when b\n}" + stage, "score groups are evaluated after lets and frameworks, so score.g cannot be read here"},
		{"group reads itself", "score g {\n +1 \"r\" when score.g > 1\n}" + stage, "a rule of group g cannot read score.g, the sum it is part of"},
		{"group reads later group", "score g {\n +1 \"r\" when score.h > 1\n}\nscore h {\n +1 \"s\" when b\n}" + stage, "group g reads score.h, which is computed later; groups are evaluated in the order written"},
		{"group reads total", "score g {\n +1 \"r\" when score.total > 1\n}" + stage, "score.total is the sum of all the groups, known only after them; only ladders can read it"},
		{"group reads ladder", "score g {\n +1 \"r\" when stage == \"any\"\n}" + stage, "stage is a ladder, and ladders are evaluated last, after lets, frameworks and score groups"},
		{"ladder reads later ladder", "classify grade {\n A when stage == \"any\"\n}" + stage, "ladder grade reads stage, which is defined later; ladders are evaluated in the order written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.Compile("p.qual", header+tt.src)
			ds := parser.Diagnostics(err)
			require.Len(t, ds, 1, "%v", err)
			assert.Equal(t, rules.CodeDefinedLater, ds[0].Code)
			assert.Equal(t, tt.want, ds[0].Message)
		})
	}
}

func TestCompile_forwardReferenceNamesBothPlaces(t *testing.T) {
	_, err := rules.Compile("p.qual", header+"let x = y\nlet y = a > 1"+stage)
	require.Error(t, err)
	assert.Equal(t, `p.qual:8:9: error[E203]: let x reads y, which is defined later; lets are evaluated in the order written
 8 | let x = y
   |         ^
   = p.qual:9:5: y is defined here
 9 | let y = a > 1
   |     ^

1 error`, err.Error())
}

func TestCompile_standardFrameworks(t *testing.T) {
	crit := func(names ...string) string {
		var b strings.Builder
		for _, n := range names {
			b.WriteString("  " + n + " \"" + n + "\" when b\n")
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"complete BANT", "framework BANT {\n" + crit("budget", "authority", "need", "timeline") + "}", nil},
		{"BANT missing one", "framework BANT {\n" + crit("budget", "authority", "need") + "}", []string{"E220"}},
		{"BANT with extra", "framework BANT {\n" + crit("budget", "authority", "need", "timeline", "vibes") + "}", []string{"E221"}},
		{"BANT misspelt", "framework BANT {\n" + crit("budget", "authority", "need", "timelin") + "}", []string{"E221"}},
		{"BANT misspelt and missing", "framework BANT {\n" + crit("budget", "authority", "timelin") + "}", []string{"E220", "E221"}},
		{"lower-case name is still BANT", "framework bant {\n" + crit("budget") + "}", []string{"E220"}},
		{"complete MEDDPICC", "framework MEDDPICC {\n" + crit("metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process", "identify_pain", "champion", "competition") + "}", nil},
		{"complete GPCTBA_CI", "framework GPCTBA_CI {\n" + crit("goals", "plans", "challenges", "timeline", "budget", "authority", "negative_consequences", "positive_implications") + "}", nil},
		{"custom framework is free", "framework Fit {\n" + crit("anything", "goes") + "}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, codes(t, header+tt.src+stage))
		})
	}
	for name, crit := range rules.StandardFrameworks {
		assert.NotEmpty(t, crit, name)
	}
}

func TestCompile_exactColumnsInsideExpressions(t *testing.T) {
	src := header + "score g {\n  +1 \"r\" when a > 1 &&\n      tagz == 2\n}" + stage
	_, err := rules.Compile("p.qual", src)
	ds := parser.Diagnostics(err)
	require.Len(t, ds, 1)
	assert.Equal(t, rules.CodeUnknownName, ds[0].Code)
	assert.Equal(t, parser.Pos{File: "p.qual", Line: 10, Column: 7, Offset: ds[0].Range.Start.Offset}, ds[0].Range.Start)
	assert.Equal(t, `did you mean "tags"?`, ds[0].Suggestion)

	src = header + "score g {\n  +1 \"é\" when (a ?? 0) > \"x\"\n}" + stage
	_, err = rules.Compile("p.qual", src)
	ds = parser.Diagnostics(err)
	require.Len(t, ds, 1)
	assert.Equal(t, rules.CodeType, ds[0].Code)
	assert.Equal(t, 9, ds[0].Range.Start.Line)
	assert.Equal(t, 24, ds[0].Range.Start.Column, "the caret is on the > operator, counting é as one column")
}

func TestCompile_gathersErrorsOfAllFiles(t *testing.T) {
	_, err := rules.CompileFiles([]rules.SourceFile{
		{Name: "b.qual", Text: "let y = nope\nclassify stage {\n  any\n}\n"},
		{Name: "a.qual", Text: "policy \"p\"\nlet x = missing_too\nfacts {\n  n int\n}\n"},
		{Name: "c.qual", Text: "score g {\n  +1 \"x\" when n > \"1\"\n}"},
	})
	ds := parser.Diagnostics(err)
	var got []string
	for _, d := range ds {
		got = append(got, d.Range.Start.String()+" "+string(d.Code))
	}
	assert.Equal(t, []string{"a.qual:2:9 E201", "b.qual:1:9 E201", "c.qual:2:17 E210"}, got)
	assert.True(t, strings.HasSuffix(err.Error(), "\n\n3 errors"))
}

func TestCompile_syntaxErrorsOfAllFilesComeFirst(t *testing.T) {
	// Names defined in a file that does not parse would look unknown in the
	// others, so a policy with syntax errors reports those alone.
	_, err := rules.CompileFiles([]rules.SourceFile{
		{Name: "a.qual", Text: "policy \"p\"\nlet x = warm\nclassify stage {\n  any\n}\n"},
		{Name: "b.qual", Text: "let warm = true\nscor x"},
		{Name: "c.qual", Text: "score g {\n  +1 when\n}"},
	})
	var got []string
	for _, d := range parser.Diagnostics(err) {
		got = append(got, d.Range.Start.String()+" "+string(d.Code))
	}
	assert.Equal(t, []string{"b.qual:2:1 E100", "c.qual:2:10 E100"}, got)
}

func TestLoadDir_multiFilePolicy(t *testing.T) {
	pol, err := rules.LoadDir("../testdata/policies/multi")
	require.NoError(t, err)
	assert.Equal(t, "multi", pol.Name)
	assert.Equal(t, "3", pol.Version)
	require.Len(t, pol.Files, 4, "the _test.qual file is not part of the policy")
	var lets []string
	for _, l := range pol.Lets {
		lets = append(lets, l.Name)
	}
	assert.Equal(t, []string{"big", "decision", "big_decision"}, lets)
	assert.Equal(t, "3_score.qual:4:3", pol.Groups[0].Rules[0].At, "trace positions name the file, not its path")
}

func TestPolicyHash(t *testing.T) {
	src := header + stage
	a, err := rules.Compile("p.qual", src)
	require.NoError(t, err)
	b, err := rules.Compile("elsewhere/p.qual", src)
	require.NoError(t, err)
	c, err := rules.Compile("p.qual", src+"# a comment\n")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(a.Hash, "sha256:"))
	assert.Len(t, a.Hash, len("sha256:")+64)
	assert.Equal(t, a.Hash, b.Hash, "the hash does not depend on where the policy is loaded from")
	assert.NotEqual(t, a.Hash, c.Hash, "any change to a source changes the hash")
}

func TestLoad_errors(t *testing.T) {
	_, err := rules.Load("does/not/exist")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "E103")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "only_test.qual"), []byte("# tests\n"), 0o644))
	_, err = rules.LoadDir(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no .qual policy files in this directory")
}

func TestCompile_typesOfLets(t *testing.T) {
	pol, err := rules.Compile("p.qual", header+"let n = a * 2\nlet s = \"x\"\nlet ok = b || a > 1\nlet l = filter(tags, # != \"\")"+stage)
	require.NoError(t, err)
	var got []string
	for _, l := range pol.Lets {
		got = append(got, l.Name+":"+l.Value.Type)
	}
	assert.Equal(t, []string{"n:int", "s:string", "ok:bool", "l:list"}, got)
	assert.Equal(t, []string{"E211"}, codes(t, header+"let n = a * 2\nscore g {\n +1 \"r\" when n\n}"+stage), "a let's type is checked where it is read")
}
