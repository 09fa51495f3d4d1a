package model

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The golden results of the examples (written by eval's tests) are read back
// into Results here, so that the model package can measure and check its
// JSON on real traces without importing eval.

// goldenResults returns the results of testdata/golden/<policy>/*.json, by
// file name (policy/lead).
func goldenResults(tb testing.TB, policy string) map[string]*Result {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "golden", policy, "*.json"))
	require.NoError(tb, err)
	require.NotEmpty(tb, files)
	out := make(map[string]*Result, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(tb, err)
		name := filepath.Base(filepath.Dir(f)) + "/" + strings.TrimSuffix(filepath.Base(f), ".json")
		out[name] = resultFromJSON(tb, b)
	}
	return out
}

// object is a JSON object with its keys in their order.
type object []member

type member struct {
	key string
	val any
}

func (o object) get(key string) any {
	for _, m := range o {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// decodeOrdered decodes one JSON value, objects as object and numbers as
// json.Number.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		var o object
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, member{k.(string), v})
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		l := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := dec.Token()
		return l, err
	}
	return tok, nil
}

// resultFromJSON builds the Result whose JSON b is. Values take the kinds
// the evaluator gives them: whole numbers are ints, strings that are times
// in RFC 3339 are times, objects in lists keep their json.Numbers.
func resultFromJSON(tb testing.TB, b []byte) *Result {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	x, err := decodeOrdered(dec)
	require.NoError(tb, err)
	o := x.(object)
	str := func(x any) string { s, _ := x.(string); return s }
	num := func(x any) float64 {
		n, _ := x.(json.Number)
		f, _ := n.Float64()
		return f
	}
	integer := func(x any) int { return int(num(x)) }

	r := &Result{}
	pol := o.get("policy").(object)
	r.Policy = PolicyInfo{Name: str(pol.get("name")), Version: str(pol.get("version")), Hash: str(pol.get("hash"))}
	r.Now, err = time.Parse(time.RFC3339Nano, str(o.get("now")))
	require.NoError(tb, err)
	r.Stage = str(o.get("stage"))
	for _, m := range o.get("labels").(object) {
		r.Labels = append(r.Labels, Label{Ladder: m.key, Value: str(m.val)})
	}
	score := o.get("score").(object)
	r.Score.Total = num(score.get("total"))
	for _, m := range score.get("groups").(object) {
		g := m.val.(object)
		opt := func(x any) *float64 {
			if x == nil {
				return nil
			}
			f := num(x)
			return &f
		}
		r.Score.Groups = append(r.Score.Groups, GroupScore{Name: m.key, Points: num(g.get("points")), Raw: num(g.get("raw")), Min: opt(g.get("min")), Max: opt(g.get("max"))})
	}
	for _, m := range o.get("frameworks").(object) {
		f := m.val.(object)
		fr := FrameworkResult{Name: m.key, Met: integer(f.get("met")), Unmet: integer(f.get("unmet")), Unknown: integer(f.get("unknown")),
			Total: integer(f.get("total")), Qualified: f.get("qualified") == true}
		for _, c := range f.get("criteria").(object) {
			fr.Criteria = append(fr.Criteria, CriterionStatus{Name: c.key, Status: Status(str(c.val))})
		}
		r.Frameworks = append(r.Frameworks, fr)
	}
	for _, m := range o.get("missing").([]any) {
		r.Missing = append(r.Missing, str(m))
	}
	var trace StepList
	for _, x := range o.get("trace").([]any) {
		s := x.(object)
		st := Step{Kind: StepKind(str(s.get("kind"))), Group: str(s.get("group")), Framework: str(s.get("framework")),
			Ladder: str(s.get("ladder")), Name: str(s.get("name")), Label: str(s.get("label")),
			Outcome: Outcome(str(s.get("outcome"))), Points: num(s.get("points")), Raw: num(s.get("raw")),
			Because: str(s.get("because")), At: str(s.get("at"))}
		if s.get("matches") != nil {
			st.Each, st.Matches, st.Counted = true, integer(s.get("matches")), integer(s.get("counted"))
		}
		if st.Kind == StepLet && st.Outcome == HasValue {
			st.Value = valueFromJSON(s.get("value"))
		}
		if reads, ok := s.get("reads").(object); ok {
			for _, m := range reads {
				st.Reads = append(st.Reads, Read{Name: m.key, Value: valueFromJSON(m.val)})
			}
		}
		if missing, ok := s.get("missing").([]any); ok {
			for _, m := range missing {
				st.Missing = append(st.Missing, str(m))
			}
		}
		trace = append(trace, st)
	}
	r.SetTrace(trace)
	return r
}

// valueFromJSON is the Value the evaluator would have read for x.
func valueFromJSON(x any) Value {
	switch x := x.(type) {
	case nil:
		return Value{}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return Value{Kind: KindInt, Int: i}
		}
		f, _ := x.Float64()
		return Value{Kind: KindNumber, Num: f}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil && t.Format(time.RFC3339Nano) == x {
			return Value{Kind: KindTime, Time: t}
		}
		return Value{Kind: KindString, Str: x}
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = plainJSON(e)
		}
		return Value{Kind: KindList, Any: l}
	case object:
		return Value{Kind: KindObject, Any: plainJSON(x)}
	}
	return ValueOf(x)
}

// plainJSON turns objects into maps; numbers in lists of scalars become int
// or float64, as the evaluator converts them, those in objects stay
// json.Numbers.
func plainJSON(x any) any {
	switch x := x.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = plainJSON(e)
		}
		return l
	case object:
		m := make(map[string]any, len(x))
		for _, e := range x {
			if _, isNum := e.val.(json.Number); isNum {
				m[e.key] = e.val
			} else {
				m[e.key] = plainJSON(e.val)
			}
		}
		return m
	}
	return x
}

// BenchmarkAppendJSON writes the acme example's golden results, each with
// its full trace, into a buffer that has room.
func BenchmarkAppendJSON(b *testing.B) {
	results := goldenResults(b, "acme")
	for _, name := range []string{"acme/vp", "acme/sparse"} {
		r := results[name]
		b.Run(strings.TrimPrefix(name, "acme/"), func(b *testing.B) {
			buf := r.AppendJSON(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = r.AppendJSON(buf[:0])
			}
		})
	}
}
