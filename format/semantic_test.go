package format_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/format"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

var evalNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// qualFiles lists every .qual file under the roots, sorted.
func qualFiles(t *testing.T, roots ...string) []string {
	t.Helper()
	var out []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".qual") {
				out = append(out, path)
			}
			return nil
		})
		require.NoError(t, err)
	}
	sort.Strings(out)
	return out
}

// TestSource_everyFile formats every .qual file of testdata/ and examples/
// (policies and tests): the result must parse, mean the same (same
// statements, names, literals, comments and expr syntax trees), and not
// change when formatted again. A file the formatter refuses must be one the
// compiler rejects with the same syntax error.
func TestSource_everyFile(t *testing.T) {
	files := qualFiles(t, filepath.Join("..", "testdata"), filepath.Join("..", "examples"))
	require.NotEmpty(t, files)
	formatted, refused := 0, 0
	for _, path := range files {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			out, err := format.Source(path, src)
			if err != nil {
				refused++
				var d *parser.Diagnostic
				require.True(t, errors.As(err, &d), "a refusal is a diagnostic: %v", err)
				assert.Contains(t, []parser.Code{parser.CodeSyntax, parser.CodeLiteral}, d.Code)
				if strings.HasSuffix(path, "_test.qual") {
					return // the compiler does not read test blocks
				}
				_, cerr := rules.CompileFiles([]rules.SourceFile{{Name: path, Text: string(src)}})
				require.Error(t, cerr, "fmt refuses a file that compiles")
				assert.Contains(t, cerr.Error(), firstLine(d.Error()), "fmt and the compiler disagree on the syntax error")
				return
			}
			formatted++
			require.NoError(t, format.Equivalent(path, string(src), string(out)))
			again, err := format.Source(path, out)
			require.NoError(t, err)
			assert.Equal(t, string(out), string(again), "not idempotent")
		})
	}
	t.Logf("%d files formatted, %d refused", formatted, refused)
	assert.NotZero(t, formatted)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// policyUnits groups the .qual files of testdata/ and examples/ into
// policies: every directory of examples/, testdata/policies/ and
// testdata/errors/ is one policy; every other policy file is one on its own.
func policyUnits(t *testing.T) map[string][]string {
	t.Helper()
	units := map[string][]string{}
	for _, path := range qualFiles(t, filepath.Join("..", "testdata"), filepath.Join("..", "examples")) {
		if strings.HasSuffix(path, "_test.qual") {
			continue
		}
		dir := filepath.Dir(path)
		parent := filepath.Base(filepath.Dir(dir))
		key := path
		if parent == "examples" || parent == "policies" || parent == "errors" {
			key = dir
		}
		units[key] = append(units[key], path)
	}
	return units
}

// TestSource_keepsResults compiles every policy of testdata/ and examples/
// before and after formatting. A policy that does not compile must give the
// same errors (codes and messages; positions move). One that compiles must
// give the same results, trace included (positions and the content hash
// aside), on its sample leads in testdata/leads/NAME/ and on leads generated
// from its schema and its literals.
func TestSource_keepsResults(t *testing.T) {
	units := policyUnits(t)
	keys := make([]string, 0, len(units))
	for k := range units {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	compiled := 0
	for _, key := range keys {
		t.Run(filepath.ToSlash(key), func(t *testing.T) {
			var before, after []rules.SourceFile
			for _, path := range units[key] {
				src, err := os.ReadFile(path)
				require.NoError(t, err)
				out, err := format.Source(path, src)
				if err != nil {
					t.Skipf("%s is refused: %v", path, firstLine(err.Error()))
				}
				before = append(before, rules.SourceFile{Name: path, Text: string(src)})
				after = append(after, rules.SourceFile{Name: path, Text: string(out)})
			}
			polA, errA := rules.CompileFiles(before)
			polB, errB := rules.CompileFiles(after)
			if errA != nil || errB != nil {
				require.Error(t, errA, "compiles only once formatted: %v", errB)
				require.Error(t, errB, "compiles only before formatting: %v", errA)
				assert.Equal(t, diagSummary(errA), diagSummary(errB))
				return
			}
			compiled++
			leads := sampleLeads(t, filepath.Base(key))
			leads = append(leads, generatedLeads(polA, units[key], 25)...)
			evA, evB := eval.New(polA, eval.WithNow(evalNow)), eval.New(polB, eval.WithNow(evalNow))
			for i, lead := range leads {
				a, b := result(evA, lead), result(evB, lead)
				require.Equal(t, a, b, "lead %d differs: %s", i, lead)
			}
		})
	}
	assert.Greater(t, compiled, 10)
}

// diagSummary lists the codes and messages of a compile error.
func diagSummary(err error) []string {
	var out []string
	for _, d := range parser.Diagnostics(err) {
		out = append(out, string(d.Code)+" "+d.Message)
	}
	sort.Strings(out)
	return out
}

var positions = regexp.MustCompile(`[\w./-]+\.qual:\d+:\d+`)

// result evaluates a lead and renders the result without positions.
func result(ev *eval.Evaluator, lead []byte) string {
	res, err := ev.Evaluate(context.Background(), lead)
	if err != nil {
		return "error: " + positions.ReplaceAllString(err.Error(), "POS")
	}
	res.Policy.Hash = ""
	trace := res.Trace()
	for i := range trace {
		trace[i].At = ""
	}
	res.SetTrace(model.StepList(trace))
	b, err := json.Marshal(res)
	if err != nil {
		return "marshal error: " + err.Error()
	}
	return string(b)
}

func sampleLeads(t *testing.T, name string) [][]byte {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "leads", name, "*.json"))
	require.NoError(t, err)
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

