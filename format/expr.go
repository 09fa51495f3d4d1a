package format

import (
	"strings"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
)

// exprText is a condition prepared for layout: its lines with canonical
// spacing, its comments, and what is needed to re-indent its continuation
// lines once the column it starts at is known.
type exprText struct {
	tok int
	// raw keeps the condition's source text exactly, lines and all.
	raw      bool
	rawLines []string
	lines    []xline
	// c0 is the original column of the condition's first character and
	// itemIndent the original indentation of the line its item starts on.
	c0, itemIndent int
}

// xline is one line of a condition.
type xline struct {
	code    string
	comment string
	// own marks a line holding only a comment; blank an empty line.
	own, blank bool
	// indent is the line's original indentation, in columns.
	indent int
}

// multiline reports whether the condition spans several lines.
func (x *exprText) multiline() bool {
	if x.raw {
		return len(x.rawLines) > 1
	}
	return len(x.lines) > 1
}

// width is the width of the condition's first line.
func (x *exprText) width() int {
	if x.raw {
		return runeLen(x.rawLines[0])
	}
	return runeLen(x.lines[0].code)
}

// render lays the condition out starting at column col of an item indented
// by indent: it returns the text of the first line, that line's comment,
// and the lines after it.
func (x *exprText) render(col, indent int) (string, string, []outLine) {
	if x.raw {
		var rest []outLine
		for _, l := range x.rawLines[1:] {
			rest = append(rest, outLine{text: l, verbatim: true})
		}
		return x.rawLines[0], "", rest
	}
	delta := col - x.c0
	var rest []outLine
	for _, l := range x.lines[1:] {
		if l.blank {
			if len(rest) > 0 && rest[len(rest)-1].text == "" {
				continue
			}
			rest = append(rest, outLine{})
			continue
		}
		var n int
		if l.indent >= x.c0 {
			// Indented under the condition: move with it.
			n = l.indent + delta
		} else {
			// A hanging indent: keep it relative to the item.
			n = indent + l.indent - x.itemIndent
		}
		if n < indent {
			n = indent
		}
		if l.own {
			rest = append(rest, outLine{text: spaces(n) + l.comment})
			continue
		}
		rest = append(rest, outLine{text: spaces(n) + l.code, comments: nonEmpty(l.comment)})
	}
	return x.lines[0].code, x.lines[0].comment, rest
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Token classes of a condition, which decide the spaces between tokens.
type class int

const (
	clOperand    class = iota // a name, literal, # or a closing bracket
	clOpen                    // ( [ {
	clClose                   // ) ] }
	clComma                   // ,
	clMember                  // . or ?. after an operand
	clPrefixDot               // . where an operand is expected: .field is #.field
	clUnary                   // ! - + not, where an operand is expected
	clBinary                  // every binary operator, and the ternary ? and :
	clMapColon                // the colon after a map key
	clSliceColon              // the colon of a slice a[1:2]
	clRange                   // ..
)

// xtok is one token of a condition.
type xtok struct {
	text  string
	class class
	line  int
	// call marks an opening bracket right after an operand: a call or index.
	call bool
	// frame is the bracket the token is in.
	frame *frame
}

// frame is an open bracket, or the top level of the condition.
type frame struct {
	bracket byte
	// ternary counts the ? still waiting for their : in this bracket.
	ternary int
}

// format prepares the condition text (with comments blanked) for layout.
// It returns false when the text is not one the formatter respaces safely:
// expr cannot lex it, a token spans lines (a raw string), or it uses expr's
// own comments, sequences, let or if.
func (x *exprText) format(text string, comments []lineComment) bool {
	toks, err := lexer.Lex(file.NewSource(text))
	if err != nil {
		return false
	}
	// Rune offsets, as expr's locations count, to byte offsets.
	byteAt := make([]int, 0, len(text)+1)
	for i := range text {
		byteAt = append(byteAt, i)
	}
	byteAt = append(byteAt, len(text))
	at := func(r int) int {
		if r < 0 {
			return 0
		}
		if r >= len(byteAt) {
			return len(text)
		}
		return byteAt[r]
	}
	covered := make([]bool, len(text))
	var xs []xtok
	root := &frame{}
	stack := []*frame{root}
	prevOperand := false
	line, lineFrom := 0, 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Kind == lexer.EOF {
			break
		}
		b0, b1 := at(t.From), at(t.To)
		if b1 <= b0 || b1 > len(text) {
			return false
		}
		src := text[b0:b1]
		if strings.ContainsAny(src, "\n\r") {
			return false
		}
		for j := b0; j < b1; j++ {
			covered[j] = true
		}
		line += strings.Count(text[lineFrom:b0], "\n")
		lineFrom = b0
		top := stack[len(stack)-1]
		xt := xtok{text: src, line: line, frame: top}
		switch t.Kind {
		case lexer.Identifier, lexer.Number, lexer.String, lexer.Bytes:
			xt.class = clOperand
		case lexer.Bracket:
			switch src {
			case "(", "[", "{":
				xt.class = clOpen
				xt.call = prevOperand && src != "{"
				stack = append(stack, &frame{bracket: src[0]})
			default:
				xt.class = clClose
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
			}
		case lexer.Operator:
			switch src {
			case "#":
				xt.class = clOperand
				// #index, #acc: the pointer and its name are one operand.
				if i+1 < len(toks) && toks[i+1].Kind == lexer.Identifier && toks[i+1].From == t.To {
					n := toks[i+1]
					nb0, nb1 := at(n.From), at(n.To)
					for j := nb0; j < nb1; j++ {
						covered[j] = true
					}
					xt.text = text[b0:nb1]
					i++
				}
			case ",":
				xt.class = clComma
			case ".", "?.":
				if prevOperand {
					xt.class = clMember
				} else {
					xt.class = clPrefixDot
				}
			case "!":
				xt.class = clUnary
			case "-", "+", "not":
				if prevOperand {
					xt.class = clBinary
				} else {
					xt.class = clUnary
				}
			case "?":
				xt.class = clBinary
				top.ternary++
			case ":":
				switch {
				case top.ternary > 0:
					xt.class = clBinary
					top.ternary--
				case top.bracket == '{':
					xt.class = clMapColon
				case top.bracket == '[':
					xt.class = clSliceColon
				default:
					xt.class = clBinary
				}
			case "..":
				xt.class = clRange
			case ";", "let", "if", "else":
				return false
			default:
				xt.class = clBinary
			}
		default:
			return false
		}
		prevOperand = xt.class == clOperand || xt.class == clClose
		xs = append(xs, xt)
	}
	for i, c := range []byte(text) {
		if !covered[i] && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false // expr's own // or /* */ comments
		}
	}

	raw := strings.Split(text, "\n")
	x.lines = make([]xline, len(raw))
	for i, l := range raw {
		if i > 0 {
			x.lines[i].indent = displayWidth(l[:len(l)-len(strings.TrimLeft(l, " \t"))])
		}
	}
	// The code of each line, with canonical spaces between its tokens.
	var b strings.Builder
	lineToks := make([][]xtok, len(raw))
	for _, t := range xs {
		lineToks[t.line] = append(lineToks[t.line], t)
	}
	for i, ts := range lineToks {
		b.Reset()
		for j, t := range ts {
			if j > 0 {
				b.WriteString(space(ts[j-1], t))
			}
			if t.text == "#" && j == len(ts)-1 {
				// A pointer that ends a line would be read back as a
				// comment ("where#}" laid out as "where #", then "}"):
				// brackets keep it the pointer, and the same expression.
				b.WriteString("(#)")
				continue
			}
			b.WriteString(t.text)
		}
		x.lines[i].code = b.String()
	}
	for _, c := range comments {
		if c.line < 0 || c.line >= len(x.lines) {
			return false
		}
		l := &x.lines[c.line]
		if c.own {
			if l.code != "" {
				return false
			}
			l.own, l.indent = true, c.column
		}
		l.comment = c.text
	}
	for i := 1; i < len(x.lines); i++ {
		l := &x.lines[i]
		l.blank = l.code == "" && l.comment == ""
	}
	alignKeys(x.lines, lineToks)
	return true
}

