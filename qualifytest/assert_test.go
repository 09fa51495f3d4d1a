package qualifytest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/qualifytest"
)

// recorder is a testify TestingT that records failures.
type recorder struct{ msgs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

var now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func vpResult(t *testing.T) *model.Result {
	t.Helper()
	facts, err := os.ReadFile(filepath.Join("..", "testdata", "leads", "acme", "vp.json"))
	require.NoError(t, err)
	return qualifytest.Evaluate(t, filepath.Join("..", "examples", "acme"), facts, now)
}

// TestAssert_passes checks assertions that hold report nothing.
func TestAssert_passes(t *testing.T) {
	res := vpResult(t)
	rec := &recorder{}
	a := qualifytest.Assert(rec, res)
	assert.True(t, a.Stage("sql"))
	assert.True(t, a.Label("grade", "A"))
	assert.True(t, a.Score("fit", 50))
	assert.True(t, a.Score("total", 88.78), "scores compare to two decimals")
	assert.True(t, a.Matched("fit", "Target industry"))
	assert.True(t, a.Unmatched("fit", "Free-mail address"))
	assert.True(t, a.Points("engagement", "Webinar attended", 3.78))
	assert.True(t, a.Matched("BANT", "budget"))
	assert.True(t, a.Criterion("BANT", "Budget confirmed", model.Met))
	assert.True(t, a.Qualified("BANT", true))
	assert.True(t, a.Matched("stage", "sql"))
	assert.True(t, a.Unmatched("stage", "disqualified"))
	assert.True(t, a.Missing("budget.amount"))
	assert.Empty(t, rec.msgs)
}

// TestAssert_fails checks that each assertion can fail, and that its
// message shows the trace that explains the failure.
func TestAssert_fails(t *testing.T) {
	res := vpResult(t)
	cases := []struct {
		name  string
		check func(a *qualifytest.Assertions) bool
		want  []string // parts of the failure message
	}{
		{"stage", func(a *qualifytest.Assertions) bool { return a.Stage("mql") },
			[]string{`expected: "mql"`, `actual  : "sql"`, "stage = sql", "matched    sql           score.total=88.78  BANT.qualified=true  acme.qual:64:3"}},
		{"unknown ladder", func(a *qualifytest.Assertions) bool { return a.Label("tier", "A") },
			[]string{"the result has no ladder tier; it has grade and stage"}},
		{"score", func(a *qualifytest.Assertions) bool { return a.Score("fit", 60) },
			[]string{"score.fit = 50 (max 60)", "matched    +15  Target industry"}},
		{"total", func(a *qualifytest.Assertions) bool { return a.Score("total", 90) },
			[]string{"score.total = 88.78", "score.engagement  = 38.78"}},
		{"matched", func(a *qualifytest.Assertions) bool { return a.Matched("fit", "Free-mail address") },
			[]string{`fit "Free-mail address" is unmatched, want matched`, "unmatched  0  Free-mail address  free_mail=false  acme.qual:42:3"}},
		{"unknown rule", func(a *qualifytest.Assertions) bool { return a.Matched("fit", "Free-mail adress") },
			[]string{`the trace has no rule, criterion or ladder step "Free-mail adress" in fit; did you mean "Free-mail address"?`}},
		{"step not reached", func(a *qualifytest.Assertions) bool { return a.Unmatched("stage", "mql") },
			[]string{`no rule, criterion or ladder step "mql" in stage`, "a ladder step after the one that matched is not evaluated"}},
		{"points", func(a *qualifytest.Assertions) bool { return a.Points("engagement", "Webinar attended", 5) },
			[]string{"points of engagement \"Webinar attended\"", "2 matched, 2 counted"}},
		{"criterion", func(a *qualifytest.Assertions) bool { return a.Criterion("BANT", "timeline", model.Unknown) },
			[]string{`expected: "unknown"`, `actual  : "met"`, "met  timeline  Buying within a quarter  timeline.days=30"}},
		{"qualified", func(a *qualifytest.Assertions) bool { return a.Qualified("BANT", false) },
			[]string{"BANT: qualified, 4/4 met"}},
		{"missing", func(a *qualifytest.Assertions) bool { return a.Missing("timeline.days") },
			[]string{`does not contain "timeline.days"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			assert.False(t, tc.check(qualifytest.Assert(rec, res)), "the assertion holds")
			require.Len(t, rec.msgs, 1)
			for _, w := range tc.want {
				assert.Contains(t, rec.msgs[0], w)
			}
		})
	}
	rec := &recorder{}
	assert.False(t, qualifytest.Assert(rec, nil).Stage("sql"))
	assert.Contains(t, strings.Join(rec.msgs, ""), "no result to check")
}

// TestAssert_message pins one whole failure message, as go test shows it.
func TestAssert_message(t *testing.T) {
	rec := &recorder{}
	qualifytest.Assert(rec, vpResult(t)).Stage("mql")
	require.Len(t, rec.msgs, 1)
	// The Error Trace lines name files of this machine.
	got := regexp.MustCompile(`(?m)^\s*(Error Trace:)?\s*\S*\.go:\d+\n`).ReplaceAllString(rec.msgs[0], "")
	golden(t, filepath.Join(fixtures, "assert_stage.golden"), got+"\n")
}
