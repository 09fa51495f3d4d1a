package vet

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// Interval is a range of points from Min to Max, both included. An end
// that is -Inf or +Inf is unbounded: no finite number of points bounds it.
type Interval struct {
	Min, Max float64
}

// Unbounded reports whether either end of the interval is infinite.
func (i Interval) Unbounded() bool { return math.IsInf(i.Min, 0) || math.IsInf(i.Max, 0) }

// String renders the interval as "MIN .. MAX", with -inf and +inf for
// unbounded ends.
func (i Interval) String() string { return formatPoints(i.Min) + " .. " + formatPoints(i.Max) }

// MarshalJSON writes {"min": MIN, "max": MAX}, with null for an unbounded end.
func (i Interval) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"min":`)
	writeBound(&b, i.Min)
	b.WriteString(`,"max":`)
	writeBound(&b, i.Max)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeBound(b *bytes.Buffer, v float64) {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		b.WriteString("null")
		return
	}
	b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
}

// formatPoints writes points the way results show them.
func formatPoints(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func (i Interval) add(j Interval) Interval { return Interval{Min: i.Min + j.Min, Max: i.Max + j.Max} }

func clampInterval(c rules.Clamp) Interval {
	out := Interval{Min: math.Inf(-1), Max: math.Inf(1)}
	if c.Min != nil {
		out.Min = *c.Min
	}
	if c.Max != nil {
		out.Max = *c.Max
	}
	return out
}

func applyClamp(c rules.Clamp, i Interval) Interval {
	return Interval{Min: c.Apply(i.Min), Max: c.Apply(i.Max)}
}

// RuleRange is the range of points one rule can add to its group.
type RuleRange struct {
	Label string     `json:"label"`
	Pos   parser.Pos `json:"pos"`
	// Match is the range of the points of one match (one element, for an
	// each rule, before its halflife); Points the range of what the rule
	// adds to the group: 0 when it does not match, and every element up to
	// its limit for an each rule.
	Match  Interval `json:"match"`
	Points Interval `json:"points"`
	// Unbounded says why Points has an infinite end, or is empty.
	Unbounded string `json:"unbounded,omitempty"`
}

// GroupRange is the reachable range of one score group.
type GroupRange struct {
	Name string     `json:"name"`
	Pos  parser.Pos `json:"pos"`
	// Raw is the range of the sum of the rules' points; Clamp the group's
	// min and max (infinite when not given); Points the range of the
	// group's score, Raw clamped. The names follow model.GroupScore.
	Raw    Interval    `json:"raw"`
	Clamp  Interval    `json:"clamp"`
	Points Interval    `json:"points"`
	Rules  []RuleRange `json:"rules"`
}

// TotalRange is the reachable range of score.total: the sum of the
// groups' clamped ranges (Raw), and that sum clamped by the total statement.
type TotalRange struct {
	Raw    Interval `json:"raw"`
	Clamp  Interval `json:"clamp"`
	Points Interval `json:"points"`
}

// PolicyRanges is the reachable range of every score group of a policy
// and of its total.
type PolicyRanges struct {
	Groups []GroupRange `json:"groups"`
	Total  TotalRange   `json:"total"`
}

// Group returns the range of the group called name, or nil.
func (r *PolicyRanges) Group(name string) *GroupRange {
	for i := range r.Groups {
		if r.Groups[i].Name == name {
			return &r.Groups[i]
		}
	}
	return nil
}

// Ranges computes the reachable range of every score group and of the
// total from the policy alone. A rule may or may not match, so a positive
// rule adds to the maximum and a negative one to the minimum; an each rule
// counts at most its limit of elements (its halflife only lowers them) and
// has no bound without a limit; computed points, +(EXPR), are bounded
// where EXPR is built from numbers, min, max, len, count, arithmetic and
// facts the rule's condition bounds (`+(min(x, 20)) when x > 0` gives 0 to
// 20), and have no bound otherwise. Clamps apply after the sum. The ranges
// are sound but not always tight: rules that can never match together are
// still added together.
func Ranges(pol *rules.Policy) *PolicyRanges {
	out := &PolicyRanges{}
	var total Interval
	for _, g := range pol.Groups {
		gr := GroupRange{Name: g.Name, Pos: g.Pos, Clamp: clampInterval(g.Clamp)}
		for _, r := range g.Rules {
			rr := ruleRange(r)
			gr.Raw = gr.Raw.add(rr.Points)
			gr.Rules = append(gr.Rules, rr)
		}
		gr.Points = applyClamp(g.Clamp, gr.Raw)
		total = total.add(gr.Points)
		out.Groups = append(out.Groups, gr)
	}
	out.Total = TotalRange{Raw: total, Clamp: clampInterval(pol.Total), Points: applyClamp(pol.Total, total)}
	return out
}

// ruleRange computes what one rule can add to its group.
func ruleRange(r *rules.Rule) RuleRange {
	rr := RuleRange{Label: r.Label, Pos: r.Pos}
	m := Interval{Min: r.Points, Max: r.Points}
	if r.PointsExpr != nil {
		wrap, where := "", r.When
		if r.Each != nil {
			wrap, where = wrapPoints, r.Each.Where
		}
		m = Interval{Min: math.Inf(-1), Max: math.Inf(1)}
		if pc := parseCond(r.PointsExpr, wrap); pc != nil {
			b := &bounder{cons: map[string]span{}}
			whereWrap := ""
			if r.Each != nil {
				whereWrap = wrapWhere
			}
			if wc := parseCond(where, whereWrap); wc != nil {
				b.constrain(wc.root)
			}
			m = b.bound(pc.root)
		}
		if r.Points < 0 {
			m = Interval{Min: -m.Max, Max: -m.Min}
		}
		if m.Unbounded() {
			rr.Unbounded = fmt.Sprintf("its points +(%s) have no bound that vet can find", strings.TrimSpace(r.PointsExpr.Text))
		}
	}
	rr.Match = m
	// Not matching adds nothing.
	one := Interval{Min: math.Min(0, m.Min), Max: math.Max(0, m.Max)}
	if r.Each == nil {
		rr.Points = one
		return rr
	}
	switch {
	case r.Each.Limit > 0:
		n := float64(r.Each.Limit)
		rr.Points = Interval{Min: mul(n, one.Min), Max: mul(n, one.Max)}
	default:
		rr.Points = Interval{}
		if one.Max > 0 {
			rr.Points.Max = math.Inf(1)
		}
		if one.Min < 0 {
			rr.Points.Min = math.Inf(-1)
		}
		if rr.Points.Unbounded() && rr.Unbounded == "" {
			rr.Unbounded = "each without a limit scores every matching element"
		}
	}
	return rr
}

// mul multiplies, taking 0 × ∞ as 0.
func mul(a, b float64) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return a * b
}

// bounder bounds the value of a points expression, knowing what the
// rule's condition says about its parts.
type bounder struct {
	// cons bounds expressions, by their printed form, as the condition
	// does when the rule matches.
	cons map[string]span
}

// constrain records the bounds the conjuncts of a condition put on its
// expressions: `x > 0 && x <= 100` bounds x to (0, 100].
func (b *bounder) constrain(n ast.Node) {
	for _, c := range conjuncts(n) {
		cmp, ok := asComparison(c)
		if !ok {
			continue
		}
		key := cmp.subject.String()
		if prev, ok := b.cons[key]; ok {
			b.cons[key] = intersect(prev, cmp.iv)
		} else {
			b.cons[key] = cmp.iv
		}
	}
}

func intersect(a, b span) span {
	out := a
	if b.lo > out.lo || (b.lo == out.lo && b.loOpen) {
		out.lo, out.loOpen = b.lo, b.loOpen
	}
	if b.hi < out.hi || (b.hi == out.hi && b.hiOpen) {
		out.hi, out.hiOpen = b.hi, b.hiOpen
	}
	return out
}

var everything = Interval{Min: math.Inf(-1), Max: math.Inf(1)}

// bound returns an interval that holds every value of n.
func (b *bounder) bound(n ast.Node) Interval {
	iv := b.bound1(n)
	if c, ok := b.cons[n.String()]; ok {
		iv = Interval{Min: math.Max(iv.Min, c.lo), Max: math.Min(iv.Max, c.hi)}
		if iv.Min > iv.Max {
			// The condition and the expression disagree; stay sound.
			iv = b.bound1(n)
		}
	}
	return iv
}

func (b *bounder) bound1(n ast.Node) Interval {
	if v, ok := constant(n); ok {
		return Interval{Min: v, Max: v}
	}
	switch x := n.(type) {
	case *ast.UnaryNode:
		v := b.bound(x.Node)
		switch x.Operator {
		case "-":
			return Interval{Min: -v.Max, Max: -v.Min}
		case "+":
			return v
		}
	case *ast.BinaryNode:
		l := b.bound(x.Left)
		r := b.bound(x.Right)
		switch x.Operator {
		case "+":
			return Interval{Min: l.Min + r.Min, Max: l.Max + r.Max}.sane()
		case "-":
			return Interval{Min: l.Min - r.Max, Max: l.Max - r.Min}.sane()
		case "*":
			return corners(l, r, mul)
		case "/":
			if r.Min > 0 || r.Max < 0 {
				return corners(l, r, func(a, b float64) float64 {
					if math.IsInf(b, 0) {
						if math.IsInf(a, 0) {
							return math.NaN()
						}
						return 0
					}
					return a / b
				})
			}
		case "??":
			return Interval{Min: math.Min(l.Min, r.Min), Max: math.Max(l.Max, r.Max)}
		}
	case *ast.ConditionalNode:
		a, c := b.bound(x.Exp1), b.bound(x.Exp2)
		return Interval{Min: math.Min(a.Min, c.Min), Max: math.Max(a.Max, c.Max)}
	case *ast.BuiltinNode:
		switch x.Name {
		case "len", "count":
			return Interval{Min: 0, Max: math.Inf(1)}
		case "min", "max":
			if len(x.Arguments) == 0 {
				break
			}
			if len(x.Arguments) == 1 {
				// min(list) of a list: its elements are not bounded here.
				break
			}
			out := b.bound(x.Arguments[0])
			for _, a := range x.Arguments[1:] {
				v := b.bound(a)
				if x.Name == "min" {
					out = Interval{Min: math.Min(out.Min, v.Min), Max: math.Min(out.Max, v.Max)}
				} else {
					out = Interval{Min: math.Max(out.Min, v.Min), Max: math.Max(out.Max, v.Max)}
				}
			}
			return out
		case "abs":
			if len(x.Arguments) == 1 {
				v := b.bound(x.Arguments[0])
				hi := math.Max(math.Abs(v.Min), math.Abs(v.Max))
				lo := 0.0
				if v.Min > 0 {
					lo = v.Min
				} else if v.Max < 0 {
					lo = -v.Max
				}
				return Interval{Min: lo, Max: hi}
			}
		case "floor", "ceil", "round":
			if len(x.Arguments) == 1 {
				v := b.bound(x.Arguments[0])
				return Interval{Min: math.Floor(v.Min), Max: math.Ceil(v.Max)}
			}
		}
	}
	return everything
}

// sane turns NaN ends (∞ - ∞) into unbounded ones.
func (i Interval) sane() Interval {
	if math.IsNaN(i.Min) {
		i.Min = math.Inf(-1)
	}
	if math.IsNaN(i.Max) {
		i.Max = math.Inf(1)
	}
	return i
}

// corners applies op to the ends of two intervals and keeps the extremes.
func corners(a, b Interval, op func(x, y float64) float64) Interval {
	out := Interval{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, x := range []float64{a.Min, a.Max} {
		for _, y := range []float64{b.Min, b.Max} {
			v := op(x, y)
			if math.IsNaN(v) {
				return everything
			}
			out.Min = math.Min(out.Min, v)
			out.Max = math.Max(out.Max, v)
		}
	}
	return out
}
