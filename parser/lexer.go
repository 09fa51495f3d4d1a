package parser

import (
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// TokenKind classifies the tokens of a .qual file.
type TokenKind int

// Token kinds. The statement language has names, dotted paths, strings,
// numbers, durations and punctuation; every condition is one Expr token whose
// extent the scanner decides (see scanExpr).
const (
	TokEOF TokenKind = iota
	TokIdent
	TokPath
	TokString
	TokNumber
	TokDuration
	TokPunct
	TokExpr
	TokPointsExpr
	TokComment
)

var tokenNames = map[TokenKind]string{
	TokEOF: "EOF", TokIdent: "Ident", TokPath: "Path", TokString: "String",
	TokNumber: "Number", TokDuration: "Duration", TokPunct: "Punct",
	TokExpr: "Expr", TokPointsExpr: "PointsExpr", TokComment: "Comment",
}

// Token is one lexical token. Text is the token's source text; for Expr and
// PointsExpr tokens it is the expression with comments blanked out (each
// comment character replaced by a space, so character offsets into Text are
// offsets into the file from Start).
type Token struct {
	Kind  TokenKind
	Text  string
	Start Pos
	End   Pos
}

// Comment is a '#' comment and where it stands.
type Comment struct {
	Text string // including the leading '#'
	Range
	// Own is true when the comment is alone on its line.
	Own bool
}

// Scan splits src into tokens and comments. It is used by the parser and by
// the formatter, which needs the comments.
func Scan(src *Source) ([]Token, []Comment, error) {
	s := &scanner{src: src, text: src.Text, blankLine: -1}
	for {
		tok, err := s.next()
		if err != nil {
			return s.toks, s.comments, err
		}
		s.toks = append(s.toks, tok)
		if tok.Kind == TokEOF {
			return s.toks, s.comments, nil
		}
	}
}

type scanner struct {
	src      *Source
	text     string
	off      int
	toks     []Token
	comments []Comment
	// pendingExpr is set after a keyword that starts an expression.
	pendingExpr bool
	// pendingPoints is set after a sign that may start a points expression.
	pendingPoints bool
	// blankLine and blankEnd remember, for the line starting at blankLine,
	// the offset of its first character that is not a blank (see
	// blankBefore); blankLine is -1 until a line is looked at.
	blankLine, blankEnd int
}

func (s *scanner) errAt(from, to int, code Code, format string, args ...any) error {
	return NewDiagnostic(s.src, code, s.src.RangeAt(from, to), format, args...)
}

func (s *scanner) token(kind TokenKind, from, to int) Token {
	return Token{Kind: kind, Text: s.text[from:to], Start: s.src.PosAt(from), End: s.src.PosAt(to)}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) peek(i int) byte {
	if s.off+i < len(s.text) {
		return s.text[s.off+i]
	}
	return 0
}

// skipSpace skips blanks and, when newlines is true, line breaks too.
func (s *scanner) skipSpace(newlines bool) {
	for s.off < len(s.text) {
		c := s.text[s.off]
		if c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n') {
			s.off++
			continue
		}
		return
	}
}

func (s *scanner) comment() {
	from := s.off
	for s.off < len(s.text) && s.text[s.off] != '\n' {
		s.off++
	}
	own := s.blankBefore(from)
	s.comments = append(s.comments, Comment{Text: strings.TrimRight(s.text[from:s.off], " \t\r"), Range: s.src.RangeAt(from, s.off), Own: own})
}

