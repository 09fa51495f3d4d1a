package eval

import (
	"cmp"
	"strings"
	"time"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// The common leaves are bound once per Evaluator into closures that go
// straight to their operand: `company.employees > 100` becomes a read of
// one slot and one comparison, without dispatching on the operand's kind
// and reference kind for every lead. A bound leaf covers only the values
// it was bound for; for anything else it reports ok false and the general
// path (simpleLeaf, then the leaf's expr program) runs, so the semantics
// stay where they are defined.

// leafFn runs one leaf; ok is false when the general path must run.
type leafFn func(r *run) (t tri, ok bool)

// predFn runs an each rule's element predicate on one element; ok is
// false when the general path must run.
type predFn func(el any) (match, ok bool)

// locator finds an operand's value: in place (a fact's slot, a let's
// value) or computed into r.tmp. known is false for a fact or let the lead
// lacks; a nil value that is known leaves the leaf to the general path.
type locator func(r *run) (v *model.Value, known bool)

// valueTest tests a located value; ok is false for a value of a kind the
// test does not cover.
type valueTest func(r *run, v *model.Value) (result, ok bool)

// bindLeaves binds every leaf of the policy that has a simple description
// and reads its operand in a way bindings cover.
func bindLeaves(pol *rules.Policy) (leaves []leafFn, preds []predFn) {
	leaves = make([]leafFn, pol.Leaves+1)
	preds = make([]predFn, pol.Leaves+1)
	forEachCond(pol, func(c *rules.Cond) {
		var walk func(n *rules.Node)
		walk = func(n *rules.Node) {
			if n.Op != rules.OpLeaf {
				walk(n.X)
				if n.Y != nil {
					walk(n.Y)
				}
				return
			}
			if n.Leaf <= 0 || n.Leaf >= len(leaves) {
				return
			}
			if n.Simple != nil {
				leaves[n.Leaf] = bindLeaf(pol, c, n.Simple)
			}
			if c.Match != nil && n == c.Root {
				preds[n.Leaf] = bindPred(c.Match)
			}
		}
		walk(c.Root)
	})
	return leaves, preds
}

// forEachCond calls f with every condition of the policy.
func forEachCond(pol *rules.Policy, f func(c *rules.Cond)) {
	visit := func(c *rules.Cond) {
		if c != nil && c.Root != nil {
			f(c)
		}
	}
	for _, l := range pol.Lets {
		visit(l.Value)
	}
	for _, fw := range pol.Frameworks {
		for _, cr := range fw.Criteria {
			visit(cr.When)
		}
		visit(fw.Qualified)
	}
	for _, g := range pol.Groups {
		for _, rule := range g.Rules {
			visit(rule.When)
			visit(rule.PointsExpr)
			if rule.Each != nil {
				visit(rule.Each.Where)
			}
		}
	}
	for _, l := range pol.Ladders {
		for _, st := range l.Steps {
			visit(st.When)
		}
	}
}

// bindLeaf returns the closure of a leaf whose right operand, if any, is a
// constant, or nil.
func bindLeaf(pol *rules.Policy, c *rules.Cond, s *rules.Simple) leafFn {
	switch s.Op {
	case rules.SimpleCompare:
		if s.R.Kind != rules.OperandConst {
			return nil
		}
	case rules.SimpleTruth, rules.SimpleIn, rules.SimpleRange, rules.SimplePrefix,
		rules.SimpleSuffix, rules.SimpleContains, rules.SimpleMatches, rules.SimpleWithin:
	default:
		return nil
	}
	if s.L.Kind == rules.OperandRead && s.L.Index >= 0 && s.L.Index < len(c.Reads) {
		if f := bindDirect(&c.Reads[s.L.Index], s); f != nil {
			return f
		}
	}
	if f := bindComputed(pol, c, s); f != nil {
		return f
	}
	loc, unknownWhenMissing := bindOperand(pol, c, &s.L)
	test := bindTest(s)
	if loc == nil || test == nil {
		return nil
	}
	return func(r *run) (tri, bool) {
		v, known := loc(r)
		switch {
		case !known && unknownWhenMissing:
			return triUnknown, true
		case !known || v == nil:
			return triFalse, false
		}
		b, ok := test(r, v)
		switch {
		case !ok:
			return triFalse, false
		case b:
			return triTrue, true
		}
		return triFalse, true
	}
}

// bindOperand returns the locator of an operand. unknownWhenMissing is
// true when a missing value makes the leaf unknown (a fact or let); for
// other references a value that is not known yet leaves the leaf to the
// general path.
func bindOperand(pol *rules.Policy, c *rules.Cond, o *rules.Operand) (loc locator, unknownWhenMissing bool) {
	if o.Index < 0 || o.Index >= len(c.Reads) {
		return nil, false
	}
	ref := &c.Reads[o.Index]
	base, isFactOrLet := bindRef(pol, ref)
	if base == nil {
		return nil, false
	}
	switch o.Kind {
	case rules.OperandRead:
		return base, isFactOrLet
	case rules.OperandReadOr:
		def := &o.Const
		return func(r *run) (*model.Value, bool) {
			v, known := base(r)
			if !known || v.Kind == model.KindNull {
				return def, true
			}
			return v, true
		}, false
	case rules.OperandLen:
		if !isFactOrLet {
			return nil, false
		}
		orEmpty := o.Const.Kind == model.KindList
		return func(r *run) (*model.Value, bool) {
			v, known := base(r)
			n := 0
			switch {
			case !known && orEmpty:
			case !known:
				return nil, false
			case v.Kind == model.KindList:
				list, _ := v.Any.([]any)
				n = len(list)
			case v.Kind == model.KindString && isASCII(v.Str):
				n = len(v.Str)
			default:
				return nil, true
			}
			r.tmp = model.Value{Kind: model.KindInt, Int: int64(n)}
			return &r.tmp, true
		}, !orEmpty
	case rules.OperandDaysSince, rules.OperandDaysUntil:
		if !isFactOrLet {
			return nil, false
		}
		until := o.Kind == rules.OperandDaysUntil
		return func(r *run) (*model.Value, bool) {
			v, known := base(r)
			if !known {
				return nil, false
			}
			if v.Kind != model.KindTime {
				return nil, true
			}
			d := r.now.Sub(v.Time)
			if until {
				d = v.Time.Sub(r.now)
			}
			r.tmp = model.Value{Kind: model.KindInt, Int: int64(d / (24 * time.Hour))}
			return &r.tmp, true
		}, true
	}
	return nil, false
}

// bindRef returns the locator of a reference: typed facts, lets, scores,
// ladder labels and framework members.
func bindRef(pol *rules.Policy, ref *rules.Ref) (loc locator, isFactOrLet bool) {
	i := ref.Index
	switch ref.Kind {
	case rules.RefFact:
		if ref.Node == nil {
			return nil, false // an untyped lead: the general path
		}
		return func(r *run) (*model.Value, bool) {
			v := &r.slots[i]
			return v, v.Kind != model.KindMissing
		}, true
	case rules.RefLet:
		return func(r *run) (*model.Value, bool) {
			l := &r.lets[i]
			return &l.val, l.known
		}, true
	case rules.RefScore:
		if i < 0 {
			return func(r *run) (*model.Value, bool) {
				r.tmp = model.Value{Kind: model.KindNumber, Num: r.total}
				return &r.tmp, true
			}, false
		}
		return func(r *run) (*model.Value, bool) {
			r.tmp = model.Value{Kind: model.KindNumber, Num: r.groups[i]}
			return &r.tmp, true
		}, false
	case rules.RefLadder:
		return func(r *run) (*model.Value, bool) {
			r.tmp = model.Value{Kind: model.KindString, Str: r.labels[i]}
			return &r.tmp, true
		}, false
	case rules.RefFramework, rules.RefOwn:
		if len(ref.Path) != 1 || i < 0 || i >= len(pol.Frameworks) {
			return nil, false
		}
		member := fwMemberOf(pol.Frameworks[i], ref.Path[0])
		own := ref.Kind == rules.RefOwn
		return func(r *run) (*model.Value, bool) {
			if !own && i >= r.doneFws {
				return nil, false
			}
			r.tmp = r.fwValue(i, member)
			return &r.tmp, true
		}, false
	}
	return nil, false
}

// bindTest returns the test of a leaf against its constant.
func bindTest(s *rules.Simple) valueTest {
	switch s.Op {
	case rules.SimpleTruth:
		return func(_ *run, v *model.Value) (bool, bool) {
			return v.Bool, v.Kind == model.KindBool
		}
	case rules.SimpleCompare:
		k, op := &s.R.Const, s.Cmp
		if k.Kind == model.KindInt {
			// The most common leaf: an int fact against an int constant.
			n := k.Int
			return func(_ *run, v *model.Value) (bool, bool) {
				if v.Kind == model.KindInt {
					return cmpOrdered(v.Int, n, op), true
				}
				return compare(v, k, op)
			}
		}
		return func(_ *run, v *model.Value) (bool, bool) { return compare(v, k, op) }
	case rules.SimpleIn:
		return func(_ *run, v *model.Value) (bool, bool) { return in(v, s) }
	case rules.SimpleRange:
		lo, hi := s.Lo, s.Hi
		return func(_ *run, v *model.Value) (bool, bool) {
			switch v.Kind {
			case model.KindInt:
				return v.Int >= lo && v.Int <= hi, true
			case model.KindNull:
				return false, true
			}
			return false, false
		}
	case rules.SimplePrefix, rules.SimpleSuffix, rules.SimpleContains:
		str := s.Str
		test := strings.HasPrefix
		switch s.Op {
		case rules.SimpleSuffix:
			test = strings.HasSuffix
		case rules.SimpleContains:
			test = strings.Contains
		}
		return func(_ *run, v *model.Value) (bool, bool) {
			if v.Kind != model.KindString {
				return false, false
			}
			return test(v.Str, str), true
		}
	case rules.SimpleMatches:
		re := s.Re
		return func(_ *run, v *model.Value) (bool, bool) {
			if v.Kind != model.KindString {
				return false, false
			}
			return re.MatchString(v.Str), true
		}
	case rules.SimpleWithin:
		dur := s.Dur
		return func(r *run, v *model.Value) (bool, bool) {
			if v.Kind != model.KindTime {
				return false, false
			}
			d := r.now.Sub(v.Time)
			if d < 0 {
				d = -d
			}
			return d <= dur, true
		}
	}
	return nil
}

// fieldPred is an element predicate of the form `.field == "want"` (or
// `!=`), the usual filter of events by type.
type fieldPred struct {
	field, want string
	eq          bool
}

// fieldPredOf returns the field predicate s is, if it is one.
func fieldPredOf(s *rules.Simple) (fieldPred, bool) {
	if s == nil || s.Op != rules.SimpleCompare || s.L.Kind != rules.OperandField || s.R.Kind != rules.OperandConst ||
		s.R.Const.Kind != model.KindString || (s.Cmp != rules.CmpEq && s.Cmp != rules.CmpNe) {
		return fieldPred{}, false
	}
	return fieldPred{field: s.L.Field, want: s.R.Const.Str, eq: s.Cmp == rules.CmpEq}, true
}

// test applies the predicate to the field's value.
func (p fieldPred) test(got string) bool { return (got == p.want) == p.eq }

// bindPred binds an element predicate that is a field predicate.
func bindPred(s *rules.Simple) predFn {
	p, ok := fieldPredOf(s)
	if !ok {
		return nil
	}
	return func(el any) (bool, bool) {
		m, ok := el.(map[string]any)
		if !ok {
			return false, false
		}
		got, ok := m[p.field].(string)
		if !ok {
			return false, false
		}
		return p.test(got), true
	}
}

// eventFields returns, by schema node, the field that is all an evaluation
// without a trace needs of the elements of an event list ("" for lists it
// needs whole): the list's only readers are each rules with constant points
// whose predicate is a field predicate on that one field. A JSON lead's
// elements of such a list are then never built as maps (jsonfacts.go): the
// each rule reads each element's field and at time.
// typeMatches returns, by schema node, whether every each rule over an
// event list tests its elements' type with a field predicate and scores
// constant points (nil when no list qualifies).
func typeMatches(pol *rules.Policy) []bool {
	if pol.Schema == nil {
		return nil
	}
	match := make([]bool, len(pol.Schema.Nodes))
	bad := make([]bool, len(pol.Schema.Nodes))
	found := false
	for _, g := range pol.Groups {
		for _, rule := range g.Rules {
			each := rule.Each
			if each == nil || each.List.Node == nil || !each.List.Node.Type.Elem.Event {
				continue
			}
			i := each.List.Node.Index
			ok := false
			if c := each.Where; c != nil && c.Root != nil && c.Root.Op == rules.OpLeaf && rule.PointsExpr == nil {
				p, isField := fieldPredOf(c.Match)
				ok = isField && p.field == "type"
			}
			if !ok {
				bad[i] = true
			}
			match[i] = !bad[i]
			found = found || match[i]
		}
	}
	if !found {
		return nil
	}
	return match
}

func eventFields(pol *rules.Policy) []string {
	if pol.Schema == nil {
		return nil
	}
	field := make([]string, len(pol.Schema.Nodes))
	bad := make([]bool, len(pol.Schema.Nodes))
	wheres := map[*rules.Cond]*rules.FactNode{}
	for _, g := range pol.Groups {
		for _, rule := range g.Rules {
			each := rule.Each
			if each == nil || each.List.Node == nil || !each.List.Node.Type.Elem.Event {
				continue
			}
			n := each.List.Node
			wheres[each.Where] = n
			var p fieldPred
			ok := false
			if c := each.Where; c != nil && c.Root != nil && c.Root.Op == rules.OpLeaf {
				p, ok = fieldPredOf(c.Match)
			}
			switch {
			case !ok || rule.PointsExpr != nil:
				bad[n.Index] = true
			case field[n.Index] == "":
				field[n.Index] = p.field
			case field[n.Index] != p.field:
				bad[n.Index] = true
			}
		}
	}
	// Any other read of a list needs its elements.
	forEachCond(pol, func(c *rules.Cond) {
		for _, ref := range c.Reads {
			if ref.Node != nil && ref.Node != wheres[c] {
				bad[ref.Node.Index] = true
			}
		}
	})
	// A list under an object read whole needs nothing here: the object
	// is decoded as maps, list and all (jsonfacts.go).
	for i := range field {
		if bad[i] {
			field[i] = ""
		}
	}
	return field
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Framework members other than criteria, as fwMemberOf codes them; a
// criterion is its index, and memberNone a name that is neither.
const (
	memberMet = -1 - iota
	memberUnmet
	memberUnknown
	memberTotal
	memberQualified
	memberNone
)

// fwMemberOf codes a framework member's name once, for fwValue.
func fwMemberOf(f *rules.Framework, name string) int {
	switch name {
	case "met":
		return memberMet
	case "unmet":
		return memberUnmet
	case "unknown":
		return memberUnknown
	case "total":
		return memberTotal
	case "qualified":
		return memberQualified
	}
	for j, c := range f.Criteria {
		if c.Name == name {
			return j
		}
	}
	return memberNone
}

// fwValue is fwMember with the member coded by fwMemberOf.
func (r *state) fwValue(i, member int) model.Value {
	st := &r.fws[i]
	switch member {
	case memberMet:
		return model.Value{Kind: model.KindInt, Int: int64(st.met)}
	case memberUnmet:
		return model.Value{Kind: model.KindInt, Int: int64(st.unmet)}
	case memberUnknown:
		return model.Value{Kind: model.KindInt, Int: int64(st.unknown)}
	case memberTotal:
		return model.Value{Kind: model.KindInt, Int: int64(len(st.status))}
	case memberQualified:
		return model.Value{Kind: model.KindBool, Bool: st.qualified}
	case memberNone:
		return model.Value{}
	}
	return model.Value{Kind: model.KindString, Str: string(st.status[member])}
}

// bindDirect fuses the commonest leaves, a typed fact or a let tested
// against a constant, into one closure without further calls.
func bindDirect(ref *rules.Ref, s *rules.Simple) leafFn {
	i := ref.Index
	switch {
	case ref.Kind == rules.RefLet && s.Op == rules.SimpleTruth:
		return func(r *run) (tri, bool) {
			l := &r.lets[i]
			switch {
			case !l.known:
				return triUnknown, true
			case l.val.Kind == model.KindBool:
				return triOf(l.val.Bool), true
			}
			return triFalse, false
		}
	case ref.Kind != rules.RefFact || ref.Node == nil:
		return nil
	}
	switch s.Op {
	case rules.SimpleTruth:
		return func(r *run) (tri, bool) {
			v := &r.slots[i]
			switch v.Kind {
			case model.KindBool:
				return triOf(v.Bool), true
			case model.KindMissing:
				return triUnknown, true
			}
			return triFalse, false
		}
	case rules.SimpleCompare:
		k, op := s.R.Const, s.Cmp
		switch k.Kind {
		case model.KindInt:
			n, f := k.Int, float64(k.Int)
			return func(r *run) (tri, bool) {
				v := &r.slots[i]
				switch v.Kind {
				case model.KindInt:
					return triOf(cmpOrdered(v.Int, n, op)), true
				case model.KindNumber:
					if v.Num == v.Num {
						return triOf(cmpOrdered(v.Num, f, op)), true
					}
				case model.KindMissing:
					return triUnknown, true
				}
				return triFalse, false
			}
		case model.KindNumber:
			f := k.Num
			if f != f {
				return nil
			}
			return func(r *run) (tri, bool) {
				v := &r.slots[i]
				switch v.Kind {
				case model.KindNumber:
					if v.Num == v.Num {
						return triOf(cmpOrdered(v.Num, f, op)), true
					}
				case model.KindInt:
					return triOf(cmpOrdered(float64(v.Int), f, op)), true
				case model.KindMissing:
					return triUnknown, true
				}
				return triFalse, false
			}
		case model.KindString:
			str := k.Str
			return func(r *run) (tri, bool) {
				v := &r.slots[i]
				switch v.Kind {
				case model.KindString:
					return triOf(cmpOrdered(v.Str, str, op)), true
				case model.KindMissing:
					return triUnknown, true
				}
				return triFalse, false
			}
		}
	case rules.SimpleIn:
		if s.Strs == nil {
			return nil
		}
		strs := s.Strs
		return func(r *run) (tri, bool) {
			v := &r.slots[i]
			switch v.Kind {
			case model.KindString:
				for _, x := range strs {
					if x == v.Str {
						return triTrue, true
					}
				}
				return triFalse, true
			case model.KindMissing:
				return triUnknown, true
			}
			return triFalse, false
		}
	}
	return nil
}

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// bindComputed fuses the leaves that compare a computed number with a
// constant: scores, framework counts, len of a list fact and days_since or
// days_until of a time fact; and framework verdicts.
func bindComputed(pol *rules.Policy, c *rules.Cond, s *rules.Simple) leafFn {
	o := &s.L
	if o.Index < 0 || o.Index >= len(c.Reads) {
		return nil
	}
	ref := &c.Reads[o.Index]
	i := ref.Index
	if s.Op == rules.SimpleTruth && o.Kind == rules.OperandRead &&
		(ref.Kind == rules.RefFramework || ref.Kind == rules.RefOwn) && len(ref.Path) == 1 && ref.Path[0] == "qualified" {
		own := ref.Kind == rules.RefOwn
		return func(r *run) (tri, bool) {
			if !own && i >= r.doneFws {
				return triFalse, false
			}
			return triOf(r.fws[i].qualified), true
		}
	}
	if s.Op != rules.SimpleCompare || s.R.Kind != rules.OperandConst {
		return nil
	}
	k, op := s.R.Const, s.Cmp
	var f float64
	switch k.Kind {
	case model.KindInt:
		f = float64(k.Int)
	case model.KindNumber:
		f = k.Num
	default:
		return nil
	}
	if f != f {
		return nil
	}
	// cmpNum compares an int with the constant as compare does: as ints
	// when the constant is an int, else as floats.
	cmpNum := func(n int64) tri {
		if k.Kind == model.KindInt {
			return triOf(cmpOrdered(n, k.Int, op))
		}
		return triOf(cmpOrdered(float64(n), f, op))
	}
	switch {
	case o.Kind == rules.OperandRead && ref.Kind == rules.RefScore:
		return func(r *run) (tri, bool) {
			x := r.total
			if i >= 0 {
				x = r.groups[i]
			}
			if x != x {
				return triFalse, false
			}
			return triOf(cmpOrdered(x, f, op)), true
		}
	case o.Kind == rules.OperandRead && (ref.Kind == rules.RefFramework || ref.Kind == rules.RefOwn) && len(ref.Path) == 1:
		if i < 0 || i >= len(pol.Frameworks) {
			return nil
		}
		member := fwMemberOf(pol.Frameworks[i], ref.Path[0])
		if member != memberMet && member != memberUnmet && member != memberUnknown && member != memberTotal {
			return nil
		}
		own := ref.Kind == rules.RefOwn
		return func(r *run) (tri, bool) {
			if !own && i >= r.doneFws {
				return triFalse, false
			}
			st := &r.fws[i]
			n := st.met
			switch member {
			case memberUnmet:
				n = st.unmet
			case memberUnknown:
				n = st.unknown
			case memberTotal:
				n = len(st.status)
			}
			return cmpNum(int64(n)), true
		}
	case o.Kind == rules.OperandLen && ref.Kind == rules.RefFact && ref.Node != nil:
		orEmpty := o.Const.Kind == model.KindList
		return func(r *run) (tri, bool) {
			v := &r.slots[i]
			switch v.Kind {
			case model.KindList:
				list, _ := v.Any.([]any)
				return cmpNum(int64(len(list))), true
			case model.KindMissing:
				if orEmpty {
					return cmpNum(0), true
				}
				return triUnknown, true
			}
			return triFalse, false
		}
	case (o.Kind == rules.OperandDaysSince || o.Kind == rules.OperandDaysUntil) && ref.Kind == rules.RefFact && ref.Node != nil:
		until := o.Kind == rules.OperandDaysUntil
		return func(r *run) (tri, bool) {
			v := &r.slots[i]
			switch v.Kind {
			case model.KindTime:
				d := r.now.Sub(v.Time)
				if until {
					d = v.Time.Sub(r.now)
				}
				return cmpNum(int64(d / (24 * time.Hour))), true
			case model.KindMissing:
				return triUnknown, true
			}
			return triFalse, false
		}
	}
	return nil
}

// cmpOrdered applies a comparison operator to two ints, floats or strings.
func cmpOrdered[T cmp.Ordered](a, b T, op rules.CmpOp) bool {
	switch op {
	case rules.CmpEq:
		return a == b
	case rules.CmpNe:
		return a != b
	case rules.CmpLt:
		return a < b
	case rules.CmpLe:
		return a <= b
	case rules.CmpGt:
		return a > b
	case rules.CmpGe:
		return a >= b
	}
	return false
}

// bindTree binds a condition whose leaves are all bound into one closure:
// its and, or and not combine the leaves as truth does (Kleene's logic,
// the second side only when the first does not decide). ok is false when
// a leaf leaves its value to the general path: truth then evaluates the
// whole condition, which a leaf's being pure makes safe. nil when some
// leaf is not bound.
func bindTree(n *rules.Node, leaves []leafFn) leafFn {
	switch n.Op {
	case rules.OpLeaf:
		if n.Leaf > 0 && n.Leaf < len(leaves) {
			return leaves[n.Leaf]
		}
	case rules.OpNot:
		x := bindTree(n.X, leaves)
		if x == nil {
			return nil
		}
		return func(r *run) (tri, bool) {
			t, ok := x(r)
			switch t {
			case triTrue:
				t = triFalse
			case triFalse:
				t = triTrue
			}
			return t, ok
		}
	case rules.OpAnd, rules.OpOr:
		x, y := bindTree(n.X, leaves), bindTree(n.Y, leaves)
		if x == nil || y == nil {
			return nil
		}
		// decides is the value of one side that decides the whole, other
		// the value of the whole when both sides are known and neither does.
		decides, other := triFalse, triTrue
		if n.Op == rules.OpOr {
			decides, other = triTrue, triFalse
		}
		return func(r *run) (tri, bool) {
			a, ok := x(r)
			if !ok || a == decides {
				return a, ok
			}
			b, ok := y(r)
			if !ok || b == decides {
				return b, ok
			}
			if a == triUnknown || b == triUnknown {
				return triUnknown, true
			}
			return other, true
		}
	}
	return nil
}
