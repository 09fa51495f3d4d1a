package qualifytest

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// compiled is an expr program.
type compiled = *vm.Program

// The names an expect reads beside the policy's ladders and frameworks.
// They are the test language's own, and hide a ladder or framework of the
// same name.
const (
	nameScore   = "score"
	nameError   = "error"
	nameMissing = "missing"
	fnMatched   = "matched"
	fnUnknown   = "unknown"
	fnPoints    = "points"
)

var (
	boolFn   = types.TypeOf(func(string, string) bool { return false })
	numberFn = types.TypeOf(func(string, string) float64 { return 0 })
)

// resultTypes is the type environment expects are checked against: what a
// model.Result holds, by the policy's names.
func resultTypes(pol *rules.Policy) types.Map {
	env := types.Map{}
	for _, l := range pol.Ladders {
		env[l.Name] = types.String
	}
	for _, f := range pol.Frameworks {
		m := types.Map{"met": types.Int, "unmet": types.Int, "unknown": types.Int, "total": types.Int, "qualified": types.Bool}
		for _, cr := range f.Criteria {
			m[cr.Name] = types.String
		}
		env[f.Name] = m
	}
	score := types.Map{"total": types.Float64}
	for _, g := range pol.Groups {
		score[g.Name] = types.Float64
	}
	env[nameScore] = score
	env[nameError] = types.String
	env[nameMissing] = types.Array(types.String)
	env[fnMatched] = boolFn
	env[fnUnknown] = boolFn
	env[fnPoints] = numberFn
	return env
}

// resultValues is the environment an expect runs in: the values of res by
// the names resultTypes gives them. When the lead gave an error, res is
// nil, every value is zero and error holds the error's text. Numbers are
// rounded to 9 decimals, as results are in JSON.
func resultValues(pol *rules.Policy, res *model.Result, evalErr error) map[string]any {
	env := make(map[string]any, len(pol.Ladders)+len(pol.Frameworks)+6)
	for _, l := range pol.Ladders {
		env[l.Name] = ""
		if res != nil {
			env[l.Name] = res.Label(l.Name)
		}
	}
	for _, f := range pol.Frameworks {
		m := map[string]any{"met": 0, "unmet": 0, "unknown": 0, "total": len(f.Criteria), "qualified": false}
		var fr *model.FrameworkResult
		if res != nil {
			fr = res.Framework(f.Name)
		}
		for _, cr := range f.Criteria {
			m[cr.Name] = ""
			if fr != nil {
				m[cr.Name] = string(fr.Criterion(cr.Name))
			}
		}
		if fr != nil {
			m["met"], m["unmet"], m["unknown"], m["total"], m["qualified"] = fr.Met, fr.Unmet, fr.Unknown, fr.Total, fr.Qualified
		}
		env[f.Name] = m
	}
	score := map[string]any{"total": 0.0}
	for _, g := range pol.Groups {
		score[g.Name] = 0.0
		if res != nil {
			score[g.Name] = model.Round(res.Group(g.Name).Points)
		}
	}
	missing := []any{}
	if res != nil {
		score["total"] = model.Round(res.Score.Total)
		for _, m := range res.Missing {
			missing = append(missing, m)
		}
	}
	env[nameScore] = score
	env[nameMissing] = missing
	env[nameError] = ""
	if evalErr != nil {
		env[nameError] = evalErr.Error()
	}
	lookup := func(block, label string) *model.Step {
		it, ok := findItem(pol, block, label, false)
		if !ok || res == nil {
			return nil
		}
		return it.stepIn(res)
	}
	env[fnMatched] = func(block, label string) bool {
		s := lookup(block, label)
		return s != nil && (s.Outcome == model.Matched || s.Outcome == model.OutMet)
	}
	env[fnUnknown] = func(block, label string) bool {
		s := lookup(block, label)
		return s != nil && s.Outcome == model.OutUnknown
	}
	env[fnPoints] = func(block, label string) float64 {
		s := lookup(block, label)
		if s == nil || s.Outcome != model.Matched {
			return 0
		}
		return model.Round(s.Points)
	}
	return env
}

// itemKind says what matched, unknown and points name, and what coverage
// counts: a rule of a score group, a criterion of a framework, or a step
// of a ladder.
type itemKind int

const (
	itemRule itemKind = iota
	itemCriterion
	itemStep
)

