package rules

import "github.com/qualifyhq/qualify/parser"

// Codes of the compile errors reported by this package. Syntax errors
// (E100-E103) come from the parser package. Every code is documented, with
// an example, in docs/errors.md.
const (
	// CodeUnknownFact is a fact path that the facts block does not declare.
	CodeUnknownFact parser.Code = "E200"
	// CodeUnknownName is a name that is not a fact, let, framework, ladder or helper.
	CodeUnknownName parser.Code = "E201"
	// CodeUnknownMember is an unknown score group, framework member or criterion.
	CodeUnknownMember parser.Code = "E202"
	// CodeDefinedLater is a reference to something evaluated later.
	CodeDefinedLater parser.Code = "E203"
	// CodeUnknownType is an unknown fact type.
	CodeUnknownType parser.Code = "E204"
	// CodeType is a type error inside an expression.
	CodeType parser.Code = "E210"
	// CodeNotBool is a condition that is not true or false.
	CodeNotBool parser.Code = "E211"
	// CodeNotNumber is a points expression that is not a number.
	CodeNotNumber parser.Code = "E212"
	// CodeNotList is an each rule over something that is not a list.
	CodeNotList parser.Code = "E213"
	// CodeHalflife is a halflife on elements that have no time.
	CodeHalflife parser.Code = "E214"
	// CodeEachOption is an invalid limit or halflife.
	CodeEachOption parser.Code = "E215"
	// CodeHelperArgs is a helper called with the wrong number of arguments.
	CodeHelperArgs parser.Code = "E216"
	// CodeTooComplex is an expression over the node limit.
	CodeTooComplex parser.Code = "E217"
	// CodeMissingCriteria is a standard framework without all its criteria.
	CodeMissingCriteria parser.Code = "E220"
	// CodeExtraCriterion is a criterion a standard framework does not have.
	CodeExtraCriterion parser.Code = "E221"
	// CodeDuplicate is a name defined twice.
	CodeDuplicate parser.Code = "E230"
	// CodeDuplicatePolicy is a second policy statement.
	CodeDuplicatePolicy parser.Code = "E231"
	// CodeNoPolicy is a policy without a policy statement.
	CodeNoPolicy parser.Code = "E232"
	// CodeFactShape is a fact declared both as a value and as an object.
	CodeFactShape parser.Code = "E233"
	// CodeMisplaced is a statement in the wrong kind of file.
	CodeMisplaced parser.Code = "E234"
	// CodeFactTooDeep is a fact path of more than MaxFactDepth names.
	CodeFactTooDeep parser.Code = "E235"
	// CodeFallbackNotLast is a ladder step without a condition that is not last.
	CodeFallbackNotLast parser.Code = "E240"
	// CodeNoStage is a policy without classify stage.
	CodeNoStage parser.Code = "E241"
	// CodeEmptyBlock is a framework or ladder without entries.
	CodeEmptyBlock parser.Code = "E242"
	// CodeClamp is an invalid max or min.
	CodeClamp parser.Code = "E250"
	// CodeReserved is a name the language reserves.
	CodeReserved parser.Code = "E260"
	// CodeNoFiles is a policy path without .qual files.
	CodeNoFiles parser.Code = "E270"
)