func (s *scanner) next() (Token, error) {
	if s.pendingExpr {
		s.pendingExpr = false
		return s.scanExpr()
	}
	if s.pendingPoints {
		s.pendingPoints = false
		s.skipSpace(false)
		if s.peek(0) == '(' {
			return s.scanPointsExpr()
		}
	}
	for {
		s.skipSpace(true)
		if s.peek(0) == '#' {
			s.comment()
			continue
		}
		break
	}
	if s.off >= len(s.text) {
		return s.token(TokEOF, s.off, s.off), nil
	}
	from := s.off
	c := s.text[s.off]
	switch {
	case isIdentStart(c):
		kind := TokIdent
		for s.off < len(s.text) && isIdentChar(s.text[s.off]) {
			s.off++
		}
		for s.peek(0) == '.' && isIdentStart(s.peek(1)) {
			kind = TokPath
			s.off++
			for s.off < len(s.text) && isIdentChar(s.text[s.off]) {
				s.off++
			}
		}
		word := s.text[from:s.off]
		if kind == TokIdent {
			switch word {
			case "when", "where", "expect":
				s.pendingExpr = true
			case "given":
				save := s.off
				s.skipSpace(false)
				if s.peek(0) == '{' {
					s.pendingExpr = true
				}
				s.off = save
			}
		}
		return s.token(kind, from, s.off), nil
	case isDigit(c):
		return s.scanNumber()
	case c == '"':
		return s.scanString()
	case c == '=':
		s.off++
		s.pendingExpr = true
		return s.token(TokPunct, from, s.off), nil
	case c == '+' || c == '-':
		s.off++
		s.pendingPoints = true
		return s.token(TokPunct, from, s.off), nil
	case strings.IndexByte("{}<>,", c) >= 0:
		s.off++
		return s.token(TokPunct, from, s.off), nil
	}
	r, size := utf8.DecodeRuneInString(s.text[s.off:])
	if strings.ContainsRune("&|!*/%?:.([)]", r) || c == '\'' {
		return Token{}, s.errAt(from, from+size, CodeSyntax,
			"unexpected %q outside a condition; a condition continues onto the next line only when its line ends in an operator or a bracket is open", string(r))
	}
	return Token{}, s.errAt(from, from+size, CodeSyntax, "unexpected character %q", string(r))
}

func (s *scanner) scanNumber() (Token, error) {
	from := s.off
	for s.off < len(s.text) && (isDigit(s.text[s.off]) || s.text[s.off] == '_') {
		s.off++
	}
	if s.peek(0) == '.' && isDigit(s.peek(1)) {
		s.off++
		for s.off < len(s.text) && isDigit(s.text[s.off]) {
			s.off++
		}
	}
	if isIdentStart(s.peek(0)) {
		unitFrom := s.off
		for s.off < len(s.text) && isIdentChar(s.text[s.off]) {
			s.off++
		}
		unit := s.text[unitFrom:s.off]
		switch unit {
		case "ms", "s", "m", "h", "d", "w":
			if strings.ContainsAny(s.text[from:unitFrom], "._") {
				return Token{}, s.errAt(from, s.off, CodeLiteral, "invalid duration %q: write a whole number and a unit, such as 30d", s.text[from:s.off])
			}
			if _, ok := ParseDuration(s.text[from:s.off]); !ok {
				return Token{}, s.errAt(from, s.off, CodeLiteral, "duration %s is too long: a duration goes up to about 290 years", shorten(s.text[from:s.off]))
			}
			return s.token(TokDuration, from, s.off), nil
		}
		return Token{}, s.errAt(from, s.off, CodeLiteral, "invalid number or duration %q: a duration's unit is one of ms, s, m, h, d, w", s.text[from:s.off])
	}
	text := s.text[from:s.off]
	if strings.HasSuffix(text, "_") || strings.Contains(text, "__") {
		return Token{}, s.errAt(from, s.off, CodeLiteral, "invalid number %q: '_' may only separate digits", text)
	}
	if f, err := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64); err != nil || f > 1e15 {
		return Token{}, s.errAt(from, s.off, CodeLiteral, "number %s is too large: points, limits and clamps go up to 10^15", shorten(text))
	}
	return s.token(TokNumber, from, s.off), nil
}