// item is a rule, criterion or ladder step of the policy.
type item struct {
	kind  itemKind
	block string
	// name is the rule's label, the criterion's name or the step's label.
	name string
	at   parser.Pos
	// fallback marks a ladder step without a condition.
	fallback bool
}

// stepIn returns the item's step in the result's trace, or nil when the
// item was not evaluated (a ladder step after the one that matched).
func (it item) stepIn(res *model.Result) *model.Step {
	trace := res.Trace()
	for i := range trace {
		s := &trace[i]
		switch {
		case it.kind == itemRule && s.Kind == model.StepRule && s.Group == it.block && s.Label == it.name,
			it.kind == itemCriterion && s.Kind == model.StepCriterion && s.Framework == it.block && s.Name == it.name,
			it.kind == itemStep && s.Kind == model.StepLadder && s.Ladder == it.block && s.Label == it.name:
			return s
		}
	}
	return nil
}

// findItem resolves matched(block, label): block names a score group, a
// framework or a ladder (tried in that order, for the one that has the
// label); label is a rule's label, a criterion's name or label, or a
// ladder step's label. With groupsOnly, only score groups are tried.
func findItem(pol *rules.Policy, block, label string, groupsOnly bool) (item, bool) {
	if g := pol.Group(block); g != nil {
		for _, r := range g.Rules {
			if r.Label == label {
				return item{kind: itemRule, block: g.Name, name: r.Label, at: r.Pos}, true
			}
		}
	}
	if groupsOnly {
		return item{}, false
	}
	if f := pol.Framework(block); f != nil {
		for _, cr := range f.Criteria {
			if cr.Name == label || cr.Label == label {
				return item{kind: itemCriterion, block: f.Name, name: cr.Name, at: cr.Pos}, true
			}
		}
	}
	if l := pol.Ladder(block); l != nil {
		for _, st := range l.Steps {
			if st.Label == label {
				return item{kind: itemStep, block: l.Name, name: st.Label, at: st.Pos, fallback: st.When == nil}, true
			}
		}
	}
	return item{}, false
}

// targetKind says which part of the trace an expect's name points at.
type targetKind int

const (
	targetGroup targetKind = iota
	targetTotal
	targetFramework
	targetLadder
)

// target is a part of the trace a failing expect shows: a whole score
// group, framework or ladder, or one of its rules, criteria or steps.
type target struct {
	kind  targetKind
	block string
	// item is a rule label, a criterion name or a step label; "" for all.
	item string
}

// probe is one name or call an expect reads, compiled on its own so that a
// failing expect can show its value.
type probe struct {
	// name is how the probe is written: score.total, matched("fit", "X").
	name    string
	program compiled
	target  *target
}

// newConfig returns an expr configuration checking against env, without
// the builtins that would make a test depend on the clock.
func newConfig(env types.Map) *conf.Config {
	cfg := conf.CreateNew()
	cfg.WithEnv(env)
	for _, name := range []string{"now", "repeat"} {
		delete(cfg.Builtins, name)
		cfg.Disabled[name] = true
	}
	cfg.MaxNodes = rules.MaxNodes
	cfg.Check()
	return cfg
}

// expect compiles one expect condition, reporting unknown names with a
// suggestion, type errors at their column, and a condition that is not
// true or false.
func (c *compiler) expect(src *parser.Source, e *parser.Expr) *Expect {
	text := e.Text
	cfg := newConfig(c.resultEnv)
	tree, err := exprparser.ParseWithConfig(text, cfg)
	if err != nil {
		c.exprError(src, e, parser.CodeSyntax, "syntax error in expect: ", err)
		return nil
	}
	r := &expectResolver{c: c, src: src, e: e}
	r.walk(&tree.Node)
	if r.failed {
		return nil
	}
	typ, err := checker.Check(tree, cfg)
	if err != nil {
		c.exprError(src, e, CodeExpectType, "", err)
		return nil
	}
	if typ != nil && typ.Kind() != reflect.Bool && typ.Kind() != reflect.Interface {
		name := typeName(typ)
		d := c.diag(src, CodeExpectNotBool, e.Range(), "an expect must be true or false, but this is %s", name)
		trimmed := strings.TrimSpace(text)
		switch name {
		case "a number", "an int":
			d.Suggestion = "compare it, as in expect " + trimmed + " == 50"
		case "a string":
			d.Suggestion = "compare it, as in expect " + trimmed + ` == "sql"`
		case "a list":
			d.Suggestion = "test it, as in expect len(" + trimmed + ") == 0"
		}
		return nil
	}
	prog, err := exprcompiler.Compile(tree, cfg)
	if err != nil {
		c.exprError(src, e, CodeExpectType, "", err)
		return nil
	}
	out := &Expect{Text: strings.TrimSpace(text), Range: e.Range(), program: prog}
	for _, p := range r.probes {
		if p.name != nameError {
			out.needsResult = true
		}
		if p.program = c.compileProbe(p.name); p.program != nil {
			out.probes = append(out.probes, p)
		}
	}
	if len(r.probes) == 0 {
		out.needsResult = true
	}
	return out
}

