package rules

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/checker/nature"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
)

// phase is the part of the fixed evaluation order a condition belongs to;
// it decides what the condition may read.
type phase int

const (
	phaseLet phase = iota
	phaseFramework
	phaseQualified
	phaseGroup
	phaseLadder
)

// scope says where a condition stands: its phase and the index of the let,
// framework, group or ladder it belongs to.
type scope struct {
	phase phase
	index int
	fw    *Framework
	// each is set while compiling an each rule's where condition.
	each bool
}

// want is the type a compiled expression must have.
type want int

const (
	wantBool want = iota
	wantNumber
	wantValue
	wantList
	// wantNumberList is a list of numbers computed by map(__each__, ...).
	wantNumberList
)

type pendingLet struct {
	u   *unit
	s   *parser.LetStmt
	let *Let
}

type pendingFramework struct {
	u     *unit
	s     *parser.FrameworkStmt
	fw    *Framework
	crits []*parser.Criterion
}

type pendingGroup struct {
	u     *unit
	g     *Group
	rules []*parser.Rule
}

type pendingLadder struct {
	u     *unit
	l     *Ladder
	steps []*parser.Step
}

// compileConditions compiles every expression in evaluation order.
func (c *compiler) compileConditions() {
	for _, p := range c.lets {
		cond := c.compileExpr(p.u, p.s.Value, scope{phase: phaseLet, index: p.let.Index}, wantValue, "")
		p.let.Value = cond
		if cond != nil {
			c.setEnv(p.let.Name, natureType{cond.nature})
		} else {
			c.setEnv(p.let.Name, types.Any)
		}
	}
	for _, p := range c.frameworks {
		for i, cr := range p.fw.Criteria {
			cr.When = c.compileExpr(p.u, p.crits[i].When, scope{phase: phaseFramework, index: p.fw.Index}, wantBool, "")
		}
		p.fw.Verdict = "qualified when every criterion is met"
		if p.s.Qualified != nil {
			p.fw.Qualified = c.compileQualified(p.u, p.s.Qualified, p.fw)
			p.fw.Verdict = "qualified when " + strings.TrimSpace(p.s.Qualified.Text)
		}
	}
	for _, p := range c.groups {
		sc := scope{phase: phaseGroup, index: p.g.Index}
		for i, r := range p.g.Rules {
			c.compileRule(p.u, p.rules[i], r, sc)
		}
	}
	for _, p := range c.ladders {
		for i, st := range p.l.Steps {
			if p.steps[i].When != nil {
				st.When = c.compileExpr(p.u, p.steps[i].When, scope{phase: phaseLadder, index: p.l.Index}, wantBool, "")
			}
		}
	}
	names := make([]string, 0, len(c.factReads))
	for name := range c.factReads {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c.pol.FactReads = append(c.pol.FactReads, c.factReads[name])
	}
}

func (c *compiler) compileQualified(u *unit, e *parser.Expr, fw *Framework) *Cond {
	env := types.Map{"met": types.Int, "unmet": types.Int, "unknown": types.Int, "total": types.Int}
	for _, cr := range fw.Criteria {
		env[cr.Name] = types.String
	}
	return c.compileExprIn(u, e, scope{phase: phaseQualified, index: fw.Index, fw: fw}, wantBool, "", newConfig(env))
}

func (c *compiler) compileRule(u *unit, pr *parser.Rule, r *Rule, sc scope) {
	if pr.Points.Expr != nil {
		r.Points = 1
		if pr.Points.Sign == "-" {
			r.Points = -1
		}
	} else {
		n := parser.Number{Sign: pr.Points.Sign, Digits: pr.Points.Number}
		r.Points = n.Float()
	}
	if pr.When != nil {
		r.When = c.compileExpr(u, pr.When, sc, wantBool, "")
		if pr.Points.Expr != nil {
			r.PointsExpr = c.compileExpr(u, pr.Points.Expr, sc, wantNumber, "")
		}
		return
	}
	var cfg *conf.Config
	r.Each, cfg = c.compileEach(u, pr, sc)
	if pr.Points.Expr != nil && r.Each != nil {
		// The points of an each rule are computed per matching element,
		// which they can read as # or .field.
		sc.each = true
		r.PointsExpr = c.compileExprIn(u, pr.Points.Expr, sc, wantNumberList, pointsPrefix, cfg)
	}
}

// pointsPrefix wraps an each rule's points so that expr computes them for
// every matching element.
const pointsPrefix = "map(__each__, "

// eachPrefix wraps an each rule's where condition so that expr sees it as
// the predicate of a filter over the list.
const eachPrefix = "filter(__each__, "

