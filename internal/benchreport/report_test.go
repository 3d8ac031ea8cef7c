package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/rampart-go/rampart/httpsec
cpu: AMD EPYC
BenchmarkBare-2         	 1000000	        30.00 ns/op	       8 B/op	       1 allocs/op
BenchmarkFullChain-2    	  500000	      3000 ns/op	    1024 B/op	      20 allocs/op
BenchmarkBare-2         	 1000000	        10.00 ns/op	       8 B/op	       1 allocs/op
BenchmarkFullChain-2    	  500000	      1000 ns/op	    1024 B/op	      20 allocs/op
BenchmarkBare-2         	 1000000	        20.00 ns/op	       8 B/op	       1 allocs/op
BenchmarkFullChain-2    	  500000	      2000 ns/op	    1024 B/op	      20 allocs/op
PASS
ok  	github.com/rampart-go/rampart/httpsec	3.1s
pkg: github.com/rampart-go/rampart/wssec
BenchmarkThroughput/raw/benign-2   	   20000	     3000 ns/op	 300000 msgs/s
BenchmarkThroughput/guarded/benign-2	   20000	     4000 ns/op	 200000 msgs/s
BenchmarkIdleConnMemory/guarded-2  	       1	 900000000 ns/op	 30000 B/conn
BenchmarkThroughput/guarded/benign
pkg: github.com/rampart-go/rampart/demo/server
BenchmarkEndToEnd/bare-2    	4724	 513446 ns/op	 0 429s	 0 errors	 2.736 p50-ms	 18.41 p99-ms	 1000 req/s	 101753 B/op	 1981 allocs/op
BenchmarkEndToEnd/hardened-2	3831	 993412 ns/op	 0 429s	 0 errors	 4.963 p50-ms	 44.10 p99-ms	 900 req/s	 114438 B/op	 2101 allocs/op
`

func TestParseAndMedians(t *testing.T) {
	t.Parallel()
	s, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, unit string
		want            float64
		n               int
	}{
		{"odd_count_median_is_middle", "httpsec.BenchmarkFullChain", "ns/op", 2000, 3},
		{"procs_suffix_stripped", "httpsec.BenchmarkBare", "ns/op", 20, 3},
		{"custom_metric", "wssec.BenchmarkThroughput/guarded/benign", "msgs/s", 200000, 1},
		{"package_with_slash", "demo/server.BenchmarkEndToEnd/hardened", "req/s", 900, 1},
		{"p50_metric", "demo/server.BenchmarkEndToEnd/bare", "p50-ms", 2.736, 1},
	} {
		got, n, ok := s.Get(tc.key, tc.unit)
		if !ok || got != tc.want || n != tc.n {
			t.Errorf("%s: Get(%s, %s) = %v, %d, %v; want %v, %d", tc.name, tc.key, tc.unit, got, n, ok, tc.want, tc.n)
		}
	}
	if _, _, ok := s.Get("httpsec.BenchmarkNope", "ns/op"); ok {
		t.Error("missing benchmark reported as present")
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
		ok   bool
	}{
		{"empty", nil, 0, false},
		{"one", []float64{7}, 7, true},
		{"even_count_averages_middles", []float64{4, 1, 3, 2}, 2.5, true},
		{"odd_unsorted", []float64{5, 1, 9, 3, 7}, 5, true},
		{"outlier_ignored", []float64{1, 1, 1, 1000, 1}, 1, true},
	} {
		got, ok := Median(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: Median(%v) = %v, %v; want %v, %v", tc.name, tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTrimProcs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"BenchmarkX-2":                   "BenchmarkX",
		"BenchmarkX":                     "BenchmarkX",
		"BenchmarkS/levels=10-16":        "BenchmarkS/levels=10",
		"BenchmarkS/first-seen":          "BenchmarkS/first-seen",
		"BenchmarkS/first-seen-2":        "BenchmarkS/first-seen",
		"BenchmarkVerifyJWT/HS256/a_b-2": "BenchmarkVerifyJWT/HS256/a_b",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEvaluateRatiosAndGoals(t *testing.T) {
	t.Parallel()
	s, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		row     Row
		ratio   float64
		verdict string
	}{
		{"time_ratio_no_goal", Row{Key: "httpsec.BenchmarkFullChain", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"}, 100, ""},
		{"rate_at_min_goal_passes", Row{Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "req/s", BaseKey: "demo/server.BenchmarkEndToEnd/bare", RatioMin: 0.9}, 0.9, "ok"},
		{"rate_below_min_goal_missed", Row{Key: "wssec.BenchmarkThroughput/guarded/benign", Unit: "msgs/s", BaseKey: "wssec.BenchmarkThroughput/raw/benign", RatioMin: 0.8}, 2.0 / 3, "MISSED"},
		{"time_at_max_goal_passes", Row{Key: "httpsec.BenchmarkBare", Unit: "ns/op", BaseKey: "httpsec.BenchmarkFullChain", RatioMax: 0.01}, 0.01, "ok"},
		{"absolute_goal_past_limit", Row{Key: "wssec.BenchmarkIdleConnMemory/guarded", Unit: "B/conn", BaseKey: "wssec.BenchmarkIdleConnMemory/raw", AbsMax: 24 << 10}, math.NaN(), "MISSED"},
		{"per_byte_divides_both", Row{Key: "httpsec.BenchmarkFullChain", Unit: "ns/op", Div: 100, BaseKey: "httpsec.BenchmarkFullChain", BaseDiv: 50}, 0.5, ""},
		{"no_data_no_verdict", Row{Key: "x.BenchmarkMissing", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare", RatioMax: 1}, math.NaN(), ""},
	} {
		l := Evaluate(s, tc.row)
		r := l.Ratio()
		if math.IsNaN(tc.ratio) != math.IsNaN(r) || (!math.IsNaN(r) && math.Abs(r-tc.ratio) > 1e-9) {
			t.Errorf("%s: ratio %v, want %v", tc.name, r, tc.ratio)
		}
		if v := l.Verdict(); v != tc.verdict {
			t.Errorf("%s: verdict %q, want %q", tc.name, v, tc.verdict)
		}
	}
}

func TestWriteReport(t *testing.T) {
	t.Parallel()
	s, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	missed, missing := Write(&out, s, Sections())
	got := out.String()
	for _, want := range []string{
		"| httpsec full chain (7 middleware) vs bare handler | 2.00 µs | 20.0 ns | 100.00× | +1.98 µs |  |",
		"| requests/s: hardened demo vs bare gqlgen | 900/s | 1,000/s | 0.90× |  | ≥ 0.85× ok |",
		"| server memory per idle connection (1,000 conns) | 29.3 KiB | n/a |  |  | ≤ 24 KiB MISSED |",
		"not run (10^40 fields)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if missed != 2 { // guarded msgs/s 0.67× and 29.3 KiB per connection
		t.Errorf("missed = %d, want 2", missed)
	}
	if missing == 0 {
		t.Error("rows without data not counted")
	}
}

func TestRunRefusesEmptyInput(t *testing.T) {
	t.Parallel()
	if err := run(nil, strings.NewReader("PASS\n"), &bytes.Buffer{}); err == nil {
		t.Fatal("want an error for input without results")
	}
	var out bytes.Buffer
	if err := run(nil, strings.NewReader(sample), &out); err != nil || !strings.Contains(out.String(), "Medians of up to 3 runs") {
		t.Fatalf("run = %v, output %q", err, out.String())
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}
