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
}

// NewSource indexes text, the contents of the file called name.
func NewSource(name, text string) *Source {
	s := &Source{Name: name, Text: text, lineStarts: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
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
	start := s.lineStarts[line]
	return Pos{File: s.Name, Line: line + 1, Column: utf8.RuneCountInString(s.Text[start:offset]) + 1, Offset: offset}
}

// RangeAt returns the range of the bytes [from, to).
func (s *Source) RangeAt(from, to int) Range {
	return Range{Start: s.PosAt(from), End: s.PosAt(to)}
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
