package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// A lead given as JSON (or as a struct, which encoding/json marshals) to a
// policy with a fact schema is read straight into the slots, without
// building the lead as nested maps first. It is done in two passes over the
// bytes:
//
//  1. index: jsontext reads the document, checking all of it, and notes
//     where the value of each declared fact is; undeclared members are
//     skipped without being decoded. A declared fact whose value is an
//     array, or an object no member of which is indexed (one a condition
//     reads whole), is decoded at once as encoding/json would decode it:
//     objects as map[string]any, arrays as []any, numbers as json.Number.
//  2. decode: the declared facts are read in schema order, exactly as node
//     reads them from a decoded map, so errors come out in the same order
//     with the same words. Scalars of the declared type are read from their
//     bytes; every other value goes to node as encoding/json would have
//     given it.
//
// Without a trace, an event list whose only readers are field predicates
// of each rules (Evaluator.eventField) is not decoded at all: the first
// pass reads each element's field and at time into r.fields and r.times,
// and evalEach matches on those (matchFields).
//
// A member named twice counts as encoding/json counts it: the last one
// wins. jsontext is stricter than encoding/json on one thing: it rejects
// invalid UTF-8, which encoding/json turns into U+FFFD. Any document
// jsontext rejects is decoded by encoding/json instead, as before, so the
// result of a lead, and the error of a malformed one, do not depend on the
// path it took.

// jsonLead is the reusable state of the direct path, kept in a run.
type jsonLead struct {
	src bytes.Buffer
	dec *jsontext.Decoder
	// found says, by schema node, what the first pass found of the node's
	// value; raw holds its bytes (foundRaw) and decoded the value decoded
	// at once (foundDecoded).
	found   []found
	raw     [][]byte
	decoded []any
	// texts holds, with the trace on, the text of the event lists read as
	// their elements' field (foundFields), by schema node.
	texts []listText
	b     []byte
	// text is b as a string, made for the first string that readAny
	// decodes from a lead no longer than maxTextLead: the strings of the
	// arrays and objects it decodes are cut from it when they have no
	// escapes, one allocation for all of them (str).
	text string
	// keys holds the member names of event objects, and the values of
	// their tested field, seen before, so that each event does not
	// allocate its "type" and "at" (or "webinar") again.
	keys map[string]string
	// maps and lists are the result's objects and arrays from its last
	// evaluation (model.Scratch), taken in turn by readAny: a result
	// evaluated into again reuses them. nmaps and nlists count those taken.
	maps          []map[string]any
	lists         [][]any
	nmaps, nlists int
}

// maxKeys bounds jsonLead.keys; longer names are not kept either.
const (
	maxKeys   = 256
	maxKeyLen = 32
)

// maxTextLead bounds the leads whose strings are cut from one copy of the
// lead (jsonLead.text): a huge lead is not copied whole for a few strings.
const maxTextLead = 64 << 10

// str returns the string a checked JSON string literal holds; v must be
// the lead's own bytes, ending at offset end.
func (j *jsonLead) str(v []byte, end int) string {
	if len(v) <= 2 || len(j.b) > maxTextLead || bytes.IndexByte(v, '\\') >= 0 {
		return unquote(v)
	}
	if j.text == "" {
		j.text = string(j.b)
	}
	return j.text[end-len(v)+1 : end-1]
}

// scalar is scalarAny for the lead's own bytes v, ending at offset end.
func (j *jsonLead) scalar(v []byte, end int) any {
	if v[0] == '"' {
		return j.str(v, end)
	}
	return scalarAny(v)
}

// key returns the member name a quoted JSON name holds, from keys when it
// was seen before.
func (j *jsonLead) key(quoted []byte) string {
	if len(quoted) > maxKeyLen+2 {
		return unquote(quoted)
	}
	if k, ok := j.keys[string(quoted)]; ok {
		return k
	}
	k := unquote(quoted)
	if len(j.keys) < maxKeys {
		if j.keys == nil {
			j.keys = make(map[string]string)
		}
		j.keys[string(quoted)] = k
	}
	return k
}

// found is what the first pass found of a declared fact.
type found uint8

const (
	foundNothing found = iota // the lead lacks it
	foundRaw                  // a value, in raw
	foundObject               // an object, its members indexed one by one
	foundDecoded              // an array or an object, in decoded
	foundFields               // an event list in r.fields and r.times
)

// decodeJSONLead reads a JSON lead into the slots: directly when jsontext
// accepts the document, through encoding/json and a map otherwise.
func (r *run) decodeJSONLead(b []byte) error {
	if len(b) <= MaxFactsSize && r.indexJSON(b) == nil {
		r.decodeIndexed()
		r.json.release()
		if err := gatherFacts(r.errs); err != nil {
			return err
		}
		r.noteMissing()
		return nil
	}
	r.json.release()
	m, err := decodeJSON(b)
	if err != nil {
		return err
	}
	return r.decode(m)
}

