package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vetPolicy = `policy "p" version "1"

facts {
  company.employees  int
  company.name       string
  events             list<event>
}

score fit max 40 {
  +30  "Big company"  when company.employees > 100
  +5   "Webinar"      each events where .type == "webinar" limit 2
}

score open {
  +1  "Any event"  each events where true
}

classify stage {
  sql  when score.fit >= 50
  mql  when score.fit >= 20
  any
}
`

func TestVet_warnings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.qual")
	writeFile(t, path, vetPolicy)

	code, out, errOut := runQualify(t, "", "vet", path)
	assert.Equal(t, exitFail, code, "vet exits 1 when it warns")
	assert.Empty(t, out)
	assert.Contains(t, errOut, path+":5:3: warning[W104]: fact company.name is declared but never read\n 5 |   company.name       string\n   |   ^^^^^^^^^^^^\n   = why: ")
	assert.Contains(t, errOut, path+":19:13: warning[W100]: score.fit >= 50 never holds: score.fit is at most 40\n 19 |   sql  when score.fit >= 50\n    |             ^^^^^^^^^^^^^^^\n")
	assert.True(t, strings.HasSuffix(errOut, "\n2 warnings\n"), errOut)

	code, out, _ = runQualify(t, "", "vet", "--json", path)
	assert.Equal(t, exitFail, code)
	var report struct {
		Diagnostics []struct {
			Code, Severity, Message, Why string
			Range                        struct{ Start struct{ Line, Column int } }
		}
		Ranges []any
	}
	require.NoError(t, json.Unmarshal([]byte(out), &report), out)
	require.Len(t, report.Diagnostics, 2)
	assert.Equal(t, "W104", report.Diagnostics[0].Code)
	assert.Equal(t, "warning", report.Diagnostics[0].Severity)
	assert.NotEmpty(t, report.Diagnostics[0].Why)
	assert.Equal(t, 19, report.Diagnostics[1].Range.Start.Line)
	assert.Nil(t, report.Ranges, "ranges only with --ranges")
}

func TestVet_ranges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.qual")
	writeFile(t, path, vetPolicy)

	code, out, _ := runQualify(t, "", "vet", path, "--ranges")
	assert.Equal(t, exitFail, code)
	assert.Equal(t, path+`  (p 1)
  group        raw        clamp   points
  score.fit    0 .. 40    max 40  0 .. 40
  score.open   0 .. +inf  -       0 .. +inf
  score.total  0 .. +inf  -       0 .. +inf
  unbounded: score.open "Any event" (`+path+`:15:3): each without a limit scores every matching element

`, out)

	code, out, _ = runQualify(t, "", "vet", "--ranges", "--json", path)
	assert.Equal(t, exitFail, code)
	var report struct {
		Ranges []struct {
			Path   string
			Groups []struct {
				Name   string
				Raw    map[string]any
				Points map[string]any
				Rules  []struct{ Label, Unbounded string }
			}
			Total struct{ Points map[string]any }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &report), out)
	require.Len(t, report.Ranges, 1)
	r := report.Ranges[0]
	assert.Equal(t, path, r.Path)
	require.Len(t, r.Groups, 2)
	assert.Equal(t, map[string]any{"min": 0.0, "max": 40.0}, r.Groups[0].Points)
	assert.Equal(t, map[string]any{"min": 0.0, "max": nil}, r.Groups[1].Raw, "an unbounded end is null")
	assert.NotEmpty(t, r.Groups[1].Rules[0].Unbounded)
	assert.Equal(t, map[string]any{"min": 0.0, "max": nil}, r.Total.Points)
}

func TestVet_examplesAreClean(t *testing.T) {
	code, out, errOut := runQualify(t, "", "vet", "../../examples/...")
	assert.Equal(t, exitOK, code, errOut)
	assert.Equal(t, 5, strings.Count(out, "ok  "), out)

	code, out, _ = runQualify(t, "", "vet", "--ranges", "../../examples/acme")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "  score.engagement  -20 .. 50   min 0, max 100  0 .. 50\n")
}

func TestVet_compileErrorAndUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.qual")
	writeFile(t, bad, "policy \"p\"\nfacts {\n  a  int\n}\nlet x = b\nclassify stage {\n  a\n}\n")
	code, _, errOut := runQualify(t, "", "vet", bad)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "error[E201]: unknown name b")

	code, _, errOut = runQualify(t, "", "vet", "--frobnicate", bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "usage: qualify vet")

	code, out, _ := runQualify(t, "", "help", "vet")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: qualify vet [--ranges] [--json] [PATH...]")
}
