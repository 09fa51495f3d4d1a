package qualifytest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/qualifytest"
)

// deepPolicy and deepTests hold an expression in every place one can be
// written, each marked {NAME}; the test passes when the expressions mean
// what they say.
const (
	deepPolicy = `policy "deep" version "1"

facts {
  n       int
  events  list<event>
}

let deep = {let}

score fit {
  +1 "x" when {condition}
  +({points}) "y" when true
  +1 "z" each events where {where}
}

classify stage {
  lead
}
`
	deepTests = `test "deep" {
  given {n: {given}, events: []}
  expect {expect}
}
`
)

// deepPlaces are the places of deepPolicy and deepTests, with the
// innermost expression of each, and the levels the place opens itself.
var deepPlaces = []struct {
	name, inner string
	base        int
	test        bool
}{
	{"let", "n > 0", 0, false},
	{"condition", "deep", 0, false},
	{"points", "n", 1, false},
	{"where", `.type == "w"`, 0, false},
	{"given", "1", 1, true},
	{"expect", "score.fit == 2", 0, true},
}

func parens(inner string, levels int) string {
	return strings.Repeat("(", levels) + inner + strings.Repeat(")", levels)
}

// writeDeep writes the policy and its test into a new directory, every
// place nested as deep as it may be except the place named deeper, nested
// levels deep. It returns the directory and the file and offset of the
// deeper place.
func writeDeep(t *testing.T, deeper string, levels int) (dir, file string, offset int) {
	t.Helper()
	dir = t.TempDir()
	texts := map[bool]string{false: deepPolicy, true: deepTests}
	for _, p := range deepPlaces {
		n := parser.MaxNesting - p.base
		if p.name == deeper {
			n = levels
			file = map[bool]string{false: "deep.qual", true: "deep_test.qual"}[p.test]
			offset = strings.Index(texts[p.test], "{"+p.name+"}")
		}
		texts[p.test] = strings.Replace(texts[p.test], "{"+p.name+"}", parens(p.inner, n), 1)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "deep.qual"), []byte(texts[false]), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "deep_test.qual"), []byte(texts[true]), 0o644))
	return dir, filepath.Join(dir, file), offset
}

// TestLoad_nesting checks that expressions nested as deeply as the scanner
// allows compile and run, in a policy and in its tests, and that one level
// more, or a million, is an error at the bracket that goes too deep rather
// than a crash of expr's parser.
func TestLoad_nesting(t *testing.T) {
	t.Run("at the limit", func(t *testing.T) {
		dir, _, _ := writeDeep(t, "", 0)
		s, err := qualifytest.Load(dir)
		require.NoError(t, err)
		rep := s.Run(context.Background())
		assert.Equal(t, 1, rep.Passed(), "%s", text(rep, true, false))
		assert.Equal(t, 0, rep.Failed())
	})
	for _, p := range deepPlaces {
		for _, levels := range []int{parser.MaxNesting - p.base + 1, 1_000_000} {
			t.Run(fmt.Sprintf("%s/%d", p.name, levels), func(t *testing.T) {
				dir, file, offset := writeDeep(t, p.name, levels)
				_, err := qualifytest.Load(dir)
				require.Error(t, err)
				src, rerr := os.ReadFile(file)
				require.NoError(t, rerr)
				// The bracket of level MaxNesting+1.
				at := offset + parser.MaxNesting - p.base
				require.Equal(t, byte('('), src[at])
				line := strings.Count(string(src[:at]), "\n") + 1
				col := at - strings.LastIndexByte(string(src[:at]), '\n')
				want := fmt.Sprintf("%s:%d:%d: error[E100]: expression nested too deeply: more than %d levels of brackets\n",
					file, line, col, parser.MaxNesting)
				assert.Contains(t, err.Error(), want)
			})
		}
	}
}
