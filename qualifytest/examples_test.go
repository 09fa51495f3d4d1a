package qualifytest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/qualifytest"
)

// TestExamples runs the tests of every example policy in examples/, each
// as subtests through qualifytest.Run, and requires them to cover every
// outcome of the policy: each rule, criterion and ladder step seen both
// matched and unmatched (fallback steps reached).
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "examples", "*"))
	require.NoError(t, err)
	found := 0
	for _, dir := range dirs {
		policies, _ := filepath.Glob(filepath.Join(dir, "*.qual"))
		if info, err := os.Stat(dir); err != nil || !info.IsDir() || len(policies) == 0 {
			continue
		}
		found++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			qualifytest.Run(t, dir, qualifytest.MinCoverage(100))
		})
	}
	require.NotZero(t, found, "no example policies found")
}
