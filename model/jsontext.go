package model

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// AppendJSONText appends src, a JSON value, as a result's JSON writes the
// value encoding/json decodes src to (objects as map[string]any, numbers
// as json.Number): without spaces, each object's members in name order
// and only the last of a name given twice, strings escaped as the
// result's strings are, numbers as written unless the result writes them
// otherwise, and values nested deeper than the result's JSON goes cut the
// same way. An evaluator that keeps a value of a lead as its text writes
// it with this, without decoding it. It returns false, and dst as it was,
// when src is not one valid JSON value.
func AppendJSONText(dst, src []byte) ([]byte, bool) {
	n := len(dst)
	dst, err := appendText(dst, src, 0)
	if err != nil {
		return dst[:n], false
	}
	return dst, true
}

var errInvalidText = errors.New("model: invalid JSON text")

// appendText writes the JSON value src, found at the given depth.
func appendText(dst, src []byte, depth int) ([]byte, error) {
	w := textWriters.Get().(*textWriter)
	defer w.put()
	w.src = *bytes.NewBuffer(src)
	w.dec.Reset(&w.src, jsontext.AllowDuplicateNames(true))
	dst, err := w.next(dst, src, depth)
	if err != nil {
		return dst, err
	}
	if _, err := w.dec.ReadToken(); err != io.EOF {
		return dst, errInvalidText // more after the value, or a bad one
	}
	return dst, nil
}

// textWriter reads a JSON text for appendText; writers are pooled.
type textWriter struct {
	src     bytes.Buffer
	dec     *jsontext.Decoder
	members []textMember
	buf     []byte
}

// textMember is a member of an object being written: its name, unquoted,
// and where its value is in the text.
type textMember struct {
	name       []byte
	start, end int
}

var textWriters = sync.Pool{New: func() any {
	w := &textWriter{}
	w.dec = jsontext.NewDecoder(&w.src, jsontext.AllowDuplicateNames(true))
	return w
}}

// put drops the text and pools w, unless it grew large.
func (w *textWriter) put() {
	w.src = bytes.Buffer{}
	w.dec.Reset(&w.src, jsontext.AllowDuplicateNames(true))
	clear(w.members)
	w.members = w.members[:0]
	if cap(w.members) > 1024 || cap(w.buf) > 64<<10 {
		return
	}
	textWriters.Put(w)
}

// next writes the value the decoder is at, which is at the given depth,
// cut as appendAny cuts it.
func (w *textWriter) next(dst, src []byte, depth int) ([]byte, error) {
	d := w.dec
	if depth > 64 {
		if err := d.SkipValue(); err != nil {
			return dst, err
		}
		return append(dst, `"..."`...), nil
	}
	switch d.PeekKind() {
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return dst, err
		}
		dst = append(dst, '[')
		for i := 0; d.PeekKind() != ']'; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = w.next(dst, src, depth+1); err != nil {
				return dst, err
			}
		}
		_, err := d.ReadToken()
		return append(dst, ']'), err
	case '{':
		return w.object(dst, src, depth)
	}
	v, err := d.ReadValue()
	if err != nil {
		return dst, err
	}
	end := int(d.InputOffset())
	return w.scalar(dst, src[end-len(v):end]), nil
}

// object writes the object the decoder is at: its members are gathered,
// then written in name order, each value read again on its own (the
// values of one object are few; containers among them are rare in leads).
func (w *textWriter) object(dst, src []byte, depth int) ([]byte, error) {
	d := w.dec
	if _, err := d.ReadToken(); err != nil {
		return dst, err
	}
	first := len(w.members)
	for d.PeekKind() != '}' {
		quoted, err := d.ReadValue()
		if err != nil {
			return dst, err
		}
		end := int(d.InputOffset())
		name := src[end-len(quoted)+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			if name, err = jsontext.AppendUnquote(nil, src[end-len(quoted):end]); err != nil {
				return dst, err
			}
		}
		v, err := d.ReadValue()
		if err != nil {
			return dst, err
		}
		end = int(d.InputOffset())
		w.members = append(w.members, textMember{name: name, start: end - len(v), end: end})
	}
	if _, err := d.ReadToken(); err != nil {
		return dst, err
	}
	members := w.members[first:]
	slices.SortStableFunc(members, func(a, b textMember) int { return bytes.Compare(a.name, b.name) })
	dst = append(dst, '{')
	i := 0
	var err error
	for k := range members {
		if k+1 < len(members) && bytes.Equal(members[k].name, members[k+1].name) {
			continue // the last member of a name wins
		}
		dst = appendKey(dst, i, string(members[k].name))
		i++
		v := src[members[k].start:members[k].end]
		switch {
		case depth+1 > 64:
			dst = append(dst, `"..."`...)
		case v[0] == '{' || v[0] == '[':
			if dst, err = appendText(dst, v, depth+1); err != nil {
				return dst, err
			}
		default:
			dst = w.scalar(dst, v)
		}
	}
	clear(members)
	w.members = w.members[:first]
	return append(dst, '}'), nil
}

// scalar writes a checked JSON scalar as appendAny writes its decoded
// value.
func (w *textWriter) scalar(dst, v []byte) []byte {
	switch v[0] {
	case '"':
		if plainText(v[1 : len(v)-1]) {
			return append(dst, v...)
		}
		var err error
		if w.buf, err = jsontext.AppendUnquote(w.buf[:0], v); err != nil {
			return appendString(dst, string(v[1:len(v)-1])) // unreachable: checked
		}
		return appendString(dst, string(w.buf))
	case 't', 'f', 'n':
		return append(dst, v...)
	}
	return appendJSONNumber(dst, string(v))
}

// plainText reports whether the characters of a checked JSON string are
// written as they are: no escapes, no U+2028 or U+2029.
func plainText(s []byte) bool {
	if bytes.IndexByte(s, '\\') >= 0 {
		return false
	}
	// Both start with the byte 0xE2, rare in CRM text.
	return bytes.IndexByte(s, 0xE2) < 0 || !bytes.Contains(s, []byte("\u2028")) && !bytes.Contains(s, []byte("\u2029"))
}
