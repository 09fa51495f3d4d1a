package model

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodingJSON is how encoding/json writes s with HTML escaping off, the
// reference appendString must match.
func encodingJSON(t *testing.T, x any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(x))
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// stringCases are strings with every kind of character appendString
// treats apart, at every position relative to the words it tests.
func stringCases() []string {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f",
		"<html> & more", "é ü 日本", "line\u2028sep\u2029para", "bad \xff utf8 \xc3", "\b\f",
		"\u2027\u202a", "\xe2\x80", "\xe2\x80\xa8", "\xed\xa0\x80", "\U0010ffff", "\xf4\x90\x80\x80",
		strings.Repeat("long safe text ", 100), strings.Repeat("x", 4096) + "\n" + strings.Repeat("y", 4096),
		strings.Repeat("é\"", 50), strings.Repeat("a\u2028b", 30),
	}
	specials := []string{"\x00", "\x1f", " ", "!", "\"", "#", "\\", "]", "~", "\x7f", "\x80", "\xff",
		"<", ">", "&", "é", "日", "\u2028", "\u2029", "\U0001F600", "\xc3", "\xe2\x80"}
	for n := 0; n <= 34; n++ {
		for _, sp := range specials {
			for i := 0; i <= n; i++ {
				cases = append(cases, strings.Repeat("a", i)+sp+strings.Repeat("b", n-i))
			}
		}
	}
	return cases
}

func TestAppendString_matchesEncodingJSON(t *testing.T) {
	for _, s := range stringCases() {
		want := encodingJSON(t, s)
		require.Equal(t, want, string(appendString(nil, s)), "%q", s)
		require.Equal(t, string(refAppendString(nil, s)), string(appendString(nil, s)), "%q", s)
		// Appended after other bytes, into slices with and without room.
		for _, room := range []int{0, 1, len(want) - 1, len(want), len(want) + 8} {
			dst := make([]byte, 3, 3+room)
			copy(dst, "x:y")
			require.Equal(t, "x:y"+want, string(appendString(dst, s)), "%q with room for %d", s, room)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00\u2028\xff")
	f.Add("0123456789abcdef\n")
	f.Fuzz(func(t *testing.T, s string) {
		want := encodingJSON(t, s)
		assert.Equal(t, want, string(appendString(nil, s)))
		assert.Equal(t, "[1,"+want, string(appendString([]byte("[1,"), s)))
	})
}

// TestEscapeBits checks the word test against the table of safe bytes for
// every byte at every position of a word, and for random words.
func TestEscapeBits(t *testing.T) {
	for _, fill := range []byte{' ', '!', '#', '[', ']', 'a', '~', 0x7f} {
		for c := 0; c < 256; c++ {
			for pos := 0; pos < 8; pos++ {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				got := escapeBits(load64(string(w[:]))) != 0
				require.Equal(t, !safeASCII[c], got, "byte %#x at %d among %q", c, pos, fill)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		var w [8]byte
		want := false
		for i := range w {
			// Mostly bytes near the edges of the safe ranges.
			w[i] = []byte{0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xff, byte(rng.Uint32())}[rng.IntN(13)]
			if rng.IntN(3) > 0 {
				w[i] = 'm'
			}
			want = want || !safeASCII[w[i]]
		}
		require.Equal(t, want, escapeBits(load64(string(w[:]))) != 0, "%q", w)
	}
}

// numberCases are floats at the edges of appendNumber's ways of writing.
func numberCases() []float64 {
	cases := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 0.1, 0.2, 0.3, 1.0 / 3, -2.0 / 3, 88.7792162141, 38.779216214,
		3.779216214, 1e-7, -1e-7, 1e-9, 5e-10, 4.9e-10, -5e-10, -4.9e-10, 1e-12, -1e-12, 1e-300, -1e-300,
		123456789012345678, 1e21, -1e21, 1e15, 1e15 - 0.5, 1e15 + 2, -1e15 + 0.5, 999999.9999999999, 999999.999999999,
		1e6, 1e6 + 0.1, -1e6 - 0.1, 999999.123456789, 1<<53 + 2, 9007199254740993, 1e14 + 0.5, 1e300, -1e300,
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1),
		0.000000001, 0.0000000015, 2.5e-9, 12.000000001, 12.0000000005, 12.0000000004999, 100.1, 1234.5678,
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		var f float64
		switch rng.IntN(5) {
		case 0:
			f = math.Float64frombits(rng.Uint64())
		case 1:
			f = float64(rng.Int64N(2e15)-1e15) / 1e9 // nine decimals at most
		case 2:
			f = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(40)-20))
		case 3:
			f = float64(rng.Int64N(1e6)) + float64(rng.IntN(1000))/1000 + 1e-10*float64(rng.IntN(10)-5)
		default:
			f = float64(rng.Int64N(20000)-10000) / 100 // points and scores
		}
		cases = append(cases, f)
	}
	return cases
}

