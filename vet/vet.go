// Package vet finds the mistakes in a policy that compile: thresholds no
// lead can reach, ladder steps an earlier step always shadows, clamps below
// a single rule's points, lets, facts and frameworks nobody reads, and rules
// that repeat a condition. It works on a compiled rules.Policy alone, from
// its exported API, re-parsing conditions with expr's parser, and reports
// warnings as parser.Diagnostics with Severity parser.Warning and the
// stable codes below (documented in docs/errors.md). It also computes the
// reachable range of every score group and of the total (Ranges), which the
// threshold checks build on.
//
// Every warning is a claim vet can prove from the policy: when it cannot
// tell, it says nothing.
package vet

import (
	"fmt"
	"math"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// Codes of the warnings vet reports. Warnings never stop a policy from
// compiling or running.
const (
	// CodeUnreachable is a comparison of a score or a framework count with a
	// threshold outside its reachable range: `score.total >= 500` when the
	// total is at most 180.
	CodeUnreachable parser.Code = "W100"
	// CodeShadowedStep is a ladder step that can never be chosen because an
	// earlier step holds whenever it does.
	CodeShadowedStep parser.Code = "W101"
	// CodeClampBelowRule is a group's or the total's max below the points
	// of a single rule.
	CodeClampBelowRule parser.Code = "W102"
	// CodeUnusedLet is a let no condition reads.
	CodeUnusedLet parser.Code = "W103"
	// CodeUnusedFact is a declared fact no condition reads.
	CodeUnusedFact parser.Code = "W104"
	// CodeUnusedFramework is a framework no condition reads.
	CodeUnusedFramework parser.Code = "W105"
	// CodeDuplicateCondition is two rules of one group, or two criteria of
	// one framework, with the same condition.
	CodeDuplicateCondition parser.Code = "W106"
)

// Vet returns the warnings for a compiled policy, sorted by position.
func Vet(pol *rules.Policy) []*parser.Diagnostic {
	v := &vetter{pol: pol, ranges: Ranges(pol), sources: map[string]*parser.Source{}}
	for _, f := range pol.Files {
		v.sources[f.Source.Name] = f.Source
	}
	v.index()
	v.thresholds()
	v.shadowedSteps()
	v.clamps()
	v.unused()
	v.duplicates()
	parser.SortDiagnostics(v.diags)
	return v.diags
}

type vetter struct {
	pol     *rules.Policy
	ranges  *PolicyRanges
	sources map[string]*parser.Source
	diags   []*parser.Diagnostic
	// The AST nodes of the policy's statements, by position, for the
	// positions the compiled policy does not keep.
	scores map[parser.Pos]*parser.ScoreStmt
	rules  map[parser.Pos]*parser.Rule
	steps  map[parser.Pos]*parser.Step
	lets   map[parser.Pos]*parser.LetStmt
	fws    map[parser.Pos]*parser.FrameworkStmt
	total  *parser.TotalStmt
}

func (v *vetter) index() {
	v.scores = map[parser.Pos]*parser.ScoreStmt{}
	v.rules = map[parser.Pos]*parser.Rule{}
	v.steps = map[parser.Pos]*parser.Step{}
	v.lets = map[parser.Pos]*parser.LetStmt{}
	v.fws = map[parser.Pos]*parser.FrameworkStmt{}
	for _, f := range v.pol.Files {
		for _, s := range f.Stmts {
			switch s := s.(type) {
			case *parser.ScoreStmt:
				v.scores[s.Start()] = s
				for _, r := range s.Rules {
					v.rules[parser.ToPos(r.Pos)] = r
				}
			case *parser.ClassifyStmt:
				for _, st := range s.Steps {
					v.steps[parser.ToPos(st.Pos)] = st
				}
			case *parser.LetStmt:
				v.lets[s.Start()] = s
			case *parser.FrameworkStmt:
				v.fws[s.Start()] = s
			case *parser.TotalStmt:
				if v.total == nil {
					v.total = s
				}
			}
		}
	}
}

// warn adds a warning at rng.
func (v *vetter) warn(code parser.Code, rng parser.Range, why, format string, args ...any) *parser.Diagnostic {
	d := parser.NewDiagnostic(v.sources[rng.Start.File], code, rng, format, args...)
	d.Severity = parser.Warning
	d.Why = why
	v.diags = append(v.diags, d)
	return d
}

// note is a note at pos that quotes its source line, as the compiler's do.
func (v *vetter) note(pos parser.Pos, msg string) parser.Note {
	return parser.NoteAt(v.sources[pos.File], pos, msg)
}

// condition is a compiled condition with where it stands and what its
// comparisons may read.
type condition struct {
	*cond
	// subjects are the scores and counts the condition may compare, by
	// their printed form, with their reachable range and a phrase for it.
	subjects map[string]subject
}

type subject struct {
	lo, hi float64
	// what describes the range: "is at most 180".
	name string
}

// globalSubjects are the scores and framework counts any condition may
// compare, with their reachable ranges.
func (v *vetter) globalSubjects() map[string]subject {
	global := map[string]subject{}
	for _, g := range v.ranges.Groups {
		global["score."+g.Name] = subject{g.Points.Min, g.Points.Max, "score." + g.Name}
	}
	t := v.ranges.Total.Points
	global["score.total"] = subject{t.Min, t.Max, "score.total"}
	for _, fw := range v.pol.Frameworks {
		n := float64(len(fw.Criteria))
		for _, c := range []string{"met", "unmet", "unknown"} {
			global[fw.Name+"."+c] = subject{0, n, fw.Name + "." + c}
		}
		global[fw.Name+".total"] = subject{n, n, fw.Name + ".total"}
	}
	return global
}

// conditions lists every condition of the policy with what it can read.
func (v *vetter) conditions() []condition {
	global := v.globalSubjects()
	var out []condition
	add := func(c *rules.Cond, wrap string, subjects map[string]subject) {
		if pc := parseCond(c, wrap); pc != nil {
			out = append(out, condition{cond: pc, subjects: subjects})
		}
	}
	for _, fw := range v.pol.Frameworks {
		for _, cr := range fw.Criteria {
			add(cr.When, "", global)
		}
		if fw.Qualified != nil {
			own := map[string]subject{}
			n := float64(len(fw.Criteria))
			for _, c := range []string{"met", "unmet", "unknown"} {
				own[c] = subject{0, n, c + " (of " + fw.Name + ")"}
			}
			add(fw.Qualified, "", own)
		}
	}
	for _, g := range v.pol.Groups {
		for _, r := range g.Rules {
			if r.When != nil {
				add(r.When, "", global)
			}
		}
	}
	for _, l := range v.pol.Ladders {
		for _, st := range l.Steps {
			if st.When != nil {
				add(st.When, "", global)
			}
		}
	}
	return out
}

// thresholds reports comparisons of a score or a count with a constant
// they can never reach (W100).
func (v *vetter) thresholds() {
	for _, c := range v.conditions() {
		ast.Walk(&c.root, visitor(func(n *ast.Node) {
			cmp, ok := asComparison(*n)
			if !ok {
				return
			}
			s, ok := c.subjects[cmp.subject.String()]
			if !ok || cmp.iv.meets(s.lo, s.hi) {
				return
			}
			var reach string
			switch {
			case s.lo == s.hi:
				reach = fmt.Sprintf("%s is always %s", s.name, formatPoints(s.lo))
			case cmp.iv.lo > s.hi || (cmp.iv.lo == s.hi && cmp.iv.loOpen):
				reach = fmt.Sprintf("%s is at most %s", s.name, formatPoints(s.hi))
			case cmp.iv.hi < s.lo || (cmp.iv.hi == s.lo && cmp.iv.hiOpen):
				reach = fmt.Sprintf("%s is at least %s", s.name, formatPoints(s.lo))
			default:
				reach = fmt.Sprintf("%s is between %s and %s", s.name, formatPoints(s.lo), formatPoints(s.hi))
			}
			why := "no lead scores outside the range its rules and clamps allow (qualify vet --ranges), so what this comparison guards never happens"
			if !strings.HasPrefix(s.name, "score.") {
				why = "a framework's met, unmet and unknown counts are between 0 and its number of criteria, so what this comparison guards never happens"
			}
			v.warn(CodeUnreachable, c.rangeOf(*n), why, "%s never holds: %s", (*n).String(), reach)
		}))
	}
}

// alwaysTrue reports whether a condition holds for every lead: a conjunction
// of comparisons of scores or counts that their ranges always meet.
func alwaysTrue(n ast.Node, subjects map[string]subject) bool {
	for _, c := range conjuncts(n) {
		cmp, ok := asComparison(c)
		if !ok {
			return false
		}
		s, ok := subjects[cmp.subject.String()]
		if !ok || cmp.integral || !cmp.iv.contains(s.lo, s.hi) {
			return false
		}
	}
	return true
}

// shadowedSteps reports ladder steps an earlier step always shadows (W101).
func (v *vetter) shadowedSteps() {
	subjects := v.globalSubjects()
	for _, l := range v.pol.Ladders {
		conds := make([]*cond, len(l.Steps))
		for i, st := range l.Steps {
			conds[i] = parseCond(st.When, "")
		}
		for j, st := range l.Steps {
			for i := 0; i < j; i++ {
				earlier := l.Steps[i]
				if conds[i] == nil {
					continue // a misplaced fallback: E240 reports it
				}
				var reason string
				switch {
				case alwaysTrue(conds[i].root, subjects):
					reason = fmt.Sprintf("step %s before it always holds", earlier.Label)
				case st.When == nil || conds[j] == nil:
					continue
				case conds[i].root.String() == conds[j].root.String():
					reason = fmt.Sprintf("step %s before it has the same condition", earlier.Label)
				case implies(conds[j].root, conds[i].root, new(int)):
					reason = fmt.Sprintf("step %s before it holds whenever %s does", earlier.Label, st.Label)
				default:
					continue
				}
				d := v.warn(CodeShadowedStep, v.stepLabelRange(st),
					"a ladder takes the first step that holds, so this step's label is never given; put the stricter step first or change a condition",
					"step %s of %s is never chosen: %s", st.Label, l.Name, reason)
				d.Notes = []parser.Note{v.note(earlier.Pos, "step "+earlier.Label+" is here")}
				break
			}
		}
	}
}

// implies reports whether a holds only when b holds, as far as the shape
// of the two conditions proves it: the same atoms, comparisons of the same
// expression with nested thresholds, equalities within a list, combined
// with && and ||. budget bounds the work on large conditions.
func implies(a, b ast.Node, budget *int) bool {
	*budget++
	if *budget > 10000 {
		return false
	}
	if x, ok := isAnd(b); ok {
		return implies(a, x.Left, budget) && implies(a, x.Right, budget)
	}
	if x, ok := isOr(a); ok {
		return implies(x.Left, b, budget) && implies(x.Right, b, budget)
	}
	if x, ok := isOr(b); ok {
		if implies(a, x.Left, budget) || implies(a, x.Right, budget) {
			return true
		}
	}
	if x, ok := isAnd(a); ok {
		if implies(x.Left, b, budget) || implies(x.Right, b, budget) {
			return true
		}
	}
	return atomImplies(a, b)
}

// atomImplies compares two conditions that are not && or ||.
func atomImplies(a, b ast.Node) bool {
	if a.String() == b.String() {
		return true
	}
	if ca, ok := asComparison(a); ok {
		if cb, ok := asComparison(b); ok && ca.subject.String() == cb.subject.String() {
			if cb.integral && !ca.integral && !(ca.iv.lo == ca.iv.hi && ca.iv.lo == math.Trunc(ca.iv.lo)) {
				return false
			}
			return ca.iv.within(cb.iv)
		}
	}
	sa, setA, ok := literalSet(a)
	if !ok {
		return false
	}
	sb, setB, ok := literalSet(b)
	if !ok || sa.String() != sb.String() {
		return false
	}
	for k := range setA {
		if !setB[k] {
			return false
		}
	}
	return true
}

// stepLabelRange is the range of a step's label.
func (v *vetter) stepLabelRange(st *rules.Step) parser.Range {
	if ps, ok := v.steps[st.Pos]; ok {
		return ps.Label.Range()
	}
	return parser.Range{Start: st.Pos, End: st.Pos}
}

// clamps reports a max below the points of a single rule (W102).
func (v *vetter) clamps() {
	for gi, g := range v.pol.Groups {
		ps := v.scores[g.Pos]
		for ri, r := range g.Rules {
			match := v.ranges.Groups[gi].Rules[ri].Match
			if math.IsInf(match.Max, 0) {
				continue
			}
			if g.Clamp.Max != nil && match.Max > *g.Clamp.Max {
				d := v.warn(CodeClampBelowRule, v.pointsRange(r),
					"one match already hits the clamp, so the group's other points are cut off; raise max or lower the points",
					"rule %q can give %s points, more than the max %s of group %s",
					r.Label, signed(match.Max), formatPoints(*g.Clamp.Max), g.Name)
				if at, ok := clampPos(ps, "max"); ok {
					d.Notes = []parser.Note{v.note(at, "the max of group "+g.Name+" is here")}
				}
				continue
			}
			capped := match.Max
			if g.Clamp.Max != nil {
				capped = math.Min(capped, *g.Clamp.Max)
			}
			if v.pol.Total.Max != nil && capped > *v.pol.Total.Max {
				d := v.warn(CodeClampBelowRule, v.pointsRange(r),
					"one match already hits the total's clamp, so every other point is cut off; raise the total's max or lower the points",
					"rule %q can give %s points, more than the total's max %s",
					r.Label, signed(capped), formatPoints(*v.pol.Total.Max))
				if v.total != nil {
					if at, ok := clampPos(&parser.ScoreStmt{Clamps: v.total.Clamps}, "max"); ok {
						d.Notes = []parser.Note{v.note(at, "the total's max is here")}
					}
				}
			}
		}
	}
}

func signed(v float64) string {
	if v > 0 {
		return "+" + formatPoints(v)
	}
	return formatPoints(v)
}

func clampPos(s *parser.ScoreStmt, kind string) (parser.Pos, bool) {
	if s == nil {
		return parser.Pos{}, false
	}
	for _, c := range s.Clamps {
		if c.Kind == kind {
			return parser.ToPos(c.Pos), true
		}
	}
	return parser.Pos{}, false
}

// pointsRange is the range of a rule's points, +15 or +(EXPR).
func (v *vetter) pointsRange(r *rules.Rule) parser.Range {
	pr, ok := v.rules[r.Pos]
	if !ok {
		return parser.Range{Start: r.Pos, End: r.Pos}
	}
	start := parser.ToPos(pr.Points.Pos)
	if pr.Points.Expr != nil {
		end := pr.Points.Expr.Range().End
		end.Column++
		end.Offset++
		return parser.Range{Start: start, End: end}
	}
	end := start
	n := len(pr.Points.Sign) + len(pr.Points.Number)
	end.Column += n
	end.Offset += n
	return parser.Range{Start: start, End: end}
}

// everyCond lists every compiled condition of the policy.
func (v *vetter) everyCond() []*rules.Cond {
	var out []*rules.Cond
	for _, l := range v.pol.Lets {
		out = append(out, l.Value)
	}
	for _, fw := range v.pol.Frameworks {
		for _, c := range fw.Criteria {
			out = append(out, c.When)
		}
		out = append(out, fw.Qualified)
	}
	for _, g := range v.pol.Groups {
		for _, r := range g.Rules {
			out = append(out, r.When, r.PointsExpr)
			if r.Each != nil {
				out = append(out, r.Each.Where)
			}
		}
	}
	for _, l := range v.pol.Ladders {
		for _, st := range l.Steps {
			out = append(out, st.When)
		}
	}
	return out
}

// unused reports lets, facts and frameworks no condition reads (W103-W105).
func (v *vetter) unused() {
	lets, fws := map[string]bool{}, map[string]bool{}
	for _, c := range v.everyCond() {
		if c == nil {
			continue
		}
		for _, r := range c.Reads {
			switch r.Kind {
			case rules.RefLet:
				lets[r.Name] = true
			case rules.RefFramework:
				fws[strings.SplitN(r.Name, ".", 2)[0]] = true
			}
		}
	}
	for _, l := range v.pol.Lets {
		if !lets[l.Name] {
			v.warn(CodeUnusedLet, v.nameRange(l.Pos, "let", l.Name),
				"it is computed for every lead and shown in the trace, but decides nothing; use it or remove it",
				"let %s is never used", l.Name)
		}
	}
	for _, fw := range v.pol.Frameworks {
		if !fws[fw.Name] {
			v.warn(CodeUnusedFramework, v.nameRange(fw.Pos, "framework", fw.Name),
				"its verdict is in every result but decides nothing; read "+fw.Name+".qualified (or its counts) in a rule or ladder step, or remove it",
				"framework %s is never read", fw.Name)
		}
	}
	if v.pol.Schema == nil {
		return
	}
	read := map[string]bool{}
	var mark func(n *rules.FactNode)
	mark = func(n *rules.FactNode) {
		read[n.Path] = true
		for _, c := range n.Children {
			mark(c)
		}
	}
	for _, r := range v.pol.FactReads {
		if n := v.pol.Schema.Lookup(r.Name); n != nil {
			mark(n)
		} else if r.Node != nil {
			mark(r.Node)
		}
	}
	for _, f := range v.pol.Schema.Facts {
		if read[f.Path] || f.Required {
			continue
		}
		end := f.Pos
		end.Column += len([]rune(f.Path))
		end.Offset += len(f.Path)
		v.warn(CodeUnusedFact, parser.Range{Start: f.Pos, End: end},
			"every lead is checked against its type, but no condition reads it; use it or remove it (a required fact is never reported)",
			"fact %s is declared but never read", f.Path)
	}
}

// nameRange finds the name after a keyword at pos, as in `let NAME`.
func (v *vetter) nameRange(pos parser.Pos, keyword, name string) parser.Range {
	src := v.sources[pos.File]
	if src != nil && pos.Offset < len(src.Text) {
		rest := src.Text[pos.Offset:]
		if strings.HasPrefix(rest, keyword) {
			i := len(keyword)
			for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\r' || rest[i] == '\n') {
				i++
			}
			if strings.HasPrefix(rest[i:], name) {
				return src.RangeAt(pos.Offset+i, pos.Offset+i+len(name))
			}
		}
	}
	return parser.Range{Start: pos, End: pos}
}

