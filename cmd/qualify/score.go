package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
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
	lenient := fs.Bool("lenient", false, "accept numbers and booleans written as strings, and empty strings as missing")
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
	ev := eval.New(pol, eval.WithNow(now), eval.WithTrace(*trace), eval.WithLenientStrings(*lenient))
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}

	var out io.Writer = env.stdout
	var file *os.File
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
			break
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
		leads = csvLeads(r, ev.Policy(), &readErr, env.stderr)
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
		return fmt.Errorf("writing the results: %w", err)
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

// csvLeads reads a CSV file whose header names fact paths (company.employees)
// and turns each row into a lead, typing each cell by the policy's facts. An
// empty cell is a missing fact. A list cell is a JSON array, or for a list of
// strings values separated by "|".
func csvLeads(r io.Reader, pol *rules.Policy, errp *error, warn io.Writer) iter.Seq[eval.Lead] {
	return func(yield func(eval.Lead) bool) {
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			*errp = fmt.Errorf("the header row: %w", err)
			return
		}
		cols := make([]csvColumn, len(header))
		for i, h := range header {
			h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
			cols[i] = csvColumn{path: strings.Split(h, "."), name: h}
			if pol.Schema != nil {
				cols[i].node = pol.Schema.Lookup(h)
				if cols[i].node == nil || cols[i].node.IsObject() {
					fmt.Fprintf(warn, "qualify score: column %q is not a fact of the policy; it is ignored\n", h)
					cols[i].skip = true
				}
			}
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			line, _ := cr.FieldPos(0)
			lead := eval.Lead{Seq: line}
			var perr *csv.ParseError
			switch {
			case errors.As(err, &perr):
				lead.Seq = perr.StartLine
				lead.Err = fmt.Errorf("invalid lead: CSV: %v", perr.Err)
			case err != nil:
				*errp = err
				return
			case len(rec) != len(cols):
				lead.Err = fmt.Errorf("invalid lead: the row has %d fields and the header %d", len(rec), len(cols))
			default:
				// The row becomes facts in a worker: on the reading
				// goroutine it would hold the whole batch to one core.
				row := slices.Clone(rec) // rec is reused by the next Read
				lead.Load = func() (any, error) { return csvFacts(cols, row), nil }
			}
			if !yield(lead) {
				return
			}
		}
	}
}

type csvColumn struct {
	name string
	path []string
	node *rules.FactNode
	skip bool
}

// csvFacts builds a lead's facts from a row.
func csvFacts(cols []csvColumn, rec []string) map[string]any {
	facts := map[string]any{}
	for i, col := range cols {
		cell := rec[i]
		if col.skip || strings.TrimSpace(cell) == "" {
			continue
		}
		var v any
		if col.node != nil {
			v = typedCell(col.node.Type, cell)
		} else {
			v = guessCell(cell)
		}
		m := facts
		for _, seg := range col.path[:len(col.path)-1] {
			next, ok := m[seg].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[seg] = next
			}
			m = next
		}
		m[col.path[len(col.path)-1]] = v
	}
	return facts
}

// typedCell converts a cell to its fact's type; a cell that does not
// convert stays a string, which the evaluator reports as a wrong type.
func typedCell(t *rules.Type, cell string) any {
	s := strings.TrimSpace(cell)
	switch t.Kind {
	case model.KindInt:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) {
			return f
		}
	case model.KindNumber:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case model.KindBool:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	case model.KindList:
		if strings.HasPrefix(s, "[") {
			if v, ok := jsonCell(s); ok {
				return v
			}
			return cell
		}
		if t.Elem.Kind == model.KindString {
			parts := strings.Split(cell, "|")
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = strings.TrimSpace(p)
			}
			return out
		}
	case model.KindString:
		return cell
	}
	return s
}

// guessCell types a cell of a policy without facts.
func guessCell(cell string) any {
	s := strings.TrimSpace(cell)
	if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		return b
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") {
		if v, ok := jsonCell(s); ok {
			return v
		}
	}
	return cell
}

// jsonCell decodes a cell holding JSON, numbers kept as json.Number.
func jsonCell(s string) (any, bool) {
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err == nil
}
