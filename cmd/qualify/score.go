package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/rules"
)

func init() {
	register(&command{
		name:  "score",
		usage: "qualify score -p POLICY [-o FILE] [--now TIME] [--trace=false] [--format jsonl|csv] [--workers N] [--lenient] [--quiet] [FILE... | -]",
		summary: "Score many leads: JSONL (one JSON object per line) or CSV (a header row of fact paths).\n" +
			"Writes one JSON line per input line, in input order: {\"line\": N, \"result\": {...}} or {\"line\": N, \"error\": \"...\"}.\n" +
			"Reads standard input when no FILE is given. A bad line never stops the others.",
		run: runScore,
	})
}

// scoreConfig is what the score command was asked to do.
type scoreConfig struct {
	format   string
	quiet    bool
	progress bool
	strict   bool
	lenient  bool
	workers  int
}

func runScore(env *cliEnv, args []string) int {
	c := commands["score"]
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	policy := fs.String("p", "", "the policy: a .qual file or a directory (required)")
	output := fs.String("o", "", "write the results to this file instead of standard output")
	nowFlag := fs.String("now", "", "the evaluation time, RFC 3339 or YYYY-MM-DD (default: the current time, the same for every lead)")
	trace := fs.Bool("trace", true, "include the explanation trace in each result")
	var cfg scoreConfig
	fs.StringVar(&cfg.format, "format", "", "the input format: jsonl or csv (default: from the file name; jsonl for standard input)")
	fs.IntVar(&cfg.workers, "workers", 0, "leads scored at once (default: one per core)")
	fs.BoolVar(&cfg.lenient, "lenient", false, "accept numbers and booleans written as strings, and empty strings as missing")
	fs.BoolVar(&cfg.quiet, "quiet", false, "print no summary")
	fs.BoolVar(&cfg.progress, "progress", true, "show a progress bar when standard error is a terminal")
	fs.BoolVar(&cfg.strict, "strict", false, "exit with status 1 when any lead fails")
	inputs, ok := parseFlags(env, fs, c, args)
	if !ok {
		return usageExit(args)
	}
	if *policy == "" {
		fmt.Fprintf(env.stderr, "qualify score: -p POLICY is required\nusage: %s\n", c.usage)
		return exitUsage
	}
	if cfg.workers < 0 || cfg.workers > maxScoreWorkers {
		fmt.Fprintf(env.stderr, "qualify score: --workers must be between 1 and %d (0 for one per core), not %d\n", maxScoreWorkers, cfg.workers)
		return exitUsage
	}
	if cfg.format != "" && cfg.format != "jsonl" && cfg.format != "csv" {
		fmt.Fprintf(env.stderr, "qualify score: --format must be jsonl or csv, not %q\n", cfg.format)
		return exitUsage
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := rules.ParseTime(*nowFlag)
		if err != nil {
			fmt.Fprintf(env.stderr, "qualify score: --now %q is not a time: write it as 2026-11-01T00:00:00Z or 2026-11-01\n", *nowFlag)
			return exitUsage
		}
		now = t
	}
	pol, err := rules.Load(*policy)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFail
	}
	// One time for the whole batch, so that every lead is scored alike.
	ev := eval.New(pol, eval.WithNow(now), eval.WithTrace(*trace), eval.WithLenientStrings(cfg.lenient))
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}

	var out io.Writer = env.stdout
	var file *os.File
	if in := sameFile(*output, inputs); in != "" {
		fmt.Fprintf(env.stderr, "qualify score: -o %s is the input %s: writing the results would erase the leads before they are read\n", *output, in)
		return exitUsage
	}
	if *output != "" {
		file, err = os.Create(*output)
		if err != nil {
			fmt.Fprintf(env.stderr, "qualify score: %v\n", err)
			return exitFail
		}
		out = file
	}
	w := bufio.NewWriterSize(out, 1<<20)
	// A batch keeps little alive (the leads in its window) and makes much
	// short-lived garbage (decoded JSON): collect less often. Memory stays
	// flat, a few times the window's worth. GOGC, when set, still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// Huge leads (up to 8 MiB each, eval.DefaultBatchBytes of them in
	// flight) decode to much more: a soft limit makes the collector work
	// harder there instead of letting GOGC grow the heap fivefold. Typical
	// leads stay far below it. GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
	sum := newSummary(pol)
	start := time.Now()
	failed := false
	for _, in := range inputs {
		name := in
		if len(inputs) == 1 {
			name = "" // one input: lines need no file name
		}
		if err := scoreInput(env, ev, in, name, w, sum, cfg); err != nil {
			fmt.Fprintf(env.stderr, "qualify score: %v\n", err)
			failed = true
			if errors.As(err, new(*writeError)) {
				break // the output is broken: no use reading on
			}
		}
	}
	if err := w.Flush(); err != nil && !failed {
		fmt.Fprintf(env.stderr, "qualify score: writing the results: %v\n", err)
		failed = true
	}
	if file != nil {
		if err := file.Close(); err != nil && !failed {
			fmt.Fprintf(env.stderr, "qualify score: %v\n", err)
			failed = true
		}
	}
	if !cfg.quiet {
		sum.print(env.stderr, time.Since(start))
	}
	switch {
	case failed:
		return exitFail
	case cfg.strict && sum.errors > 0:
		return exitFail
	}
	return exitOK
}

