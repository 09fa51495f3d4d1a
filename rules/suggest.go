package rules

import (
	"fmt"
	"sort"
	"strings"
)

// suggest returns the candidate closest to name by edit distance, if it is
// close enough to be a likely typo, or "".
func suggest(name string, candidates []string) string {
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

// didYouMean formats a suggestion for a diagnostic.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, counting runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
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
