package model

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// The JSON of results is written by hand, appending to a byte slice: it is
// the same text encoding/json would give (with HTML escaping off), but a
// batch of leads spends its time scoring them rather than reflecting over
// trace steps.

// AppendJSON appends the result's JSON to dst and returns the extended
// slice. It is what MarshalJSON returns, without allocating beyond dst's
// growth.
func (r *Result) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"policy":{"name":`...)
	dst = appendString(dst, r.Policy.Name)
	dst = append(dst, `,"version":`...)
	dst = appendString(dst, r.Policy.Version)
	dst = append(dst, `,"hash":`...)
	dst = appendString(dst, r.Policy.Hash)
	dst = append(dst, `},"now":"`...)
	dst = r.Now.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","stage":`...)
	dst = appendString(dst, r.Stage)
	dst = append(dst, `,"labels":{`...)
	for i, k := range sortedKeys(r.Labels) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, r.Labels[k])
	}
	dst = append(dst, `},"score":`...)
	dst = r.Score.appendJSON(dst)
	dst = append(dst, `,"frameworks":{`...)
	for i, k := range sortedKeys(r.Frameworks) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = r.Frameworks[k].appendJSON(dst)
	}
	dst = append(dst, `},"missing":[`...)
	for i, m := range r.Missing {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, m)
	}
	dst = append(dst, `],"trace":[`...)
	for i := range r.Trace {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = r.Trace[i].appendJSON(dst)
	}
	return append(dst, "]}"...)
}

// MarshalJSON writes the result in its documented shape; "missing" and
// "trace" are always arrays, never null.
func (r *Result) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

func (s Score) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"total":`...)
	dst = appendNumber(dst, s.Total)
	dst = append(dst, `,"groups":{`...)
	for i, k := range sortedKeys(s.Groups) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = s.Groups[k].appendJSON(dst)
	}
	return append(dst, "}}"...)
}

// MarshalJSON writes the total in its short form.
func (s Score) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

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

// MarshalJSON writes the numbers in their short form.
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
	for i, k := range sortedKeys(f.Criteria) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, string(f.Criteria[k]))
	}
	return append(dst, "}}"...)
}

// MarshalJSON writes the framework's counts, verdict and criteria.
func (f *FrameworkResult) MarshalJSON() ([]byte, error) { return f.appendJSON(nil), nil }

func (s *Step) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"kind":`...)
	dst = appendString(dst, string(s.Kind))
	dst = appendField(dst, "group", s.Group)
	dst = appendField(dst, "framework", s.Framework)
	dst = appendField(dst, "ladder", s.Ladder)
	dst = appendField(dst, "name", s.Name)
	dst = appendField(dst, "label", s.Label)
	dst = appendField(dst, "outcome", string(s.Outcome))
	switch s.Kind {
	case StepRule:
		dst = append(dst, `,"points":`...)
		dst = appendNumber(dst, s.Points)
		if s.Each {
			dst = append(dst, `,"matches":`...)
			dst = strconv.AppendInt(dst, int64(s.Matches), 10)
			dst = append(dst, `,"counted":`...)
			dst = strconv.AppendInt(dst, int64(s.Counted), 10)
		}
	case StepGroup, StepTotal:
		dst = append(dst, `,"points":`...)
		dst = appendNumber(dst, s.Points)
		dst = append(dst, `,"raw":`...)
		dst = appendNumber(dst, s.Raw)
	case StepLet:
		if s.Outcome == HasValue {
			dst = append(dst, `,"value":`...)
			dst = s.Value.appendJSON(dst)
		}
	}
	dst = appendField(dst, "because", s.Because)
	if len(s.Reads) > 0 {
		dst = append(dst, `,"reads":`...)
		dst = s.Reads.appendJSON(dst)
	}
	if len(s.Missing) > 0 {
		dst = append(dst, `,"missing":[`...)
		for i, m := range s.Missing {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m)
		}
		dst = append(dst, ']')
	}
	dst = appendField(dst, "at", s.At)
	return append(dst, '}')
}

// MarshalJSON writes the fields that belong to the step's kind.
func (s Step) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

func (r Reads) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i := range r {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, r[i].Name)
		dst = append(dst, ':')
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

// appendAny writes a list or object value of a lead, with map keys sorted
// as encoding/json sorts them, cut at 64 levels (a Go value given as facts
// may even be cyclic).
func appendAny(dst []byte, x any, depth int) []byte {
	if depth > 64 {
		return append(dst, `"..."`...)
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
		if _, err := strconv.ParseFloat(string(x), 64); err == nil {
			return append(dst, x...)
		}
		return appendString(dst, string(x))
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
		for i, k := range sortedKeys(x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendAny(dst, x[k], depth+1)
		}
		return append(dst, '}')
	}
	b, err := json.Marshal(x)
	if err != nil {
		return appendString(dst, err.Error())
	}
	return append(dst, b...)
}

func appendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, value)
}

// appendNumber writes a float the short way: 50 rather than 50.0, rounded
// to 9 decimals; NaN and infinities, which JSON lacks, as strings.
func appendNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && f > -1e15 && f < 1e15 {
		return strconv.AppendInt(dst, int64(f), 10) // most scores are whole
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendQuote(dst, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return strconv.AppendFloat(dst, Round(f), 'f', -1, 64)
}

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
	i := 0
	for i < len(s) && safeASCII[s[i]] {
		i++
	}
	if i == len(s) {
		dst = append(dst, s...) // the common case: nothing to escape
		return append(dst, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if safeASCII[c] {
			i++
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
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// sortedKeys returns the keys of m in order. Maps in results are small
// (labels, groups, frameworks, criteria), so an insertion sort on a stack
// buffer keeps this free of allocations in the common case.
func sortedKeys[V any](m map[string]V) []string {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) > 16 {
		sort.Strings(keys)
		return keys
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
