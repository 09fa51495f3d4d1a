package model

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Explain renders the result for people: the stage and labels first, then
// each score group with its rules, each framework with its criteria, each
// ladder with the steps tried, the lets, and the missing facts. Every line
// of the trace says what happened, the points, the values read and where
// the rule is written.
func (r *Result) Explain() string {
	trace := r.Trace()
	var b strings.Builder
	fmt.Fprintf(&b, "stage: %s\n", orNone(r.Stage))
	for _, l := range byName(r.Labels) {
		if l.Ladder != "stage" {
			fmt.Fprintf(&b, "%s: %s\n", l.Ladder, orNone(l.Value))
		}
	}
	fmt.Fprintf(&b, "score: %s\n", FormatNumber(r.Score.Total))
	fmt.Fprintf(&b, "policy: %s %s (%s), evaluated at %s\n", r.Policy.Name, r.Policy.Version, shortHash(r.Policy.Hash), r.Now.UTC().Format(time.RFC3339))

	if len(r.Score.Groups) > 0 {
		for _, g := range r.groupOrder(trace) {
			gs := r.Group(g)
			fmt.Fprintf(&b, "\nscore.%s = %s %s\n", g, FormatNumber(gs.Points), gs.ClampNote())
			tw := newTable(&b)
			for i := range trace {
				s := &trace[i]
				if s.Kind == StepRule && s.Group == g {
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Outcome, s.PointsText(), s.Label, s.Detail(), s.At)
				}
			}
			tw.Flush()
		}
		if t := totalStep(trace); t != nil && t.Points != t.Raw {
			fmt.Fprintf(&b, "\nscore.total = %s (sum of groups %s, clamped by total at %s)\n", FormatNumber(t.Points), FormatNumber(t.Raw), t.At)
		}
	}

	if len(r.Frameworks) > 0 {
		for _, name := range r.frameworkOrder(trace) {
			f := r.Framework(name)
			verdict := "not qualified"
			if f.Qualified {
				verdict = "qualified"
			}
			rule := ""
			if s := findStep(trace, StepFramework, name); s != nil {
				rule = "(" + s.Label + ")"
			}
			fmt.Fprintf(&b, "\n%s: %s, %d/%d met, %d unmet, %d unknown %s\n", name, verdict, f.Met, f.Total, f.Unmet, f.Unknown, rule)
			tw := newTable(&b)
			for i := range trace {
				s := &trace[i]
				if s.Kind == StepCriterion && s.Framework == name {
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Outcome, s.Name, s.Label, s.Detail(), s.At)
				}
			}
			tw.Flush()
		}
	}

	if ladders := r.ladderOrder(trace); len(ladders) > 0 {
		for _, name := range ladders {
			fmt.Fprintf(&b, "\n%s = %s\n", name, orNone(r.Label(name)))
			tw := newTable(&b)
			for i := range trace {
				s := &trace[i]
				if s.Kind == StepLadder && s.Ladder == name {
					detail := s.Detail()
					if s.Because != "" && s.Outcome == Matched {
						detail = strings.TrimSpace(detail + "  because " + s.Because)
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Outcome, s.Label, detail, s.At)
				}
			}
			tw.Flush()
		}
	}

	var lets []*Step
	for i := range trace {
		if trace[i].Kind == StepLet {
			lets = append(lets, &trace[i])
		}
	}
	if len(lets) > 0 {
		b.WriteString("\nlets\n")
		tw := newTable(&b)
		for _, s := range lets {
			val := s.Value.String()
			if s.Outcome == OutUnknown {
				val = "unknown"
			}
			fmt.Fprintf(tw, "  %s\t= %s\t%s\t%s\n", s.Name, val, s.Detail(), s.At)
		}
		tw.Flush()
	}

	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "\nmissing facts: %s\n", strings.Join(r.Missing, ", "))
	}
	return trimLines(b.String())
}

// trimLines removes the blanks tabwriter leaves at the ends of lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func newTable(b *strings.Builder) *tabwriter.Writer {
	return tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.DiscardEmptyColumns)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func shortHash(h string) string {
	if len(h) > len("sha256:")+12 {
		return h[:len("sha256:")+12]
	}
	return h
}

// ClampNote describes a group's clamp for people: "(raw 55, max 50)", or
// "" for a group without one.
func (g GroupScore) ClampNote() string {
	var parts []string
	if g.Raw != g.Points {
		parts = append(parts, "raw "+FormatNumber(g.Raw))
	}
	if g.Min != nil {
		parts = append(parts, "min "+FormatNumber(*g.Min))
	}
	if g.Max != nil {
		parts = append(parts, "max "+FormatNumber(*g.Max))
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PointsText renders the points a rule step gave: "+15", "-10", "0" when it
// did not match, and tiny decayed points in full ("+5.3e-07").
func (s *Step) PointsText() string { return signed(s.Points, s.Outcome) }

func signed(p float64, o Outcome) string {
	if o != Matched {
		return "0"
	}
	s := FormatNumber(p)
	if p != 0 && p > -0.005 && p < 0.005 {
		s = strconv.FormatFloat(p, 'g', 2, 64) // decayed to almost nothing
	}
	if p >= 0 {
		s = "+" + s
	}
	return s
}

// Detail renders what a step read, what was missing, and how many elements
// an each rule counted, as the Explain text shows it.
func (s *Step) Detail() string {
	var parts []string
	if s.Each && s.Outcome != OutUnknown {
		parts = append(parts, fmt.Sprintf("%d matched, %d counted", s.Matches, s.Counted))
	}
	for _, rd := range s.Reads {
		if rd.Value.Missing() && contains(s.Missing, rd.Name) {
			continue // listed below as missing
		}
		parts = append(parts, rd.Name+"="+rd.Value.String())
	}
	if len(s.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(s.Missing, ", "))
	}
	return strings.Join(parts, "  ")
}

func findStep(trace []Step, kind StepKind, name string) *Step {
	for i := range trace {
		s := &trace[i]
		if s.Kind == kind && (s.Framework == name || s.Ladder == name || s.Group == name) {
			return s
		}
	}
	return nil
}

func totalStep(trace []Step) *Step {
	for i := range trace {
		if trace[i].Kind == StepTotal {
			return &trace[i]
		}
	}
	return nil
}

// groupOrder lists groups in evaluation order when there is a trace, or by
// name without one; frameworkOrder and ladderOrder do the same.
func (r *Result) groupOrder(trace []Step) []string {
	return order(trace, StepGroup, func(s *Step) string { return s.Group }, names(r.Score.Groups))
}

func (r *Result) frameworkOrder(trace []Step) []string {
	return order(trace, StepFramework, func(s *Step) string { return s.Framework }, names(r.Frameworks))
}

func (r *Result) ladderOrder(trace []Step) []string {
	return order(trace, StepLabel, func(s *Step) string { return s.Ladder }, names(r.Labels))
}

// names returns the names of s's entries in order, each once.
func names[T any, P named[T]](s []T) []string {
	list := byName[T, P](s)
	out := make([]string, len(list))
	for i := range list {
		out[i] = P(&list[i]).key()
	}
	return out
}

func order(trace []Step, kind StepKind, name func(*Step) string, fallback []string) []string {
	var out []string
	for i := range trace {
		if trace[i].Kind == kind {
			out = append(out, name(&trace[i]))
		}
	}
	if len(out) == 0 {
		return fallback
	}
	return out
}
