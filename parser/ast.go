package parser

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar is the AST: participle fills these structs, including each
// node's Pos and EndPos. EndPos is the position of the token after the node.

// File is one parsed .qual or _test.qual file.
type File struct {
	Pos   lexer.Position
	Stmts []Stmt `parser:"@@*"`

	// Source is the file's text; Comments its comments, for the formatter.
	Source   *Source   `parser:""`
	Comments []Comment `parser:""`
}

// Stmt is a top-level statement.
type Stmt interface {
	// Start returns where the statement begins.
	Start() Pos
}

// PolicyStmt is `policy "NAME" [version "V"]`.
type PolicyStmt struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Name    *String `parser:"\"policy\" @@"`
	Version *String `parser:"( \"version\" @@ )?"`
}

// FactsStmt is `facts { PATH TYPE [required] ... }`.
type FactsStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Facts  []*FactDecl `parser:"\"facts\" \"{\" @@* \"}\""`
}

// FactDecl declares one fact: its dotted path, type and whether it is required.
type FactDecl struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Path     *Name    `parser:"@@"`
	Type     *TypeRef `parser:"@@"`
	Required bool     `parser:"@\"required\"?"`
}

// TypeRef is a fact type: a name such as int, or list<T>.
type TypeRef struct {
	Pos    lexer.Position
	EndPos lexer.Position
	List   *TypeRef `parser:"  \"list\" \"<\" @@ \">\""`
	Name   string   `parser:"| @Ident"`
}

// String renders the type as written in the language.
func (t *TypeRef) String() string {
	if t.List != nil {
		return "list<" + t.List.String() + ">"
	}
	return t.Name
}

// LetStmt is `let NAME = EXPR`.
type LetStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *Name `parser:"\"let\" @@ \"=\""`
	Value  *Expr `parser:"@@"`
}

// FrameworkStmt is `framework NAME [qualified when EXPR] { criteria }`.
type FrameworkStmt struct {
	Pos       lexer.Position
	EndPos    lexer.Position
	Name      *Name        `parser:"\"framework\" @@"`
	Qualified *Expr        `parser:"( \"qualified\" \"when\" @@ )?"`
	Criteria  []*Criterion `parser:"\"{\" @@* \"}\""`
}

// Criterion is `NAME "LABEL" when EXPR` inside a framework.
type Criterion struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *Name   `parser:"@@"`
	Label  *String `parser:"@@"`
	When   *Expr   `parser:"\"when\" @@"`
}

// ScoreStmt is `score GROUP [max N] [min N] { rules }`.
type ScoreStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *Name    `parser:"\"score\" @@"`
	Clamps []*Clamp `parser:"@@*"`
	Rules  []*Rule  `parser:"\"{\" @@* \"}\""`
}

// Clamp is `max N` or `min N`.
type Clamp struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Kind   string  `parser:"@(\"max\" | \"min\")"`
	Value  *Number `parser:"@@"`
}

// Rule is one scoring rule: points, a label, and either `when EXPR` or
// `each LIST where EXPR [limit N] [halflife D]`.
type Rule struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Points  *Points       `parser:"@@"`
	Label   *String       `parser:"@@"`
	When    *Expr         `parser:"( \"when\" @@"`
	Each    *Name         `parser:"| \"each\" @@"`
	Where   *Expr         `parser:"  \"where\" @@"`
	Options []*EachOption `parser:"  @@* )"`
}

// EachOption is `limit N` or `halflife D` on an each rule.
type EachOption struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Limit    *Number   `parser:"  \"limit\" @@"`
	Halflife *Duration `parser:"| \"halflife\" @@"`
}

// Points is a signed number (`+15`, `-2.5`) or a signed expression in
// parentheses (`+(min(x, 20))`).
type Points struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Sign   string `parser:"@(\"+\" | \"-\")"`
	Number string `parser:"( @Number"`
	Expr   *Expr  `parser:"| @@ )"`
}

// TotalStmt is `total [max N] [min N]`.
type TotalStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Clamps []*Clamp `parser:"\"total\" @@*"`
}

// ClassifyStmt is `classify NAME { steps }`, a ladder.
type ClassifyStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *Name   `parser:"\"classify\" @@"`
	Steps  []*Step `parser:"\"{\" @@* \"}\""`
}

// Step is one ladder step: `LABEL [when EXPR] [because "TEXT"]`.
type Step struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Label   *Label  `parser:"@@"`
	When    *Expr   `parser:"( \"when\" @@ )?"`
	Because *String `parser:"( \"because\" @@ )?"`
}

// TestStmt is `test "NAME" { now "T" | given {...} | given file "P" | expect EXPR ... }`.
type TestStmt struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   *String     `parser:"\"test\" @@"`
	Items  []*TestItem `parser:"\"{\" @@* \"}\""`
}

