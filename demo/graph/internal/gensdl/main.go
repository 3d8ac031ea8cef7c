// Command gensdl writes demo/graph/rampart.graphqls: the directive
// definitions the toolkit exports (directives.SDL and
// complexity.DirectivesSDL), verbatim, so that gqlgen generates matching
// signatures. `make generate` runs it; a demo/graph test fails on drift.
package main

import (
	"fmt"
	"os"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/directives"
)

func main() {
	out := "# Code generated from directives.SDL and complexity.DirectivesSDL; DO NOT EDIT.\n# Refresh with `make generate`; demo/graph tests fail when it drifts.\n\n" + directives.SDL + "\n" + complexity.DirectivesSDL
	if err := os.WriteFile(os.Args[1], []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
