package eval

import (
	"bytes"

	"github.com/qualifyhq/qualify/model"
)

// WithoutBoundLeaves makes an Evaluator run every leaf on the general path
// (simpleLeaf, then expr), so that tests can check the bound leaves of
// fast.go against it.
func WithoutBoundLeaves() Option {
	return func(e *Evaluator) { e.noBinding = true }
}

// BoundLeaves counts the leaves and element predicates an Evaluator bound.
func (e *Evaluator) BoundLeaves() (leaves, preds int) {
	for _, f := range e.leaves {
		if f != nil {
			leaves++
		}
	}
	for _, f := range e.preds {
		if f != nil {
			preds++
		}
	}
	return leaves, preds
}

// EventFieldLists returns the paths of the event lists that an Evaluator
// reads from JSON as their elements' field and time (eventFields), with
// that field: "events.type".
func (e *Evaluator) EventFieldLists() []string {
	var out []string
	for i, f := range e.eventField {
		if f != "" {
			out = append(out, e.pol.Schema.Nodes[i].Path+"."+f)
		}
	}
	return out
}

// ListTexts reports, for each event list a result's trace keeps as text,
// whether the lead's text was already the text the result writes.
func ListTexts(res *model.Result) []bool {
	rec, _ := res.TraceRecord().(*record)
	if rec == nil {
		return nil
	}
	var out []bool
	for _, lt := range rec.st.texts {
		out = append(out, bytes.Equal(lt.json, lt.text))
	}
	return out
}
