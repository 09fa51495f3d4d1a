// Package rules compiles qualify policies: it takes the parsed .qual files
// of a policy, checks them (names, types, order, frameworks, ladders) and
// turns every condition into expr programs, giving a Policy that the eval
// package runs. All the errors of all the files are gathered, positioned and
// sorted. This is the main entry point of the library: Load, LoadDir,
// LoadFile, Compile and CompileFiles.
package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/vm"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
)

// Policy is a compiled, checked policy. It is immutable and safe to share
// between goroutines.
type Policy struct {
	Name    string
	Version string
	// Hash is "sha256:" and the hex digest of the policy's file names and
	// contents, in name order.
	Hash string
	// Files are the parsed policy files, in name order.
	Files []*parser.File
	// Schema is the facts block, or nil when the policy declares none and
	// its facts are dynamic.
	Schema     *Schema
	Lets       []*Let
	Frameworks []*Framework
	Groups     []*Group
	// Total clamps score.total.
	Total Clamp
	// TotalAt is where the total statement is, or "".
	TotalAt string
	Ladders []*Ladder
	// FactReads are the facts some condition reads, sorted by name: a lead
	// lacking one lists it in Result.Missing.
	FactReads []Ref
	// Leaves counts the leaves of every condition (see Node.Leaf).
	Leaves int
	// Names holds the position of every let, framework, group and ladder
	// by name, and of every fact by path.
	Names map[string]parser.Pos
}

// Info returns the name, version and hash that results carry.
func (p *Policy) Info() model.PolicyInfo {
	return model.PolicyInfo{Name: p.Name, Version: p.Version, Hash: p.Hash}
}

