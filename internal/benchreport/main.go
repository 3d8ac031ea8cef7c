// Command benchreport reads `go test -bench` output (files named on the
// command line, or standard input), takes the median of each benchmark's
// runs, and prints Markdown tables comparing Rampart with its baselines:
// ratio Rampart ÷ baseline, the difference for times, and the goal where
// the performance issue sets one. scripts/bench.sh (make bench) runs it.
//
//	go run ./internal/benchreport bench.txt
//
// It exits 1 when nothing could be read, never because a goal was missed:
// the report says MISSED on that row instead.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	var readers []io.Reader
	for _, name := range args {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		readers = append(readers, f)
	}
	if len(readers) == 0 {
		readers = append(readers, stdin)
	}
	s, err := Parse(io.MultiReader(readers...))
	if err != nil {
		return err
	}
	if len(s) == 0 {
		return fmt.Errorf("no benchmark results in the input")
	}
	runs := 0
	for _, units := range s {
		runs = max(runs, len(units["ns/op"]))
	}
	fmt.Fprintf(stdout, "Medians of up to %d runs per benchmark; ratio = Rampart ÷ baseline (for times lower is better, for rates higher is better).\n", runs)
	missed, missing := Write(stdout, s, Sections())
	fmt.Fprintf(stdout, "\n%d goal(s) missed; %d row(s) without data.\n", missed, missing)
	return nil
}
