package vet_test

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
	"github.com/qualifyhq/qualify/rules"
	"github.com/qualifyhq/qualify/vet"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// vetDir holds one case per file: CODE_NAME.qual triggers the warning CODE
// and CODE_near_NAME.qual is a near case that must not; CASE.warnings is
// the rendered warnings of each.
var vetDir = mustAbs(filepath.Join("..", "testdata", "vet"))

func mustAbs(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	return abs
}

func vetCase(t *testing.T, name string) []*parser.Diagnostic {
	t.Helper()
	pol, err := rules.Load(name + ".qual")
	require.NoError(t, err, "a vet case must compile")
	return vet.Vet(pol)
}

func render(ds []*parser.Diagnostic) string {
	if err := parser.Gather(ds); err != nil {
		return err.Error() + "\n"
	}
	return "no warnings\n"
}

func cases(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(vetDir, "*.qual"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".qual"))
	}
	return names
}

// TestVet compares the rendered warnings of every case with its golden
// file, and checks that a case named after a code triggers that code and a
// near case does not.
func TestVet(t *testing.T) {
	names := cases(t)
	t.Chdir(vetDir)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			ds := vetCase(t, name)
			got := render(ds)
			golden := name + ".warnings"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./vet -update to create %s", golden)
			assert.Equal(t, string(want), got)
			code := parser.Code(strings.SplitN(name, "_", 2)[0])
			found := false
			for _, d := range ds {
				assert.Equal(t, parser.Warning, d.Severity)
				assert.NotEmpty(t, d.Why, "every warning says why it matters")
				if d.Code == code {
					found = true
				}
			}
			if strings.Contains(name, "_near_") {
				assert.False(t, found, "the near case %s triggers %s", name, code)
			} else {
				assert.True(t, found, "%s does not trigger %s", name, code)
			}
		})
	}
}

// TestVet_everyCodeHasCases checks that every warning code has a case that
// triggers it and a near case that does not.
func TestVet_everyCodeHasCases(t *testing.T) {
	codes := declaredCodes(t)
	require.NotEmpty(t, codes)
	names := cases(t)
	for _, code := range codes {
		var trigger, near bool
		for _, n := range names {
			if strings.HasPrefix(n, code+"_near_") {
				near = true
			} else if strings.HasPrefix(n, code+"_") {
				trigger = true
			}
		}
		assert.True(t, trigger, "%s has no case in testdata/vet that triggers it", code)
		assert.True(t, near, "%s has no near case in testdata/vet (%s_near_NAME.qual)", code, code)
	}
}

// TestVet_goldensHaveCases fails on a golden file left behind by a removed
// or renamed case.
func TestVet_goldensHaveCases(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join(vetDir, "*.warnings"))
	require.NoError(t, err)
	for _, g := range goldens {
		_, err := os.Stat(strings.TrimSuffix(g, ".warnings") + ".qual")
		assert.NoError(t, err, "%s has no case", g)
	}
}

// vetGoldenBlock is a rendered example in docs/errors.md that quotes a
// golden file of testdata/vet.
var vetGoldenBlock = regexp.MustCompile("(?s)<!-- vet-golden: ([A-Za-z0-9_]+) -->\n```text\n(.*?)\n```")

// TestVet_docs checks that docs/errors.md documents every warning code and
// quotes the goldens of testdata/vet as they are, once it documents any.
func TestVet_docs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "errors.md"))
	require.NoError(t, err)
	doc := string(b)
	if !strings.Contains(doc, "W100") {
		t.Skip("docs/errors.md does not document the warning codes yet")
	}
	for _, code := range declaredCodes(t) {
		heading := regexp.MustCompile(`(?m)^#+ ` + code + ` `)
		assert.True(t, heading.MatchString(doc), "docs/errors.md has no heading for %s", code)
	}
	for _, m := range vetGoldenBlock.FindAllStringSubmatch(doc, -1) {
		g, err := os.ReadFile(filepath.Join(vetDir, m[1]+".warnings"))
		if assert.NoError(t, err, "docs/errors.md quotes a vet golden that does not exist") {
			assert.Equal(t, strings.TrimSuffix(string(g), "\n"), m[2], "docs/errors.md quotes an old %s.warnings", m[1])
		}
	}
}

// TestVet_examplesAreClean keeps the bundled examples free of warnings.
func TestVet_examplesAreClean(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "examples", "*"))
	require.NoError(t, err)
	for _, dir := range dirs {
		if files, _ := filepath.Glob(filepath.Join(dir, "*.qual")); len(files) == 0 {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			pol, err := rules.Load(dir)
			require.NoError(t, err)
			ds := vet.Vet(pol)
			assert.Empty(t, ds, "%s", render(ds))
		})
	}
}

// declaredCodes finds the parser.Code constants of the vet package.
func declaredCodes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var out []string
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
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						s, err := strconv.Unquote(lit.Value)
						require.NoError(t, err)
						out = append(out, s)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestVet_implications pins what W101 proves, and what it must not claim.
func TestVet_implications(t *testing.T) {
	tests := []struct {
		earlier, later string
		shadowed       bool
	}{
		{`x >= 50`, `x >= 80`, true},
		{`x >= 50`, `x > 50`, true},
		{`x > 50`, `x >= 50`, false},
		{`x >= 50 || y`, `x >= 80 && z`, true},
		{`x >= 50 && y`, `x >= 80`, false},
		{`x in 0..90`, `x in 10..20`, true},
		{`x in 0..90`, `x == 45`, true},
		{`x in 0..90`, `x > 5 && x < 6`, false},
		{`x <= 90`, `x in 0..90`, true},
		{`r in ["a", "b"]`, `r == "a"`, true},
		{`r in ["a", "b"]`, `r in ["a", "c"]`, false},
		{`r == "a"`, `r in ["a"]`, true},
		{`y`, `y and z`, true},
		{`!y`, `y`, false},
		{`(x ?? 0) > 3`, `(x ?? 0) > 5`, true},
	}
	for _, tt := range tests {
		t.Run(tt.earlier+" / "+tt.later, func(t *testing.T) {
			src := "policy \"p\"\nlet a = 1\nclassify stage {\n  first  when " + tt.earlier + "\n  second when " + tt.later + "\n  rest\n}\n"
			pol, err := rules.Compile("p.qual", src)
			require.NoError(t, err)
			shadowed := false
			for _, d := range vet.Vet(pol) {
				if d.Code == vet.CodeShadowedStep && strings.Contains(d.Message, "step second") {
					shadowed = true
				}
			}
			assert.Equal(t, tt.shadowed, shadowed)
		})
	}
}
