package parser

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Pos is a position in a source file. Line and Column are 1-based; Column
// counts characters (runes), not bytes. Offset is the byte offset.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Offset int    `json:"offset"`
}

// String renders the position as file:line:col, or the file alone for a
// problem with the whole file.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// IsValid reports whether the position points into a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Before reports whether p comes before q (by file name, then offset).
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	return p.Offset < q.Offset
}

// Range is a span of source text from Start (inclusive) to End (exclusive).
type Range struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}

// String renders the start of the range as file:line:col.
func (r Range) String() string { return r.Start.String() }

// Source is the text of one policy or test file with an index of its lines,
// used to turn byte offsets into positions and to quote source lines in
// diagnostics.
type Source struct {
	Name       string
	Text       string
	lineStarts []int
	// lineRunes[i] counts the runes before lineStarts[i]; marks are rune
	// boundaries about every markStep bytes, with the runes before each.
	// Together they make PosAt cost the same on a long line as on a short
	// one.
	lineRunes []int
	marks     []runeMark
	// invalid is set when the text is not valid UTF-8.
	invalid bool
}

// runeMark is a rune boundary and the number of runes before it.
type runeMark struct {
	offset, runes int
}

// markStep is the distance in bytes between two runeMarks.
const markStep = 128

// NewSource indexes text, the contents of the file called name.
func NewSource(name, text string) *Source {
	s := &Source{Name: name, Text: text, lineStarts: []int{0}, lineRunes: []int{0}}
	runes := 0
	for i := 0; i < len(text); {
		if i >= len(s.marks)*markStep {
			s.marks = append(s.marks, runeMark{i, runes})
		}
		c := text[i]
		size := 1
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && size == 1 {
				s.invalid = true
			}
		}
		i += size
		runes++
		if c == '\n' {
			s.lineStarts = append(s.lineStarts, i)
			s.lineRunes = append(s.lineRunes, runes)
		}
	}
	return s
}

// PosAt returns the position of the byte at offset.
func (s *Source) PosAt(offset int) Pos {
	if offset < 0 {
		offset = 0
	}
	if offset > len(s.Text) {
		offset = len(s.Text)
	}
	line := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > offset }) - 1
	return Pos{File: s.Name, Line: line + 1, Column: s.column(line, offset), Offset: offset}
}

// LineStart returns the byte offset at which the line holding offset
// begins.
func (s *Source) LineStart(offset int) int {
	line := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > offset }) - 1
	return s.lineStarts[max(line, 0)]
}

// column returns the 1-based column of offset on the 0-based line: the runes
// from the line's start, counted from the nearest mark when it is on the
// line. Decoding from a rune boundary meets the same boundaries as decoding
// from the line's start, so the count is the same.
func (s *Source) column(line, offset int) int {
	start := s.lineStarts[line]
	i := min(offset/markStep, len(s.marks)-1)
	for i >= 0 && s.marks[i].offset > offset {
		i--
	}
	if i < 0 || s.marks[i].offset <= start {
		return utf8.RuneCountInString(s.Text[start:offset]) + 1
	}
	m := s.marks[i]
	return m.runes - s.lineRunes[line] + utf8.RuneCountInString(s.Text[m.offset:offset]) + 1
}

// RangeAt returns the range of the bytes [from, to).
func (s *Source) RangeAt(from, to int) Range {
	return Range{Start: s.PosAt(from), End: s.PosAt(to)}
}

// byteInLine returns the byte offset of p in its line's text (Line), or -1
// when that is not known: the file is not valid UTF-8 (its lines are
// copied with replacements), or p's offset does not match its column.
func (s *Source) byteInLine(p Pos) int {
	if s.invalid || p.Line < 1 || p.Line > len(s.lineStarts) {
		return -1
	}
	start := s.lineStarts[p.Line-1]
	if p.Offset < start || p.Offset > start+len(s.Line(p.Line)) || s.column(p.Line-1, p.Offset) != p.Column {
		return -1
	}
	return p.Offset - start
}

// printableLine returns line n made printable: invalid UTF-8 becomes
// U+FFFD. It copies the line only when the file is not valid UTF-8, so that
// many diagnostics on one long line do not each copy it.
func (s *Source) printableLine(n int) string {
	if s.invalid {
		return cleanLine(s.Line(n))
	}
	return s.Line(n)
}

// Line returns the text of the 1-based line n, without its newline.
func (s *Source) Line(n int) string {
	if n < 1 || n > len(s.lineStarts) {
		return ""
	}
	start := s.lineStarts[n-1]
	end := len(s.Text)
	if n < len(s.lineStarts) {
		end = s.lineStarts[n] - 1
	}
	return strings.TrimRight(s.Text[start:end], "\r")
}
