package rules

import (
	"regexp"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
)

// The evaluator runs most conditions without expr's VM: a leaf that is a
// comparison, a set membership, a string test or a bare value of facts,
// lets, counts, scores, labels and constants is described here as a Simple,
// which the eval package executes directly on the lead's decoded values.
// expr remains the compiler and the definition of the semantics: the leaf
// keeps its program, and the evaluator runs that program whenever a value
// at run time is of a kind the Simple does not cover.

// SimpleOp is the form of a Simple condition.
type SimpleOp uint8

// Forms of simple conditions.
const (
	// SimpleTruth is a bool operand: `decision_maker`, `BANT.qualified`.
	SimpleTruth SimpleOp = iota + 1
	// SimpleCompare is `L op R` with ==, !=, <, <=, >, >=.
	SimpleCompare
	// SimpleIn is `L in [constants]`.
	SimpleIn
	// SimpleRange is `L in LO..HI`.
	SimpleRange
	// SimplePrefix, SimpleSuffix and SimpleContains are `L startsWith "s"`,
	// `L endsWith "s"` and `L contains "s"`.
	SimplePrefix
	SimpleSuffix
	SimpleContains
	// SimpleMatches is `L matches "regexp"`.
	SimpleMatches
	// SimpleConst is a constant true or false.
	SimpleConst
	// SimpleAnd, SimpleOr and SimpleNot combine element predicates (each
	// rules only; conditions are split at these operators instead).
	SimpleAnd
	SimpleOr
	SimpleNot
	// SimpleWithin is `within(L, "D")` with a constant duration Dur.
	SimpleWithin
	// SimpleAny, SimpleAll and SimpleNone are any/all/none(L, X) where X
	// is an element predicate; SimpleCount compares count(L, X) with R.
	SimpleAny
	SimpleAll
	SimpleNone
	SimpleCount
)

// CmpOp is a comparison operator.
type CmpOp uint8

// Comparison operators.
const (
	CmpEq CmpOp = iota + 1
	CmpNe
	CmpLt
	CmpLe
	CmpGt
	CmpGe
)

var cmpOps = map[string]CmpOp{"==": CmpEq, "!=": CmpNe, "<": CmpLt, "<=": CmpLe, ">": CmpGt, ">=": CmpGe}

// OperandKind says where an operand's value comes from.
type OperandKind uint8

// Kinds of operands.
const (
	// OperandConst is a literal.
	OperandConst OperandKind = iota + 1
	// OperandRead is Cond.Reads[Index]: a fact, let, count, score or label.
	OperandRead
	// OperandLen is len() of a read.
	OperandLen
	// OperandDaysSince and OperandDaysUntil are the helpers on a read.
	OperandDaysSince
	OperandDaysUntil
	// OperandElem is the element of an each rule (#).
	OperandElem
	// OperandField is a field of the element (.type, #.type).
	OperandField
	// OperandReadOr is `READ ?? CONST`: the read when it is known, else
	// the constant.
	OperandReadOr
)

// Operand is one side of a simple condition.
type Operand struct {
	Kind  OperandKind
	Index int
	// Field is the element field of an OperandField.
	Field string
	Const model.Value
}

// Simple is a condition leaf, or an each rule's element predicate, that the
// evaluator runs without the VM.
type Simple struct {
	Op   SimpleOp
	Cmp  CmpOp
	L, R Operand
	// Strs and Nums hold the constants of SimpleIn (one of them is used).
	Strs []string
	Nums []float64
	// Lo and Hi bound SimpleRange.
	Lo, Hi int64
	// Str is the constant of the string tests; Re the compiled regexp.
	Str string
	Re  *regexp.Regexp
	// Bool is SimpleConst's value.
	Bool bool
	// Dur is SimpleWithin's duration.
	Dur time.Duration
	// X and Y are the operands of SimpleAnd, SimpleOr and SimpleNot.
	X, Y *Simple
}

// simplify describes a checked leaf as a Simple, or returns nil when the
// leaf needs the VM.
func simplify(n ast.Node, cond *Cond, index map[string]int) *Simple {
	s := &simpler{cond: cond, index: index}
	return s.leaf(n)
}

// simplifyPredicate describes the body of an each rule's filter, or
// returns nil.
func simplifyPredicate(n ast.Node, cond *Cond, index map[string]int) *Simple {
	b, ok := n.(*ast.BuiltinNode)
	if !ok || b.Name != "filter" || len(b.Arguments) != 2 {
		return nil
	}
	p, ok := b.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return nil
	}
	s := &simpler{cond: cond, index: index, elements: true}
	return s.pred(p.Node)
}

type simpler struct {
	cond     *Cond
	index    map[string]int
	elements bool
}

