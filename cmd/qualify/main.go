// Command qualify checks, evaluates and tests lead-scoring policies written
// in the qualify language.
//
// Usage:
//
//	qualify check [PATH...]
//	qualify eval -p POLICY [FACTS.json | -] [--json] [--now TIME]
//	qualify test [-v] [-run REGEXP] [--coverage] [--min-coverage PERCENT] [--json] [--now TIME] [PATH...]
//	qualify fmt [-l] [-w] [-d] [PATH...]
//	qualify vet [--ranges] [--json] [PATH...]
//
// Exit codes: 0 success, 1 a policy or evaluation error, 2 a usage error.
// vet exits 1 when it warns. fmt follows gofmt: 1 when -d shows a change,
// 2 on a syntax error or a file it cannot read or write.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// command is one subcommand of the CLI.
type command struct {
	name    string
	usage   string
	summary string
	run     func(env *cliEnv, args []string) int
}

// cliEnv is the process environment a command runs in, so tests can run
// commands in memory.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether stderr is a terminal.
	isTerminal bool
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() {
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: stderrIsTerminal()}
	os.Exit(run(env, os.Args[1:]))
}

// run dispatches to the subcommand named by args[0].
func run(env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(env.stdout, "usage: %s\n\n%s\n", c.usage, c.summary)
				return exitOK
			}
		}
		printUsage(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "qualify: unknown command %q\n\n", args[0])
		printUsage(env.stderr)
		return exitUsage
	}
	return c.run(env, args[1:])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "qualify: lead scoring and sales qualification as code")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, firstLine(commands[name].summary))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'qualify help COMMAND' for a command's flags.")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// parseFlags parses flags that may stand before, between or after the
// positional arguments, as in `qualify eval lead.json -p policy --json`.
// It returns the positional arguments, or ok=false after printing the
// error for a usage problem.
func parseFlags(env *cliEnv, fs *flag.FlagSet, c *command, args []string) ([]string, bool) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(env.stdout, "usage: %s\n\n%s\n\nflags:\n", c.usage, c.summary)
			fs.SetOutput(env.stdout)
			fs.PrintDefaults()
			return nil, false
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "qualify %s: %v\nusage: %s\n", c.name, err, c.usage)
			return nil, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, true
		}
		if rest[0] == "-" || !strings.HasPrefix(rest[0], "-") {
			positional = append(positional, rest[0])
			args = rest[1:]
			continue
		}
		// "--" ends the flags.
		return append(positional, rest[1:]...), true
	}
}

// usageError reports that flag parsing failed; help exits 0.
func usageExit(args []string) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return exitOK
		}
	}
	return exitUsage
}
