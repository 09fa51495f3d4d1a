package model

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appendJSONText is appendText for a whole value, dst as it was when it
// fails.
func appendJSONText(dst, src []byte) ([]byte, bool) {
	n := len(dst)
	dst, err := appendText(dst, src, 0)
	if err != nil {
		return dst[:n], false
	}
	return dst, true
}

// refJSONText is what appendText must write for src: the result's JSON
// of what encoding/json decodes it to; ok is false when src is not one
// JSON value both jsontext and encoding/json accept.
func refJSONText(src []byte) (out []byte, ok bool) {
	if !jsontext.Value(src).IsValid(jsontext.AllowDuplicateNames(true)) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) != nil || dec.More() {
		return nil, false
	}
	return appendAny(nil, x, 0), true
}

// randomJSONText writes a random JSON value with random spacing, member
// order, repeated names, escapes and numbers of every spelling.
func randomJSONText(rng *rand.Rand, b *strings.Builder, depth int) {
	ws := func() {
		b.WriteString([]string{"", "", "", " ", "\n\t "}[rng.IntN(5)])
	}
	str := func() {
		pieces := []string{"a", "b", "é", "😀", "<>&", "\u2028", `\u2029`, `\n`, `\"`, `\\`, `\u0041`, `\ud83d\ude00`, `\/`, " ", "type", "at", `\u001f`, "\t"[:0]}
		b.WriteByte('"')
		for range rng.IntN(4) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		b.WriteByte('"')
	}
	ws()
	k := rng.IntN(10)
	if depth > 5 && k >= 7 {
		k = rng.IntN(7)
	}
	switch k {
	case 0:
		b.WriteString([]string{"null", "true", "false"}[rng.IntN(3)])
	case 1, 2:
		b.WriteString([]string{"0", "-0", "12", "-3.5", "1e5", "1E-7", "2.50", "1e400", "-1e400", "123456789012345678901234567890",
			"0.1", "4.9e-324", "1.7976931348623157e308", "1e-400"}[rng.IntN(14)])
	case 3, 4, 5, 6:
		str()
	case 7:
		b.WriteByte('[')
		for i := range rng.IntN(5) {
			if i > 0 {
				ws()
				b.WriteByte(',')
			}
			randomJSONText(rng, b, depth+1)
		}
		ws()
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i := range rng.IntN(6) {
			if i > 0 {
				ws()
				b.WriteByte(',')
			}
			ws()
			if rng.IntN(2) == 0 {
				b.WriteString(`"` + []string{"a", "b", "ab", "a ", "a!", "é", "😀", `\u0061`, "type", "at", "", `a\"`}[rng.IntN(12)] + `"`)
			} else {
				str()
			}
			ws()
			b.WriteByte(':')
			randomJSONText(rng, b, depth+1)
		}
		ws()
		b.WriteByte('}')
	}
	ws()
}

func TestAppendJSONText_matchesDecoded(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 5000 {
		var b strings.Builder
		randomJSONText(rng, &b, 0)
		src := []byte(b.String())
		want, ok := refJSONText(src)
		require.True(t, ok, "the generator wrote invalid JSON: %s", src)
		got, ok := appendJSONText([]byte("prefix"), src)
		require.True(t, ok, "case %d: %s", i, src)
		require.Equal(t, "prefix"+string(want), string(got), "case %d: %s", i, src)
	}
}

func TestAppendJSONText_edges(t *testing.T) {
	deep := strings.Repeat("[", 70) + "1" + strings.Repeat("]", 70)
	deepObject := strings.Repeat(`{"a":`, 70) + `"x"` + strings.Repeat("}", 70)
	for _, src := range []string{
		deep, deepObject,
		strings.Repeat("[", 64) + `{"b":1,"a":[2]}` + strings.Repeat("]", 64),
		`[{"at":"2026-10-01T10:00:00Z","type":"webinar","type":"page"}]`,
		`{"a":1,"a":{"z":1,"y":2},"a":3}`,
		`  "padded"  `, `[]`, `{}`, `""`, `-0`, `1e400`,
		`{"\u00e9":1,"é":2}`,
	} {
		want, ok := refJSONText([]byte(src))
		require.True(t, ok, src)
		got, ok := appendJSONText(nil, []byte(src))
		require.True(t, ok, src)
		assert.Equal(t, string(want), string(got), src)
	}
	for _, src := range []string{``, `[`, `{"a":}`, `[1,]`, `1 2`, `[1] x`, `{"a":1`, "\"\xff\"", `nul`, `"\ud800"`} {
		got, ok := appendJSONText([]byte("kept"), []byte(src))
		assert.False(t, ok, "%q", src)
		assert.Equal(t, "kept", string(got), "%q", src)
	}
}

