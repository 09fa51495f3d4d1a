package qualifytest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qualifyhq/qualify/qualifytest"
)

// TestCoverage_shop checks coverage against counts made by hand from
// testdata/qualifytest/shop: shop.qual and the four tests of shop_test.qual.
//
//	test                      employees  role     budget  pains   fit  stage
//	1 big company's VP        500        vp       true    [1]     30   hot
//	2 small company's analyst 10         analyst  false   []      0    cold
//	3 without a head count    (none)     vp       true    [1]     10   cold
//	4 without an email        error: no result, counts nothing
//
// Criteria: budget met 1, 3, unmet 2; authority met 1, 3, unmet 2; need
// met 1, 3, unmet 2. Rules: "Big company" matched 1, unmatched 2, unknown
// 3; "Decision maker" matched 1, 3, unmatched 2; "Tiny" unmatched 1, 2,
// unknown 3, never matched. Steps: hot matched 1, unmatched 2, 3; warm
// unmatched 2, 3, never matched (test 1 stopped at hot); cold, the
// fallback, reached by 2, 3.
//
// Sides: 3 criteria, 3 rules, 2 steps with a condition count 2 each (16),
// the fallback 1: 17. Covered: all but Tiny matched and warm matched: 15.
// 15/17 = 88.23...%, shown rounded down: 88.2%.
func TestCoverage_shop(t *testing.T) {
	t.Chdir(fixtures)
	s, err := qualifytest.Load("shop")
	require.NoError(t, err)
	cov := s.Run(context.Background()).Coverage

	type counts struct{ matched, unmatched, unknown int }
	want := []struct {
		kind        qualifytest.ItemKind
		block, name string
		at          string
		counts
		fallback bool
	}{
		{qualifytest.ItemCriterion, "Ready", "budget", "shop/shop.qual:16:3", counts{2, 1, 0}, false},
		{qualifytest.ItemCriterion, "Ready", "authority", "shop/shop.qual:17:3", counts{2, 1, 0}, false},
		{qualifytest.ItemCriterion, "Ready", "need", "shop/shop.qual:18:3", counts{2, 1, 0}, false},
		{qualifytest.ItemRule, "fit", "Big company", "shop/shop.qual:22:3", counts{1, 1, 1}, false},
		{qualifytest.ItemRule, "fit", "Decision maker", "shop/shop.qual:23:3", counts{2, 1, 0}, false},
		{qualifytest.ItemRule, "fit", "Tiny", "shop/shop.qual:24:3", counts{0, 2, 1}, false},
		{qualifytest.ItemStep, "stage", "hot", "shop/shop.qual:28:3", counts{1, 2, 0}, false},
		{qualifytest.ItemStep, "stage", "warm", "shop/shop.qual:29:3", counts{0, 2, 0}, false},
		{qualifytest.ItemStep, "stage", "cold", "shop/shop.qual:30:3", counts{2, 0, 0}, true},
	}
	require.Len(t, cov.Items, len(want))
	for i, w := range want {
		it := cov.Items[i]
		assert.Equal(t, w.kind, it.Kind, "item %d", i)
		assert.Equal(t, w.block, it.Block, "item %d", i)
		assert.Equal(t, w.name, it.Name, "item %d", i)
		assert.Equal(t, w.at, it.At, "item %d", i)
		assert.Equal(t, w.fallback, it.Fallback, "item %d", i)
		assert.Equal(t, w.counts, counts{it.Matched, it.Unmatched, it.Unknown}, "counts of %s %s", it.Block, it.Name)
	}
	assert.Equal(t, 3, cov.Results, "the rejected lead counts nothing")
	assert.Equal(t, 17, cov.Total())
	assert.Equal(t, 15, cov.Covered())
	assert.Equal(t, 88.2, cov.Percent())
	var uncovered []string
	for _, it := range cov.Uncovered() {
		uncovered = append(uncovered, it.String())
	}
	assert.Equal(t, []string{
		`shop/shop.qual:24:3: rule fit "Tiny": never matched (unmatched in 2 tests, unknown in 1 test)`,
		`shop/shop.qual:29:3: step stage "warm": never matched (unmatched in 2 tests)`,
	}, uncovered)
}

// TestCoverage_empty checks the edge cases: no results, and an item's
// sides.
func TestCoverage_empty(t *testing.T) {
	t.Chdir(fixtures)
	s, err := qualifytest.Load("shop")
	require.NoError(t, err)
	cov := qualifytest.NewCoverage(s.Policy)
	cov.Add(nil)
	assert.Equal(t, 0, cov.Results)
	assert.Equal(t, 0, cov.Covered())
	assert.Equal(t, 0.0, cov.Percent())
	assert.Len(t, cov.Uncovered(), 9)
	fallback := cov.Items[len(cov.Items)-1]
	assert.Equal(t, 1, fallback.Sides())
	assert.Equal(t, `shop/shop.qual:30:3: step stage "cold" (fallback): never reached`, fallback.String())

	assert.Equal(t, 100.0, (&qualifytest.Coverage{}).Percent(), "nothing to cover is covered")
}