func TestAppendNumber_matchesBefore(t *testing.T) {
	for _, f := range numberCases() {
		require.Equal(t, string(refAppendNumber(nil, f)), string(appendNumber(nil, f)), "%v (%#x)", f, math.Float64bits(f))
	}
}

func FuzzAppendNumber(f *testing.F) {
	f.Add(88.7792162141)
	f.Add(-1e-12)
	f.Fuzz(func(t *testing.T, x float64) {
		assert.Equal(t, string(refAppendNumber(nil, x)), string(appendNumber(nil, x)))
	})
}

func TestAppendAny_jsonNumbers(t *testing.T) {
	for _, n := range []string{
		"0", "12", "-12", "007", "-0", "1.5", "-0.25", "1.", ".5", "-", "", "+1", "1e5", "1E-3", "1e400", "-1e400",
		"0x1p3", "Inf", "NaN", "1_000", "1.2.3", "--1", "1-", "12a", strings.Repeat("9", 300), strings.Repeat("9", 310),
		"0." + strings.Repeat("0", 298) + "1", "0." + strings.Repeat("0", 400) + "1",
	} {
		x := []any{json.Number(n)}
		got := appendAny(nil, x, 0)
		assert.True(t, json.Valid(got), "json.Number(%q) gives invalid JSON: %s", n, got)
		var back []any
		if json.Unmarshal(got, &back) == nil && len(back) == 1 {
			if f, err := strconv.ParseFloat(n, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				assert.Equal(t, f, back[0], "json.Number(%q) must keep its value", n)
			}
		}
		if isJSONNumber(n) {
			// What a JSON decoder gives is written as before.
			assert.Equal(t, string(refAppendAny(nil, x, 0)), string(got), "%q", n)
		}
	}
}

func TestIsJSONNumber(t *testing.T) {
	for _, n := range []string{"0", "-0", "12", "-12", "1.5", "0.25", "1e5", "1E-3", "1e+400", "-0.0e0"} {
		assert.True(t, isJSONNumber(n), n)
		assert.True(t, json.Valid([]byte(n)), n)
	}
	for _, n := range []string{"", "-", "007", "01", "1.", ".5", "+1", "1e", "1e+", "0x1p3", "Inf", "NaN", "1_000", "1.2.3", "--1", "1-", "12a", " 1"} {
		assert.False(t, isJSONNumber(n), n)
	}
}

