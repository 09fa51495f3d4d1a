// Package parser reads the qualify policy language: it scans and parses
// .qual and _test.qual files into an AST whose nodes carry their source
// positions, and it owns positions and diagnostics (the positioned errors
// and warnings every later stage reports).
//
// The grammar is written with participle. Conditions are not parsed here:
// the scanner decides where each one begins and ends and hands it over as a
// single token, which the rules package compiles with expr.
package parser

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// MaxFileSize is the largest file the parser reads, in bytes.
const MaxFileSize = 4 << 20

var grammar = participle.MustBuild[File](
	participle.Lexer(definition{}),
	participle.Union[Stmt](
		&PolicyStmt{}, &FactsStmt{}, &LetStmt{}, &FrameworkStmt{},
		&ScoreStmt{}, &TotalStmt{}, &ClassifyStmt{}, &TestStmt{},
	),
)

// Grammar returns the grammar in EBNF, for documentation and tests.
func Grammar() string { return grammar.String() }

// Parse parses the text of the file called name. The error, if any, is a
// *Diagnostic with the position of the first syntax error.
func Parse(name, text string) (*File, error) {
	// A byte order mark, which some editors write, is not part of the
	// policy: positions count from after it, as the editor shows them.
	text = strings.TrimPrefix(text, "\ufeff")
	src := NewSource(name, text)
	if len(text) > MaxFileSize {
		return nil, NewDiagnostic(nil, CodeFileTooLarge, Range{Start: Pos{File: name, Line: 1, Column: 1}},
			"file is %d bytes; the limit is %d", len(text), MaxFileSize)
	}
	if !utf8.ValidString(text) {
		return nil, NewDiagnostic(src, CodeSyntax, src.RangeAt(firstInvalidUTF8(text), firstInvalidUTF8(text)+1),
			"file is not valid UTF-8")
	}
	toks, comments, err := Scan(src)
	if err != nil {
		return nil, err
	}
	peek, err := lexer.Upgrade(&replay{toks: toks})
	if err != nil {
		return nil, syntaxError(src, toks, err)
	}
	f, err := grammar.ParseFromLexer(peek)
	if err != nil {
		return nil, syntaxError(src, toks, err)
	}
	f.Source = src
	f.Comments = comments
	return f, nil
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}

// syntaxError turns a participle error into a diagnostic that names what was
// found and what the grammar expected there.
func syntaxError(src *Source, toks []Token, err error) error {
	var d *Diagnostic
	if errors.As(err, &d) {
		return d
	}
	var perr participle.Error
	if !errors.As(err, &perr) {
		return NewDiagnostic(src, CodeSyntax, src.RangeAt(0, 0), "%v", err)
	}
	var ute *participle.UnexpectedTokenError
	if !errors.As(err, &ute) {
		at := src.PosAt(perr.Position().Offset)
		return NewDiagnostic(src, CodeSyntax, Range{Start: at, End: at}, "%s", perr.Message())
	}
	tok := ute.Unexpected
	if tok.EOF() {
		return eofError(src, toks, ute)
	}
	expect := expectation(ute)
	if expect == `"}"` {
		if better := refine(src, toks, tok.Pos.Offset); better != nil {
			return better
		}
		// A word that starts no entry of the block: say what entries the
		// block takes.
		if i := tokenAt(toks, tok.Pos.Offset); i >= 0 {
			if _, keyword := unclosedBlock(toks, i); blockEntries[keyword] != "" {
				expect = blockEntries[keyword] + ` or "}"`
			}
		}
	}
	if i := tokenAt(toks, tok.Pos.Offset); i > 1 && toks[i].Kind == TokExpr && toks[i-1].Text == "where" && toks[i-2].Text == "each" {
		at := toks[i-1]
		return NewDiagnostic(src, CodeSyntax, Range{Start: at.Start, End: at.End}, "each needs a list fact before where, as in: each events where .type == \"webinar\"")
	}
	return unexpected(src, tok, expect)
}

func unexpected(src *Source, tok lexer.Token, expect string) *Diagnostic {
	at := src.PosAt(tok.Pos.Offset)
	end := at
	end.Column += utf8.RuneCountInString(firstLine(tok.Value))
	end.Offset += len(firstLine(tok.Value))
	msg := fmt.Sprintf("unexpected %s", describeToken(tok))
	if expect != "" {
		msg += ", expected " + expect
	}
	return NewDiagnostic(src, CodeSyntax, Range{Start: at, End: end}, "%s", msg)
}

// eofError reports a file that ends too early: at the block left open, or
// after the last token.
func eofError(src *Source, toks []Token, ute *participle.UnexpectedTokenError) *Diagnostic {
	if open, keyword := unclosedBlock(toks, len(toks)-1); open >= 0 {
		t := toks[open]
		d := NewDiagnostic(src, CodeSyntax, Range{Start: t.Start, End: t.End}, "%q is never closed: the file ends inside this %s block", "{", keyword)
		return d
	}
	at := Pos{File: src.Name, Line: 1, Column: 1}
	if n := len(toks); n >= 2 {
		at = toks[n-2].End
	}
	d := NewDiagnostic(src, CodeSyntax, Range{Start: at, End: at}, "the file ends early, expected %s", expectation(ute))
	return d
}

// tokenAt returns the index of the token at offset, or -1.
func tokenAt(toks []Token, offset int) int {
	for i, t := range toks {
		if t.Start.Offset == offset {
			return i
		}
	}
	return -1
}

// statementWords start top-level statements.
var statementWords = map[string]bool{"policy": true, "facts": true, "let": true, "framework": true,
	"score": true, "total": true, "classify": true, "test": true}

