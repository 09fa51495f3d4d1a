package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const unformatted = `policy "p"   # the policy
facts {
  a int
  longer.name bool
}
let x=a>1&&longer.name
classify stage {
  hot when x because "why"
  cold
}
`

const formatted = `policy "p"  # the policy

facts {
  a            int
  longer.name  bool
}

let x = a > 1 && longer.name

classify stage {
  hot  when x  because "why"
  cold
}
`

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestFmt_stdin(t *testing.T) {
	code, out, errOut := runQualify(t, unformatted, "fmt")
	assert.Equal(t, exitOK, code, errOut)
	assert.Equal(t, formatted, out)

	code, out, _ = runQualify(t, unformatted, "fmt", "-l")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "<standard input>\n", out)

	code, _, errOut = runQualify(t, unformatted, "fmt", "-w")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "cannot use -w with standard input")
}

func TestFmt_syntaxErrorIsReportedNotWritten(t *testing.T) {
	code, out, errOut := runQualify(t, "policy \"p\"\nlet x = a >\n", "fmt")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "<standard input>:")
	assert.Contains(t, errOut, "error[E100]")

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.qual")
	good := filepath.Join(dir, "good.qual")
	badText := "policy \"p\"\nscore g {\n  +1 when x\n}\n"
	writeFile(t, bad, badText)
	writeFile(t, good, unformatted)
	code, _, errOut = runQualify(t, "", "fmt", "-w", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "bad.qual:3:6: error[E100]: unexpected \"when\", expected a string in quotes\n 3 |   +1 when x\n   |      ^^^^")
	assert.Equal(t, badText, readFile(t, bad), "a file with a syntax error is never rewritten")
	assert.Equal(t, formatted, readFile(t, good), "the other files are formatted")
}

func TestFmt_listWriteDiff(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy", "p.qual")
	test := filepath.Join(dir, "policy", "p_test.qual")
	clean := filepath.Join(dir, "policy", "clean.qual")
	hidden := filepath.Join(dir, ".git", "x.qual")
	other := filepath.Join(dir, "policy", "notes.txt")
	writeFile(t, policy, unformatted)
	writeFile(t, test, "test \"t\" {\n  given { a: 2 }\n  expect stage==\"hot\"\n}\n")
	writeFile(t, clean, formatted)
	writeFile(t, hidden, unformatted)
	writeFile(t, other, "let x=1\n")
	require.NoError(t, os.Chmod(policy, 0o600))

	code, out, errOut := runQualify(t, "", "fmt", "-l", dir)
	assert.Equal(t, exitOK, code, errOut)
	assert.Equal(t, policy+"\n"+test+"\n", out, "-l lists the files to change, tests included, hidden directories and other files left out")

	code, out, _ = runQualify(t, "", "fmt", "-d", filepath.Join(dir, "policy")+"/...")
	assert.Equal(t, exitFail, code, "-d exits 1 when it shows a change, as gofmt")
	assert.Contains(t, out, "diff "+filepath.ToSlash(policy)+".orig "+filepath.ToSlash(policy)+"\n--- ")
	assert.Contains(t, out, "\n-let x=a>1&&longer.name\n+\n+let x = a > 1 && longer.name\n")
	assert.Contains(t, out, "\n-  given { a: 2 }\n-  expect stage==\"hot\"\n+  given {a: 2}\n+  expect stage == \"hot\"\n")
	assert.Equal(t, unformatted, readFile(t, policy), "-d changes nothing")

	code, out, _ = runQualify(t, "", "fmt", policy)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, formatted, out, "without a flag, the formatted file is printed")

	code, out, errOut = runQualify(t, "", "fmt", "-w", "-l", dir+"/policy")
	assert.Equal(t, exitOK, code, errOut)
	assert.Equal(t, policy+"\n"+test+"\n", out)
	assert.Equal(t, formatted, readFile(t, policy))
	info, err := os.Stat(policy)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "-w keeps the file's mode")
	entries, err := os.ReadDir(filepath.Dir(policy))
	require.NoError(t, err)
	assert.Len(t, entries, 4, "-w leaves no temporary file behind")

	code, out, _ = runQualify(t, "", "fmt", "-l", dir)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out, "a second run has nothing to do")
	code, out, _ = runQualify(t, "", "fmt", "-d", dir+"/policy")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)

	code, _, errOut = runQualify(t, "", "fmt", filepath.Join(dir, "missing.qual"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "missing.qual")
}

