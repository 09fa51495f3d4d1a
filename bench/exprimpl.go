package bench

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// The acme policy for expr, one expression per let, criterion, rule
// condition, qualified when and ladder step, as a developer would write it
// by hand with expr. Missing facts are read through ?. and checked for nil
// explicitly: lets and rule conditions give true, false or nil (unknown),
// criteria "met", "unmet" or "unknown". The each rule's expression does the
// filter, newest-first limit and halflife decay itself and gives the
// points, or nil when events is missing.

// exprRequired is the required fact: a lead without it is an error.
const exprRequired = `contact?.email != nil`

var exprLets = []struct{ name, code string }{
	{"decision_maker", `contact?.role == nil ? nil : contact.role in ["owner", "ceo", "cto", "vp", "director"]`},
	{"free_mail", `contact?.email == nil ? nil : contact.email endsWith "@gmail.com" || contact.email endsWith "@yahoo.com"`},
}

var exprCriteria = []struct{ name, code string }{
	{"budget", `
		let approved = budget?.approved;
		let amount = budget?.amount;
		approved == true || (amount != nil && amount >= 10000) ? "met" :
		approved == false && amount != nil ? "unmet" : "unknown"`},
	{"authority", `decision_maker == nil ? "unknown" : decision_maker ? "met" : "unmet"`},
	{"need", `pains == nil ? "unknown" : len(pains) > 0 ? "met" : "unmet"`},
	{"timeline", `timeline?.days == nil ? "unknown" : timeline.days > 0 && timeline.days <= 90 ? "met" : "unmet"`},
}

// exprQualified runs against the framework's own counts, as in the policy.
const exprQualified = `met >= 3`

type exprRule struct {
	label  string
	points float64
	code   string
	// each rules give their points themselves.
	each bool
}

var exprGroups = []struct {
	name     string
	min, max float64
	rules    []exprRule
}{
	{"fit", math.Inf(-1), 60, []exprRule{
		{"Target industry", 15, `company?.industry == nil ? nil : company.industry in ["saas", "fintech", "healthtech"]`, false},
		{"More than 100 staff", 10, `company?.employees == nil ? nil : company.employees > 100`, false},
		{"Revenue over 5M", 10, `company?.revenue == nil ? nil : company.revenue > 5000000`, false},
		{"Decision maker", 15, `decision_maker`, false},
		{"Free-mail address", -10, `free_mail`, false},
	}},
	{"engagement", 0, 100, []exprRule{
		{"Requested a demo", 20, `activity?.demo_requested`, false},
		{"Viewed pricing", 10, `activity?.pricing_views == nil ? nil : activity.pricing_views >= 1`, false},
		{"Visited recently", 5, `activity?.last_visit == nil ? nil : days_since(date(activity.last_visit), now) <= 60`, false},
		{"Unsubscribed", -20, `activity?.unsubscribed`, false},
		{"Webinar attended", 5, `
			events == nil ? nil :
			sum(
				take(sortBy(filter(events, .type == "webinar"), date(.at), "desc"), 3),
				5 * 0.5 ** (max(0, (now - date(.at)).Hours()) / (30 * 24))
			)`, true},
	}},
}

var exprLadders = []struct {
	name  string
	steps []struct{ label, code string } // code "" is the fallback
}{
	{"grade", []struct{ label, code string }{
		{"A", `score.fit >= 45`},
		{"B", `score.fit >= 30`},
		{"C", `score.fit >= 15`},
		{"D", ``},
	}},
	{"stage", []struct{ label, code string }{
		{"disqualified", `contact?.competitor`},
		{"sql", `score.total >= 80 && BANT.qualified`},
		{"mql", `score.total >= 50`},
		{"unqualified", ``},
	}},
}

// exprDaysSince is days_since: whole days from t to now, truncated.
var exprDaysSince = expr.Function("days_since", func(args ...any) (any, error) {
	t, ok1 := args[0].(time.Time)
	now, ok2 := args[1].(time.Time)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("days_since: want two times, got %T and %T", args[0], args[1])
	}
	return int(now.Sub(t) / (24 * time.Hour)), nil
}, new(func(time.Time, time.Time) int))