// TestAppendJSON_matchesBefore compares random results, with every kind of
// value, string and number, with what the code before the fast paths wrote.
func TestAppendJSON_matchesBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	strs := stringCases()
	nums := numberCases()
	str := func() string {
		if rng.IntN(4) == 0 {
			return ""
		}
		return strs[rng.IntN(len(strs))]
	}
	num := func() float64 { return nums[rng.IntN(len(nums))] }
	tm := func() time.Time {
		return time.Date(2026, 10, rng.IntN(28)+1, rng.IntN(24), 0, 0, rng.IntN(3)*5e8, time.FixedZone("", 3600*(rng.IntN(5)-2)))
	}
	var anyValue func(depth int) any
	anyValue = func(depth int) any {
		switch rng.IntN(14) {
		case 0:
			return nil
		case 1:
			return str()
		case 2:
			return rng.IntN(2) == 0
		case 3:
			return rng.IntN(2000) - 1000
		case 4:
			return rng.Int64()
		case 5:
			return num()
		case 6:
			return json.Number([]string{"12", "-0.5", "1e400", "3.25", "1e5"}[rng.IntN(5)]) // see TestAppendAny_jsonNumbers for others
		case 7:
			return tm()
		case 8:
			return time.Duration(rng.Int64N(1e12))
		case 9:
			return []string{"a", "b<"} // written by encoding/json
		}
		if depth > 3 {
			return "deep"
		}
		if rng.IntN(2) == 0 {
			l := make([]any, rng.IntN(5))
			for i := range l {
				l[i] = anyValue(depth + 1)
			}
			return l
		}
		m := map[string]any{}
		for range rng.IntN(20) { // past 16 keys too
			m[str()] = anyValue(depth + 1)
		}
		return m
	}
	value := func() Value {
		switch k := Kind(rng.IntN(10)); k {
		case KindMissing, KindNull:
			return Value{Kind: k}
		case KindBool:
			return Value{Kind: k, Bool: rng.IntN(2) == 0}
		case KindInt, KindDuration:
			return Value{Kind: k, Int: rng.Int64N(1e12) - 5e11}
		case KindNumber:
			return Value{Kind: k, Num: num()}
		case KindString:
			return Value{Kind: k, Str: str()}
		case KindTime:
			return Value{Kind: k, Time: tm()}
		}
		return ValueOf(anyValue(0))
	}
	kinds := []StepKind{StepLet, StepCriterion, StepFramework, StepRule, StepGroup, StepTotal, StepLadder, StepLabel, "other", "odd\"kind"}
	outcomes := []Outcome{"", Matched, Unmatched, OutUnknown, OutMet, OutUnmet, HasValue, Qualified, NotQualified, NoMatch, "odd\noutcome"}
	for range 3000 {
		r := &Result{
			Policy: PolicyInfo{Name: str(), Version: str(), Hash: str()},
			Now:    time.Date(2026, 11, 1, rng.IntN(24), 0, 0, rng.IntN(1e9), time.UTC),
			Stage:  str(),
			Score:  Score{Total: num()},
		}
		// The lists are made in any order, with names that may repeat:
		// sorted by name, as an evaluator writes them, for half of the
		// results.
		sorted := rng.IntN(2) == 0
		for range rng.IntN(4) {
			r.Labels = append(r.Labels, Label{Ladder: str(), Value: str()})
		}
		for range rng.IntN(20) {
			g := GroupScore{Name: str(), Points: num(), Raw: num()}
			if rng.IntN(2) == 0 {
				lo, hi := num(), num()
				g.Min, g.Max = &lo, &hi
			}
			r.Score.Groups = append(r.Score.Groups, g)
		}
		for range rng.IntN(3) {
			f := FrameworkResult{Name: str(), Met: rng.IntN(5), Unmet: rng.IntN(5), Unknown: rng.IntN(5), Total: rng.IntN(20),
				Qualified: rng.IntN(2) == 0}
			for range rng.IntN(18) {
				f.Criteria = append(f.Criteria, CriterionStatus{Name: str(), Status: []Status{Met, Unmet, Unknown, "odd"}[rng.IntN(4)]})
			}
			if sorted {
				f.Criteria = byName(f.Criteria)
			}
			r.Frameworks = append(r.Frameworks, f)
		}
		if sorted {
			r.Labels, r.Score.Groups, r.Frameworks = byName(r.Labels), byName(r.Score.Groups), byName(r.Frameworks)
		}
		for range rng.IntN(3) {
			r.Missing = append(r.Missing, str())
		}
		var trace StepList
		for range rng.IntN(30) {
			s := Step{Kind: kinds[rng.IntN(len(kinds))], Group: str(), Framework: str(), Ladder: str(), Name: str(),
				Label: str(), Outcome: outcomes[rng.IntN(len(outcomes))], Points: num(), Raw: num(), Value: value(),
				Each: rng.IntN(2) == 0, Matches: rng.IntN(10), Counted: rng.IntN(10), Because: str(), At: str()}
			for range rng.IntN(4) {
				s.Reads = append(s.Reads, Read{Name: str(), Value: value()})
			}
			for range rng.IntN(3) {
				s.Missing = append(s.Missing, str())
			}
			trace = append(trace, s)
		}
		r.SetTrace(trace)
		want := refResultJSON(nil, r)
		got := r.AppendJSON(nil)
		require.Equal(t, string(want), string(got))
		require.True(t, json.Valid(got), "%s", got)
		require.Equal(t, "prefix"+string(want), string(r.AppendJSON([]byte("prefix"))))

		// Writing the steps through StepTexts (with some of their reads'
		// names, and some reads given as their JSON text) changes nothing.
		texted := textedSteps{StepList: trace, texts: make([]*StepText, len(trace)), values: make([][][]byte, len(trace))}
		for i := range trace {
			s := trace[i]
			var names []string
			for _, rd := range s.Reads {
				if rng.IntN(3) > 0 {
					names = append(names, rd.Name)
				}
				var text []byte
				if rng.IntN(3) == 0 {
					text = rd.Value.appendJSON(nil)
				}
				texted.values[i] = append(texted.values[i], text)
			}
			if rng.IntN(4) == 0 {
				s.Label = str() // a label the step's state gives
			}
			if rng.IntN(4) > 0 {
				texted.texts[i] = NewStepText(&s, names)
			}
		}
		r.SetTrace(texted)
		require.Equal(t, string(want), string(r.AppendJSON(nil)))
	}
}