// TestFmt_diffApplies checks that the diff -d prints is one patch applies.
func TestFmt_diffApplies(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch is not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "p.qual")
	src := strings.Repeat("# keep\n", 12) + unformatted + strings.Repeat("# keep\n", 9) + "let y=1\n"
	writeFile(t, path, src)
	_, diff, _ := runQualify(t, "", "fmt", "-d", path)
	cmd := exec.Command(patch, "-s", path)
	cmd.Stdin = strings.NewReader(diff)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, diff)
	_, want, _ := runQualify(t, src, "fmt")
	assert.Equal(t, want, readFile(t, path))
	assert.Equal(t, 2, strings.Count(diff, "\n@@ "), "two hunks, far apart:\n%s", diff)
}

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"change", "a\nb\nc\n", "a\nB\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"insert at start", "b\n", "a\nb\n", "@@ -1,1 +1,2 @@\n+a\n b\n"},
		{"delete all", "a\n", "", "@@ -1,1 +0,0 @@\n-a\n"},
		{"no final newline", "a", "a\n", "@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(unifiedDiff("x.orig", "x", []byte(tt.a), []byte(tt.b)))
			got = strings.TrimPrefix(got, "diff x.orig x\n--- x.orig\n+++ x\n")
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFmt_help(t *testing.T) {
	code, out, _ := runQualify(t, "", "help", "fmt")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: qualify fmt [-l] [-w] [-d] [PATH...]")
	code, out, _ = runQualify(t, "", "fmt", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "-w")
}

// TestFmt_writeThroughSymlink checks that -w on a symbolic link rewrites
// the file it points to with that file's mode, and leaves the link a link
// to the same file: given by name, and found while walking a directory.
func TestFmt_writeThroughSymlink(t *testing.T) {
	for _, viaDir := range []bool{false, true} {
		name := "file argument"
		if viaDir {
			name = "directory walk"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "real", "target.txt")
			writeFile(t, target, unformatted)
			require.NoError(t, os.Chmod(target, 0o600))
			link := filepath.Join(dir, "policy", "p.qual")
			require.NoError(t, os.MkdirAll(filepath.Dir(link), 0o755))
			if err := os.Symlink(filepath.Join("..", "real", "target.txt"), link); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
			arg := link
			if viaDir {
				arg = filepath.Dir(link)
			}

			code, out, errOut := runQualify(t, "", "fmt", "-w", "-l", arg)
			assert.Equal(t, exitOK, code, errOut)
			assert.Equal(t, link+"\n", out)

			assert.Equal(t, formatted, readFile(t, target), "the target is formatted")
			info, err := os.Stat(target)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the target keeps its mode")
			linfo, err := os.Lstat(link)
			require.NoError(t, err)
			assert.Equal(t, os.ModeSymlink, linfo.Mode().Type(), "the link is still a link")
			dest, err := os.Readlink(link)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join("..", "real", "target.txt"), dest, "the link points where it did")
			for _, d := range []string{filepath.Dir(link), filepath.Dir(target)} {
				entries, err := os.ReadDir(d)
				require.NoError(t, err)
				assert.Len(t, entries, 1, "-w leaves no temporary file in %s", d)
			}
		})
	}
}

// TestFmt_writeRefusesNonRegular checks that -w does not replace a file
// that is not a regular one.
func TestFmt_writeRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	require.Error(t, writeFileAtomic(dir, []byte("x")))
	err := writeFileAtomic(filepath.Join(dir, "missing.qual"), []byte("x"))
	require.Error(t, err)
	_, statErr := os.Stat(filepath.Join(dir, "missing.qual"))
	assert.True(t, os.IsNotExist(statErr), "a missing file is not created")
}
