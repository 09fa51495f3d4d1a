package rules

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/parser"
)

// zeros is a reader that never ends, as /dev/zero; it counts what it gave.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestReadAtMost(t *testing.T) {
	b, err := readAtMost(strings.NewReader("abc"), 3)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(b))
	_, err = readAtMost(strings.NewReader("abcd"), 3)
	assert.Equal(t, errTooLarge, err)
	z := &zeros{}
	_, err = readAtMost(z, parser.MaxFileSize)
	assert.Equal(t, errTooLarge, err)
	assert.Less(t, z.n, int64(2*parser.MaxFileSize), "an endless reader is read only a little past the limit")
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

// TestLoad_unreadableInput checks that input a policy cannot be made of is
// refused with an error saying which file and why, without reading it
// whole or waiting on it.
func TestLoad_unreadableInput(t *testing.T) {
	const good = "policy \"p\"\nclassify stage {\n  cold\n}\n"
	cases := []struct {
		name string
		// setup makes the input in dir and returns the path to load.
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"a regular file over the limit", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "big.qual")
			require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte("#\n"), parser.MaxFileSize/2+1), 0o644))
			return p
		}, "big.qual:1:1: error[E102]: file is 4194306 bytes; the limit is 4194304"},
		{"a device that never ends", func(t *testing.T, dir string) string {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			return "/dev/zero"
		}, "/dev/zero:1:1: error[E102]: file is larger than 4 MiB; the limit is 4194304 bytes"},
		{"a link to a device in a policy directory", func(t *testing.T, dir string) string {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "a.qual"), []byte(good), 0o644))
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "z.qual")); err != nil {
				t.Skipf("no symbolic links: %v", err)
			}
			return dir
		}, "z.qual: error[E103]: cannot read this file: it is a character device, not a regular file"},
		{"a named pipe in a policy directory", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "a.qual"), []byte(good), 0o644))
			mkfifo(t, filepath.Join(dir, "x.qual"))
			return dir
		}, "x.qual: error[E103]: cannot read this file: it is a named pipe, not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := c.setup(t, dir)
			done := make(chan error, 1)
			go func() {
				_, err := Load(path)
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.want)
			case <-time.After(20 * time.Second):
				t.Fatal("Load still runs after 20s: it blocks on its input")
			}
		})
	}
}

// TestReadFiles_namedPipe checks that ReadFiles, given the test files of a
// directory, refuses a named pipe among them rather than wait on it.
func TestReadFiles_namedPipe(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a_test.qual")
	require.NoError(t, os.WriteFile(good, []byte("test \"t\" {\n}\n"), 0o644))
	fifo := filepath.Join(dir, "x_test.qual")
	mkfifo(t, fifo)
	done := make(chan error, 1)
	go func() {
		_, err := ReadFiles([]string{good, fifo})
		done <- err
	}()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), fifo+": error[E103]: cannot read this file: it is a named pipe, not a regular file")
	case <-time.After(20 * time.Second):
		t.Fatal("ReadFiles still runs after 20s: it blocks on a named pipe")
	}
}

// TestLoadFile_pipeOnCommandLine checks that a pipe named explicitly (as a
// shell's <(...) gives) is still read as a policy.
func TestLoadFile_pipeOnCommandLine(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.qual")
	mkfifo(t, fifo)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("policy \"p\"\nclassify stage {\n  cold\n}\n")
		f.Close()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := LoadFile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("LoadFile still runs after 20s")
	}
}
