// Command embed shows how a Go service embeds qualify to score leads as they
// arrive (a CRM sync, a form webhook, a queue consumer).
//
// It compiles the Acme policy in examples/acme once at start-up, builds one
// Evaluator (safe for concurrent use, so one per process is enough), and then
// evaluates leads in the three shapes a service usually has them in:
//
//   - a Go struct with json tags, such as a CRM record the service already models;
//   - a map[string]any, such as a payload decoded by another library;
//   - raw JSON bytes, such as a webhook body.
//
// For each lead it prints the stage, the labels of every ladder, the total and
// per-group scores and the BANT checklist; for the first it prints the full
// explanation trace. Last, it shows that a lead with a value of the wrong type
// is an error for that lead, which names the fact, the type expected and the
// value found.
//
// Run it from the repository root:
//
//	go run ./examples/embed
//
// The evaluation time is fixed (eval.WithNow), so the output is the same on
// every run; a real service would leave it out and evaluate at time.Now().
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// Lead is how a service might model a lead from its CRM. The json tags are
// the fact paths of the policy (company.industry, contact.email, ...).
// Optional fields use omitempty/omitzero: a field left out is a missing fact,
// which the policy treats as unknown, while a zero value that is sent (0,
// false, "") is a real value that rules compare.
type Lead struct {
	Company  Company  `json:"company"`
	Contact  Contact  `json:"contact"`
	Budget   *Budget  `json:"budget,omitempty"`
	Timeline *Days    `json:"timeline,omitempty"`
	Pains    []string `json:"pains,omitempty"`
	Activity Activity `json:"activity"`
	Events   []Event  `json:"events,omitempty"`
}

// Company is the account the lead belongs to.
type Company struct {
	Industry  string  `json:"industry,omitempty"`
	Employees int     `json:"employees,omitempty"`
	Revenue   float64 `json:"revenue,omitempty"`
	Country   string  `json:"country,omitempty"`
}

// Contact is the person who filled the form.
type Contact struct {
	Role       string `json:"role,omitempty"`
	Email      string `json:"email"` // required by the policy
	Competitor bool   `json:"competitor"`
}

// Budget is what discovery learned about money.
type Budget struct {
	Amount   float64 `json:"amount,omitempty"`
	Approved bool    `json:"approved"`
}

// Days is the buying timeline.
type Days struct {
	Days int `json:"days"`
}

// Activity is the marketing-automation summary of the lead.
type Activity struct {
	PageViews     int       `json:"page_views"`
	PricingViews  int       `json:"pricing_views"`
	DemoRequested bool      `json:"demo_requested"`
	Unsubscribed  bool      `json:"unsubscribed"`
	LastVisit     time.Time `json:"last_visit,omitzero"`
}

// Event is one tracked event; the policy reads type and at, and url for some rules.
type Event struct {
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	URL  string    `json:"url,omitempty"`
}

func main() {
	// Compile once at start-up. The error lists every problem of every file,
	// each with file:line:col, so it can be printed as is.
	pol, err := rules.LoadDir("examples/acme")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot load the policy:")
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("policy %s %s (%s)\n", pol.Name, pol.Version, pol.Hash[:19])

	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ev := eval.New(pol, eval.WithNow(now))
	ctx := context.Background()

	// 1. A Go struct with json tags.
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	fromStruct := Lead{
		Company:  Company{Industry: "fintech", Employees: 420, Revenue: 12_000_000, Country: "US"},
		Contact:  Contact{Role: "director", Email: "li.wei@ledgerbank.com"},
		Budget:   &Budget{Amount: 25_000},
		Timeline: &Days{Days: 60},
		Pains:    []string{"slow lead routing", "no scoring audit trail"},
		Activity: Activity{PageViews: 9, PricingViews: 3, DemoRequested: true, LastVisit: day("2026-10-28")},
		Events: []Event{
			{Type: "webinar", At: day("2026-10-15"), URL: "/webinars/scoring-101"},
			{Type: "page", At: day("2026-10-28"), URL: "/pricing"},
		},
	}

	// 2. A map[string]any, as another library might decode it. Budget and
	// timeline are absent, so those BANT criteria are unknown, not unmet.
	fromMap := map[string]any{
		"company":  map[string]any{"industry": "retail", "employees": 80, "country": "FR"},
		"contact":  map[string]any{"role": "marketing manager", "email": "claire@maison-bleu.fr", "competitor": false},
		"pains":    []any{"too many junk leads"},
		"activity": map[string]any{"pricing_views": 1, "demo_requested": false, "unsubscribed": false, "last_visit": "2026-10-02T08:00:00Z"},
	}

	// 3. Raw JSON bytes, as a webhook delivers them.
	fromJSON := []byte(`{
		"company":  {"industry": "saas", "employees": 60, "country": "DE"},
		"contact":  {"role": "cto", "email": "jonas@rivet.dev", "competitor": true},
		"activity": {"demo_requested": true, "pricing_views": 4}
	}`)

	leads := []struct {
		name  string
		facts any
	}{
		{"struct (Ledger Bank director)", fromStruct},
		{"map (Maison Bleu marketing manager)", fromMap},
		{"JSON (Rivet CTO, works for a competitor)", fromJSON},
	}
	for i, l := range leads {
		res, err := ev.Evaluate(ctx, l.facts)
		if err != nil {
			fmt.Printf("\n%s: error: %v\n", l.name, err)
			continue
		}
		fmt.Printf("\n== %s\n", l.name)
		summarize(res)
		if i == 0 {
			fmt.Println("\n-- explanation --")
			fmt.Print(res.Explain())
		}
	}

	// A lead with a value of the wrong type is an error for that lead only;
	// eval.FactErrors gives each problem as data (path, type wanted, value found).
	bad := []byte(`{"company": {"employees": "lots"}, "contact": {"email": "x@example.com"}}`)
	if _, err := ev.Evaluate(ctx, bad); err != nil {
		fmt.Printf("\n== bad lead\nerror: %v\n", err)
		for _, fe := range eval.FactErrors(err) {
			fmt.Printf("  fact %s: want %s, found %s\n", fe.Path, fe.Want, fe.Found)
		}
		var ferr *eval.FactError
		fmt.Println("  is a *eval.FactError:", errors.As(err, &ferr))
	}
}

// summarize prints what a service would store or push back to the CRM.
func summarize(res *model.Result) {
	fmt.Printf("stage:  %s\n", res.Stage)
	for _, l := range res.Labels { // sorted by ladder name
		fmt.Printf("label:  %s = %s\n", l.Ladder, l.Value)
	}
	fmt.Printf("total:  %s\n", model.FormatNumber(res.Score.Total))
	for _, g := range res.Score.Groups {
		fmt.Printf("group:  %-10s %6s (raw %s)\n", g.Name, model.FormatNumber(g.Points), model.FormatNumber(g.Raw))
	}
	if b := res.Framework("BANT"); b != nil {
		fmt.Printf("BANT:   qualified=%t met=%d unmet=%d unknown=%d of %d\n", b.Qualified, b.Met, b.Unmet, b.Unknown, b.Total)
		for _, c := range b.Criteria {
			fmt.Printf("        %-9s %s\n", c.Name, c.Status)
		}
	}
	if len(res.Missing) > 0 {
		fmt.Printf("missing: %v\n", res.Missing)
	}
}
