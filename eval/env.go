package eval

import (
	"time"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// ensureEnv builds the environment expr programs run against, the first
// time a program needs it in an evaluation: the facts as nested maps, and
// every let, framework, score and label computed so far. Later phases keep
// it up to date. Leads whose conditions all run natively never build it.
func (r *run) ensureEnv() map[string]any {
	if r.envReady {
		return r.env
	}
	if r.env == nil {
		r.env = make(map[string]any, 16)
	} else {
		clear(r.env)
	}
	if s := r.pol.Schema; s != nil {
		for _, root := range s.Root.Children {
			if v, ok := r.envValue(root); ok {
				r.env[root.Name] = v
			}
		}
	} else {
		for k, v := range r.raw {
			r.env[k] = v
		}
	}
	r.env["now"] = r.now
	for i := 0; i < r.doneLets; i++ {
		if r.lets[i].known {
			r.env[r.pol.Lets[i].Name] = r.lets[i].raw
		}
	}
	for i := 0; i < r.doneFws; i++ {
		r.env[r.pol.Frameworks[i].Name] = r.fwEnv(i)
	}
	r.score = make(map[string]any, len(r.pol.Groups)+1)
	for i := 0; i < r.doneGroups; i++ {
		r.score[r.pol.Groups[i].Name] = r.groups[i]
	}
	if r.doneTotal {
		r.score["total"] = r.total
	}
	r.env["score"] = r.score
	for i := 0; i < r.doneLadders; i++ {
		r.env[r.pol.Ladders[i].Name] = r.labels[i]
	}
	r.envReady = true
	return r.env
}

// envValue is a fact node as expressions see it: objects as maps of their
// present children, events with their at as a time and plain numbers.
func (r *run) envValue(n *rules.FactNode) (any, bool) {
	v := r.slots[n.Index]
	if v.Missing() {
		return nil, false
	}
	if n.IsObject() {
		m := make(map[string]any, len(n.Children))
		for _, c := range n.Children {
			if cv, ok := r.envValue(c); ok {
				m[c.Name] = cv
			}
		}
		return m, true
	}
	if n.Type.Kind == model.KindList && n.Type.Elem.Event {
		items, _ := v.Any.([]any)
		out := make([]any, len(items))
		for i, el := range items {
			out[i] = r.normalEvent(el, r.times[n.Index][i])
		}
		return out, true
	}
	return v.Interface(), true
}

// envList is the list an each rule's program filters.
func (r *run) envList(ref rules.Ref, items []any) []any {
	if ref.Node == nil || !ref.Node.Type.Elem.Event {
		return items
	}
	out := make([]any, len(items))
	for i, el := range items {
		out[i] = r.normalEvent(el, r.times[ref.Node.Index][i])
	}
	return out
}

// normalEvent copies an event with its at as a time and plain numbers.
func (r *run) normalEvent(el any, at time.Time) any {
	m, _ := el.(map[string]any)
	out := make(map[string]any, len(m))
	for k, v := range m {
		p, _ := plain(v, 1)
		out[k] = p
	}
	out["at"] = at
	return out
}

// normalElement is an element as a points program sees it.
func normalElement(el any) any {
	m, ok := el.(map[string]any)
	if !ok {
		return el
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		p, _ := plain(v, 1)
		out[k] = p
	}
	if s, ok := m["at"].(string); ok {
		if t, err := rules.ParseTime(s); err == nil {
			out["at"] = t
		}
	}
	return out
}
