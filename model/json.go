package model

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The JSON of results is written by hand, appending to a byte slice: it is
// the same text encoding/json would give (with HTML escaping off), but a
// batch of leads spends its time scoring them rather than reflecting over
// trace steps. Nothing here allocates beyond dst's growth for the values a
// lead's facts hold, for a result whose lists are sorted by name as an
// evaluator writes them.

// AppendJSON appends the result's JSON to dst and returns the extended
// slice. It is what MarshalJSON returns, without allocating beyond dst's
// growth.
//
// Labels, groups, frameworks and criteria are written as objects keyed by
// name, their members in name order: a result's lists are written as they
// are when they are sorted by name, as an evaluator's are, and otherwise
// from a sorted copy. Of two entries with one name (which only a result
// built by hand can have) the copy keeps the first, the one the lookup
// methods (Label, Group, Framework, Criterion) find; MarshalJSON reports
// such a result as an error instead.
func (r *Result) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"policy":{"name":"`...)
	dst = appendEscaped(dst, r.Policy.Name)
	dst = append(dst, `","version":"`...)
	dst = appendEscaped(dst, r.Policy.Version)
	dst = append(dst, `","hash":"`...)
	dst = appendEscaped(dst, r.Policy.Hash)
	dst = append(dst, `"},"now":"`...)
	dst = r.Now.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","stage":"`...)
	dst = appendEscaped(dst, r.Stage)
	dst = append(dst, `","labels":{`...)
	for i, l := range byName(r.Labels) {
		dst = appendKey(dst, i, l.Ladder)
		dst = appendString(dst, l.Value)
	}
	dst = append(dst, `},"score":`...)
	dst = r.Score.appendJSON(dst)
	dst = append(dst, `,"frameworks":{`...)
	fws := byName(r.Frameworks)
	for i := range fws {
		dst = appendKey(dst, i, fws[i].Name)
		dst = fws[i].appendJSON(dst)
	}
	dst = append(dst, `},"missing":[`...)
	dst = appendStrings(dst, r.Missing)
	dst = append(dst, `],"trace":[`...)
	if n := r.TraceLen(); n > 0 {
		// Steps, without the iterator's call per step.
		buf := getRenderBuf()
		writer, _ := r.trace.(StepWriter)
		for i := range n {
			if i > 0 {
				dst = append(dst, ',')
			}
			buf.mem.Reads, buf.mem.Missing, buf.mem.Texts = buf.mem.Reads[:0], buf.mem.Missing[:0], buf.mem.Texts[:0]
			if writer != nil {
				dst = writer.AppendStep(dst, i, &buf.mem)
				continue
			}
			r.trace.Render(i, &buf.step, &buf.mem)
			dst = buf.step.appendJSON(dst)
		}
		putRenderBuf(buf)
	}
	return append(dst, "]}"...)
}

// MarshalJSON writes the result in its documented shape; "missing" and
// "trace" are always arrays, never null. A result with two labels of one
// ladder, two groups, frameworks or criteria of one framework with one
// name is an error: its JSON objects could not hold both.
func (r *Result) MarshalJSON() ([]byte, error) {
	if err := r.checkNames(); err != nil {
		return nil, err
	}
	return r.AppendJSON(nil), nil
}

// checkNames reports two entries of one name in a list of the result.
func (r *Result) checkNames() error {
	if name, ok := duplicateName(r.Labels); ok {
		return fmt.Errorf("model: the result has two labels of ladder %q", name)
	}
	if err := r.Score.checkNames(); err != nil {
		return err
	}
	if name, ok := duplicateName(r.Frameworks); ok {
		return fmt.Errorf("model: the result has two frameworks named %q", name)
	}
	for i := range r.Frameworks {
		if err := r.Frameworks[i].checkNames(); err != nil {
			return err
		}
	}
	return nil
}

func (s Score) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"total":`...)
	dst = appendNumber(dst, s.Total)
	dst = append(dst, `,"groups":{`...)
	groups := byName(s.Groups)
	for i := range groups {
		dst = appendKey(dst, i, groups[i].Name)
		dst = groups[i].appendJSON(dst)
	}
	return append(dst, "}}"...)
}

// MarshalJSON writes the total in its short form and the groups as an
// object keyed by name; two groups with one name are an error.
func (s Score) MarshalJSON() ([]byte, error) {
	if err := s.checkNames(); err != nil {
		return nil, err
	}
	return s.appendJSON(nil), nil
}

func (s *Score) checkNames() error {
	if name, ok := duplicateName(s.Groups); ok {
		return fmt.Errorf("model: the result has two score groups named %q", name)
	}
	return nil
}

func (g GroupScore) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"points":`...)
	dst = appendNumber(dst, g.Points)
	dst = append(dst, `,"raw":`...)
	dst = appendNumber(dst, g.Raw)
	dst = append(dst, `,"min":`...)
	dst = appendOptNumber(dst, g.Min)
	dst = append(dst, `,"max":`...)
	dst = appendOptNumber(dst, g.Max)
	return append(dst, '}')
}

