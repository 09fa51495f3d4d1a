package qualifytest_test

import (
	"flag"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/qualifytest"
	"github.com/qualifyhq/qualify/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixtures holds this package's test data. It is absolute because some
// tests change the working directory.
var fixtures = mustAbs(filepath.Join("..", "testdata", "qualifytest"))

// errorsDir holds one case per compile error of test files: NAME_test.qual
// (or a directory NAME/ of _test.qual files), compiled against the policy
// in ../shop, and NAME.err, the errors it must give.
var errorsDir = filepath.Join(fixtures, "errors")

func mustAbs(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	return abs
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test ./qualifytest -update")
	assert.Equal(t, string(want), got, "output differs from %s (go test ./qualifytest -update rewrites it)", path)
}

// errorCases lists the cases of errorsDir by name.
func errorCases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(errorsDir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		switch {
		case e.IsDir() && e.Name() != "leads":
			names = append(names, e.Name())
		case strings.HasSuffix(e.Name(), "_test.qual"):
			names = append(names, strings.TrimSuffix(e.Name(), "_test.qual"))
		}
	}
	require.NotEmpty(t, names)
	return names
}

// shopPolicy compiles the policy the error cases are compiled against.
func shopPolicy(t *testing.T) *rules.Policy {
	t.Helper()
	pol, err := rules.LoadDir(filepath.Join(fixtures, "shop"))
	require.NoError(t, err)
	return pol
}

// TestCompile_errors compiles every case of testdata/qualifytest/errors
// and compares the rendered errors with its golden file. Cases compile from
// inside the directory, so positions read NAME_test.qual:LINE:COL.
func TestCompile_errors(t *testing.T) {
	pol := shopPolicy(t)
	names := errorCases(t)
	t.Chdir(errorsDir)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var paths []string
			if info, err := os.Stat(name); err == nil && info.IsDir() {
				found, err := filepath.Glob(filepath.Join(name, "*_test.qual"))
				require.NoError(t, err)
				paths = found
			} else {
				paths = []string{name + "_test.qual"}
			}
			files, err := rules.ReadFiles(paths)
			require.NoError(t, err)
			suite, err := qualifytest.Compile(pol, files)
			require.Error(t, err, "%s compiles, but it is an error case", name)
			require.Nil(t, suite)
			require.NotEmpty(t, parser.Diagnostics(err), "the error holds no diagnostic")
			golden(t, name+".err", err.Error()+"\n")
		})
	}
}

// TestCompile_goldensHaveCases fails on a golden left by a removed case.
func TestCompile_goldensHaveCases(t *testing.T) {
	cases := map[string]bool{}
	for _, name := range errorCases(t) {
		cases[name] = true
	}
	goldens, err := filepath.Glob(filepath.Join(errorsDir, "*.err"))
	require.NoError(t, err)
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".err")
		assert.True(t, cases[name], "%s has no case: add %s_test.qual or remove it", g, name)
	}
}

var goldenCode = regexp.MustCompile(`(?m)^\S.*: error\[(E\d+)\]: `)

// TestCompile_everyCodeHasACase fails when a code of this package has no
// golden case that reports it, or a golden reports an undeclared code.
func TestCompile_everyCodeHasACase(t *testing.T) {
	declared := declaredCodes(t, ".")
	require.Contains(t, declared, "E300")
	covered := map[string]bool{}
	goldens, err := filepath.Glob(filepath.Join(errorsDir, "*.err"))
	require.NoError(t, err)
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		require.NoError(t, err)
		for _, m := range goldenCode.FindAllStringSubmatch(string(b), -1) {
			covered[m[1]] = true
		}
	}
	for code, name := range declared {
		assert.True(t, covered[code], "%s (%s) has no case in %s", code, name, errorsDir)
	}
	for code := range covered {
		_, ours := declared[code]
		assert.True(t, ours || code < "E300", "%s appears in a golden but no code constant declares it", code)
	}
}

// TestCompile_everyCodeIsDocumented fails when docs/testing.md has no
// section for a code.
func TestCompile_everyCodeIsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "testing.md"))
	require.NoError(t, err)
	for code, name := range declaredCodes(t, ".") {
		heading := regexp.MustCompile(`(?m)^#+ ` + code + ` `)
		assert.True(t, heading.Match(b), "docs/testing.md has no heading for %s (%s)", code, name)
	}
}

// declaredCodes finds the parser.Code constants of the non-test Go files
// in dir, by value, with their names.
func declaredCodes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	sort.Strings(paths)
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				sel, ok := vs.Type.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Code" {
					continue
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out[v] = name.Name
				}
			}
		}
	}
	return out
}

// docsPath is the page that documents testing; its rendered examples are
// blocks that quote goldens of testdata/qualifytest by path:
//
//	<!-- golden: errors/E320_unknown_name.err -->
//	```text
//	...the contents of the golden...
//	```
var docsPath = mustAbs(filepath.Join("..", "docs", "testing.md"))

var docsGoldenBlock = regexp.MustCompile("(?s)<!-- golden: ([A-Za-z0-9_./-]+) -->\n```text\n(.*?)```")

// TestDocs_quoteGoldens checks that docs/testing.md quotes the goldens as
// they are, and rewrites its blocks with -update.
func TestDocs_quoteGoldens(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	doc := string(b)
	blocks := docsGoldenBlock.FindAllStringSubmatchIndex(doc, -1)
	require.NotEmpty(t, blocks, "docs/testing.md quotes no golden")
	var out strings.Builder
	last := 0
	for _, m := range blocks {
		name, quoted := doc[m[2]:m[3]], doc[m[4]:m[5]]
		g, err := os.ReadFile(filepath.Join(fixtures, filepath.FromSlash(name)))
		if !assert.NoError(t, err, "docs/testing.md quotes a golden that does not exist") {
			continue
		}
		want := strings.TrimSuffix(string(g), "\n") + "\n"
		out.WriteString(doc[last:m[4]])
		out.WriteString(want)
		last = m[5]
		if !*update {
			assert.Equal(t, want, quoted, "docs/testing.md quotes an old %s: run go test ./qualifytest -update", name)
		}
	}
	out.WriteString(doc[last:])
	if *update && out.String() != doc {
		require.NoError(t, os.WriteFile(docsPath, []byte(out.String()), 0o644))
	}
}
