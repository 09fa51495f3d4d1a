package qualifytest_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qualifyhq/qualify/qualifytest"
	"github.com/qualifyhq/qualify/rules"
)

// A policy's tests compiled from memory and run; the failure shows the
// expect, the values it read and the trace of what it names.
func ExampleCompile() {
	pol, err := rules.Compile("shop.qual", `policy "shop" version "1"

facts {
  company.employees int
}

score fit {
  +20 "Big company" when company.employees > 100
}

classify stage {
  hot  when score.fit >= 20
  cold
}
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	suite, err := qualifytest.Compile(pol, []rules.SourceFile{{Name: "shop_test.qual", Text: `
test "a big company is hot" {
  given { company: { employees: 500 } }
  expect stage == "hot"
}

test "a small company is hot too" {
  given { company: { employees: 10 } }
  expect stage == "hot"
}
`}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := suite.Run(context.Background())
	fmt.Println(rep.Passed(), "passed,", rep.Failed(), "failed")
	for _, f := range rep.Files[0].Tests[1].Failures {
		fmt.Println(f)
	}
	// Output:
	// 1 passed, 1 failed
	// shop_test.qual:9:10: expect stage == "hot"
	//     stage = "cold"
	//     trace:
	//       stage = cold
	//         unmatched  hot   score.fit=0  shop.qual:12:3
	//         matched    cold               shop.qual:13:3
}

// A test file that names a rule the policy does not have does not compile.
func ExampleCompile_error() {
	pol, _ := rules.Compile("shop.qual", `policy "shop" version "1"
score fit {
  +20 "Big company" when employees > 100
}
classify stage {
  hot  when score.fit >= 20
  cold
}
`)
	_, err := qualifytest.Compile(pol, []rules.SourceFile{{Name: "shop_test.qual", Text: `test "a big company is hot" {
  given { employees: 500 }
  expect matched("fit", "Big companies")
}
`}})
	fmt.Println(err)
	// Output:
	// shop_test.qual:3:25: error[E322]: score group fit has no rule "Big companies"
	//  3 |   expect matched("fit", "Big companies")
	//    |                         ^^^^^^^^^^^^^^^
	//    = did you mean "Big company"?
	//
	// 1 error
}

// Load finds a policy's tests, and the report's coverage says what they
// miss.
func ExampleLoad() {
	suite, err := qualifytest.Load("../testdata/qualifytest/shop")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := suite.Run(context.Background(), qualifytest.WithNow(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	fmt.Println(rep.Passed(), "passed,", rep.Failed(), "failed")
	rep.Coverage.WriteText(os.Stdout, suite.Path)
	// Output:
	// 4 passed, 0 failed
	// coverage: 88.2% of 17 outcomes (9 rules, criteria and steps) in ../testdata/qualifytest/shop
	//     ../testdata/qualifytest/shop/shop.qual:24:3: rule fit "Tiny": never matched (unmatched in 2 tests, unknown in 1 test)
	//     ../testdata/qualifytest/shop/shop.qual:29:3: step stage "warm": never matched (unmatched in 2 tests)
}

// Run in a Go test runs the policy's tests as subtests; MinCoverage makes
// the test fail when they leave an outcome of the policy unseen.
func ExampleRun() {
	// In policy_test.go:
	_ = func(t *testing.T) {
		qualifytest.Run(t, "policy/", qualifytest.MinCoverage(100))
	}
}

// Assertions on a result in a Go test; a failure shows the trace lines
// that explain it.
func ExampleAssert() {
	_ = func(t *testing.T) {
		lead, _ := os.ReadFile("testdata/leads/vp.json")
		res := qualifytest.Evaluate(t, "policy/", lead, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		a := qualifytest.Assert(t, res)
		a.Stage("sql")
		a.Score("fit", 50)
		a.Matched("engagement", "Requested a demo")
		a.Criterion("BANT", "budget", "met")
	}
}
