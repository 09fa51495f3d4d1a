package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
	"github.com/qualifyhq/qualify/vet"
)

func init() {
	register(&command{
		name:  "vet",
		usage: "qualify vet [--ranges] [--json] [PATH...]",
		summary: "Report what compiles but is likely a mistake, and the points every score can reach.\n" +
			"Warnings: thresholds no lead can reach, ladder steps an earlier step shadows, clamps\n" +
			"below a rule's points, lets, facts and frameworks never read, rules with the same\n" +
			"condition (codes W100-W106, documented in docs/errors.md).\n" +
			"A PATH is a .qual file or a directory of them (default: the current directory);\n" +
			"DIR/... vets every directory under DIR that holds .qual files.\n" +
			"--ranges prints the reachable range of every score group and of the total.\n" +
			"Exit codes: 0 no warning, 1 a warning or a compile error, 2 a usage error.",
		run: runVet,
	})
}

// vetReport is what qualify vet --json prints.
type vetReport struct {
	Diagnostics []*parser.Diagnostic `json:"diagnostics"`
	Ranges      []policyRanges       `json:"ranges,omitempty"`
}

type policyRanges struct {
	Path string `json:"path"`
	*vet.PolicyRanges
}

func runVet(env *cliEnv, args []string) int {
	c := commands["vet"]
	flags := flag.NewFlagSet("vet", flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "print the warnings (and ranges) as JSON")
	showRanges := flags.Bool("ranges", false, "print the reachable range of every score group and of the total")
	paths, ok := parseFlags(env, flags, c, args)
	if !ok {
		return usageExit(args)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	policies, err := expandPolicyPaths(paths)
	if err != nil {
		fmt.Fprintf(env.stderr, "qualify vet: %v\n", err)
		return exitFail
	}
	report := vetReport{Diagnostics: []*parser.Diagnostic{}}
	failed := false
	for _, p := range policies {
		pol, err := rules.Load(p)
		if err != nil {
			failed = true
			if *asJSON {
				report.Diagnostics = append(report.Diagnostics, parser.Diagnostics(err)...)
			} else {
				fmt.Fprintln(env.stderr, err)
			}
			continue
		}
		ds := vet.Vet(pol)
		if len(ds) > 0 {
			failed = true
		}
		var r *vet.PolicyRanges
		if *showRanges {
			r = vet.Ranges(pol)
		}
		if *asJSON {
			report.Diagnostics = append(report.Diagnostics, ds...)
			if r != nil {
				report.Ranges = append(report.Ranges, policyRanges{Path: p, PolicyRanges: r})
			}
			continue
		}
		if r != nil {
			printRanges(env.stdout, p, pol, r)
		}
		if len(ds) > 0 {
			fmt.Fprintln(env.stderr, parser.Gather(ds))
		} else if r == nil {
			fmt.Fprintf(env.stdout, "ok  %s  (%s %s)\n", p, pol.Name, pol.Version)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(report)
	}
	if failed {
		return exitFail
	}
	return exitOK
}

// printRanges prints the ranges of a policy as a table, then why any rule
// has no bound.
func printRanges(w io.Writer, path string, pol *rules.Policy, r *vet.PolicyRanges) {
	fmt.Fprintf(w, "%s  (%s %s)\n", path, pol.Name, pol.Version)
	type line struct{ name, raw, clamp, points string }
	lines := []line{{"group", "raw", "clamp", "points"}}
	for _, g := range r.Groups {
		lines = append(lines, line{"score." + g.Name, g.Raw.String(), clampText(g.Clamp), g.Points.String()})
	}
	lines = append(lines, line{"score.total", r.Total.Raw.String(), clampText(r.Total.Clamp), r.Total.Points.String()})
	var wn, wr, wc int
	for _, l := range lines {
		wn, wr, wc = max(wn, len(l.name)), max(wr, len(l.raw)), max(wc, len(l.clamp))
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %-*s  %-*s  %s\n", wn, l.name, wr, l.raw, wc, l.clamp, l.points)
	}
	for _, g := range r.Groups {
		for _, rr := range g.Rules {
			if rr.Unbounded != "" {
				fmt.Fprintf(w, "  unbounded: %s %q (%s): %s\n", "score."+g.Name, rr.Label, rr.Pos, rr.Unbounded)
			}
		}
	}
	fmt.Fprintln(w)
}

// clampText renders a clamp as the policy writes it.
func clampText(c vet.Interval) string {
	var parts []string
	if !math.IsInf(c.Min, 0) {
		parts = append(parts, "min "+strconv.FormatFloat(c.Min, 'f', -1, 64))
	}
	if !math.IsInf(c.Max, 0) {
		parts = append(parts, "max "+strconv.FormatFloat(c.Max, 'f', -1, 64))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
