package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runQualify runs the CLI in memory and returns its exit code, standard
// output and standard error.
func runQualify(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	code := run(env, args)
	return code, out.String(), errOut.String()
}

func TestCLI_usage(t *testing.T) {
	code, _, _ := runQualify(t, "")
	assert.Equal(t, exitUsage, code)
	code, out, _ := runQualify(t, "", "help")
	assert.Equal(t, exitOK, code)
	for _, name := range []string{"check", "eval", "score"} {
		assert.Contains(t, out, name)
	}
	code, _, errOut := runQualify(t, "", "frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
	code, out, _ = runQualify(t, "", "eval", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: qualify eval")
}

func TestCheck(t *testing.T) {
	code, out, _ := runQualify(t, "", "check", "../../examples/acme")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "ok  ../../examples/acme  (acme-b2b 2026.11.1)")

	code, out, _ = runQualify(t, "", "check", "../../examples/...")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, 5, strings.Count(out, "ok  "), out)

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.qual")
	require.NoError(t, os.WriteFile(bad, []byte("policy \"p\"\nlet x = y +\nclassify stage {\n  a\n}\n"), 0o644))
	code, _, errOut := runQualify(t, "", "check", bad)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "bad.qual:")
	assert.Contains(t, errOut, "error[E")

	code, out, _ = runQualify(t, "", "check", "--json", bad)
	assert.Equal(t, exitFail, code)
	var diags []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &diags))
	require.NotEmpty(t, diags)
	assert.Equal(t, "error", diags[0]["severity"])
}

func TestEval(t *testing.T) {
	lead := "../../testdata/leads/acme/vp.json"
	code, out, errOut := runQualify(t, "", "eval", "-p", "../../examples/acme", lead, "--now", "2026-11-01")
	require.Equal(t, exitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "stage: sql\n"), out)

	// Flags may come after the lead; the lead may come on standard input.
	b, err := os.ReadFile(lead)
	require.NoError(t, err)
	code, out, errOut = runQualify(t, string(b), "eval", "--json", "-p", "../../examples/acme", "--now=2026-11-01")
	require.Equal(t, exitOK, code, errOut)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, "sql", res["stage"])

	code, _, errOut = runQualify(t, `{"company": {"employees": "lots"}}`, "eval", "-p", "../../examples/acme", "-")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, `company.employees: expected int, found "lots"`)

	code, _, errOut = runQualify(t, "", "eval", lead)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "-p POLICY is required")

	code, _, _ = runQualify(t, "", "eval", "-p", "../../examples/acme", "--now", "yesterday", lead)
	assert.Equal(t, exitUsage, code)

	// --lenient takes numbers written as strings, as CRM APIs send them.
	crm := `{"contact": {"email": "a@b.c"}, "company": {"employees": "250", "industry": "saas"}}`
	code, _, errOut = runQualify(t, crm, "eval", "-p", "../../examples/acme", "-")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, `company.employees: expected int, found "250"`)
	code, out, errOut = runQualify(t, crm, "eval", "--lenient", "--json", "-p", "../../examples/acme", "-")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"company.employees": 250`)
}

// scoreLines parses the JSONL output of qualify score.
func scoreLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		lines = append(lines, m)
	}
	return lines
}

func TestScore_jsonl(t *testing.T) {
	var in strings.Builder
	leads, _ := filepath.Glob("../../testdata/leads/acme/*.json")
	for _, l := range leads {
		b, err := os.ReadFile(l)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(b, &v))
		line, _ := json.Marshal(v)
		in.Write(line)
		in.WriteByte('\n')
	}
	in.WriteString("\n")
	in.WriteString("{not json\r\n")
	in.WriteString(`{"contact": {"email": "a@b.c"}, "company": {"employees": "lots"}}` + "\n")
	in.WriteString(`{"contact": {"email": "last@b.c"}}`) // no final newline

	code, out, errOut := runQualify(t, in.String(), "score", "-p", "../../examples/acme", "--now", "2026-11-01", "--trace=false")
	require.Equal(t, exitOK, code, errOut)
	lines := scoreLines(t, out)
	require.Len(t, lines, len(leads)+4, "one output line per input line")
	for i, l := range lines {
		assert.Equal(t, float64(i+1), l["line"], "in input order")
	}
	n := len(leads)
	assert.Contains(t, lines[n]["error"], "empty line")
	assert.Contains(t, lines[n+1]["error"], "JSON syntax error")
	assert.Equal(t, `company.employees: expected int, found "lots"`, lines[n+2]["error"])
	assert.Equal(t, "unqualified", lines[n+3]["result"].(map[string]any)["stage"])
	assert.Empty(t, lines[0]["result"].(map[string]any)["trace"], "--trace=false leaves the trace out")
	assert.Contains(t, errOut, "scored 9 leads")
	assert.Contains(t, errOut, "3 errors")

	code, _, _ = runQualify(t, in.String(), "score", "-p", "../../examples/acme", "--strict", "--quiet")
	assert.Equal(t, exitFail, code, "--strict fails on a bad lead")
}

func TestScore_csvAndFiles(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "leads.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte(
		"company.industry,company.employees,contact.email,contact.competitor,pains,events\n"+
			"saas,250,ana@acme.io,false,manual scoring|slow sync,\"[{\"\"type\"\":\"\"webinar\"\",\"\"at\"\":\"\"2026-10-02\"\"}]\"\n"+
			"retail,lots,tom@x.io,,,\n"+
			",,,true,,\n"), 0o644))
	outPath := filepath.Join(dir, "out.jsonl")
	code, out, errOut := runQualify(t, "", "score", "-p", "../../examples/acme", "--now", "2026-11-01", "-o", outPath, csvPath)
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, out)
	b, err := os.ReadFile(outPath)
	require.NoError(t, err)
	lines := scoreLines(t, string(b))
	require.Len(t, lines, 3)
	assert.Equal(t, 2.0, lines[0]["line"], "CSV lines count the header")
	res := lines[0]["result"].(map[string]any)
	assert.Equal(t, []any{"manual scoring", "slow sync"}, res["trace"].([]any)[4].(map[string]any)["reads"].(map[string]any)["pains"])
	webinar := 0.0
	for _, st := range res["trace"].([]any) {
		if st := st.(map[string]any); st["label"] == "Webinar attended" {
			webinar = st["matches"].(float64)
		}
	}
	assert.Equal(t, 1.0, webinar, "the events cell is read as JSON")
	assert.Equal(t, `company.employees: expected int, found "lots"`, lines[1]["error"])
	assert.Equal(t, "contact.email: required fact is missing", lines[2]["error"])

	// Several inputs: lines name their file.
	jsonl := filepath.Join(dir, "b.jsonl")
	require.NoError(t, os.WriteFile(jsonl, []byte(`{"contact": {"email": "a@b.c"}}`+"\n"), 0o644))
	code, out, _ = runQualify(t, "", "score", "-p", "../../examples/acme", "--quiet", csvPath, jsonl)
	require.Equal(t, exitOK, code)
	lines = scoreLines(t, out)
	require.Len(t, lines, 4)
	assert.Equal(t, csvPath, lines[0]["file"])
	assert.Equal(t, jsonl, lines[3]["file"])
	assert.Equal(t, 1.0, lines[3]["line"])

	// An input that cannot be read is an error, and the others are scored.
	missing := filepath.Join(dir, "missing.jsonl")
	code, out, errOut = runQualify(t, "", "score", "-p", "../../examples/acme", "--quiet", jsonl, missing, csvPath)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "missing.jsonl")
	lines = scoreLines(t, out)
	require.Len(t, lines, 4)
	assert.Equal(t, jsonl, lines[0]["file"])
	assert.Equal(t, csvPath, lines[3]["file"])
}

// TestScore_byteOrderMark: a JSONL file or lead that starts with a UTF-8
// byte order mark, as Windows tools write them, is read without it.
func TestScore_byteOrderMark(t *testing.T) {
	lead := `{"contact": {"email": "a@b.c"}}`
	code, out, errOut := runQualify(t, "\ufeff"+lead+"\n"+lead+"\n", "score", "-p", "../../examples/acme", "--quiet", "--trace=false")
	require.Equal(t, exitOK, code, errOut)
	for _, l := range scoreLines(t, out) {
		assert.Nil(t, l["error"])
	}
	code, out, errOut = runQualify(t, "\ufeff"+lead, "eval", "-p", "../../examples/acme", "--json")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"stage"`)
}