// compileProbe compiles a name or call on its own, or returns nil.
func (c *compiler) compileProbe(text string) compiled {
	cfg := newConfig(c.resultEnv)
	tree, err := exprparser.ParseWithConfig(text, cfg)
	if err != nil {
		return nil
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil
	}
	prog, err := exprcompiler.Compile(tree, cfg)
	if err != nil {
		return nil
	}
	return prog
}

// typeName names a checked type the way the language does, with an article.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an int"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Func:
		return "a function"
	}
	return "a " + t.String()
}

// exprError reports an error from expr at its column in the file.
func (c *compiler) exprError(src *parser.Source, e *parser.Expr, code parser.Code, prefix string, err error) {
	msg := err.Error()
	from, to := 0, 1
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		from, to = fe.From, fe.To
	}
	n := utf8.RuneCountInString(e.Text)
	if to <= from {
		to = from + 1
	}
	if from >= n {
		from, to = n-1, n
	}
	if from < 0 {
		from = 0
	}
	to = min(to, n)
	msg = cleanMessage(msg)
	var suggestion string
	if code == parser.CodeSyntax {
		switch {
		case msg == `unexpected "="`:
			suggestion = "use == to compare; = is not an operator"
		case strings.Contains(msg, "unexpected EOF"):
			msg = "it ends too early: something is missing at its end"
		}
	}
	if strings.Contains(msg, "exceeds maximum allowed nodes") {
		msg = fmt.Sprintf("expression is too large (more than %d nodes)", rules.MaxNodes)
	}
	c.diag(src, code, e.RangeAt(from, to), "%s%s", prefix, msg).Suggestion = suggestion
}

var exprToken = regexp.MustCompile(`unexpected token \w+\("((?:[^"\\]|\\.)*)"\)`)

// cleanMessage makes expr's messages read as the language's.
func cleanMessage(msg string) string {
	msg = exprToken.ReplaceAllString(msg, `unexpected "$1"`)
	msg = strings.ReplaceAll(msg, "unexpected token EOF", "unexpected EOF")
	r := strings.NewReplacer(
		"float64", "number",
		"map[string]interface {}", "object",
		"[]interface {}", "list",
		"interface {}", "any",
		"time.Time", "time",
		"time.Duration", "duration",
		"func(string, string) bool", "function",
		"func(string, string) number", "function",
	)
	return r.Replace(r.Replace(msg))
}

// expectResolver walks an expect's AST: it checks every name against the
// result's names and records the probes a failure shows.
type expectResolver struct {
	c      *compiler
	src    *parser.Source
	e      *parser.Expr
	locals []string
	probes []*probe
	failed bool
}

func (r *expectResolver) errorAt(code parser.Code, loc file.Location, format string, args ...any) *parser.Diagnostic {
	r.failed = true
	to := loc.To
	if to <= loc.From {
		to = loc.From + 1
	}
	return r.c.diag(r.src, code, r.e.RangeAt(loc.From, to), format, args...)
}

func (r *expectResolver) addProbe(name string, t *target) {
	for _, p := range r.probes {
		if p.name == name {
			return
		}
	}
	r.probes = append(r.probes, &probe{name: name, target: t})
}

func (r *expectResolver) isLocal(name string) bool {
	for _, l := range r.locals {
		if l == name {
			return true
		}
	}
	return false
}

