// Command decodeonly is the baseline for qualify score's throughput: it
// reads a JSONL file line by line and decodes every line with the JSON
// decoder qualify uses (encoding/json into map[string]any, numbers kept as
// json.Number) on every core, in input order, and does nothing else.
//
//	go run ./cmd/decodeonly FILE.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: decodeonly FILE.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
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
			ok, bad := 0, 0
			for line := range lines {
				dec := json.NewDecoder(bytes.NewReader(line))
				dec.UseNumber()
				var v any
				if dec.Decode(&v) == nil {
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
	fmt.Printf("decoded %d lines (%d failed) in %s: %.0f lines/s\n", decoded, failed, took.Round(time.Millisecond), float64(decoded+failed)/took.Seconds())
}
