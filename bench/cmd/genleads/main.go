// Command genleads writes generated acme leads as JSONL, one lead a line,
// or as CSV (-format csv), for batch tests and benchmarks: the same
// generator, and with the default seed the same leads, as the bench
// module's agreement test and benchmarks (their 1,000 leads are the first
// 1,000 lines).
//
//	go run ./cmd/genleads -n 200000 -o leads.jsonl
//	go run ./cmd/genleads -n 200000 -format csv -o leads.csv
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/qualifyhq/qualify/bench"
)

func main() {
	n := flag.Int("n", bench.SetSize, "number of leads")
	out := flag.String("o", "-", "output file (- for standard output)")
	seed := flag.Uint64("seed", bench.Seed, "generator seed")
	format := flag.String("format", "jsonl", "jsonl or csv")
	flag.Parse()
	write, ok := map[string]func(io.Writer, int, uint64) error{"jsonl": bench.WriteJSONL, "csv": bench.WriteCSV}[*format]
	if flag.NArg() > 0 || *n < 0 || !ok {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(write, *n, *out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genleads:", err)
		os.Exit(1)
	}
}

func run(write func(io.Writer, int, uint64) error, n int, out string, seed uint64) error {
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
		if err := write(w, n, seed); err != nil {
			return err
		}
		return f.Close()
	}
	return write(w, n, seed)
}
