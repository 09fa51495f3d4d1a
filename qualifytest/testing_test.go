package qualifytest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeT records what run reports, so that the tests can watch it fail.
type fakeT struct {
	name   string
	errors []string
	logs   []string
	fatal  bool
	subs   []*fakeT
}

func (f *fakeT) Helper()                      {}
func (f *fakeT) Context() context.Context     { return context.Background() }
func (f *fakeT) Logf(format string, a ...any) { f.logs = append(f.logs, fmt.Sprintf(format, a...)) }
func (f *fakeT) Errorf(format string, a ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, a...))
}
func (f *fakeT) Fatalf(format string, a ...any) {
	f.fatal = true
	f.Errorf(format, a...)
}

func (f *fakeT) Run(name string, fn func(tester)) bool {
	sub := &fakeT{name: name}
	f.subs = append(f.subs, sub)
	fn(sub)
	return len(sub.errors) == 0
}

func (f *fakeT) failed() []string {
	var out []string
	for _, s := range f.subs {
		if len(s.errors) > 0 {
			out = append(out, s.name)
		}
	}
	return out
}

// writePolicy writes the shop policy and the given test file into a new
// directory, and returns the directory.
func writePolicy(t *testing.T, tests string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "testdata", "qualifytest", "shop", "shop.qual"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop.qual"), src, 0o644))
	if tests != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "shop_test.qual"), []byte(tests), 0o644))
	}
	return dir
}

const lead = `given { company: {employees: 500}, contact: {role: "vp", email: "a@b.example"}, budget: {approved: true}, pains: ["x"] }`

func TestRun_subtests(t *testing.T) {
	dir := writePolicy(t, `test "hot" {
  `+lead+`
  expect stage == "hot"
}

test "wrongly cold" {
  `+lead+`
  expect stage == "cold"
}
`)
	ft := &fakeT{}
	run(ft, dir)
	require.Len(t, ft.subs, 2)
	assert.Equal(t, "hot", ft.subs[0].name)
	assert.Equal(t, []string{"wrongly cold"}, ft.failed(), "the wrong expectation fails its subtest, and only it")
	require.Len(t, ft.subs[1].errors, 1)
	assert.Contains(t, ft.subs[1].errors[0], `shop_test.qual:8:10: expect stage == "cold"`)
	assert.Contains(t, ft.subs[1].errors[0], `stage = "hot"`)
	assert.Empty(t, ft.errors)
	assert.False(t, ft.fatal)
}

func TestRun_compileErrorStops(t *testing.T) {
	dir := writePolicy(t, `test "hot" {
  `+lead+`
  expect stgae == "hot"
}
`)
	ft := &fakeT{}
	run(ft, dir)
	assert.True(t, ft.fatal)
	assert.Empty(t, ft.subs)
	require.Len(t, ft.errors, 1)
	assert.Contains(t, ft.errors[0], "shop_test.qual:3:10: error[E320]: unknown name stgae")
}

func TestRun_noTestsFails(t *testing.T) {
	dir := writePolicy(t, "")
	ft := &fakeT{}
	run(ft, dir)
	assert.True(t, ft.fatal)
	require.Len(t, ft.errors, 1)
	assert.Contains(t, ft.errors[0], "has no tests")
}

func TestRun_minCoverage(t *testing.T) {
	dir := writePolicy(t, `test "hot" {
  `+lead+`
  expect stage == "hot"
}
`)
	ft := &fakeT{}
	run(ft, dir, MinCoverage(100))
	assert.Empty(t, ft.failed())
	require.Len(t, ft.errors, 1)
	msg := ft.errors[0]
	assert.True(t, strings.HasPrefix(msg, "the tests cover 41.1% of the policy, less than the 100.0% required\ncoverage: 41.1% of 17 outcomes"), msg)
	assert.Contains(t, msg, `shop.qual:24:3: rule fit "Tiny": never matched (unmatched in 1 test)`)

	ft = &fakeT{}
	run(ft, dir, MinCoverage(41))
	assert.Empty(t, ft.errors)
}

// TestRun_go runs the wrapper for real, on tests that pass.
func TestRun_go(t *testing.T) {
	Run(t, filepath.Join("..", "testdata", "qualifytest", "shop"))
}
