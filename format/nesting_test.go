package format_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/format"
	"github.com/qualifyhq/qualify/parser"
)

// TestSource_nesting checks that the formatter keeps an expression nested
// as deeply as the scanner allows, in every place one is written, and that
// it refuses one level more, or a million, with the parser's error at the
// bracket that goes too deep, before expr's parser sees the expression.
func TestSource_nesting(t *testing.T) {
	places := []struct {
		name, before, inner, after string
		base                       int // levels the place opens itself
	}{
		{"let", "let deep =   ", "n > 0", "\n", 0},
		{"condition", "score fit {\n  +1 \"x\"   when ", "n > 0", "\n}\n", 0},
		{"points", "score fit {\n  +(", "n", ")  \"y\" when true\n}\n", 1},
		{"where", "score fit {\n  +1 \"z\" each events where ", `.type == "w"`, "\n}\n", 0},
		{"given", "test \"t\" {\n  given {n:   ", "1", "}\n}\n", 1},
		{"expect", "test \"t\" {\n  expect ", "score.fit == 2", "\n}\n", 0},
	}
	for _, p := range places {
		for _, levels := range []int{parser.MaxNesting - p.base, parser.MaxNesting - p.base + 1, 1_000_000} {
			t.Run(fmt.Sprintf("%s/%d", p.name, levels), func(t *testing.T) {
				expr := strings.Repeat("(", levels) + p.inner + strings.Repeat(")", levels)
				src := p.before + expr + p.after
				got, err := format.Source("deep.qual", []byte(src))
				if levels+p.base <= parser.MaxNesting {
					require.NoError(t, err)
					assert.Contains(t, string(got), expr)
					again, err := format.Source("deep.qual", got)
					require.NoError(t, err)
					assert.Equal(t, string(got), string(again))
					return
				}
				var d *parser.Diagnostic
				require.True(t, errors.As(err, &d), "got %v, want a diagnostic", err)
				at := len(p.before) + parser.MaxNesting - p.base
				line := strings.Count(p.before, "\n") + 1
				col := at - strings.LastIndexByte(p.before, '\n')
				assert.Equal(t, parser.Pos{File: "deep.qual", Line: line, Column: col, Offset: at}, d.Range.Start)
				assert.Equal(t, fmt.Sprintf("expression nested too deeply: more than %d levels of brackets", parser.MaxNesting), d.Message)
			})
		}
	}
}