// release drops every reference to the lead, so that a pooled run does not
// keep it alive.
func (j *jsonLead) release() {
	clear(j.found)
	clear(j.raw)
	clear(j.decoded)
	clear(j.texts)
	j.b, j.text = nil, ""
	if j.dec != nil {
		j.src = bytes.Buffer{}
		j.dec.Reset(&j.src) // the decoder read the lead's bytes in place
	}
}

// indexJSON is the first pass: it checks the whole document and notes where
// each declared fact's value is.
func (r *run) indexJSON(b []byte) error {
	s := r.pol.Schema
	j := &r.json
	if j.dec == nil {
		j.dec = jsontext.NewDecoder(&j.src, jsontext.AllowDuplicateNames(true))
	}
	if len(j.found) != len(s.Nodes) {
		j.found = make([]found, len(s.Nodes))
		j.raw = make([][]byte, len(s.Nodes))
		j.decoded = make([]any, len(s.Nodes))
		j.texts = make([]listText, len(s.Nodes))
	}
	j.b = b
	// A bytes.Buffer is read in place, without copying the lead.
	j.src = *bytes.NewBuffer(b)
	j.dec.Reset(&j.src, jsontext.AllowDuplicateNames(true))
	if j.dec.PeekKind() != '{' {
		return errNotIndexed
	}
	if _, err := j.dec.ReadToken(); err != nil {
		return err
	}
	if err := r.indexObject(s.Root); err != nil {
		return err
	}
	if _, err := j.dec.ReadToken(); err != io.EOF {
		return errNotIndexed // more after the lead: encoding/json says what
	}
	return nil
}

var (
	errNotIndexed = errors.New("not indexed")
	// errNeedMaps sends a lead to the map path.
	errNeedMaps = errors.New("an event list needs its elements")
)

// indexEventFields reads an event list that only field predicates read:
// each element's field and at time go to r.fields and r.times, and no
// element is built. A list with anything but well-formed events whose
// field is a string gives errNeedMaps: the map path reports it.
//
// With the trace on, the list's text is kept for the trace to show
// (state.texts), with the text the result's JSON writes for it, written
// from the members of its events as they are read.
func (r *run) indexEventFields(n *rules.FactNode, field string) error {
	j := &r.json
	d := j.dec
	if _, err := d.ReadToken(); err != nil { // [
		return err
	}
	trace := r.rec != nil
	begin := int(d.InputOffset()) - 1
	// With the trace on, the list is written as the result's JSON writes
	// it into r.textBuf as it is read, each event from its members.
	out := len(r.textBuf)
	if trace {
		r.textBuf = append(r.textBuf, '[')
	}
	fields, times := r.fields[n.Index][:0], r.times[n.Index][:0]
	for d.PeekKind() != ']' {
		if d.PeekKind() != '{' {
			return errNeedMaps
		}
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		members := r.members[:0]
		var typ, at, fv []byte // the last of each name counts
		var err error
		for d.PeekKind() != '}' {
			var name []byte
			if name, err = d.ReadValue(); err != nil {
				return err
			}
			key := nameOf(name)
			isType, isAt, isField := string(key) == "type", string(key) == "at", string(key) == field
			if !isType && !isAt && !isField && !trace {
				if err := d.SkipValue(); err != nil {
					return err
				}
				continue
			}
			v, err := d.ReadValue()
			if err != nil {
				return err
			}
			end := int(d.InputOffset())
			v = j.b[end-len(v) : end : end]
			if trace {
				members = append(members, model.JSONMember{Name: key, Value: v})
			}
			if isType {
				typ = v
			}
			if isAt {
				at = v
			}
			if isField {
				fv = v
			}
		}
		if _, err := d.ReadToken(); err != nil { // }
			return err
		}
		if trace {
			if len(fields) > 0 {
				r.textBuf = append(r.textBuf, ',')
			}
			var ok bool
			if r.textBuf, ok = model.AppendJSONObject(r.textBuf, members, 1); !ok {
				return errNeedMaps // unreachable: jsontext has read the values
			}
			clear(members)
			r.members = members[:0]
			if cap(r.members) > 1024 {
				r.members = nil // an event of many members is not kept for good
			}
		}
		if typ == nil || typ[0] != '"' || at == nil || at[0] != '"' || fv == nil || fv[0] != '"' {
			return errNeedMaps
		}
		var tm time.Time
		if bytes.IndexByte(at, '\\') < 0 {
			tm, err = rules.ParseTimeBytes(at[1 : len(at)-1])
		} else {
			tm, err = rules.ParseTime(unquote(at))
		}
		if err != nil {
			return errNeedMaps
		}
		fields = append(fields, j.key(fv))
		times = append(times, tm)
	}
	if _, err := d.ReadToken(); err != nil { // ]
		return err
	}
	r.fields[n.Index], r.times[n.Index] = fields, times
	if trace {
		r.textBuf = append(r.textBuf, ']')
		json := r.textBuf[out:len(r.textBuf):len(r.textBuf)]
		// The lead's text is copied too, for Trace and Steps to decode:
		// the lead's bytes are the caller's.
		at := len(r.textBuf)
		r.textBuf = append(r.textBuf, j.b[begin:d.InputOffset()]...)
		j.texts[n.Index] = listText{node: n.Index, json: json, text: r.textBuf[at:len(r.textBuf):len(r.textBuf)]}
	}
	return nil
}

