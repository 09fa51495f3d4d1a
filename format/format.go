// Package format owns the canonical layout of .qual and _test.qual files,
// the layout `qualify fmt` writes. It works from the parser's AST and the
// scanner's tokens and comments, and it never changes what a file means:
// statements, names, strings, numbers and every condition's expr syntax tree
// are the same before and after, and every comment is kept, in order.
//
// The canonical layout:
//
//   - Two spaces indent the items of a block. Top-level blocks are separated
//     by one blank line; between one-line statements (policy, let, total)
//     and between the items of a block, the author's blank lines are kept,
//     at most one in a row. A block never starts or ends with a blank line,
//     and an empty block is written {}.
//   - The items of a block on consecutive lines form a table whose columns
//     line up, two spaces apart: path, type and required in facts;
//     criterion, label and when in a framework; points, label and when (or
//     each) in a score group; label, when and because in a ladder. A blank
//     line starts a new table; a comment on its own line does not.
//     Consecutive lets line up their `=`. A rule whose points are computed,
//     +(EXPR), stands outside the columns of its table.
//   - Trailing comments of a table's one-line items line up two spaces after
//     the longest of those lines; a comment alone on its line is indented
//     like the code after it.
//   - Inside a condition: one space around binary operators and after a
//     comma; none inside brackets, before a call's or an index's bracket,
//     after a unary operator, around `.`, `?.` and `..`, or before a map
//     key's colon. String literals are kept byte for byte. A condition
//     written over several lines keeps its line breaks, its comments and the
//     shape of its continuation lines: a line indented under the condition's
//     start moves with it, a hanging indent stays relative to the item's
//     line. The values of a map literal written one key per line line up.
//     A condition with a raw string over several lines, or with expr's own
//     // comments, is kept exactly as written.
//   - A `because` written on the line after its step's condition stays
//     there, in the column of `when`; everything else of a statement or an
//     item is joined onto one line. Lines end in \n, the file in one.
//
// Source refuses a file with a syntax error, returning the positioned
// diagnostic of the parser, or of the compiler for a condition expr cannot
// parse (E100), and never returns a partial result. Before returning, Source
// parses its own output and checks it means the same as the input
// (Equivalent); if it does not, it falls back to keeping every condition
// exactly as written, and if even that differs it returns an error rather
// than a wrong file.
package format

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// TabWidth is the width of a tab when the formatter measures the
// indentation of a condition's continuation lines.
const TabWidth = 4

// Source formats src, the text of the .qual or _test.qual file called name,
// and returns it in canonical layout. The error is the parser's
// *parser.Diagnostic when the file has a syntax error.
func Source(name string, src []byte) ([]byte, error) {
	text := string(src)
	f, err := parser.Parse(name, text)
	if err != nil {
		return nil, err
	}
	if err := checkExprs(f); err != nil {
		return nil, compilerSyntaxError(name, text, err)
	}
	out, err := layout(f, false)
	if err == nil {
		err = Equivalent(name, text, out)
	}
	if err != nil {
		// Keep every condition exactly as written and try again.
		var err2 error
		out, err2 = layout(f, true)
		if err2 == nil {
			err2 = Equivalent(name, text, out)
		}
		if err2 != nil {
			return nil, fmt.Errorf("%s: internal error: the canonical layout would change the file (%v); the file is left as it is, please report this", name, err)
		}
	}
	return []byte(out), nil
}

// Equivalent reports, as an error, the first difference in meaning between
// two versions of the file called name: a statement, name, string, number,
// option or condition (compared by its expr syntax tree) that differs, or a
// comment lost or changed. It returns nil when they mean the same.
func Equivalent(name, a, b string) error {
	fa, err := parser.Parse(name, a)
	if err != nil {
		return fmt.Errorf("the first version does not parse: %w", err)
	}
	fb, err := parser.Parse(name, b)
	if err != nil {
		return fmt.Errorf("the formatted version does not parse: %w", err)
	}
	if err := equalValue(reflect.ValueOf(fa.Stmts), reflect.ValueOf(fb.Stmts), "file"); err != nil {
		return err
	}
	if len(fa.Comments) != len(fb.Comments) {
		return fmt.Errorf("%d comments became %d", len(fa.Comments), len(fb.Comments))
	}
	for i := range fa.Comments {
		if fa.Comments[i].Text != fb.Comments[i].Text {
			return fmt.Errorf("comment %q became %q", fa.Comments[i].Text, fb.Comments[i].Text)
		}
	}
	return nil
}

var exprType = reflect.TypeOf(&parser.Expr{})

