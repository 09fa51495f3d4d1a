package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"regexp"
	"strings"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/qualifytest"
	"github.com/qualifyhq/qualify/rules"
)

func init() {
	register(&command{
		name:  "test",
		usage: "qualify test [-v] [-run REGEXP] [--coverage] [--min-coverage PERCENT] [--json] [--now TIME] [PATH...]",
		summary: "Run the tests of policies, written in _test.qual files beside them.\n" +
			"A PATH is a policy directory, a .qual file (tested by X_test.qual beside it), a _test.qual\n" +
			"file (testing the policy of its directory), or DIR/... for every policy below DIR\n" +
			"(default: the current directory). Prints ok or FAIL per test file, like go test.",
		run: runTest,
	})
}

// testRun is the JSON that qualify test --json prints.
type testRun struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Errors counts the policies whose policy or test files do not compile.
	Errors   int           `json:"errors"`
	Policies []*testPolicy `json:"policies"`
}

// testPolicy is one policy's report, or its compile errors.
type testPolicy struct {
	*qualifytest.Report
	Diagnostics []*parser.Diagnostic `json:"diagnostics,omitempty"`
	// Message is an error that is not a diagnostic.
	Message string `json:"message,omitempty"`
}

func runTest(env *cliEnv, args []string) int {
	c := commands["test"]
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "print every test as it runs, not only failures")
	runFlag := fs.String("run", "", "run only the tests whose name matches this regular expression")
	coverage := fs.Bool("coverage", false, "report which outcomes of rules, criteria and ladder steps no test saw")
	minCoverage := fs.Float64("min-coverage", 0, "fail when a policy's coverage is below this percentage (implies --coverage)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	nowFlag := fs.String("now", "", "the evaluation time of tests without a now line, RFC 3339 or YYYY-MM-DD (default: "+qualifytest.DefaultNow.Format("2006-01-02T15:04:05Z07:00")+")")
	paths, ok := parseFlags(env, fs, c, args)
	if !ok {
		return usageExit(args)
	}
	var opts []qualifytest.Option
	if *runFlag != "" {
		re, err := regexp.Compile(*runFlag)
		if err != nil {
			fmt.Fprintf(env.stderr, "qualify test: -run %q is not a regular expression: %v\nusage: %s\n", *runFlag, err, c.usage)
			return exitUsage
		}
		opts = append(opts, qualifytest.WithFilter(re))
	}
	if *nowFlag != "" {
		t, err := rules.ParseTime(*nowFlag)
		if err != nil {
			fmt.Fprintf(env.stderr, "qualify test: --now %q is not a time: write it as 2026-11-01T00:00:00Z or 2026-11-01\n", *nowFlag)
			return exitUsage
		}
		opts = append(opts, qualifytest.WithNow(t))
	}
	if !(*minCoverage >= 0 && *minCoverage <= 100) { // NaN too
		fmt.Fprintf(env.stderr, "qualify test: --min-coverage %v is not a percentage from 0 to 100\nusage: %s\n", *minCoverage, c.usage)
		return exitUsage
	}
	if *minCoverage > 0 {
		*coverage = true
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	policies, err := expandPolicyPaths(paths)
	if err != nil {
		fmt.Fprintf(env.stderr, "qualify test: %v\n", err)
		return exitFail
	}

	out := &testRun{Policies: []*testPolicy{}}
	var uncovered []string
	for _, p := range policies {
		suite, err := qualifytest.Load(p)
		if err != nil {
			out.Errors++
			tp := &testPolicy{Report: &qualifytest.Report{Path: p, Files: []*qualifytest.FileReport{}}, Diagnostics: parser.Diagnostics(err)}
			if len(tp.Diagnostics) == 0 {
				tp.Message = err.Error()
			}
			out.Policies = append(out.Policies, tp)
			if !*asJSON {
				fmt.Fprintln(env.stderr, err)
				fmt.Fprintf(env.stdout, "FAIL\t%s [does not compile]\n", p)
			}
			continue
		}
		rep := suite.Run(context.Background(), opts...)
		out.Passed += rep.Passed()
		out.Failed += rep.Failed()
		// A policy without tests is 0% covered: --min-coverage rejects it.
		below := *minCoverage > 0 && rep.Coverage.Percent() < *minCoverage
		if below {
			uncovered = append(uncovered, fmt.Sprintf("%s (%.1f%%)", p, rep.Coverage.Percent()))
		}
		if !*coverage {
			rep.Coverage = nil
		}
		out.Policies = append(out.Policies, &testPolicy{Report: rep})
		if *asJSON {
			continue
		}
		rep.WriteText(env.stdout, *verbose)
		switch {
		case *coverage && len(rep.Files) == 0:
			fmt.Fprintf(env.stdout, "coverage: %.1f%% of %d outcomes in %s: it has no tests\n", rep.Coverage.Percent(), rep.Coverage.Total(), p)
		case *coverage:
			rep.Coverage.WriteText(env.stdout, p)
		}
		if below {
			fmt.Fprintf(env.stdout, "FAIL\t%s coverage %.1f%% is below the required %.1f%%\n", p, rep.Coverage.Percent(), *minCoverage)
		}
	}

	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(env.stderr, "qualify test: %v\n", err)
			return exitFail
		}
	} else {
		summary := fmt.Sprintf("%d passed, %d failed", out.Passed, out.Failed)
		var extra []string
		if out.Errors > 0 {
			extra = append(extra, fmt.Sprintf("%d %s did not compile", out.Errors, pluralize(out.Errors, "policy", "policies")))
		}
		if len(uncovered) > 0 {
			extra = append(extra, "coverage below "+fmt.Sprintf("%.1f%%", *minCoverage)+" in "+strings.Join(uncovered, ", "))
		}
		if len(extra) > 0 {
			summary += "; " + strings.Join(extra, "; ")
		}
		fmt.Fprintln(env.stdout, summary)
	}
	if out.Failed > 0 || out.Errors > 0 || len(uncovered) > 0 {
		return exitFail
	}
	return exitOK
}

func pluralize(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
