package eval

import (
	"strings"
	"time"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// simpleLeaf runs a condition leaf described by rules.Simple: unknown when a
// fact or let it reads is not known (its operands are exactly what it
// needs), else true or false. ok is false when the leaf is not covered and
// its program must run.
func (r *run) simpleLeaf(c *rules.Cond, s *rules.Simple) (tri, bool) {
	for _, o := range [2]*rules.Operand{&s.L, &s.R} {
		switch o.Kind {
		case rules.OperandRead, rules.OperandLen, rules.OperandDaysSince, rules.OperandDaysUntil:
			ref := &c.Reads[o.Index]
			if (ref.Kind == rules.RefFact || ref.Kind == rules.RefLet) && !r.known(ref) {
				if o.Kind == rules.OperandLen && o.Const.Kind == model.KindList {
					continue // len(list ?? [])
				}
				return triUnknown, true
			}
		}
	}
	b, ok := r.simple(c, s, nil)
	switch {
	case !ok:
		return triFalse, false
	case b:
		return triTrue, true
	}
	return triFalse, true
}

// simple runs a condition described by rules.Simple directly on the lead's
// values. covered is false when a value is of a kind the description does
// not handle (possible in policies without a facts block): the caller then
// runs the leaf's expr program, which defines the semantics.
func (r *run) simple(c *rules.Cond, s *rules.Simple, elem any) (result, covered bool) {
	switch s.Op {
	case rules.SimpleConst:
		return s.Bool, true
	case rules.SimpleTruth:
		var tl model.Value
		v, ok := r.operand(c, &s.L, elem, &tl)
		if !ok || v.Kind != model.KindBool {
			return false, false
		}
		return v.Bool, true
	case rules.SimpleCompare:
		var tl, tr model.Value
		l, ok := r.operand(c, &s.L, elem, &tl)
		if !ok {
			return false, false
		}
		rv, ok := r.operand(c, &s.R, elem, &tr)
		if !ok {
			return false, false
		}
		return compare(l, rv, s.Cmp)
	case rules.SimpleIn:
		var tl model.Value
		l, ok := r.operand(c, &s.L, elem, &tl)
		if !ok {
			return false, false
		}
		return in(l, s)
	case rules.SimpleRange:
		var tl model.Value
		l, ok := r.operand(c, &s.L, elem, &tl)
		if !ok {
			return false, false
		}
		switch l.Kind {
		case model.KindInt:
			return l.Int >= s.Lo && l.Int <= s.Hi, true
		case model.KindNull:
			return false, true
		}
		return false, false
	case rules.SimplePrefix, rules.SimpleSuffix, rules.SimpleContains, rules.SimpleMatches:
		var tl model.Value
		l, ok := r.operand(c, &s.L, elem, &tl)
		if !ok || l.Kind != model.KindString {
			return false, false
		}
		switch s.Op {
		case rules.SimplePrefix:
			return strings.HasPrefix(l.Str, s.Str), true
		case rules.SimpleSuffix:
			return strings.HasSuffix(l.Str, s.Str), true
		case rules.SimpleContains:
			return strings.Contains(l.Str, s.Str), true
		}
		return s.Re.MatchString(l.Str), true
	case rules.SimpleWithin:
		var tl model.Value
		l, ok := r.operand(c, &s.L, elem, &tl)
		if !ok || l.Kind != model.KindTime {
			return false, false
		}
		d := r.now.Sub(l.Time)
		if d < 0 {
			d = -d
		}
		return d <= s.Dur, true
	case rules.SimpleAnd, rules.SimpleOr:
		x, ok := r.simple(c, s.X, elem)
		if !ok {
			return false, false
		}
		if s.Op == rules.SimpleAnd && !x || s.Op == rules.SimpleOr && x {
			return x, true
		}
		return r.simple(c, s.Y, elem)
	case rules.SimpleNot:
		x, ok := r.simple(c, s.X, elem)
		return !x, ok
	case rules.SimpleAny, rules.SimpleAll, rules.SimpleNone, rules.SimpleCount:
		return r.quantify(c, s)
	}
	return false, false
}

// quantify runs any, all, none and count over a list with a predicate.
func (r *run) quantify(c *rules.Cond, s *rules.Simple) (bool, bool) {
	var tl model.Value
	l, ok := r.operand(c, &s.L, nil, &tl)
	if !ok || l.Kind != model.KindList {
		return false, false
	}
	list, _ := l.Any.([]any)
	n := 0
	for _, el := range list {
		hit, ok := r.simple(c, s.X, el)
		if !ok {
			return false, false
		}
		if hit {
			n++
			if s.Op == rules.SimpleAny {
				return true, true
			}
			if s.Op == rules.SimpleNone {
				return false, true
			}
		} else if s.Op == rules.SimpleAll {
			return false, true
		}
	}
	switch s.Op {
	case rules.SimpleAny:
		return false, true
	case rules.SimpleAll, rules.SimpleNone:
		return true, true
	}
	count := model.Value{Kind: model.KindInt, Int: int64(n)}
	return compare(&count, &s.R.Const, s.Cmp)
}

// operand returns an operand's value; ok is false when it cannot be had
// without the VM. A fact or let is returned in place; a computed value is
// written to tmp. Either way nothing is copied but what is computed.
func (r *run) operand(c *rules.Cond, o *rules.Operand, elem any, tmp *model.Value) (*model.Value, bool) {
	switch o.Kind {
	case rules.OperandConst:
		return &o.Const, true
	case rules.OperandRead:
		return r.read(&c.Reads[o.Index], tmp)
	case rules.OperandReadOr:
		v, known := r.read(&c.Reads[o.Index], tmp)
		if !known || v.Kind == model.KindNull {
			return &o.Const, true
		}
		return v, true
	case rules.OperandLen:
		v, known := r.read(&c.Reads[o.Index], tmp)
		if !known && o.Const.Kind == model.KindList {
			*tmp = model.Value{Kind: model.KindInt}
			return tmp, true
		}
		switch v.Kind {
		case model.KindList:
			list, _ := v.Any.([]any)
			*tmp = model.Value{Kind: model.KindInt, Int: int64(len(list))}
			return tmp, true
		case model.KindString:
			*tmp = model.Value{Kind: model.KindInt, Int: int64(len([]rune(v.Str)))}
			return tmp, true
		}
		return nil, false
	case rules.OperandDaysSince, rules.OperandDaysUntil:
		v, known := r.read(&c.Reads[o.Index], tmp)
		if !known || v.Kind != model.KindTime {
			return nil, false
		}
		d := r.now.Sub(v.Time)
		if o.Kind == rules.OperandDaysUntil {
			d = v.Time.Sub(r.now)
		}
		*tmp = model.Value{Kind: model.KindInt, Int: int64(d / (24 * time.Hour))}
		return tmp, true
	case rules.OperandElem:
		*tmp = model.ValueOf(elem)
		return tmp, true
	case rules.OperandField:
		m, ok := elem.(map[string]any)
		if !ok {
			return nil, false
		}
		*tmp = model.ValueOf(m[o.Field])
		return tmp, true
	}
	return nil, false
}

// read is value without copying facts and lets: it points at their slot,
// or computes into tmp.
func (r *state) read(ref *rules.Ref, tmp *model.Value) (*model.Value, bool) {
	switch {
	case ref.Kind == rules.RefFact && ref.Node != nil:
		v := &r.slots[ref.Index]
		return v, v.Kind != model.KindMissing
	case ref.Kind == rules.RefLet:
		l := &r.lets[ref.Index]
		return &l.val, l.known
	case ref.Kind == rules.RefScore:
		x := r.total
		if ref.Index >= 0 {
			x = r.groups[ref.Index]
		}
		*tmp = model.Value{Kind: model.KindNumber, Num: x}
		return tmp, true
	case ref.Kind == rules.RefLadder:
		*tmp = model.Value{Kind: model.KindString, Str: r.labels[ref.Index]}
		return tmp, true
	case (ref.Kind == rules.RefFramework && ref.Index < r.doneFws || ref.Kind == rules.RefOwn) && len(ref.Path) == 1:
		*tmp = r.fwMember(ref.Index, ref.Path[0])
		return tmp, true
	}
	v, known := r.value(ref)
	*tmp = v
	return tmp, known
}

// compare compares two values as expr does: ints as ints, an int and a
// float as floats, strings, times and durations by their order, bools and
// nil for equality only.
func compare(a, b *model.Value, op rules.CmpOp) (bool, bool) {
	var c int
	switch {
	case a.Kind == model.KindInt && b.Kind == model.KindInt,
		a.Kind == model.KindDuration && b.Kind == model.KindDuration:
		c = cmp3(a.Int < b.Int, a.Int > b.Int)
	case isNumber(a) && isNumber(b):
		x, _ := a.Number()
		y, _ := b.Number()
		if x != x || y != y { // NaN
			return op == rules.CmpNe, true
		}
		c = cmp3(x < y, x > y)
	case a.Kind == model.KindString && b.Kind == model.KindString:
		c = strings.Compare(a.Str, b.Str)
	case a.Kind == model.KindTime && b.Kind == model.KindTime:
		c = a.Time.Compare(b.Time)
	case a.Kind == model.KindBool && b.Kind == model.KindBool:
		if op != rules.CmpEq && op != rules.CmpNe {
			return false, false
		}
		return (a.Bool == b.Bool) == (op == rules.CmpEq), true
	case a.Kind == model.KindNull || b.Kind == model.KindNull:
		// nil equals only nil; ordering nil is an error expr reports.
		if op != rules.CmpEq && op != rules.CmpNe {
			return false, false
		}
		return (a.Kind == b.Kind) == (op == rules.CmpEq), true
	default:
		return false, false
	}
	switch op {
	case rules.CmpEq:
		return c == 0, true
	case rules.CmpNe:
		return c != 0, true
	case rules.CmpLt:
		return c < 0, true
	case rules.CmpLe:
		return c <= 0, true
	case rules.CmpGt:
		return c > 0, true
	case rules.CmpGe:
		return c >= 0, true
	}
	return false, false
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

func isNumber(v *model.Value) bool { return v.Kind == model.KindInt || v.Kind == model.KindNumber }

// in tests membership in a list of constants.
func in(v *model.Value, s *rules.Simple) (bool, bool) {
	switch {
	case v.Kind == model.KindString && s.Strs != nil:
		for _, x := range s.Strs {
			if x == v.Str {
				return true, true
			}
		}
		return false, true
	case isNumber(v) && s.Nums != nil:
		f, _ := v.Number()
		for _, x := range s.Nums {
			if x == f {
				return true, true
			}
		}
		return false, true
	case v.Kind == model.KindNull:
		return false, true
	case v.Kind == model.KindString || isNumber(v) || v.Kind == model.KindBool:
		// A value of another kind than the constants is never equal to one.
		return false, true
	}
	return false, false
}
