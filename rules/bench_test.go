package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qualifyhq/qualify/rules"
)

// BenchmarkCompile_large compiles policies with thousands of names, which
// compile in time linear in their size: a configuration of the type
// environment is made once and brought up to date as names are added, not
// made again for every condition.
func BenchmarkCompile_large(b *testing.B) {
	build := func(n int, item func(i int) string) string {
		var s strings.Builder
		s.WriteString("policy \"p\" version \"1\"\nfacts {\n  n int\n")
		if strings.Contains(item(0), "f0") {
			for i := range n {
				fmt.Fprintf(&s, "  f%d int\n", i)
			}
		}
		s.WriteString("}\n")
		for i := range n {
			s.WriteString(item(i))
		}
		s.WriteString("classify stage {\n  x\n}\n")
		return s.String()
	}
	for _, bc := range []struct {
		name string
		src  string
	}{
		{"5000 lets", build(5000, func(i int) string { return fmt.Sprintf("let l%d = n > %d\n", i, i) })},
		{"5000 groups", build(5000, func(i int) string { return fmt.Sprintf("score g%d {\n  +1 \"a\" when n > %d\n}\n", i, i) })},
		{"5000 facts and rules", build(5000, func(i int) string { return fmt.Sprintf("score g%d {\n  +1 \"a\" when f%d > 1\n}\n", i, i) })},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rules.Compile("p.qual", bc.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
