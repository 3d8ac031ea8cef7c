package complexity_test

import (
	"errors"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// FuzzAnalyze feeds arbitrary, unvalidated documents to Analyze: it must
// never panic, and every count must stay within [0, MaxCount].
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		gqltest.Typical, gqltest.Deep(60), gqltest.Aliases(40), gqltest.Copies(50), gqltest.Directives(20),
		gqltest.FragmentBomb(10, 10), gqltest.FragmentCycle(), gqltest.ManyOperations(5),
		gqltest.CircularIntrospection(10), fragmentChain(20),
		`{ posts(first: 1000000) { nodes { id } } }`, `query($p: Page) { search(page: $p) { id } }`,
		`{ me { ...A } } fragment A on User { ...A }`, `{ ... on Query { ... { tags } } }`,
		`mutation { createPost(input: {title: "t", body: "b"}) { id } }`,
	} {
		f.Add(s, "")
	}
	f.Add(gqltest.ManyOperations(3), "Op1")
	a := analyzer(f, complexity.Options{})
	vars := map[string]any{"p": map[string]any{"first": 3}, "n": 1e300, "first": -4}
	f.Fuzz(func(t *testing.T, q, op string) {
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 20000)
		if err != nil {
			return
		}
		r, err := a.Analyze(doc, op, vars)
		if err != nil && !errors.Is(err, complexity.ErrTooDeep) && !errors.Is(err, complexity.ErrFragmentCycle) &&
			!errors.Is(err, complexity.ErrOperationNotFound) {
			t.Fatalf("unexpected error %v", err)
		}
		for _, n := range []int64{r.Depth, r.Aliases, r.RootFields, r.Fields, r.Directives, r.MaxDirectivesPerField, r.IntrospectionFields, r.Cost} {
			if n < 0 || n > complexity.MaxCount {
				t.Fatalf("count out of range: %+v", r)
			}
		}
		if r.RootFields > r.Fields || (err == nil && r.Depth > r.Fields) {
			t.Fatalf("inconsistent report %+v", r)
		}
	})
}
