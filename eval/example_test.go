package eval_test

import (
	"context"
	"fmt"
	"time"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/rules"
)

func ExampleEvaluator_Evaluate() {
	pol, err := rules.LoadDir("../examples/acme")
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := eval.New(pol, eval.WithNow(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	res, err := ev.Evaluate(context.Background(), []byte(`{
	  "company":  {"industry": "saas", "employees": 250, "revenue": 8000000},
	  "contact":  {"role": "vp", "email": "ana@acme.io", "competitor": false},
	  "budget":   {"approved": true},
	  "timeline": {"days": 30},
	  "pains":    ["manual scoring"],
	  "activity": {"demo_requested": true, "pricing_views": 2}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stage:", res.Stage, "grade:", res.Label("grade"))
	fmt.Println("fit:", res.Group("fit").Points, "total:", res.Score.Total)
	fmt.Println("BANT met:", res.Framework("BANT").Met, "qualified:", res.Framework("BANT").Qualified)
	fmt.Println("missing:", res.Missing)
	// Output:
	// stage: sql grade: A
	// fit: 50 total: 80
	// BANT met: 4 qualified: true
	// missing: [activity.last_visit activity.unsubscribed budget.amount events]
}

func ExampleEvaluator_Evaluate_wrongType() {
	pol, err := rules.LoadDir("../examples/acme")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = eval.New(pol).Evaluate(context.Background(), map[string]any{
		"contact": map[string]any{"email": "ana@acme.io"},
		"company": map[string]any{"employees": "lots"},
	})
	fmt.Println(err)
	// Output: company.employees: expected int, found "lots"
}
