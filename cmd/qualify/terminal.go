package main

import "os"

// stderrIsTerminal reports whether stderr is a character device, such as a
// terminal, rather than a file or a pipe.
func stderrIsTerminal() bool {
	info, err := os.Stderr.Stat()
	if err != nil {
		return false
	}
	return info.Mode()&os.ModeCharDevice != 0
}
