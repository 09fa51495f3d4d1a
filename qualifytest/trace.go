package qualifytest

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// section is one block of the trace a failure shows: a score group, the
// total, a framework or a ladder, whole or some of its items.
type section struct {
	kind  targetKind
	block string
	all   bool
	items []string
}

func (s *section) wants(item string) bool {
	if s.all {
		return true
	}
	for _, it := range s.items {
		if it == item {
			return true
		}
	}
	return false
}

// renderTrace renders the parts of the trace that targets name, in the
// order they are first named, as model.Result.Explain renders them. It
// returns the lines and the steps they show. pol may be nil; it adds the
// ladder steps that were not reached.
func renderTrace(pol *rules.Policy, res *model.Result, targets []*target) ([]string, []model.Step) {
	var secs []*section
	find := func(t *target) *section {
		for _, s := range secs {
			if s.kind == t.kind && s.block == t.block {
				return s
			}
		}
		s := &section{kind: t.kind, block: t.block}
		secs = append(secs, s)
		return s
	}
	for _, t := range targets {
		s := find(t)
		if t.item == "" {
			s.all = true
		} else if !s.wants(t.item) {
			s.items = append(s.items, t.item)
		}
	}
	var b strings.Builder
	var steps []model.Step
	trace := res.Trace()
	for _, s := range secs {
		switch s.kind {
		case targetGroup:
			steps = groupSection(&b, res, trace, s, steps)
		case targetTotal:
			steps = totalSection(&b, res, trace, steps)
		case targetFramework:
			steps = frameworkSection(&b, res, trace, s, steps)
		case targetLadder:
			steps = ladderSection(&b, pol, res, trace, s, steps)
		}
	}
	text := strings.TrimRight(trimLines(b.String()), "\n")
	if text == "" {
		return nil, steps
	}
	return strings.Split(text, "\n"), steps
}

func newTable(b *strings.Builder) *tabwriter.Writer {
	return tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.DiscardEmptyColumns)
}

func groupSection(b *strings.Builder, res *model.Result, trace []model.Step, s *section, steps []model.Step) []model.Step {
	gs := res.Group(s.block)
	fmt.Fprintf(b, "score.%s = %s %s\n", s.block, model.FormatNumber(gs.Points), gs.ClampNote())
	tw := newTable(b)
	for _, st := range trace {
		if st.Kind == model.StepRule && st.Group == s.block && s.wants(st.Label) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", st.Outcome, st.PointsText(), st.Label, st.Detail(), st.At)
			steps = append(steps, st)
		}
	}
	tw.Flush()
	return steps
}

func totalSection(b *strings.Builder, res *model.Result, trace []model.Step, steps []model.Step) []model.Step {
	line := "score.total = " + model.FormatNumber(res.Score.Total)
	for _, st := range trace {
		if st.Kind == model.StepTotal {
			if st.Points != st.Raw {
				line += fmt.Sprintf(" (sum of groups %s, clamped by total at %s)", model.FormatNumber(st.Raw), st.At)
			}
			steps = append(steps, st)
		}
	}
	b.WriteString(line + "\n")
	tw := newTable(b)
	for _, st := range trace {
		if st.Kind == model.StepGroup {
			gs := res.Group(st.Group)
			fmt.Fprintf(tw, "  score.%s\t= %s\t%s\n", st.Group, model.FormatNumber(gs.Points), gs.ClampNote())
		}
	}
	tw.Flush()
	return steps
}

func frameworkSection(b *strings.Builder, res *model.Result, trace []model.Step, s *section, steps []model.Step) []model.Step {
	f := res.Framework(s.block)
	if f == nil {
		return steps
	}
	verdict := "not qualified"
	if f.Qualified {
		verdict = "qualified"
	}
	rule := ""
	for _, st := range trace {
		if st.Kind == model.StepFramework && st.Framework == s.block {
			rule = " (" + st.Label + ")"
			if s.all {
				steps = append(steps, st)
			}
		}
	}
	fmt.Fprintf(b, "%s: %s, %d/%d met, %d unmet, %d unknown%s\n", s.block, verdict, f.Met, f.Total, f.Unmet, f.Unknown, rule)
	tw := newTable(b)
	for _, st := range trace {
		if st.Kind == model.StepCriterion && st.Framework == s.block && s.wants(st.Name) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", st.Outcome, st.Name, st.Label, st.Detail(), st.At)
			steps = append(steps, st)
		}
	}
	tw.Flush()
	return steps
}

func ladderSection(b *strings.Builder, pol *rules.Policy, res *model.Result, trace []model.Step, s *section, steps []model.Step) []model.Step {
	fmt.Fprintf(b, "%s = %s\n", s.block, orNone(res.Label(s.block)))
	tw := newTable(b)
	tried := map[string]bool{}
	for _, st := range trace {
		if st.Kind == model.StepLadder && st.Ladder == s.block {
			tried[st.Label] = true
			if !s.wants(st.Label) {
				continue
			}
			detail := st.Detail()
			if st.Because != "" && st.Outcome == model.Matched {
				detail = strings.TrimSpace(detail + "  because " + st.Because)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", st.Outcome, st.Label, detail, st.At)
			steps = append(steps, st)
		}
	}
	if pol == nil {
		tw.Flush()
		return steps
	}
	if l := pol.Ladder(s.block); l != nil && !s.all {
		for _, st := range l.Steps {
			if s.wants(st.Label) && !tried[st.Label] {
				fmt.Fprintf(tw, "  not reached\t%s\tan earlier step matched\t%s\n", st.Label, st.At)
			}
		}
	}
	tw.Flush()
	return steps
}

// trimLines removes the blanks tabwriter leaves at the ends of lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
