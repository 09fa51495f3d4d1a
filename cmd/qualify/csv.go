package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// csvLeads reads a CSV file whose header names fact paths (company.employees)
// and turns each row into a lead, typing each cell by the policy's facts. An
// empty cell is a missing fact. A list cell is a JSON array, or for a list of
// strings values separated by "|".
//
// With direct set (a policy with facts, evaluated without lenient strings),
// a row becomes a JSON object, which the evaluator reads straight into its
// facts (csvObject.appendJSON); otherwise, or for a row JSON cannot carry
// as it is, nested maps (csvFacts). Both give the same lead.
//
// A row that is not valid CSV gets an error and the next row is read. A
// row longer than eval.MaxFactsSize (an unterminated quote makes the rest
// of the file one field) gets an error and ends the reading, with an error
// in *errp: memory stays bounded whatever the file.
func csvLeads(r io.Reader, pol *rules.Policy, direct bool, errp *error, warn io.Writer) iter.Seq[eval.Lead] {
	return func(yield func(eval.Lead) bool) {
		limit := &rowLimit{r: r, max: eval.MaxFactsSize + 64<<10}
		cr := csv.NewReader(limit)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header, err := cr.Read()
		switch {
		case errors.Is(err, io.EOF):
			return
		case errors.Is(err, errRowTooLong):
			*errp = fmt.Errorf("the header row is over %d bytes", eval.MaxFactsSize)
			return
		case err != nil:
			*errp = fmt.Errorf("the header row: %w", err)
			return
		}
		next := csvNextLine(cr, header) // the line the next row starts at
		cols := csvHeader(header, pol, warn)
		var tree *csvObject
		if direct && pol.Schema != nil {
			tree = csvTree(cols)
		}
		for {
			limit.n = 0
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			lead := eval.Lead{Seq: next}
			var perr *csv.ParseError
			switch {
			case errors.Is(err, errRowTooLong):
				lead.Err = fmt.Errorf("invalid lead: the row is over %d bytes (an unterminated quote?)", eval.MaxFactsSize)
				yield(lead)
				*errp = fmt.Errorf("line %d: a row over %d bytes; the rest of the file is not read", next, eval.MaxFactsSize)
				return
			case errors.As(err, &perr):
				lead.Seq = perr.StartLine
				lead.Err = fmt.Errorf("invalid lead: CSV: %v", perr.Err)
				next = perr.Line + 1
			case err != nil:
				*errp = err
				return
			case len(rec) != len(cols):
				lead.Seq, _ = cr.FieldPos(0)
				next = csvNextLine(cr, rec)
				lead.Err = fmt.Errorf("invalid lead: the row has %d fields and the header %d", len(rec), len(cols))
			default:
				lead.Seq, _ = cr.FieldPos(0)
				next = csvNextLine(cr, rec)
				// The row becomes facts in a worker: on the reading
				// goroutine it would hold the whole batch to one core.
				row := slices.Clone(rec) // rec is reused by the next Read
				rowBytes := 0
				for _, cell := range row {
					rowBytes += len(cell)
				}
				lead.Size = rowBytes
				lead.Load = func() (any, error) {
					if tree != nil {
						// The cells, and per cell its name, quotes, escapes.
						size := 64 + rowBytes + 24*len(row)
						// A row near the size limit may be over it as JSON,
						// which quotes and escapes: the maps take it then.
						if b, ok := tree.appendJSON(make([]byte, 0, size), cols, row); ok && len(b) <= eval.MaxFactsSize {
							return b, nil
						}
					}
					return csvFacts(cols, row), nil
				}
			}
			if !yield(lead) {
				return
			}
		}
	}
}

// csvNextLine is the line after the record the reader just read: its last
// field's line plus the line breaks in that field.
func csvNextLine(cr *csv.Reader, rec []string) int {
	line, _ := cr.FieldPos(len(rec) - 1)
	return line + strings.Count(rec[len(rec)-1], "\n") + 1
}

// errRowTooLong stops a CSV reader in a row longer than rowLimit allows.
var errRowTooLong = errors.New("CSV row too long")