func (c *compiler) compileEach(u *unit, pr *parser.Rule, sc scope) (*Each, *conf.Config) {
	each := &Each{}
	listRef, elem, ok := c.eachList(u, pr.Each)
	if !ok {
		return nil, nil
	}
	each.List = listRef
	var limitAt, halflifeAt *parser.EachOption
	for _, opt := range pr.Options {
		switch {
		case opt.Limit != nil:
			if limitAt != nil {
				c.diag(u.src, CodeEachOption, spanOfKeyword(opt.Pos, "limit"), "limit is given twice").
					Notes = []parser.Note{c.note(parser.ToPos(limitAt.Pos), "first given here")}
				continue
			}
			limitAt = opt
			v := opt.Limit.Float()
			if v < 1 || v != float64(int(v)) || v > 1e9 {
				c.diag(u.src, CodeEachOption, opt.Limit.Range(), "limit must be a whole number of at least 1, not %s", opt.Limit.Text())
				continue
			}
			each.Limit = int(v)
		case opt.Halflife != nil:
			if halflifeAt != nil {
				c.diag(u.src, CodeEachOption, spanOfKeyword(opt.Pos, "halflife"), "halflife is given twice").
					Notes = []parser.Note{c.note(parser.ToPos(halflifeAt.Pos), "first given here")}
				continue
			}
			halflifeAt = opt
			d, ok := opt.Halflife.Value()
			if !ok || d <= 0 {
				c.diag(u.src, CodeEachOption, opt.Halflife.Range(), "halflife must be a duration above zero, such as 30d")
				continue
			}
			if elem != nil && !elem.Event && elem.Kind != model.KindObject {
				d := c.diag(u.src, CodeHalflife, opt.Halflife.Range(), "halflife needs elements with a time: %s is a list<%s>", pr.Each.Text, elem)
				d.Why = "an element's age is measured from its at field; declare the list as list<event>"
				continue
			}
			each.Halflife = d
		}
	}
	var elemType types.Type = types.Array(types.Any)
	if elem != nil {
		elemType = types.Array(elem.exprType())
	}
	cfg := newConfig(c.envWith("__each__", elemType))
	sc.each = true
	each.Where = c.compileExprIn(u, pr.Where, sc, wantList, eachPrefix, cfg)
	if each.Where == nil {
		return nil, cfg
	}
	return each, cfg
}

// eachList resolves the list of an each rule.
func (c *compiler) eachList(u *unit, n *parser.Name) (Ref, *Type, bool) {
	if c.schema == nil {
		segs := strings.Split(n.Text, ".")
		if _, ok := c.names[segs[0]]; ok || reserved[segs[0]] != "" {
			c.diag(u.src, CodeNotList, n.Range(), "each needs a list fact, and %s is not a fact", n.Text)
			return Ref{}, nil, false
		}
		ref := Ref{Kind: RefFact, Name: n.Text, Path: segs, Index: -1}
		c.factReads[ref.Name] = ref
		return ref, nil, true
	}
	node := c.schema.Lookup(n.Text)
	if node == nil {
		d := c.diag(u.src, CodeUnknownFact, n.Range(), "unknown fact %s", n.Text)
		d.Suggestion = DidYouMean(n.Text, c.listFacts())
		return Ref{}, nil, false
	}
	if node.IsObject() || node.Type.Kind != model.KindList {
		d := c.diag(u.src, CodeNotList, n.Range(), "each needs a list fact, and %s is %s", n.Text, node.Type)
		if lists := c.listFacts(); len(lists) > 0 {
			d.Suggestion = "the list facts are " + quoteList(lists)
		}
		return Ref{}, nil, false
	}
	ref := Ref{Kind: RefFact, Name: node.Path, Index: node.Index, Node: node}
	c.factReads[ref.Name] = ref
	return ref, node.Type.Elem, true
}

func (c *compiler) listFacts() []string {
	var out []string
	for _, f := range c.schema.Facts {
		if f.Type.Kind == model.KindList {
			out = append(out, f.Path)
		}
	}
	return out
}

func (c *compiler) envWith(name string, t types.Type) types.Map {
	env := make(types.Map, len(c.env)+1)
	for k, v := range c.env {
		env[k] = v
	}
	env[name] = t
	return env
}

func (c *compiler) compileExpr(u *unit, e *parser.Expr, sc scope, w want, prefix string) *Cond {
	return c.compileExprIn(u, e, sc, w, prefix, c.config())
}

// setEnv adds or changes a name of the type environment. A configuration
// made from the environment as it was is brought up to date in place (its
// Fields are its own, and the conditions checked with it are done), so
// that lets, which each add a name, do not each walk the whole
// environment again.
func (c *compiler) setEnv(name string, t types.Type) {
	c.env[name] = t
	c.envVersion++
	if c.envCfg != nil && c.cfgVersion == c.envVersion-1 && name != types.Extra && c.envCfg.Env.TypeData != nil && c.envCfg.Env.Fields != nil {
		c.envCfg.Env.Fields[name] = t.Nature()
		c.cfgVersion = c.envVersion
	}
}

// config returns the expr configuration of the environment as it is now.
func (c *compiler) config() *conf.Config {
	if c.envCfg == nil || c.cfgVersion != c.envVersion {
		c.envCfg, c.cfgVersion = newConfig(c.env), c.envVersion
	}
	return c.envCfg
}

