//go:build race

package eval_test

// raceEnabled: the race detector's sync.Pool drops items at random, so
// counts of allocations mean nothing under it.
const raceEnabled = true