// rowLimit reads from r until n, which the caller sets to 0 before each
// row, reaches max: the CSV reader then fails with errRowTooLong instead of
// reading a row of any length into memory.
type rowLimit struct {
	r      io.Reader
	n, max int
}

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.n >= l.max {
		return 0, errRowTooLong
	}
	if len(p) > l.max-l.n {
		p = p[:l.max-l.n]
	}
	k, err := l.r.Read(p)
	l.n += k
	return k, err
}

// csvHeader makes the columns of a header row, warning about each that
// names no fact of the policy, repeats an earlier column (the later cell
// wins, when not empty) or, in a policy without facts, names an object
// another column names a value of (a row with both keeps one).
func csvHeader(header []string, pol *rules.Policy, warn io.Writer) []csvColumn {
	cols := make([]csvColumn, len(header))
	seen := map[string]int{}
	// A header of thousands of columns gets a few warnings, then a count.
	warned := 0
	warnf := func(format string, args ...any) {
		if warned++; warned <= maxHeaderWarnings {
			fmt.Fprintf(warn, format, args...)
		}
	}
	defer func() {
		if more := warned - maxHeaderWarnings; more > 0 {
			fmt.Fprintf(warn, "qualify score: and %d more warnings about columns\n", more)
		}
	}()
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		cols[i] = csvColumn{path: strings.Split(h, "."), name: h}
		last, _ := jsontext.AppendQuote(nil, cols[i].path[len(cols[i].path)-1])
		cols[i].quoted = string(last)
		if pol.Schema != nil {
			cols[i].node = pol.Schema.Lookup(h)
			if cols[i].node == nil || cols[i].node.IsObject() {
				warnf("qualify score: column %d (%q) is not a fact of the policy; it is ignored\n", i+1, h)
				cols[i].skip = true
				continue
			}
		}
		if j, ok := seen[h]; ok {
			warnf("qualify score: column %d (%q) repeats column %d; in a row with both, the later cell wins unless it is empty\n", i+1, h, j+1)
			continue
		}
		seen[h] = i
	}
	if pol.Schema == nil {
		for i, col := range cols {
			h := col.name
			if seen[h] != i {
				continue // a repeat
			}
			for p := h; strings.Contains(p, "."); {
				p = p[:strings.LastIndexByte(p, '.')]
				if j, ok := seen[p]; ok {
					warnf("qualify score: column %d (%q) is inside column %d (%q); in a row with both, one is lost\n", i+1, h, j+1, p)
				}
			}
		}
	}
	return cols
}

// maxHeaderWarnings is how many warnings a header gets before a count.
const maxHeaderWarnings = 20

// csvColumn is a column of a CSV file: the fact path its header names.
type csvColumn struct {
	name string
	path []string
	node *rules.FactNode
	skip bool
	// quoted is the last segment of path as a JSON string.
	quoted string
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
		if !isNumber(s) {
			break
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) {
			return f
		}
	case model.KindNumber:
		if !isNumber(s) {
			break
		}
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
	if isNumber(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") {
		if v, ok := jsonCell(s); ok {
			return v
		}
	}
	return cell
}

// isNumber reports whether a cell is a number as JSON writes it: Go's
// other spellings (0x10, 1_000, .5, +1, Inf, NaN) are text in a CSV file,
// as in a JSON lead.
func isNumber(s string) bool {
	v := jsontext.Value(s)
	return v.Kind() == '0' && v.IsValid()
}

// jsonCell decodes a cell holding JSON, numbers kept as json.Number.
func jsonCell(s string) (any, bool) {
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err == nil
}

// csvObject is an object of the lead a CSV row becomes as JSON: the
// columns of the facts directly under it, in column order, and the objects
// under it.
type csvObject struct {
	name    string // the member name, quoted; "" for the lead itself
	cols    []int
	objects []*csvObject
}

