package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

// MaxFactsSize is the largest JSON document Evaluate accepts for one lead.
const MaxFactsSize = 8 << 20

// maxDepth bounds the nesting of the values the evaluator copies or walks
// (events, untyped leads), so that a hostile document, or a cyclic Go
// value, cannot exhaust the stack. encoding/json bounds the decoding itself.
const maxDepth = 64

// FactError is a problem with one fact of a lead: a required fact that is
// missing, or a value of the wrong type.
type FactError struct {
	// Path is the fact's path, with list indexes: "events[2].at".
	Path string
	// Want is the type the policy declares; Found renders the value given.
	Want  string
	Found string
	// Missing is set for a required fact the lead lacks.
	Missing bool
}

// Error says what is wrong with the fact.
func (e *FactError) Error() string {
	if e.Missing {
		return e.Path + ": required fact is missing"
	}
	return fmt.Sprintf("%s: expected %s, found %s", e.Path, e.Want, e.Found)
}

// gatherFacts returns the fact errors of one lead as one error.
func gatherFacts(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	merr := &multierror.Error{Errors: errs, ErrorFormat: func(es []error) string {
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = e.Error()
		}
		return fmt.Sprintf("%d fact errors: %s", len(es), strings.Join(parts, "; "))
	}}
	return merr
}

// FactErrors returns the fact errors inside an error from Evaluate.
func FactErrors(err error) []*FactError {
	var out []*FactError
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			var fe *FactError
			if errors.As(e, &fe) {
				out = append(out, fe)
			}
		}
		return out
	}
	var fe *FactError
	if errors.As(err, &fe) {
		out = append(out, fe)
	}
	return out
}

// InputError is a lead that cannot be read at all: malformed JSON, or a
// value that is not an object.
type InputError struct {
	Msg string
}

// Error describes the problem.
func (e *InputError) Error() string { return "invalid lead: " + e.Msg }

// jsonBytes returns the JSON of facts given in one of the JSON forms
// Evaluate accepts ([]byte, json.RawMessage, string, io.Reader) or as a
// struct (or a pointer to one, or a map of another type) for encoding/json
// to marshal; isJSON is false for a map[string]any and for nil.
func jsonBytes(facts any) (b []byte, isJSON bool, err error) {
	switch f := facts.(type) {
	case map[string]any, nil:
		return nil, false, nil
	case []byte:
		return f, true, nil
	case json.RawMessage:
		return f, true, nil
	case string:
		return []byte(f), true, nil
	case io.Reader:
		b, err := io.ReadAll(io.LimitReader(f, MaxFactsSize+1))
		if err != nil {
			return nil, true, &InputError{Msg: err.Error()}
		}
		return b, true, nil
	}
	b, err = marshalFacts(facts)
	return b, true, err
}

// marshalFacts returns the JSON of facts given as a struct (or a pointer to
// one) with json tags, or as a map other than map[string]any.
func marshalFacts(facts any) ([]byte, error) {
	v := reflect.ValueOf(facts)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, &InputError{Msg: "no facts (nil pointer)"}
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct && v.Kind() != reflect.Map {
		return nil, &InputError{Msg: fmt.Sprintf("facts must be an object, a map or a struct, not %s", v.Type())}
	}
	b, err := json.Marshal(facts)
	if err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	return b, nil
}

// decodeJSON decodes one lead, keeping numbers exact (json.Number).
func decodeJSON(b []byte) (map[string]any, error) {
	if len(b) > MaxFactsSize {
		return nil, &InputError{Msg: fmt.Sprintf("lead is %d bytes; the limit is %d", len(b), MaxFactsSize)}
	}
	v, err := decodeAny(b)
	switch {
	case errors.Is(err, errMoreValues):
		return nil, &InputError{Msg: "more than one JSON value"}
	case err != nil:
		return nil, &InputError{Msg: jsonErrorText(b, err)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &InputError{Msg: fmt.Sprintf("a lead must be a JSON object, not %s", describe(v))}
	}
	return m, nil
}

// errMoreValues is decodeAny's error for a text with more after its value.
var errMoreValues = errors.New("more than one JSON value")

// decodeAny decodes one JSON value as encoding/json decodes a lead:
// objects as map[string]any, arrays as []any, numbers as json.Number.
func decodeAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errMoreValues
	}
	return v, nil
}

