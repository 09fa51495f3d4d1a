// Package qualifytest tests qualify policies: it owns the tests written in
// the policy language and the helpers for tests written in Go.
//
// Tests in the language live in _test.qual files beside a policy (a
// directory of .qual files, or X.qual with X_test.qual):
//
//	test "a VP at a SaaS company who asked for a demo is an SQL" {
//	  now "2026-11-01"
//	  given file "../../testdata/leads/acme/vp.json"
//	  given { contact: { role: "vp" } }
//	  expect stage == "sql"
//	  expect score.fit == 50
//	  expect matched("engagement", "Requested a demo")
//	}
//
// The package owns what happens to them: finding the test files of a
// policy (Discover), compiling them against the compiled policy, with
// positioned diagnostics whose codes are E300-E325 (Load, Compile), running
// them (Suite.Run, Suite.RunTest), reporting, as text in the manner of go
// test (Report.WriteText) and as JSON, and coverage: which outcomes of the
// policy's rules, criteria and ladder steps the tests saw (Coverage).
//
// An expect sees the result of the evaluation: stage and every other
// ladder by name, score.GROUP and score.total, every framework (BANT.met,
// BANT.unmet, BANT.unknown, BANT.total, BANT.qualified and each criterion's
// status, BANT.budget), matched(BLOCK, LABEL), unknown(BLOCK, LABEL),
// points(GROUP, LABEL), missing (the facts the lead lacks) and error (the
// evaluation's error, "" when there is none). A test without a now line
// runs at DefaultNow, never at the clock.
//
// For go test, Run runs a policy's tests as subtests, and Assert and
// Evaluate help tests written in Go check a model.Result, with failures
// that show the trace of what they check.
package qualifytest