// Ladder returns the ladder called name, or nil.
func (p *Policy) Ladder(name string) *Ladder {
	for _, l := range p.Ladders {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// Group returns the score group called name, or nil.
func (p *Policy) Group(name string) *Group {
	for _, g := range p.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Framework returns the framework called name, or nil.
func (p *Policy) Framework(name string) *Framework {
	for _, f := range p.Frameworks {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Let is a compiled `let NAME = EXPR`.
type Let struct {
	Name  string
	Index int
	Value *Cond
	At    string
	Pos   parser.Pos
}

// Framework is a compiled checklist.
type Framework struct {
	Name     string
	Index    int
	Standard bool
	Criteria []*Criterion
	// Qualified is the `qualified when` condition; nil means all criteria met.
	Qualified *Cond
	// Verdict describes the rule for people: "qualified when met >= 3".
	Verdict string
	At      string
	Pos     parser.Pos
}

// Criterion is one framework criterion.
type Criterion struct {
	Name  string
	Label string
	When  *Cond
	At    string
	Pos   parser.Pos
}

// Clamp bounds a sum; a nil bound is open.
type Clamp struct {
	Min *float64
	Max *float64
}

// Apply returns v clamped to the bounds.
func (c Clamp) Apply(v float64) float64 {
	if c.Max != nil && v > *c.Max {
		v = *c.Max
	}
	if c.Min != nil && v < *c.Min {
		v = *c.Min
	}
	return v
}

// Group is a compiled score group.
type Group struct {
	Name  string
	Index int
	Clamp Clamp
	Rules []*Rule
	At    string
	Pos   parser.Pos
}

// Rule is one scoring rule: either When is set, or Each is.
type Rule struct {
	Label string
	// Points is the constant points; PointsExpr, when set, computes them
	// and Points is its sign (1 or -1). In an each rule PointsExpr gives a
	// list: the points of every matching element.
	Points     float64
	PointsExpr *Cond
	When       *Cond
	Each       *Each
	At         string
	Pos        parser.Pos
}

// Each is the `each LIST where EXPR [limit N] [halflife D]` form of a rule.
type Each struct {
	// List is the list fact; Where is compiled as filter(LIST, EXPR) and
	// returns the matching elements.
	List  Ref
	Where *Cond
	// Limit is the most elements that score (0: no limit).
	Limit int
	// Halflife halves an element's points every Halflife of age (0: none).
	Halflife time.Duration
}

// Ladder is a compiled `classify NAME { ... }`.
type Ladder struct {
	Name  string
	Index int
	Steps []*Step
	At    string
	Pos   parser.Pos
}

// Step is one ladder step; When is nil for the fallback.
type Step struct {
	Label   string
	When    *Cond
	Because string
	At      string
	Pos     parser.Pos
}

// RefKind says what a reference in a condition reads.
type RefKind uint8

// Kinds of references.
const (
	RefFact RefKind = iota
	RefLet
	RefFramework
	RefScore
	RefLadder
	RefNow
	// RefOwn is a count or criterion of the framework whose qualified
	// condition reads it.
	RefOwn
	// RefEach is the list an each rule filters.
	RefEach
)

// Ref is one thing a condition reads.
type Ref struct {
	Kind RefKind
	// Name is how the trace shows it: "company.industry", "BANT.met",
	// "score.fit", "decision_maker".
	Name string
	// Index is the schema node, let, framework, group (-1 for the total)
	// or ladder index.
	Index int
	// Path holds a dynamic fact's segments, or the member of a framework.
	Path []string
	// Node is the fact's schema node in a typed policy.
	Node *FactNode
}

// Op is the operator of a condition node.
type Op uint8

// Condition operators. Conditions are split at their top-level and, or and
// not, so that a known part can decide the whole when another part reads a
// missing fact (three-valued logic); every other part is an expr program.
const (
	OpLeaf Op = iota
	OpAnd
	OpOr
	OpNot
)

// Node is a condition split at its top-level logic operators.
type Node struct {
	Op   Op
	X, Y *Node
	// Program is a leaf's compiled expression.
	Program *vm.Program
	// Simple, when set, describes the leaf so that the evaluator can run it
	// without the VM (see Simple); Program stays the reference.
	Simple *Simple
	// Needs are indexes into Cond.Reads of the facts and lets that must be
	// known for the leaf to run: its reads outside ?? and ?. guards.
	Needs []int
	// Leaf numbers the policy's leaves from 1 (0 on and, or and not), so
	// that an evaluator can keep what it derives from each leaf in a slice.
	Leaf int
	// Guarded are indexes into Cond.Reads of the facts and lets the leaf
	// reads behind a guard: when one is missing and the leaf fails on the
	// nil it gets, the leaf is unknown rather than an error.
	Guarded []int

	ast *ast.Node
}

// Cond is a compiled expression.
type Cond struct {
	// Text is the expression as written.
	Text string
	// At is file:line:col of the expression.
	At string
	// Reads are the distinct things the expression reads, in source order.
	Reads []Ref
	Root  *Node
	// Type is the expression's checked type ("bool", "int", "any", ...).
	Type string
	// Match, for an each rule's where condition, describes the element
	// predicate when it can run without the VM.
	Match *Simple

	expr   *parser.Expr
	prefix int
	source string
	want   want
	nature nature.Nature
}

// PosAt maps a character offset of the compiled source (as expr's errors
// report it) to the file position.
func (c *Cond) PosAt(runeOffset int) parser.Pos {
	off := runeOffset - c.prefix
	if off < 0 {
		off = 0
	}
	return c.expr.PosAt(off)
}

// Range returns the expression's range in its file.
func (c *Cond) Range() parser.Range { return c.expr.Range() }

// Expr returns the parsed expression the condition was compiled from.
func (c *Cond) Expr() *parser.Expr { return c.expr }

// Leaves returns the condition's leaves, left to right.
func (c *Cond) Leaves() []*Node {
	var out []*Node
	var walk func(n *Node)
	walk = func(n *Node) {
		if n == nil {
			return
		}
		if n.Op == OpLeaf {
			out = append(out, n)
			return
		}
		walk(n.X)
		walk(n.Y)
	}
	walk(c.Root)
	return out
}

func posString(relName string, p parser.Pos) string {
	return fmt.Sprintf("%s:%d:%d", relName, p.Line, p.Column)
}

// isTestFile reports whether name is a _test.qual file.
func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.qual") }