func TestAppendJSONText_noAllocs(t *testing.T) {
	src := []byte(`[{"type":"webinar", "at":"2026-10-01T10:00:00Z","url":"/a\u0062"},{"url":"/x","at":"2026-10-02T10:00:00Z","type":"page"}]`)
	buf, _ := appendJSONText(nil, src)
	allocs := testing.AllocsPerRun(100, func() { buf, _ = appendJSONText(buf[:0], src) })
	assert.Zero(t, allocs)
}

func FuzzAppendJSONText(f *testing.F) {
	for _, s := range []string{`[{"b":1,"a":2}]`, `{"a":1,"a":2}`, `[1e400, "\u2028", "\ud83d\ude00"]`, `{"é":{"x":[true,null]}}`, `"\ud800"`, ` [ ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		want, ok := refJSONText(src)
		got, gotOK := appendJSONText(nil, src)
		if !ok {
			if gotOK && jsontext.Value(src).IsValid(jsontext.AllowDuplicateNames(true)) {
				return // jsontext accepts what encoding/json does not: not a lead's text
			}
			if gotOK {
				t.Fatalf("accepted invalid JSON %q: %s", src, got)
			}
			return
		}
		if !gotOK || !bytes.Equal(got, want) {
			t.Fatalf("appendJSONText(%q) = %s, %v; want %s", src, got, gotOK, want)
		}
	})
}

// TestAppendJSONObject: an object given as its members is written as the
// object's text would be.
func TestAppendJSONObject(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range 3000 {
		var members []JSONMember
		var text strings.Builder
		text.WriteByte('{')
		for k := range rng.IntN(6) {
			name := []string{"a", "b", "ab", "a ", "a!", "é", "😀", "type", "at", "", `a"`, "\u2028", "\u2029x"}[rng.IntN(13)]
			var v strings.Builder
			randomJSONText(rng, &v, 1)
			value := strings.TrimSpace(v.String())
			if k > 0 {
				text.WriteByte(',')
			}
			quoted, err := json.Marshal(name)
			require.NoError(t, err)
			text.Write(quoted)
			text.WriteByte(':')
			text.WriteString(value)
			members = append(members, JSONMember{Name: []byte(name), Value: []byte(value)})
		}
		text.WriteByte('}')
		depth := rng.IntN(3)
		if rng.IntN(10) == 0 {
			depth = 60 + rng.IntN(6) // at 65, the object itself is cut
		}
		// The object's text written one level deeper, inside depth arrays.
		src := strings.Repeat("[", depth) + text.String() + strings.Repeat("]", depth)
		want, ok := refJSONText([]byte(src))
		require.True(t, ok, src)
		got, ok := AppendJSONObject([]byte(strings.Repeat("[", depth)), members, depth)
		require.True(t, ok, "case %d: %s", i, src)
		require.Equal(t, string(want), string(got)+strings.Repeat("]", depth), "case %d: %s", i, src)
	}
	got, ok := AppendJSONObject([]byte("kept"), []JSONMember{{Name: []byte("a"), Value: []byte("[1,")}}, 0)
	assert.False(t, ok)
	assert.Equal(t, "kept", string(got))
	got, ok = AppendJSONObject([]byte("kept"), []JSONMember{{Name: []byte("a"), Value: nil}}, 0)
	assert.False(t, ok)
	assert.Equal(t, "kept", string(got))
}
