package eval

import (
	"slices"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// The trace is recorded, not built, while a lead is evaluated: each step
// is an entry of a few numbers (what happened, the points, where its
// missing facts are), and the part of the step that the policy fixes is a
// stepDesc made once per Evaluator. The values a step read are not copied:
// the compiler lets a condition read only what is final by the time it
// runs (E203: lets before frameworks, frameworks in order, groups after
// frameworks, ladders last), so the record keeps the lead's state and the
// reads are looked up when a step is rendered (record.Render), each the
// value the step saw.

// stepDesc is what the policy fixes of a trace step.
type stepDesc struct {
	// step holds the step's kind, block, name, label, because, at and
	// each form; a ladder's step has no label (the label is what happens).
	step model.Step
	// conds are the conditions whose reads a step shows: a let's value, a
	// criterion's when, a framework's qualified when, a rule's when (or an
	// each rule's where) and points, a ladder step's when.
	conds [2]*rules.Cond
	// list is an each rule's list, let a let's index (-1 for other
	// steps), and labels a ladder's step labels.
	list   *rules.Ref
	let    int
	labels []string
	// needs lists, for each cond, the reads its leaves need or guard: the
	// facts and lets a step's missing facts come from (addMissing).
	needs [2][]int
	// leaf is conds[0] bound to one closure, when all its leaves are bound
	// (bindTree); plain marks a when rule with constant points whose
	// condition is bound so.
	leaf  leafFn
	plain bool
	// shown lists, by entry.reads, the reads a step shows in order, each
	// name once: the each rule's list first, then the conditions' reads
	// but now.
	shown [readList | readFirst | readSecond + 1][]*rules.Ref
	// text is the JSON of what the policy fixes of the step, and of the
	// names of the reads it may show.
	text *model.StepText
}

// Which reads an entry shows (entry.reads).
const (
	readFirst  = 1 << iota // conds[0]
	readSecond             // conds[1]
	readList               // the each rule's list, first
)

// outcomes are the entry.outcome codes.
var outcomes = [...]model.Outcome{"", model.Matched, model.Unmatched, model.OutUnknown, model.OutMet,
	model.OutUnmet, model.HasValue, model.Qualified, model.NotQualified, model.NoMatch}

const (
	oNone uint8 = iota
	oMatched
	oUnmatched
	oUnknown
	oMet
	oUnmet
	oValue
	oQualified
	oNotQualified
	oNoMatch
)

// entry is one recorded step. It holds no pointers, so that recording it
// is a few plain stores.
type entry struct {
	desc    uint32
	outcome uint8
	// reads says which reads the step shows (readFirst, readSecond,
	// readList).
	reads uint8
	// pick is a ladder's matched step (-1: none).
	pick             int32
	matches, counted int32
	points, raw      float64
	// missing says which conditions the step's missing facts come from
	// (readFirst, readSecond), or that they are the each rule's list
	// (readList); 0 for a step that is not unknown.
	missing uint8
}

// record is an evaluation's trace: the model.TraceRecord of its result.
// It owns the lead's state while the result is read, and is reused when
// the result is evaluated into again.
type record struct {
	descs   []stepDesc
	entries []entry
	st      state
}

var _ model.TraceRecord = (*record)(nil)

// Len is the number of steps.
func (rec *record) Len() int { return len(rec.entries) }

var _ model.StepWriter = (*record)(nil)

// Render writes step i into s, and its reads and missing facts into buf.
func (rec *record) Render(i int, s *model.Step, buf *model.StepBuffer) {
	e := &rec.entries[i]
	d := &rec.descs[e.desc]
	// The step starts as its desc's template, which holds what the policy
	// fixes; only what happened is written after.
	*s = d.step
	s.Outcome, s.Points, s.Raw = outcomes[e.outcome], e.points, e.raw
	s.Matches, s.Counted = int(e.matches), int(e.counted)
	if e.missing != 0 {
		s.Missing = rec.missing(d, e, buf)
	}
	switch {
	case d.let >= 0 && e.outcome == oValue:
		s.Value = rec.st.lets[d.let].val
	case d.step.Kind == model.StepLabel && e.pick >= 0:
		s.Label = d.labels[e.pick]
	}
	lo := len(buf.Reads)
	rec.renderReads(d, e, buf, false)
	if len(buf.Reads) > lo {
		s.Reads = buf.Reads[lo:len(buf.Reads):len(buf.Reads)]
	}
}

// AppendStep appends step i's JSON, through its desc's text: what Render
// gives, without the Step.
func (rec *record) AppendStep(dst []byte, i int, buf *model.StepBuffer) []byte {
	e := &rec.entries[i]
	d := &rec.descs[e.desc]
	var st model.StepState
	st.Label, st.Outcome, st.Points, st.Raw = d.step.Label, outcomes[e.outcome], e.points, e.raw
	st.Matches, st.Counted = int(e.matches), int(e.counted)
	if e.missing != 0 {
		st.Missing = rec.missing(d, e, buf)
	}
	switch {
	case d.let >= 0 && e.outcome == oValue:
		st.Value = &rec.st.lets[d.let].val
	case d.step.Kind == model.StepLabel && e.pick >= 0:
		st.Label = d.labels[e.pick]
	}
	lo, tlo := len(buf.Reads), len(buf.Texts)
	if rec.renderReads(d, e, buf, true) {
		st.Texts = buf.Texts[tlo:len(buf.Texts):len(buf.Texts)]
	}
	if len(buf.Reads) > lo {
		st.Reads = buf.Reads[lo:len(buf.Reads):len(buf.Reads)]
	}
	return d.text.AppendJSON(dst, &st)
}

// missing appends to buf the facts whose absence made step e unknown,
// sorted, and returns them (nil for none).
func (rec *record) missing(d *stepDesc, e *entry, buf *model.StepBuffer) []string {
	lo := len(buf.Missing)
	buf.Missing = rec.addMissing(d, e.missing, buf.Missing, lo)
	if len(buf.Missing) == lo {
		return nil
	}
	slices.Sort(buf.Missing[lo:])
	return buf.Missing[lo:len(buf.Missing):len(buf.Missing)]
}

// addMissing appends to out (after lo, each once) the facts that the
// step's conditions (which) need and the lead lacks, following unknown
// lets to the facts that made them unknown; for readList, the each rule's
// list.
func (rec *record) addMissing(d *stepDesc, which uint8, out []string, lo int) []string {
	add := func(name string) {
		if !slices.Contains(out[lo:], name) {
			out = append(out, name)
		}
	}
	if which&readList != 0 {
		add(d.list.Name)
	}
	for k, c := range d.conds {
		if c == nil || which&(readFirst<<k) == 0 {
			continue
		}
		for _, i := range d.needs[k] {
			ref := &c.Reads[i]
			switch {
			case rec.st.known(ref):
			case ref.Kind == rules.RefLet:
				// Lets come first in the table, and read only lets before
				// them.
				out = rec.addMissing(&rec.descs[ref.Index], readFirst, out, lo)
			default:
				add(ref.Name)
			}
		}
	}
	return out
}

// renderReads appends what the step read (stepDesc.shown) to buf. Missing
// facts and unknown lets show as null, so that a guarded read that fell
// back to its default is visible; other unknown values are left out. An
// event list kept as text (state.texts) is given as its text with texts
// (in buf.Texts, one for each read appended, and it reports true), and
// decoded otherwise.
func (rec *record) renderReads(d *stepDesc, e *entry, buf *model.StepBuffer, texts bool) (hasText bool) {
	var tmp model.Value
	reads := buf.Reads
	for _, ref := range d.shown[e.reads] {
		var v *model.Value
		ok := true
		var text []byte
		switch {
		case ref.Kind == rules.RefFact && ref.Node != nil:
			v = &rec.st.slots[ref.Index] // missing shows as null
			if v.Kind == model.KindList && v.Any == nil {
				if lt := rec.st.listText(ref.Index); lt != nil {
					if texts {
						text = lt.json
					} else {
						// jsontext has read the text: it decodes.
						x, _ := decodeAny(lt.text)
						tmp = model.Value{Kind: model.KindList, Any: x}
					}
					v = &tmp
				}
			}
		case ref.Kind == rules.RefLet:
			v = &rec.st.lets[ref.Index].val // unknown shows as null
		default:
			if v, ok = rec.st.read(ref, &tmp); !ok && ref.Kind != rules.RefFact {
				continue
			}
		}
		n := len(reads)
		reads = slices.Grow(reads, 1)[:n+1]
		rd := &reads[n]
		rd.Name = ref.Name
		if ok && text == nil {
			rd.Value = *v
		} else {
			rd.Value = model.Value{}
		}
		if texts {
			buf.Texts = append(buf.Texts, text)
			hasText = hasText || text != nil
		}
	}
	buf.Reads = reads
	return hasText
}

// listText returns the text kept of the event list of schema node i, or
// nil.
func (st *state) listText(i int) *listText {
	for k := range st.texts {
		if st.texts[k].node == i {
			return &st.texts[k]
		}
	}
	return nil
}

// shownReads lists the reads a step shows for each choice of entry.reads.
func shownReads(d *stepDesc) {
	for which := range d.shown {
		var out []*rules.Ref
		add := func(ref *rules.Ref) {
			if ref.Kind == rules.RefNow || slices.ContainsFunc(out, func(o *rules.Ref) bool { return o.Name == ref.Name }) {
				return
			}
			out = append(out, ref)
		}
		if which&readList != 0 && d.list != nil {
			add(d.list)
		}
		for k, c := range d.conds {
			if c == nil || which&(readFirst<<k) == 0 {
				continue
			}
			for i := range c.Reads {
				add(&c.Reads[i])
			}
		}
		d.shown[which] = out
	}
}

// stepTable is the stepDescs of a policy, and where each block's are.
type stepTable struct {
	descs []stepDesc
	// fw, group and ladder are the index of the first desc of each
	// framework (its criteria, then the framework), group (its rules, then
	// the group) and ladder (its steps, then the ladder); total is the
	// total's.
	fw, group, ladder []int
	total             int
}

func newStepTable(pol *rules.Policy, leaves []leafFn) stepTable {
	var t stepTable
	add := func(d stepDesc) {
		for k, c := range d.conds {
			if c != nil {
				d.needs[k] = needsOf(c, c.Root, d.needs[k])
			}
		}
		if c := d.conds[0]; c != nil {
			d.leaf = bindTree(c.Root, leaves)
		}
		shownReads(&d)
		var names []string
		for _, refs := range d.shown {
			for _, ref := range refs {
				if !slices.Contains(names, ref.Name) {
					names = append(names, ref.Name)
				}
			}
		}
		d.text = model.NewStepText(&d.step, names)
		t.descs = append(t.descs, d)
	}
	for i, l := range pol.Lets {
		add(stepDesc{step: model.Step{Kind: model.StepLet, Name: l.Name, At: l.At}, conds: [2]*rules.Cond{l.Value}, let: i})
	}
	for _, f := range pol.Frameworks {
		t.fw = append(t.fw, len(t.descs))
		for _, c := range f.Criteria {
			add(stepDesc{step: model.Step{Kind: model.StepCriterion, Framework: f.Name, Name: c.Name, Label: c.Label, At: c.At},
				conds: [2]*rules.Cond{c.When}, let: -1})
		}
		add(stepDesc{step: model.Step{Kind: model.StepFramework, Framework: f.Name, Label: f.Verdict, At: f.At},
			conds: [2]*rules.Cond{f.Qualified}, let: -1})
	}
	for _, g := range pol.Groups {
		t.group = append(t.group, len(t.descs))
		for _, rule := range g.Rules {
			d := stepDesc{step: model.Step{Kind: model.StepRule, Group: g.Name, Label: rule.Label, At: rule.At},
				conds: [2]*rules.Cond{rule.When, rule.PointsExpr}, let: -1}
			if rule.Each != nil {
				d.step.Each, d.list, d.conds[0] = true, &rule.Each.List, rule.Each.Where
			}
			add(d)
			last := &t.descs[len(t.descs)-1]
			last.plain = rule.Each == nil && rule.PointsExpr == nil && last.leaf != nil
		}
		add(stepDesc{step: model.Step{Kind: model.StepGroup, Group: g.Name, At: g.At}, let: -1})
	}
	t.total = len(t.descs)
	add(stepDesc{step: model.Step{Kind: model.StepTotal, At: pol.TotalAt}, let: -1})
	for _, l := range pol.Ladders {
		t.ladder = append(t.ladder, len(t.descs))
		labels := make([]string, len(l.Steps))
		for i, st := range l.Steps {
			labels[i] = st.Label
			add(stepDesc{step: model.Step{Kind: model.StepLadder, Ladder: l.Name, Label: st.Label, Because: st.Because, At: st.At},
				conds: [2]*rules.Cond{st.When}, let: -1})
		}
		add(stepDesc{step: model.Step{Kind: model.StepLabel, Ladder: l.Name, At: l.At}, labels: labels, let: -1})
	}
	return t
}

// needsOf appends the reads that the leaves under n need or guard, each
// once.
func needsOf(c *rules.Cond, n *rules.Node, out []int) []int {
	if n.Op != rules.OpLeaf {
		out = needsOf(c, n.X, out)
		if n.Y != nil {
			out = needsOf(c, n.Y, out)
		}
		return out
	}
	for _, list := range [2][]int{n.Needs, n.Guarded} {
		for _, i := range list {
			if !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}
	return out
}

// step records a step of desc d and returns its entry for the caller to
// fill; with the trace off it returns a scratch entry.
func (r *run) step(d int) *entry {
	rec := r.rec
	if rec == nil {
		return &r.scratch
	}
	// reset made room for a step of every desc.
	n := len(rec.entries)
	rec.entries = rec.entries[:n+1]
	e := &rec.entries[n]
	*e = entry{desc: uint32(d), pick: -1}
	return e
}
