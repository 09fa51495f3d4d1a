package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/parser"
)

// zeros is a reader that never ends, as /dev/zero; it counts what it gave.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

// failing is a reader that fails after giving a few bytes.
type failing struct{ done bool }

func (f *failing) Read(p []byte) (int, error) {
	if f.done {
		return 0, errors.New("device gone")
	}
	f.done = true
	return copy(p, "abc"), nil
}

func TestReadLimited(t *testing.T) {
	const max = 1 << 20
	cases := []struct {
		name    string
		r       io.Reader
		wantLen int
		wantErr string
	}{
		{"empty", strings.NewReader(""), 0, ""},
		{"small", strings.NewReader("let x = 1\n"), 10, ""},
		{"exactly the limit", bytes.NewReader(make([]byte, max)), max, ""},
		{"one byte over", bytes.NewReader(make([]byte, max+1)), 0, "in: larger than 1 MiB"},
		{"never ends", &zeros{}, 0, "in: larger than 1 MiB"},
		{"read error", &failing{}, 0, "in: device gone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := readLimited(c.r, max, "in")
			if c.wantErr != "" {
				require.EqualError(t, err, c.wantErr)
				assert.Nil(t, b)
				if z, ok := c.r.(*zeros); ok {
					assert.LessOrEqual(t, z.n, int64(2*max), "the endless reader is read only a little past the limit")
				}
				return
			}
			require.NoError(t, err)
			assert.Len(t, b, c.wantLen)
		})
	}
}

func TestSizeText(t *testing.T) {
	assert.Equal(t, "4 MiB", sizeText(parser.MaxFileSize))
	assert.Equal(t, "8 MiB", sizeText(eval.MaxFactsSize))
	assert.Equal(t, "1000 bytes", sizeText(1000))
}

// within runs f and fails the test if it does not return in time: an input
// that blocks (a named pipe no one writes) must not hang a command.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the command still runs after 20s: it blocks on its input")
	}
}

// mkfifo makes a named pipe at path, or skips the test where there are none.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no named pipes in the file system on Windows")
	}
	bin, err := exec.LookPath("mkfifo")
	if err != nil {
		t.Skip("no mkfifo command")
	}
	require.NoError(t, exec.Command(bin, path).Run())
}

// runQualifyReader runs the CLI with stdin read from r.
func runQualifyReader(r io.Reader, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	env := &cliEnv{stdin: r, stdout: &out, stderr: &errOut}
	code := run(env, args)
	return code, out.String(), errOut.String()
}