// textedSteps is a StepList that writes each step through a StepText
// (when it has one), some reads given as their JSON text.
type textedSteps struct {
	StepList
	texts  []*StepText
	values [][][]byte
}

func (l textedSteps) AppendStep(dst []byte, i int, _ *StepBuffer) []byte {
	s := &l.StepList[i]
	if l.texts[i] == nil {
		return s.appendJSON(dst)
	}
	st := StepState{Label: s.Label, Outcome: s.Outcome, Points: s.Points, Raw: s.Raw, Matches: s.Matches,
		Counted: s.Counted, Value: &s.Value, Reads: s.Reads, Texts: l.values[i], Missing: s.Missing}
	return l.texts[i].AppendJSON(dst, &st)
}

// TestAppendJSON_noAllocs checks that writing a result into a slice that
// has room allocates nothing.
func TestAppendJSON_noAllocs(t *testing.T) {
	for name, r := range goldenResults(t, "acme") {
		buf := r.AppendJSON(nil)
		allocs := testing.AllocsPerRun(100, func() { buf = r.AppendJSON(buf[:0]) })
		assert.Zero(t, allocs, name)
	}
	d := Value{Kind: KindDuration, Int: int64(90 * time.Minute)}
	buf := d.appendJSON(nil)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = d.appendJSON(buf[:0]) }), "duration")
}

func TestAppendAny_matchesEncodingJSON(t *testing.T) {
	x := map[string]any{"b": []any{1, 2.5, "x", true, nil, json.Number("12")}, "a": map[string]any{"z": 1, "y": "<"}}
	assert.Equal(t, encodingJSON(t, x), string(appendAny(nil, x, 0)))
}

func TestResultJSON_isValidAndComplete(t *testing.T) {
	max := 60.0
	r := &Result{
		Policy: PolicyInfo{Name: "p", Version: "1", Hash: "sha256:00"},
		Now:    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Stage:  "sql",
		Labels: []Label{{Ladder: "grade", Value: "A"}, {Ladder: "stage", Value: "sql"}},
		Score:  Score{Total: 88.7792162141, Groups: []GroupScore{{Name: "fit", Points: 50, Raw: 55, Max: &max}}},
		Frameworks: []FrameworkResult{{Name: "BANT", Met: 3, Unknown: 1, Total: 4, Qualified: true,
			Criteria: []CriterionStatus{{Name: "budget", Status: Met}, {Name: "timeline", Status: Unknown}}}},
		Missing: []string{"timeline.days"},
	}
	r.SetTrace(StepList{
		{Kind: StepLet, Name: "dm", Outcome: HasValue, Value: ValueOf(true), At: "p.qual:1:1"},
		{Kind: StepRule, Group: "fit", Label: "x", Outcome: Matched, Points: 15, Each: true, Matches: 2, Counted: 1,
			Reads: Reads{{Name: "events", Value: ValueOf([]any{map[string]any{"at": "2026-10-01T00:00:00Z"}})}, {Name: "gone"}}, At: "p.qual:2:3"},
		{Kind: StepGroup, Group: "fit", Outcome: HasValue, Points: 50, Raw: 55},
	})
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.True(t, json.Valid(b))
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, 88.779216214, back["score"].(map[string]any)["total"])
	assert.Equal(t, []any{"timeline.days"}, back["missing"])
	steps := back["trace"].([]any)
	require.Len(t, steps, 3)
	assert.Equal(t, map[string]any{"kind": "rule", "group": "fit", "label": "x", "outcome": "matched", "points": 15.0,
		"matches": 2.0, "counted": 1.0, "reads": map[string]any{"events": []any{map[string]any{"at": "2026-10-01T00:00:00Z"}}, "gone": nil},
		"at": "p.qual:2:3"}, steps[1])
	assert.Equal(t, string(b), string(r.AppendJSON(nil)))

	empty, err := json.Marshal(&Result{})
	require.NoError(t, err)
	assert.Contains(t, string(empty), `"missing":[],"trace":[]`)
}