// duplicates reports two rules of a group, or two criteria of a framework,
// with the same condition (W106).
func (v *vetter) duplicates() {
	for _, g := range v.pol.Groups {
		seen := map[string]*rules.Rule{}
		for _, r := range g.Rules {
			var key string
			var c *cond
			if r.Each != nil {
				c = parseCond(r.Each.Where, wrapWhere)
				if c != nil {
					key = "each " + r.Each.List.Name + " where " + c.root.String()
				}
			} else if c = parseCond(r.When, ""); c != nil {
				key = c.root.String()
			}
			if key == "" {
				continue
			}
			if first, ok := seen[key]; ok {
				d := v.warn(CodeDuplicateCondition, c.c.Range(),
					"a lead that matches one matches the other and scores both; merge them or change a condition",
					"rules %q and %q of group %s have the same condition", first.Label, r.Label, g.Name)
				d.Notes = []parser.Note{v.note(first.Pos, "rule "+fmt.Sprintf("%q", first.Label)+" is here")}
				continue
			}
			seen[key] = r
		}
	}
	for _, fw := range v.pol.Frameworks {
		seen := map[string]*rules.Criterion{}
		for _, cr := range fw.Criteria {
			c := parseCond(cr.When, "")
			if c == nil {
				continue
			}
			key := c.root.String()
			if first, ok := seen[key]; ok {
				d := v.warn(CodeDuplicateCondition, c.c.Range(),
					"the two are always met together, so the framework counts one fact twice; change a condition",
					"criteria %s and %s of %s have the same condition", first.Name, cr.Name, fw.Name)
				d.Notes = []parser.Note{v.note(first.Pos, "criterion "+first.Name+" is here")}
				continue
			}
			seen[key] = cr
		}
	}
}
