package main

import (
	"math"
	"strings"
	"testing"
)

// FuzzParse: any input parses without panicking, and every value kept is a
// number under a named benchmark and unit whose median lies within its
// samples.
func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("pkg: x\nBenchmarkA-2 1 5 ns/op\n")
	f.Add("BenchmarkA-2 1 NaN ns/op 1e400 B/op\n")
	f.Add("BenchmarkA 1 2\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for key, units := range s {
			if !strings.Contains(key, ".Benchmark") {
				t.Fatalf("key %q does not name a benchmark", key)
			}
			for unit, vs := range units {
				m, ok := Median(vs)
				if !ok || unit == "" {
					t.Fatalf("%s: empty unit %q or no samples", key, unit)
				}
				lo, hi := math.Inf(1), math.Inf(-1)
				nan := false
				for _, v := range vs {
					if math.IsNaN(v) {
						nan = true
					}
					lo, hi = min(lo, v), max(hi, v)
				}
				if !nan && (m < lo || m > hi) {
					t.Fatalf("%s %s: median %v outside [%v, %v]", key, unit, m, lo, hi)
				}
			}
		}
	})
}
