package bench

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

// The acme policy for cel-go, one program per let, criterion, rule
// condition, qualified when and ladder step. The lead is the variable
// `lead` (a map); presence is tested with has() at every level, plus a
// null check, since JSON null is a missing fact too: P(contact.role)
// below expands to
//
//	has(lead.contact) && lead.contact != null &&
//	has(lead.contact.role) && lead.contact.role != null
//
// Lets and rule conditions give true, false or null (unknown; the known
// branch is wrapped in dyn() for the type checker), criteria
// "met", "unmet" or "unknown". CEL has no power and no sum, so the webinar
// rule uses two small functions registered for it, pow and sum; it sorts
// with the lists extension's sortBy and binds with cel.bind.

const celRequired = `P(contact.email)`

var celLets = []struct{ name, code string }{
	{"decision_maker", `P(contact.role) ? dyn(lead.contact.role in ["owner", "ceo", "cto", "vp", "director"]) : null`},
	{"free_mail", `P(contact.email) ? dyn(lead.contact.email.endsWith("@gmail.com") || lead.contact.email.endsWith("@yahoo.com")) : null`},
}

var celCriteria = []struct{ name, code string }{
	{"budget", `
		cel.bind(approved, P(budget.approved) ? lead.budget.approved : null,
		cel.bind(amount, P(budget.amount) ? lead.budget.amount : null,
			approved == true || (amount != null && amount >= 10000.0) ? "met" :
			approved == false && amount != null ? "unmet" : "unknown"))`},
	{"authority", `decision_maker == null ? "unknown" : decision_maker ? "met" : "unmet"`},
	{"need", `!P(pains) ? "unknown" : size(lead.pains) > 0 ? "met" : "unmet"`},
	{"timeline", `!P(timeline.days) ? "unknown" : lead.timeline.days > 0.0 && lead.timeline.days <= 90.0 ? "met" : "unmet"`},
}

const celQualified = `BANT.met >= 3`

type celRule struct {
	points float64
	code   string
	each   bool
}

var celGroups = []struct {
	name     string
	min, max float64
	rules    []celRule
}{
	{"fit", math.Inf(-1), 60, []celRule{
		{15, `P(company.industry) ? dyn(lead.company.industry in ["saas", "fintech", "healthtech"]) : null`, false},
		{10, `P(company.employees) ? dyn(lead.company.employees > 100.0) : null`, false},
		{10, `P(company.revenue) ? dyn(lead.company.revenue > 5000000.0) : null`, false},
		{15, `decision_maker`, false},
		{-10, `free_mail`, false},
	}},
	{"engagement", 0, 100, []celRule{
		{20, `P(activity.demo_requested) ? lead.activity.demo_requested : null`, false},
		{10, `P(activity.pricing_views) ? dyn(lead.activity.pricing_views >= 1.0) : null`, false},
		// days_since: whole hours, then whole days, both truncated toward zero.
		{5, `P(activity.last_visit) ? dyn((now - timestamp(lead.activity.last_visit)).getHours() / 24 <= 60) : null`, false},
		{-20, `P(activity.unsubscribed) ? lead.activity.unsubscribed : null`, false},
		{5, `
			!P(events) ? null :
			cel.bind(w, lead.events.filter(e, e.type == "webinar").sortBy(e, timestamp(e.at)).reverse(),
				dyn(sum(w.slice(0, math.least(3, size(w))).map(e,
					5.0 * pow(0.5, math.greatest(0.0, double((now - timestamp(e.at)).getSeconds())) / 2592000.0)))))`, true},
	}},
}

var celLadders = []struct {
	name  string
	steps []struct{ label, code string }
}{
	{"grade", []struct{ label, code string }{
		{"A", `score.fit >= 45.0`},
		{"B", `score.fit >= 30.0`},
		{"C", `score.fit >= 15.0`},
		{"D", ``},
	}},
	{"stage", []struct{ label, code string }{
		{"disqualified", `P(contact.competitor) ? lead.contact.competitor : null`},
		{"sql", `score.total >= 80.0 && BANT.qualified`},
		{"mql", `score.total >= 50.0`},
		{"unqualified", ``},
	}},
}