func (r *expectResolver) walk(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		r.ident(x, nil)
	case *ast.MemberNode, *ast.ChainNode:
		r.member(n)
	case *ast.BinaryNode:
		r.walk(&x.Left)
		r.walk(&x.Right)
		switch x.Operator {
		case "==", "!=":
			r.label(x.Left, x.Right)
			r.label(x.Right, x.Left)
		case "in":
			if arr, ok := x.Right.(*ast.ArrayNode); ok {
				for _, el := range arr.Nodes {
					r.label(x.Left, el)
				}
			}
		}
	case *ast.UnaryNode:
		r.walk(&x.Node)
	case *ast.CallNode:
		r.call(x)
	case *ast.BuiltinNode:
		for i := range x.Arguments {
			r.walk(&x.Arguments[i])
		}
	case *ast.PredicateNode:
		r.walk(&x.Node)
	case *ast.ConditionalNode:
		r.walk(&x.Cond)
		r.walk(&x.Exp1)
		r.walk(&x.Exp2)
	case *ast.VariableDeclaratorNode:
		r.walk(&x.Value)
		r.locals = append(r.locals, x.Name)
		r.walk(&x.Expr)
		r.locals = r.locals[:len(r.locals)-1]
	case *ast.SequenceNode:
		for i := range x.Nodes {
			r.walk(&x.Nodes[i])
		}
	case *ast.ArrayNode:
		for i := range x.Nodes {
			r.walk(&x.Nodes[i])
		}
	case *ast.MapNode:
		for i := range x.Pairs {
			r.walk(&x.Pairs[i])
		}
	case *ast.PairNode:
		r.walk(&x.Key)
		r.walk(&x.Value)
	case *ast.SliceNode:
		r.walk(&x.Node)
		if x.From != nil {
			r.walk(&x.From)
		}
		if x.To != nil {
			r.walk(&x.To)
		}
	}
}

// member resolves a chain such as score.fit or BANT.met from its root name
// through its constant segments.
func (r *expectResolver) member(n *ast.Node) {
	ch := rules.SplitChain(n)
	for i := len(ch.Members) - 1 - len(ch.Segments); i >= 0; i-- {
		r.walk(&ch.Members[i].Property)
	}
	if id, ok := (*ch.Root).(*ast.IdentifierNode); ok {
		r.ident(id, ch.Segments)
		return
	}
	r.walk(ch.Root)
}

// label checks a string compared with a ladder (stage == "sql") or with a
// criterion's status (BANT.budget == "met"): a string that none of them can
// be makes the expect always false, or always true.
func (r *expectResolver) label(subject, value ast.Node) {
	str, ok := value.(*ast.StringNode)
	if !ok {
		return
	}
	pol := r.c.pol
	switch x := subject.(type) {
	case *ast.IdentifierNode:
		if r.isLocal(x.Value) || isTestName(x.Value) {
			return
		}
		l := pol.Ladder(x.Value)
		if l == nil || str.Value == "" {
			return
		}
		var labels []string
		for _, st := range l.Steps {
			if st.Label == str.Value {
				return
			}
			labels = append(labels, st.Label)
		}
		d := r.errorAt(CodeUnknownLabel, str.Location(), "%s has no label %q", l.Name, str.Value)
		d.Suggestion = rules.DidYouMean(str.Value, labels)
		if d.Suggestion == "" {
			d.Suggestion = "the labels of " + l.Name + " are " + quoteList(labels, true)
		}
	case *ast.MemberNode:
		id, ok := x.Node.(*ast.IdentifierNode)
		prop, ok2 := x.Property.(*ast.StringNode)
		if !ok || !ok2 || r.isLocal(id.Value) || isTestName(id.Value) {
			return
		}
		f := pol.Framework(id.Value)
		if f == nil {
			return
		}
		for _, cr := range f.Criteria {
			if cr.Name != prop.Value {
				continue
			}
			statuses := []string{string(model.Met), string(model.Unmet), string(model.Unknown)}
			if slices.Contains(statuses, str.Value) {
				return
			}
			d := r.errorAt(CodeUnknownLabel, str.Location(), "%s.%s is a criterion's status, which is never %q", f.Name, cr.Name, str.Value)
			d.Suggestion = rules.DidYouMean(str.Value, statuses)
			if d.Suggestion == "" {
				d.Suggestion = `a status is "met", "unmet" or "unknown"`
			}
		}
	}
}

// isTestName reports whether name is one of the test language's own names,
// which hide a ladder or framework of the same name.
func isTestName(name string) bool {
	switch name {
	case nameScore, nameError, nameMissing, fnMatched, fnUnknown, fnPoints:
		return true
	}
	return false
}

// candidates are the names an expect may read, for suggestions.
func (r *expectResolver) candidates() []string {
	pol := r.c.pol
	out := []string{nameScore, nameError, nameMissing}
	for _, l := range pol.Ladders {
		out = append(out, l.Name)
	}
	for _, f := range pol.Frameworks {
		out = append(out, f.Name)
	}
	return out
}