// pred describes an element predicate, with its and, or and not.
func (s *simpler) pred(n ast.Node) *Simple {
	switch x := n.(type) {
	case *ast.BinaryNode:
		op := SimpleOp(0)
		switch x.Operator {
		case "&&", "and":
			op = SimpleAnd
		case "||", "or":
			op = SimpleOr
		}
		if op != 0 {
			l, r := s.pred(x.Left), s.pred(x.Right)
			if l == nil || r == nil {
				return nil
			}
			return &Simple{Op: op, X: l, Y: r}
		}
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			if v := s.pred(x.Node); v != nil {
				return &Simple{Op: SimpleNot, X: v}
			}
			return nil
		}
	}
	return s.leaf(n)
}

func (s *simpler) leaf(n ast.Node) *Simple {
	switch x := n.(type) {
	case *ast.BoolNode:
		return &Simple{Op: SimpleConst, Bool: x.Value}
	case *ast.BinaryNode:
		if x.Operator == "==" || x.Operator == "!=" || x.Operator == "<" || x.Operator == "<=" || x.Operator == ">" || x.Operator == ">=" {
			if c := s.count(x); c != nil {
				return c
			}
		}
		return s.binary(x)
	case *ast.CallNode:
		return s.within(x)
	case *ast.BuiltinNode:
		return s.quantifier(x)
	}
	if op, ok := s.operand(n); ok && op.Kind != OperandConst {
		return &Simple{Op: SimpleTruth, L: op}
	}
	return nil
}

func (s *simpler) binary(x *ast.BinaryNode) *Simple {
	l, ok := s.operand(x.Left)
	if !ok {
		return nil
	}
	if cmp, ok := cmpOps[x.Operator]; ok {
		r, ok := s.operand(x.Right)
		if !ok {
			return nil
		}
		return &Simple{Op: SimpleCompare, Cmp: cmp, L: l, R: r}
	}
	switch x.Operator {
	case "in":
		switch r := x.Right.(type) {
		case *ast.ArrayNode:
			return s.in(l, r)
		case *ast.BinaryNode:
			lo, okLo := r.Left.(*ast.IntegerNode)
			hi, okHi := r.Right.(*ast.IntegerNode)
			if r.Operator == ".." && okLo && okHi {
				return &Simple{Op: SimpleRange, L: l, Lo: int64(lo.Value), Hi: int64(hi.Value)}
			}
		}
	case "startsWith", "endsWith", "contains", "matches":
		str, ok := x.Right.(*ast.StringNode)
		if !ok {
			return nil
		}
		op := map[string]SimpleOp{"startsWith": SimplePrefix, "endsWith": SimpleSuffix, "contains": SimpleContains, "matches": SimpleMatches}[x.Operator]
		simple := &Simple{Op: op, L: l, Str: str.Value}
		if op == SimpleMatches {
			re, err := regexp.Compile(str.Value)
			if err != nil {
				return nil
			}
			simple.Re = re
		}
		return simple
	}
	return nil
}

// within describes within(READ, "D", now) with a constant duration.
func (s *simpler) within(x *ast.CallNode) *Simple {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "within" || len(x.Arguments) != 3 || s.elements {
		return nil
	}
	str, ok := x.Arguments[1].(*ast.StringNode)
	if !ok {
		return nil
	}
	d, ok := parser.ParseDuration(str.Value)
	if !ok {
		return nil
	}
	l, ok := s.operand(x.Arguments[0])
	if !ok || (l.Kind != OperandRead && l.Kind != OperandReadOr) {
		return nil
	}
	return &Simple{Op: SimpleWithin, L: l, Dur: d}
}

// quantifier describes any, all and none over a read list with an element
// predicate.
func (s *simpler) quantifier(x *ast.BuiltinNode) *Simple {
	op := map[string]SimpleOp{"any": SimpleAny, "all": SimpleAll, "none": SimpleNone}[x.Name]
	if op == 0 {
		return nil
	}
	l, pred := s.overList(x)
	if pred == nil {
		return nil
	}
	return &Simple{Op: op, L: l, X: pred}
}

// count describes count(READ, PREDICATE) compared with a constant.
func (s *simpler) count(x *ast.BinaryNode) *Simple {
	b, ok := x.Left.(*ast.BuiltinNode)
	if !ok || b.Name != "count" {
		return nil
	}
	r, ok := s.operand(x.Right)
	if !ok || r.Kind != OperandConst {
		return nil
	}
	l, pred := s.overList(b)
	if pred == nil {
		return nil
	}
	return &Simple{Op: SimpleCount, Cmp: cmpOps[x.Operator], L: l, R: r, X: pred}
}

// overList reads BUILTIN(LIST, PREDICATE) where LIST is a read of the
// condition and the predicate is simple.
func (s *simpler) overList(x *ast.BuiltinNode) (Operand, *Simple) {
	if s.elements || len(x.Arguments) != 2 {
		return Operand{}, nil
	}
	l, ok := s.operand(x.Arguments[0])
	if !ok || (l.Kind != OperandRead && l.Kind != OperandReadOr) {
		return Operand{}, nil
	}
	p, ok := x.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return Operand{}, nil
	}
	inner := &simpler{cond: s.cond, index: s.index, elements: true}
	pred := inner.pred(p.Node)
	if pred == nil {
		return Operand{}, nil
	}
	return l, pred
}