func (s *scanner) scanString() (Token, error) {
	from := s.off
	s.off++
	for s.off < len(s.text) {
		switch s.text[s.off] {
		case '\\':
			s.off += 2
			continue
		case '"':
			s.off++
			if _, err := strconv.Unquote(s.text[from:s.off]); err != nil {
				return Token{}, s.errAt(from, s.off, CodeLiteral, "invalid string %s: %s", s.text[from:s.off], "bad escape sequence")
			}
			return s.token(TokString, from, s.off), nil
		case '\n':
			return Token{}, s.errAt(from, s.off, CodeLiteral, "string not terminated before the end of the line")
		}
		s.off++
	}
	return Token{}, s.errAt(from, len(s.text), CodeLiteral, "string not terminated before the end of the file")
}

// role of the last significant token of an expression, which decides whether
// a newline ends the expression, whether '#' is a comment, and whether a stop
// word ends it.
type role int

const (
	roleStart    role = iota // nothing yet: an operand is expected
	roleOperand              // a name, literal or closing bracket
	roleBinary               // a binary operator: the expression continues on the next line
	roleExpectOp             // an opening bracket, comma, dot or unary operator
)

// wordOperators are expr's operators spelled as words.
var wordOperators = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "matches": true,
	"contains": true, "startsWith": true, "endsWith": true,
}

// stopWords end an expression when they follow an operand outside brackets.
var stopWords = map[string]bool{"limit": true, "halflife": true, "because": true}

// scanExpr reads one condition. It runs to the end of the line and continues
// onto the next while a bracket is open or the line ends in a binary
// operator. Outside brackets it also ends, after an operand, at '{' (a block
// opens), at '}' (a block closes) and at the words limit, halflife and
// because. '#' followed by a blank starts a comment, except where expr's
// element pointer fits: where an operand is expected and an operator or
// closing bracket follows, as in all(pains, # != "").
func (s *scanner) scanExpr() (Token, error) {
	s.skipSpace(false)
	from := s.off
	comments := len(s.comments)
	end, err := s.exprBody(0)
	if err != nil {
		return Token{}, err
	}
	if end == from {
		what := "a condition"
		if len(s.toks) > 0 {
			what = "a condition after " + s.toks[len(s.toks)-1].Text
		}
		return Token{}, s.errAt(from, from, CodeSyntax, "expected %s", what)
	}
	return s.exprToken(TokExpr, from, end, comments), nil
}

// scanPointsExpr reads the parenthesised expression of +(EXPR) points; the
// token's text is the expression inside the parentheses.
func (s *scanner) scanPointsExpr() (Token, error) {
	open := s.off
	s.off++
	comments := len(s.comments)
	end, err := s.exprBody(1)
	if err != nil {
		return Token{}, err
	}
	// exprBody stopped after the matching ')'.
	inner := strings.TrimRight(s.text[open+1:end-1], " \t\r\n")
	if strings.TrimSpace(inner) == "" {
		return Token{}, s.errAt(open, end, CodeSyntax, "expected an expression inside the parentheses of the points")
	}
	return s.exprToken(TokPointsExpr, open+1, open+1+len(inner), comments), nil
}

// exprToken builds an expression token for src[from:to], blanking comments.
// The comments inside it are among s.comments[first:], those read while
// scanning it (in order of offset); no comment read before starts inside
// it.
func (s *scanner) exprToken(kind TokenKind, from, to, first int) Token {
	tok := s.token(kind, from, to)
	var b strings.Builder
	done := from // s.text[from:done] is in b
	for _, c := range s.comments[first:] {
		if c.Start.Offset < done || c.Start.Offset >= to {
			continue
		}
		if b.Len() == 0 {
			b.Grow(to - from)
		}
		// Blank character by character so that character offsets stay
		// those of the file.
		end := min(c.End.Offset, to)
		b.WriteString(s.text[done:c.Start.Offset])
		for range utf8.RuneCountInString(s.text[c.Start.Offset:end]) {
			b.WriteByte(' ')
		}
		done = end
	}
	if done > from {
		b.WriteString(s.text[done:to])
		tok.Text = b.String()
	}
	return tok
}

