package directives_test

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
)

// TestGuardFieldPolicyIsTheObjectTypes: the default-deny decision is the
// one of the field of the object type being resolved (the field context's
// Object), whatever definition the field context carries: its own (a
// field selected on its type), an interface's (selected through the
// interface), another type's, or none.
func TestGuardFieldPolicyIsTheObjectTypes(t *testing.T) {
	t.Parallel()
	d, err := directives.New(directives.Options{})
	if err != nil {
		t.Fatal(err)
	}
	schema := gqlparser.MustLoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: directives.SDL},
		&ast.Source{Name: "schema.graphqls", Input: `
interface Node { id: ID! }
type Post implements Node @public { id: ID! }
type Secret implements Node { id: ID! }
type Query { node: Node @public }`},
	)
	if err := d.ValidateSchema(schema); err != nil {
		t.Fatal(err)
	}
	def := func(typ string) *ast.FieldDefinition { return schema.Types[typ].Fields.ForName("id") }
	anonymous := auth.WithPrincipal(context.Background(), nil)
	for _, c := range []struct {
		name   string
		object string
		def    *ast.FieldDefinition
		denied bool
	}{
		{"public_own_definition", "Post", def("Post"), false},
		{"public_through_interface", "Post", def("Node"), false},
		{"public_without_definition", "Post", nil, false},
		{"public_with_another_types_definition", "Post", def("Secret"), false},
		{"guarded_own_definition", "Secret", def("Secret"), true},
		{"guarded_through_interface", "Secret", def("Node"), true},
		{"guarded_without_definition", "Secret", nil, true},
		{"guarded_with_a_public_types_definition", "Secret", def("Post"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := graphql.WithFieldContext(anonymous, &graphql.FieldContext{
				Object: c.object,
				Field:  graphql.CollectedField{Field: &ast.Field{Name: "id", Definition: c.def}},
			})
			ran := false
			_, err := d.GuardField(ctx, func(context.Context) (any, error) { ran = true; return "1", nil })
			var gqlErr *gqlerror.Error
			switch {
			case c.denied && (ran || !errors.As(err, &gqlErr) || gqlErr.Extensions["code"] != rampart.CodeUnauthenticated):
				t.Fatalf("resolver ran %v, err %v; want UNAUTHENTICATED", ran, err)
			case !c.denied && (!ran || err != nil):
				t.Fatalf("resolver ran %v, err %v; want it resolved", ran, err)
			}
		})
	}
}
