package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Suggest returns the candidate closest to name by edit distance, ignoring
// case, when it is close enough to be a likely typo, or "". The compiler's
// and the test runner's "did you mean" use it.
func Suggest(name string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	// Allow one edit in a short name, two in a longer one, and a third of
	// the letters beyond that.
	limit := 1
	switch n := len([]rune(name)); {
	case n > 9:
		limit = n / 3
	case n > 4:
		limit = 2
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// DidYouMean formats Suggest's answer for a diagnostic, or returns "".
func DidYouMean(name string, candidates []string) string {
	if s := Suggest(name, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b,
// counting runes: insertions, deletions, substitutions and transpositions of
// two neighbours each cost one, so "hto" is one edit from "hot".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// quoteList renders names as "a, b and c".
func quoteList(names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	switch len(sorted) {
	case 0:
		return ""
	case 1:
		return sorted[0]
	}
	return strings.Join(sorted[:len(sorted)-1], ", ") + " and " + sorted[len(sorted)-1]
}
