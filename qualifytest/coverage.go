package qualifytest

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// ItemKind says what a coverage item is.
type ItemKind string

// Kinds of coverage items.
const (
	ItemRule      ItemKind = "rule"
	ItemCriterion ItemKind = "criterion"
	ItemStep      ItemKind = "step"
)

// CoverageItem is one rule, criterion or ladder step of a policy, with how
// many evaluated tests saw each of its outcomes.
//
// An item has two sides to cover: some test saw it matched (a criterion
// met), and some test saw it unmatched (a criterion unmet). Unknown (the
// condition needed a fact the lead lacked) covers neither side: it shows
// that a fact was missing, not that the condition was computed either way.
// A ladder step after the one that matched is not evaluated and is not
// seen. A fallback step has no condition and cannot be unmatched, so it has
// one side: some test reached it.
type CoverageItem struct {
	Kind ItemKind `json:"kind"`
	// Block is the score group, framework or ladder of the item.
	Block string `json:"block"`
	// Name is the rule's label, the criterion's name or the step's label.
	Name string `json:"name"`
	// At is where the item is written, file:line:col.
	At       string `json:"at"`
	Fallback bool   `json:"fallback,omitempty"`
	// Matched, Unmatched and Unknown count the tests that saw each outcome
	// (for a criterion: met, unmet and unknown).
	Matched   int `json:"matched"`
	Unmatched int `json:"unmatched"`
	Unknown   int `json:"unknown"`
}

// Sides returns how many outcomes the item has to cover: 2, or 1 for a
// fallback step.
func (it *CoverageItem) Sides() int {
	if it.Fallback {
		return 1
	}
	return 2
}

// Covered returns how many of the item's sides some test saw.
func (it *CoverageItem) Covered() int {
	n := 0
	if it.Matched > 0 {
		n++
	}
	if it.Unmatched > 0 && !it.Fallback {
		n++
	}
	return n
}

// String describes the item and what no test saw, as coverage lists it:
// `acme.qual:42:3: rule fit "Free-mail address": never matched (unmatched in 4 tests)`.
func (it *CoverageItem) String() string {
	var what string
	switch it.Kind {
	case ItemRule:
		what = fmt.Sprintf("rule %s %q", it.Block, it.Name)
	case ItemCriterion:
		what = fmt.Sprintf("criterion %s.%s", it.Block, it.Name)
	default:
		what = fmt.Sprintf("step %s %q", it.Block, it.Name)
		if it.Fallback {
			what += " (fallback)"
		}
	}
	yes, no := "matched", "unmatched"
	if it.Kind == ItemCriterion {
		yes, no = "met", "unmet"
	}
	var missing []string
	if it.Matched == 0 {
		if it.Fallback {
			missing = append(missing, "never reached")
		} else {
			missing = append(missing, "never "+yes)
		}
	}
	if it.Unmatched == 0 && !it.Fallback {
		missing = append(missing, "never "+no)
	}
	var seen []string
	if it.Matched > 0 {
		seen = append(seen, fmt.Sprintf("%s in %s", yes, tests(it.Matched)))
	}
	if it.Unmatched > 0 {
		seen = append(seen, fmt.Sprintf("%s in %s", no, tests(it.Unmatched)))
	}
	if it.Unknown > 0 {
		seen = append(seen, fmt.Sprintf("unknown in %s", tests(it.Unknown)))
	}
	s := fmt.Sprintf("%s: %s: %s", it.At, what, strings.Join(missing, ", "))
	if len(seen) > 0 {
		s += " (" + strings.Join(seen, ", ") + ")"
	}
	return s
}

func tests(n int) string {
	if n == 1 {
		return "1 test"
	}
	return fmt.Sprintf("%d tests", n)
}

// Coverage says which outcomes of a policy's rules, criteria and ladder
// steps the tests saw. See CoverageItem for how outcomes count.
type Coverage struct {
	// Items are the policy's criteria, rules and ladder steps, in
	// evaluation order.
	Items []*CoverageItem `json:"items"`
	// Results is how many evaluated results were counted.
	Results int `json:"results"`
}