// TestItem is one line of a test block.
type TestItem struct {
	Pos       lexer.Position
	EndPos    lexer.Position
	Now       *String `parser:"  \"now\" @@"`
	GivenFile *String `parser:"| \"given\" ( \"file\" @@"`
	Given     *Expr   `parser:"          | @@ )"`
	Expect    *Expr   `parser:"| \"expect\" @@"`
}

// Name is an identifier or a dotted path with its position.
type Name struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Text   string `parser:"@(Ident | Path)"`
}

// Label is a ladder label: a bare name or a quoted string.
type Label struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Ident  string  `parser:"  @Ident"`
	Quoted *String `parser:"| @@"`
}

// Value returns the label's text.
func (l *Label) Value() string {
	if l.Quoted != nil {
		return l.Quoted.Value()
	}
	return l.Ident
}

// String is a quoted string literal with its position.
type String struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Raw    string `parser:"@String"`
}

// Value returns the string without quotes and with escapes resolved. The
// scanner has already checked that Raw unquotes.
func (s *String) Value() string {
	v, err := strconv.Unquote(s.Raw)
	if err != nil {
		return strings.Trim(s.Raw, `parser:"\""`)
	}
	return v
}

// Number is an optionally signed number literal.
type Number struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Sign   string `parser:"@(\"+\" | \"-\")?"`
	Digits string `parser:"@Number"`
}

// Float returns the number's value.
func (n *Number) Float() float64 {
	v, _ := strconv.ParseFloat(strings.ReplaceAll(n.Digits, "_", ""), 64)
	if n.Sign == "-" {
		return -v
	}
	return v
}

// Text returns the number as written, with its sign.
func (n *Number) Text() string { return n.Sign + n.Digits }

// Duration is a duration literal such as 30d.
type Duration struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Text   string `parser:"@Duration"`
}

// Value returns the duration; units are ms, s, m, h, d (24h) and w (7d).
func (d *Duration) Value() (time.Duration, bool) {
	return ParseDuration(d.Text)
}

// ParseDuration parses the language's durations: a whole number and one of
// the units ms, s, m, h, d (24 hours) and w (7 days). Go's own forms such
// as 1h30m are accepted too.
func ParseDuration(s string) (time.Duration, bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i > 0 && i < len(s) && (s[i:] == "d" || s[i:] == "w") {
		unit := 24 * time.Hour
		if s[i:] == "w" {
			unit *= 7
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/unit) {
			return 0, false
		}
		return time.Duration(n) * unit, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// Expr is a condition or value expression, as one token of source text.
// Text has comments blanked out, so its character offsets are the file's.
type Expr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Text   string `parser:"@(Expr | PointsExpr)"`
}

// PosAt returns the file position of the character (rune) at offset runes
// into the expression, as expr's error locations count.
func (e *Expr) PosAt(runes int) Pos {
	p := ToPos(e.Pos)
	if runes <= 0 {
		return p
	}
	i := 0
	for n := 0; n < runes && i < len(e.Text); n++ {
		r, size := utf8.DecodeRuneInString(e.Text[i:])
		i += size
		if r == '\n' {
			p.Line++
			p.Column = 1
		} else {
			p.Column++
		}
	}
	p.Offset += i
	return p
}

// RangeAt returns the file range of runes [from, to) of the expression.
func (e *Expr) RangeAt(from, to int) Range {
	if to < from {
		to = from
	}
	return Range{Start: e.PosAt(from), End: e.PosAt(to)}
}

// Range returns the whole expression's range.
func (e *Expr) Range() Range {
	return e.RangeAt(0, utf8.RuneCountInString(e.Text))
}

// ToPos converts a participle position to a Pos.
func ToPos(p lexer.Position) Pos {
	return Pos{File: p.Filename, Line: p.Line, Column: p.Column, Offset: p.Offset}
}

// Range returns the span of the name.
func (n *Name) Range() Range { return spanOf(n.Pos, n.Text) }

// Range returns the span of the string literal.
func (s *String) Range() Range { return spanOf(s.Pos, s.Raw) }

// Range returns the span of the label.
func (l *Label) Range() Range {
	if l.Quoted != nil {
		return l.Quoted.Range()
	}
	return spanOf(l.Pos, l.Ident)
}

// Range returns the span of the number.
func (n *Number) Range() Range { return spanOf(n.Pos, n.Text()) }

// Range returns the span of the duration.
func (d *Duration) Range() Range { return spanOf(d.Pos, d.Text) }

// spanOf is the range of single-line text starting at p.
func spanOf(p lexer.Position, text string) Range {
	start := ToPos(p)
	end := start
	end.Column += utf8.RuneCountInString(text)
	end.Offset += len(text)
	return Range{Start: start, End: end}
}

// Start returns where the statement begins.
func (s *PolicyStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *FactsStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *LetStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *FrameworkStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *ScoreStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *TotalStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *ClassifyStmt) Start() Pos { return ToPos(s.Pos) }

// Start returns where the statement begins.
func (s *TestStmt) Start() Pos { return ToPos(s.Pos) }
