package parser

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nestPlaces are the places an expression is written, with the levels the
// place opens itself: the parenthesis of +(EXPR) and the brace of given {...}.
var nestPlaces = []struct {
	name          string
	before, after string
	base          int
}{
	{"condition", "score fit {\n  +1 \"x\" when ", "\n}\n", 0},
	{"each where", "score fit {\n  +1 \"x\" each l where ", "\n}\n", 0},
	{"let", "let x = ", "\n", 0},
	{"points", "score fit {\n  +(", ") \"x\" when true\n}\n", 1},
	{"given", "test \"t\" {\n  given {a: ", "}\n  expect true\n}\n", 1},
	{"expect", "test \"t\" {\n  expect ", "\n}\n", 0},
}

// nestShapes open one level per opener, taking the openers in turn.
var nestShapes = []struct {
	name    string
	openers []string
	operand string
}{
	{"parentheses", []string{"("}, "1"},
	{"square brackets", []string{"["}, "1"},
	{"braces", []string{"{a: "}, "1"},
	{"mixed brackets", []string{"(", "[", "{a: "}, "1"},
	{"!", []string{"!"}, "true"},
	{"not", []string{"not "}, "true"},
	{"minus", []string{"-"}, "1"},
	{"! and parentheses", []string{"!", "("}, "true"},
}

var closers = map[string]string{"(": ")", "[": "]", "{a: ": "}"}

func isPrefix(opener string) bool { return closers[opener] == "" }

// nested returns an expression nested levels deep in the shape's openers.
func nested(openers []string, operand string, levels int) string {
	var b strings.Builder
	for i := range levels {
		b.WriteString(openers[i%len(openers)])
	}
	b.WriteString(operand)
	for i := levels - 1; i >= 0; i-- {
		b.WriteString(closers[openers[i%len(openers)]])
	}
	return b.String()
}

// TestScan_nesting checks that an expression nested MaxNesting levels deep,
// its place's own bracket included, scans, and that one level more, or a
// million, is refused at the opener that goes too deep, in every place an
// expression is written.
func TestScan_nesting(t *testing.T) {
	for _, place := range nestPlaces {
		for _, shape := range nestShapes {
			for _, levels := range []int{MaxNesting - place.base, MaxNesting - place.base + 1, 1_000_000} {
				t.Run(fmt.Sprintf("%s/%s/%d", place.name, shape.name, levels), func(t *testing.T) {
					expr := nested(shape.openers, shape.operand, levels)
					src := place.before + expr + place.after
					toks, _, err := Scan(NewSource("t.qual", src))
					if levels+place.base <= MaxNesting {
						require.NoError(t, err)
						found := false
						for _, tok := range toks {
							if tok.Kind == TokExpr || tok.Kind == TokPointsExpr {
								found = found || strings.Contains(tok.Text, expr)
							}
						}
						assert.True(t, found, "no expression token holds the expression")
						return
					}
					// The opener of level MaxNesting+1, counting from 1.
					k := MaxNesting - place.base
					offset := len(place.before)
					prefix := false
					for i := range k {
						offset += len(shape.openers[i%len(shape.openers)])
						prefix = prefix || isPrefix(shape.openers[i%len(shape.openers)])
					}
					opener := shape.openers[k%len(shape.openers)]
					prefix = prefix || isPrefix(opener)
					width := len(strings.TrimSpace(opener))
					if opener == "{a: " {
						width = 1
					}
					lineStart := strings.LastIndexByte(place.before, '\n') + 1
					line := strings.Count(place.before, "\n") + 1
					what := "brackets"
					if prefix {
						what = "brackets and prefix operators (!, not, -, +)"
					}

					var d *Diagnostic
					require.True(t, errors.As(err, &d), "got %v, want a diagnostic", err)
					assert.Equal(t, CodeSyntax, d.Code)
					assert.Equal(t, fmt.Sprintf("expression nested too deeply: more than %d levels of %s", MaxNesting, what), d.Message)
					want := Range{
						Start: Pos{File: "t.qual", Line: line, Column: offset - lineStart + 1, Offset: offset},
						End:   Pos{File: "t.qual", Line: line, Column: offset - lineStart + 1 + width, Offset: offset + width},
					}
					assert.Equal(t, want, d.Range)
					assert.Equal(t, opener[:width], src[d.Range.Start.Offset:d.Range.End.Offset])
				})
			}
		}
	}
}

// TestScan_nestingCountsOnlyWhatIsOpen checks that brackets closed and
// prefix operators whose operand has ended do not count: long expressions
// that never nest deeply scan, while those in which expr's parser does
// nest are refused.
func TestScan_nestingCountsOnlyWhatIsOpen(t *testing.T) {
	tests := []struct {
		name string
		expr string
		ok   bool
	}{
		{"closed parentheses", strings.Repeat("(a) + ", 1000) + "a", true},
		{"list of lists", "[" + strings.Repeat("[1], ", 1000) + "[1]]", true},
		{"! ended by &&", strings.Repeat("!a && ", 1000) + "a", true},
		{"not ended by or", strings.Repeat("not a or ", 1000) + "a", true},
		{"not in is binary", strings.Repeat("a not in b || ", 1000) + "a", true},
		{"minus ended by *", strings.Repeat("-a * ", 1000) + "a", true},
		{"minus ended by +", strings.Repeat("-a + ", 1000) + "a", true},
		{"prefix operators at the limit, ended", strings.Repeat(strings.Repeat("!", MaxNesting)+"a || ", 50) + "a", true},
		{"comma ends them", "f(" + strings.Repeat(strings.Repeat("-", MaxNesting-1)+"1, ", 50) + "1)", true},
		{"a closing bracket ends the prefix operators inside it", strings.Repeat("(!a) * ", 1000) + "a", true},
		// expr's parser reads the rest as the operand of each prefix operator.
		{"! runs on over *, to the limit", strings.Repeat("!a * ", MaxNesting) + "a", true},
		{"! runs on over *", strings.Repeat("!a * ", MaxNesting+1) + "a", false},
		{"minus runs on over **", strings.Repeat("-a ** ", MaxNesting+1) + "a", false},
		{"! runs on over ??", strings.Repeat("!a ?? ", MaxNesting+1) + "a", false},
		{"prefix operators end after a closed bracket", strings.Repeat("!", MaxNesting-1) + "(a) || !(a)", true},
		{"prefix operators stay open over a closed bracket", strings.Repeat("!", MaxNesting-1) + "(a) ** !(a)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Scan(NewSource("t.qual", "let x = "+tt.expr+"\n"))
			if tt.ok {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "expression nested too deeply")
			}
		})
	}
}

// TestParse_nestingRendered pins the whole rendered error of a condition
// nested a million levels deep.
func TestParse_nestingRendered(t *testing.T) {
	src := "policy \"p\" version \"1\"\nscore fit {\n  +1 \"x\" when " +
		strings.Repeat("(", 1_000_000) + "true" + strings.Repeat(")", 1_000_000) + "\n}\n"
	_, err := Parse("p.qual", src)
	require.Error(t, err)
	// The opener of level 101 is at column 14+101; the line is cut to
	// the 160 characters from column 62, after "...".
	want := "p.qual:3:115: error[E100]: expression nested too deeply: more than 100 levels of brackets\n" +
		" 3 | ..." + strings.Repeat("(", 160) + "...\n" +
		"   | " + strings.Repeat(" ", 3+115-62) + "^"
	assert.Equal(t, want, err.Error())
}
