package gqlsec

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/rampart-go/rampart/internal/gqltest"
)

// TestExecutorRulesMatchGqlgen checks the copy of gqlgen's rule selection
// (executorRules) against gqlgen's executor with suggestions enabled, as
// Install configures it: each document gets the same errors, suggestions
// included, from both.
func TestExecutorRulesMatchGqlgen(t *testing.T) {
	t.Parallel()
	es := gqltest.New()
	exec := executor.New(es)
	exec.SetDisableSuggestion(false)
	q := &queryCacheFill{}
	if err := q.Validate(es); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`{ me { name } }`,
		`{ me { nam } }`,         // FieldsOnCorrectType, with a suggestion
		`{ me }`,                 // ScalarLeafs
		`{ me { name { id } } }`, // ScalarLeafs on a leaf
		`query A { me { id } } query A { me { id } }`,
		`{ me { ...F } } fragment F on User { id } fragment G on User { id }`,
		`{ user { id } }`,
	} {
		var want []string
		if _, errs := exec.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: doc}); len(errs) > 0 {
			for _, e := range errs {
				want = append(want, e.Message)
			}
		}
		parsed, err := parser.ParseQuery(&ast.Source{Input: doc})
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		var got []string
		for _, e := range validator.Validate(es.Schema(), parsed, q.list...) {
			got = append(got, e.Message)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n gqlsec %q\n gqlgen %q", doc, got, want)
		}
	}
	if !strings.Contains(strings.Join(func() []string {
		parsed, _ := parser.ParseQuery(&ast.Source{Input: `{ me { nam } }`})
		var m []string
		for _, e := range validator.Validate(es.Schema(), parsed, q.list...) {
			m = append(m, e.Message)
		}
		return m
	}(), " "), "Did you mean") {
		t.Error("executorRules does not suggest: the suggesting variant was not selected")
	}
}