// writeError is a failure to write the results, which ends the command;
// a file that cannot be read ends only its own part.
type writeError struct{ err error }

func (e *writeError) Error() string { return "writing the results: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// utf8BOM is the byte order mark some tools write at the start of a UTF-8
// file; it is not part of the first lead.
var utf8BOM = []byte("\ufeff")

// maxScoreWorkers is the most --workers takes: more would only take memory.
const maxScoreWorkers = 1024

// sameFile returns the input that is the file output names, if any.
func sameFile(output string, inputs []string) string {
	if output == "" {
		return ""
	}
	out, err := os.Stat(output)
	if err != nil {
		return "" // it does not exist yet
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if info, err := os.Stat(in); err == nil && os.SameFile(out, info) {
			return in
		}
	}
	return ""
}

// scoreInput scores one input file (or standard input for "-").
func scoreInput(env *cliEnv, ev *eval.Evaluator, path, name string, w *bufio.Writer, sum *summary, cfg scoreConfig) error {
	var r io.Reader = env.stdin
	size := int64(-1)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			size = info.Size()
		}
		r = f
	}
	format := cfg.format
	if format == "" {
		format = "jsonl"
		if strings.EqualFold(filepath.Ext(path), ".csv") {
			format = "csv"
		}
	}
	if cfg.progress && env.isTerminal {
		label := path
		if path == "-" {
			label = "standard input"
		}
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(env.stderr),
			progressbar.OptionSetDescription("scoring "+label),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer func() { _ = bar.Finish() }()
		r = io.TeeReader(r, bar)
	}

	var readErr error
	var leads iter.Seq[eval.Lead]
	if format == "csv" {
		leads = csvLeads(r, ev.Policy(), !cfg.lenient, &readErr, env.stderr)
	} else {
		leads = jsonlLeads(r, &readErr)
	}
	prefix := []byte(`{"line":`)
	if name != "" {
		fileJSON, _ := json.Marshal(name)
		prefix = append(append([]byte(`{"file":`), fileJSON...), `,"line":`...)
	}
	opts := eval.BatchOptions{
		Workers: cfg.workers,
		Encode: func(dst []byte, s *eval.Scored) []byte {
			dst = append(dst, prefix...)
			dst = strconv.AppendInt(dst, int64(s.Seq), 10)
			if s.Err != nil {
				dst = append(dst, `,"error":`...)
				msg, _ := json.Marshal(s.Err.Error())
				dst = append(dst, msg...)
			} else {
				dst = append(dst, `,"result":`...)
				dst = s.Result.AppendJSON(dst)
			}
			return append(dst, '}', '\n')
		},
	}
	err := ev.Batch(context.Background(), leads, func(s *eval.Scored) error {
		sum.add(s)
		_, err := w.Write(s.Output)
		return err
	}, opts)
	if err != nil {
		return &writeError{err}
	}
	if readErr != nil {
		return fmt.Errorf("reading %s: %w", path, readErr)
	}
	return nil
}

// jsonlLeads reads one lead per line. Every line is a lead, even a blank or
// oversized one, which gets an error; only the empty remainder after the
// last newline is not a line. A read error stops the input and is stored
// in *errp.
func jsonlLeads(r io.Reader, errp *error) iter.Seq[eval.Lead] {
	return func(yield func(eval.Lead) bool) {
		br := bufio.NewReaderSize(r, 256<<10)
		var long []byte
		for line := 1; ; line++ {
			data, tooLong, err := readLine(br, &long, eval.MaxFactsSize)
			if err != nil && !errors.Is(err, io.EOF) {
				*errp = err
				return
			}
			if errors.Is(err, io.EOF) && len(data) == 0 && !tooLong {
				return
			}
			if line == 1 {
				data = bytes.TrimPrefix(data, utf8BOM) // as Windows tools write
			}
			lead := eval.Lead{Seq: line}
			switch {
			case tooLong:
				lead.Err = fmt.Errorf("invalid lead: line is over %d bytes", eval.MaxFactsSize)
			case len(bytes.TrimSpace(data)) == 0:
				lead.Err = errors.New("invalid lead: empty line (a JSONL line holds one JSON object)")
			default:
				lead.Facts = bytes.Clone(data)
			}
			if !yield(lead) || errors.Is(err, io.EOF) {
				return
			}
		}
	}
}

// readLine returns the next line without its line ending. A line over max
// bytes is skipped to its end and reported as tooLong. long is a buffer
// for lines longer than the reader's.
func readLine(br *bufio.Reader, long *[]byte, max int) (data []byte, tooLong bool, err error) {
	*long = (*long)[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(*long)+len(chunk) > max+2 {
				tooLong = true
				*long = (*long)[:0]
			} else if errors.Is(err, bufio.ErrBufferFull) || len(*long) > 0 {
				*long = append(*long, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line := chunk
		if len(*long) > 0 {
			line = *long
		}
		if tooLong {
			line = nil
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		return line, tooLong, err
	}
}