// celPresent expands P(a.b.c) into has() and null checks on lead.a,
// lead.a.b and lead.a.b.c. It is only a notation of this file, to keep
// the expressions readable: the programs see the expansion.
func celPresent(code string) string {
	var b strings.Builder
	for {
		i := strings.Index(code, "P(")
		if i < 0 || (i > 0 && isIdent(code[i-1])) {
			if i < 0 {
				b.WriteString(code)
				return b.String()
			}
			b.WriteString(code[:i+2])
			code = code[i+2:]
			continue
		}
		j := strings.IndexByte(code[i:], ')') + i
		b.WriteString(code[:i])
		parts := strings.Split(code[i+2:j], ".")
		b.WriteString("(")
		for k := range parts {
			sel := "lead." + strings.Join(parts[:k+1], ".")
			if k > 0 {
				b.WriteString(" && ")
			}
			fmt.Fprintf(&b, "has(%s) && %s != null", sel, sel)
		}
		b.WriteString(")")
		code = code[j+1:]
	}
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// CEL is the acme policy as cel-go programs, evaluated against one map
// activation that holds the lead, now, and every let, framework, score and
// label as it is computed.
type CEL struct {
	required cel.Program
	lets     []cel.Program
	criteria []cel.Program
	quali    cel.Program
	groups   [][]cel.Program
	ladders  [][]cel.Program

	vars  map[string]any
	act   interpreter.Activation
	bant  map[string]any
	score map[string]any
}

// NewCEL compiles every expression once.
func NewCEL(now time.Time) (*CEL, error) {
	env, err := cel.NewEnv(
		cel.Variable("lead", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("now", cel.TimestampType),
		cel.Variable("decision_maker", cel.DynType),
		cel.Variable("free_mail", cel.DynType),
		cel.Variable("BANT", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("score", cel.MapType(cel.StringType, cel.DoubleType)),
		cel.Variable("grade", cel.StringType),
		ext.Lists(),
		ext.Math(),
		ext.Bindings(),
		cel.Function("pow", cel.Overload("pow_double_double", []*cel.Type{cel.DoubleType, cel.DoubleType}, cel.DoubleType,
			cel.BinaryBinding(func(x, y ref.Val) ref.Val {
				return types.Double(math.Pow(float64(x.(types.Double)), float64(y.(types.Double))))
			}))),
		cel.Function("sum", cel.Overload("sum_list_double", []*cel.Type{cel.ListType(cel.DoubleType)}, cel.DoubleType,
			cel.UnaryBinding(func(l ref.Val) ref.Val {
				list := l.(traits.Lister)
				var s float64
				for it := list.Iterator(); it.HasNext() == types.True; {
					s += float64(it.Next().(types.Double))
				}
				return types.Double(s)
			}))),
	)
	if err != nil {
		return nil, err
	}
	var errs []error
	compile := func(code string) cel.Program {
		if code == "" {
			return nil
		}
		ast, iss := env.Compile(celPresent(code))
		if iss.Err() != nil {
			errs = append(errs, fmt.Errorf("cel %q: %w", code, iss.Err()))
			return nil
		}
		p, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			errs = append(errs, fmt.Errorf("cel %q: %w", code, err))
		}
		return p
	}
	c := &CEL{bant: map[string]any{}, score: map[string]any{}}
	c.required = compile(celRequired)
	for _, l := range celLets {
		c.lets = append(c.lets, compile(l.code))
	}
	for _, cr := range celCriteria {
		c.criteria = append(c.criteria, compile(cr.code))
	}
	c.quali = compile(celQualified)
	for _, g := range celGroups {
		var ps []cel.Program
		for _, r := range g.rules {
			ps = append(ps, compile(r.code))
		}
		c.groups = append(c.groups, ps)
	}
	for _, l := range celLadders {
		var ps []cel.Program
		for _, s := range l.steps {
			ps = append(ps, compile(s.code))
		}
		c.ladders = append(c.ladders, ps)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.vars = map[string]any{"now": types.Timestamp{Time: now}, "BANT": c.bant, "score": c.score}
	c.act, err = interpreter.NewActivation(c.vars)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Name is "cel-go".
func (c *CEL) Name() string { return "cel-go" }

func (c *CEL) eval(p cel.Program) (ref.Val, error) {
	v, _, err := p.Eval(c.act)
	return v, err
}

// Evaluate runs the programs in the policy's order.
func (c *CEL) Evaluate(lead map[string]any, out *Outcome) error {
	vars := c.vars
	vars["lead"] = lead
	delete(vars, "grade")
	if ok, err := c.eval(c.required); err != nil {
		return err
	} else if ok != types.True {
		return errors.New("contact.email: required fact is missing")
	}
	for i, p := range c.lets {
		v, err := c.eval(p)
		if err != nil {
			return err
		}
		vars[celLets[i].name] = v
	}

	var o Outcome
	bant := c.bant
	clear(bant)
	for i, p := range c.criteria {
		v, err := c.eval(p)
		if err != nil {
			return err
		}
		switch v {
		case types.String("met"):
			o.Met++
		case types.String("unmet"):
			o.Unmet++
		default:
			o.Unknown++
		}
		bant[celCriteria[i].name] = v
	}
	bant["met"], bant["unmet"], bant["unknown"], bant["total"] = o.Met, o.Unmet, o.Unknown, len(c.criteria)
	q, err := c.eval(c.quali)
	if err != nil {
		return err
	}
	o.Qualified = q == types.True
	bant["qualified"] = o.Qualified

	score := c.score
	clear(score)
	var total float64
	for gi, g := range celGroups {
		var raw float64
		for ri, r := range g.rules {
			v, err := c.eval(c.groups[gi][ri])
			if err != nil {
				return err
			}
			switch x := v.(type) {
			case types.Bool: // null (unknown) and false score nothing
				if x {
					raw += r.points
				}
			case types.Double:
				if r.each {
					raw += float64(x)
				}
			}
		}
		points := max(min(raw, g.max), g.min)
		score[g.name] = points
		total += points
		switch g.name {
		case "fit":
			o.Fit = points
		case "engagement":
			o.Engagement = points
		}
	}
	score["total"] = total
	o.Total = total

	for li, l := range celLadders {
		label := ""
		for si, s := range l.steps {
			p := c.ladders[li][si]
			if p == nil {
				label = s.label
				break
			}
			v, err := c.eval(p)
			if err != nil {
				return err
			}
			if v == types.True { // null (unknown) falls through
				label = s.label
				break
			}
		}
		vars[l.name] = label
		switch l.name {
		case "grade":
			o.Grade = label
		case "stage":
			o.Stage = label
		}
	}
	*out = o
	return nil
}