// why explains what an expect reads.
const expectReads = "an expect reads the result: stage and the other ladders, score.GROUP and score.total, " +
	"frameworks (BANT.met, BANT.qualified, BANT.budget), matched, unknown and points, error and missing"

// ident resolves a root name and the constant segments after it.
func (r *expectResolver) ident(id *ast.IdentifierNode, segs []rules.Segment) {
	name := id.Value
	pol := r.c.pol
	if r.isLocal(name) {
		return
	}
	switch name {
	case nameError, nameMissing:
		r.addProbe(name, nil)
		return
	case nameScore:
		r.score(id, segs)
		return
	case fnMatched, fnUnknown, fnPoints:
		return // the checker reports a function used as a value
	}
	if l := pol.Ladder(name); l != nil {
		r.addProbe(name, &target{kind: targetLadder, block: name})
		return
	}
	if f := pol.Framework(name); f != nil {
		r.framework(f, id, segs)
		return
	}
	d := r.errorAt(CodeUnknownName, id.Location(), "unknown name %s", name)
	switch {
	case pol.Group(name) != nil:
		d.Suggestion = fmt.Sprintf("did you mean %q?", "score."+name)
		d.Why = "score groups are read as score.GROUP"
	case isLet(pol, name):
		d.Why = "lets are not part of the result; " + expectReads
	case pol.Schema != nil && pol.Schema.Root.Child(name) != nil:
		d.Why = "facts are the test's input, not part of the result; " + expectReads
	default:
		d.Suggestion = rules.DidYouMean(name, r.candidates())
		if d.Suggestion == "" {
			d.Why = expectReads
		}
	}
}

func isLet(pol *rules.Policy, name string) bool {
	for _, l := range pol.Lets {
		if l.Name == name {
			return true
		}
	}
	return false
}

func (r *expectResolver) score(id *ast.IdentifierNode, segs []rules.Segment) {
	groups := []string{"total"}
	for _, g := range r.c.pol.Groups {
		groups = append(groups, g.Name)
	}
	if len(segs) == 0 {
		d := r.errorAt(CodeUnknownMember, id.Location(), "score must be followed by a group, as in score.total")
		d.Suggestion = "the groups are " + quoteList(groups, false)
		return
	}
	name := segs[0].Name
	if name == "total" {
		r.addProbe("score.total", &target{kind: targetTotal})
		return
	}
	if r.c.pol.Group(name) == nil {
		d := r.errorAt(CodeUnknownMember, segs[0].Loc, "unknown score group %s", name)
		d.Suggestion = rules.DidYouMean(name, groups)
		if d.Suggestion == "" {
			d.Suggestion = "the groups are " + quoteList(groups, false)
		}
		return
	}
	r.addProbe("score."+name, &target{kind: targetGroup, block: name})
}

func (r *expectResolver) framework(f *rules.Framework, id *ast.IdentifierNode, segs []rules.Segment) {
	if len(segs) == 0 {
		r.addProbe(f.Name, &target{kind: targetFramework, block: f.Name})
		return
	}
	member := segs[0].Name
	known := []string{"met", "unmet", "unknown", "total", "qualified"}
	for _, k := range known {
		if k == member {
			r.addProbe(f.Name+"."+member, &target{kind: targetFramework, block: f.Name})
			return
		}
	}
	for _, cr := range f.Criteria {
		if cr.Name == member {
			r.addProbe(f.Name+"."+member, &target{kind: targetFramework, block: f.Name, item: member})
			return
		}
		known = append(known, cr.Name)
	}
	d := r.errorAt(CodeUnknownMember, segs[0].Loc, "%s has no criterion or count %q", f.Name, member)
	d.Suggestion = rules.DidYouMean(member, known)
	if d.Suggestion == "" {
		d.Suggestion = f.Name + " has " + quoteList(known, false)
	}
}

