package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/qualifyhq/qualify/format"
	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

func init() {
	register(&command{
		name:  "fmt",
		usage: "qualify fmt [-l] [-w] [-d] [PATH...]",
		summary: "Format policies and tests in the canonical layout.\n" +
			"A PATH is a file, or a directory whose .qual and _test.qual files are formatted,\n" +
			"subdirectories included (DIR/... works too). Without a PATH, fmt formats standard\n" +
			"input to standard output. Without -l, -w or -d, the formatted files are printed.\n" +
			"A file with a syntax error is reported and left as it is.\n" +
			"Exit codes, as gofmt's: 0 success, 1 -d found a file to change, 2 an error.",
		run: runFmt,
	})
}

// fmtFlags are the modes of qualify fmt, as gofmt's.
type fmtFlags struct {
	list, write, diff bool
}

// errDiffers reports that -d printed a difference.
var errDiffers = errors.New("formatting differs")

func runFmt(env *cliEnv, args []string) int {
	c := commands["fmt"]
	flags := flag.NewFlagSet("fmt", flag.ContinueOnError)
	var f fmtFlags
	flags.BoolVar(&f.list, "l", false, "list the files whose formatting differs from qualify fmt's")
	flags.BoolVar(&f.write, "w", false, "write the result to the file instead of standard output")
	flags.BoolVar(&f.diff, "d", false, "print the changes as a unified diff instead of the formatted file")
	paths, ok := parseFlags(env, flags, c, args)
	if !ok {
		return usageExit(args)
	}
	code := exitOK
	report := func(err error) {
		if err == errDiffers {
			code = max(code, exitFail)
			return
		}
		fmt.Fprintln(env.stderr, err)
		code = exitUsage
	}
	if len(paths) == 0 {
		if f.write {
			fmt.Fprintf(env.stderr, "qualify fmt: cannot use -w with standard input\nusage: %s\n", c.usage)
			return exitUsage
		}
		src, err := readLimited(env.stdin, parser.MaxFileSize, "<standard input>")
		if err != nil {
			report(fmt.Errorf("qualify fmt: %w", err))
			return code
		}
		if err := fmtOne(env, f, "<standard input>", src); err != nil {
			report(err)
		}
		return code
	}
	for _, arg := range paths {
		root := arg
		if strings.HasSuffix(arg, "...") {
			root = strings.TrimSuffix(strings.TrimSuffix(arg, "..."), string(filepath.Separator))
			root = strings.TrimSuffix(root, "/")
			if root == "" {
				root = "."
			}
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir():
				if path != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			case path != root && !strings.HasSuffix(d.Name(), ".qual"):
				return nil // a file given by name is always formatted
			}
			if path != root && !d.Type().IsRegular() {
				// Found while walking, a .qual that is not a regular
				// file (a named pipe would block the read for ever) is
				// reported; a symbolic link to a regular file is read.
				if err := notRegular(path); err != nil {
					report(fmt.Errorf("qualify fmt: %w", err))
					return nil
				}
			}
			// A file given by name is read whatever it is (a pipe
			// too), but never more than a policy file can hold.
			src, err := readFileLimited(path, parser.MaxFileSize)
			if err != nil {
				report(fmt.Errorf("qualify fmt: %w", err))
				return nil
			}
			if err := fmtOne(env, f, path, src); err != nil {
				report(err)
			}
			return nil
		})
		if err != nil {
			report(fmt.Errorf("qualify fmt: %w", err))
		}
	}
	return code
}

// fmtOne formats one file and does what the flags ask; -w is never given
// with standard input.
func fmtOne(env *cliEnv, f fmtFlags, name string, src []byte) error {
	res, err := format.Source(name, src)
	if err != nil {
		return err
	}
	var result error
	if !bytes.Equal(src, res) {
		if f.list {
			fmt.Fprintln(env.stdout, name)
		}
		if f.write {
			if err := writeFileAtomic(name, res); err != nil {
				return fmt.Errorf("qualify fmt: %w", err)
			}
		}
		if f.diff {
			env.stdout.Write(unifiedDiff(filepath.ToSlash(name)+".orig", filepath.ToSlash(name), src, res))
			result = errDiffers
		}
	}
	if !f.list && !f.write && !f.diff {
		env.stdout.Write(res)
	}
	return result
}

// writeFileAtomic replaces the file at path with data: it writes a
// temporary file beside it and renames it over the original, so that the
// file is either the old one or the new one, never half written. A symbolic
// link is followed: its target is replaced, keeping its permissions, and
// the link is left as it is. Only a regular file is replaced.
func writeFileAtomic(path string, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s); not written", path, rules.FileKind(info.Mode()))
	}
	perm := info.Mode().Perm()
	path = target
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// unifiedDiff returns the changes from a to b as a unified diff with three
// lines of context, in the form gofmt -d prints.
func unifiedDiff(oldName, newName string, a, b []byte) []byte {
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)
	var out bytes.Buffer
	fmt.Fprintf(&out, "diff %s %s\n--- %s\n+++ %s\n", oldName, newName, oldName, newName)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end, last := i, i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				last = end
			} else if end-last > 2*ctx {
				break
			}
			end++
		}
		end = min(last+ctx+1, len(ops))
		hunk := ops[start:end]
		aFrom, bFrom := hunk[0].a, hunk[0].b
		var aLen, bLen int
		for _, op := range hunk {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aFrom, aLen), hunkRange(bFrom, bLen))
		for _, op := range hunk {
			line := x[min(op.a, len(x)-1)]
			if op.kind == '+' {
				line = y[op.b]
			}
			out.WriteByte(op.kind)
			out.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.Bytes()
}

func hunkRange(from, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", from)
	}
	return fmt.Sprintf("%d,%d", from+1, n)
}

// splitLines splits text into lines that keep their "\n".
func splitLines(b []byte) []string {
	var out []string
	s := string(b)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// diffOp is one line of an edit script: kept (' '), deleted ('-') or
// inserted ('+'), with the indexes of the lines before it in a and b.
type diffOp struct {
	kind byte
	a, b int
}

// maxDiffCells bounds the table of the line diff; beyond it, the changed
// middle of the files is shown as replaced as a whole.
const maxDiffCells = 1 << 22

// diffLines computes an edit script from x to y: the common prefix and
// suffix, and a longest common subsequence of the lines between.
func diffLines(x, y []string) []diffOp {
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', i, i})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	n, m := len(mx), len(my)
	if n*m > maxDiffCells {
		for i := range mx {
			ops = append(ops, diffOp{'-', pre + i, pre})
		}
		for j := range my {
			ops = append(ops, diffOp{'+', pre + n, pre + j})
		}
	} else {
		// lcs[i][j] is the length of a longest common subsequence of
		// mx[i:] and my[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if mx[i] == my[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && mx[i] == my[j]:
				ops = append(ops, diffOp{' ', pre + i, pre + j})
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, diffOp{'-', pre + i, pre + j})
				i++
			default:
				ops = append(ops, diffOp{'+', pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, diffOp{' ', len(x) - suf + k, len(y) - suf + k})
	}
	return ops
}
