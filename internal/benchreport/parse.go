package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// modulePrefix is stripped from "pkg:" lines so that keys read
// "ratelimit.BenchmarkMemoryAllow".
const modulePrefix = "github.com/rampart-go/rampart/"

// Samples holds every value seen per benchmark key ("pkg.BenchmarkName/sub",
// GOMAXPROCS suffix removed) and unit ("ns/op", "req/s", …).
type Samples map[string]map[string][]float64

// Parse reads `go test -bench` output (several runs concatenated is fine).
// Lines other than "pkg:" headers and benchmark results are ignored.
func Parse(r io.Reader) (Samples, error) {
	s := Samples{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), modulePrefix)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		// name, iterations, then value/unit pairs.
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // e.g. "BenchmarkX" alone on a line before its result
		}
		key := pkg + "." + trimProcs(f[0])
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchreport: %q: bad value %q", line, f[i])
			}
			if s[key] == nil {
				s[key] = map[string][]float64{}
			}
			s[key][f[i+1]] = append(s[key][f[i+1]], v)
		}
	}
	return s, sc.Err()
}

// trimProcs removes the "-N" GOMAXPROCS suffix go test appends.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Median returns the median of vs and whether there was any value.
func Median(vs []float64) (float64, bool) {
	n := len(vs)
	if n == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// Get is the median of key's unit and the number of samples.
func (s Samples) Get(key, unit string) (float64, int, bool) {
	vs := s[key][unit]
	m, ok := Median(vs)
	return m, len(vs), ok
}
