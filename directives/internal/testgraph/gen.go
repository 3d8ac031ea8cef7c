// Package testgraph is the gqlgen graph the directives tests run against: a
// small recursive schema annotated with every directive.
//
// Regenerate with `go generate ./directives/internal/testgraph` (gqlgen
// resolves the paths in gqlgen.yml against the working directory, so it must
// run from this folder).
package testgraph

//go:generate go run github.com/99designs/gqlgen generate
