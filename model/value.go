// Package model holds the plain data that qualify produces and shares
// between its packages: fact values, results, group scores, framework
// results, trace steps and outcomes, with their JSON form and the Explain
// text. It depends on nothing else in the module.
package model

import (
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
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return Value{Kind: KindInt, Int: i}
		}
		f, err := x.Float64()
		if err != nil {
			return Value{Kind: KindString, Str: string(x)}
		}
		return Value{Kind: KindNumber, Num: f}
	case uint:
		return Value{Kind: KindInt, Int: int64(x)}
	case uint64:
		return Value{Kind: KindInt, Int: int64(x)}
	case uint32:
		return Value{Kind: KindInt, Int: int64(x)}
	case int16:
		return Value{Kind: KindInt, Int: int64(x)}
	case int8:
		return Value{Kind: KindInt, Int: int64(x)}
	case uint16:
		return Value{Kind: KindInt, Int: int64(x)}
	case uint8:
		return Value{Kind: KindInt, Int: int64(x)}
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
		s := string(appendAny(nil, v.Any, 0))
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
	return string(v.appendJSON(nil))
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

// clone returns v with its list or object copied, at every depth, so that
// it shares no memory with v.
func (v Value) clone() Value {
	if v.Any != nil {
		v.Any = deepCopy(v.Any)
	}
	return v
}

// deepCopy copies the lists ([]any) and objects (map[string]any) in x.
func deepCopy(x any) any {
	switch x := x.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	}
	return x
}
