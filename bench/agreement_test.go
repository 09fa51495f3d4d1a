package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestAgreement requires every implementation to give qualify's outcome
// for each of the 1,000 leads: group scores and total within 1e-9, BANT
// counts and verdict, grade and stage.
func TestAgreement(t *testing.T) {
	f := setup(t)
	// The set must reach every stage and grade, and have unknowns.
	stages, grades := map[string]int{}, map[string]int{}
	unknowns := 0
	for _, lead := range f.leads {
		var o Outcome
		if err := f.ref.Evaluate(lead, &o); err != nil {
			t.Fatalf("qualify rejects a generated lead: %v", err)
		}
		stages[o.Stage]++
		grades[o.Grade]++
		if o.Unknown > 0 {
			unknowns++
		}
	}
	t.Logf("%d leads: stages %v, grades %v, %d with an unknown BANT criterion", len(f.leads), stages, grades, unknowns)
	for _, s := range []string{"disqualified", "sql", "mql", "unqualified"} {
		if stages[s] < 10 {
			t.Errorf("only %d leads reach stage %s", stages[s], s)
		}
	}
	for _, g := range []string{"A", "B", "C", "D"} {
		if grades[g] < 10 {
			t.Errorf("only %d leads reach grade %s", grades[g], g)
		}
	}
	if unknowns < 100 {
		t.Errorf("only %d leads have an unknown criterion", unknowns)
	}
}

// TestRejected requires a lead without the required contact.email to be
// an error everywhere, and a fact of the wrong type to be an error for
// the implementations that check types (qualify, handwritten, grule; expr
// and cel-go take the lead as it is).
func TestRejected(t *testing.T) {
	f := setup(t)
	noEmail := map[string]any{"contact": map[string]any{"role": "vp"}, "company": map[string]any{"industry": "saas"}}
	nullContact := map[string]any{"contact": nil}
	badType := map[string]any{"contact": map[string]any{"email": "a@b.io"}, "company": map[string]any{"employees": "lots"}}
	badEvent := map[string]any{"contact": map[string]any{"email": "a@b.io"}, "events": []any{map[string]any{"type": "page"}}}
	for _, impl := range append([]Impl{f.ref}, f.impls...) {
		var o Outcome
		for name, lead := range map[string]map[string]any{"no email": noEmail, "null contact": nullContact} {
			if err := impl.Evaluate(lead, &o); err == nil {
				t.Errorf("%s: a lead with %s is not an error: %s", impl.Name(), name, o)
			}
		}
		switch impl.Name() {
		case "expr-per-rule", "cel-go":
			continue
		}
		for name, lead := range map[string]map[string]any{"employees \"lots\"": badType, "an event without at": badEvent} {
			if err := impl.Evaluate(lead, &o); err == nil {
				t.Errorf("%s: a lead with %s is not an error: %s", impl.Name(), name, o)
			}
		}
	}
}

// TestJSONL checks that genleads writes the benchmark's leads: the first
// lines of its output decode to the set's first leads.
func TestJSONL(t *testing.T) {
	const n = 200
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, n, Seed); err != nil {
		t.Fatal(err)
	}
	want, err := Leads(n, Seed)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Fatalf("line %d differs from lead %d:\n%s\n%s", i+1, i, line, compact(want[i]))
		}
	}
	again, _ := Leads(n, Seed)
	if !reflect.DeepEqual(again, want) {
		t.Fatal("the generator is not deterministic")
	}
}

// TestEdgeCases runs the agreement check on hand-made leads at the edges
// of the semantics: Kleene's logic with a missing side, nulls at every
// level, boundaries of every comparison, webinars in the future and at
// equal times, and more than three of them.
func TestEdgeCases(t *testing.T) {
	f := setup(t)
	email := map[string]any{"email": "x@acme.io"}
	webinar := func(at string) any { return map[string]any{"type": "webinar", "at": at} }
	leads := []map[string]any{
		{"contact": email},
		{"contact": map[string]any{"email": "x@gmail.com", "role": nil, "competitor": nil}},
		{"contact": map[string]any{"email": "x@yahoo.com", "role": ""}, "company": map[string]any{}},
		{"contact": email, "budget": map[string]any{"approved": true}},
		{"contact": email, "budget": map[string]any{"approved": false}},
		{"contact": email, "budget": map[string]any{"approved": nil, "amount": 10000.0}},
		{"contact": email, "budget": map[string]any{"approved": false, "amount": 9999.999}},
		{"contact": email, "budget": nil, "timeline": nil, "pains": nil, "events": nil, "activity": nil, "company": nil},
		{"contact": email, "timeline": map[string]any{"days": 0.0}, "pains": []any{}},
		{"contact": email, "timeline": map[string]any{"days": 90.0}, "pains": []any{""}},
		{"contact": email, "timeline": map[string]any{"days": -1.0}},
		{"contact": email, "company": map[string]any{"employees": 101.0, "revenue": 5000000.01, "industry": "fintech"}},
		{"contact": email, "company": map[string]any{"employees": 100.0, "revenue": 5000000.0, "industry": "Fintech"}},
		{"contact": email, "activity": map[string]any{"last_visit": "2026-09-01T00:00:00Z"}},       // 61 days
		{"contact": email, "activity": map[string]any{"last_visit": "2026-09-01T00:00:01Z"}},       // 60 days 23:59:59
		{"contact": email, "activity": map[string]any{"last_visit": "2026-09-02T01:00:00+01:00"}},  // 60 days exactly
		{"contact": email, "activity": map[string]any{"last_visit": "2026-11-20T00:00:00Z"}},       // future
		{"contact": email, "activity": map[string]any{"pricing_views": 0.0, "unsubscribed": true}}, // engagement below 0
		{"contact": email, "events": []any{}},
		{"contact": email, "events": []any{webinar("2026-12-01T00:00:00Z"), webinar("2026-11-01T00:00:00Z")}},
		{"contact": email, "events": []any{
			webinar("2026-10-01T00:00:00Z"), webinar("2026-08-01T00:00:00Z"), webinar("2026-10-01T00:00:00Z"),
			map[string]any{"type": "page", "at": "2026-10-31T00:00:00Z"}, webinar("2026-10-20T00:00:00Z"),
			webinar("2026-10-01T00:00:00Z"), webinar("2025-01-01T00:00:00Z"),
		}},
		{"contact": map[string]any{"email": "ceo@acme.io", "role": "ceo", "competitor": false},
			"company":  map[string]any{"industry": "saas", "employees": 5000.0, "revenue": 1e9},
			"budget":   map[string]any{"approved": true},
			"timeline": map[string]any{"days": 30.0}, "pains": []any{"x"},
			"activity": map[string]any{"demo_requested": true, "pricing_views": 9.0, "last_visit": "2026-10-31T00:00:00Z", "unsubscribed": false},
			"events":   []any{webinar("2026-10-31T00:00:00Z"), webinar("2026-10-30T00:00:00Z"), webinar("2026-10-29T00:00:00Z")}},
	}
	if report := Agreement(f.ref, f.impls, leads, 3); report != "" {
		t.Fatalf("disagreements on edge cases:\n%s", report)
	}
}