// MarshalJSON writes the numbers in their short form (not the name, which
// is the key the score is written under).
func (g GroupScore) MarshalJSON() ([]byte, error) { return g.appendJSON(nil), nil }

func (f *FrameworkResult) appendJSON(dst []byte) []byte {
	if f == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"met":`...)
	dst = strconv.AppendInt(dst, int64(f.Met), 10)
	dst = append(dst, `,"unmet":`...)
	dst = strconv.AppendInt(dst, int64(f.Unmet), 10)
	dst = append(dst, `,"unknown":`...)
	dst = strconv.AppendInt(dst, int64(f.Unknown), 10)
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(f.Total), 10)
	dst = append(dst, `,"qualified":`...)
	dst = strconv.AppendBool(dst, f.Qualified)
	dst = append(dst, `,"criteria":{`...)
	for i, c := range byName(f.Criteria) {
		dst = appendKey(dst, i, c.Name)
		dst = appendString(dst, string(c.Status))
	}
	return append(dst, "}}"...)
}

// MarshalJSON writes the framework's counts, verdict and criteria, these
// as an object keyed by name (not the framework's name, which is the key
// the checklist is written under); two criteria with one name are an
// error.
func (f *FrameworkResult) MarshalJSON() ([]byte, error) {
	if err := f.checkNames(); err != nil {
		return nil, err
	}
	return f.appendJSON(nil), nil
}

func (f *FrameworkResult) checkNames() error {
	if f == nil {
		return nil
	}
	if name, ok := duplicateName(f.Criteria); ok {
		return fmt.Errorf("model: framework %q has two criteria named %q", f.Name, name)
	}
	return nil
}

func (s *Step) appendJSON(dst []byte) []byte {
	st := StepState{Label: s.Label, Outcome: s.Outcome, Points: s.Points, Raw: s.Raw, Matches: s.Matches,
		Counted: s.Counted, Value: &s.Value, Reads: s.Reads, Missing: s.Missing}
	return appendStep(dst, s, nil, &st)
}

// StepState is what changes from lead to lead at a trace step: with a
// StepText, the fixed part, it makes the step's JSON (StepText.AppendJSON).
type StepState struct {
	// Label is the step's label: the text's own, or the label a ladder
	// gave.
	Label   string
	Outcome Outcome
	// Points, Raw, Matches and Counted are written for the kinds of step
	// that have them, as Step's are.
	Points, Raw      float64
	Matches, Counted int
	// Value is a let's value, written when the outcome is HasValue.
	Value *Value
	Reads Reads
	// Texts, when not nil, holds for each read the JSON text to write in
	// place of its Value, or nil to write the Value (see
	// AppendJSONObject).
	Texts   [][]byte
	Missing []string
}

// appendStep writes the step of fixed fields fixed (as escaped in text,
// when not nil) in state st.
func appendStep(dst []byte, fixed *Step, text *StepText, st *StepState) []byte {
	if text != nil {
		dst = append(dst, text.head...)
	} else {
		dst = appendStepHead(dst, fixed)
	}
	if text != nil && same(st.Label, fixed.Label) {
		dst = append(dst, text.label...)
	} else {
		dst = appendField(dst, `,"label":"`, st.Label)
	}
	dst = appendOutcome(dst, st.Outcome)
	switch fixed.Kind {
	case StepRule:
		dst = append(dst, `,"points":`...)
		dst = appendNumber(dst, st.Points)
		if fixed.Each {
			dst = append(dst, `,"matches":`...)
			dst = strconv.AppendInt(dst, int64(st.Matches), 10)
			dst = append(dst, `,"counted":`...)
			dst = strconv.AppendInt(dst, int64(st.Counted), 10)
		}
	case StepGroup, StepTotal:
		dst = append(dst, `,"points":`...)
		dst = appendNumber(dst, st.Points)
		dst = append(dst, `,"raw":`...)
		dst = appendNumber(dst, st.Raw)
	case StepLet:
		if st.Outcome == HasValue {
			dst = append(dst, `,"value":`...)
			if st.Value != nil {
				dst = st.Value.appendJSON(dst)
			} else {
				dst = append(dst, "null"...)
			}
		}
	}
	if text != nil {
		dst = append(dst, text.because...)
	} else {
		dst = appendField(dst, `,"because":"`, fixed.Because)
	}
	if len(st.Reads) > 0 {
		dst = append(dst, `,"reads":{`...)
		for i := range st.Reads {
			rd := &st.Reads[i]
			if key := text.key(rd.Name); key != nil {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, key...)
			} else {
				dst = appendKey(dst, i, rd.Name)
			}
			if i < len(st.Texts) && st.Texts[i] != nil {
				dst = append(dst, st.Texts[i]...)
			} else {
				dst = rd.Value.appendJSON(dst)
			}
		}
		dst = append(dst, '}')
	}
	if len(st.Missing) > 0 {
		dst = append(dst, `,"missing":[`...)
		dst = appendStrings(dst, st.Missing)
		dst = append(dst, ']')
	}
	if text != nil {
		return append(dst, text.tail...)
	}
	return appendStepTail(dst, fixed)
}

