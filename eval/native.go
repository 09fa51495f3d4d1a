package eval

import (
	"strings"
	"time"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// simple runs a condition described by rules.Simple directly on the lead's
// values. covered is false when a value is of a kind the description does
// not handle (possible in policies without a facts block): the caller then
// runs the leaf's expr program, which defines the semantics.
func (r *run) simple(c *rules.Cond, s *rules.Simple, elem any) (result, covered bool) {
	switch s.Op {
	case rules.SimpleConst:
		return s.Bool, true
	case rules.SimpleTruth:
		v, ok := r.operand(c, &s.L, elem)
		if !ok || v.Kind != model.KindBool {
			return false, false
		}
		return v.Bool, true
	case rules.SimpleCompare:
		l, ok := r.operand(c, &s.L, elem)
		if !ok {
			return false, false
		}
		rv, ok := r.operand(c, &s.R, elem)
		if !ok {
			return false, false
		}
		return compare(l, rv, s.Cmp)
	case rules.SimpleIn:
		l, ok := r.operand(c, &s.L, elem)
		if !ok {
			return false, false
		}
		return in(l, s)
	case rules.SimpleRange:
		l, ok := r.operand(c, &s.L, elem)
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
		l, ok := r.operand(c, &s.L, elem)
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
		l, ok := r.operand(c, &s.L, elem)
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
	l, ok := r.operand(c, &s.L, nil)
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
	return compare(model.Value{Kind: model.KindInt, Int: int64(n)}, s.R.Const, s.Cmp)
}

// operand returns an operand's value; ok is false when it cannot be had
// without the VM.
func (r *run) operand(c *rules.Cond, o *rules.Operand, elem any) (model.Value, bool) {
	switch o.Kind {
	case rules.OperandConst:
		return o.Const, true
	case rules.OperandRead:
		v, known := r.value(&c.Reads[o.Index])
		return v, known
	case rules.OperandReadOr:
		v, known := r.value(&c.Reads[o.Index])
		if !known || v.Kind == model.KindNull {
			return o.Const, true
		}
		return v, true
	case rules.OperandLen:
		v, known := r.value(&c.Reads[o.Index])
		if !known && o.Const.Kind == model.KindList {
			return model.Value{Kind: model.KindInt}, true
		}
		switch v.Kind {
		case model.KindList:
			list, _ := v.Any.([]any)
			return model.Value{Kind: model.KindInt, Int: int64(len(list))}, true
		case model.KindString:
			return model.Value{Kind: model.KindInt, Int: int64(len([]rune(v.Str)))}, true
		}
		return model.Value{}, false
	case rules.OperandDaysSince, rules.OperandDaysUntil:
		v, known := r.value(&c.Reads[o.Index])
		if !known || v.Kind != model.KindTime {
			return model.Value{}, false
		}
		d := r.now.Sub(v.Time)
		if o.Kind == rules.OperandDaysUntil {
			d = v.Time.Sub(r.now)
		}
		return model.Value{Kind: model.KindInt, Int: int64(d / (24 * time.Hour))}, true
	case rules.OperandElem:
		return model.ValueOf(elem), true
	case rules.OperandField:
		m, ok := elem.(map[string]any)
		if !ok {
			return model.Value{}, false
		}
		return model.ValueOf(m[o.Field]), true
	}
	return model.Value{}, false
}

// compare compares two values as expr does: ints as ints, an int and a
// float as floats, strings, times and durations by their order, bools and
// nil for equality only.
func compare(a, b model.Value, op rules.CmpOp) (bool, bool) {
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

func isNumber(v model.Value) bool { return v.Kind == model.KindInt || v.Kind == model.KindNumber }

// in tests membership in a list of constants.
func in(v model.Value, s *rules.Simple) (bool, bool) {
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
