package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/directives"
)

// TestSDL checks that `rampart sdl` prints both SDLs verbatim and that the
// result loads into a schema that uses every directive.
func TestSDL(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"sdl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, directives.SDL) || !strings.Contains(out, complexity.DirectivesSDL) {
		t.Fatalf("output lacks directives.SDL or complexity.DirectivesSDL:\n%s", out)
	}
	_, err := gqlparser.LoadSchema(
		&ast.Source{Name: "rampart.graphqls", Input: out},
		&ast.Source{Name: "schema.graphqls", Input: `
type Query {
  me: String @auth(requires: ["ADMIN"]) @stepUp @rateLimit(limit: 5, window: "1m")
  post(id: ID!): String @owner(lookup: "Post") @cost(weight: "2")
  echo(s: String! @sanitize @constraint(maxLength: 10)): String @public
  list(first: Int): [String!] @public @listSize(slicingArguments: ["first"])
}`})
	if err != nil {
		t.Fatalf("the printed SDL does not load: %v", err)
	}
}

func TestSDLToFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rampart.graphqls")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"sdl", "-o", file}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != sdl() || stdout.Len() != 0 {
		t.Fatalf("file = %q, stdout = %q", b, stdout.String())
	}
	if code := run([]string{"sdl", "-o", filepath.Join(file, "not-a-dir", "x")}, &stdout, &stderr); code != 1 {
		t.Fatalf("unwritable file: exit %d, want 1", code)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"sql"}, {"sdl", "extra"}, {"sdl", "-x"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: rampart sdl") || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", args, code, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "usage") {
		t.Errorf("help: exit %d, stdout %q", code, stdout.String())
	}
}