// MaxNesting is how deeply an expression may nest: the most brackets ((),
// [] and {}) open at once, counting too the prefix operators (!, not, -, +)
// whose operand is still being read. expr's parser recurses for each such
// level without bound and without making a syntax node first, so its
// MaxNodes does not stop it, and a few hundred thousand levels overflow the
// stack; the scanner refuses a deeper expression before expr sees it. Every
// other level of expr's recursion makes a node, which MaxNodes bounds.
const MaxNesting = 100

// unaryPrecedence and binaryPrecedence are the precedences of expr's
// operators (expr/parser/operator), as far as the nesting count needs
// them: a prefix operator's operand runs on over binary operators that bind
// at least as tightly as the prefix operator itself, and every operator not
// listed binds more loosely than any prefix operator.
var (
	unaryPrecedence  = map[string]int{"not": 50, "!": 50, "-": 90, "+": 90}
	binaryPrecedence = map[string]int{"*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500}
)

// exprBody scans an expression starting at s.off with depth brackets already
// open, and returns the offset where it ends (trailing blanks excluded). When
// depth starts at 1 it returns just after the bracket that closes it.
func (s *scanner) exprBody(depth int) (int, error) {
	startDepth := depth
	last := roleStart
	end := s.off // end of the last significant character
	if depth > 0 {
		last = roleExpectOp
	}
	var stack []int // offsets of the open brackets
	if depth > 0 {
		stack = append(stack, s.off-1)
	}
	// prefix holds the precedences of the prefix operators whose operand
	// expr's parser is still reading, innermost last; bases[i] is
	// len(prefix) when the i-th bracket opened.
	var prefix, bases []int
	tooDeep := func(at, size int) error {
		what := "brackets"
		if len(prefix) > 0 {
			what = "brackets and prefix operators (!, not, -, +)"
		}
		return s.errAt(at, at+size, CodeSyntax, "expression nested too deeply: more than %d levels of %s", MaxNesting, what)
	}
	unary := func(op string, at, size int) error {
		prefix = append(prefix, unaryPrecedence[op])
		if depth+len(prefix) > MaxNesting {
			return tooDeep(at, size)
		}
		return nil
	}
	// binary ends the operands of the prefix operators that bind tighter
	// than the binary operator op.
	binary := func(op string) {
		base := 0
		if len(bases) > 0 {
			base = bases[len(bases)-1]
		}
		p := binaryPrecedence[op] // 0 for the loosest
		for len(prefix) > base && prefix[len(prefix)-1] > p {
			prefix = prefix[:len(prefix)-1]
		}
	}
	for s.off < len(s.text) {
		c := s.text[s.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.off++
		case c == '\n':
			if depth == 0 && last != roleBinary {
				// Leave s.off here: blanks and comments after end are read.
				return end, nil
			}
			s.off++
		case c == '"' || c == '\'' || c == '`':
			if err := s.skipQuoted(c); err != nil {
				return 0, err
			}
			last, end = roleOperand, s.off
		case c == '#':
			if s.isPointer(last) {
				s.off++
				for s.off < len(s.text) && isIdentChar(s.text[s.off]) {
					s.off++
				}
				last, end = roleOperand, s.off
				continue
			}
			s.comment()
		case c == '(' || c == '[' || c == '{':
			if c == '{' && depth == 0 && last == roleOperand {
				s.off = end
				return end, nil
			}
			stack = append(stack, s.off)
			depth++
			if depth+len(prefix) > MaxNesting {
				return 0, tooDeep(s.off, 1)
			}
			bases = append(bases, len(prefix))
			s.off++
			last, end = roleExpectOp, s.off
		case c == ')' || c == ']' || c == '}':
			if depth == 0 {
				if c == '}' {
					s.off = end
					return end, nil
				}
				// An unbalanced closing bracket: keep it in the expression so
				// that expr reports it at its exact column.
				s.off++
				last, end = roleOperand, s.off
				continue
			}
			if len(stack) > 0 {
				open := stack[len(stack)-1]
				if want := closerOf(s.text[open]); want != c {
					closeAt := s.src.PosAt(s.off)
					return 0, s.errAt(open, open+1, CodeSyntax, "%q is never closed: a %q comes first, at %d:%d", s.text[open:open+1], string(c), closeAt.Line, closeAt.Column)
				}
				stack = stack[:len(stack)-1]
			}
			if len(bases) > 0 {
				prefix = prefix[:bases[len(bases)-1]]
				bases = bases[:len(bases)-1]
			}
			depth--
			s.off++
			last, end = roleOperand, s.off
			if depth == 0 && startDepth > 0 {
				return end, nil
			}
		case isIdentStart(c) || c == '$':
			from := s.off
			s.off++
			for s.off < len(s.text) && (isIdentChar(s.text[s.off]) || s.text[s.off] == '$') {
				s.off++
			}
			word := s.text[from:s.off]
			if depth == 0 && last == roleOperand && stopWords[word] {
				s.off = end
				return end, nil
			}
			switch {
			case word == "not":
				if last == roleOperand {
					binary(word) // not in, not matches, ...
				} else if err := unary(word, from, s.off-from); err != nil {
					return 0, err
				}
				last = roleExpectOp
			case wordOperators[word]:
				binary(word)
				last = roleBinary
			default:
				last = roleOperand
			}
			end = s.off
		case isDigit(c):
			s.skipNumber()
			last, end = roleOperand, s.off
		case c == '.':
			if s.peek(1) == '.' {
				binary("..")
				s.off += 2
				last = roleBinary
			} else {
				s.off++
				last = roleExpectOp
			}
			end = s.off
		case c == '?':
			switch s.peek(1) {
			case '.':
				s.off += 2
				last = roleExpectOp
			case '?':
				binary("??")
				s.off += 2
				last = roleBinary
			default:
				binary("?")
				s.off++
				last = roleBinary
			}
			end = s.off
		case c == ',' || c == ';':
			binary(",")
			s.off++
			last, end = roleExpectOp, s.off
		case strings.IndexByte("=!<>&|+-*/%^:", c) >= 0:
			n := 1
			if two := s.peek(1); strings.IndexByte("=&|*", two) >= 0 && strings.IndexByte("=!<>&|*", c) >= 0 {
				n = 2
			}
			op := s.text[s.off : s.off+n]
			if op == "!" || (op == "-" || op == "+") && last != roleOperand {
				if err := unary(op, s.off, n); err != nil {
					return 0, err
				}
			} else {
				binary(op)
			}
			s.off += n
			if op == "!" {
				last = roleExpectOp
			} else {
				last = roleBinary
			}
			end = s.off
		default:
			_, size := utf8.DecodeRuneInString(s.text[s.off:])
			s.off += size
			last, end = roleOperand, s.off
		}
	}
	if depth > 0 {
		at := s.off - 1
		if len(stack) > 0 {
			at = stack[len(stack)-1]
		}
		return 0, s.errAt(at, at+1, CodeSyntax, "%q is never closed: the file ends inside this condition", s.text[at:at+1])
	}
	return end, nil
}

// shorten cuts a long literal for a message.
func shorten(s string) string {
	if len(s) > 24 {
		return s[:20] + "..."
	}
	return s
}

func closerOf(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	}
	return '}'
}

