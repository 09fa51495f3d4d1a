package qualifytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/parser"
)

// given is one given line of a test: a JSON file, read when the test
// compiles, or an object literal, evaluated when the test runs (it may read
// now, the test's evaluation time).
type given struct {
	// path is the given file as the test names it; data its contents.
	path    string
	data    []byte
	program compiled
	// expr is the object literal, in src, for the position of an error.
	expr *parser.Expr
	src  *parser.Source
}

// givenError is a given object literal that failed to run, at the
// position in the test file where it failed.
type givenError struct {
	at  string
	msg string
}

func (e *givenError) Error() string { return e.msg }

// runError describes a given object literal's run-time error at the
// position in the test file where it happened, with that line and a caret.
func (g *given) runError(err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return fmt.Errorf("given failed: %s", cleanMessage(err.Error()))
	}
	rng := g.expr.RangeAt(fe.From, max(fe.To, fe.From+1))
	d := parser.NewDiagnostic(g.src, CodeGivenValue, rng, "%s", cleanMessage(fe.Message))
	msg := "given failed: " + d.Message
	if snip := d.Snippet(); snip != "" {
		msg += "\n" + snip
	}
	return &givenError{at: rng.Start.String(), msg: msg}
}

// givenFile reads a given file, relative to the test file's directory, and
// checks that it holds one JSON object.
func (c *compiler) givenFile(src *parser.Source, f *File, s *parser.String) *given {
	name := s.Value()
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.Path), name)
	}
	// Only a regular file (or a link to one) is read, and never more than
	// a lead can be: a named pipe would block for ever, and a device such
	// as /dev/zero states no size and never ends.
	info, err := os.Stat(path)
	if err == nil && !info.Mode().IsRegular() {
		c.diag(src, CodeGivenFile, s.Range(), "given file %s is not a regular file; a lead is a JSON file", name)
		return nil
	}
	if err == nil && info.Size() > eval.MaxFactsSize {
		c.diag(src, CodeGivenFile, s.Range(), "given file %s is %d bytes; a lead is at most %d", name, info.Size(), eval.MaxFactsSize)
		return nil
	}
	var data []byte
	fh, err := os.Open(path)
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(fh, eval.MaxFactsSize+1))
		fh.Close()
	}
	if err == nil && len(data) > eval.MaxFactsSize {
		c.diag(src, CodeGivenFile, s.Range(), "given file %s is larger than %d MiB; a lead is at most %d bytes", name, eval.MaxFactsSize>>20, eval.MaxFactsSize)
		return nil
	}
	if err != nil {
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		d := c.diag(src, CodeGivenFile, s.Range(), "cannot read given file %s: %s", path, msg)
		d.Why = "a given file is read relative to the directory of the test file"
		return nil
	}
	if _, err := decodeObject(data); err != nil {
		c.diag(src, CodeGivenFile, s.Range(), "given file %s: %v", path, err)
		return nil
	}
	return &given{path: path, data: data}
}

// decodeObject decodes one JSON object, keeping numbers exact.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			p := parser.NewSource("", string(data)).PosAt(max(int(se.Offset)-1, 0))
			return nil, fmt.Errorf("JSON syntax error at line %d, column %d: %s", p.Line, p.Column, se.Error())
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the file is empty; a lead is a JSON object")
		}
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value; a lead is one JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a lead is a JSON object, and this file holds %s", jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// givenExpr compiles a given { ... } object literal. It holds values:
// literals, now, and functions of them such as date("2026-10-20").
func (c *compiler) givenExpr(src *parser.Source, e *parser.Expr) *given {
	cfg := newConfig(c.givenEnv)
	tree, err := exprparser.ParseWithConfig(e.Text, cfg)
	if err != nil {
		c.exprError(src, e, parser.CodeSyntax, "syntax error in given: ", err)
		return nil
	}
	if _, ok := tree.Node.(*ast.MapNode); !ok {
		d := c.diag(src, CodeGivenValue, e.Range(), "given must be an object of facts in braces")
		d.Suggestion = `as in given { company: { employees: 250 } }, or given file "lead.json"`
		return nil
	}
	v := &givenNames{}
	ast.Walk(&tree.Node, v)
	if v.bad != nil {
		d := c.diag(src, CodeGivenValue, e.RangeAt(v.bad.Location().From, max(v.bad.Location().To, v.bad.Location().From+1)),
			"given holds values, and %s is a name", v.bad.Value)
		d.Why = "a given object is the lead's facts: literals, now (the test's time) and functions of them, such as now - duration(\"48h\")"
		d.Suggestion = fmt.Sprintf("put it in quotes if it is a string: %q", v.bad.Value)
		return nil
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		c.exprError(src, e, CodeGivenValue, "", err)
		return nil
	}
	prog, err := exprcompiler.Compile(tree, cfg)
	if err != nil {
		c.exprError(src, e, CodeGivenValue, "", err)
		return nil
	}
	return &given{program: prog, expr: e, src: src}
}

// givenNames finds the first name in a given object other than now and
// the variables of predicates.
type givenNames struct {
	bad *ast.IdentifierNode
}

func (g *givenNames) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok && g.bad == nil && id.Value != "now" {
		g.bad = id
	}
}

// facts builds the lead of a test at time now: its given lines merged in
// order, objects key by key, a later value replacing an earlier one.
func (t *Test) facts(now time.Time) (any, error) {
	if len(t.givens) == 1 && t.givens[0].program == nil {
		return t.givens[0].data, nil
	}
	lead := map[string]any{}
	for _, g := range t.givens {
		var m map[string]any
		if g.program == nil {
			var err error
			if m, err = decodeObject(g.data); err != nil {
				return nil, fmt.Errorf("given file %s: %w", g.path, err)
			}
		} else {
			out, err := vm.Run(g.program, map[string]any{"now": now})
			if err != nil {
				return nil, g.runError(err)
			}
			var ok bool
			if m, ok = out.(map[string]any); !ok {
				return nil, fmt.Errorf("given is not an object")
			}
		}
		merge(lead, m)
	}
	return lead, nil
}

// merge copies src into dst, merging objects present in both.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}
