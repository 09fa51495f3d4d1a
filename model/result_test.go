package model

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lookupResult is a result with two of each list, sorted by name.
func lookupResult() *Result {
	min, max := 0.0, 50.0
	return &Result{
		Labels: []Label{{Ladder: "grade", Value: "A"}, {Ladder: "stage", Value: "sql"}},
		Score: Score{Total: 70, Groups: []GroupScore{
			{Name: "engagement", Points: 20, Raw: 20},
			{Name: "fit", Points: 50, Raw: 55, Min: &min, Max: &max},
		}},
		Frameworks: []FrameworkResult{
			{Name: "BANT", Met: 1, Unknown: 1, Total: 2, Criteria: []CriterionStatus{{Name: "budget", Status: Met}, {Name: "timeline", Status: Unknown}}},
			{Name: "MEDDIC", Unmet: 1, Total: 1, Criteria: []CriterionStatus{{Name: "metrics", Status: Unmet}}},
		},
	}
}

func TestResult_lookups(t *testing.T) {
	r := lookupResult()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"label found", r.Label("grade"), "A"},
		{"label of the last ladder", r.Label("stage"), "sql"},
		{"label not found", r.Label("tier"), ""},
		{"group found", r.Group("fit").Points, 50.0},
		{"group found keeps its bounds", *r.Group("fit").Max, 50.0},
		{"group not found", r.Group("intent"), GroupScore{}},
		{"framework found", r.Framework("MEDDIC").Unmet, 1},
		{"framework not found", r.Framework("CHAMP") == nil, true},
		{"criterion found", r.Framework("BANT").Criterion("timeline"), Unknown},
		{"criterion not found", r.Framework("BANT").Criterion("need"), Status("")},
		{"criterion of a missing framework", r.Framework("CHAMP").Criterion("budget"), Status("")},
		{"label of an empty result", (&Result{}).Label("grade"), ""},
		{"group of an empty result", (&Result{}).Group("fit"), GroupScore{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

func TestResult_Framework_pointsIntoTheResult(t *testing.T) {
	r := lookupResult()
	r.Framework("BANT").Qualified = true
	assert.True(t, r.Frameworks[0].Qualified)
}

// TestResult_lookupsFindTheFirstOfOneName checks the lookups of a result
// built by hand with a name twice.
func TestResult_lookupsFindTheFirstOfOneName(t *testing.T) {
	r := &Result{
		Labels:     []Label{{Ladder: "grade", Value: "A"}, {Ladder: "grade", Value: "B"}},
		Score:      Score{Groups: []GroupScore{{Name: "fit", Points: 1}, {Name: "fit", Points: 2}}},
		Frameworks: []FrameworkResult{{Name: "BANT", Met: 1, Criteria: []CriterionStatus{{Name: "budget", Status: Met}, {Name: "budget", Status: Unmet}}}, {Name: "BANT", Met: 2}},
	}
	assert.Equal(t, "A", r.Label("grade"))
	assert.Equal(t, 1.0, r.Group("fit").Points)
	assert.Equal(t, 1, r.Framework("BANT").Met)
	assert.Equal(t, Met, r.Framework("BANT").Criterion("budget"))
}

// TestResultJSON_unsortedLists checks that a result built by hand with its
// lists out of order is written as the same result sorted, and explained
// the same.
func TestResultJSON_unsortedLists(t *testing.T) {
	sorted := lookupResult()
	unsorted := lookupResult()
	unsorted.Labels[0], unsorted.Labels[1] = unsorted.Labels[1], unsorted.Labels[0]
	g := unsorted.Score.Groups
	g[0], g[1] = g[1], g[0]
	f := unsorted.Frameworks
	f[0], f[1] = f[1], f[0]
	c := f[1].Criteria
	c[0], c[1] = c[1], c[0]

	want, err := json.Marshal(sorted)
	require.NoError(t, err)
	assert.Contains(t, string(want), `"labels":{"grade":"A","stage":"sql"}`)
	assert.Contains(t, string(want), `"criteria":{"budget":"met","timeline":"unknown"}`)
	got, err := json.Marshal(unsorted)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	assert.Equal(t, string(want), string(unsorted.AppendJSON(nil)))
	assert.Equal(t, sorted.Explain(), unsorted.Explain())
	assert.Equal(t, "timeline", unsorted.Frameworks[1].Criteria[0].Name, "writing the JSON leaves the lists as they were")
}

// TestResultJSON_duplicateNames checks a result built by hand with a name
// twice in one of its lists: MarshalJSON refuses it, and AppendJSON, which
// cannot, writes the entry the lookups find.
func TestResultJSON_duplicateNames(t *testing.T) {
	tests := []struct {
		name    string
		change  func(r *Result)
		wantErr string
		written string
	}{
		{
			name:    "label",
			change:  func(r *Result) { r.Labels = append(r.Labels, Label{Ladder: "grade", Value: "B"}) },
			wantErr: `model: the result has two labels of ladder "grade"`,
			written: `"labels":{"grade":"A","stage":"sql"}`,
		},
		{
			name: "group",
			change: func(r *Result) {
				r.Score.Groups = append([]GroupScore{{Name: "fit", Points: 1, Raw: 1}}, r.Score.Groups...)
			},
			wantErr: `model: the result has two score groups named "fit"`,
			written: `"groups":{"engagement":{"points":20,"raw":20,"min":null,"max":null},"fit":{"points":1,"raw":1,"min":null,"max":null}}`,
		},
		{
			name:    "framework",
			change:  func(r *Result) { r.Frameworks = append(r.Frameworks, FrameworkResult{Name: "BANT", Met: 9}) },
			wantErr: `model: the result has two frameworks named "BANT"`,
			written: `"frameworks":{"BANT":{"met":1,`,
		},
		{
			name: "criterion",
			change: func(r *Result) {
				f := &r.Frameworks[0]
				f.Criteria = append(f.Criteria, CriterionStatus{Name: "budget", Status: Unmet})
			},
			wantErr: `model: framework "BANT" has two criteria named "budget"`,
			written: `"criteria":{"budget":"met","timeline":"unknown"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lookupResult()
			r.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			tt.change(r)
			_, err := json.Marshal(r)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			b := r.AppendJSON(nil)
			assert.True(t, json.Valid(b), "%s", b)
			assert.Contains(t, string(b), tt.written)
		})
	}
}

// TestScoreAndFrameworkJSON_duplicateNames checks that a score or a
// framework marshalled on its own refuses a name twice too.
func TestScoreAndFrameworkJSON_duplicateNames(t *testing.T) {
	_, err := json.Marshal(Score{Groups: []GroupScore{{Name: "fit"}, {Name: "fit"}}})
	assert.ErrorContains(t, err, `two score groups named "fit"`)
	_, err = json.Marshal(&FrameworkResult{Name: "BANT", Criteria: []CriterionStatus{{Name: "need"}, {Name: "need"}}})
	assert.ErrorContains(t, err, `framework "BANT" has two criteria named "need"`)
	b, err := json.Marshal(Score{Total: 3, Groups: []GroupScore{{Name: "fit", Points: 3, Raw: 3}}})
	require.NoError(t, err)
	assert.Equal(t, `{"total":3,"groups":{"fit":{"points":3,"raw":3,"min":null,"max":null}}}`, string(b))
}
