package parser

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// posAtByCounting is PosAt as the definition says: the line counts the
// newlines before offset, the column the characters (runes) from the
// line's start.
func posAtByCounting(name, text string, offset int) Pos {
	offset = max(0, min(offset, len(text)))
	start := strings.LastIndexByte(text[:offset], '\n') + 1
	return Pos{File: name, Line: strings.Count(text[:offset], "\n") + 1,
		Column: utf8.RuneCountInString(text[start:offset]) + 1, Offset: offset}
}

// TestSource_PosAt checks PosAt at every offset of texts with long lines,
// multi-byte characters across the marks it counts from, and invalid UTF-8
// (which Scan never sees, but PosAt also places JSON errors).
func TestSource_PosAt(t *testing.T) {
	pieces := []string{"a", " ", "\n", "é", "日本", "😀", "\xff", "\xe2\x82", "\x80", "\r\n", "\t"}
	r := rand.New(rand.NewSource(1))
	texts := []string{"", "\n", "abc", strings.Repeat("x", 3*markStep+1), strings.Repeat("é", 2*markStep) + "\n" + strings.Repeat("日", markStep)}
	for range 200 {
		var b strings.Builder
		for n := r.Intn(6 * markStep); b.Len() < n; {
			if r.Intn(4) == 0 {
				b.WriteString(pieces[r.Intn(len(pieces))])
			} else {
				b.WriteString(pieces[r.Intn(6)])
			}
		}
		texts = append(texts, b.String())
	}
	for i, text := range texts {
		src := NewSource("t.qual", text)
		for off := -1; off <= len(text)+1; off++ {
			want := posAtByCounting("t.qual", text, off)
			if got := src.PosAt(off); got != want {
				require.Equal(t, want, got, fmt.Sprintf("text %d %q at %d", i, text, off))
			}
		}
	}
}

// TestSource_LineStart checks LineStart on the lines of a small text.
func TestSource_LineStart(t *testing.T) {
	src := NewSource("t.qual", "ab\n\ncdé\nx")
	for off, want := range []int{0, 0, 0, 3, 4, 4, 4, 4, 4, 9, 9} {
		assert.Equal(t, want, src.LineStart(off), "offset %d", off)
	}
}

// windowByRunes is window as it was first written, converting the whole
// line to runes.
func windowByRunes(line string, rng Range) (string, Range) {
	runes := []rune(line)
	if len(runes) <= maxLineWidth {
		return line, rng
	}
	start := max(rng.Start.Column-1-maxLineWidth/3, 0)
	end := start + maxLineWidth
	if end > len(runes) {
		end = len(runes)
		start = end - maxLineWidth
	}
	out := string(runes[start:end])
	shift := start
	if start > 0 {
		out = "..." + out
		shift -= 3
	}
	if end < len(runes) {
		out += "..."
	}
	rng.Start.Column -= shift
	if rng.End.Line == rng.Start.Line {
		rng.End.Column -= shift
	}
	return out, rng
}

// TestWindow checks the window a diagnostic quotes of a long line, with
// wide and invalid characters, at every column.
func TestWindow(t *testing.T) {
	pieces := []string{"a", " ", "\t", "é", "日本", "😀", "\xff", "\xe2\x82"}
	r := rand.New(rand.NewSource(2))
	for range 100 {
		var b strings.Builder
		for n := r.Intn(5 * maxLineWidth); b.Len() < n; {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		line := b.String()
		for col := 1; col <= utf8.RuneCountInString(line)+2; col++ {
			rng := Range{Start: Pos{Line: 1, Column: col}, End: Pos{Line: 1, Column: col + 3}}
			wantLine, wantRng := windowByRunes(line, rng)
			gotLine, gotRng := window(line, rng)
			require.Equal(t, wantLine, gotLine, "%q at %d", line, col)
			require.Equal(t, wantRng, gotRng, "%q at %d", line, col)
		}
	}
}

// TestWindowAt holds windowAt, which reads only around the range's start,
// to window, which counts the whole line, for lines of every length and
// script and a range at every character.
func TestWindowAt(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabets := []string{"a", "ab c", "é€", "a😀b", "\tx"}
	for n := 0; n < 400; n++ {
		alpha := []rune(alphabets[n%len(alphabets)])
		length := rng.Intn(600)
		if n%7 == 0 {
			length = maxLineWidth + rng.Intn(3) - 1 // around the width
		}
		var b strings.Builder
		for range length {
			b.WriteRune(alpha[rng.Intn(len(alpha))])
		}
		line := b.String()
		at, col := 0, 1
		for {
			r := Range{Start: Pos{Line: 3, Column: col}, End: Pos{Line: 3, Column: col + rng.Intn(5)}}
			wantLine, wantRng := window(line, r)
			gotLine, gotRng := windowAt(line, r, at)
			require.Equal(t, wantLine, gotLine, "line of %d characters, column %d", utf8.RuneCountInString(line), col)
			require.Equal(t, wantRng, gotRng, "line of %d characters, column %d", utf8.RuneCountInString(line), col)
			if at == len(line) {
				break
			}
			_, size := utf8.DecodeRuneInString(line[at:])
			at += size
			col++
		}
	}
}

// TestDiagnostic_longLineSnippet: a diagnostic made from its source cuts
// a long line around its range as one made without the offset does.
func TestDiagnostic_longLineSnippet(t *testing.T) {
	line := strings.Repeat("é x ", 300)
	src := NewSource("p.qual", "a\n"+line+"\nb\n")
	for _, off := range []int{2, 3, 100, 555, 2 + len(line) - 1} {
		rng := src.RangeAt(off, off+1)
		d := NewDiagnostic(src, CodeSyntax, rng, "m")
		require.Equal(t, off-2+1, d.lineAt, "offset %d", off)
		plain := &Diagnostic{Code: CodeSyntax, Severity: Error, Message: "m", Range: rng, Line: d.Line}
		assert.Equal(t, plain.Error(), d.Error(), "offset %d", off)
	}
}