// jsonErrorText adds the line and column to encoding/json's syntax errors.
func jsonErrorText(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset) - 1 // Offset counts the byte in error
		if off < 0 {
			off = 0
		}
		p := parser.NewSource("", string(b)).PosAt(off)
		return fmt.Sprintf("JSON syntax error at line %d, column %d: %s", p.Line, p.Column, se.Error())
	}
	if errors.Is(err, io.EOF) {
		return "empty input"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "JSON ends early"
	}
	return err.Error()
}

// describe renders a value found in a lead for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		s := x
		if len(s) > 40 {
			s = s[:37] + "..."
		}
		return strconv.Quote(s)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return fmt.Sprint(v)
}

// node decodes one fact node of a typed lead into its slot, recording a
// FactError for a value of the wrong type or a missing required fact.
// Facts the schema does not declare are ignored.
func (r *run) node(n *rules.FactNode, x any) {
	if r.lenient && x == "" && (n.IsObject() || n.Type.Kind != model.KindString) {
		x = nil
	}
	if x == nil {
		r.missing(n)
		return
	}
	if n.IsObject() {
		m, ok := x.(map[string]any)
		if !ok {
			r.errs = append(r.errs, &FactError{Path: n.Path, Want: "an object", Found: describe(x)})
			return
		}
		// Slots are zero here (see below): set only what an object uses.
		dst := &r.slots[n.Index]
		dst.Kind, dst.Any = model.KindObject, m
		for _, c := range n.Children {
			r.node(c, m[c.Name])
		}
		return
	}
	// Slots are zero when decoding starts (finish clears them): the fast
	// paths for values of the declared type set only the fields they use.
	dst := &r.slots[n.Index]
	switch n.Type.Kind {
	case model.KindString:
		if s, ok := x.(string); ok {
			dst.Kind, dst.Str = model.KindString, s
			return
		}
	case model.KindBool:
		if b, ok := x.(bool); ok {
			dst.Kind, dst.Bool = model.KindBool, b
			return
		}
	case model.KindNumber:
		switch v := x.(type) {
		case float64:
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				dst.Kind, dst.Num = model.KindNumber, v
				return
			}
		case json.Number:
			if f, err := strconv.ParseFloat(string(v), 64); err == nil {
				dst.Kind, dst.Num = model.KindNumber, f
				return
			}
		}
	case model.KindInt:
		switch v := x.(type) {
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				dst.Kind, dst.Int = model.KindInt, int64(v)
				return
			}
		case json.Number:
			if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				dst.Kind, dst.Int = model.KindInt, i
				return
			}
		}
	case model.KindTime:
		if s, ok := x.(string); ok {
			if tm, err := rules.ParseTime(s); err == nil {
				dst.Kind, dst.Time = model.KindTime, tm
				return
			}
		}
	case model.KindList:
		if n.Type.Elem.Event {
			r.events(n, x)
			return
		}
		if n.Type.Elem.Kind == model.KindString && allStrings(x) {
			dst.Kind, dst.Any = model.KindList, x
			return
		}
	}
	if v, ok := r.convert(n.Type, x, n.Path); ok {
		r.slots[n.Index] = v
	}
}

// missing records an absent fact, and an error for each required fact at
// or under it.
func (r *run) missing(n *rules.FactNode) {
	if !n.IsObject() {
		if n.Required {
			r.errs = append(r.errs, &FactError{Path: n.Path, Missing: true})
		}
		return
	}
	for _, c := range n.Children {
		r.missing(c)
	}
}