// compileExprIn parses, resolves, checks and compiles one expression
// against the environment of cfg.
func (c *compiler) compileExprIn(u *unit, e *parser.Expr, sc scope, w want, prefix string, cfg *conf.Config) *Cond {
	cond := &Cond{Text: strings.TrimSpace(e.Text), expr: e, prefix: utf8.RuneCountInString(prefix),
		At: posString(u.rel, parser.ToPos(e.Pos)), want: w}
	source := e.Text
	if prefix != "" {
		source = prefix + e.Text + ")"
	}
	cond.source = source
	tree, err := exprparser.ParseWithConfig(source, cfg)
	if err != nil {
		c.exprError(u, cond, parser.CodeSyntax, err, "")
		return nil
	}
	var root *Node
	if w == wantBool || w == wantValue {
		root = split(&tree.Node)
	} else {
		root = &Node{Op: OpLeaf, ast: &tree.Node}
	}
	r := &resolver{c: c, u: u, cond: cond, sc: sc, cfg: cfg, seen: map[string]int{}}
	for _, leaf := range leavesOf(root) {
		r.leaf = leaf
		r.walk(leaf.ast, false)
	}
	if r.failed {
		return nil
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		c.exprError(u, cond, CodeType, err, "")
		return nil
	}
	nt := *tree.Node.Nature()
	if w == wantNumberList {
		// Check the type of the points computed for one element.
		if b, ok := tree.Node.(*ast.BuiltinNode); ok && len(b.Arguments) == 2 {
			if p, ok := b.Arguments[1].(*ast.PredicateNode); ok {
				nt = *p.Node.Nature()
			}
		}
	}
	cond.nature = nt
	ast.Walk(&tree.Node, nilableChains{})
	cond.Type = typeOfNature(nt)
	if !c.checkWant(u, cond, w) {
		return nil
	}
	index := make(map[string]int, len(cond.Reads))
	for i, ref := range cond.Reads {
		index[ref.Name] = i
	}
	if w == wantBool || (w == wantValue && cond.Type == "bool") {
		for _, leaf := range leavesOf(root) {
			leaf.Simple = simplify(*leaf.ast, cond, index)
		}
	}
	if w == wantList {
		cond.Match = simplifyPredicate(tree.Node, cond, index)
	}
	for _, leaf := range leavesOf(root) {
		if err := optimizer.Optimize(leaf.ast, cfg); err != nil {
			c.exprError(u, cond, CodeType, err, "")
			return nil
		}
		prog, err := exprcompiler.Compile(&exprparser.Tree{Node: *leaf.ast, Source: tree.Source}, cfg)
		if err != nil {
			c.exprError(u, cond, CodeType, err, "")
			return nil
		}
		leaf.Program = prog
		leaf.ast = nil
		c.pol.Leaves++
		leaf.Leaf = c.pol.Leaves
	}
	cond.Root = root
	return cond
}

// checkWant reports an expression whose type cannot be what its place needs.
func (c *compiler) checkWant(u *unit, cond *Cond, w want) bool {
	typ := cond.Type
	if typ == "any" || typ == "nil" && w != wantBool {
		return true
	}
	switch w {
	case wantBool:
		if typ == "bool" {
			return true
		}
		d := c.diag(u.src, CodeNotBool, cond.Range(), "a condition must be true or false, but this is %s", article(typ))
		switch typ {
		case "int", "number":
			d.Suggestion = "compare it, as in " + cond.Text + " > 0"
		case "string":
			d.Suggestion = "compare it, as in " + cond.Text + ` == "..."`
		case "list":
			d.Suggestion = "test it, as in len(" + cond.Text + ") > 0"
		}
		return false
	case wantNumber, wantNumberList:
		if typ == "int" || typ == "number" {
			return true
		}
		c.diag(u.src, CodeNotNumber, cond.Range(), "points must be a number, but this is %s", article(typ))
		return false
	}
	return true
}

func article(typ string) string {
	switch typ {
	case "int", "object", "any":
		return "an " + typ
	case "nil":
		return "nil"
	}
	return "a " + typ
}

// exprError reports an error from expr at its exact column in the file.
func (c *compiler) exprError(u *unit, cond *Cond, code parser.Code, err error, suggestion string) {
	var fe *file.Error
	msg := err.Error()
	from, to := cond.prefix, cond.prefix
	if errors.As(err, &fe) {
		msg = fe.Message
		from, to = fe.From, fe.To
	}
	if to <= from {
		to = from + 1
	}
	if from < cond.prefix {
		from, to = cond.prefix, cond.prefix+1
	}
	textLen := cond.prefix + utf8.RuneCountInString(cond.expr.Text)
	if from >= textLen {
		// Past the end: point at the last character of the expression.
		from, to = textLen-1, textLen
	}
	if to > textLen {
		to = textLen
	}
	rng := parser.Range{Start: cond.PosAt(from), End: cond.PosAt(to)}
	why := ""
	switch {
	case strings.Contains(msg, "exceeds maximum allowed nodes"):
		code = CodeTooComplex
		msg = fmt.Sprintf("expression is too large (more than %d nodes)", MaxNodes)
		rng = parser.Range{Start: cond.PosAt(cond.prefix), End: cond.PosAt(cond.prefix + 1)}
	case code == CodeType && cond.want == wantList && strings.HasPrefix(msg, "predicate should return boolean"):
		code = CodeNotBool
		got := strings.TrimSuffix(strings.TrimPrefix(msg, "predicate should return boolean (got "), ")")
		msg = "the where condition must be true or false, but this is " + article(languageType(got))
		rng = cond.Range()
	case code == parser.CodeSyntax:
		msg, suggestion = syntaxMessage(cond, cleanExprMessage(msg), suggestion)
	default:
		msg = cleanExprMessage(msg)
	}
	d := c.diag(u.src, code, rng, "%s", msg)
	d.Suggestion = suggestion
	if why == "" {
		why = continuationWhy(cond, rng.Start.Line)
	}
	d.Why = why
}

