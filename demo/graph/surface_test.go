package graph_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/demo/graph/generated"
	"github.com/rampart-go/rampart/directives"

	"github.com/rampart-go/rampart/internal/golden"
)

// TestAnonymousSurface pins every field an anonymous caller can reach.
// Adding an unprotected field (or @public) changes this list: review the
// change, then refresh with `go test ./demo/graph -run AnonymousSurface -update`.
func TestAnonymousSurface(t *testing.T) {
	t.Parallel()
	es := generated.NewExecutableSchema(generated.Config{})
	got := strings.Join(directives.AnonymousSurface(es.Schema()), "\n") + "\n"
	// Review a change, then refresh with -update.
	golden.Check(t, "anonymous_surface", []byte(got))
	for _, private := range []string{"Query.users", "Mutation.createPost", "Mutation.setUserRole", "Subscription.commentAdded"} {
		if strings.Contains(got, private+"\n") {
			t.Errorf("%s is reachable anonymously", private)
		}
	}
}

// TestDirectiveSDLIsCurrent fails when rampart.graphqls no longer matches
// the output of `go run ./cmd/rampart sdl` (run `make generate`).
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
