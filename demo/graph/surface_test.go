package graph_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/demo/graph/generated"
	"github.com/rampart-go/rampart/directives"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestAnonymousSurface pins every field an anonymous caller can reach.
// Adding an unprotected field (or @public) changes this list: review the
// change, then refresh with `go test ./demo/graph -run AnonymousSurface -update`.
func TestAnonymousSurface(t *testing.T) {
	t.Parallel()
	es := generated.NewExecutableSchema(generated.Config{})
	got := strings.Join(directives.AnonymousSurface(es.Schema()), "\n") + "\n"
	const golden = "testdata/anonymous_surface.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("anonymous surface changed; review, then run with -update.\ngot:\n%s\nwant:\n%s", got, want)
	}
	for _, private := range []string{"Query.users", "Mutation.createPost", "Mutation.setUserRole", "Subscription.commentAdded"} {
		if strings.Contains(got, private+"\n") {
			t.Errorf("%s is reachable anonymously", private)
		}
	}
}

// TestDirectiveSDLIsCurrent fails when rampart.graphqls no longer matches
// the directive definitions the toolkit exports (run `make generate`).
func TestDirectiveSDLIsCurrent(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("rampart.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), directives.SDL) || !strings.Contains(string(b), complexity.DirectivesSDL) {
		t.Fatal("demo/graph/rampart.graphqls is stale: run `make generate`")
	}
}