// convert checks one value against its declared type and returns it as a
// Value. Scalars never allocate; a list is kept as given when its elements
// are already of the type expressions compute with.
func (r *run) convert(t *rules.Type, x any, path string) (model.Value, bool) {
	fail := func() (model.Value, bool) {
		r.errs = append(r.errs, &FactError{Path: path, Want: t.String(), Found: describe(x)})
		return model.Value{}, false
	}
	if str, ok := x.(string); ok && r.lenient {
		if v, ok := fromString(t, str); ok {
			return model.ValueOf(v), true
		}
	}
	switch t.Kind {
	case model.KindBool:
		if b, ok := x.(bool); ok {
			return model.Value{Kind: model.KindBool, Bool: b}, true
		}
	case model.KindString:
		if s, ok := x.(string); ok {
			return model.Value{Kind: model.KindString, Str: s}, true
		}
	case model.KindInt:
		if i, ok := toInt(x); ok {
			return model.Value{Kind: model.KindInt, Int: int64(i)}, true
		}
	case model.KindNumber:
		if f, ok := toFloat(x); ok {
			return model.Value{Kind: model.KindNumber, Num: f}, true
		}
	case model.KindTime:
		switch v := x.(type) {
		case time.Time:
			return model.Value{Kind: model.KindTime, Time: v}, true
		case string:
			if tm, err := rules.ParseTime(v); err == nil {
				return model.Value{Kind: model.KindTime, Time: tm}, true
			}
		}
	case model.KindDuration:
		switch v := x.(type) {
		case time.Duration:
			return model.Value{Kind: model.KindDuration, Int: int64(v)}, true
		case string:
			if dur, ok := parser.ParseDuration(v); ok {
				return model.Value{Kind: model.KindDuration, Int: int64(dur)}, true
			}
		}
	case model.KindList:
		return r.list(t, x, path)
	case model.KindMissing:
		p, ok := plain(x, 1)
		if ok {
			return model.ValueOf(p), true
		}
	}
	return fail()
}

// list checks a list fact. Lists of strings and bools are kept as given;
// other lists are converted to the element types expressions use.
func (r *run) list(t *rules.Type, x any, path string) (model.Value, bool) {
	items, ok := toList(x)
	if !ok {
		r.errs = append(r.errs, &FactError{Path: path, Want: t.String(), Found: describe(x)})
		return model.Value{}, false
	}
	keep := t.Elem.Kind == model.KindString || t.Elem.Kind == model.KindBool
	var out []any
	if !keep {
		out = make([]any, len(items))
	}
	good := true
	for i, item := range items {
		v, ok := r.convertElem(t.Elem, item, path, i)
		if !ok {
			good = false
			continue
		}
		if !keep {
			out[i] = v.Interface()
		}
	}
	if !good {
		return model.Value{}, false
	}
	if keep {
		if _, isList := x.([]any); isList {
			return model.Value{Kind: model.KindList, Any: x}, true // no new interface
		}
		out = items
	}
	return model.Value{Kind: model.KindList, Any: out}, true
}

// convertElem converts a list element, naming it path[i] only on error.
func (r *run) convertElem(t *rules.Type, x any, path string, i int) (model.Value, bool) {
	n := len(r.errs)
	v, ok := r.convert(t, x, "")
	for j := n; j < len(r.errs); j++ {
		if fe, isFact := r.errs[j].(*FactError); isFact {
			fe.Path = elemPath(path, i) + fe.Path
		}
	}
	return v, ok
}

func elemPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// events checks a list of events: each an object with a string type and a
// time at. The list is kept as given; the at times go to r.times.
func (r *run) events(n *rules.FactNode, x any) {
	items, ok := toList(x)
	if !ok {
		r.errs = append(r.errs, &FactError{Path: n.Path, Want: n.Type.String(), Found: describe(x)})
		return
	}
	times := r.times[n.Index][:0]
	// The types are kept for each rules that test nothing else.
	types := r.e.typeMatch != nil && r.e.typeMatch[n.Index]
	if types {
		r.fields[n.Index] = r.fields[n.Index][:0]
	}
	good := true
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			r.errs = append(r.errs, &FactError{Path: elemPath(n.Path, i), Want: "an event (an object with type and at)", Found: describe(item)})
			good = false
			continue
		}
		if typ, present := m["type"]; !present || typ == nil {
			r.errs = append(r.errs, &FactError{Path: elemPath(n.Path, i) + ".type", Missing: true})
			good = false
		} else if s, ok := typ.(string); !ok {
			r.errs = append(r.errs, &FactError{Path: elemPath(n.Path, i) + ".type", Want: "string", Found: describe(typ)})
			good = false
		} else if types {
			r.fields[n.Index] = append(r.fields[n.Index], s)
		}
		at, present := m["at"]
		var tm time.Time
		switch v := at.(type) {
		case time.Time:
			tm = v
		case string:
			t, err := rules.ParseTime(v)
			if err != nil {
				r.errs = append(r.errs, &FactError{Path: elemPath(n.Path, i) + ".at", Want: "time", Found: describe(at)})
				good = false
			}
			tm = t
		default:
			if !present || at == nil {
				r.errs = append(r.errs, &FactError{Path: elemPath(n.Path, i) + ".at", Missing: true})
			} else {
				r.errs = append(r.errs, &FactError{Path: elemPath(n.Path, i) + ".at", Want: "time", Found: describe(at)})
			}
			good = false
		}
		times = append(times, tm)
	}
	r.times[n.Index] = times
	if good {
		// x already holds the list as an interface: storing it as it is
		// does not allocate, unlike converting items back.
		if _, isList := x.([]any); !isList {
			x = items
		}
		r.slots[n.Index] = model.Value{Kind: model.KindList, Any: x}
	}
}

// plain returns a copy of x with json.Numbers (at any depth) turned into
// int or float64, the types expressions compute with. It never changes x.
// It fails on values nested deeper than maxDepth (or cyclic).
func plain(x any, depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch v := x.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i), true
		}
		f, _ := v.Float64()
		return f, true
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			p, ok := plain(e, depth+1)
			if !ok {
				return nil, false
			}
			out[k] = p
		}
		return out, true
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			p, ok := plain(e, depth+1)
			if !ok {
				return nil, false
			}
			out[i] = p
		}
		return out, true
	}
	return x, true
}

// fromString converts a number or boolean written as a string, for
// WithLenientStrings and for CSV input.
func fromString(t *rules.Type, s string) (any, bool) {
	s = strings.TrimSpace(s)
	switch t.Kind {
	case model.KindInt:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return int(i), true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), true
		}
	case model.KindNumber:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	case model.KindBool:
		if b, err := strconv.ParseBool(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func toInt(x any) (int, bool) {
	switch v := x.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case int32:
		return int(v), true
	case int16:
		return int(v), true
	case int8:
		return int(v), true
	case uint:
		return int(v), v <= math.MaxInt
	case uint64:
		return int(v), v <= math.MaxInt
	case uint32:
		return int(v), true
	case uint16:
		return int(v), true
	case uint8:
		return int(v), true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return int(i), true
		}
		f, err := v.Float64()
		if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v), true
		}
	case float32:
		if float64(v) == math.Trunc(float64(v)) && math.Abs(float64(v)) < 1<<24 {
			return int(v), true
		}
	}
	return 0, false
}

func toFloat(x any) (float64, bool) {
	switch v := x.(type) {
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case float32:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	if i, ok := toInt(x); ok {
		return float64(i), true
	}
	return 0, false
}

func toList(x any) ([]any, bool) {
	if l, ok := x.([]any); ok {
		return l, true
	}
	v := reflect.ValueOf(x)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, v.Len())
	for i := range out {
		out[i] = v.Index(i).Interface()
	}
	return out, true
}

// lookup finds a dynamic fact by its path in an untyped lead.
func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, seg := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = obj[seg]
		if !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// allStrings reports whether x is a []any of strings only, which a
// list<string> fact keeps as it is.
func allStrings(x any) bool {
	items, ok := x.([]any)
	if !ok {
		return false
	}
	for _, item := range items {
		if _, ok := item.(string); !ok {
			return false
		}
	}
	return true
}
