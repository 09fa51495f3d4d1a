package format_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/format"
	"github.com/qualifyhq/qualify/parser"
)

var update = flag.Bool("update", false, "rewrite the .formatted golden files")

// TestGolden formats every testdata/fmt/CASE.qual and compares the result
// with CASE.formatted; it formats the result again, which must change
// nothing, and checks that both mean what the input means.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("..", "testdata", "fmt", "*.qual"))
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".qual")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			got, err := format.Source(filepath.Base(path), src)
			require.NoError(t, err)
			golden := strings.TrimSuffix(path, ".qual") + ".formatted"
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./format -update to create %s", golden)
			assert.Equal(t, string(want), string(got))
			again, err := format.Source(filepath.Base(path), got)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(again), "formatting twice changed the file")
			assert.NoError(t, format.Equivalent(filepath.Base(path), string(src), string(got)))
		})
	}
}

func TestSource_syntaxErrorIsRefused(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"statement", "policy \"p\"\nscore g {\n  +1 when x\n}\n",
			"p.qual:3:6: error[E100]: unexpected \"when\", expected a string in quotes\n 3 |   +1 when x\n   |      ^^^^"},
		{"condition", "policy \"p\"\nlet a = b = 1\n",
			"p.qual:2:11: error[E100]: syntax error in condition: unexpected \"=\"\n 2 | let a = b = 1\n   |           ^"},
		{"where condition", "policy \"p\"\nscore g {\n  +1 \"x\" each e where .a == * 2\n}\n",
			"p.qual:3:29: error[E100]: syntax error in condition: unexpected \"*\""},
		{"test block", "test \"t\" {\n  expect stage = \"a\"\n}\n",
			"p.qual:2:16: error[E100]: syntax error in condition: unexpected token Operator(\"=\")"},
		{"literal", "policy \"p\n", "p.qual:1:8: error[E101]: string not terminated before the end of the line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := format.Source("p.qual", []byte(tt.src))
			require.Error(t, err)
			assert.Nil(t, out)
			var d *parser.Diagnostic
			require.True(t, errors.As(err, &d), "the error is a diagnostic: %v", err)
			assert.True(t, strings.HasPrefix(err.Error(), tt.want), "got %s\nwant %s", err, tt.want)
		})
	}
}

func TestSource_emptyAndCommentsOnly(t *testing.T) {
	out, err := format.Source("e.qual", nil)
	require.NoError(t, err)
	assert.Equal(t, "", string(out))
	out, err = format.Source("c.qual", []byte("\n\n# only a comment   \n\n\n# and another\n\n"))
	require.NoError(t, err)
	assert.Equal(t, "# only a comment\n\n# and another\n", string(out))
}

func TestEquivalent(t *testing.T) {
	base := "policy \"p\"\nlet a = b > 1 # why\n"
	tests := []struct {
		name, other, want string
	}{
		{"spacing", "policy  \"p\"\n\n\nlet a=b>1   # why\n", ""},
		{"condition", "policy \"p\"\nlet a = b >= 1 # why\n", "condition"},
		{"name", "policy \"p\"\nlet c = b > 1 # why\n", "Name.Text"},
		{"comment", "policy \"p\"\nlet a = b > 1 # who\n", "comment"},
		{"lost comment", "policy \"p\"\nlet a = b > 1\n", "comments"},
		{"string", "policy \"q\"\nlet a = b > 1 # why\n", "Raw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := format.Equivalent("p.qual", base, tt.other)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