// equalValue compares two AST values field by field, ignoring positions,
// and conditions by their expr syntax trees.
func equalValue(a, b reflect.Value, path string) error {
	if a.Kind() != b.Kind() {
		return fmt.Errorf("%s: %s became %s", path, a.Kind(), b.Kind())
	}
	switch a.Kind() {
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Errorf("%s: present in one version only", path)
			}
			return nil
		}
		if a.Type() == exprType {
			ka, kb := exprKey(a.Interface().(*parser.Expr).Text), exprKey(b.Interface().(*parser.Expr).Text)
			if ka != kb {
				return fmt.Errorf("%s: condition %q became %q", path, strings.TrimSpace(a.Interface().(*parser.Expr).Text), strings.TrimSpace(b.Interface().(*parser.Expr).Text))
			}
			return nil
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return fmt.Errorf("%s: %s became %s", path, a.Elem().Type(), b.Elem().Type())
		}
		return equalValue(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		t := a.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			switch f.Name {
			case "Pos", "EndPos", "Source", "Comments":
				continue
			}
			if !f.IsExported() {
				continue
			}
			if err := equalValue(a.Field(i), b.Field(i), path+"."+f.Name); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Errorf("%s: %d elements became %d", path, a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if err := equalValue(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Errorf("%s: %v became %v", path, a.Interface(), b.Interface())
	}
	return nil
}

// Wrappers under which the compiler parses the conditions that read a list
// element: an each rule's where condition and its computed points.
const (
	wrapWhere  = "filter(__each__, "
	wrapPoints = "map(__each__, "
)

// exprKey identifies a condition's meaning: the dump of its expr syntax
// tree, parsed as is or, for element conditions, inside the wrapper the
// compiler uses.
func exprKey(text string) string {
	for _, wrap := range []string{"", wrapWhere, wrapPoints} {
		src := text
		if wrap != "" {
			src = wrap + text + ")"
		}
		if tree, err := exprparser.Parse(src); err == nil {
			var b strings.Builder
			b.WriteString(wrap)
			dump(&b, reflect.ValueOf(tree.Node))
			return b.String()
		}
	}
	return "unparsed: " + strings.Join(strings.Fields(text), " ")
}

// dump writes the exported fields of an expr syntax tree, as ast.Dump does
// but in linear time.
func dump(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("nil")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dump(b, v.Elem())
	case reflect.Struct:
		t := v.Type()
		b.WriteString(t.Name())
		b.WriteByte('{')
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			b.WriteString(t.Field(i).Name)
			b.WriteByte(':')
			dump(b, v.Field(i))
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			dump(b, v.Index(i))
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}

// checkExprs reports the first condition expr cannot parse, at its exact
// position, as the compiler does.
func checkExprs(f *parser.File) error {
	var first error
	visitExprs(f, func(e *parser.Expr, wrap string, what string) {
		if first != nil {
			return
		}
		src := e.Text
		if wrap != "" {
			src = wrap + e.Text + ")"
		}
		_, err := exprparser.Parse(src)
		if err == nil {
			return
		}
		prefix := len([]rune(wrap))
		msg := err.Error()
		from, to := 0, 1
		var fe *file.Error
		if errors.As(err, &fe) {
			msg = fe.Message
			from, to = fe.From-prefix, fe.To-prefix
		}
		n := len([]rune(e.Text))
		if from < 0 {
			from = 0
		}
		if from >= n && n > 0 {
			from = n - 1
		}
		if to <= from {
			to = from + 1
		}
		if to > n {
			to = n
		}
		msg = strings.ReplaceAll(msg, "__each__", "the list")
		first = parser.NewDiagnostic(f.Source, parser.CodeSyntax, e.RangeAt(from, to), "syntax error in %s: %s", what, msg)
	})
	return first
}

// compilerSyntaxError returns the compiler's own wording of a syntax error
// inside a condition, which may carry a suggestion, when it reports one at
// the same place; otherwise err.
func compilerSyntaxError(name, text string, err error) error {
	var d *parser.Diagnostic
	if !errors.As(err, &d) {
		return err
	}
	_, cerr := rules.CompileFiles([]rules.SourceFile{{Name: name, Text: text}})
	for _, cd := range parser.Diagnostics(cerr) {
		if cd.Code == d.Code && cd.Range.Start == d.Range.Start {
			return cd
		}
	}
	return err
}

// visitExprs calls fn for every condition of f, with the wrapper the
// compiler parses it in and what it is called in messages.
func visitExprs(f *parser.File, fn func(e *parser.Expr, wrap, what string)) {
	for _, s := range f.Stmts {
		switch s := s.(type) {
		case *parser.LetStmt:
			fn(s.Value, "", "condition")
		case *parser.FrameworkStmt:
			if s.Qualified != nil {
				fn(s.Qualified, "", "condition")
			}
			for _, c := range s.Criteria {
				fn(c.When, "", "condition")
			}
		case *parser.ScoreStmt:
			for _, r := range s.Rules {
				if r.Points.Expr != nil {
					wrap := ""
					if r.Each != nil {
						wrap = wrapPoints
					}
					fn(r.Points.Expr, wrap, "points")
				}
				if r.When != nil {
					fn(r.When, "", "condition")
				}
				if r.Where != nil {
					fn(r.Where, wrapWhere, "condition")
				}
			}
		case *parser.ClassifyStmt:
			for _, st := range s.Steps {
				if st.When != nil {
					fn(st.When, "", "condition")
				}
			}
		case *parser.TestStmt:
			for _, it := range s.Items {
				if it.Given != nil {
					fn(it.Given, "", "condition")
				}
				if it.Expect != nil {
					fn(it.Expect, "", "condition")
				}
			}
		}
	}
}