// syntaxMessage words a syntax error inside an expression.
func syntaxMessage(cond *Cond, msg, suggestion string) (string, string) {
	what := "condition"
	if cond.want == wantNumber || cond.want == wantNumberList {
		what = "points"
	}
	switch {
	case msg == `unexpected "="`:
		suggestion = "use == to compare; = is not an operator"
	case strings.Contains(msg, "unexpected EOF"):
		msg = "the " + what + " ends too early: something is missing at its end"
		return "syntax error in " + what + ": " + strings.TrimPrefix(msg, "the "+what+" "), suggestion
	}
	if suggestion == "" && strings.Contains(cond.expr.Text, "#") {
		suggestion = "a '#' followed by a space after a comma, an opening bracket or an operator is read as expr's element pointer; put a comment after the end of the expression or on its own line"
	}
	return "syntax error in " + what + ": " + msg, suggestion
}

var exprToken = regexp.MustCompile(`unexpected token \w+\("((?:[^"\\]|\\.)*)"\)`)

// cleanExprMessage makes expr's messages read as the language's.
func cleanExprMessage(msg string) string {
	msg = exprToken.ReplaceAllString(msg, `unexpected "$1"`)
	msg = strings.ReplaceAll(msg, "unexpected token EOF", "unexpected EOF")
	msg = strings.ReplaceAll(msg, "__each__", "the list")
	msg = strings.ReplaceAll(msg, "float64", "number")
	msg = strings.ReplaceAll(msg, "map[string]interface {}", "object")
	msg = strings.ReplaceAll(msg, "[]interface {}", "list")
	msg = strings.ReplaceAll(msg, "interface {}", "any")
	msg = strings.ReplaceAll(msg, "time.Time", "time")
	msg = strings.ReplaceAll(msg, "time.Duration", "duration")
	return msg
}

// languageType names a Go type as the language does.
func languageType(goType string) string {
	switch goType {
	case "float64", "float32":
		return "number"
	case "int", "int64":
		return "int"
	case "string", "bool":
		return goType
	case "time.Time":
		return "time"
	case "time.Duration":
		return "duration"
	case "[]interface {}":
		return "list"
	case "map[string]interface {}":
		return "object"
	}
	return goType
}

// continuationWhy explains an error on a line a condition continues onto
// because the line before ends in an operator: the user may not have meant
// the two lines to be one condition.
func continuationWhy(cond *Cond, line int) string {
	start := cond.expr.Pos.Line
	if line <= start {
		return ""
	}
	lines := strings.Split(cond.expr.Text, "\n")
	i := line - start - 1
	if i < 0 || i >= len(lines) {
		return ""
	}
	depth := 0
	for _, l := range lines[:i+1] {
		depth += strings.Count(l, "(") + strings.Count(l, "[") + strings.Count(l, "{")
		depth -= strings.Count(l, ")") + strings.Count(l, "]") + strings.Count(l, "}")
	}
	if depth > 0 {
		return ""
	}
	prev := strings.TrimRight(lines[i], " \t\r")
	for _, op := range []string{"&&", "||", "??", "and", "or", "in", "+", "-", "*", "/", "==", "!=", ">=", "<=", ">", "<", "?", ":"} {
		if strings.HasSuffix(prev, op) {
			return fmt.Sprintf("line %d continues the condition of line %d, because that line ends in %q", line, line-1, op)
		}
	}
	return ""
}

// split breaks a boolean expression at its top-level and, or and not.
func split(n *ast.Node) *Node {
	switch x := (*n).(type) {
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			return &Node{Op: OpAnd, X: split(&x.Left), Y: split(&x.Right)}
		case "||", "or":
			return &Node{Op: OpOr, X: split(&x.Left), Y: split(&x.Right)}
		}
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			return &Node{Op: OpNot, X: split(&x.Node)}
		}
	}
	return &Node{Op: OpLeaf, ast: n}
}

func leavesOf(n *Node) []*Node {
	if n.Op == OpLeaf {
		return []*Node{n}
	}
	out := leavesOf(n.X)
	if n.Y != nil {
		out = append(out, leavesOf(n.Y)...)
	}
	return out
}

