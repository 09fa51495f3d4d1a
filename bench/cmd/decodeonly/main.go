// Command decodeonly is the baseline for qualify score's throughput: it
// reads a JSONL file line by line and decodes every line on every core, and
// does nothing else. -decoder picks how:
//
//	encoding/json  encoding/json into map[string]any, numbers kept as
//	               json.Number (the default; what qualify did before it
//	               read JSON leads with jsontext, and what it still does
//	               for a document jsontext rejects)
//	jsonv2         github.com/go-json-experiment/json's Unmarshal into any:
//	               the library qualify reads leads with, decoding the whole
//	               line into Go values
//	jsontext       the same library's jsontext.Decoder reading every token
//	               of the line and building nothing: the least work any
//	               reader of these lines must do
//
//	go run ./cmd/decodeonly [-decoder NAME] FILE.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decoders decode one line, each keeping whatever state it reuses.
var decoders = map[string]func() func(line []byte) error{
	"encoding/json": func() func([]byte) error {
		return func(line []byte) error {
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			var v any
			return dec.Decode(&v)
		}
	},
	"jsonv2": func() func([]byte) error {
		return func(line []byte) error {
			var v any
			return jsonv2.Unmarshal(line, &v)
		}
	},
	"jsontext": func() func([]byte) error {
		var src bytes.Buffer
		dec := jsontext.NewDecoder(&src)
		return func(line []byte) error {
			src = *bytes.NewBuffer(line)
			dec.Reset(&src)
			for {
				if _, err := dec.ReadToken(); err != nil {
					if err == io.EOF {
						return nil
					}
					return err
				}
			}
		}
	},
}

func main() {
	name := flag.String("decoder", "encoding/json", "encoding/json, jsonv2 or jsontext")
	flag.Parse()
	newDecoder, ok := decoders[*name]
	if flag.NArg() != 1 || !ok {
		fmt.Fprintln(os.Stderr, "usage: decodeonly [-decoder encoding/json|jsonv2|jsontext] FILE.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	start := time.Now()
	lines := make(chan []byte, 1024)
	var wg sync.WaitGroup
	var mu sync.Mutex
	decoded, failed := 0, 0
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			decode := newDecoder()
			ok, bad := 0, 0
			for line := range lines {
				if decode(line) == nil {
					ok++
				} else {
					bad++
				}
			}
			mu.Lock()
			decoded += ok
			failed += bad
			mu.Unlock()
		}()
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 256<<10), 8<<20)
	for sc.Scan() {
		lines <- bytes.Clone(sc.Bytes())
	}
	close(lines)
	wg.Wait()
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	took := time.Since(start)
	fmt.Printf("%s: decoded %d lines (%d failed) in %s: %.0f lines/s\n", *name, decoded, failed, took.Round(time.Millisecond), float64(decoded+failed)/took.Seconds())
}
