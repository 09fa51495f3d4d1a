package parser

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

// TestGrammar pins the grammar, printed as EBNF.
func TestGrammar(t *testing.T) {
	golden(t, "testdata/grammar.ebnf", Grammar()+"\n")
}

func TestParse_everyStatement(t *testing.T) {
	src := `policy "p" version "1"
facts {
  a.b     int required
  tags    list<string>
  events  list<event>
}
let x = a.b > 1
framework F qualified when met >= 1 {
  one "One" when x
}
score g max 10 min -5 {
  +1   "const"  when x
  -2.5 "neg"    when !x
  +(a.b) "expr" when x
  +1   "each"   each events where .type == "w" limit 2 halflife 7d
}
total max 100
classify stage {
  hot  when x because "why"
  "Cold lead"
}
test "t" {
  now "2026-11-01T00:00:00Z"
  given {a: {b: 2}}
  given file "lead.json"
  expect stage == "hot"
}
`
	f, err := Parse("p.qual", src)
	require.NoError(t, err)
	require.Len(t, f.Stmts, 8)
	pol := f.Stmts[0].(*PolicyStmt)
	assert.Equal(t, "p", pol.Name.Value())
	facts := f.Stmts[1].(*FactsStmt)
	assert.Equal(t, "a.b", facts.Facts[0].Path.Text)
	assert.True(t, facts.Facts[0].Required)
	assert.Equal(t, "list<string>", facts.Facts[1].Type.String())
	score := f.Stmts[4].(*ScoreStmt)
	require.Len(t, score.Rules, 4)
	assert.Equal(t, "-", score.Rules[1].Points.Sign)
	assert.Equal(t, "2.5", score.Rules[1].Points.Number)
	assert.Equal(t, "a.b", score.Rules[2].Points.Expr.Text)
	each := score.Rules[3]
	assert.Equal(t, "events", each.Each.Text)
	assert.Equal(t, `.type == "w"`, each.Where.Text)
	require.Len(t, each.Options, 2)
	assert.Equal(t, "7d", each.Options[1].Halflife.Text)
	assert.Equal(t, -5.0, score.Clamps[1].Value.Float())
	ladder := f.Stmts[6].(*ClassifyStmt)
	assert.Equal(t, "why", ladder.Steps[0].Because.Value())
	assert.Equal(t, "Cold lead", ladder.Steps[1].Label.Value())
	assert.Nil(t, ladder.Steps[1].When)
	test := f.Stmts[7].(*TestStmt)
	require.Len(t, test.Items, 4)
	assert.Equal(t, "{a: {b: 2}}", test.Items[1].Given.Text)
	assert.Equal(t, "lead.json", test.Items[2].GivenFile.Value())
	assert.Equal(t, Pos{File: "p.qual", Line: 13, Column: 3, Offset: 225}, ToPos(score.Rules[1].Pos))
}

func TestParse_syntaxErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"stray word in a block", "score g {\n  foo\n}", `p.qual:2:3: error[E100]: unexpected "foo", expected a rule (+POINTS "LABEL" when CONDITION) or "}"`},
		{"given without file", "test \"t\" {\n  given \"lead.json\"\n  expect true\n}", `p.qual:2:9: error[E100]: unexpected string "lead.json", expected file "PATH" or the lead's facts as an object, as in given { contact: { role: "vp" } }`},
		{"unknown statement", "polcy \"p\"", `p.qual:1:1: error[E100]: unexpected "polcy", expected a statement (policy, facts, let, framework, score, total, classify or test)`},
		{"rule without label", "score g {\n  +1 when x\n}", `p.qual:2:6: error[E100]: unexpected "when", expected a string in quotes`},
		{"unsigned points", "score g {\n  10 \"x\" when x\n}", `p.qual:2:3: error[E100]: unexpected number 10, expected a rule (+POINTS "LABEL" when CONDITION) or "}"`},
		{"missing brace", "classify stage {\n  a when b\n", `p.qual:1:16: error[E100]: "{" is never closed: the file ends inside this classify block`},
		{"bad type", "facts {\n  a list<>\n}", `p.qual:2:10: error[E100]: unexpected ">", expected a type (string, int, number, bool, time, duration, event or list<T>)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.qual", tt.src)
			require.Error(t, err)
			assert.Equal(t, tt.want, firstLine(err.Error()))
		})
	}
}

func TestParse_rendersCaret(t *testing.T) {
	_, err := Parse("p.qual", "policy \"p\"\nscore g {\n\t+1 when x\n}")
	require.Error(t, err)
	assert.Equal(t, "p.qual:3:5: error[E100]: unexpected \"when\", expected a string in quotes\n 3 | \t+1 when x\n   | \t   ^^^^", err.Error())
}

func TestParse_limits(t *testing.T) {
	_, err := Parse("big.qual", string(make([]byte, MaxFileSize+1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "E102")
	_, err = Parse("bad.qual", "policy \"\xff\"")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not valid UTF-8")
}

// TestDiagnostic_controlCharacters: a quoted source line shows control
// characters as U+FFFD, one for one, so that a policy cannot send escape
// sequences to the terminal of whoever checks it, and the caret stays
// under the right character.
func TestDiagnostic_controlCharacters(t *testing.T) {
	src := "policy \"p\" version \"1\"\nscore fit {\n\t+1 \"\x1b[2J\u009b31m\x07\" wen x\n}\n"
	_, err := Parse("p.qual", src)
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "\x1b")
	assert.NotContains(t, msg, "\x07")
	assert.NotContains(t, msg, "\u009b")
	assert.Contains(t, msg, " 3 | \t+1 \"\uFFFD[2J\uFFFD31m\uFFFD\" wen x\n   | \t"+strings.Repeat(" ", 15)+"^")
}

// TestParse_byteOrderMark: a file that starts with a UTF-8 byte order mark
// parses, with positions counted from after it.
func TestParse_byteOrderMark(t *testing.T) {
	_, err := Parse("p.qual", "\ufeffpolicy \"p\" version \"1\"\nclassify stage {\n  x\n}\n")
	require.NoError(t, err)
	_, err = Parse("p.qual", "\ufeffpolicy \"p\" versio \"1\"\n")
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "p.qual:1:12: error[E100]: unexpected \"versio\""), err.Error())
	_, err = Parse("p.qual", "policy \"p\" version \"1\"\n\ufeffclassify stage {\n  x\n}\n")
	assert.Error(t, err, "a byte order mark is only skipped at the start")
}
