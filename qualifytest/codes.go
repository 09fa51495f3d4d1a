package qualifytest

import "github.com/qualifyhq/qualify/parser"

// Codes of the compile errors of _test.qual files. Syntax errors, in a
// test block or inside an expect or given expression, are E100 and E101
// from the parser package, as in policies. Every code is documented, with
// an example, in docs/testing.md and docs/errors.md.
const (
	// CodeNotATest is a statement other than a test block in a _test.qual file.
	CodeNotATest parser.Code = "E300"
	// CodeDuplicateTest is a second test with the same name in a policy's tests.
	CodeDuplicateTest parser.Code = "E301"
	// CodeNoExpect is a test without any expect.
	CodeNoExpect parser.Code = "E302"
	// CodeNoGiven is a test without given facts.
	CodeNoGiven parser.Code = "E303"
	// CodeRepeatedNow is a test with more than one now.
	CodeRepeatedNow parser.Code = "E304"
	// CodeBadNow is a now that is not a time.
	CodeBadNow parser.Code = "E305"
	// CodeGivenFile is a given file that cannot be read or is not a JSON object.
	CodeGivenFile parser.Code = "E310"
	// CodeGivenValue is a given expression that is not an object of values.
	CodeGivenValue parser.Code = "E311"
	// CodeUnknownName is a name in an expect that the result does not have.
	CodeUnknownName parser.Code = "E320"
	// CodeUnknownMember is an unknown score group, or an unknown count or
	// criterion of a framework, in an expect.
	CodeUnknownMember parser.Code = "E321"
	// CodeUnknownRule is a call of matched, unknown or points that does not
	// name a rule, criterion or ladder step of the policy.
	CodeUnknownRule parser.Code = "E322"
	// CodeExpectType is a type error inside an expect.
	CodeExpectType parser.Code = "E323"
	// CodeExpectNotBool is an expect that is not true or false.
	CodeExpectNotBool parser.Code = "E324"
	// CodeUnknownLabel is a string compared with a ladder that is none of
	// its labels, or with a criterion that is not a status.
	CodeUnknownLabel parser.Code = "E325"
)
