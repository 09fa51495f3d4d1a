package model

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

var errInvalidText = errors.New("model: invalid JSON text")

// appendText appends src, a JSON value found depth levels down the value
// a result writes, as a result's JSON writes the value encoding/json
// decodes src to (objects as map[string]any, numbers as json.Number):
// without spaces, each object's members in name order and only the last
// of a name given twice, strings escaped as the result's strings are,
// numbers as written unless the result writes them otherwise, and values
// nested deeper than the result's JSON goes cut the same way. It fails
// when src is not one valid JSON value.
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

// JSONMember is a member of a JSON object: its name, unquoted, and its
// value, a JSON text.
type JSONMember struct {
	Name, Value []byte
}

// AppendJSONObject appends the object of the given members as a result's
// JSON writes the map[string]any encoding/json decodes the object to,
// found depth levels down the value it writes (0: the value itself): in
// name order, only the last member of a name, each value written as the
// result writes its decoded value (strings escaped as the result's are,
// numbers as written unless the result writes them otherwise, values
// nested too deep cut the same way). An evaluator that keeps a lead's
// objects as their text writes them with this, without decoding them. It
// sorts members in place. Each value must be one valid JSON value without
// spaces around it, as a JSON decoder reads values (a scalar is not
// checked again: one that is not valid may be written as it is); it
// returns false, and dst as it was, for an empty value or an array or
// object that is not valid.
func AppendJSONObject(dst []byte, members []JSONMember, depth int) ([]byte, bool) {
	n := len(dst)
	if depth > maxDepth {
		return append(dst, cutValue...), true
	}
	dst, err := appendMembers(dst, members, depth)
	if err != nil {
		return dst[:n], false
	}
	return dst, true
}

// textWriter reads a JSON text for appendText; writers are pooled.
type textWriter struct {
	src     bytes.Buffer
	dec     *jsontext.Decoder
	members []JSONMember
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
	if cap(w.members) > 1024 {
		return
	}
	textWriters.Put(w)
}

// next writes the value the decoder is at, which is at the given depth,
// cut as appendAny cuts it.
func (w *textWriter) next(dst, src []byte, depth int) ([]byte, error) {
	d := w.dec
	if depth > maxDepth {
		if err := d.SkipValue(); err != nil {
			return dst, err
		}
		return append(dst, cutValue...), nil
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
	return appendScalarText(dst, src[end-len(v):end]), nil
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
		w.members = append(w.members, JSONMember{Name: name, Value: src[end-len(v) : end]})
	}
	if _, err := d.ReadToken(); err != nil {
		return dst, err
	}
	dst, err := appendMembers(dst, w.members[first:], depth)
	clear(w.members[first:])
	w.members = w.members[:first]
	return dst, err
}

// appendMembers writes an object of members, at depth, in name order.
func appendMembers(dst []byte, members []JSONMember, depth int) ([]byte, error) {
	slices.SortStableFunc(members, func(a, b JSONMember) int { return bytes.Compare(a.Name, b.Name) })
	dst = append(dst, '{')
	i := 0
	var err error
	for k := range members {
		if k+1 < len(members) && bytes.Equal(members[k].Name, members[k+1].Name) {
			continue // the last member of a name wins
		}
		dst = appendKey(dst, i, string(members[k].Name))
		i++
		v := members[k].Value
		switch {
		case depth+1 > maxDepth:
			dst = append(dst, cutValue...)
		case len(v) > 0 && (v[0] == '{' || v[0] == '['):
			if dst, err = appendText(dst, v, depth+1); err != nil {
				return dst, err
			}
		default:
			if len(v) == 0 || v[0] == '"' && (len(v) < 2 || v[len(v)-1] != '"') {
				return dst, errInvalidText
			}
			dst = appendScalarText(dst, v)
		}
	}
	return append(dst, '}'), nil
}

// appendScalarText writes a checked JSON scalar, without spaces around
// it, as appendAny writes its decoded value.
func appendScalarText(dst, v []byte) []byte {
	switch v[0] {
	case '"':
		if plainText(v[1 : len(v)-1]) {
			return append(dst, v...)
		}
		var tmp [128]byte
		s, err := jsontext.AppendUnquote(tmp[:0], v)
		if err != nil {
			return appendString(dst, string(v[1:len(v)-1])) // unreachable: checked
		}
		return appendString(dst, string(s))
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