// NewCoverage returns an empty coverage of pol's items.
func NewCoverage(pol *rules.Policy) *Coverage {
	c := &Coverage{Items: []*CoverageItem{}}
	for _, f := range pol.Frameworks {
		for _, cr := range f.Criteria {
			c.Items = append(c.Items, &CoverageItem{Kind: ItemCriterion, Block: f.Name, Name: cr.Name, At: cr.Pos.String()})
		}
	}
	for _, g := range pol.Groups {
		for _, r := range g.Rules {
			c.Items = append(c.Items, &CoverageItem{Kind: ItemRule, Block: g.Name, Name: r.Label, At: r.Pos.String()})
		}
	}
	for _, l := range pol.Ladders {
		for _, st := range l.Steps {
			c.Items = append(c.Items, &CoverageItem{Kind: ItemStep, Block: l.Name, Name: st.Label, At: st.Pos.String(), Fallback: st.When == nil})
		}
	}
	return c
}

// Add counts the outcomes of one result of the policy. A nil result (a
// lead that gave an error) counts nothing.
func (c *Coverage) Add(res *model.Result) {
	if res == nil {
		return
	}
	c.Results++
	for _, it := range c.Items {
		s := coverageItem(it).stepIn(res)
		if s == nil {
			continue
		}
		switch s.Outcome {
		case model.Matched, model.OutMet:
			it.Matched++
		case model.Unmatched, model.OutUnmet:
			it.Unmatched++
		case model.OutUnknown:
			it.Unknown++
		}
	}
}

func coverageItem(it *CoverageItem) item {
	switch it.Kind {
	case ItemRule:
		return item{kind: itemRule, block: it.Block, name: it.Name}
	case ItemCriterion:
		return item{kind: itemCriterion, block: it.Block, name: it.Name}
	}
	return item{kind: itemStep, block: it.Block, name: it.Name}
}

// Total returns how many outcomes there are to cover.
func (c *Coverage) Total() int {
	n := 0
	for _, it := range c.Items {
		n += it.Sides()
	}
	return n
}

// Covered returns how many outcomes some test saw.
func (c *Coverage) Covered() int {
	n := 0
	for _, it := range c.Items {
		n += it.Covered()
	}
	return n
}

// Percent returns the share of outcomes covered, rounded down to a tenth,
// so that 100 means everything is covered. A policy with nothing to cover
// is 100% covered.
func (c *Coverage) Percent() float64 {
	total := c.Total()
	if total == 0 {
		return 100
	}
	return math.Floor(float64(c.Covered())*1000/float64(total)) / 10
}

// Uncovered returns the items with a side no test saw.
func (c *Coverage) Uncovered() []*CoverageItem {
	var out []*CoverageItem
	for _, it := range c.Items {
		if it.Covered() < it.Sides() {
			out = append(out, it)
		}
	}
	return out
}

// MarshalJSON adds the totals.
func (c *Coverage) MarshalJSON() ([]byte, error) {
	type plain Coverage
	return jsonMarshal(struct {
		Percent float64 `json:"percent"`
		Covered int     `json:"covered"`
		Total   int     `json:"total"`
		*plain
	}{c.Percent(), c.Covered(), c.Total(), (*plain)(c)})
}

// WriteText writes the coverage of the policy at path as qualify test
// --coverage prints it: the percentage, then each item with a side no test
// saw.
func (c *Coverage) WriteText(w io.Writer, path string) {
	if path == "" {
		path = "the policy"
	}
	fmt.Fprintf(w, "coverage: %.1f%% of %d outcomes (%d rules, criteria and steps) in %s\n", c.Percent(), c.Total(), len(c.Items), path)
	for _, it := range c.Uncovered() {
		fmt.Fprintf(w, "    %s\n", it)
	}
}
