package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/qualifyhq/qualify/rules"
)

// readLimited reads r to its end, but never more than max+1 bytes: input
// over max bytes is refused with an error naming it, so that a hostile or
// mistaken input (/dev/zero, a log file) cannot exhaust memory. Every error
// names the input.
func readLimited(r io.Reader, max int64, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, err // it names the file already
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %s", name, sizeText(max))
	}
	return b, nil
}

// readFileLimited reads the file at path through readLimited. The file may
// be anything the command line names, a pipe or a device included; it is
// opened and read as it is.
func readFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, max, path)
}

// sizeText writes a size limit as people read it: in MiB when it is a
// whole number of them.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// notRegular returns an error saying that the file at path is not a
// regular file, and what it is, or nil when it is one. A symbolic link is
// followed.
func notRegular(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s: not a regular file (%s); skipped", path, rules.FileKind(info.Mode()))
}
