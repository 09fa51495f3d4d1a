package qualifytest

import (
	"fmt"
	"sort"
	"strings"
)

// quoteList renders names as `a, b and c`, sorted, each quoted when quote is set.
func quoteList(names []string, quote bool) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	if quote {
		for i, s := range sorted {
			sorted[i] = fmt.Sprintf("%q", s)
		}
	}
	switch len(sorted) {
	case 0:
		return ""
	case 1:
		return sorted[0]
	}
	return strings.Join(sorted[:len(sorted)-1], ", ") + " and " + sorted[len(sorted)-1]
}
