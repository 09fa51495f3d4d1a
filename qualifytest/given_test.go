package qualifytest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/qualifytest"
	"github.com/qualifyhq/qualify/rules"
)

// TestGivenFile_unreadable checks that a given file a lead cannot be read
// from (too large, a device that never ends, a named pipe no one writes)
// is reported at the given line, without reading it whole or waiting.
func TestGivenFile_unreadable(t *testing.T) {
	pol := shopPolicy(t)
	cases := []struct {
		name string
		// setup makes the given file in dir and returns its name as the
		// test writes it.
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"a regular file over the limit", func(t *testing.T, dir string) string {
			big := bytes.Repeat([]byte(" "), eval.MaxFactsSize+1)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "big.json"), big, 0o644))
			return "big.json"
		}, "error[E310]: given file big.json is 8388609 bytes; a lead is at most 8388608"},
		{"a device that never ends", func(t *testing.T, dir string) string {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			return "/dev/zero"
		}, "error[E310]: given file /dev/zero is not a regular file"},
		{"a link to a device", func(t *testing.T, dir string) string {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.json")); err != nil {
				t.Skipf("no symbolic links: %v", err)
			}
			return "zero.json"
		}, "error[E310]: given file zero.json is not a regular file"},
		{"a named pipe", func(t *testing.T, dir string) string {
			if runtime.GOOS == "windows" {
				t.Skip("no named pipes in the file system on Windows")
			}
			bin, err := exec.LookPath("mkfifo")
			if err != nil {
				t.Skip("no mkfifo command")
			}
			require.NoError(t, exec.Command(bin, filepath.Join(dir, "pipe.json")).Run())
			return "pipe.json"
		}, "error[E310]: given file pipe.json is not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			name := c.setup(t, dir)
			text := "test \"t\" {\n  given file \"" + name + "\"\n  expect stage == \"cold\"\n}\n"
			file := rules.SourceFile{Name: filepath.Join(dir, "g_test.qual"), Text: text}
			done := make(chan error, 1)
			go func() {
				_, err := qualifytest.Compile(pol, []rules.SourceFile{file})
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.Contains(t, err.Error(), "g_test.qual:2:14: "+c.want)
			case <-time.After(20 * time.Second):
				t.Fatal("Compile still runs after 20s: it blocks on the given file")
			}
		})
	}
}