func (s *scanner) skipNumber() {
	for s.off < len(s.text) && (isDigit(s.text[s.off]) || s.text[s.off] == '_' || isIdentStart(s.text[s.off])) {
		c := s.text[s.off]
		if (c == 'e' || c == 'E') && (s.peek(1) == '+' || s.peek(1) == '-') {
			s.off++
		}
		s.off++
	}
	if s.peek(0) == '.' && isDigit(s.peek(1)) {
		s.off++
		s.skipNumber()
	}
}

// isPointer decides whether the '#' at s.off is expr's element pointer
// (true) or starts a comment (false).
func (s *scanner) isPointer(last role) bool {
	next := s.peek(1)
	if isIdentChar(next) || next == '.' || next == '[' {
		return true // #index, #.field, #acc
	}
	if last == roleOperand || s.blankBefore(s.off) {
		return false // a trailing comment, or a comment on its own line
	}
	// An operand is expected here: '#' is the pointer if what follows it on
	// the line can follow an operand.
	i := s.off + 1
	for i < len(s.text) && (s.text[i] == ' ' || s.text[i] == '\t') {
		i++
	}
	if i >= len(s.text) || s.text[i] == '\n' || s.text[i] == '\r' {
		return false
	}
	rest := s.text[i:]
	for _, op := range []string{"==", "!=", "<", ">", "+", "-", "*", "/", "%", "^", "&&", "||", "??", "?", ":", ")", "]", "}", ",", ".", "|"} {
		if strings.HasPrefix(rest, op) {
			return true
		}
	}
	j := 0
	for j < len(rest) && isIdentChar(rest[j]) {
		j++
	}
	return j > 0 && (wordOperators[rest[:j]] || rest[:j] == "not")
}

