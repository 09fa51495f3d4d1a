package parser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exprs scans src and returns the text of its expression tokens.
func exprs(t *testing.T, src string) []string {
	t.Helper()
	toks, _, err := Scan(NewSource("t.qual", src))
	require.NoError(t, err)
	var out []string
	for _, tok := range toks {
		if tok.Kind == TokExpr || tok.Kind == TokPointsExpr {
			out = append(out, tok.Text)
		}
	}
	return out
}

func TestScan_expressionBoundaries(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"to end of line", "let a = b > 1\nlet c = d", []string{"b > 1", "d"}},
		{"open bracket continues", "let a = f(b,\n  c)\nlet x = y", []string{"f(b,\n  c)", "y"}},
		{"trailing operator continues", "let a = b &&\n  c\nlet x = y", []string{"b &&\n  c", "y"}},
		{"word operator continues", "let a = b in\n  [1]", []string{"b in\n  [1]"}},
		{"?? continues", "let a = b ??\n 0", []string{"b ??\n 0"}},
		{"operand ends line", "let a = b\n&& c", nil},
		{"trailing comment", "let a = b > 1   # why\nlet c = d", []string{"b > 1", "d"}},
		{"comment inside brackets is blanked", "let a = f(b,  # first\n  c)", []string{"f(b,         \n  c)"}},
		{"own-line comment in continuation", "let a = b &&\n  # note\n  c", []string{"b &&\n        \n  c"}},
		{"pointer after comma", `let a = all(p, # != "")`, []string{`all(p, # != "")`}},
		{"pointer at start of where", "score g {\n +1 \"x\" each p where # startsWith \"a\"\n}", []string{`# startsWith "a"`}},
		{"pointer with member", "let a = all(e, #.t == 1)", []string{"all(e, #.t == 1)"}},
		{"comment after comma in map", "test \"t\" {\n given {a: 1,  # one\n  b: 2}\n}", []string{"{a: 1,       \n  b: 2}"}},
		{"hash in string", `let a = b == "#1"  # c`, []string{`b == "#1"`}},
		{"stop at limit", "score g {\n +1 \"x\" each p where .t == 1 limit 3 halflife 30d\n}", []string{".t == 1"}},
		{"stop at because", "classify stage {\n a when b > 1 because \"why\"\n}", []string{"b > 1"}},
		{"stop at block", "framework F qualified when met >= 2 {\n c \"l\" when d\n}", []string{"met >= 2", "d"}},
		{"stop at closing brace", "test \"t\" { expect stage == \"a\" }", []string{`stage == "a"`}},
		{"limit as operand", "let a = b > limit", []string{"b > limit"}},
		{"points expression", "score g {\n +(min(v, 20)) \"v\" when v > 0\n}", []string{"min(v, 20)", "v > 0"}},
		{"map literal in given", "test \"t\" {\n given {a: {b: 1}}\n expect x\n}", []string{"{a: {b: 1}}", "x"}},
		{"range operator", "let a = 1..3", []string{"1..3"}},
		{"optional chain", "let a = c?.d ?? 1", []string{"c?.d ?? 1"}},
		{"ternary continues", "let a = b ?\n 1 :\n 2", []string{"b ?\n 1 :\n 2"}},
		{"raw string spans lines", "let a = `x\ny` == b", []string{"`x\ny` == b"}},
		{"unicode", "let a = name == \"Zoë\"  # é", []string{`name == "Zoë"`}},
		{"crlf", "let a = b > 1\r\nlet c = d\r\n", []string{"b > 1", "d"}},
		{"comments in a long condition, with wide characters", "let a = b &&\n  # é one\n  c &&  # two 日本\n  d", []string{"b &&\n         \n  c &&          \n  d"}},
		{"pointers along one line", "let a = all(l, # == # == #)", []string{"all(l, # == # == #)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				_, _, err := Scan(NewSource("t.qual", tt.src))
				require.Error(t, err)
				return
			}
			assert.Equal(t, tt.want, exprs(t, tt.src))
		})
	}
}

