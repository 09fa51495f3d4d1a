package rules_test

import (
	"flag"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

// errorsDir holds one case per compile error: NAME.qual (or a directory
// NAME/ of .qual files) and NAME.err, the error text it must give. It is
// absolute because TestErrors changes the working directory.
var errorsDir = mustAbs(filepath.Join("..", "testdata", "errors"))

func mustAbs(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	return abs
}

// tmpPlaceholder stands for the temporary directory in the goldens of the
// cases the test creates itself.
const tmpPlaceholder = "$TMP"

// generatedCases are error cases that cannot be stored as files: each
// builds its input in dir and returns the path to load. Their goldens are
// in errorsDir with dir replaced by tmpPlaceholder.
var generatedCases = map[string]func(t *testing.T, dir string) string{
	"E102_file_too_large": func(t *testing.T, dir string) string {
		path := filepath.Join(dir, "huge.qual")
		text := "# " + strings.Repeat("x", parser.MaxFileSize) + "\n"
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		return path
	},
	"E102_file_too_large_in_directory": func(t *testing.T, dir string) string {
		policy := filepath.Join(dir, "policy")
		require.NoError(t, os.Mkdir(policy, 0o755))
		writeFile(t, filepath.Join(policy, "a.qual"), "policy \"p\" version \"1\"\nclassify stage {\n  any\n}\n")
		text := "# " + strings.Repeat("x", parser.MaxFileSize) + "\n"
		writeFile(t, filepath.Join(policy, "b.qual"), text)
		return policy
	},
	"E103_file_does_not_exist": func(t *testing.T, dir string) string {
		return filepath.Join(dir, "missing.qual")
	},
	"E103_dangling_symlink_in_directory": func(t *testing.T, dir string) string {
		policy := filepath.Join(dir, "policy")
		require.NoError(t, os.Mkdir(policy, 0o755))
		writeFile(t, filepath.Join(policy, "a.qual"), "policy \"p\" version \"1\"\nclassify stage {\n  any\n}\n")
		if err := os.Symlink(filepath.Join(dir, "gone.qual"), filepath.Join(policy, "b.qual")); err != nil {
			t.Skipf("cannot create a symbolic link: %v", err)
		}
		return policy
	},
	"E270_empty_directory": func(t *testing.T, dir string) string {
		policy := filepath.Join(dir, "policy")
		require.NoError(t, os.Mkdir(policy, 0o755))
		return policy
	},
	"E270_directory_with_only_tests": func(t *testing.T, dir string) string {
		policy := filepath.Join(dir, "policy")
		require.NoError(t, os.MkdirAll(filepath.Join(policy, "sub"), 0o755))
		writeFile(t, filepath.Join(policy, "stage_test.qual"), "test \"t\" {\n  expect stage == \"any\"\n}\n")
		writeFile(t, filepath.Join(policy, "README.md"), "not a policy\n")
		writeFile(t, filepath.Join(policy, "sub", "a.qual"), "policy \"p\" version \"1\"\n")
		return policy
	},
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

// checkGolden compares got with the golden file NAME.err, or rewrites it
// with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join(errorsDir, name+".err")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got+"\n"), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "no golden file: run go test ./rules -run TestErrors -update")
	assert.Equal(t, strings.TrimSuffix(string(want), "\n"), got, "rendered errors of %s differ from %s", name, golden)
}

// errorCases lists the stored cases: the .qual files and the directories
// of errorsDir, by name.
func errorCases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(errorsDir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		switch {
		case e.IsDir():
			names = append(names, e.Name())
		case strings.HasSuffix(e.Name(), ".qual"):
			names = append(names, strings.TrimSuffix(e.Name(), ".qual"))
		}
	}
	require.NotEmpty(t, names)
	return names
}

// TestErrors loads every case of testdata/errors and compares the rendered
// errors with its golden file. Cases are loaded from inside errorsDir so
// that the positions in the goldens are NAME.qual:LINE:COL.
func TestErrors(t *testing.T) {
	names := errorCases(t)
	t.Chdir(errorsDir)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			path := name + ".qual"
			if info, err := os.Stat(name); err == nil && info.IsDir() {
				path = name
			}
			pol, err := rules.Load(path)
			require.Error(t, err, "%s compiles, but it is an error case", path)
			require.Nil(t, pol)
			require.NotEmpty(t, parser.Diagnostics(err), "the error holds no diagnostic")
			checkGolden(t, name, err.Error())
		})
	}
}

// TestErrors_generated runs the cases that create their input in a
// temporary directory: files too large, unreadable or missing.
func TestErrors_generated(t *testing.T) {
	names := make([]string, 0, len(generatedCases))
	for name := range generatedCases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "E103") && runtime.GOOS == "windows" {
				t.Skip("the operating system's reason is worded differently on Windows")
			}
			dir := t.TempDir()
			path := generatedCases[name](t, dir)
			pol, err := rules.Load(path)
			require.Error(t, err)
			require.Nil(t, pol)
			require.NotEmpty(t, parser.Diagnostics(err), "the error holds no diagnostic")
			got := strings.ReplaceAll(err.Error(), dir, tmpPlaceholder)
			got = filepath.ToSlash(got)
			checkGolden(t, name, got)
		})
	}
}

// docsPath is the page that documents every code; its rendered examples
// are blocks that quote goldens, indented or not:
//
//	<!-- golden: NAME -->
//	```text
//	...the contents of NAME.err...
//	```
var docsPath = mustAbs(filepath.Join("..", "docs", "errors.md"))

