// Command instrs evaluates the benchmark's 1,000 leads a number of times
// with one implementation, for counting instructions under valgrind: on a
// shared machine, wall time varies by more than the changes one wants to
// measure, and instruction counts do not. Run it with two round counts and
// divide the difference by the leads evaluated in between:
//
//	go build -o /tmp/instrs ./cmd/instrs
//	GOGC=off valgrind --tool=cachegrind --cache-sim=no /tmp/instrs -impl qualify-trace 2
//	GOGC=off valgrind --tool=cachegrind --cache-sim=no /tmp/instrs -impl qualify-trace 12
//
// (10,000 more leads in the second run: the difference of the two "I refs"
// totals divided by 10,000 is the instructions per lead). GOGC=off keeps the collector,
// which the setup sets running, out of the count.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/qualifyhq/qualify/bench"
)

func main() {
	impl := flag.String("impl", "qualify-trace", "handwritten, qualify-trace, qualify-trace-read or qualify-notrace")
	flag.Parse()
	rounds := 1
	if flag.NArg() > 0 {
		n, err := strconv.Atoi(flag.Arg(0))
		if err != nil || n < 0 {
			fmt.Fprintln(os.Stderr, "instrs: the argument is a number of rounds")
			os.Exit(2)
		}
		rounds = n
	}
	if err := run(*impl, rounds); err != nil {
		fmt.Fprintln(os.Stderr, "instrs:", err)
		os.Exit(1)
	}
}

func run(name string, rounds int) error {
	leads, err := bench.Leads(bench.SetSize, bench.Seed)
	if err != nil {
		return err
	}
	var impl bench.Impl
	switch name {
	case "handwritten":
		impl = bench.NewHandwritten(bench.Now)
	case "qualify-trace", "qualify-notrace":
		impl, err = bench.NewQualify(bench.Now, name == "qualify-trace")
	case "qualify-trace-read":
		impl, err = bench.NewQualifyRead(bench.Now)
	default:
		return fmt.Errorf("no implementation %q", name)
	}
	if err != nil {
		return err
	}
	var out bench.Outcome
	for range rounds {
		for _, l := range leads {
			if err := impl.Evaluate(l, &out); err != nil {
				return err
			}
		}
	}
	fmt.Println(impl.Name(), rounds*len(leads), "leads; last stage:", out.Stage)
	return nil
}
