package model_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/qualifyhq/qualify/model"
)

func ExampleResult_Explain() {
	max := 60.0
	res := &model.Result{
		Policy: model.PolicyInfo{Name: "acme-b2b", Version: "1", Hash: "sha256:0123456789abcdef"},
		Now:    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Stage:  "mql",
		Labels: []model.Label{{Ladder: "stage", Value: "mql"}},
		Score: model.Score{Total: 15, Groups: []model.GroupScore{
			{Name: "fit", Points: 15, Raw: 15, Max: &max},
		}},
		Missing: []string{"contact.role"},
	}
	res.SetTrace(model.StepList{
		{Kind: model.StepRule, Group: "fit", Label: "Target industry", Outcome: model.Matched, Points: 15,
			Reads: model.Reads{{Name: "company.industry", Value: model.ValueOf("saas")}}, At: "acme.qual:42:3"},
		{Kind: model.StepRule, Group: "fit", Label: "Decision maker", Outcome: model.OutUnknown,
			Missing: []string{"contact.role"}, At: "acme.qual:45:3"},
		{Kind: model.StepGroup, Group: "fit", Outcome: model.HasValue, Points: 15, Raw: 15, At: "acme.qual:41:1"},
	})
	fmt.Print(res.Explain())
	// Output:
	// stage: mql
	// score: 15
	// policy: acme-b2b 1 (sha256:0123456789ab), evaluated at 2026-11-01T00:00:00Z
	//
	// score.fit = 15 (max 60)
	//   matched  +15  Target industry  company.industry="saas"  acme.qual:42:3
	//   unknown  0    Decision maker   missing contact.role     acme.qual:45:3
	//
	// stage = mql
	//
	// missing facts: contact.role
}

func ExampleStep_MarshalJSON() {
	s := model.Step{Kind: model.StepRule, Group: "fit", Label: "Target industry", Outcome: model.Matched,
		Points: 15, Reads: model.Reads{{Name: "company.industry", Value: model.ValueOf("saas")}}, At: "acme.qual:42:3"}
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	// Output: {"kind":"rule","group":"fit","label":"Target industry","outcome":"matched","points":15,"reads":{"company.industry":"saas"},"at":"acme.qual:42:3"}
}