func TestScore_errors(t *testing.T) {
	code, _, errOut := runQualify(t, "", "score", "-p", "../../examples/acme", "no/such/file.jsonl")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "no/such/file.jsonl")
	code, _, _ = runQualify(t, "", "score", "no-policy.jsonl")
	assert.Equal(t, exitUsage, code)
	code, _, _ = runQualify(t, "", "score", "-p", "../../examples/acme", "--format", "xml")
	assert.Equal(t, exitUsage, code)
	for _, w := range []string{"-1", "1025", "100000000"} {
		code, _, errOut = runQualify(t, "", "score", "-p", "../../examples/acme", "--workers", w)
		assert.Equal(t, exitUsage, code, w)
		assert.Contains(t, errOut, "--workers must be between 1 and 1024", w)
	}

	// -o naming an input (by another path too) would erase it: refused,
	// and the file is left as it was.
	dir := t.TempDir()
	leads := filepath.Join(dir, "leads.jsonl")
	lead := `{"contact": {"email": "a@b.c"}}` + "\n"
	require.NoError(t, os.WriteFile(leads, []byte(lead), 0o644))
	for _, out := range []string{leads, filepath.Join(dir, ".", "leads.jsonl")} {
		code, _, errOut = runQualify(t, "", "score", "-p", "../../examples/acme", "-o", out, leads)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "writing the results would erase the leads before they are read")
		b, err := os.ReadFile(leads)
		require.NoError(t, err)
		assert.Equal(t, lead, string(b))
	}
	code, _, errOut = runQualify(t, "", "score", "-p", "../../examples/acme", "--quiet", "-o", filepath.Join(dir, "out.jsonl"), leads)
	assert.Equal(t, exitOK, code, errOut)
}

func TestReadLine_longLines(t *testing.T) {
	long := strings.Repeat("x", 300<<10)
	in := "a\n" + long + "\n" + strings.Repeat("y", 40) + "\n"
	var got []string
	var tooLong []bool
	var errp error
	for lead := range jsonlLeads(strings.NewReader(in), &errp) {
		if lead.Err != nil {
			got = append(got, lead.Err.Error())
		} else {
			got = append(got, string(lead.Facts.([]byte)))
		}
		tooLong = append(tooLong, lead.Err != nil)
	}
	require.NoError(t, errp)
	require.Len(t, got, 3)
	assert.Equal(t, "a", got[0])
	assert.Equal(t, long, got[1], "a line longer than the read buffer is read whole")
	assert.Equal(t, strings.Repeat("y", 40), got[2])
}