// appendStepHead writes a step's fields before its label: its kind, block
// and name.
func appendStepHead(dst []byte, s *Step) []byte {
	dst = appendStepKind(dst, s.Kind)
	dst = appendField(dst, `,"group":"`, s.Group)
	dst = appendField(dst, `,"framework":"`, s.Framework)
	dst = appendField(dst, `,"ladder":"`, s.Ladder)
	return appendField(dst, `,"name":"`, s.Name)
}

// appendStepTail writes a step's last field, its position, and closes it.
func appendStepTail(dst []byte, s *Step) []byte {
	dst = appendField(dst, `,"at":"`, s.At)
	return append(dst, '}')
}

// StepText is the JSON text of the fields of a trace step that stay the
// same from lead to lead (its kind, block, name, label, because and
// position, and the names of the values it may read), escaped once. A
// TraceRecord that keeps one per step of its policy writes its steps with
// them (StepWriter), copying those fields rather than escaping them again
// for every lead.
type StepText struct {
	fixed                      Step
	head, label, because, tail []byte
	keys                       []stepKey
}

// stepKey is the text of a read's name as an object key, with its colon.
type stepKey struct {
	name string
	text []byte
}

// NewStepText renders the fixed fields of s, and the keys of the reads
// named in reads.
func NewStepText(s *Step, reads []string) *StepText {
	t := &StepText{fixed: Step{Kind: s.Kind, Group: s.Group, Framework: s.Framework, Ladder: s.Ladder,
		Name: s.Name, Label: s.Label, Each: s.Each, Because: s.Because, At: s.At}}
	t.head = appendStepHead(nil, s)
	t.label = appendField(nil, `,"label":"`, s.Label)
	t.because = appendField(nil, `,"because":"`, s.Because)
	t.tail = appendStepTail(nil, s)
	for _, name := range reads {
		t.keys = append(t.keys, stepKey{name, appendKey(nil, 0, name)})
	}
	return t
}