var docsGoldenBlock = regexp.MustCompile("(?s)<!-- golden: ([A-Za-z0-9_]+) -->\n([ \t]*)```text\n(.*?)\n[ \t]*```")

// TestErrors_docsQuoteGoldens checks that docs/errors.md quotes the
// goldens as they are, and rewrites its blocks with -update.
func TestErrors_docsQuoteGoldens(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	doc := string(b)
	blocks := docsGoldenBlock.FindAllStringSubmatchIndex(doc, -1)
	require.NotEmpty(t, blocks, "docs/errors.md quotes no golden")
	var out strings.Builder
	last := 0
	quotes := map[string]bool{}
	for _, m := range blocks {
		name, indent, quoted := doc[m[2]:m[3]], doc[m[4]:m[5]], doc[m[6]:m[7]]
		quotes[name] = true
		g, err := os.ReadFile(filepath.Join(errorsDir, name+".err"))
		if !assert.NoError(t, err, "docs/errors.md quotes a golden that does not exist") {
			continue
		}
		// A golden may quote a line that is not UTF-8 (E100_invalid_utf8).
		want := strings.ToValidUTF8(strings.TrimSuffix(string(g), "\n"), "\uFFFD")
		out.WriteString(doc[last:m[6]])
		out.WriteString(indentLines(want, indent))
		last = m[7]
		if !*update {
			assert.Equal(t, want, unindentLines(quoted, indent), "docs/errors.md quotes an old %s.err: run go test ./rules -run TestErrors -update", name)
		}
	}
	out.WriteString(doc[last:])
	if *update && out.String() != doc {
		require.NoError(t, os.WriteFile(docsPath, []byte(out.String()), 0o644))
	}
	t.Logf("docs/errors.md quotes %d goldens", len(quotes))
}

// indentLines prefixes every non-empty line of s with indent.
func indentLines(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = indent + l
		}
	}
	return strings.Join(lines, "\n")
}

// unindentLines removes indent from the start of every line of s.
func unindentLines(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, indent)
	}
	return strings.Join(lines, "\n")
}

// TestErrors_goldensHaveCases fails on a golden file left behind by a
// removed or renamed case.
func TestErrors_goldensHaveCases(t *testing.T) {
	cases := map[string]bool{}
	for _, name := range errorCases(t) {
		cases[name] = true
	}
	for name := range generatedCases {
		cases[name] = true
	}
	goldens, err := filepath.Glob(filepath.Join(errorsDir, "*.err"))
	require.NoError(t, err)
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".err")
		assert.True(t, cases[name], "%s has no case: add %s.qual or remove it", g, name)
	}
}

var goldenCode = regexp.MustCompile(`(?m)^\S.*: (?:error|warning)\[(E\d+)\]: `)

// TestErrors_everyCodeHasACase fails when a code is declared without a
// golden case that reports it.
func TestErrors_everyCodeHasACase(t *testing.T) {
	declared := declaredCodes(t, filepath.Join("..", "parser"), filepath.Join("..", "rules"))
	require.Contains(t, declared, "E100")
	require.Contains(t, declared, "E200")

	covered := map[string][]string{}
	goldens, err := filepath.Glob(filepath.Join(errorsDir, "*.err"))
	require.NoError(t, err)
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		require.NoError(t, err)
		for _, m := range goldenCode.FindAllStringSubmatch(string(b), -1) {
			covered[m[1]] = append(covered[m[1]], filepath.Base(g))
		}
	}
	t.Logf("%d codes declared in parser and rules", len(declared))
	for _, code := range sortedKeys(declared) {
		assert.NotEmpty(t, covered[code], "%s (%s) has no case in %s: add NAME.qual with its golden NAME.err", code, declared[code], errorsDir)
	}
	for _, code := range sortedKeys(covered) {
		_, ok := declared[code]
		assert.True(t, ok, "%s appears in %v but no code constant declares it", code, covered[code])
	}
}

// TestErrors_everyCodeIsDocumented fails when docs/errors.md has no
// section for a declared code.
func TestErrors_everyCodeIsDocumented(t *testing.T) {
	declared := declaredCodes(t, filepath.Join("..", "parser"), filepath.Join("..", "rules"))
	b, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	doc := string(b)
	for _, code := range sortedKeys(declared) {
		heading := regexp.MustCompile(`(?m)^#+ ` + code + ` `)
		assert.True(t, heading.MatchString(doc), "docs/errors.md has no heading for %s (%s)", code, declared[code])
	}
}

// codeValue matches the value of a diagnostic code.
var codeValue = regexp.MustCompile(`^E\d+$`)

// declaredCodes finds the code constants declared in the non-test Go files
// of dirs: constants of type Code or parser.Code, conversions such as
// parser.Code("E100"), and any constant string that looks like a code. It
// returns them by value, with their names.
func declaredCodes(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
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
					for i, name := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						v, ok := constString(vs.Values[i])
						if !ok || !(isCodeType(vs.Type) || codeValue.MatchString(v)) {
							continue
						}
						out[v] = name.Name
					}
				}
			}
		}
	}
	return out
}

// constString returns the value of a string literal, or of a conversion of
// one to Code or parser.Code.
func constString(e ast.Expr) (string, bool) {
	if call, ok := e.(*ast.CallExpr); ok && isCodeType(call.Fun) && len(call.Args) == 1 {
		e = call.Args[0]
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}

func isCodeType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "Code"
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "parser" && x.Sel.Name == "Code"
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
