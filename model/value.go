// Package model holds the plain data that qualify produces and shares
// between its packages: fact values, results, group scores, framework
// results, trace steps and outcomes, with their JSON form and the Explain
// text. It depends on nothing else in the module.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// Kinds of values. KindMissing is the zero Value: a fact the lead lacks.
const (
	KindMissing Kind = iota
	KindNull
	KindBool
	KindInt
	KindNumber
	KindString
	KindTime
	KindDuration
	KindList
	KindObject
)

var kindNames = [...]string{"missing", "null", "bool", "int", "number", "string", "time", "duration", "list", "object"}

// String names the kind as the language does.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a fact or computed value held without boxing scalars, so that
// traces can record what a condition read without allocating.
type Value struct {
	Kind Kind
	Bool bool
	Int  int64
	Num  float64
	Str  string
	Time time.Time
	// Any holds lists ([]any) and objects (map[string]any).
	Any any
}

// Missing reports whether the value is absent.
func (v Value) Missing() bool { return v.Kind == KindMissing }

// Interface returns the value as the Go value expressions see: bool, int,
// float64, string, time.Time, time.Duration, []any, map[string]any or nil.
func (v Value) Interface() any {
	switch v.Kind {
	case KindBool:
		return v.Bool
	case KindInt:
		return int(v.Int)
	case KindNumber:
		return v.Num
	case KindString:
		return v.Str
	case KindTime:
		return v.Time
	case KindDuration:
		return time.Duration(v.Int)
	case KindList, KindObject:
		return v.Any
	}
	return nil
}

// ValueOf wraps a Go value of one of the types Interface returns (and the
// other integer and float types) in a Value.
func ValueOf(x any) Value {
	switch x := x.(type) {
	case nil:
		return Value{Kind: KindNull}
	case bool:
		return Value{Kind: KindBool, Bool: x}
	case int:
		return Value{Kind: KindInt, Int: int64(x)}
	case int64:
		return Value{Kind: KindInt, Int: x}
	case int32:
		return Value{Kind: KindInt, Int: int64(x)}
	case float64:
		return Value{Kind: KindNumber, Num: x}
	case float32:
		return Value{Kind: KindNumber, Num: float64(x)}
	case string:
		return Value{Kind: KindString, Str: x}
	case time.Time:
		return Value{Kind: KindTime, Time: x}
	case time.Duration:
		return Value{Kind: KindDuration, Int: int64(x)}
	case []any:
		return Value{Kind: KindList, Any: x}
	case map[string]any:
		return Value{Kind: KindObject, Any: x}
	}
	return Value{Kind: KindObject, Any: x}
}

// Number returns v as a float64 (ints converted) and whether it is numeric.
func (v Value) Number() (float64, bool) {
	switch v.Kind {
	case KindInt:
		return float64(v.Int), true
	case KindNumber:
		return v.Num, true
	}
	return 0, false
}

// MarshalJSON writes the value as JSON: times in RFC 3339, durations as Go
// duration strings, a missing value as null.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Kind {
	case KindMissing, KindNull:
		return []byte("null"), nil
	case KindBool:
		return strconv.AppendBool(nil, v.Bool), nil
	case KindInt:
		return strconv.AppendInt(nil, v.Int, 10), nil
	case KindNumber:
		return marshalNumber(v.Num), nil
	case KindString:
		var b bytes.Buffer
		writeString(&b, v.Str)
		return b.Bytes(), nil
	case KindTime:
		return json.Marshal(v.Time.Format(time.RFC3339Nano))
	case KindDuration:
		return json.Marshal(time.Duration(v.Int).String())
	}
	return json.Marshal(jsonable(v.Any))
}

// jsonable converts values inside lists and objects (times, NaN) to forms
// encoding/json writes.
func jsonable(x any) any {
	switch x := x.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	}
	return x
}

// marshalNumber writes a float the short way: 50 rather than 50.0, and
// rounds away binary noise beyond 9 decimals (2.5 * 0.5^(1/3) and friends).
func marshalNumber(f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(strconv.Quote(fmt.Sprint(f)))
	}
	return strconv.AppendFloat(nil, Round(f), 'f', -1, 64)
}

// Round rounds f to 9 decimal places, the precision results are shown in.
func Round(f float64) float64 {
	if math.Abs(f) >= 1e15 {
		return f
	}
	return math.Round(f*1e9) / 1e9
}

// String renders the value for people: strings quoted, times in RFC 3339.
func (v Value) String() string {
	switch v.Kind {
	case KindMissing:
		return "missing"
	case KindNull:
		return "null"
	case KindString:
		return strconv.Quote(v.Str)
	case KindNumber:
		return FormatNumber(v.Num)
	case KindTime:
		return v.Time.Format(time.RFC3339)
	case KindDuration:
		return time.Duration(v.Int).String()
	case KindList, KindObject:
		b, err := json.Marshal(jsonable(v.Any))
		if err != nil {
			return fmt.Sprint(v.Any)
		}
		s := string(b)
		if len(s) > 48 {
			switch x := v.Any.(type) {
			case []any:
				return fmt.Sprintf("[%d items]", len(x))
			case map[string]any:
				return fmt.Sprintf("{%d fields}", len(x))
			}
			s = s[:45] + "..."
		}
		return s
	}
	b, _ := v.MarshalJSON()
	return string(b)
}

// FormatNumber renders a score or point value: whole numbers without a
// decimal point, others with up to two decimals.
func FormatNumber(f float64) string {
	f = Round(f)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