var (
	stringLit = regexp.MustCompile(`"((?:[^"\\\n]|\\.)*)"`)
	numberLit = regexp.MustCompile(`\b\d[\d_]*(?:\.\d+)?\b`)
)

// generatedLeads makes n leads for a policy: every fact it declares (or,
// untyped, reads) is missing or set, at random with a fixed seed, to a
// value of its type, taken near the policy's own literals so that its
// conditions go both ways.
func generatedLeads(pol *rules.Policy, files []string, n int) [][]byte {
	var strs []string
	nums := []float64{0, 1}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range stringLit.FindAllStringSubmatch(string(b), -1) {
			if s, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
				strs = append(strs, s)
			}
		}
		for _, m := range numberLit.FindAllString(string(b), -1) {
			if v, err := strconv.ParseFloat(strings.ReplaceAll(m, "_", ""), 64); err == nil {
				nums = append(nums, v, v+1, v-1)
			}
		}
	}
	strs = append(strs, "", "other")
	rng := rand.New(rand.NewSource(int64(len(strs)*31 + len(nums))))
	str := func() string { return strs[rng.Intn(len(strs))] }
	num := func() float64 { return nums[rng.Intn(len(nums))] }
	day := func() string {
		return evalNow.AddDate(0, 0, rng.Intn(800)-600).Format(time.RFC3339)
	}
	var value func(t *rules.Type) any
	value = func(t *rules.Type) any {
		if t == nil {
			return map[string]any{}
		}
		switch t.Kind {
		case model.KindBool:
			return rng.Intn(2) == 0
		case model.KindInt:
			return int64(num())
		case model.KindNumber:
			return num()
		case model.KindString:
			return str()
		case model.KindTime:
			return day()
		case model.KindDuration:
			return fmt.Sprintf("%dd", rng.Intn(90))
		case model.KindList:
			var list []any
			for i := rng.Intn(5); i > 0; i-- {
				list = append(list, value(t.Elem))
			}
			return list
		}
		ev := map[string]any{"type": str(), "at": day(), "url": str(), "weight": num()}
		return ev
	}
	type fact struct {
		path []string
		typ  *rules.Type
	}
	var facts []fact
	if pol.Schema != nil {
		for _, f := range pol.Schema.Facts {
			facts = append(facts, fact{strings.Split(f.Path, "."), f.Type})
		}
	} else {
		for _, r := range pol.FactReads {
			facts = append(facts, fact{path: strings.Split(r.Name, ".")})
		}
	}
	kinds := []model.Kind{model.KindBool, model.KindInt, model.KindNumber, model.KindString}
	var out [][]byte
	for i := 0; i < n; i++ {
		lead := map[string]any{}
		for _, f := range facts {
			if rng.Intn(5) == 0 {
				continue
			}
			typ := f.typ
			if typ == nil {
				typ = &rules.Type{Kind: kinds[rng.Intn(len(kinds))]}
			}
			m := lead
			for _, seg := range f.path[:len(f.path)-1] {
				next, ok := m[seg].(map[string]any)
				if !ok {
					next = map[string]any{}
					m[seg] = next
				}
				m = next
			}
			m[f.path[len(f.path)-1]] = value(typ)
		}
		b, _ := json.Marshal(lead)
		out = append(out, b)
	}
	return out
}