// blankBefore reports whether only blanks (white space, as strings.TrimSpace
// sees it) precede offset on its line. It finds the line's first other
// character once per line, so that a line with many '#' is read once.
func (s *scanner) blankBefore(offset int) bool {
	starts := s.src.lineStarts
	line := sort.Search(len(starts), func(i int) bool { return starts[i] > offset }) - 1
	if start := starts[line]; start != s.blankLine {
		i := start
		for i < len(s.text) && s.text[i] != '\n' {
			r, size := utf8.DecodeRuneInString(s.text[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += size
		}
		s.blankLine, s.blankEnd = start, i
	}
	return s.blankEnd >= offset
}

func (s *scanner) skipQuoted(q byte) error {
	from := s.off
	s.off++
	for s.off < len(s.text) {
		c := s.text[s.off]
		switch {
		case c == '\\' && q != '`':
			s.off += 2
			continue
		case c == q:
			s.off++
			return nil
		case c == '\n' && q != '`':
			return s.errAt(from, s.off, CodeLiteral, "string not terminated before the end of the line")
		}
		s.off++
	}
	return s.errAt(from, len(s.text), CodeLiteral, "string not terminated before the end of the file")
}

// definition adapts the scanner to participle's lexer interface.
type definition struct{}

func (definition) Symbols() map[string]lexer.TokenType {
	m := map[string]lexer.TokenType{}
	for k, v := range tokenNames {
		if k == TokEOF {
			m[v] = lexer.EOF
			continue
		}
		m[v] = lexer.TokenType(k)
	}
	return m
}

func (d definition) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (definition) LexString(filename, text string) (lexer.Lexer, error) {
	toks, _, err := Scan(NewSource(filename, text))
	if err != nil {
		return nil, err
	}
	return &replay{toks: toks}, nil
}

// replay hands scanned tokens to participle.
type replay struct {
	toks []Token
	i    int
}

func (r *replay) Next() (lexer.Token, error) {
	t := r.toks[r.i]
	if r.i < len(r.toks)-1 {
		r.i++
	}
	typ := lexer.TokenType(t.Kind)
	if t.Kind == TokEOF {
		typ = lexer.EOF
	}
	return lexer.Token{Type: typ, Value: t.Text, Pos: lexer.Position{
		Filename: t.Start.File, Offset: t.Start.Offset, Line: t.Start.Line, Column: t.Start.Column,
	}}, nil
}