func TestScan_comments(t *testing.T) {
	src := "# head\npolicy \"p\"  # trailing\nlet a = b  # after expr\n  # own\n"
	_, comments, err := Scan(NewSource("t.qual", src))
	require.NoError(t, err)
	require.Len(t, comments, 4)
	assert.Equal(t, "# head", comments[0].Text)
	assert.True(t, comments[0].Own)
	assert.Equal(t, "# trailing", comments[1].Text)
	assert.False(t, comments[1].Own)
	assert.Equal(t, "# after expr", comments[2].Text)
	assert.Equal(t, 3, comments[2].Start.Line)
	assert.True(t, comments[3].Own)
}

// TestScan_commentsInCondition checks which comments inside a condition
// are alone on their line, on a line holding many '#'.
func TestScan_commentsInCondition(t *testing.T) {
	src := "let a = all(l, # == # == #) &&  # trailing\n  # own\n  all(l, # > 0)  # # #\n"
	_, comments, err := Scan(NewSource("t.qual", src))
	require.NoError(t, err)
	require.Len(t, comments, 3)
	assert.Equal(t, []string{"# trailing", "# own", "# # #"}, []string{comments[0].Text, comments[1].Text, comments[2].Text})
	assert.Equal(t, []bool{false, true, false}, []bool{comments[0].Own, comments[1].Own, comments[2].Own})
	assert.Equal(t, Pos{File: "t.qual", Line: 3, Column: 18, Offset: 68}, comments[2].Start)
}

func TestScan_errors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{"policy \"p\n", "t.qual:1:8: error[E101]: string not terminated before the end of the line"},
		{"let a = f(b,\n c", `t.qual:1:10: error[E100]: "(" is never closed: the file ends inside this condition`},
		{"let a =\n", "t.qual:1:8: error[E100]: expected a condition after ="},
		{"score g max 1x {", `t.qual:1:13: error[E101]: invalid number or duration "1x": a duration's unit is one of ms, s, m, h, d, w`},
		{`policy "a\q"`, `t.qual:1:8: error[E101]: invalid string "a\q": bad escape sequence`},
		{"policy @", `t.qual:1:8: error[E100]: unexpected character "@"`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, _, err := Scan(NewSource("t.qual", tt.src))
			require.Error(t, err)
			assert.Equal(t, tt.want, firstLine(err.Error()))
		})
	}
}

func TestExpr_positionsInsideMultilineExpression(t *testing.T) {
	f, err := Parse("t.qual", "policy \"p\"\nlet a = b &&\n    cé > 1\n")
	require.NoError(t, err)
	let := f.Stmts[1].(*LetStmt)
	// "b &&\n    cé > 1": rune 9 is 'c' on line 3, column 5; rune 11 is ' '.
	assert.Equal(t, Pos{File: "t.qual", Line: 3, Column: 5, Offset: 28}, let.Value.PosAt(9))
	assert.Equal(t, 3, let.Value.PosAt(11).Line)
	assert.Equal(t, 7, let.Value.PosAt(11).Column)
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"500ms", 500 * time.Millisecond, true},
		{"106751d", 106751 * 24 * time.Hour, true},
		{"106752d", 0, false},
		{"999999999999d", 0, false},
		{"3y", 0, false},
		{"d", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseDuration(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		if ok {
			assert.Equal(t, tt.want, got, tt.in)
		}
	}
}

func TestScan_hugeLiterals(t *testing.T) {
	_, _, err := Scan(NewSource("t.qual", "score g max 1e400 {"))
	require.Error(t, err)
	_, _, err = Scan(NewSource("t.qual", "score g max 99999999999999999999 {"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is too large")
	_, _, err = Scan(NewSource("t.qual", "score g {\n +1 \"x\" each e where true halflife 999999999999d\n}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is too long")
}
