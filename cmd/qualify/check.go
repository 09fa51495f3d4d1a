package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/qualifyhq/qualify/parser"
	"github.com/qualifyhq/qualify/rules"
)

func init() {
	register(&command{
		name:  "check",
		usage: "qualify check [--json] [PATH...]",
		summary: "Compile policies and print every error with its position.\n" +
			"A PATH is a .qual file or a directory of them (default: the current directory);\n" +
			"DIR/... checks every directory under DIR that holds .qual files.",
		run: runCheck,
	})
}

func runCheck(env *cliEnv, args []string) int {
	c := commands["check"]
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print diagnostics as JSON")
	paths, ok := parseFlags(env, fs, c, args)
	if !ok {
		return usageExit(args)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	policies, err := expandPolicyPaths(paths)
	if err != nil {
		fmt.Fprintf(env.stderr, "qualify check: %v\n", err)
		return exitFail
	}
	failed := false
	var all []*parser.Diagnostic
	for _, p := range policies {
		pol, err := rules.Load(p)
		if err != nil {
			failed = true
			if *asJSON {
				all = append(all, parser.Diagnostics(err)...)
			} else {
				fmt.Fprintln(env.stderr, err)
			}
			continue
		}
		if !*asJSON {
			fmt.Fprintf(env.stdout, "ok  %s  (%s %s)\n", p, pol.Name, pol.Version)
		}
	}
	if *asJSON {
		if all == nil {
			all = []*parser.Diagnostic{}
		}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(all)
	}
	if failed {
		return exitFail
	}
	return exitOK
}

// expandPolicyPaths turns command-line paths into policies: a file, a
// directory, or DIR/... for every directory below DIR holding .qual files.
func expandPolicyPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if !strings.HasSuffix(p, "...") {
			out = append(out, p)
			continue
		}
		root := strings.TrimSuffix(strings.TrimSuffix(p, "..."), "/")
		if root == "" {
			root = "."
		}
		var found []string
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".qual") && !strings.HasSuffix(path, "_test.qual") {
				dir := filepath.Dir(path)
				if len(found) == 0 || found[len(found)-1] != dir {
					found = append(found, dir)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no .qual files under %s", root)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
