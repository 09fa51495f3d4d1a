package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/rules"
)

func init() {
	register(&command{
		name:  "eval",
		usage: "qualify eval -p POLICY [--json] [--now TIME] [--trace=false] [--lenient] [FACTS.json | -]",
		summary: "Evaluate one lead against a policy and explain the result.\n" +
			"The lead is a JSON object read from FACTS.json, or from standard input when it is - or absent.",
		run: runEval,
	})
}

func runEval(env *cliEnv, args []string) int {
	c := commands["eval"]
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	policy := fs.String("p", "", "the policy: a .qual file or a directory (required)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	nowFlag := fs.String("now", "", "the evaluation time, RFC 3339 or YYYY-MM-DD (default: the current time)")
	trace := fs.Bool("trace", true, "include the explanation trace")
	lenient := fs.Bool("lenient", false, "accept numbers and booleans written as strings, and empty strings as missing")
	rest, ok := parseFlags(env, fs, c, args)
	if !ok {
		return usageExit(args)
	}
	if *policy == "" {
		fmt.Fprintf(env.stderr, "qualify eval: -p POLICY is required\nusage: %s\n", c.usage)
		return exitUsage
	}
	if len(rest) > 1 {
		fmt.Fprintf(env.stderr, "qualify eval: one lead at a time (got %d files); use qualify score for many\nusage: %s\n", len(rest), c.usage)
		return exitUsage
	}
	opts := []eval.Option{eval.WithTrace(*trace), eval.WithLenientStrings(*lenient)}
	if *nowFlag != "" {
		t, err := rules.ParseTime(*nowFlag)
		if err != nil {
			fmt.Fprintf(env.stderr, "qualify eval: --now %q is not a time: write it as 2026-11-01T00:00:00Z or 2026-11-01\n", *nowFlag)
			return exitUsage
		}
		opts = append(opts, eval.WithNow(t))
	}
	pol, err := rules.Load(*policy)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFail
	}
	var input []byte
	name := "standard input"
	// The lead is read whatever the file is (standard input, a pipe, a
	// device), but never more than eval.MaxFactsSize of it.
	if len(rest) == 0 || rest[0] == "-" {
		input, err = readLimited(env.stdin, eval.MaxFactsSize, name)
	} else {
		name = rest[0]
		input, err = readFileLimited(rest[0], eval.MaxFactsSize)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "qualify eval: %v\n", err)
		return exitFail
	}
	input = bytes.TrimPrefix(input, utf8BOM)
	res, err := eval.New(pol, opts...).Evaluate(context.Background(), input)
	if err != nil {
		fmt.Fprintf(env.stderr, "qualify eval: %s: %v\n", name, err)
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(env.stderr, "qualify eval: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	fmt.Fprint(env.stdout, res.Explain())
	return exitOK
}