// same reports whether a and b are equal, at once when they are the same
// string in memory, as a label or a read's name from the strings a text
// was made from is.
func same(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// key returns the key text of the read named name, or nil (also for a nil
// t).
func (t *StepText) key(name string) []byte {
	if t == nil {
		return nil
	}
	for i := range t.keys {
		if same(t.keys[i].name, name) {
			return t.keys[i].text
		}
	}
	return nil
}

// AppendJSON appends the JSON of the step of t's fixed fields in state st:
// what Step's MarshalJSON writes for that step.
func (t *StepText) AppendJSON(dst []byte, st *StepState) []byte {
	return appendStep(dst, &t.fixed, t, st)
}

// StepWriter is implemented by a TraceRecord that writes the JSON of its
// steps itself, through StepText, without rendering them as Steps;
// AppendJSON uses it. Step i's JSON must be what Render's step i
// marshals to.
type StepWriter interface {
	// AppendStep appends step i's JSON to dst, using buf for its reads
	// and missing facts.
	AppendStep(dst []byte, i int, buf *StepBuffer) []byte
}

// MarshalJSON writes the fields that belong to the step's kind.
func (s Step) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

// appendStepKind opens a step's object with its kind, the known kinds
// written as one piece.
func appendStepKind(dst []byte, k StepKind) []byte {
	switch k {
	case StepLet:
		return append(dst, `{"kind":"let"`...)
	case StepCriterion:
		return append(dst, `{"kind":"criterion"`...)
	case StepFramework:
		return append(dst, `{"kind":"framework"`...)
	case StepRule:
		return append(dst, `{"kind":"rule"`...)
	case StepGroup:
		return append(dst, `{"kind":"group"`...)
	case StepTotal:
		return append(dst, `{"kind":"total"`...)
	case StepLadder:
		return append(dst, `{"kind":"step"`...)
	case StepLabel:
		return append(dst, `{"kind":"ladder"`...)
	}
	dst = append(dst, `{"kind":`...)
	return appendString(dst, string(k))
}

// appendOutcome writes a step's outcome field (none for ""), the known
// outcomes as one piece.
func appendOutcome(dst []byte, o Outcome) []byte {
	switch o {
	case "":
		return dst
	case Matched:
		return append(dst, `,"outcome":"matched"`...)
	case Unmatched:
		return append(dst, `,"outcome":"unmatched"`...)
	case OutUnknown:
		return append(dst, `,"outcome":"unknown"`...)
	case OutMet:
		return append(dst, `,"outcome":"met"`...)
	case OutUnmet:
		return append(dst, `,"outcome":"unmet"`...)
	case HasValue:
		return append(dst, `,"outcome":"value"`...)
	case Qualified:
		return append(dst, `,"outcome":"qualified"`...)
	case NotQualified:
		return append(dst, `,"outcome":"not qualified"`...)
	case NoMatch:
		return append(dst, `,"outcome":"no match"`...)
	}
	return appendField(dst, `,"outcome":"`, string(o))
}

func (r Reads) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i := range r {
		dst = appendKey(dst, i, r[i].Name)
		dst = r[i].Value.appendJSON(dst)
	}
	return append(dst, '}')
}

// MarshalJSON writes the reads as an object, keeping their order.
func (r Reads) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

func (v *Value) appendJSON(dst []byte) []byte {
	switch v.Kind {
	case KindMissing, KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, v.Bool)
	case KindInt:
		return strconv.AppendInt(dst, v.Int, 10)
	case KindNumber:
		return appendNumber(dst, v.Num)
	case KindString:
		return appendString(dst, v.Str)
	case KindTime:
		dst = append(dst, '"')
		dst = v.Time.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	case KindDuration:
		return appendString(dst, time.Duration(v.Int).String())
	}
	return appendAny(dst, v.Any, 0)
}

// MarshalJSON writes the value as JSON: times in RFC 3339, durations as Go
// duration strings, a missing value as null.
func (v Value) MarshalJSON() ([]byte, error) { return v.appendJSON(nil), nil }

// A value's JSON goes maxDepth levels deep; a value deeper down (a Go
// value given as facts may nest without end) is written as cutValue.
const (
	maxDepth = 64
	cutValue = `"..."`
)

// appendAny writes a list or object value of a lead, with map keys sorted
// as encoding/json sorts them, cut at 64 levels (a Go value given as facts
// may even be cyclic).
func appendAny(dst []byte, x any, depth int) []byte {
	if depth > maxDepth {
		return append(dst, cutValue...)
	}
	switch x := x.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendString(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return appendNumber(dst, x)
	case json.Number:
		return appendJSONNumber(dst, string(x))
	case time.Time:
		dst = append(dst, '"')
		dst = x.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	case time.Duration:
		return appendString(dst, x.String())
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendAny(dst, e, depth+1)
		}
		return append(dst, ']')
	case map[string]any:
		dst = append(dst, '{')
		var fields [16]entry[any]
		for i, e := range sortedEntries(x, fields[:0]) {
			dst = appendKey(dst, i, e.key)
			dst = appendAny(dst, e.val, depth+1)
		}
		return append(dst, '}')
	}
	b, err := json.Marshal(x)
	if err != nil {
		return appendString(dst, err.Error())
	}
	return append(dst, b...)
}

// isDecimal reports whether s is digits with an optional minus sign and
// fraction, short enough to be a float64: a json.Number that
// strconv.ParseFloat takes, known without parsing it.
// appendJSONNumber writes a json.Number. Numbers from a JSON decoder are
// written as they came; a number made by hand that JSON cannot hold as it
// is ("007", "0x1p3") is written as the float it parses to, or else as a
// string, as is a number out of a float's range ("1e400").
func appendJSONNumber(dst []byte, x string) []byte {
	if isDecimal(x) {
		return append(dst, x...)
	}
	f, err := strconv.ParseFloat(x, 64)
	switch {
	case err == nil && isJSONNumber(x):
		return append(dst, x...)
	case err == nil:
		return appendNumber(dst, f)
	}
	return appendString(dst, x)
}

func isDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 300 {
		return false
	}
	if len(s) > 1 && s[0] == '0' && s[1] != '.' {
		return false // a leading zero: not JSON
	}
	digits, point := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point && digits > 0 && i < len(s)-1:
			point = true
		default:
			return false
		}
	}
	return true
}

// isJSONNumber reports whether s is a number in JSON's grammar: an
// optional minus, an integer without leading zeros, an optional fraction
// and an optional exponent.
func isJSONNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// appendField writes key, which ends in an opening quote, and value's
// characters and closing quote; nothing when value is "".
func appendField(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, key...)
	dst = appendEscaped(dst, value)
	return append(dst, '"')
}

// appendKey writes the key of the i-th member of an object (after a comma
// unless it is the first) and its colon.
func appendKey(dst []byte, i int, key string) []byte {
	if i > 0 {
		dst = append(dst, ',', '"')
	} else {
		dst = append(dst, '"')
	}
	dst = appendEscaped(dst, key)
	return append(dst, '"', ':')
}

// appendStrings writes the elements of a string array, without brackets.
func appendStrings(dst []byte, list []string) []byte {
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return dst
}

// appendNumber writes a float the short way: 50 rather than 50.0, rounded
// to 9 decimals; NaN and infinities, which JSON lacks, as strings.
func appendNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && f > -1e15 && f < 1e15 {
		return strconv.AppendInt(dst, int64(f), 10) // most scores are whole
	}
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	if n := math.Round(f * 1e9); n > -1e15 && n < 1e15 {
		return appendNanos(dst, n)
	}
	return strconv.AppendFloat(dst, Round(f), 'f', -1, 64)
}