// TestAppendJSON_goldens writes the example results read back from the
// golden files and compares them with those files, as eval's test does.
func TestAppendJSON_goldens(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		for name, r := range goldenResults(t, filepath.Base(dir)) {
			var js bytes.Buffer
			enc := json.NewEncoder(&js)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			require.NoError(t, enc.Encode(r))
			want, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name+".json"))
			require.NoError(t, err)
			assert.Equal(t, string(want), js.String(), name)
			assert.Equal(t, string(refResultJSON(nil, r)), string(r.AppendJSON(nil)), name)
		}
	}
}

// The rest of this file keeps the JSON writer of results as it was before
// its fast paths (word-at-a-time string escaping, number formatting
// without strconv's float code, sorting without allocating), unchanged but
// for the ref names: the tests require the same bytes from both.

// refResult is a result as it was when its named lists were maps.
type refResult struct {
	*Result
	Labels     map[string]string
	Groups     map[string]GroupScore
	Frameworks map[string]*refFramework
}

type refFramework struct {
	*FrameworkResult
	Criteria map[string]Status
}

// refMaps returns r with its lists as maps, keeping of entries with one
// name the first, as the lookup methods do.
func refMaps(r *Result) refResult {
	m := refResult{Result: r, Labels: map[string]string{}, Groups: map[string]GroupScore{}, Frameworks: map[string]*refFramework{}}
	for _, l := range r.Labels {
		if _, ok := m.Labels[l.Ladder]; !ok {
			m.Labels[l.Ladder] = l.Value
		}
	}
	for _, g := range r.Score.Groups {
		if _, ok := m.Groups[g.Name]; !ok {
			m.Groups[g.Name] = g
		}
	}
	for i := range r.Frameworks {
		f := &r.Frameworks[i]
		if _, ok := m.Frameworks[f.Name]; ok {
			continue
		}
		rf := &refFramework{FrameworkResult: f, Criteria: map[string]Status{}}
		for _, c := range f.Criteria {
			if _, ok := rf.Criteria[c.Name]; !ok {
				rf.Criteria[c.Name] = c.Status
			}
		}
		m.Frameworks[f.Name] = rf
	}
	return m
}

// refResultJSON is Result.AppendJSON as it was before it was made faster,
// when a result's named lists were maps.
func refResultJSON(dst []byte, res *Result) []byte {
	r := refMaps(res)
	dst = append(dst, `{"policy":{"name":`...)
	dst = refAppendString(dst, r.Policy.Name)
	dst = append(dst, `,"version":`...)
	dst = refAppendString(dst, r.Policy.Version)
	dst = append(dst, `,"hash":`...)
	dst = refAppendString(dst, r.Policy.Hash)
	dst = append(dst, `},"now":"`...)
	dst = r.Now.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","stage":`...)
	dst = refAppendString(dst, r.Stage)
	dst = append(dst, `,"labels":{`...)
	for i, k := range refSortedKeys(r.Labels) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refAppendString(dst, k)
		dst = append(dst, ':')
		dst = refAppendString(dst, r.Labels[k])
	}
	dst = append(dst, `},"score":`...)
	dst = refScoreJSON(dst, r.Score.Total, r.Groups)
	dst = append(dst, `,"frameworks":{`...)
	for i, k := range refSortedKeys(r.Frameworks) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refAppendString(dst, k)
		dst = append(dst, ':')
		dst = refFrameworkJSON(dst, r.Frameworks[k])
	}
	dst = append(dst, `},"missing":[`...)
	for i, m := range r.Missing {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refAppendString(dst, m)
	}
	dst = append(dst, `],"trace":[`...)
	for i, s := range r.Trace() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refStepJSON(dst, &s)
	}
	return append(dst, "]}"...)
}