// TestCLI_oversizedInput checks that every command refuses input over its
// limit, whether the file states its size or not, with an error naming it.
func TestCLI_oversizedInput(t *testing.T) {
	dir := t.TempDir()
	bigPolicy := filepath.Join(dir, "big.qual")
	require.NoError(t, os.WriteFile(bigPolicy, bytes.Repeat([]byte("#\n"), parser.MaxFileSize/2+1), 0o644))
	bigLead := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(bigLead, bytes.Repeat([]byte(" "), eval.MaxFactsSize+1), 0o644))
	const devZero = "/dev/zero"
	_, err := os.Stat(devZero)
	haveDevZero := err == nil

	cases := []struct {
		name     string
		stdin    io.Reader
		args     []string
		code     int
		want     string
		needsDev bool
	}{
		{"eval: a large lead file", nil, []string{"eval", "-p", "../../examples/acme", bigLead}, exitFail, "qualify eval: " + bigLead + ": larger than 8 MiB", false},
		{"eval: endless standard input", &zeros{}, []string{"eval", "-p", "../../examples/acme"}, exitFail, "qualify eval: standard input: larger than 8 MiB", false},
		{"eval: endless -", &zeros{}, []string{"eval", "-p", "../../examples/acme", "-"}, exitFail, "qualify eval: standard input: larger than 8 MiB", false},
		{"eval: /dev/zero", nil, []string{"eval", "-p", "../../examples/acme", devZero}, exitFail, "qualify eval: /dev/zero: larger than 8 MiB", true},
		{"fmt: a large file", nil, []string{"fmt", bigPolicy}, exitUsage, "qualify fmt: " + bigPolicy + ": larger than 4 MiB", false},
		{"fmt: endless standard input", &zeros{}, []string{"fmt"}, exitUsage, "qualify fmt: <standard input>: larger than 4 MiB", false},
		{"fmt: /dev/zero", nil, []string{"fmt", devZero}, exitUsage, "qualify fmt: /dev/zero: larger than 4 MiB", true},
		{"check: a large file", nil, []string{"check", bigPolicy}, exitFail, "error[E102]: file is 4194306 bytes; the limit is 4194304", false},
		{"check: /dev/zero", nil, []string{"check", devZero}, exitFail, "/dev/zero:1:1: error[E102]: file is larger than 4 MiB", true},
		{"vet: /dev/zero", nil, []string{"vet", devZero}, exitFail, "/dev/zero:1:1: error[E102]: file is larger than 4 MiB", true},
		{"test: /dev/zero", nil, []string{"test", devZero}, exitFail, "/dev/zero:1:1: error[E102]: file is larger than 4 MiB", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needsDev && !haveDevZero {
				t.Skip("no /dev/zero")
			}
			stdin := c.stdin
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			within(t, func() {
				code, _, errOut := runQualifyReader(stdin, c.args...)
				assert.Equal(t, c.code, code, errOut)
				assert.Contains(t, errOut, c.want)
			})
			if z, ok := stdin.(*zeros); ok {
				assert.Less(t, z.n, int64(2*eval.MaxFactsSize), "standard input is read only a little past the limit")
			}
		})
	}
}

// TestCLI_namedPipeInPolicyDirectory checks that a named pipe called
// x.qual in a policy directory is reported, not waited on for ever.
func TestCLI_namedPipeInPolicyDirectory(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy")
	require.NoError(t, os.MkdirAll(pol, 0o755))
	writeFile(t, filepath.Join(pol, "p.qual"), formatted)
	fifo := filepath.Join(pol, "x.qual")
	mkfifo(t, fifo)
	testFifo := filepath.Join(pol, "y_test.qual")
	mkfifo(t, testFifo)

	want := fifo + ": error[E103]: cannot read this file: it is a named pipe, not a regular file"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check", pol}, exitFail, want},
		{[]string{"check", dir + "/..."}, exitFail, want},
		{[]string{"vet", pol}, exitFail, want},
		{[]string{"eval", "-p", pol, "-"}, exitFail, want},
		{[]string{"test", pol}, exitFail, want},
		{[]string{"fmt", pol}, exitUsage, "qualify fmt: " + fifo + ": not a regular file (a named pipe); skipped"},
		{[]string{"fmt", "-l", dir + "/..."}, exitUsage, "qualify fmt: " + testFifo + ": not a regular file (a named pipe); skipped"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			within(t, func() {
				code, _, errOut := runQualifyReader(strings.NewReader("{}"), c.args...)
				assert.Equal(t, c.code, code, errOut)
				assert.Contains(t, errOut, c.want)
			})
		})
	}

	// Without the pipes, the test files aside, the policy is fine.
	require.NoError(t, os.Remove(fifo))
	code, _, errOut := runQualify(t, "", "check", pol)
	assert.Equal(t, exitOK, code, errOut)
	code, _, errOut = runQualify(t, "", "test", pol)
	assert.Equal(t, exitFail, code, errOut)
	assert.Contains(t, errOut, testFifo+": error[E103]: cannot read this file: it is a named pipe, not a regular file",
		"a _test.qual that is a named pipe is reported too")
}

// TestCLI_namedPipeOnCommandLine checks that a pipe named on the command
// line (as a shell's <(...) gives) is still read.
func TestCLI_namedPipeOnCommandLine(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.qual")
	mkfifo(t, fifo)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(unformatted)
		f.Close()
	}()
	within(t, func() {
		code, out, errOut := runQualify(t, "", "fmt", fifo)
		assert.Equal(t, exitOK, code, errOut)
		assert.Equal(t, formatted, out)
	})
}