// resolver walks an expression's AST: it resolves every name against the
// policy, reports unknown names and reads of things evaluated later, records
// what each leaf reads, and adds the hidden time argument to helpers.
type resolver struct {
	c      *compiler
	u      *unit
	cond   *Cond
	sc     scope
	cfg    *conf.Config
	leaf   *Node
	locals []string
	seen   map[string]int
	failed bool
}

func (r *resolver) errorAt(code parser.Code, loc file.Location, format string, args ...any) *parser.Diagnostic {
	r.failed = true
	to := loc.To
	if to <= loc.From {
		to = loc.From + 1
	}
	rng := parser.Range{Start: r.cond.PosAt(loc.From), End: r.cond.PosAt(to)}
	d := r.c.diag(r.u.src, code, rng, format, args...)
	d.Why = continuationWhy(r.cond, rng.Start.Line)
	return d
}

// record adds a read to the condition and, unless guarded, to the leaf's needs.
func (r *resolver) record(ref Ref, guarded bool) {
	i, ok := r.seen[ref.Name]
	if !ok {
		i = len(r.cond.Reads)
		r.seen[ref.Name] = i
		r.cond.Reads = append(r.cond.Reads, ref)
	}
	if ref.Kind == RefFact {
		r.c.factReads[ref.Name] = ref
	}
	if ref.Kind != RefFact && ref.Kind != RefLet {
		return
	}
	if guarded {
		r.leaf.Guarded = addIndex(r.leaf.Guarded, i)
		return
	}
	r.leaf.Needs = addIndex(r.leaf.Needs, i)
}

func addIndex(list []int, i int) []int {
	for _, j := range list {
		if j == i {
			return list
		}
	}
	return append(list, i)
}

func (r *resolver) isLocal(name string) bool {
	for _, l := range r.locals {
		if l == name {
			return true
		}
	}
	return false
}

func (r *resolver) walk(n *ast.Node, guarded bool) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		r.ident(x, nil, guarded)
	case *ast.MemberNode, *ast.ChainNode:
		r.member(n, guarded)
	case *ast.BinaryNode:
		if x.Operator == "??" {
			r.walk(&x.Left, true)
		} else {
			r.walk(&x.Left, guarded)
		}
		r.walk(&x.Right, guarded)
	case *ast.UnaryNode:
		r.walk(&x.Node, guarded)
	case *ast.CallNode:
		r.call(x, guarded)
	case *ast.BuiltinNode:
		for i := range x.Arguments {
			r.walk(&x.Arguments[i], guarded)
		}
	case *ast.PredicateNode:
		r.walk(&x.Node, guarded)
	case *ast.ConditionalNode:
		r.walk(&x.Cond, guarded)
		r.walk(&x.Exp1, guarded)
		r.walk(&x.Exp2, guarded)
	case *ast.VariableDeclaratorNode:
		r.walk(&x.Value, guarded)
		r.locals = append(r.locals, x.Name)
		r.walk(&x.Expr, guarded)
		r.locals = r.locals[:len(r.locals)-1]
	case *ast.SequenceNode:
		for i := range x.Nodes {
			r.walk(&x.Nodes[i], guarded)
		}
	case *ast.ArrayNode:
		for i := range x.Nodes {
			r.walk(&x.Nodes[i], guarded)
		}
	case *ast.MapNode:
		for i := range x.Pairs {
			r.walk(&x.Pairs[i], guarded)
		}
	case *ast.PairNode:
		r.walk(&x.Key, guarded)
		r.walk(&x.Value, guarded)
	case *ast.SliceNode:
		r.walk(&x.Node, guarded)
		if x.From != nil {
			r.walk(&x.From, guarded)
		}
		if x.To != nil {
			r.walk(&x.To, guarded)
		}
	}
}

// member resolves a chain of member accesses such as company.industry or
// company?.size, from its root name through its constant segments.
func (r *resolver) member(n *ast.Node, guarded bool) {
	ch := SplitChain(n)
	for i := len(ch.Members) - 1 - len(ch.Segments); i >= 0; i-- {
		r.walk(&ch.Members[i].Property, guarded)
	}
	if guarded && len(ch.Members) > 0 {
		makeOptional(n, ch.Members)
	}
	if id, ok := (*ch.Root).(*ast.IdentifierNode); ok {
		r.ident(id, ch.Segments, guarded || ch.Optional)
		return
	}
	r.walk(ch.Root, guarded)
}

// Segment is a constant member of a chain: "industry" in company.industry
// or company["industry"], with where it is in the expression.
type Segment struct {
	Name string
	Loc  file.Location
}

// Chain is a chain of member accesses split into its parts.
type Chain struct {
	// Root is the node the chain starts from, such as the name company.
	Root *ast.Node
	// Members are the member accesses, outermost first.
	Members []*ast.MemberNode
	// Segments are the constant members read from the root, up to the
	// first computed member (a[i]) or method call.
	Segments []Segment
	// Optional is set when a member is read with ?.
	Optional bool
}

