package vet

import (
	"math"
	"strconv"

	"github.com/expr-lang/expr/ast"
	exprparser "github.com/expr-lang/expr/parser"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// Wrappers under which the compiler parses an each rule's where condition
// and its computed points, which read the list's element.
const (
	wrapWhere  = "filter(__each__, "
	wrapPoints = "map(__each__, "
)

// cond is a condition parsed again, as written, for analysis.
type cond struct {
	c    *rules.Cond
	root ast.Node
	// prefix is the number of runes of the wrapper before the text.
	prefix int
}

// parseCond parses a compiled condition's text again with expr's parser,
// inside wrap when it reads a list element. It returns nil when the text
// does not parse (it always does for a compiled policy).
func parseCond(c *rules.Cond, wrap string) *cond {
	if c == nil || c.Expr() == nil {
		return nil
	}
	text := c.Expr().Text
	src := text
	if wrap != "" {
		src = wrap + text + ")"
	}
	tree, err := exprparser.Parse(src)
	if err != nil {
		return nil
	}
	root := tree.Node
	if wrap != "" {
		b, ok := root.(*ast.BuiltinNode)
		if !ok || len(b.Arguments) != 2 {
			return nil
		}
		p, ok := b.Arguments[1].(*ast.PredicateNode)
		if !ok {
			return nil
		}
		root = p.Node
	}
	return &cond{c: c, root: root, prefix: len([]rune(wrap))}
}

// rangeOf returns the file range of a node of the condition: from the
// first to the last character of any node below it.
func (c *cond) rangeOf(n ast.Node) parser.Range {
	from, to := math.MaxInt, 0
	ast.Walk(&n, visitor(func(m *ast.Node) {
		loc := (*m).Location()
		if loc.From == 0 && loc.To == 0 {
			return // a node the parser made up
		}
		from = min(from, loc.From)
		to = max(to, loc.To)
	}))
	if from == math.MaxInt {
		return c.c.Range()
	}
	e := c.c.Expr()
	return e.RangeAt(from-c.prefix, to-c.prefix)
}

type visitor func(n *ast.Node)

func (v visitor) Visit(n *ast.Node) { v(n) }

func isLogic(n ast.Node, ops ...string) (*ast.BinaryNode, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return nil, false
	}
	for _, op := range ops {
		if b.Operator == op {
			return b, true
		}
	}
	return nil, false
}

func isAnd(n ast.Node) (*ast.BinaryNode, bool) { return isLogic(n, "&&", "and") }
func isOr(n ast.Node) (*ast.BinaryNode, bool)  { return isLogic(n, "||", "or") }

// conjuncts splits a condition at its &&.
func conjuncts(n ast.Node) []ast.Node {
	if b, ok := isAnd(n); ok {
		return append(conjuncts(b.Left), conjuncts(b.Right)...)
	}
	return []ast.Node{n}
}

// constant returns the value of a number literal, possibly negated.
func constant(n ast.Node) (float64, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return float64(x.Value), true
	case *ast.FloatNode:
		return x.Value, true
	case *ast.UnaryNode:
		v, ok := constant(x.Node)
		switch {
		case !ok:
			return 0, false
		case x.Operator == "-":
			return -v, true
		case x.Operator == "+":
			return v, true
		}
	}
	return 0, false
}

// comparison is an atom `S op C` with a constant C, or `S in A..B`, read
// as the set of values of S that make it hold.
type comparison struct {
	subject ast.Node
	iv      span
	// integral marks `S in A..B`, which holds only for whole numbers in
	// the span: it is implied by an equality with a whole number or by a
	// narrower range, never by a comparison.
	integral bool
}

// span is an interval of reals with open or closed ends.
type span struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

var flip = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}

// asComparison reads `S op C` or `C op S` for a numeric constant C and a
// comparison op, and `S in A..B` for constant A and B.
func asComparison(n ast.Node) (comparison, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return comparison{}, false
	}
	if b.Operator == "in" {
		r, ok := b.Right.(*ast.BinaryNode)
		if !ok || r.Operator != ".." {
			return comparison{}, false
		}
		lo, ok1 := constant(r.Left)
		hi, ok2 := constant(r.Right)
		if !ok1 || !ok2 {
			return comparison{}, false
		}
		return comparison{subject: b.Left, iv: span{lo: lo, hi: hi}, integral: true}, true
	}
	op := b.Operator
	if _, ok := flip[op]; !ok {
		return comparison{}, false
	}
	subject, other := b.Left, b.Right
	v, ok := constant(other)
	if !ok {
		v, ok = constant(subject)
		if !ok {
			return comparison{}, false
		}
		subject = other
		op = flip[op]
	}
	c := comparison{subject: subject}
	inf := math.Inf(1)
	switch op {
	case "<":
		c.iv = span{lo: -inf, hi: v, hiOpen: true}
	case "<=":
		c.iv = span{lo: -inf, hi: v}
	case ">":
		c.iv = span{lo: v, hi: inf, loOpen: true}
	case ">=":
		c.iv = span{lo: v, hi: inf}
	case "==":
		c.iv = span{lo: v, hi: v}
	}
	return c, true
}

// within reports whether a is a subset of b.
func (a span) within(b span) bool {
	loOK := a.lo > b.lo || (a.lo == b.lo && (!b.loOpen || a.loOpen))
	hiOK := a.hi < b.hi || (a.hi == b.hi && (!b.hiOpen || a.hiOpen))
	return loOK && hiOK
}

// meets reports whether a number in [lo, hi] can be in s.
func (s span) meets(lo, hi float64) bool {
	if hi < s.lo || (hi == s.lo && s.loOpen) {
		return false
	}
	if lo > s.hi || (lo == s.hi && s.hiOpen) {
		return false
	}
	return true
}

// contains reports whether every number in [lo, hi] is in s.
func (s span) contains(lo, hi float64) bool {
	return span{lo: lo, hi: hi}.within(s)
}

// literalSet returns the constants an atom `S == C` or `S in [C...]`
// allows for S, as their printed forms, with the kind of literal.
func literalSet(n ast.Node) (ast.Node, map[string]bool, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return nil, nil, false
	}
	lit := func(n ast.Node) (string, bool) {
		switch x := n.(type) {
		case *ast.StringNode:
			return "s" + strconv.Quote(x.Value), true
		case *ast.BoolNode:
			return "b" + strconv.FormatBool(x.Value), true
		case *ast.IntegerNode:
			return "i" + strconv.Itoa(x.Value), true
		}
		return "", false
	}
	switch b.Operator {
	case "==":
		if v, ok := lit(b.Right); ok {
			return b.Left, map[string]bool{v: true}, true
		}
		if v, ok := lit(b.Left); ok {
			return b.Right, map[string]bool{v: true}, true
		}
	case "in":
		arr, ok := b.Right.(*ast.ArrayNode)
		if !ok {
			return nil, nil, false
		}
		set := map[string]bool{}
		for _, el := range arr.Nodes {
			v, ok := lit(el)
			if !ok {
				return nil, nil, false
			}
			set[v] = true
		}
		return b.Left, set, true
	}
	return nil, nil, false
}