// call checks matched, unknown and points, whose arguments must name a rule,
// criterion or ladder step, and any other function.
func (r *expectResolver) call(x *ast.CallNode) {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		r.walk(&x.Callee)
	} else {
		switch id.Value {
		case fnMatched, fnUnknown, fnPoints:
			r.itemCall(x, id)
			return
		}
		if !r.isLocal(id.Value) && r.c.pol.Ladder(id.Value) == nil && r.c.pol.Framework(id.Value) == nil {
			cfg := newConfig(r.c.resultEnv)
			if _, fn := cfg.Functions[id.Value]; !fn {
				if _, b := cfg.Builtins[id.Value]; !b {
					names := []string{fnMatched, fnUnknown, fnPoints}
					for name := range cfg.Builtins {
						names = append(names, name)
					}
					sort.Strings(names)
					d := r.errorAt(CodeUnknownName, id.Location(), "unknown function %s", id.Value)
					d.Suggestion = rules.DidYouMean(id.Value, names)
					if cfg.Disabled[id.Value] {
						d.Suggestion = id.Value + "() is not available in tests"
					}
					return
				}
			}
		}
	}
	for i := range x.Arguments {
		r.walk(&x.Arguments[i])
	}
}

// itemCall resolves matched(BLOCK, LABEL), unknown(BLOCK, LABEL) or
// points(GROUP, LABEL), whose arguments are strings in quotes.
func (r *expectResolver) itemCall(x *ast.CallNode, id *ast.IdentifierNode) {
	fn := id.Value
	example := fn + `("fit", "Decision maker")`
	if len(x.Arguments) != 2 {
		d := r.errorAt(CodeUnknownRule, id.Location(), "%s takes a group and a label; it was given %d %s", fn, len(x.Arguments), plural(len(x.Arguments), "argument"))
		d.Suggestion = "as in " + example
		return
	}
	var args [2]*ast.StringNode
	for i, a := range x.Arguments {
		s, ok := a.(*ast.StringNode)
		if !ok {
			d := r.errorAt(CodeUnknownRule, a.Location(), "the arguments of %s are a group and a label in quotes", fn)
			d.Suggestion = "as in " + example
			d.Why = "they are checked against the policy when the test compiles"
			return
		}
		args[i] = s
	}
	pol := r.c.pol
	block, label := args[0].Value, args[1].Value
	g, f, l := pol.Group(block), pol.Framework(block), pol.Ladder(block)
	if g == nil && f == nil && l == nil {
		var blocks []string
		for _, g := range pol.Groups {
			blocks = append(blocks, g.Name)
		}
		if fn != fnPoints {
			for _, f := range pol.Frameworks {
				blocks = append(blocks, f.Name)
			}
			for _, l := range pol.Ladders {
				blocks = append(blocks, l.Name)
			}
		}
		what := "score group, framework or ladder"
		if fn == fnPoints {
			what = "score group"
		}
		d := r.errorAt(CodeUnknownRule, args[0].Location(), "no %s %q", what, block)
		d.Suggestion = rules.DidYouMean(block, blocks)
		if d.Suggestion == "" && len(blocks) > 0 {
			d.Suggestion = "the choices are " + quoteList(blocks, true)
		}
		return
	}
	if fn == fnPoints && g == nil {
		kind := "a framework"
		if l != nil {
			kind = "a ladder"
		}
		d := r.errorAt(CodeUnknownRule, args[0].Location(), "points reads a rule of a score group, and %s is %s", block, kind)
		d.Suggestion = fmt.Sprintf("use matched(%q, %q)", block, label)
		return
	}
	it, ok := findItem(pol, block, label, fn == fnPoints)
	if !ok {
		var labels []string
		var whats []string
		if g != nil {
			whats = append(whats, "score group "+block+" has no rule")
			for _, rl := range g.Rules {
				labels = append(labels, rl.Label)
			}
		}
		if f != nil && fn != fnPoints {
			whats = append(whats, "framework "+block+" has no criterion")
			for _, cr := range f.Criteria {
				labels = append(labels, cr.Name, cr.Label)
			}
		}
		if l != nil && fn != fnPoints {
			whats = append(whats, "ladder "+block+" has no step")
			for _, st := range l.Steps {
				labels = append(labels, st.Label)
			}
		}
		d := r.errorAt(CodeUnknownRule, args[1].Location(), "%s %q", strings.Join(whats, " and "), label)
		d.Suggestion = rules.DidYouMean(label, labels)
		if d.Suggestion == "" {
			d.Suggestion = "the choices are " + quoteList(labels, true)
		}
		return
	}
	var t *target
	switch it.kind {
	case itemRule:
		t = &target{kind: targetGroup, block: it.block, item: it.name}
	case itemCriterion:
		t = &target{kind: targetFramework, block: it.block, item: it.name}
	case itemStep:
		t = &target{kind: targetLadder, block: it.block, item: it.name}
	}
	r.addProbe(fmt.Sprintf("%s(%q, %q)", fn, block, label), t)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