// SplitChain splits the chain of member accesses at n (company?.size,
// score.fit); a node that is no chain is its own Root. The compiler and the
// test runner resolve names from it.
func SplitChain(n *ast.Node) Chain {
	var ch Chain
	cur := n
loop:
	for {
		switch x := (*cur).(type) {
		case *ast.ChainNode:
			cur = &x.Node
		case *ast.MemberNode:
			ch.Members = append(ch.Members, x)
			ch.Optional = ch.Optional || x.Optional
			cur = &x.Node
		default:
			break loop
		}
	}
	ch.Root = cur
	for i := len(ch.Members) - 1; i >= 0; i-- {
		m := ch.Members[i]
		s, ok := m.Property.(*ast.StringNode)
		if !ok || m.Method {
			break
		}
		ch.Segments = append(ch.Segments, Segment{Name: s.Value, Loc: m.Property.Location()})
	}
	return ch
}

// nilableChains forgets the checked type of optional chains, which are
// nil when what they read is missing: the compiler must not emit the
// string- or int-only comparison it would pick for a typed operand.
type nilableChains struct{}

func (nilableChains) Visit(n *ast.Node) {
	if c, ok := (*n).(*ast.ChainNode); ok {
		c.SetNature(nature.Nature{})
	}
}

// makeOptional turns a chain read on the left of ?? into an optional
// chain, so that `(budget.amount ?? 0)` also falls back when budget itself
// is missing, instead of failing to read amount from nothing.
func makeOptional(n *ast.Node, members []*ast.MemberNode) {
	for _, m := range members {
		m.Optional = true
	}
	if _, ok := (*n).(*ast.ChainNode); !ok {
		chain := &ast.ChainNode{Node: *n}
		chain.SetLocation((*n).Location())
		*n = chain
	}
}

func (r *resolver) call(x *ast.CallNode, guarded bool) {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		r.walk(&x.Callee, guarded)
	} else if arity, isHelper := helperArity[id.Value]; isHelper {
		if len(x.Arguments) != arity {
			what := "one time, as in days_since(activity.last_visit)"
			if id.Value == "days_until" {
				what = "one time, as in days_until(deal.close_date)"
			}
			if id.Value == "within" {
				what = `a time and a duration, as in within(activity.last_visit, "30d")`
			}
			r.errorAt(CodeHelperArgs, id.Location(), "%s takes %s; it was given %d %s", id.Value, what, len(x.Arguments), pluralWord(len(x.Arguments), "argument", "arguments"))
			return
		}
		if id.Value == "within" {
			if str, ok := x.Arguments[1].(*ast.StringNode); ok {
				if d, ok := parser.ParseDuration(str.Value); !ok || d < 0 {
					e := r.errorAt(parser.CodeLiteral, str.Location(), "invalid duration %q", str.Value)
					e.Suggestion = `write a whole number and a unit: ms, s, m, h, d (days) or w (weeks), as in "30d"`
					return
				}
			}
		}
		now := &ast.IdentifierNode{Value: "now"}
		now.SetLocation(x.Location())
		x.Arguments = append(x.Arguments, now)
		for i := 0; i < arity; i++ {
			r.walk(&x.Arguments[i], guarded)
		}
		return
	} else if !r.isLocal(id.Value) {
		if _, fn := r.cfg.Functions[id.Value]; !fn {
			if _, b := r.cfg.Builtins[id.Value]; !b {
				var names []string
				for name := range helperArity {
					names = append(names, name)
				}
				for name := range r.cfg.Builtins {
					names = append(names, name)
				}
				if r.cfg.Disabled[id.Value] {
					d := r.errorAt(CodeUnknownName, id.Location(), "%s() is not available in conditions", id.Value)
					d.Why = "repeat() can allocate without bound"
					if id.Value == "now" {
						d.Why = "results must not depend on the clock; use now, without parentheses: the evaluation time"
					}
					return
				}
				d := r.errorAt(CodeUnknownName, id.Location(), "unknown function %s", id.Value)
				d.Suggestion = DidYouMean(id.Value, names)
				return
			}
		}
	}
	for i := range x.Arguments {
		r.walk(&x.Arguments[i], guarded)
	}
}