type exprProgram = *vm.Program

// Expr is the acme policy as expr programs, run against a map environment
// holding the lead's top-level facts, now, and every let, framework,
// score and label as it is computed. One vm.VM is reused for every run.
type Expr struct {
	now      time.Time
	required exprProgram
	lets     []exprProgram
	criteria []exprProgram
	quali    exprProgram
	groups   [][]exprProgram
	ladders  [][]exprProgram

	vm    vm.VM
	env   map[string]any
	bant  map[string]any
	score map[string]any
}

// NewExpr compiles every expression once.
func NewExpr(now time.Time) (*Expr, error) {
	e := &Expr{now: now, env: map[string]any{}, bant: map[string]any{}, score: map[string]any{}}
	var errs []error
	compile := func(code string) exprProgram {
		if code == "" {
			return nil
		}
		// now is the evaluation time from the environment, not expr's clock.
		p, err := expr.Compile(code, exprDaysSince, expr.DisableBuiltin("now"))
		if err != nil {
			errs = append(errs, fmt.Errorf("expr %q: %w", code, err))
		}
		return p
	}
	e.required = compile(exprRequired)
	for _, l := range exprLets {
		e.lets = append(e.lets, compile(l.code))
	}
	for _, c := range exprCriteria {
		e.criteria = append(e.criteria, compile(c.code))
	}
	e.quali = compile(exprQualified)
	for _, g := range exprGroups {
		var ps []exprProgram
		for _, r := range g.rules {
			ps = append(ps, compile(r.code))
		}
		e.groups = append(e.groups, ps)
	}
	for _, l := range exprLadders {
		var ps []exprProgram
		for _, s := range l.steps {
			ps = append(ps, compile(s.code))
		}
		e.ladders = append(e.ladders, ps)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return e, nil
}

// Name is "expr-per-rule".
func (e *Expr) Name() string { return "expr-per-rule" }

func (e *Expr) run(p exprProgram, env any) (any, error) { return e.vm.Run(p, env) }

// Evaluate runs the programs in the policy's order.
func (e *Expr) Evaluate(lead map[string]any, out *Outcome) error {
	env := e.env
	clear(env)
	for k, v := range lead {
		env[k] = v
	}
	env["now"] = e.now
	if ok, err := e.run(e.required, env); err != nil {
		return err
	} else if ok != true {
		return errors.New("contact.email: required fact is missing")
	}
	for i, p := range e.lets {
		v, err := e.run(p, env)
		if err != nil {
			return err
		}
		env[exprLets[i].name] = v
	}

	var o Outcome
	bant := e.bant
	clear(bant)
	for i, p := range e.criteria {
		v, err := e.run(p, env)
		if err != nil {
			return err
		}
		switch v {
		case "met":
			o.Met++
		case "unmet":
			o.Unmet++
		default:
			o.Unknown++
		}
		bant[exprCriteria[i].name] = v
	}
	bant["met"], bant["unmet"], bant["unknown"], bant["total"] = o.Met, o.Unmet, o.Unknown, len(e.criteria)
	q, err := e.run(e.quali, bant)
	if err != nil {
		return err
	}
	o.Qualified = q == true
	bant["qualified"] = o.Qualified
	env["BANT"] = bant

	score := e.score
	clear(score)
	env["score"] = score
	var total float64
	for gi, g := range exprGroups {
		var raw float64
		for ri, r := range g.rules {
			v, err := e.run(e.groups[gi][ri], env)
			if err != nil {
				return err
			}
			switch x := v.(type) {
			case bool: // nil (unknown) and false score nothing
				if x {
					raw += r.points
				}
			case float64:
				if r.each {
					raw += x
				}
			case int:
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

	for li, l := range exprLadders {
		label := ""
		for si, s := range l.steps {
			p := e.ladders[li][si]
			if p == nil {
				label = s.label
				break
			}
			v, err := e.run(p, env)
			if err != nil {
				return err
			}
			if v == true { // nil (unknown) falls through
				label = s.label
				break
			}
		}
		env[l.name] = label
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
