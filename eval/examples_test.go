package eval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestExamples pins the result of every bundled example policy on each of
// its sample leads: the JSON result in testdata/golden/<policy>/<lead>.json
// and the Explain text in <lead>.txt. Leads live in testdata/leads/<policy>/.
// Run with -update to rewrite the golden files after a deliberate change.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*")
	require.NoError(t, err)
	found := 0
	for _, dir := range dirs {
		if files, _ := filepath.Glob(filepath.Join(dir, "*.qual")); len(files) == 0 {
			continue
		}
		name := filepath.Base(dir)
		leads, err := filepath.Glob(filepath.Join("../testdata/leads", name, "*.json"))
		require.NoError(t, err)
		if len(leads) == 0 {
			t.Errorf("example %s has no sample leads in testdata/leads/%s", name, name)
			continue
		}
		pol, err := rules.Load(dir)
		require.NoError(t, err, "example %s", name)
		ev := eval.New(pol, eval.WithNow(now))
		for _, lead := range leads {
			found++
			leadName := strings.TrimSuffix(filepath.Base(lead), ".json")
			t.Run(name+"/"+leadName, func(t *testing.T) {
				facts, err := os.ReadFile(lead)
				require.NoError(t, err)
				res, err := ev.Evaluate(context.Background(), facts)
				require.NoError(t, err)
				var js bytes.Buffer
				enc := json.NewEncoder(&js)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				require.NoError(t, enc.Encode(res))
				base := filepath.Join("../testdata/golden", name, leadName)
				golden(t, base+".json", js.String())
				golden(t, base+".txt", res.Explain())
			})
		}
	}
	assert.NotZero(t, found, "no example leads found")
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./eval -run TestExamples -update")
	assert.Equal(t, string(want), got)
}
