package parser

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/go-multierror"
)

// Code is the stable identifier of a kind of diagnostic, such as "E100".
// Every code is documented in docs/errors.md.
type Code string

// Codes reported by the parser.
const (
	// CodeSyntax is a syntax error in a .qual file.
	CodeSyntax Code = "E100"
	// CodeLiteral is a malformed literal: a string, number or duration.
	CodeLiteral Code = "E101"
	// CodeFileTooLarge is a file over the size limit.
	CodeFileTooLarge Code = "E102"
	// CodeFile is a file that cannot be read.
	CodeFile Code = "E103"
)

// Severity says whether a diagnostic stops a policy from compiling.
type Severity string

// Severities of diagnostics.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Note is a secondary position that explains a diagnostic, such as the place
// where a name was first defined. Line, when set, is the source line at Pos,
// quoted under the note.
type Note struct {
	Message string `json:"message"`
	Pos     Pos    `json:"pos"`
	Line    string `json:"line,omitempty"`
}

// NoteAt returns a note at pos that quotes its line from src (which may be nil).
func NoteAt(src *Source, pos Pos, message string) Note {
	n := Note{Message: message, Pos: pos}
	if src != nil && pos.Line > 0 {
		n.Line = src.printableLine(pos.Line)
	}
	return n
}

// Diagnostic is one positioned error or warning about a source file. It
// carries the text of the source line so it can be rendered on its own.
type Diagnostic struct {
	Code       Code     `json:"code"`
	Severity   Severity `json:"severity"`
	Message    string   `json:"message"`
	Range      Range    `json:"range"`
	Suggestion string   `json:"suggestion,omitempty"`
	Why        string   `json:"why,omitempty"`
	Notes      []Note   `json:"notes,omitempty"`
	// Line is the source line of Range.Start, used to draw the caret.
	Line string `json:"line"`
	// lineAt is 1 + the byte offset of Range.Start in Line, when known:
	// a long line is then cut around it without counting the whole line.
	lineAt int
}

// NewDiagnostic returns an error diagnostic at rng in src.
func NewDiagnostic(src *Source, code Code, rng Range, format string, args ...any) *Diagnostic {
	d := &Diagnostic{Code: code, Severity: Error, Message: fmt.Sprintf(format, args...), Range: rng}
	if src != nil {
		d.Line = src.printableLine(rng.Start.Line)
		d.lineAt = src.byteInLine(rng.Start) + 1
	}
	return d
}

// cleanLine makes a source line printable: invalid UTF-8 becomes U+FFFD.
func cleanLine(line string) string {
	return strings.ToValidUTF8(line, "\uFFFD")
}

// maxLineWidth is the widest source line a diagnostic quotes in full; a
// longer line is cut to a window around the caret.
const maxLineWidth = 160

// Snippet renders the diagnostic's source line with a caret under its
// range, as Error shows them, or "" when it has no line.
func (d *Diagnostic) Snippet() string {
	if d.Line == "" || d.Range.Start.Line <= 0 {
		return ""
	}
	var b strings.Builder
	writeSnippet(&b, d.Line, d.Range, d.lineAt-1)
	return strings.TrimPrefix(b.String(), "\n")
}

// Error renders the diagnostic with its source line and a caret.
func (d *Diagnostic) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s[%s]: %s", d.Range.Start, d.Severity, d.Code, d.Message)
	if d.Line != "" && d.Range.Start.Line > 0 {
		writeSnippet(&b, d.Line, d.Range, d.lineAt-1)
	}
	if d.Suggestion != "" {
		fmt.Fprintf(&b, "\n   = %s", d.Suggestion)
	}
	if d.Why != "" {
		fmt.Fprintf(&b, "\n   = why: %s", d.Why)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "\n   = %s: %s", n.Pos, n.Message)
		if n.Line != "" {
			writeSnippet(&b, n.Line, Range{Start: n.Pos, End: n.Pos}, -1)
		}
	}
	return b.String()
}

// writeSnippet writes the numbered source line and the caret line under it.
// at is the byte offset of rng.Start in line, or -1 when it is not known.
func writeSnippet(b *strings.Builder, line string, rng Range, at int) {
	if at >= 0 && at <= len(line) {
		line, rng = windowAt(line, rng, at)
	} else {
		line, rng = window(line, rng)
	}
	line = strings.Map(visible, line)
	num := fmt.Sprint(rng.Start.Line)
	gutter := strings.Repeat(" ", len(num))
	fmt.Fprintf(b, "\n %s | %s\n %s | %s", num, line, gutter, caret(line, rng))
}

// visible replaces a control character (but a tab) with U+FFFD, one
// character for one so that the caret stays in place: a quoted line must
// not send escape sequences to the terminal that shows the error.
func visible(r rune) rune {
	if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
		return '\uFFFD'
	}
	return r
}