// lineComment is a comment inside a condition: the line of the condition
// it is on, its text, and, for a comment alone on its line, its column.
type lineComment struct {
	line   int
	text   string
	own    bool
	column int
}

// space returns the spaces between two tokens on one line.
func space(prev, cur xtok) string {
	switch {
	case prev.class == clOpen, cur.class == clClose, cur.class == clComma:
		return ""
	case prev.class == clComma:
		return " "
	case cur.class == clMember, prev.class == clMember, prev.class == clPrefixDot:
		return ""
	case cur.class == clOpen && cur.call:
		return ""
	case prev.class == clUnary:
		if prev.text == "not" {
			return " "
		}
		return ""
	case cur.class == clMapColon, cur.class == clSliceColon, prev.class == clSliceColon:
		return ""
	case cur.class == clRange, prev.class == clRange:
		return ""
	}
	return " "
}

// alignKeys lines up the values of a map literal written one key per line:
// consecutive lines of one map that start with `key:` get their values in
// one column.
func alignKeys(lines []xline, lineToks [][]xtok) {
	type keyed struct {
		line int
		key  string
	}
	var run []keyed
	flush := func() {
		if len(run) >= 2 {
			w := 0
			for _, k := range run {
				w = max(w, runeLen(k.key))
			}
			for _, k := range run {
				l := &lines[k.line]
				rest := strings.TrimPrefix(l.code[len(k.key)+1:], " ")
				l.code = k.key + ":" + spaces(w-runeLen(k.key)+1) + rest
			}
		}
		run = run[:0]
	}
	var lastFrame *frame
	lastIndent := -1
	for i, ts := range lineToks {
		if i == 0 {
			continue
		}
		l := lines[i]
		if l.own {
			continue
		}
		if len(ts) < 3 || ts[0].class != clOperand || ts[1].class != clMapColon {
			flush()
			continue
		}
		if len(run) > 0 && (ts[0].frame != lastFrame || l.indent != lastIndent) {
			flush()
		}
		lastFrame, lastIndent = ts[0].frame, l.indent
		run = append(run, keyed{line: i, key: ts[0].text})
	}
	flush()
}

// displayWidth returns the width of s in columns, tabs expanded.
func displayWidth(s string) int { return advance(0, s) }

// advance returns the column after s written from column col.
func advance(col int, s string) int {
	for _, r := range s {
		if r == '\t' {
			col += TabWidth - col%TabWidth
		} else {
			col++
		}
	}
	return col
}

func runeLen(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}