// csvTree groups the columns that name facts by the objects they are in.
func csvTree(cols []csvColumn) *csvObject {
	root := &csvObject{}
	for i, col := range cols {
		if col.skip || col.node == nil {
			continue
		}
		o := root
		for _, seg := range col.path[:len(col.path)-1] {
			name, _ := jsontext.AppendQuote(nil, seg)
			var next *csvObject
			for _, c := range o.objects {
				if c.name == string(name) {
					next = c
				}
			}
			if next == nil {
				next = &csvObject{name: string(name)}
				o.objects = append(o.objects, next)
			}
			o = next
		}
		o.cols = append(o.cols, i)
	}
	return root
}

// appendJSON appends the row as a JSON object that the evaluator reads as
// the lead csvFacts makes of it: the cells typed as typedCell types them,
// empty cells and objects with nothing in them left out. ok is false for a
// row JSON cannot carry as it is (a cell with invalid UTF-8, a number JSON
// cannot write, a JSON cell encoding/json reads but jsontext does not):
// csvFacts handles those.
func (o *csvObject) appendJSON(dst []byte, cols []csvColumn, rec []string) (_ []byte, ok bool) {
	dst = append(dst, '{')
	empty := true
	member := func(name string) {
		if !empty {
			dst = append(dst, ',')
		}
		empty = false
		dst = append(dst, name...)
		dst = append(dst, ':')
	}
	for _, i := range o.cols {
		col := cols[i]
		if strings.TrimSpace(rec[i]) == "" {
			continue
		}
		mark := len(dst)
		member(col.quoted)
		if dst, ok = appendCell(dst, col.node.Type, rec[i]); !ok {
			return dst[:mark], false
		}
	}
	for _, c := range o.objects {
		mark, wasEmpty := len(dst), empty
		member(c.name)
		inner, ok := c.appendJSON(dst, cols, rec)
		if !ok {
			return dst[:mark], false
		}
		if len(inner) == len(dst)+2 { // {}: no cell under it
			dst, empty = dst[:mark], wasEmpty
			continue
		}
		dst = inner
	}
	return append(dst, '}'), true
}

// appendCell appends a cell as the JSON value that decodes to what
// typedCell makes of it; ok is false when there is none. Scalars are typed
// by typedCell itself; a list cell is copied as the JSON it holds, not
// decoded as typedCell does.
func appendCell(dst []byte, t *rules.Type, cell string) ([]byte, bool) {
	if t.Kind == model.KindList {
		return appendListCell(dst, t, cell)
	}
	switch v := typedCell(t, cell).(type) {
	case int64:
		return strconv.AppendInt(dst, v, 10), true
	case float64:
		if t.Kind == model.KindInt { // a whole number written 12.0 or 1e2
			if math.Abs(v) >= 1<<53 {
				return dst, false
			}
			return strconv.AppendInt(dst, int64(v), 10), true
		}
		// The number is written as results write it (an object read whole
		// shows it as it is written here), which must also be v exactly.
		if math.IsNaN(v) || math.IsInf(v, 0) || v != model.Round(v) || v == 0 && math.Signbit(v) {
			return dst, false
		}
		return strconv.AppendFloat(dst, v, 'f', -1, 64), true
	case bool:
		return strconv.AppendBool(dst, v), true
	case string:
		return appendQuoted(dst, v)
	}
	return dst, false
}

// appendListCell is appendCell for a list fact.
func appendListCell(dst []byte, t *rules.Type, cell string) ([]byte, bool) {
	s := strings.TrimSpace(cell)
	switch {
	case strings.HasPrefix(s, "["):
		if jsontext.Value(s).IsValid() {
			return append(dst, s...), true
		}
		if _, ok := jsonCell(s); ok {
			return dst, false // encoding/json reads it (trailing text): csvFacts
		}
		return appendQuoted(dst, cell)
	case t.Elem.Kind == model.KindString:
		dst = append(dst, '[')
		for i, p := range strings.Split(cell, "|") {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendQuoted(dst, strings.TrimSpace(p)); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	}
	return appendQuoted(dst, s)
}

// appendQuoted appends s as a JSON string; ok is false for invalid UTF-8.
func appendQuoted(dst []byte, s string) ([]byte, bool) {
	out, err := jsontext.AppendQuote(dst, s)
	return out, err == nil
}