// appendNanos writes n/1e9, which is Round(f) for n = math.Round(f*1e9),
// as strconv.AppendFloat(dst, n/1e9, 'f', -1, 64) does, for |n| < 1e15.
// With at most 15 significant digits, the decimal n·10⁻⁹ is the only one
// that short which rounds to n/1e9, so it is the shortest form.
func appendNanos(dst []byte, n float64) []byte {
	if n == 0 {
		if math.Signbit(n) {
			return append(dst, "-0"...) // a tiny negative rounds to -0
		}
		return append(dst, '0')
	}
	i := int64(n)
	if i < 0 {
		dst = append(dst, '-')
		i = -i
	}
	dst = strconv.AppendInt(dst, i/1e9, 10)
	frac := i % 1e9
	if frac == 0 {
		return dst
	}
	dst = append(dst, ".000000000"...)
	digits := dst[len(dst)-9:]
	hi, lo := uint32(frac)/100000, uint32(frac)%100000 // two short chains of divisions
	putPair(digits[0:], hi/100)
	putPair(digits[2:], hi%100)
	digits[4] = byte('0' + lo/10000)
	lo %= 10000
	putPair(digits[5:], lo/100)
	putPair(digits[7:], lo%100)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// putPair writes the two digits of n < 100 to b.
func putPair(b []byte, n uint32) {
	b[0], b[1] = digitPairs[2*n], digitPairs[2*n+1]
}

// digitPairs holds the two digits of 0 to 99.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

func appendOptNumber(dst []byte, f *float64) []byte {
	if f == nil {
		return append(dst, "null"...)
	}
	return appendNumber(dst, *f)
}

const hex = "0123456789abcdef"

// safeASCII marks the bytes a JSON string holds as they are.
var safeASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString writes s as a JSON string as encoding/json does with HTML
// escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped writes the characters of s as appendString does, without
// the quotes. Strings with nothing to escape, the common case, are tested
// and copied eight bytes at a time.
func appendEscaped(dst []byte, s string) []byte {
	n := len(dst)
	if cap(dst)-n < len(s) {
		dst = slices.Grow(dst, len(s))
	}
	out := dst[n : n+len(s)]
	switch {
	case len(s) >= 8:
		for i := 0; i < len(s)-8; i += 8 {
			w := load64(s[i:])
			if escapeBits(w) != 0 {
				return appendEscapedSlow(dst, s)
			}
			binary.LittleEndian.PutUint64(out[i:], w)
		}
		w := load64(s[len(s)-8:]) // overlaps the last word
		if escapeBits(w) != 0 {
			return appendEscapedSlow(dst, s)
		}
		binary.LittleEndian.PutUint64(out[len(s)-8:], w)
	case len(s) >= 4:
		lo, hi := load32(s), load32(s[len(s)-4:])
		if escapeBits(uint64(lo)|uint64(hi)<<32) != 0 {
			return appendEscapedSlow(dst, s)
		}
		binary.LittleEndian.PutUint32(out, lo)
		binary.LittleEndian.PutUint32(out[len(s)-4:], hi)
	default:
		for i := 0; i < len(s); i++ {
			if !safeASCII[s[i]] {
				return appendEscapedSlow(dst, s)
			}
			out[i] = s[i]
		}
	}
	return dst[:n+len(s)]
}

// appendEscapedSlow is appendEscaped for a string that has characters to
// escape. It copies the runs between them whole, skipping words of safe
// bytes eight at a time.
func appendEscapedSlow(dst []byte, s string) []byte {
	start, i := 0, 0
	for i < len(s) {
		c := s[i]
		if safeASCII[c] {
			i++
			for len(s)-i >= 8 && escapeBits(load64(s[i:])) == 0 {
				i += 8
			}
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// escapeBits is not zero when any of the 8 bytes in w is a control
// character, '"', '\\' or not ASCII: each test sets the top bit of some
// byte when it finds one (and bytes from 0x80 have theirs set already).
func escapeBits(w uint64) uint64 {
	control := (w - 0x20*lowBits) &^ w // a byte below 0x20 borrows into its top bit
	quote := w ^ '"'*lowBits           // a quote becomes a zero byte
	backslash := w ^ '\\'*lowBits
	zero := (quote-lowBits)&^quote | (backslash-lowBits)&^backslash
	return (control | zero | w) & highBits
}

// load32 returns the first 4 bytes of s as a little-endian word.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// load64 returns the first 8 bytes of s as a little-endian word.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// named is an entry of a result's list that the JSON writes as a member
// of an object: a label, a group, a framework or a criterion.
type named[T any] interface {
	*T
	key() string
}

func (l *Label) key() string           { return l.Ladder }
func (g *GroupScore) key() string      { return g.Name }
func (f *FrameworkResult) key() string { return f.Name }
func (c *CriterionStatus) key() string { return c.Name }

// sortedByName reports whether the names of s's entries increase, with
// no name twice.
func sortedByName[T any, P named[T]](s []T) bool {
	for i := 1; i < len(s); i++ {
		if P(&s[i-1]).key() >= P(&s[i]).key() {
			return false
		}
	}
	return true
}

// byName returns s when it is sorted by name with no name twice, as an
// evaluator writes a result's lists, and otherwise a copy sorted by name
// that keeps, of entries with one name, the first.
func byName[T any, P named[T]](s []T) []T {
	if sortedByName[T, P](s) {
		return s
	}
	c := sortByName[T, P](slices.Clone(s))
	return slices.CompactFunc(c, func(a, b T) bool { return P(&a).key() == P(&b).key() })
}

// sortByName sorts s by name, keeping the order of entries with one name.
func sortByName[T any, P named[T]](s []T) []T {
	slices.SortStableFunc(s, func(a, b T) int { return strings.Compare(P(&a).key(), P(&b).key()) })
	return s
}

// duplicateName returns a name that two entries of s share, if any.
func duplicateName[T any, P named[T]](s []T) (string, bool) {
	if sortedByName[T, P](s) {
		return "", false
	}
	c := sortByName[T, P](slices.Clone(s))
	for i := 1; i < len(c); i++ {
		if name := P(&c[i]).key(); name == P(&c[i-1]).key() {
			return name, true
		}
	}
	return "", false
}

// entry is a member of a map.
type entry[V any] struct {
	key string
	val V
}

// sortedEntries appends the members of m to buf in key order. Maps in
// leads' values are small (the objects of a list of events), so callers pass a buffer on their stack, which keeps
// this free of allocations, and an insertion sort is the fastest.
func sortedEntries[V any](m map[string]V, buf []entry[V]) []entry[V] {
	for k, v := range m {
		buf = append(buf, entry[V]{k, v})
	}
	if len(buf) > 16 {
		slices.SortFunc(buf, func(a, b entry[V]) int { return strings.Compare(a.key, b.key) })
		return buf
	}
	for i := 1; i < len(buf); i++ {
		for j := i; j > 0 && buf[j].key < buf[j-1].key; j-- {
			buf[j], buf[j-1] = buf[j-1], buf[j]
		}
	}
	return buf
}