// ident resolves a root name and the constant segments after it.
func (r *resolver) ident(id *ast.IdentifierNode, segs []Segment, guarded bool) {
	name := id.Value
	loc := id.Location()
	if r.isLocal(name) {
		return
	}
	if name == "$env" {
		r.errorAt(CodeUnknownName, loc, "$env is not available: conditions read facts and names directly")
		return
	}
	if name == "__each__" && r.sc.each {
		return
	}
	if r.sc.phase == phaseQualified {
		r.qualifiedName(id, segs)
		return
	}
	if name == "now" {
		r.record(Ref{Kind: RefNow, Name: "now", Index: -1}, guarded)
		return
	}
	if name == "score" {
		r.score(loc, segs)
		return
	}
	d, ok := r.c.names[name]
	if !ok {
		if r.c.schema == nil {
			r.dynamicFact(name, segs, guarded)
			return
		}
		r.unknown(name, chainSpan(loc, segs), segs)
		return
	}
	// Errors about what the name is underline the name and its members.
	if len(segs) > 0 {
		loc = file.Location{From: loc.From, To: segs[0].Loc.To}
	}
	switch d.kind {
	case declFact:
		r.fact(name, loc, segs, guarded)
	case declLet:
		if r.sc.phase == phaseLet && d.index >= r.sc.index {
			if d.index == r.sc.index {
				r.errorAt(CodeDefinedLater, loc, "let %s reads itself", name)
				return
			}
			r.later(loc, name, d.pos, "let %s reads %s, which is defined later; lets are evaluated in the order written", r.c.pol.Lets[r.sc.index].Name, name)
			return
		}
		r.record(Ref{Kind: RefLet, Name: name, Index: d.index}, guarded)
	case declFramework:
		switch {
		case r.sc.phase == phaseLet:
			r.later(loc, name, d.pos, "%s is a framework, evaluated after every let; a let cannot read it", name)
			return
		case r.sc.phase == phaseFramework && d.index == r.sc.index:
			r.errorAt(CodeDefinedLater, loc, "a criterion of %s cannot read %s: its counts are known only once all its criteria are", name, name)
			return
		case r.sc.phase == phaseFramework && d.index > r.sc.index:
			r.later(loc, name, d.pos, "framework %s reads %s, which is defined later; frameworks are evaluated in the order written", r.c.pol.Frameworks[r.sc.index].Name, name)
			return
		}
		r.framework(name, d, loc, segs)
	case declLadder:
		switch {
		case r.sc.phase < phaseLadder:
			r.later(loc, name, d.pos, "%s is a ladder, and ladders are evaluated last, after lets, frameworks and score groups", name)
			return
		case d.index == r.sc.index:
			r.errorAt(CodeDefinedLater, loc, "ladder %s reads itself", name)
			return
		case d.index > r.sc.index:
			r.later(loc, name, d.pos, "ladder %s reads %s, which is defined later; ladders are evaluated in the order written", r.c.pol.Ladders[r.sc.index].Name, name)
			return
		}
		r.record(Ref{Kind: RefLadder, Name: name, Index: d.index}, guarded)
	}
}

// chainSpan is the location of a name and all its members.
func chainSpan(loc file.Location, segs []Segment) file.Location {
	if len(segs) > 0 {
		loc.To = segs[len(segs)-1].Loc.To
	}
	return loc
}

// later reports a read of something evaluated after the reader, naming both places.
func (r *resolver) later(loc file.Location, name string, defined parser.Pos, format string, args ...any) {
	d := r.errorAt(CodeDefinedLater, loc, format, args...)
	d.Notes = []parser.Note{r.c.note(defined, name+" is defined here")}
}

func (r *resolver) qualifiedName(id *ast.IdentifierNode, segs []Segment) {
	fw := r.sc.fw
	switch id.Value {
	case "met", "unmet", "unknown", "total":
		r.record(Ref{Kind: RefOwn, Name: id.Value, Path: []string{id.Value}, Index: fw.Index}, false)
		return
	}
	names := []string{"met", "unmet", "unknown", "total"}
	for _, cr := range fw.Criteria {
		if cr.Name == id.Value {
			r.record(Ref{Kind: RefOwn, Name: id.Value, Path: []string{id.Value}, Index: fw.Index}, false)
			return
		}
		names = append(names, cr.Name)
	}
	if g, ok := r.c.names[id.Value]; ok || id.Value == "score" || id.Value == "now" {
		what := "it"
		if ok {
			what = "a " + g.kind.String()
		}
		d := r.errorAt(CodeUnknownName, chainSpan(id.Location(), segs), "the qualified condition of %s cannot read %s (%s)", fw.Name, id.Value, what)
		d.Why = "qualified when sees only met, unmet, unknown, total and " + fw.Name + "'s criteria; to use " + id.Value + ", make it a criterion of " + fw.Name + " or test it in a ladder"
		return
	}
	d := r.errorAt(CodeUnknownName, id.Location(), "unknown name %s in the qualified condition of %s", id.Value, fw.Name)
	d.Suggestion = DidYouMean(id.Value, names)
	d.Why = "a qualified when condition sees met, unmet, unknown, total and the framework's criteria"
}