// nameOf returns the name a quoted JSON name holds, without copying
// it unless it has escapes.
func nameOf(quoted []byte) []byte {
	if bytes.IndexByte(quoted, '\\') >= 0 {
		return unquoteBytes(quoted)
	}
	return quoted[1 : len(quoted)-1]
}

// indexObject indexes the members of an object whose '{' has been read, up
// to and including its '}'.
func (r *run) indexObject(n *rules.FactNode) error {
	j := &r.json
	for {
		switch j.dec.PeekKind() {
		case '}':
			_, err := j.dec.ReadToken()
			return err
		case 0:
			_, err := j.dec.ReadToken()
			if err == nil {
				err = errNotIndexed
			}
			return err
		}
		name, err := j.dec.ReadValue()
		if err != nil {
			return err
		}
		c := childNamed(n, name)
		if c == nil {
			if err := j.dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		// A later member of the same name replaces an earlier one whole,
		// as with encoding/json.
		j.forget(c)
		switch k := j.dec.PeekKind(); {
		case k == '[' && r.e.eventField != nil && r.e.eventField[c.Index] != "":
			if err := r.indexEventFields(c, r.e.eventField[c.Index]); err != nil {
				return err
			}
			j.found[c.Index] = foundFields
			continue
		case k == '{' && c.IsObject() && !r.e.whole[c.Index]:
			if _, err := j.dec.ReadToken(); err != nil {
				return err
			}
			j.found[c.Index] = foundObject
			if err := r.indexObject(c); err != nil {
				return err
			}
			continue
		case k == '{' || k == '[':
			x, err := j.readAny()
			if err != nil {
				return err
			}
			j.found[c.Index], j.decoded[c.Index] = foundDecoded, x
			continue
		}
		v, err := j.dec.ReadValue()
		if err != nil {
			return err
		}
		// The value's bytes are the lead's own: ReadValue returns them as
		// they are written, ending at the input offset.
		end := int(j.dec.InputOffset())
		j.found[c.Index], j.raw[c.Index] = foundRaw, j.b[end-len(v):end:end]
	}
}

// forget drops what was indexed for a node and under it.
func (j *jsonLead) forget(n *rules.FactNode) {
	if j.found[n.Index] == foundNothing {
		return // and so nothing under it either
	}
	j.found[n.Index], j.raw[n.Index], j.decoded[n.Index], j.texts[n.Index] = foundNothing, nil, nil, listText{}
	for _, c := range n.Children {
		j.forget(c)
	}
}

// childNamed finds the declared member of an object node named by a
// quoted JSON name.
func childNamed(n *rules.FactNode, quoted []byte) *rules.FactNode {
	name := nameOf(quoted)
	for _, c := range n.Children {
		if c.Name == string(name) {
			return c
		}
	}
	return nil
}

// decodeIndexed is the second pass: the declared facts, in schema order.
func (r *run) decodeIndexed() {
	for _, root := range r.pol.Schema.Root.Children {
		r.nodeJSON(root)
	}
}

// nodeJSON is node for a fact whose value is JSON bytes.
func (r *run) nodeJSON(n *rules.FactNode) {
	raw := r.json.raw[n.Index]
	switch r.json.found[n.Index] {
	case foundNothing:
		r.missing(n)
		return
	case foundFields:
		// r.fields and r.times hold the list; no element is built. With
		// the trace on, its text is kept for the trace.
		r.slots[n.Index] = model.Value{Kind: model.KindList}
		if r.rec != nil {
			r.texts = append(r.texts, r.json.texts[n.Index])
		}
		return
	case foundDecoded:
		x := r.json.decoded[n.Index]
		if n.Type != nil && n.Type.Kind == model.KindList && n.Type.Elem.Event {
			r.events(n, x)
		} else {
			r.node(n, x)
		}
		return
	case foundObject:
		// No condition reads the object whole (those are decoded as maps):
		// the slot only says that it is there.
		r.slots[n.Index] = model.Value{Kind: model.KindObject}
		for _, c := range n.Children {
			r.nodeJSON(c)
		}
		return
	}
	if string(raw) == "null" {
		r.missing(n)
		return
	}
	if n.IsObject() {
		r.node(n, scalarAny(raw))
		return
	}
	dst := &r.slots[n.Index]
	switch n.Type.Kind {
	case model.KindString:
		if raw[0] == '"' {
			dst.Kind, dst.Str = model.KindString, unquote(raw)
			return
		}
	case model.KindBool:
		switch raw[0] {
		case 't':
			dst.Kind, dst.Bool = model.KindBool, true
			return
		case 'f':
			dst.Kind, dst.Bool = model.KindBool, false
			return
		}
	case model.KindNumber:
		if startsNumber(raw) {
			if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				dst.Kind, dst.Num = model.KindNumber, f
				return
			}
		}
	case model.KindInt:
		if startsNumber(raw) {
			if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				dst.Kind, dst.Int = model.KindInt, i
				return
			}
		}
	case model.KindTime:
		if raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
			if tm, err := rules.ParseTimeBytes(raw[1 : len(raw)-1]); err == nil {
				dst.Kind, dst.Time = model.KindTime, tm
				return
			}
		}
	}
	r.node(n, scalarAny(raw))
}

