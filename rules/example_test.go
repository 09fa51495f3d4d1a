package rules_test

import (
	"fmt"

	"github.com/qualifyhq/qualify/rules"
)

func ExampleCompile() {
	pol, err := rules.Compile("fit.qual", `
policy "fit" version "1"
facts {
  company.employees int
}
score fit {
  +10 "More than 100 staff" when company.employees > 100
}
classify stage {
  mql when score.fit >= 10
  unqualified
}
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pol.Name, pol.Version, len(pol.Groups[0].Rules))
	// Output: fit 1 1
}

func ExampleCompile_errors() {
	_, err := rules.Compile("fit.qual", `policy "fit"
facts {
  company.employees int
}
score fit {
  +10 "Big" when company.employes > 100
}
classify stage {
  unqualified
}
`)
	fmt.Println(err)
	// Output:
	// fit.qual:6:26: error[E200]: unknown fact company.employes
	//  6 |   +10 "Big" when company.employes > 100
	//    |                          ^^^^^^^^
	//    = did you mean "company.employees"?
	//
	// 1 error
}

func ExampleLoadDir() {
	pol, err := rules.LoadDir("../examples/acme")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pol.Name, pol.Version)
	for _, g := range pol.Groups {
		fmt.Println(g.Name, len(g.Rules), "rules")
	}
	// Output:
	// acme-b2b 2026.11.1
	// fit 5 rules
	// engagement 5 rules
}
