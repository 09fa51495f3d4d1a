package eval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/qualifyhq/qualify/eval"
	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/rules"
)

// BenchmarkEvaluate measures one lead of the acme example: from a decoded
// map and from JSON bytes, with the full trace and without it, and with the
// trace read after each evaluation: every step rendered (steps) or the
// whole result written as JSON (out), as qualify score does. ns/op is
// ns/lead and allocs/op allocs/lead.
func BenchmarkEvaluate(b *testing.B) {
	pol, err := rules.Load("../examples/acme")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("../testdata/leads/acme/vp.json")
	if err != nil {
		b.Fatal(err)
	}
	var lead map[string]any
	if err := json.Unmarshal(raw, &lead); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		trace bool
		facts any
		read  string
	}{
		{"map/trace", true, lead, ""},
		{"map/trace/steps", true, lead, "steps"},
		{"map/notrace", false, lead, ""},
		{"json/trace", true, raw, ""},
		{"json/trace/out", true, raw, "out"},
		{"json/notrace", false, raw, ""},
		{"json/notrace/out", false, raw, "out"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ev := eval.New(pol, eval.WithNow(now), eval.WithTrace(bc.trace))
			var res model.Result
			var out []byte
			reads := 0
			b.ReportAllocs()
			for b.Loop() {
				if err := ev.EvaluateInto(ctx, bc.facts, &res); err != nil {
					b.Fatal(err)
				}
				switch bc.read {
				case "steps":
					for _, s := range res.Steps() {
						reads += len(s.Reads)
					}
				case "out":
					out = res.AppendJSON(out[:0])
				}
			}
			if bc.read == "steps" && reads == 0 {
				b.Fatal("the trace read nothing")
			}
		})
	}
}

// BenchmarkDecodeLead decodes the same lead into Go values and does nothing
// else, for comparison with json/trace and json/notrace above: with
// encoding/json into a map (numbers as json.Number) and with the JSON
// library qualify reads leads with (jsonv2) into an interface.
func BenchmarkDecodeLead(b *testing.B) {
	raw, err := os.ReadFile("../testdata/leads/acme/vp.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsonv2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := jsonv2.Unmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompile measures compiling the acme policy from source.
func BenchmarkCompile(b *testing.B) {
	src, err := os.ReadFile("../examples/acme/acme.qual")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rules.Compile("acme.qual", string(src)); err != nil {
			b.Fatal(err)
		}
	}
}