// unclosedBlock returns the index of the innermost "{" still open before
// token end, and the keyword of the statement it belongs to.
func unclosedBlock(toks []Token, end int) (int, string) {
	type open struct {
		index   int
		keyword string
	}
	var stack []open
	keyword := ""
	for i := 0; i < end && i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.Kind == TokIdent && len(stack) == 0 && statementWords[t.Text]:
			keyword = t.Text
		case t.Kind == TokPunct && t.Text == "{":
			stack = append(stack, open{i, keyword})
		case t.Kind == TokPunct && t.Text == "}" && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return -1, ""
	}
	top := stack[len(stack)-1]
	return top.index, top.keyword
}

// blockEntries says what each block holds, for errors about a stray word.
var blockEntries = map[string]string{
	"test":      "now, given or expect",
	"facts":     "a fact (PATH TYPE)",
	"framework": `a criterion (NAME "LABEL" when CONDITION)`,
	"score":     `a rule (+POINTS "LABEL" when CONDITION)`,
	"classify":  "a step (LABEL [when CONDITION] [because \"REASON\"])",
}

// elementParsers parse one entry of a block, to explain why an entry that
// starts a line failed: participle backs out of a failed entry and reports
// only that it expected the block's "}".
var elementParsers = map[string]func(*lexer.PeekingLexer) error{
	"framework": parseElement[Criterion],
	"score":     parseElement[Rule],
	"classify":  parseElement[Step],
	"facts":     parseElement[FactDecl],
	"test":      parseElement[TestItem],
}

func parseElement[T any](peek *lexer.PeekingLexer) error {
	p, err := participle.Build[T](participle.Lexer(definition{}))
	if err != nil {
		return err
	}
	_, err = p.ParseFromLexer(peek, participle.AllowTrailing(true))
	return err
}

// refine re-parses the block entry at offset on its own and returns its
// error when that points deeper than the block's "expected }".
func refine(src *Source, toks []Token, offset int) *Diagnostic {
	i := tokenAt(toks, offset)
	if i < 0 {
		return nil
	}
	_, keyword := unclosedBlock(toks, i)
	parse := elementParsers[keyword]
	if parse == nil {
		return nil
	}
	peek, err := lexer.Upgrade(&replay{toks: toks, i: i})
	if err != nil {
		return nil
	}
	err = parse(peek)
	var ute *participle.UnexpectedTokenError
	if !errors.As(err, &ute) || ute.Unexpected.Pos.Offset <= offset || ute.Unexpected.EOF() {
		return nil
	}
	return unexpected(src, ute.Unexpected, expectation(ute))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func describeToken(t lexer.Token) string {
	if t.EOF() {
		return "end of file"
	}
	switch TokenKind(t.Type) {
	case TokExpr, TokPointsExpr:
		return fmt.Sprintf("condition %q", firstLine(t.Value))
	case TokString:
		return "string " + t.Value
	case TokNumber:
		return "number " + t.Value
	}
	return fmt.Sprintf("%q", t.Value)
}

// expectation rewrites participle's description of what it expected into
// the words of the language: the first thing that could come next.
func expectation(u *participle.UnexpectedTokenError) string {
	msg := u.Message()
	i := strings.Index(msg, "(expected ")
	if i < 0 {
		// Only the top level fails without an expectation: a token that
		// starts no statement.
		return "a statement (policy, facts, let, framework, score, total, classify or test)"
	}
	raw := strings.TrimSuffix(msg[i+len("(expected "):], ")")
	if strings.HasPrefix(raw, `("file" String) | Expr`) || strings.HasPrefix(raw, `(("file" String) | Expr)`) {
		return `file "PATH" or the lead's facts as an object, as in given { contact: { role: "vp" } }`
	}
	if strings.HasPrefix(raw, "(<number> | Expr)") {
		return "points: a number or an expression in parentheses, as in +10 or +(min(x, 20))"
	}
	return firstExpected(raw)
}

// nodeWords names the grammar's nodes for people.
var nodeWords = map[string]string{
	"String": "a string in quotes", "Name": "a name", "Label": "a label",
	"TypeRef": "a type (string, int, number, bool, time, duration, event or list<T>)",
	"Expr":    "a condition", "Number": "a number", "Duration": "a duration such as 30d",
	"Points": "points such as +10", "Clamp": "max or min", "EachOption": "limit or halflife",
	"Criterion": "a criterion", "Rule": "a rule", "Step": "a step", "FactDecl": "a fact",
	"TestItem": "now, given or expect", "Stmt": "a statement",
	"<ident>": "a name", "<path>": "a name", "<string>": "a string in quotes",
	"<number>": "a number", "<duration>": "a duration such as 30d", "<expr>": "a condition",
	"<pointsexpr>": "points",
}

// firstExpected describes the first element of a participle expectation
// such as `String (("when" Expr) | ("each" Name ...))`.
func firstExpected(e string) string {
	e = strings.TrimSpace(e)
	if strings.HasPrefix(e, "(") {
		depth := 0
		for i, r := range e {
			switch r {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					var alts []string
					for _, alt := range splitTopLevel(e[1:i], '|') {
						if w := firstExpected(alt); w != "" && !contains(alts, w) {
							alts = append(alts, w)
						}
					}
					return strings.Join(alts, " or ")
				}
			}
		}
	}
	tok := e
	if i := strings.IndexAny(e, " |"); i >= 0 {
		tok = e[:i]
	}
	tok = strings.TrimRight(tok, "?*+")
	if w, ok := nodeWords[tok]; ok {
		return w
	}
	return tok
}

func splitTopLevel(s string, sep rune) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