// window cuts a long line to maxLineWidth characters around the range,
// marking the cuts with "...", and shifts the range to match. It finds the
// range's byte offset by counting the characters before it; windowAt does
// the rest.
func window(line string, rng Range) (string, Range) {
	if len(line) <= maxLineWidth {
		return line, rng
	}
	at, before := 0, 0
	for before < rng.Start.Column-1 && at < len(line) {
		_, size := utf8.DecodeRuneInString(line[at:])
		at += size
		before++
	}
	return windowAround(line, rng, at, before)
}

// windowAt is window for a range that starts at byte at of line: it reads
// only the characters around at, so that many diagnostics on one long line
// do not each count the whole line. Column counts characters as
// utf8.DecodeRuneInString does (an invalid byte is one).
func windowAt(line string, rng Range, at int) (string, Range) {
	if len(line) <= maxLineWidth {
		return line, rng
	}
	return windowAround(line, rng, at, rng.Start.Column-1)
}

// windowAround cuts the window around byte at of line, before characters
// from its start (fewer than the range's column says when the range starts
// past the end of the line).
func windowAround(line string, rng Range, at, before int) (string, Range) {
	// Back from at by up to a third of the width, then forward the width.
	from, back := at, 0
	for from > 0 && back < maxLineWidth/3 && back < before {
		_, size := utf8.DecodeLastRuneInString(line[:from])
		from -= size
		back++
	}
	start := before - back
	to, ahead := from, 0
	for to < len(line) && ahead < maxLineWidth {
		_, size := utf8.DecodeRuneInString(line[to:])
		to += size
		ahead++
	}
	if to == len(line) {
		// The line ends within the width: it is short, or the window ends
		// at its end and starts the width before it.
		n := start + ahead
		if n <= maxLineWidth {
			return line, rng
		}
		for ahead < maxLineWidth {
			_, size := utf8.DecodeLastRuneInString(line[:from])
			from -= size
			ahead++
			start--
		}
	}
	out := line[from:to]
	if !utf8.ValidString(out) {
		out = string([]rune(out)) // each invalid byte a U+FFFD, as counted
	}
	shift := start
	if start > 0 {
		out = "..." + out
		shift -= 3
	}
	if to < len(line) {
		out += "..."
	}
	rng.Start.Column -= shift
	if rng.End.Line == rng.Start.Line {
		rng.End.Column -= shift
	}
	return out, rng
}

// caret draws the marker line under the span of rng on line: the prefix keeps
// the line's tabs so the marker lines up however tabs are displayed.
func caret(line string, rng Range) string {
	var b strings.Builder
	col := 1
	for _, r := range line {
		if col >= rng.Start.Column {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		col++
	}
	width := 1
	if rng.End.Line == rng.Start.Line && rng.End.Column > rng.Start.Column {
		width = rng.End.Column - rng.Start.Column
	}
	if rest := utf8.RuneCountInString(line) - rng.Start.Column + 1; rest > 0 && width > rest {
		width = rest
	}
	b.WriteString(strings.Repeat("^", width))
	return b.String()
}

// SortDiagnostics orders diagnostics by file, then position, then code.
func SortDiagnostics(ds []*Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Range.Start, ds[j].Range.Start
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return ds[i].Code < ds[j].Code
	})
}

// Gather sorts diagnostics and returns them as one error, or nil if there are
// none. The error is a *multierror.Error whose message renders every
// diagnostic followed by a count.
func Gather(ds []*Diagnostic) error {
	if len(ds) == 0 {
		return nil
	}
	SortDiagnostics(ds)
	var merr *multierror.Error
	for _, d := range ds {
		merr = multierror.Append(merr, d)
	}
	merr.ErrorFormat = formatDiagnostics
	return merr
}

func formatDiagnostics(errs []error) string {
	var b strings.Builder
	var nerr, nwarn int
	for i, err := range errs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(err.Error())
		var d *Diagnostic
		if errors.As(err, &d) && d.Severity == Warning {
			nwarn++
		} else {
			nerr++
		}
	}
	b.WriteString("\n\n")
	b.WriteString(countLine(nerr, nwarn))
	return b.String()
}

func countLine(nerr, nwarn int) string {
	var parts []string
	if nerr > 0 {
		parts = append(parts, plural(nerr, "error"))
	}
	if nwarn > 0 {
		parts = append(parts, plural(nwarn, "warning"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Diagnostics extracts the diagnostics from an error returned by this
// module's compile functions. Errors that are not diagnostics are skipped.
func Diagnostics(err error) []*Diagnostic {
	if err == nil {
		return nil
	}
	var out []*Diagnostic
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			var d *Diagnostic
			if errors.As(e, &d) {
				out = append(out, d)
			}
		}
		return out
	}
	var d *Diagnostic
	if errors.As(err, &d) {
		out = append(out, d)
	}
	return out
}
