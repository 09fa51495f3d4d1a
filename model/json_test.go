package model

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodingJSON is how encoding/json writes s with HTML escaping off, the
// reference appendString must match.
func encodingJSON(t *testing.T, x any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(x))
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestAppendString_matchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f",
		"<html> & more", "é ü 日本", "line\u2028sep\u2029para", "bad \xff utf8 \xc3", "\b\f",
	} {
		assert.Equal(t, encodingJSON(t, s), string(appendString(nil, s)), "%q", s)
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		assert.Equal(t, encodingJSON(t, s), string(appendString(nil, s)))
	})
}

func TestAppendAny_matchesEncodingJSON(t *testing.T) {
	x := map[string]any{"b": []any{1, 2.5, "x", true, nil, json.Number("12")}, "a": map[string]any{"z": 1, "y": "<"}}
	assert.Equal(t, encodingJSON(t, x), string(appendAny(nil, x, 0)))
}

func TestResultJSON_isValidAndComplete(t *testing.T) {
	max := 60.0
	r := &Result{
		Policy: PolicyInfo{Name: "p", Version: "1", Hash: "sha256:00"},
		Now:    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Stage:  "sql",
		Labels: map[string]string{"stage": "sql", "grade": "A"},
		Score:  Score{Total: 88.7792162141, Groups: map[string]GroupScore{"fit": {Points: 50, Raw: 55, Max: &max}}},
		Frameworks: map[string]*FrameworkResult{"BANT": {Met: 3, Unknown: 1, Total: 4, Qualified: true,
			Criteria: map[string]Status{"budget": Met, "timeline": Unknown}}},
		Missing: []string{"timeline.days"},
		Trace: []Step{
			{Kind: StepLet, Name: "dm", Outcome: HasValue, Value: ValueOf(true), At: "p.qual:1:1"},
			{Kind: StepRule, Group: "fit", Label: "x", Outcome: Matched, Points: 15, Each: true, Matches: 2, Counted: 1,
				Reads: Reads{{Name: "events", Value: ValueOf([]any{map[string]any{"at": "2026-10-01T00:00:00Z"}})}, {Name: "gone"}}, At: "p.qual:2:3"},
			{Kind: StepGroup, Group: "fit", Outcome: HasValue, Points: 50, Raw: 55},
		},
	}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.True(t, json.Valid(b))
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, 88.779216214, back["score"].(map[string]any)["total"])
	assert.Equal(t, []any{"timeline.days"}, back["missing"])
	steps := back["trace"].([]any)
	require.Len(t, steps, 3)
	assert.Equal(t, map[string]any{"kind": "rule", "group": "fit", "label": "x", "outcome": "matched", "points": 15.0,
		"matches": 2.0, "counted": 1.0, "reads": map[string]any{"events": []any{map[string]any{"at": "2026-10-01T00:00:00Z"}}, "gone": nil},
		"at": "p.qual:2:3"}, steps[1])
	assert.Equal(t, string(b), string(r.AppendJSON(nil)))

	empty, err := json.Marshal(&Result{})
	require.NoError(t, err)
	assert.Contains(t, string(empty), `"missing":[],"trace":[]`)
}
