package qualifytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteText writes the report as qualify test prints it, in the manner of
// go test: for each test file a line `ok` or `FAIL` with its path and
// time, after the failures of its failed tests. With verbose, every test
// gets `=== RUN` and `--- PASS` or `--- FAIL` lines. A policy without test
// files gets one line `?` ... `[no test files]`.
func (r *Report) WriteText(w io.Writer, verbose bool) {
	if len(r.Files) == 0 {
		fmt.Fprintf(w, "?   \t%s\t[no test files]\n", r.Path)
		return
	}
	for _, f := range r.Files {
		for _, t := range f.Tests {
			if verbose {
				fmt.Fprintf(w, "=== RUN   %s\n", t.Name)
			}
			if t.Passed {
				if verbose {
					fmt.Fprintf(w, "--- PASS: %s (%.2fs)\n", t.Name, t.Elapsed.Seconds())
				}
				continue
			}
			fmt.Fprintf(w, "--- FAIL: %s (%.2fs)\n", t.Name, t.Elapsed.Seconds())
			for _, fl := range t.Failures {
				fmt.Fprintf(w, "    %s\n", indent(fl.String(), "    "))
			}
			if t.note != "" {
				fmt.Fprintf(w, "    note: %s\n", t.note)
			}
		}
		status, suffix := "ok  ", ""
		if !f.Passed() {
			status = "FAIL"
		}
		if len(f.Tests) == 0 {
			suffix = " [no tests to run]"
		}
		fmt.Fprintf(w, "%s\t%s\t%.2fs%s\n", status, f.Path, f.Elapsed.Seconds(), suffix)
	}
}

// jsonMarshal marshals v without escaping <, > and &, so that conditions
// such as score.total >= 80 stay readable.
func jsonMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