// startsNumber reports whether a checked JSON value is a number.
func startsNumber(raw []byte) bool { return raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' }

// readAny reads the next value of the lead: objects as map[string]any, arrays as
// []any, numbers as json.Number, as encoding/json gives them.
func (j *jsonLead) readAny() (any, error) {
	d := j.dec
	switch d.PeekKind() {
	case '{':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		i, m := j.newMap()
		for d.PeekKind() != '}' {
			name, err := d.ReadValue()
			if err != nil {
				return nil, err
			}
			v, err := j.readAny()
			if err != nil {
				return nil, err
			}
			m[j.key(name)] = v
		}
		keep(j.maps, i, len(m), m)
		_, err := d.ReadToken()
		return m, err
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		i, list := j.newList()
		for d.PeekKind() != ']' {
			v, err := j.readAny()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		keep(j.lists, i, cap(list), list) // it may have grown
		_, err := d.ReadToken()
		return list, err
	}
	v, err := d.ReadValue()
	if err != nil {
		return nil, err
	}
	return j.scalar(v, int(d.InputOffset())), nil
}

// Limits on what a result keeps for reuse (jsonLead.maps and lists), so
// that one huge lead does not pin its memory to a result for good.
const (
	maxKept     = 256  // maps, and lists, a result keeps
	maxKeptSize = 1024 // members of a kept map, elements of a kept list
)

// newMap returns an empty map and the index it is kept at (-1 when it is
// not kept): the next one from the result's last evaluation, or a new one.
func (j *jsonLead) newMap() (int, map[string]any) {
	i := j.nmaps
	switch {
	case i < len(j.maps) && j.maps[i] != nil:
		m := j.maps[i]
		clear(m)
		j.nmaps++
		return i, m
	case i < len(j.maps):
		j.maps[i] = make(map[string]any)
		j.nmaps++
		return i, j.maps[i]
	case i < maxKept:
		j.maps = append(j.maps, make(map[string]any))
		j.nmaps++
		return i, j.maps[i]
	}
	return -1, make(map[string]any)
}

// newList returns an empty slice and the index it is kept at, as newMap
// does for maps.
func (j *jsonLead) newList() (int, []any) {
	i := j.nlists
	switch {
	case i < len(j.lists) && j.lists[i] != nil:
		j.nlists++
		return i, j.lists[i][:0]
	case i < len(j.lists):
		j.nlists++
		return i, make([]any, 0, 4)
	case i < maxKept:
		j.lists = append(j.lists, nil)
		j.nlists++
		return i, make([]any, 0, 4)
	}
	return -1, make([]any, 0, 4)
}

// keep records what a map or list built at index i became: grown, or too
// big to keep.
func keep[T any](kept []T, i, size int, v T) {
	if i < 0 {
		return
	}
	var zero T
	if size > maxKeptSize {
		v = zero
	}
	kept[i] = v
}

// scalarAny is a checked JSON scalar as encoding/json decodes it.
func scalarAny(v []byte) any {
	switch v[0] {
	case '"':
		return unquote(v)
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	}
	return json.Number(v)
}

// unquote returns the string a checked JSON string literal holds.
func unquote(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1])
	}
	return string(unquoteBytes(quoted))
}

func unquoteBytes(quoted []byte) []byte {
	b, err := jsontext.AppendUnquote(nil, quoted)
	if err != nil {
		// Unreachable for a string jsontext has read; keep the text.
		return quoted[1 : len(quoted)-1]
	}
	return b
}