func refScoreJSON(dst []byte, total float64, groups map[string]GroupScore) []byte {
	dst = append(dst, `{"total":`...)
	dst = refAppendNumber(dst, total)
	dst = append(dst, `,"groups":{`...)
	for i, k := range refSortedKeys(groups) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refAppendString(dst, k)
		dst = append(dst, ':')
		dst = refGroupJSON(dst, groups[k])
	}
	return append(dst, "}}"...)
}

func refGroupJSON(dst []byte, g GroupScore) []byte {
	dst = append(dst, `{"points":`...)
	dst = refAppendNumber(dst, g.Points)
	dst = append(dst, `,"raw":`...)
	dst = refAppendNumber(dst, g.Raw)
	dst = append(dst, `,"min":`...)
	dst = refAppendOptNumber(dst, g.Min)
	dst = append(dst, `,"max":`...)
	dst = refAppendOptNumber(dst, g.Max)
	return append(dst, '}')
}

func refFrameworkJSON(dst []byte, f *refFramework) []byte {
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
	for i, k := range refSortedKeys(f.Criteria) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refAppendString(dst, k)
		dst = append(dst, ':')
		dst = refAppendString(dst, string(f.Criteria[k]))
	}
	return append(dst, "}}"...)
}

func refStepJSON(dst []byte, s *Step) []byte {
	dst = append(dst, `{"kind":`...)
	dst = refAppendString(dst, string(s.Kind))
	dst = refAppendField(dst, "group", s.Group)
	dst = refAppendField(dst, "framework", s.Framework)
	dst = refAppendField(dst, "ladder", s.Ladder)
	dst = refAppendField(dst, "name", s.Name)
	dst = refAppendField(dst, "label", s.Label)
	dst = refAppendField(dst, "outcome", string(s.Outcome))
	switch s.Kind {
	case StepRule:
		dst = append(dst, `,"points":`...)
		dst = refAppendNumber(dst, s.Points)
		if s.Each {
			dst = append(dst, `,"matches":`...)
			dst = strconv.AppendInt(dst, int64(s.Matches), 10)
			dst = append(dst, `,"counted":`...)
			dst = strconv.AppendInt(dst, int64(s.Counted), 10)
		}
	case StepGroup, StepTotal:
		dst = append(dst, `,"points":`...)
		dst = refAppendNumber(dst, s.Points)
		dst = append(dst, `,"raw":`...)
		dst = refAppendNumber(dst, s.Raw)
	case StepLet:
		if s.Outcome == HasValue {
			dst = append(dst, `,"value":`...)
			dst = refValueJSON(dst, &s.Value)
		}
	}
	dst = refAppendField(dst, "because", s.Because)
	if len(s.Reads) > 0 {
		dst = append(dst, `,"reads":`...)
		dst = refReadsJSON(dst, s.Reads)
	}
	if len(s.Missing) > 0 {
		dst = append(dst, `,"missing":[`...)
		for i, m := range s.Missing {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = refAppendString(dst, m)
		}
		dst = append(dst, ']')
	}
	dst = refAppendField(dst, "at", s.At)
	return append(dst, '}')
}

func refReadsJSON(dst []byte, r Reads) []byte {
	dst = append(dst, '{')
	for i := range r {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = refAppendString(dst, r[i].Name)
		dst = append(dst, ':')
		dst = refValueJSON(dst, &r[i].Value)
	}
	return append(dst, '}')
}

func refValueJSON(dst []byte, v *Value) []byte {
	switch v.Kind {
	case KindMissing, KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, v.Bool)
	case KindInt:
		return strconv.AppendInt(dst, v.Int, 10)
	case KindNumber:
		return refAppendNumber(dst, v.Num)
	case KindString:
		return refAppendString(dst, v.Str)
	case KindTime:
		dst = append(dst, '"')
		dst = v.Time.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	case KindDuration:
		return refAppendString(dst, time.Duration(v.Int).String())
	}
	return refAppendAny(dst, v.Any, 0)
}

// refAppendAny writes a list or object value of a lead, with map keys sorted
// as encoding/json sorts them, cut at 64 levels (a Go value given as facts
// may even be cyclic).
func refAppendAny(dst []byte, x any, depth int) []byte {
	if depth > 64 {
		return append(dst, `"..."`...)
	}
	switch x := x.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return refAppendString(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return refAppendNumber(dst, x)
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err == nil {
			return append(dst, x...)
		}
		return refAppendString(dst, string(x))
	case time.Time:
		dst = append(dst, '"')
		dst = x.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	case time.Duration:
		return refAppendString(dst, x.String())
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = refAppendAny(dst, e, depth+1)
		}
		return append(dst, ']')
	case map[string]any:
		dst = append(dst, '{')
		for i, k := range refSortedKeys(x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = refAppendString(dst, k)
			dst = append(dst, ':')
			dst = refAppendAny(dst, x[k], depth+1)
		}
		return append(dst, '}')
	}
	b, err := json.Marshal(x)
	if err != nil {
		return refAppendString(dst, err.Error())
	}
	return append(dst, b...)
}

func refAppendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return refAppendString(dst, value)
}

// refAppendNumber writes a float the short way: 50 rather than 50.0, rounded
// to 9 decimals; NaN and infinities, which JSON lacks, as strings.
func refAppendNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && f > -1e15 && f < 1e15 {
		return strconv.AppendInt(dst, int64(f), 10) // most scores are whole
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendQuote(dst, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return strconv.AppendFloat(dst, Round(f), 'f', -1, 64)
}

func refAppendOptNumber(dst []byte, f *float64) []byte {
	if f == nil {
		return append(dst, "null"...)
	}
	return refAppendNumber(dst, *f)
}

const refHex = "0123456789abcdef"

// refSafeASCII marks the bytes a JSON string holds as they are.
var refSafeASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// refAppendString writes s as a JSON string as encoding/json does with HTML
// escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func refAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i := 0
	for i < len(s) && refSafeASCII[s[i]] {
		i++
	}
	if i == len(s) {
		dst = append(dst, s...) // the common case: nothing to escape
		return append(dst, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if refSafeASCII[c] {
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
				dst = append(dst, '\\', 'u', '0', '0', refHex[c>>4], refHex[c&0xf])
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
			dst = append(dst, '\\', 'u', '2', '0', '2', refHex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// refSortedKeys returns the keys of m in order. Maps in results are small
// (labels, groups, frameworks, criteria), so an insertion sort on a stack
// buffer keeps this free of allocations in the common case.
func refSortedKeys[V any](m map[string]V) []string {
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

func TestResultClone_sharesNothing(t *testing.T) {
	min, max := 0.0, 60.0
	list := []any{map[string]any{"type": "webinar", "tags": []any{"a"}}}
	r := &Result{
		Policy: PolicyInfo{Name: "p", Version: "1", Hash: "sha256:00"},
		Stage:  "sql",
		Labels: []Label{{Ladder: "stage", Value: "sql"}},
		Score:  Score{Total: 50, Groups: []GroupScore{{Name: "fit", Points: 50, Raw: 55, Min: &min, Max: &max}}},
		Frameworks: []FrameworkResult{{Name: "BANT", Met: 3, Total: 4, Qualified: true,
			Criteria: []CriterionStatus{{Name: "budget", Status: Met}}}, {Name: "none"}},
		Missing: []string{"timeline.days"},
	}
	r.SetTrace(StepList{
		{Kind: StepLet, Name: "l", Outcome: HasValue, Value: ValueOf([]any{"x"})},
		{Kind: StepRule, Group: "fit", Label: "x", Outcome: OutUnknown, Missing: []string{"a"},
			Reads: Reads{{Name: "events", Value: ValueOf(list)}}},
	})
	want := string(r.AppendJSON(nil))
	c := r.Clone()
	require.Equal(t, want, string(c.AppendJSON(nil)))
	// Changing every part of r leaves the clone as it was.
	r.Labels[0].Value = "mql"
	*r.Score.Groups[0].Min = -1
	*r.Score.Groups[0].Max = 1
	r.Score.Groups[0].Points = 0
	r.Frameworks[0].Met = 0
	r.Frameworks[0].Criteria[0].Status = Unmet
	r.Frameworks[1].Name = "renamed"
	r.Missing[0] = "changed"
	list[0].(map[string]any)["type"] = "changed"
	list[0].(map[string]any)["tags"].([]any)[0] = "changed"
	r.SetTrace(nil)
	assert.Equal(t, want, string(c.AppendJSON(nil)))
	assert.Equal(t, "sql", c.Label("stage"))
	assert.Equal(t, 0.0, *c.Group("fit").Min)
	assert.Equal(t, 60.0, *c.Group("fit").Max)
	assert.Equal(t, Met, c.Framework("BANT").Criterion("budget"))
}
