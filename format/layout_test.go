package format

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/parser"
)

// seeds are the .qual files of testdata/ and examples/.
func seeds(t testing.TB) []string {
	var out []string
	for _, root := range []string{filepath.Join("..", "testdata"), filepath.Join("..", "examples")} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".qual") {
				out = append(out, path)
			}
			return err
		})
		require.NoError(t, err)
	}
	return out
}

// TestLayout_needsNoFallback checks that the canonical layout itself, not
// the fallback that keeps conditions as written, handles every file of
// testdata/ and examples/.
func TestLayout_needsNoFallback(t *testing.T) {
	for _, path := range seeds(t) {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		f, err := parser.Parse(path, string(src))
		if err != nil || checkExprs(f) != nil {
			continue
		}
		out, err := layout(f, false)
		require.NoError(t, err, path)
		require.NoError(t, Equivalent(path, string(src), out), path)
	}
}

// FuzzSource checks on any input that parses: Source succeeds, its result
// means the same and is a fixed point.
func FuzzSource(f *testing.F) {
	for _, path := range seeds(f) {
		if b, err := os.ReadFile(path); err == nil && len(b) < 8000 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if pf, err := parser.Parse("f.qual", string(src)); err == nil && checkExprs(pf) == nil {
			// The canonical layout must not need its fallback.
			out, err := layout(pf, false)
			if err != nil {
				t.Fatalf("layout: %v\n--- input:\n%s", err, src)
			}
			if err := Equivalent("f.qual", string(src), out); err != nil {
				t.Fatalf("%v\n--- input:\n%q\n--- output:\n%s", err, src, out)
			}
		}
		out, err := Source("f.qual", src)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("%v\n--- input:\n%s", err, src)
			}
			return
		}
		if err := Equivalent("f.qual", string(src), string(out)); err != nil {
			t.Fatalf("%v\n--- input:\n%s\n--- output:\n%s", err, src, out)
		}
		again, err := Source("f.qual", out)
		if err != nil {
			t.Fatalf("formatting the output: %v\n--- output:\n%s", err, out)
		}
		if string(again) != string(out) {
			t.Fatalf("not idempotent\n--- once:\n%s\n--- twice:\n%s", out, again)
		}
	})
}