func (r *resolver) score(loc file.Location, segs []Segment) {
	groups := []string{"total"}
	for _, g := range r.c.pol.Groups {
		groups = append(groups, g.Name)
	}
	if len(segs) == 0 {
		d := r.errorAt(CodeUnknownMember, loc, "score must be followed by a group, as in score.%s", groups[len(groups)-1])
		d.Suggestion = "the groups are " + quoteList(groups)
		return
	}
	name := segs[0].Name
	var g *Group
	if name != "total" {
		g = r.c.pol.Group(name)
		if g == nil {
			d := r.errorAt(CodeUnknownMember, segs[0].Loc, "unknown score group %s", name)
			d.Suggestion = DidYouMean(name, groups)
			if d.Suggestion == "" {
				d.Suggestion = "the groups are " + quoteList(groups)
			}
			return
		}
	}
	span := file.Location{From: loc.From, To: segs[0].Loc.To}
	switch {
	case r.sc.phase < phaseGroup:
		d := r.errorAt(CodeDefinedLater, span, "score groups are evaluated after lets and frameworks, so score.%s cannot be read here", name)
		if g != nil {
			d.Notes = []parser.Note{r.c.note(g.Pos, "group "+name+" is defined here")}
		}
		return
	case r.sc.phase == phaseGroup && g == nil:
		d := r.errorAt(CodeDefinedLater, span, "score.total is the sum of all the groups, known only after them; only ladders can read it")
		last := r.c.pol.Groups[len(r.c.pol.Groups)-1]
		d.Notes = []parser.Note{r.c.note(last.Pos, "the last group, after which score.total is known")}
		return
	case r.sc.phase == phaseGroup && g.Index == r.sc.index:
		d := r.errorAt(CodeDefinedLater, span, "a rule of group %s cannot read score.%s, the sum it is part of", name, name)
		d.Notes = []parser.Note{r.c.note(g.Pos, "group "+name+" starts here")}
		return
	case r.sc.phase == phaseGroup && g.Index > r.sc.index:
		r.later(span, "score."+name, g.Pos, "group %s reads score.%s, which is computed later; groups are evaluated in the order written", r.c.pol.Groups[r.sc.index].Name, name)
		return
	}
	idx := -1
	if g != nil {
		idx = g.Index
	}
	r.record(Ref{Kind: RefScore, Name: "score." + name, Index: idx}, false)
}

func (r *resolver) framework(name string, d *decl, loc file.Location, segs []Segment) {
	fw := r.c.pol.Frameworks[d.index]
	if len(segs) == 0 {
		r.record(Ref{Kind: RefFramework, Name: name, Index: d.index}, false)
		return
	}
	member := segs[0].Name
	known := []string{"met", "unmet", "unknown", "total", "qualified"}
	for _, cr := range fw.Criteria {
		known = append(known, cr.Name)
	}
	for _, k := range known {
		if k == member {
			r.record(Ref{Kind: RefFramework, Name: name + "." + member, Index: d.index, Path: []string{member}}, false)
			return
		}
	}
	dg := r.errorAt(CodeUnknownMember, segs[0].Loc, "%s has no criterion or count %q", name, member)
	dg.Suggestion = DidYouMean(member, known)
	if dg.Suggestion == "" {
		dg.Suggestion = name + " has " + quoteList(known)
	}
}

// fact resolves a typed fact path against the schema.
func (r *resolver) fact(root string, loc file.Location, segs []Segment, guarded bool) {
	node := r.c.schema.Root.Child(root)
	for i, s := range segs {
		if !node.IsObject() {
			break
		}
		child := node.Child(s.Name)
		if child == nil {
			path := root
			for _, p := range segs[:i+1] {
				path += "." + p.Name
			}
			d := r.errorAt(CodeUnknownFact, s.Loc, "unknown fact %s", path)
			d.Suggestion = DidYouMean(path, r.c.schema.Paths())
			if d.Suggestion == "" {
				var under []string
				for _, c := range node.Children {
					under = append(under, c.Path)
				}
				d.Suggestion = node.Path + " has " + quoteList(under)
			}
			return
		}
		node = child
	}
	r.record(Ref{Kind: RefFact, Name: node.Path, Index: node.Index, Node: node}, guarded)
}

// dynamicFact records a fact read in a policy without a facts block.
func (r *resolver) dynamicFact(root string, segs []Segment, guarded bool) {
	path := []string{root}
	for _, s := range segs {
		path = append(path, s.Name)
	}
	r.record(Ref{Kind: RefFact, Name: strings.Join(path, "."), Path: path, Index: -1}, guarded)
}

// unknown reports a name that is nothing the policy defines.
func (r *resolver) unknown(name string, loc file.Location, segs []Segment) {
	if len(segs) > 0 {
		path := name + "." + segs[0].Name
		for _, s := range segs[1:] {
			path += "." + s.Name
		}
		d := r.errorAt(CodeUnknownFact, loc, "unknown fact %s", path)
		d.Suggestion = DidYouMean(path, r.c.schema.Paths())
		if d.Suggestion == "" {
			d.Suggestion = DidYouMean(name, r.candidates())
		}
		if d.Suggestion == "" {
			d.Why = "every fact a condition reads must be declared in the facts block"
		}
		return
	}
	d := r.errorAt(CodeUnknownName, loc, "unknown name %s", name)
	d.Suggestion = DidYouMean(name, append(r.candidates(), r.c.schema.Paths()...))
	if d.Suggestion == "" {
		d.Why = "a condition can read facts, lets, frameworks, score.GROUP, ladders and now"
	}
}

// candidates are the names a condition may read, for suggestions.
func (r *resolver) candidates() []string {
	out := []string{"now", "score"}
	for name := range r.c.names {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