// in describes membership in a list of constants of one kind.
func (s *simpler) in(l Operand, arr *ast.ArrayNode) *Simple {
	out := &Simple{Op: SimpleIn, L: l}
	for _, el := range arr.Nodes {
		c, ok := s.operand(el)
		if !ok || c.Kind != OperandConst {
			return nil
		}
		switch c.Const.Kind {
		case model.KindString:
			out.Strs = append(out.Strs, c.Const.Str)
		case model.KindInt, model.KindNumber:
			f, _ := c.Const.Number()
			out.Nums = append(out.Nums, f)
		default:
			return nil
		}
	}
	if len(out.Strs) > 0 && len(out.Nums) > 0 {
		return nil
	}
	return out
}

// operand describes a value: a constant, something the condition reads,
// len() or a day helper of a read, or the element of an each rule.
func (s *simpler) operand(n ast.Node) (Operand, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return Operand{Kind: OperandConst, Const: model.Value{Kind: model.KindInt, Int: int64(x.Value)}}, true
	case *ast.FloatNode:
		return Operand{Kind: OperandConst, Const: model.Value{Kind: model.KindNumber, Num: x.Value}}, true
	case *ast.StringNode:
		return Operand{Kind: OperandConst, Const: model.Value{Kind: model.KindString, Str: x.Value}}, true
	case *ast.BoolNode:
		return Operand{Kind: OperandConst, Const: model.Value{Kind: model.KindBool, Bool: x.Value}}, true
	case *ast.UnaryNode:
		if x.Operator == "-" {
			if c, ok := s.operand(x.Node); ok && c.Kind == OperandConst {
				switch c.Const.Kind {
				case model.KindInt:
					c.Const.Int = -c.Const.Int
					return c, true
				case model.KindNumber:
					c.Const.Num = -c.Const.Num
					return c, true
				}
			}
		}
	case *ast.PointerNode:
		if s.elements && x.Name == "" {
			return Operand{Kind: OperandElem}, true
		}
	case *ast.BuiltinNode:
		if x.Name == "len" && len(x.Arguments) == 1 {
			if r, ok := s.read(x.Arguments[0]); ok {
				return Operand{Kind: OperandLen, Index: r}, true
			}
			// len(list ?? []) is 0 when the list is missing.
			if or, ok := s.operand(x.Arguments[0]); ok && or.Kind == OperandReadOr && or.Const.Kind == model.KindList {
				return Operand{Kind: OperandLen, Index: or.Index, Const: or.Const}, true
			}
		}
	case *ast.BinaryNode:
		if x.Operator == "??" && !s.elements {
			r, ok := s.readChain(x.Left, true)
			if !ok {
				break
			}
			if arr, ok := x.Right.(*ast.ArrayNode); ok && len(arr.Nodes) == 0 {
				return Operand{Kind: OperandReadOr, Index: r, Const: model.Value{Kind: model.KindList, Any: []any{}}}, true
			}
			if c, ok := s.operand(x.Right); ok && c.Kind == OperandConst {
				return Operand{Kind: OperandReadOr, Index: r, Const: c.Const}, true
			}
		}
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		if !ok || len(x.Arguments) != 2 {
			break
		}
		kind := map[string]OperandKind{"days_since": OperandDaysSince, "days_until": OperandDaysUntil}[id.Value]
		if kind == 0 {
			break
		}
		if r, ok := s.read(x.Arguments[0]); ok {
			return Operand{Kind: kind, Index: r}, true
		}
	case *ast.MemberNode:
		if s.elements {
			if p, ok := x.Node.(*ast.PointerNode); ok && p.Name == "" && !x.Optional && !x.Method {
				if f, ok := x.Property.(*ast.StringNode); ok {
					return Operand{Kind: OperandField, Field: f.Value}, true
				}
			}
		}
	}
	if r, ok := s.read(n); ok {
		return Operand{Kind: OperandRead, Index: r}, true
	}
	return Operand{}, false
}

// read finds the condition's read that the node is, exactly: a name or a
// chain of plain members whose dotted text is the read's name. Optional
// members (?.) are allowed only as the left side of ??, where ReadOr gives
// the fallback.
func (s *simpler) read(n ast.Node) (int, bool) { return s.readChain(n, false) }

// readChain is read, allowing ?. members when optionalOK.
func (s *simpler) readChain(n ast.Node, optionalOK bool) (int, bool) {
	var parts []string
	optional := false
	for {
		switch x := n.(type) {
		case *ast.ChainNode:
			n = x.Node
			continue
		case *ast.IdentifierNode:
			if optional && !optionalOK {
				return 0, false
			}
			parts = append(parts, x.Value)
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			i, ok := s.index[strings.Join(parts, ".")]
			return i, ok
		case *ast.MemberNode:
			p, ok := x.Property.(*ast.StringNode)
			if !ok || x.Method {
				return 0, false
			}
			optional = optional || x.Optional
			parts = append(parts, p.Value)
			n = x.Node
		default:
			return 0, false
		}
	}
}
